"""The CLI's errors: a CausaError is a message and its exit code, whatever the command; anything else is a bug."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from causa.nlp.model_store import ModelIntegrityError, default_model_dir
from causa.pipelines.cli import main
from causa.storage.registry import ModelRegistry

TAMPERED = "tampered"


@pytest.fixture()
def registry(tmp_path: Path) -> Path:
    """A registry holding a copy of the shipped model as version 'tampered', one byte of its IDF table changed."""
    root = tmp_path / "registry"
    shutil.copytree(default_model_dir(), root / TAMPERED)
    idf = root / TAMPERED / "words_idf.npy"
    data = bytearray(idf.read_bytes())
    data[-1] ^= 0x01
    idf.write_bytes(bytes(data))
    return root


@pytest.fixture()
def labels(tmp_path: Path) -> Path:
    path = tmp_path / "labels.csv"
    pd.DataFrame({
        "text": ["The courier was three days late", "Charged twice for one order", "Great service, thank you",
                 "Fine, nothing special"] * 3,
        "sentiment": ["negative", "negative", "positive", "neutral"] * 3,
        "causes": ["delay", "overcharge", "", ""] * 3,
    }).to_csv(path, index=False)
    return path


def config_using(sample_config: Path, version: str, registry: Path) -> Path:
    """The sample config with [model] pointing at `version` in `registry`."""
    text = sample_config.read_text()
    assert 'version = "promoted"' in text
    sample_config.write_text(text.replace('version = "promoted"', f'version = "{version}"\nregistry = "{registry}"', 1))
    return sample_config


def assert_refused_cleanly(code: int, caplog, capsys) -> None:
    """The integrity exit code, the message naming the changed file, no traceback. Once a Prefect server has
    configured logging the message goes through Prefect's stderr handler rather than pytest's, so both are read."""
    assert code == ModelIntegrityError.exit_code
    printed = capsys.readouterr().err
    assert "failed verification" in caplog.text + printed and "words_idf.npy changed" in caplog.text + printed
    assert "Traceback" not in printed


@pytest.mark.parametrize("command", ["score", "evaluate", "explain", "models show", "models promote"])
def test_a_command_refuses_a_tampered_version_with_a_message(command: str, registry: Path, labels: Path,
                                                             tmp_path: Path, caplog, capsys) -> None:
    chosen = ["--model", TAMPERED, "--registry", str(registry)]
    argv = {
        "score": ["score", str(labels), "-o", str(tmp_path / "scored.parquet"), *chosen],
        "evaluate": ["evaluate", "--labels", str(labels), *chosen],
        "explain": ["explain", "The courier was late", *chosen],
        "models show": ["models", "show", TAMPERED, "--registry", str(registry)],
        "models promote": ["models", "promote", TAMPERED, "--registry", str(registry)],
    }[command]
    assert_refused_cleanly(main(argv), caplog, capsys)
    assert not (tmp_path / "scored.parquet").exists()
    assert ModelRegistry(registry).promoted() is None


def test_train_stops_before_training_when_the_promoted_version_is_tampered(registry: Path, labels: Path, caplog,
                                                                           capsys) -> None:
    ModelRegistry(registry).promote(TAMPERED)
    code = main(["train", "--labels", str(labels), "--name", "next", "--registry", str(registry)])
    assert_refused_cleanly(code, caplog, capsys)
    assert {path.name for path in registry.iterdir()} == {"PROMOTED", "promotions.jsonl", TAMPERED}


def test_report_refuses_a_tampered_configured_version(registry: Path, sample_config: Path, tmp_path: Path, caplog,
                                                      capsys) -> None:
    config = config_using(sample_config, TAMPERED, registry)
    code = main(["report", "--config", str(config), "-o", str(tmp_path / "report.html")])
    assert_refused_cleanly(code, caplog, capsys)
    assert not (tmp_path / "report.html").exists()


@pytest.mark.usefixtures("prefect_server")
def test_run_refuses_a_tampered_configured_version(registry: Path, sample_config: Path, tmp_path: Path, caplog,
                                                   capsys) -> None:
    """Refused before the flow starts, so no flow run logs a traceback either."""
    config = config_using(sample_config, TAMPERED, registry)
    assert_refused_cleanly(main(["run", "--config", str(config), "--date", "2026-11-20"]), caplog, capsys)
    assert not (tmp_path / "lake" / "feedback").exists()


@pytest.mark.parametrize(("command", "target"), [("score", "causa.storage.scoring.score_file"),
                                                 ("evaluate", "causa.nlp.labels.read_labels")])
def test_a_programming_error_is_not_taken_for_bad_input(command: str, target: str, labels: Path, tmp_path: Path,
                                                        monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise ValueError("a bug, not the user's input")

    monkeypatch.setattr(target, broken)
    argv = {"score": ["score", str(labels), "-o", str(tmp_path / "scored.parquet"), "--model", "default"],
            "evaluate": ["evaluate", "--labels", str(labels), "--model", "default"]}[command]
    with pytest.raises(ValueError, match="a bug, not the user's input"):
        main(argv)


def test_an_input_file_that_is_missing_or_unreadable_is_named(tmp_path: Path, caplog) -> None:
    missing = tmp_path / "nowhere.csv"
    assert main(["score", str(missing), "-o", str(tmp_path / "o.parquet"), "--model", "default"]) == 2
    assert f"input file not found: {missing}" in caplog.text
    latin = tmp_path / "latin1.csv"
    latin.write_bytes("text\nJoão não recebeu\n".encode("latin-1"))
    assert main(["score", str(latin), "-o", str(tmp_path / "o.parquet"), "--model", "default"]) == 2
    assert f"cannot read {latin} as csv" in caplog.text
