"""The CLI's errors: a CausaError is a message and its exit code, whatever the command; anything else is a bug."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from causa.nlp.model_store import ModelIntegrityError, default_model_dir
from causa.pipelines.cli import main
from causa.storage.lock import LakeLock
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


def night_config(folder: Path, extra_lake: str = "", text_field: str = "body") -> Path:
    """Two file sources over one JSON lines drop: `good` maps its fields right, `broken` maps text to `text_field`."""
    (folder / "drop.jsonl").write_text('{"id": "1", "body": "The parcel is late again", "at": "2026-11-19"}\n'
                                       '{"id": "2", "body": "Lovely staff, thank you", "at": "2026-11-19"}\n',
                                       encoding="utf-8")
    sources = "".join(
        f'[[sources]]\nname = "{name}"\nkind = "files"\npath = "drop.jsonl"\nchannel = "social"\n'
        f'[sources.fields]\nid = "id"\ntext = "{text}"\ncreated_at = "at"\n'
        for name, text in (("good", "body"), ("broken", text_field))
    )
    config = folder / "causa.toml"
    config.write_text(f'[lake]\nroot = "lake"\n{extra_lake}\n{sources}', encoding="utf-8")
    return config


def causa(config: Path, *options: str, bug: str = "") -> subprocess.CompletedProcess:
    """`causa [options] run` in its own process, on the test session's Prefect server; `bug` is Python run first."""
    from tests.reliability.lakes import subprocess_env

    argv = [*options, "run", "--config", str(config), "--date", "2026-11-20"]
    code = f"import sys\n{bug}\nfrom causa.pipelines.cli import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *argv], env=subprocess_env(), cwd=config.parent,
                          capture_output=True, text=True, timeout=600)


def flow_run_endings(stderr: str) -> list[str]:
    return re.findall(r"prefect\.flow_runs: Finished in state (\w+)\(", stderr)


@pytest.mark.usefixtures("prefect_server")
def test_a_failed_night_is_one_line_without_a_traceback_and_ends_failed(tmp_path: Path) -> None:
    run = causa(night_config(tmp_path, text_field="text"))
    assert run.returncode == 1, run.stderr[-3000:]
    assert "partial" in run.stdout and "good: 2 read, 2 stored" in run.stdout
    told = re.findall(r"^\S+ \S+ ERROR causa: (.*)$", run.stderr, re.MULTILINE)
    assert len(told) == 1 and re.fullmatch(r"run \S+: 1 of 2 sources failed \(broken: SourceError: source 'broken': "
                                           r"the records of .*drop\.jsonl have no field text = 'text'.*\)", told[0])
    assert "Traceback" not in run.stderr + run.stdout
    assert flow_run_endings(run.stderr) == ["Failed", "Failed"]  # the night and its sources subflow
    assert " INFO httpx: " not in run.stderr  # not one line per request to the Prefect API


@pytest.mark.usefixtures("prefect_server")
def test_a_held_lake_is_one_line_and_exit_3_with_the_traceback_only_under_verbose(tmp_path: Path) -> None:
    config = night_config(tmp_path, extra_lake="lock_wait_seconds = 0.5")
    with LakeLock(tmp_path / "lake", "another causa run"):
        quiet, verbose = causa(config), causa(config, "--verbose")
    assert quiet.returncode == verbose.returncode == 3, quiet.stderr[-3000:]
    assert re.search(r"^\S+ \S+ ERROR causa: lake .* is locked by another run: pid \d+ on .* \(another causa run\)",
                     quiet.stderr, re.MULTILINE)
    assert "Traceback" not in quiet.stderr
    assert "Encountered exception during execution: LakeLockedError(" in quiet.stderr
    assert flow_run_endings(quiet.stderr) == ["Failed", "Failed"]
    assert "Traceback" in verbose.stderr and "causa.storage.lock.LakeLockedError: lake " in verbose.stderr
    assert not (tmp_path / "lake" / "feedback").exists()


@pytest.mark.usefixtures("prefect_server")
def test_a_programming_error_in_the_night_keeps_its_traceback(tmp_path: Path) -> None:
    bug = ("import causa.pipelines.flows as flows\n"
           "def daily_summary(*args):\n    raise ZeroDivisionError('a bug, not the user input')\n"
           "flows.daily_summary = daily_summary")
    run = causa(night_config(tmp_path), bug=bug)
    assert run.returncode == 1
    assert "Traceback" in run.stderr and "ZeroDivisionError: a bug, not the user input" in run.stderr
    assert "ERROR causa:" not in run.stderr
