"""The exit statuses the README promises: 2 for a configuration error or a tampered model, from every command; 1
when a source fails, deterministically or after its retries; 3 for a held lake lock (tests/reliability/
test_concurrency.py). A configuration error and a tampered model are told in one line by the `causa` logger."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import causa.pipelines.flows as flows
from causa.nlp.model_store import default_model_dir
from causa.pipelines.cli import main
from causa.storage.registry import ModelRegistry
from tests.pipelines.sources_server import FeedbackApi

pytestmark = pytest.mark.usefixtures("prefect_server")
RUN_DATE = date(2026, 11, 1)


def labels(folder: Path) -> Path:
    rows = [{"text": f"{text} #{n}", "sentiment": sentiment, "causes": causes, "language": "en"} for n in range(8)
            for text, sentiment, causes in (("The parcel is late again", "negative", "delay"),
                                            ("Lovely staff, thank you", "positive", ""),
                                            ("When do you open on Sunday?", "neutral", ""))]
    pd.DataFrame(rows).to_csv(folder / "labels.csv", index=False)
    return folder / "labels.csv"


def api_config(folder: Path, url: str, model: str = "") -> Path:
    config = folder / "causa.toml"
    config.write_text(
        f'[lake]\nroot = "lake"\n{model}\n[[sources]]\nname = "api"\nkind = "http"\nurl = "{url}"\n'
        'records = "data"\nretries = 0\nchannel = "review"\n[sources.fields]\nid = "id"\ntext = "text"\n'
        'created_at = "created_at"\n',
        encoding="utf-8",
    )
    return config


def assert_one_line_error(caplog, *words: str) -> None:
    errors = [record for record in caplog.records if record.levelname == "ERROR" and record.name == "causa"]
    assert errors and all(word in errors[-1].getMessage() for word in words)
    caplog.clear()


def test_a_configuration_error_exits_2_from_every_command(tmp_path: Path, caplog) -> None:
    config = tmp_path / "causa.toml"
    config.write_text('[lake]\nroot = "lake"\n[[sources]]\nname = "fax"\nkind = "files"\npath = "x.csv"\n'
                      'channel = "fax"\n[sources.fields]\nid = "id"\ntext = "t"\ncreated_at = "c"\n', encoding="utf-8")
    commands = [
        ["run", "--config", str(config), "--date", RUN_DATE.isoformat()],
        ["sources", "check", "--config", str(config)],
        ["score", str(labels(tmp_path)), "-o", str(tmp_path / "out.parquet"), "--config", str(config)],
        ["train", "--labels", str(labels(tmp_path)), "--base", "none", "--config", str(config)],
        ["views", "--config", str(config)],
    ]
    for command in commands:
        assert main(command) == 2, command
        assert any("channel" in r.getMessage() and "fax" in r.getMessage() for r in caplog.records), command
        caplog.clear()
    assert not (tmp_path / "out.parquet").exists() and not (tmp_path / "lake" / "feedback").exists()


@pytest.mark.parametrize("failure", ["deterministic", "transient"])
def test_a_failing_source_exits_1_from_run_and_sources_check(
    failure: str, tmp_path: Path, api: FeedbackApi, monkeypatch, capsys
) -> None:
    monkeypatch.setattr(flows, "pull_source", flows.pull_source.with_options(retry_delay_seconds=0))
    url = f"{api.base}/nowhere" if failure == "deterministic" else f"{api.base}/page"
    api.always["/page"] = 503
    config = api_config(tmp_path, url)
    assert main(["run", "--config", str(config), "--date", RUN_DATE.isoformat()]) == 1
    assert len(api.requests) == (1 if failure == "deterministic" else 1 + len(flows.EXTRACT_RETRY_DELAYS))
    assert "api: 0 read" in capsys.readouterr().out
    assert main(["sources", "check", "--config", str(config)]) == 1
    assert ("HTTP 404" if failure == "deterministic" else "HTTP 503") in capsys.readouterr().out


def test_a_tampered_model_exits_2_from_every_command(tmp_path: Path, api: FeedbackApi, caplog) -> None:
    registry = tmp_path / "registry"
    shutil.copytree(default_model_dir(), registry / "shipped-copy")
    ModelRegistry(registry).promote("shipped-copy")
    described = registry / "shipped-copy" / "model.json"
    model = json.loads(described.read_text(encoding="utf-8"))
    model["thresholds"] = {cause: 0.01 for cause in model["thresholds"]}
    described.write_text(json.dumps(model), encoding="utf-8")
    config = api_config(tmp_path, f"{api.base}/page", f'[model]\nregistry = "{registry}"\n')

    assert main(["run", "--config", str(config), "--date", RUN_DATE.isoformat()]) == 2
    assert_one_line_error(caplog, "failed verification", "model.json changed")
    assert not api.requests and not (tmp_path / "lake" / "feedback").exists()
    assert main(["score", str(labels(tmp_path)), "-o", str(tmp_path / "out.parquet"), "--config", str(config)]) == 2
    assert_one_line_error(caplog, "failed verification", "model.json changed")
    assert not (tmp_path / "out.parquet").exists()
    assert main(["train", "--labels", str(labels(tmp_path)), "--base", "none", "--name", "candidate",
                 "--registry", str(registry), "--promote"]) == 2
    assert_one_line_error(caplog, "model.json changed")
    assert ModelRegistry(registry).promoted() == "shipped-copy"
