"""One active model: score, evaluate and explain use the configured version (the promoted one by default) unless
--model names another, say which they used, and `causa models rollback` returns them all to the shipped model."""

from __future__ import annotations

import getpass
import json
import shutil
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from causa.nlp.model_store import default_model_dir, read_manifest
from causa.pipelines.cli import main
from causa.storage.scoring import MODEL_VERSION_KEY
from causa.pipelines.settings import default_config_path
from causa.storage.registry import ModelRegistry
from tests.pipelines.test_retraining import SMALL_FILE, write_labels

SHIPPED = read_manifest(default_model_dir())["version"]
TEXTS = ["The invoice lists a product I never ordered, wrong invoice again", "Great service, fast delivery, love it"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A registry holding `good`, trained quickly on a tiny file with a cause the shipped model lacks (billing_error)."""
    folder = tmp_path_factory.mktemp("active")
    root = folder / "registry"
    labels = write_labels(folder / "good.csv")
    assert main(["train", "--labels", str(labels), "--base", "none", "--name", "good", "--registry", str(root)]) == 0
    return root


@pytest.fixture()
def registry(trained: Path, tmp_path: Path) -> Path:
    """A copy of the trained registry (nothing promoted) that a test may promote in and roll back."""
    root = tmp_path / "models"
    shutil.copytree(trained / "good", root / "good")
    return root


def write_config(folder: Path, registry: Path, version: str = "promoted") -> Path:
    """The packaged sample configuration with its lake in `folder`, the registry `registry` and [model] version."""
    text = default_config_path().read_text(encoding="utf-8")
    text = text.replace('version = "promoted"', f'version = "{version}"\nregistry = "{registry}"')
    assert f'registry = "{registry}"' in text
    config = folder / "causa.toml"
    config.write_text(text, encoding="utf-8")
    return config


def score(tmp_path: Path, capsys, *options: str) -> tuple[str, pd.DataFrame]:
    """`causa score` on TEXTS: its stdout line and the scored rows."""
    source, output = tmp_path / "in.csv", tmp_path / "out.parquet"
    pd.DataFrame({"text": TEXTS}).to_csv(source, index=False)
    capsys.readouterr()
    assert main(["score", str(source), "-o", str(output), *options]) == 0
    printed = capsys.readouterr().out
    recorded = pq.read_schema(output).metadata[MODEL_VERSION_KEY].decode()
    assert f"with model {recorded} (" in printed, "the file's metadata names the version the command printed"
    return printed, pq.read_table(output).to_pandas()


def evaluate(tmp_path: Path, capsys, *options: str) -> tuple[str, str]:
    """`causa evaluate` on TEXTS: the version its first stdout line names and the one its JSON report records."""
    labels, report = tmp_path / "labels.csv", tmp_path / "report.json"
    pd.DataFrame({"text": TEXTS, "sentiment": ["negative", "positive"]}).to_csv(labels, index=False)
    capsys.readouterr()
    assert main(["evaluate", "--labels", str(labels), "--json", str(report), *options]) == 0
    first_line = capsys.readouterr().out.splitlines()[0]
    assert first_line.startswith("model ")
    return first_line.split()[1], json.loads(report.read_text())["model_version"]


def test_score_evaluate_and_explain_use_the_promoted_version_unless_told(registry: Path, tmp_path: Path,
                                                                        capsys) -> None:
    config = write_config(tmp_path, registry)
    assert main(["models", "promote", "good", "--reason", "better on our tickets", "--config", str(config),
                 *SMALL_FILE]) == 0
    assert ModelRegistry(registry).history()[-1]["reason"] == "better on our tickets"

    printed, rows = score(tmp_path, capsys, "--config", str(config))
    assert "with model good (fast tier)" in printed
    assert "billing_error" in rows.loc[0, "causes"]
    assert evaluate(tmp_path, capsys, "--config", str(config)) == ("good", "good")
    assert main(["explain", TEXTS[0], "--json", "--language", "en", "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)["model_version"] == "good"

    printed, rows = score(tmp_path, capsys, "--config", str(config), "--model", "default")
    assert f"with model {SHIPPED} (fast tier)" in printed
    assert "score_billing_error" not in rows.columns
    assert evaluate(tmp_path, capsys, "--config", str(config), "--model", "default") == (SHIPPED, SHIPPED)
    assert main(["explain", TEXTS[0], "--model", "default", "--config", str(config)]) == 0
    assert capsys.readouterr().out.startswith(f"model {SHIPPED}\n")


def test_the_configured_version_is_read_from_the_working_folder(registry: Path, tmp_path: Path, capsys,
                                                                monkeypatch) -> None:
    ModelRegistry(registry).promote("good")
    monkeypatch.chdir(tmp_path)
    write_config(tmp_path, registry, version="default")
    assert f"with model {SHIPPED} " in score(tmp_path, capsys)[0]
    assert "with model good " in score(tmp_path, capsys, "--model", "promoted")[0]
    write_config(tmp_path, registry, version="good")
    assert evaluate(tmp_path, capsys) == ("good", "good")


@pytest.mark.parametrize("command", [["models", "rollback"], ["models", "promote", "default"]],
                         ids=["rollback", "promote default"])
def test_rollback_returns_every_command_to_the_shipped_model(registry: Path, tmp_path: Path, capsys,
                                                             command: list[str]) -> None:
    config = write_config(tmp_path, registry)
    ModelRegistry(registry).promote("good")
    assert "with model good " in score(tmp_path, capsys, "--config", str(config))[0]

    assert main([*command, "--reason", "complaints about wrong causes", "--config", str(config)]) == 0
    assert "rolled back to the shipped model (was: good)" in capsys.readouterr().out
    assert ModelRegistry(registry).promoted() is None
    history = [json.loads(line) for line in (registry / "promotions.jsonl").read_text().splitlines()]
    assert [(entry["version"], entry["action"]) for entry in history] == [("good", "promote"), ("default", "rollback")]
    rollback = history[-1]
    assert rollback["user"] == getpass.getuser() and rollback["reason"] == "complaints about wrong causes"
    assert datetime.fromisoformat(rollback["at"]).tzinfo is not None

    printed, rows = score(tmp_path, capsys, "--config", str(config))
    assert f"with model {SHIPPED} (fast tier)" in printed and "score_billing_error" not in rows.columns
    assert evaluate(tmp_path, capsys, "--config", str(config)) == (SHIPPED, SHIPPED)
    assert main(["models", "list", "--config", str(config)]) == 0
    assert "promoted: none (shipped model in use)" in capsys.readouterr().out
    assert main(["models", "promote", "good", "--config", str(config), *SMALL_FILE]) == 0
    assert ModelRegistry(registry).promoted() == "good"
    assert ModelRegistry(registry).history()[-1]["previous"] is None
