"""A night whose lake disk fills up: the run fails clearly, the lake keeps its rows, and a rerun after freeing space
lands the night."""

from __future__ import annotations

import os
import re
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Iterator

import duckdb
import pytest

from tests.reliability.lakes import RUN_DATE, generate_source, rows_of, run_command, subprocess_env, write_config

pytestmark = pytest.mark.reliability

DISK_BYTES = 4 * 1024 * 1024
LEFT_FREE = 64 * 1024
NEXT_NIGHT = RUN_DATE + timedelta(days=1)


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MiB tmpfs mounted at `tmp_path/lake` (mounting needs root, or CAP_SYS_ADMIN in a container)."""
    mount_point = tmp_path / "lake"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a size-limited tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def drop_night(folder: Path, name: str, rows: int, days: int, seed: int) -> None:
    """A JSONL drop named `name` whose ids start with its name, so nights never share ids."""
    generate_source(folder, rows, days, seed=seed, bad_every=0)
    text = (folder / "drop.jsonl").read_text(encoding="utf-8").replace('"item-', f'"{name}-')
    (folder / f"{name}.jsonl").write_text(text, encoding="utf-8")
    (folder / "drop.jsonl").unlink()


def causa_run(config: Path, night) -> subprocess.CompletedProcess:
    return subprocess.run(run_command(config, night), env=subprocess_env(), cwd=config.parent,
                          capture_output=True, text=True, timeout=300)


def test_a_full_lake_disk_fails_the_night_clearly_and_a_rerun_lands_it(
    prefect_server, small_disk: Path, tmp_path: Path, fault_report
) -> None:
    """The lake lives on a 4 MiB tmpfs (`mount -t tmpfs -o size=...`, allowed to root here); a filler file leaves it
    64 KiB free, far less than the second night's rows need, so its writes fail with ENOSPC."""
    lake, drops = small_disk, tmp_path / "drops"
    config = write_config(tmp_path)
    drop_night(drops, "first", rows=300, days=5, seed=1)
    first = causa_run(config, RUN_DATE)
    assert first.returncode == 0, first.stdout + first.stderr
    before = {table: rows_of(lake, table) for table in ("feedback", "scored", "daily_summary")}
    assert len(before["feedback"]) == 300

    disk = os.statvfs(lake)
    filler = lake / "filler"
    filler.write_bytes(b"\0" * (disk.f_bavail * disk.f_frsize - LEFT_FREE))
    drop_night(drops, "second", rows=3000, days=8, seed=2)  # overlaps the first night's dates: partitions rewrite
    full = causa_run(config, NEXT_NIGHT)
    output = full.stdout + full.stderr
    assert full.returncode == 1, output
    failure = re.search(rf"cannot write \w+ (rows for [-\d]+ staged in|partition) {re.escape(str(lake))}/\S+: "
                        r"No space left on device; free space on the lake's disk", output)
    assert failure, output
    assert "Traceback" not in output
    assert {table: rows_of(lake, table) for table in before} == before, "the failed night changed stored rows"

    filler.unlink()
    rerun = causa_run(config, NEXT_NIGHT)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    with duckdb.connect() as db:
        ids = [row[0] for row in db.execute(f"select feedback_id from read_parquet('{lake}/feedback/*/*.parquet')").fetchall()]
        [(summed,)] = db.execute(f"select sum(n_feedback) from read_parquet('{lake}/daily_summary/*/*.parquet')").fetchall()
    assert len(ids) == len(set(ids)) == 3300 and summed == 3300
    quarantined = len(rows_of(lake, "quarantine"))
    assert fault_report.record("a full lake disk, then a rerun with space", 3300, len(ids), quarantined) == 0
