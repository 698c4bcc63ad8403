"""The lake lock as an object in the bucket (moto's S3 server on 127.0.0.1): of two processes racing for it exactly
one holds it and the other is refused naming the holder; stale locks are recovered as locally, and a lock that
changed after it was read is never removed."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from causa.errors import EXIT_LOCKED
from causa.storage.filesystem import LakeLocationError, RemotePath
from causa.storage.layout import LOCK_FILE
from causa.storage.lock import LakeLock, LakeLockedError, LockHolder
from causa.storage.object_lock import ObjectStoreLock, lake_lock

RACER = """
import sys, time
from pathlib import Path
from causa.storage.filesystem import RemotePath
from causa.storage.lock import LakeLockedError
from causa.storage.object_lock import lake_lock

root, endpoint, start, folder = sys.argv[1], sys.argv[2], float(sys.argv[3]), Path(sys.argv[4])
lock = lake_lock(RemotePath(root, {"endpoint_override": endpoint, "region": "us-east-1"}), "racer", wait_seconds=0)
lock.read_holder()  # connected before the start
time.sleep(max(start - time.time(), 0))
try:
    lock.acquire()
except LakeLockedError as error:
    print(error, flush=True)
    sys.exit(error.exit_code)
print("held", flush=True)
while not (folder / "release").exists():
    time.sleep(0.05)
lock.release()
"""


@pytest.fixture()
def bucket(s3_server) -> str:
    return s3_server.new_bucket()


@pytest.fixture()
def root(s3_server, bucket) -> RemotePath:
    return RemotePath(f"s3://{bucket}/lake", s3_server.options)


def lock_object(s3_server, bucket: str) -> dict | None:
    """The lock object's JSON, or None when there is none."""
    client = s3_server.client()
    try:
        return json.loads(client.get_object(Bucket=bucket, Key=f"lake/{LOCK_FILE}")["Body"].read())
    except client.exceptions.NoSuchKey:
        return None


def put_holder(s3_server, bucket: str, pid: int, host: str, age: timedelta, token: str = "theirs") -> None:
    holder = LockHolder(pid, host, datetime.now(timezone.utc) - age, "an earlier run", token)
    s3_server.client().put_object(Bucket=bucket, Key=f"lake/{LOCK_FILE}", Body=holder.to_json().encode())


def dead_pid() -> int:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    return finished.pid


def test_of_two_processes_racing_for_the_lock_one_holds_it_and_the_other_is_refused_naming_it(
    s3_server, bucket, root, tmp_path: Path
) -> None:
    start = time.time() + 6
    racers = [
        subprocess.Popen([sys.executable, "-c", RACER, root.uri, s3_server.endpoint, str(start), str(tmp_path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 120
        while all(racer.poll() is None for racer in racers) and time.monotonic() < deadline:
            time.sleep(0.1)
        loser = next(racer for racer in racers if racer.poll() is not None)
        winner = next(racer for racer in racers if racer is not loser)
        refused, errors = loser.communicate(timeout=5)
        assert loser.returncode == EXIT_LOCKED, errors
        held = lock_object(s3_server, bucket)
        assert held is not None and held["pid"] == winner.pid and held["purpose"] == "racer"
        assert f"is locked by another run: pid {winner.pid} on {socket.gethostname()} (racer)" in refused
        assert f"delete s3://{bucket}/lake/{LOCK_FILE}" in refused
    finally:
        (tmp_path / "release").touch()
        for racer in racers:
            racer.wait(timeout=60)
    printed, errors = winner.communicate()
    assert winner.returncode == 0, errors
    assert printed.strip() == "held"
    assert lock_object(s3_server, bucket) is None, "the holder removes its lock"
    with lake_lock(root, "after the race", wait_seconds=0):
        assert lock_object(s3_server, bucket)["purpose"] == "after the race"


def test_a_lock_of_a_dead_process_on_this_host_is_recovered(s3_server, bucket, root, caplog) -> None:
    pid = dead_pid()
    put_holder(s3_server, bucket, pid, socket.gethostname(), timedelta(seconds=1))
    with caplog.at_level(logging.WARNING):
        with lake_lock(root, "recovering", wait_seconds=0) as lock:
            assert isinstance(lock, ObjectStoreLock)
            assert lock_object(s3_server, bucket)["token"] == lock.holder.token
    assert f"process {pid} is no longer running" in caplog.text
    assert lock_object(s3_server, bucket) is None


def test_a_live_lock_from_another_host_is_respected_until_it_is_stale(s3_server, bucket, root) -> None:
    put_holder(s3_server, bucket, 1, "elsewhere", timedelta(hours=1))
    with pytest.raises(LakeLockedError, match="pid 1 on elsewhere") as refused:
        lake_lock(root, wait_seconds=0.3, stale_after_seconds=3 * 3600).acquire()
    assert refused.value.exit_code == EXIT_LOCKED
    assert lock_object(s3_server, bucket)["host"] == "elsewhere", "a live lock is left in place"

    put_holder(s3_server, bucket, 1, "elsewhere", timedelta(hours=13))
    with lake_lock(root, "after the stale one", wait_seconds=0) as lock:
        assert lock_object(s3_server, bucket)["token"] == lock.holder.token


def test_a_stale_lock_replaced_after_it_was_read_is_not_removed(s3_server, bucket, root) -> None:
    put_holder(s3_server, bucket, dead_pid(), socket.gethostname(), timedelta(seconds=1), token="stale")
    lock = ObjectStoreLock(root, wait_seconds=0)
    seen = lock.read_holder()
    assert seen is not None and seen.token == "stale"
    put_holder(s3_server, bucket, os.getpid(), socket.gethostname(), timedelta(0), token="retaken")
    lock._remove_if_unchanged(seen)
    assert lock_object(s3_server, bucket)["token"] == "retaken", "the lock another run took meanwhile stays"


def test_a_lock_taken_over_is_not_removed_by_its_former_holder(s3_server, bucket, root) -> None:
    lock = lake_lock(root, "first", wait_seconds=0)
    lock.acquire()
    put_holder(s3_server, bucket, 1, "elsewhere", timedelta(0), token="new holder")
    lock.release()
    assert lock_object(s3_server, bucket)["token"] == "new holder"


def test_which_lock_a_root_gets(tmp_path: Path, root) -> None:
    assert type(lake_lock(tmp_path)) is LakeLock
    assert type(lake_lock(root)) is ObjectStoreLock
    with pytest.raises(LakeLocationError, match="set lake.lock_dir"):
        lake_lock(RemotePath("memory://bucket/lake"))
