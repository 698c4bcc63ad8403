"""`causa run`, `train` and `report` show what they are doing on a terminal and nothing in a pipe (cron, CI),
with the same summary on stdout either way."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import TextIO

import pytest

from causa.pipelines.progress import step_progress
from tests.pipelines.test_retraining import write_labels

SOURCE_ROWS = [
    ("1", "Muito obrigado, entrega rápida!", "2026-11-01"),
    ("2", "The parcel arrived two weeks late and nobody answered", "2026-11-02"),
    ("3", "El agente fue muy grosero conmigo", "2026-11-02"),
]


class Terminal:
    """A pseudo-terminal (or, with `pipe`, a pipe) whose output is read as it comes, so that a long display never
    fills its buffer."""

    def __init__(self, pipe: bool = False) -> None:
        self.controller, terminal = os.pipe() if pipe else os.openpty()
        self.stream: TextIO = open(terminal, "w", encoding="utf-8", closefd=True)
        self._shown = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            try:
                chunk = os.read(self.controller, 65536)
            except OSError:  # the terminal side is closed and everything was read
                return
            if not chunk:
                return
            self._shown += chunk

    def close(self) -> str:
        """Everything written to the terminal."""
        self.stream.close()
        self._reader.join(timeout=10)
        os.close(self.controller)
        return self._shown.decode("utf-8", errors="replace")


def causa(argv: list[str], terminal: bool) -> tuple[str, str]:
    """stdout and stderr of the `causa` command with stderr on a pseudo-terminal (TERM set, so that rich draws live),
    or on a pipe as under cron."""
    stderr = Terminal(pipe=not terminal)
    environment = {**os.environ, "TERM": "xterm-256color", "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    done = subprocess.run([sys.executable, "-m", "causa.pipelines.cli", *argv], stdout=subprocess.PIPE,
                          stderr=stderr.stream, text=True, env=environment, timeout=600)
    shown = stderr.close()
    assert done.returncode == 0, shown
    return done.stdout, shown


def write_night(folder: Path) -> Path:
    """A causa.toml over one JSONL source of SOURCE_ROWS, lake in `folder`/lake."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "shop.jsonl").write_text("".join(f'{{"id": "{i}", "t": "{t}", "d": "{d}"}}\n' for i, t, d in SOURCE_ROWS),
                                       encoding="utf-8")
    config = folder / "causa.toml"
    config.write_text('[lake]\nroot = "lake"\n[[sources]]\nname = "shop"\nkind = "files"\npath = "shop.jsonl"\n'
                      'channel = "review"\n[sources.fields]\nid = "id"\ntext = "t"\ncreated_at = "d"\n',
                      encoding="utf-8")
    return config


def run_summary(out: str, folder: Path) -> str:
    """The run summary without what differs between two runs: the run id and the folder."""
    return re.sub(r"^run \S+:", "run ID:", out.replace(str(folder.resolve()), "DIR"), flags=re.MULTILINE)


@pytest.fixture(scope="module")
def piped_night(tmp_path_factory) -> tuple[Path, str, str]:
    """(config, stdout, stderr) of `causa run` with stderr a pipe."""
    folder = tmp_path_factory.mktemp("piped")
    config = write_night(folder)
    out, err = causa(["run", "--config", str(config), "--date", "2026-11-20"], terminal=False)
    return config, run_summary(out, folder), err


def test_run_in_a_pipe_shows_no_progress(piped_night) -> None:
    _, out, err = piped_night
    assert out.startswith("run ID: success (model ") and "  shop: 3 read, 3 stored, 0 quarantined\n" in out
    assert "run: source shop" not in err and "run: report" not in err and "\r" not in err
    assert "INFO" in err  # the log is there, progress is not


def test_run_on_a_terminal_shows_each_source_and_stage_with_the_same_summary(piped_night, tmp_path: Path) -> None:
    config = write_night(tmp_path)
    out, shown = causa(["run", "--config", str(config), "--date", "2026-11-20"], terminal=True)
    assert "run: source shop: 3 read, 3 stored" in shown
    assert "run: daily summary of 2 days" in shown and "run: report" in shown
    assert run_summary(out, tmp_path) == piped_night[1]


def test_report_shows_its_stages_on_a_terminal_only_with_the_same_summary(piped_night, tmp_path: Path) -> None:
    config = str(piped_night[0])
    piped_out, piped_err = causa(["report", "--config", config, "-o", str(tmp_path / "piped.html")], terminal=False)
    assert "report: reading" not in piped_err and "report: writing" not in piped_err and "\r" not in piped_err
    out, shown = causa(["report", "--config", config, "-o", str(tmp_path / "shown.html")], terminal=True)
    assert "report: reading the daily summaries of 2 days" in shown
    assert "report: finding unexplained themes in 3 items" in shown
    assert piped_out.startswith("report 2026-11-01 to 2026-11-02: 3 items scored by ")
    assert out == piped_out.replace("piped.html", "shown.html")


def test_train_shows_the_search_and_the_fit_on_a_terminal_only(tmp_path: Path) -> None:
    labels = write_labels(tmp_path / "labels.csv")
    common = ["train", "--labels", str(labels), "--base", "none", "--registry", str(tmp_path / "registry"),
              "--search-seconds", "600"]  # every candidate is tried: the same choice whatever the machine's speed
    piped_out, piped_err = causa([*common, "--name", "piped"], terminal=False)
    assert "train: search" not in piped_err and "train: fitting" not in piped_err and "\r" not in piped_err
    out, shown = causa([*common, "--name", "shown"], terminal=True)
    assert "train: search: candidate 1 of" in shown
    assert "train: fitting the model on" in shown and "train: registering shown" in shown
    lines, piped_lines = out.splitlines(), piped_out.splitlines()
    assert lines[0].startswith("registered shown in ") and piped_lines[0].startswith("registered piped in ")
    assert lines[1:] == piped_lines[1:]  # the options chosen and the held-out scores


@pytest.mark.parametrize("rich_installed", [True, False])
def test_steps_on_a_terminal_show_the_label_and_the_latest_step(rich_installed: bool, monkeypatch) -> None:
    if not rich_installed:
        monkeypatch.setitem(sys.modules, "rich.progress", None)  # its import fails: the plain line is drawn
    monkeypatch.setenv("TERM", "xterm-256color")
    terminal = Terminal()
    with step_progress(terminal.stream, "report") as step:
        step("reading the feedback items")
    assert "report: reading the feedback items" in terminal.close()


def test_steps_elsewhere_write_nothing(tmp_path: Path) -> None:
    with open(tmp_path / "log.txt", "w", encoding="utf-8") as stream:
        with step_progress(stream, "run") as step:
            step("source shop: 3 read, 3 stored")
    assert (tmp_path / "log.txt").read_text(encoding="utf-8") == ""
