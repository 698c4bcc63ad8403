"""SIGKILL `causa run` on an s3:// lake while it uploads a partition (moto's S3 server on 127.0.0.1): readers of
the bucket never see a partial partition, and the next run completes the night so that every table equals the
one an uninterrupted run leaves.

The kill is exact: a hook of the test server receives the run's first write to the chosen object, kills the
process and waits for it to be gone before the store answers, so that upload never lands and nothing after it
is sent."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import threading
from pathlib import Path

import pyarrow.dataset as ds
import pytest

from causa.pipelines.flows import nightly
from causa.storage.filesystem import RemotePath, default_scratch
from causa.storage.layout import LOCK_FILE, PARTITION_FILE
from tests.reliability.lakes import DATA_TABLES, RUN_DATE, _hashable, generate_source, start_run, write_config
from tests.storage.s3_server import running_s3_server

pytestmark = [pytest.mark.reliability, pytest.mark.usefixtures("prefect_server")]

ROWS, DAYS = 2000, 30
PARTITION_KEY = re.compile(rf"^/[^/]+/lake/(?P<table>[a-z_]+)/(?P<partition>[a-z_]+=[0-9-]+)/{PARTITION_FILE}$")


@pytest.fixture(scope="module")
def s3_server():
    with running_s3_server() as server:
        yield server


def s3_config(folder: Path, bucket: str, endpoint: str) -> Path:
    """The reliability scenarios' configuration with its lake (and its lock) in the bucket."""
    config = write_config(folder)
    lake = (f'root = "s3://{bucket}/lake"\n'
            f'storage_options = {{ endpoint_override = "{endpoint}", region = "us-east-1" }}')
    config.write_text(config.read_text(encoding="utf-8").replace('root = "lake"', lake, 1), encoding="utf-8")
    return config


def lake_root(bucket: str, endpoint: str) -> RemotePath:
    return RemotePath(f"s3://{bucket}/lake", {"endpoint_override": endpoint, "region": "us-east-1"})


def partitions(root: RemotePath, table: str) -> list[str]:
    """The partition folders (`<column>=<date>`) that hold a partition file, as a reader listing the bucket finds them."""
    folder = root / table
    return sorted(str(path).split("/")[-2] for path in folder.files() if path.name == PARTITION_FILE)


def partition_rows(root: RemotePath, table: str, partition: str) -> list[tuple]:
    """One partition read back with pyarrow from the bucket, sorted, without run_id."""
    path = root / table / partition
    rows = ds.dataset(path.fs_path, filesystem=path.filesystem, format="parquet").to_table().to_pylist()
    return sorted((tuple(_hashable(v) for k, v in row.items() if k != "run_id") for row in rows), key=repr)


def table_rows(root: RemotePath, table: str) -> dict[str, list[tuple]]:
    """Every partition of a table, read back: partition folder -> its rows."""
    return {partition: partition_rows(root, table, partition) for partition in partitions(root, table)}


@pytest.fixture(scope="module")
def reference(s3_server, tmp_path_factory) -> dict:
    """One generated night, and the bucket an uninterrupted `causa run` makes of it."""
    folder = tmp_path_factory.mktemp("s3reference")
    counts = generate_source(folder / "drops", ROWS, DAYS)
    bucket = s3_server.new_bucket()
    result = nightly(config_path=str(s3_config(folder, bucket, s3_server.endpoint)), run_date=RUN_DATE)
    assert result.status == "success"
    root = lake_root(bucket, s3_server.endpoint)
    return {"drops": folder / "drops", "counts": counts, "tables": {name: table_rows(root, name) for name in DATA_TABLES}}


class KillAtWrite:
    """A write hook of the S3 server: SIGKILLs the run at its first write to the `nth` object `chosen` accepts (one
    count per key), waits until the process is gone, and refuses that write, so it and everything after never land."""

    def __init__(self, chosen, nth: int) -> None:
        self.chosen = chosen
        self.nth = nth
        self.seen: list[str] = []
        self.process: subprocess.Popen | None = None
        self.killed_at: str | None = None
        self.lock = threading.Lock()

    def __call__(self, method: str, path: str) -> bool:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                return self.killed_at is not None  # the run is gone: a request still in flight lands nowhere
            if not self.chosen(path) or path in self.seen:
                return False
            self.seen.append(path)
            if len(self.seen) < self.nth:
                return False
            self.killed_at = path
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return True


def partition_of(table: str):
    return lambda path: (found := PARTITION_KEY.match(path)) is not None and found["table"] == table


def state_file(path: str) -> bool:
    return "/lake/_state/" in path


KILL_POINTS = {
    "half of feedback uploaded": lambda reference: KillAtWrite(
        partition_of("feedback"), len(reference["tables"]["feedback"]) // 2),
    "half of daily_summary uploaded": lambda reference: KillAtWrite(
        partition_of("daily_summary"), len(reference["tables"]["daily_summary"]) // 2),
    "first state file, after every table": lambda reference: KillAtWrite(state_file, 1),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_run_killed_during_an_upload_leaves_whole_partitions_and_the_next_run_completes_the_night(
    point: str, reference: dict, s3_server, tmp_path: Path, caplog, fault_report
) -> None:
    (tmp_path / "drops").mkdir()
    (tmp_path / "drops" / "drop.jsonl").write_bytes((reference["drops"] / "drop.jsonl").read_bytes())
    bucket = s3_server.new_bucket()
    config = s3_config(tmp_path, bucket, s3_server.endpoint)
    root = lake_root(bucket, s3_server.endpoint)
    hook = KILL_POINTS[point](reference)
    s3_server.write_hooks.append(hook)
    try:
        hook.process = start_run(config)
        returncode = hook.process.wait(timeout=600)
    finally:
        s3_server.write_hooks.remove(hook)
    assert hook.killed_at is not None, f"the run ended ({returncode}) before {point!r}: " \
                                       f"{(tmp_path / 'run.log').read_text()[-2000:]}"
    assert returncode == -signal.SIGKILL

    written = {name: table_rows(root, name) for name in DATA_TABLES}
    recorded = [path.name for path in (root / "_state").files()]
    assert written != reference["tables"] or not recorded, f"killed at {point!r} after the night was recorded"
    for name in DATA_TABLES:
        for partition, rows in written[name].items():
            assert rows == reference["tables"][name][partition], f"{name}/{partition} is partial after the kill"
    assert (root / LOCK_FILE).is_file(), "the killed run's lock is left in the bucket"

    with caplog.at_level(logging.WARNING):
        result = nightly(config_path=str(config), run_date=RUN_DATE)
    assert result.status == "success"
    assert "recovering stale lake lock" in caplog.text
    assert not (root / LOCK_FILE).exists()
    scratch = default_scratch(root)
    assert not scratch.is_dir() or not any(scratch.iterdir()), "the killed run's scratch files are removed"
    keys = s3_server.objects(bucket)
    assert not [key for key in keys if ".staging" in key or key.endswith(".tmp")], "nothing temporary in the bucket"
    for name in DATA_TABLES:
        assert table_rows(root, name) == reference["tables"][name], f"{name} differs from an uninterrupted run"

    stored = sum(len(rows) for rows in table_rows(root, "feedback").values())
    quarantined = sum(len(rows) for rows in table_rows(root, "quarantine").values())
    files_in = sum(len(partitions) for partitions in written.values())
    lost = fault_report.record(f"S3 lake: SIGKILL at {point} ({files_in} files in), rerun", ROWS, stored, quarantined)
    assert lost == 0
    assert quarantined == reference["counts"]["bad"]
