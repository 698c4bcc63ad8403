"""The lake lock: one holder at a time, a clear message naming the holder, stale locks recovered."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from causa.storage.lock import LOCK_FILE, LakeLock, LakeLockedError


def write_lock(root, pid: int, host: str, started_at: datetime) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / LOCK_FILE).write_text(
        json.dumps({"pid": pid, "host": host, "started_at": started_at.isoformat(), "purpose": "test", "token": "t0"})
    )


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_second_holder_is_refused_with_the_holder_named(tmp_path) -> None:
    with LakeLock(tmp_path, "first run"):
        with pytest.raises(LakeLockedError) as raised:
            LakeLock(tmp_path, "second run", wait_seconds=0).acquire()
    message = str(raised.value)
    assert f"pid {os.getpid()}" in message and socket.gethostname() in message and "first run" in message
    assert not (tmp_path / LOCK_FILE).exists()


def test_waiting_run_gets_the_lock_when_the_holder_releases(tmp_path) -> None:
    first = LakeLock(tmp_path, "first")
    first.acquire()
    timer = threading.Timer(0.5, first.release)
    timer.start()
    started = time.monotonic()
    with LakeLock(tmp_path, "second", wait_seconds=10) as second:
        waited = time.monotonic() - started
        assert second.read_holder().purpose == "second"
    timer.join()
    assert 0.4 <= waited < 5


def test_lock_of_a_dead_process_on_this_host_is_recovered(tmp_path, caplog) -> None:
    pid = dead_pid()
    write_lock(tmp_path, pid, socket.gethostname(), datetime.now(timezone.utc))
    with caplog.at_level(logging.WARNING, logger="causa.storage.lock"):
        with LakeLock(tmp_path, "recovering", wait_seconds=0) as lock:
            assert lock.read_holder().pid == os.getpid()
    assert f"process {pid} is no longer running" in caplog.text


def test_old_lock_from_another_host_is_recovered_and_a_fresh_one_is_not(tmp_path, caplog) -> None:
    write_lock(tmp_path, 1, "elsewhere", datetime.now(timezone.utc) - timedelta(minutes=5))
    with pytest.raises(LakeLockedError, match="pid 1 on elsewhere"):
        LakeLock(tmp_path, wait_seconds=0.3, stale_after_seconds=3600).acquire()
    write_lock(tmp_path, 1, "elsewhere", datetime.now(timezone.utc) - timedelta(hours=2))
    with caplog.at_level(logging.WARNING, logger="causa.storage.lock"):
        with LakeLock(tmp_path, wait_seconds=0, stale_after_seconds=3600):
            pass
    assert "more than the 3600 s limit" in caplog.text


def test_release_leaves_a_lock_that_was_taken_over(tmp_path) -> None:
    lock = LakeLock(tmp_path)
    lock.acquire()
    write_lock(tmp_path, 1, "elsewhere", datetime.now(timezone.utc))
    lock.release()
    assert json.loads((tmp_path / LOCK_FILE).read_text())["host"] == "elsewhere"


def test_only_one_of_many_racing_threads_holds_the_lock_at_a_time(tmp_path) -> None:
    inside = []
    overlaps = []

    def worker() -> None:
        with LakeLock(tmp_path, wait_seconds=30):
            inside.append(1)
            if len(inside) > 1:
                overlaps.append(len(inside))
            time.sleep(0.01)
            inside.pop()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == []
    assert not (tmp_path / LOCK_FILE).exists()


def test_bad_limits_are_named(tmp_path) -> None:
    with pytest.raises(ValueError, match="wait_seconds"):
        LakeLock(tmp_path, wait_seconds=-1)
    with pytest.raises(ValueError, match="stale_after_seconds"):
        LakeLock(tmp_path, stale_after_seconds=0)


def test_staging_files_of_dead_writers_are_discarded_and_live_ones_kept(tmp_path) -> None:
    from causa.storage.lake import Lake
    from causa.storage.layout import STAGING_DIR

    staging = tmp_path / STAGING_DIR
    staging.mkdir()
    dead = staging / f"feedback-{dead_pid()}-abc123.parquet"
    live = staging / f"feedback-{os.getpid()}-def456.parquet"
    dead.write_bytes(b"half a file")
    live.write_bytes(b"being written")
    assert Lake(tmp_path).discard_staging() == 1
    assert not dead.exists() and live.exists()
