"""Two runs on one lake at once: one waits for the other, or exits with a message naming the holder; the lake is
never corrupted."""

from __future__ import annotations

import os
import re
import socket
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from causa.pipelines.cli import main
from causa.pipelines.flows import nightly
from causa.storage.layout import LOCK_FILE
from causa.storage.lock import LakeLock, LakeLockedError
from tests.reliability.lakes import generate_source, rows_of, start_run, write_config

pytestmark = [pytest.mark.reliability, pytest.mark.usefixtures("prefect_server")]
LOCK_LINE = re.compile(r"^(\S+ \S+) INFO causa\.storage\.lock: (took|released) lake lock", re.MULTILINE)


def lock_interval(log: str) -> tuple[datetime, datetime]:
    events = {kind: datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f") for stamp, kind in LOCK_LINE.findall(log)}
    return events["took"], events["released"]


def test_two_runs_started_together_take_turns(tmp_path: Path, fault_report) -> None:
    counts = generate_source(tmp_path / "drops", rows=3000, days=20)
    config = write_config(tmp_path, extra_lake="lock_wait_seconds = 300")
    runs = [start_run(config, log=tmp_path / f"run{i}.log") for i in (1, 2)]
    codes = [run.wait(timeout=600) for run in runs]
    logs = [(tmp_path / f"run{i}.log").read_text() for i in (1, 2)]
    assert codes == [0, 0], [log[-2000:] for log in logs]
    assert sum("waiting up to 300 s" in log for log in logs) == 1, "exactly one run waited for the other"
    (took_a, released_a), (took_b, released_b) = sorted(lock_interval(log) for log in logs)
    assert released_a <= took_b, "the two runs held the lake at the same time"
    lake = tmp_path / "lake"
    assert not (lake / LOCK_FILE).exists()
    with duckdb.connect() as db:
        statuses = db.execute(f"select status from read_parquet('{lake}/runs/*/*.parquet')").fetchall()
        total, distinct = db.execute(
            f"select count(*), count(distinct feedback_id) from read_parquet('{lake}/feedback/*/*.parquet')"
        ).fetchall()[0]
    assert statuses == [("success",), ("success",)]
    assert total == distinct
    quarantined = len(rows_of(lake, "quarantine"))
    assert fault_report.record("two runs started together", counts["rows"], total, quarantined) == 0


def test_a_run_that_cannot_wait_exits_naming_the_holder(tmp_path: Path) -> None:
    generate_source(tmp_path / "drops", rows=20, days=2)
    config = write_config(tmp_path, extra_lake="lock_wait_seconds = 0.5")
    holder = f"pid {os.getpid()} on {socket.gethostname()} (another causa run)"
    with LakeLock(tmp_path / "lake", "another causa run"):
        assert main(["run", "--config", str(config), "--date", "2026-11-20"]) == 3
        with pytest.raises(LakeLockedError, match=re.escape(f"is locked by another run: {holder}")):
            nightly(config_path=str(config), run_date=date(2026, 11, 20))
    assert not (tmp_path / "lake" / "feedback").exists()
