"""SIGKILL the nightly run while it writes partitions: readers never see a partial or doubled partition, and the
next run completes the night so that every table equals the one an uninterrupted run leaves."""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path
from typing import Callable

import duckdb
import pyarrow.dataset as ds
import pytest

from causa.pipelines.flows import nightly
from causa.storage.layout import LOCK_FILE
from tests.reliability.lakes import (
    DATA_TABLES,
    RUN_DATE,
    generate_source,
    partition_files,
    partition_rows,
    rows_of,
    start_run,
    write_config,
)

pytestmark = [pytest.mark.reliability, pytest.mark.usefixtures("prefect_server")]

ROWS, DAYS = 4000, 60


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    """One generated night, and the lake an uninterrupted run makes of it."""
    folder = tmp_path_factory.mktemp("reference")
    counts = generate_source(folder / "drops", ROWS, DAYS)
    config = write_config(folder)
    result = nightly(config_path=str(config), run_date=RUN_DATE)
    assert result.status == "success"
    lake = folder / "lake"
    return {"drops": folder / "drops", "lake": lake, "counts": counts,
            "tables": {name: rows_of(lake, name) for name in DATA_TABLES},
            "partitions": {name: len(partition_files(lake, name)) for name in DATA_TABLES}}


def kill_points(total: dict[str, int]) -> dict[str, Callable[[Path], bool]]:
    return {
        "first partition file": lambda lake: any(partition_files(lake, name) for name in (*DATA_TABLES, "runs")),
        "half of feedback": lambda lake: len(partition_files(lake, "feedback")) >= total["feedback"] // 2,
        "half of daily_summary": lambda lake: len(partition_files(lake, "daily_summary")) >= total["daily_summary"] // 2,
    }


@pytest.mark.parametrize("point", ["first partition file", "half of feedback", "half of daily_summary"])
def test_killed_run_leaves_whole_partitions_and_the_next_run_completes_the_night(
    point: str, reference: dict, tmp_path: Path, caplog, fault_report
) -> None:
    (tmp_path / "drops").mkdir()
    (tmp_path / "drops" / "drop.jsonl").write_bytes((reference["drops"] / "drop.jsonl").read_bytes())
    config = write_config(tmp_path)
    lake = tmp_path / "lake"
    reached = kill_points(reference["partitions"])[point]
    process = start_run(config)
    deadline = time.monotonic() + 180
    while not reached(lake):
        assert process.poll() is None, f"the run ended before {point!r}: {(tmp_path / 'run.log').read_text()[-2000:]}"
        assert time.monotonic() < deadline, f"{point!r} not reached in 180 s"
        time.sleep(0.001)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL
    written = {name: len(partition_files(lake, name)) for name in DATA_TABLES}
    assert written != reference["partitions"], f"killed at {point!r} after everything was written"

    assert_readers_see_only_whole_partitions(lake, reference)
    assert (lake / LOCK_FILE).is_file(), "the killed run's lock is left behind"

    with caplog.at_level(logging.WARNING):
        result = nightly(config_path=str(config), run_date=RUN_DATE)
    assert result.status == "success"
    assert "recovering stale lake lock" in caplog.text
    assert not (lake / LOCK_FILE).exists()
    assert not any((lake / ".staging").iterdir())
    for name in DATA_TABLES:
        assert rows_of(lake, name) == reference["tables"][name], f"{name} differs from an uninterrupted run"
    stored = len(rows_of(lake, "feedback"))
    quarantined = len(rows_of(lake, "quarantine"))
    lost = fault_report.record(f"SIGKILL at {point} ({sum(written.values())} files in), rerun", ROWS, stored, quarantined)
    assert lost == 0
    assert quarantined == reference["counts"]["bad"]


def assert_readers_see_only_whole_partitions(lake: Path, reference: dict) -> None:
    """DuckDB and pyarrow read every table; each partition present is complete (equal to the reference's)."""
    for name in (*DATA_TABLES, "runs"):
        files = partition_files(lake, name)
        if not files:
            continue
        with duckdb.connect() as db:
            duck_count = db.execute(
                f"select count(*) from read_parquet('{lake}/{name}/*/*.parquet', hive_partitioning=true)"
            ).fetchall()[0][0]
        arrow_count = ds.dataset(lake / name, format="parquet", partitioning="hive").count_rows()
        assert duck_count == arrow_count
        assert all(len(list(f.parent.iterdir())) == 1 for f in files), f"{name}: a partition holds more than one file"
        if name == "runs":
            continue
        for file in files:
            partition = file.parent.name
            expected = partition_rows(reference["lake"], name, partition)
            assert partition_rows(lake, name, partition) == expected, f"{name}/{partition} is partial"
    for name in ("feedback", "scored"):
        if partition_files(lake, name):
            with duckdb.connect() as db:
                total, distinct = db.execute(
                    f"select count(*), count(distinct feedback_id) from read_parquet('{lake}/{name}/*/*.parquet')"
                ).fetchall()[0]
            assert total == distinct, f"{name}: a feedback_id is stored twice"
