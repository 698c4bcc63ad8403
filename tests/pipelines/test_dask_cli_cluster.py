"""`causa run --dask-address` on a cluster started from the command line (`dask scheduler`, two `dask worker`s):
the night lands the same tables as a local run of the same configuration, also when a worker is killed while it
scores a batch of the night."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest
from distributed import Client

from causa.pipelines.cli import main
from causa.pipelines.settings import default_config_path, sample_root
from causa.storage.schemas import FEEDBACK, QUARANTINE, RUNS
from tests.pipelines.dask_processes import CommandLineCluster, process_environment, stop_group, venv_script
from tests.pipelines.lake_tables import DATA_TABLES, table_rows

pytestmark = pytest.mark.usefixtures("prefect_server")

RUN_DATE = date(2026, 11, 20)
WORKERS = ("w1", "w2")
RECORDS_PER_FILE = 30
BATCH_ROWS = 25
SCORING_BATCHES = 20
"""The three file sources read 5 files of RECORDS_PER_FILE records each: 150 records, so 6 batches of BATCH_ROWS per
source; the tickets table keeps RECORDS_PER_FILE tickets: 2 batches."""
NIGHT_TIMEOUT_SECONDS = 300.0
RUN_RECORD_SAME = ("flow", "status", "rows_in", "rows_quarantined", "rows_stored", "rows_changed", "source_counts",
                   "model_version", "code_version", "schema_version")
"""The columns of a run's record that do not depend on when and from which configuration file it ran."""


def sample_copy(folder: Path) -> Path:
    """The bundled sample configuration over a copy of the sample files cut to their first RECORDS_PER_FILE
    records each (tickets too), scored in batches of BATCH_ROWS; returns its causa.toml (its lake is
    `folder`/lake)."""
    for source_file in sorted(sample_root().glob("*/*")):
        copy = folder / "sample" / source_file.parent.name / source_file.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source_file.suffix == ".sqlite":
            shutil.copyfile(source_file, copy)
            with closing(sqlite3.connect(copy)) as db, db:
                db.execute("delete from tickets where ticket_id not in "
                           f"(select ticket_id from tickets order by opened_at limit {RECORDS_PER_FILE})")
        elif source_file.suffix in (".csv", ".jsonl"):
            lines = source_file.read_text(encoding="utf-8").splitlines()
            header = 1 if source_file.suffix == ".csv" else 0
            copy.write_text("\n".join(lines[: header + RECORDS_PER_FILE]) + "\n", encoding="utf-8")
    config_text = default_config_path().read_text(encoding="utf-8")
    assert (config_text.count('path = "sample:'), config_text.count("sqlite:///sample:")) == (3, 1), \
        "the sample configuration no longer reads three sample folders and the tickets database"
    config = folder / "causa.toml"
    run_table = f"\n[run]\nbatch_rows = {BATCH_ROWS}\n"
    copied = config_text.replace('path = "sample:', 'path = "sample/').replace("sqlite:///sample:", "sqlite:///sample/")
    config.write_text(copied + run_table, encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def local_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The reference: the same night with the local executor, into a lake of its own."""
    config = sample_copy(tmp_path_factory.mktemp("local"))
    assert main(["run", "--config", str(config), "--date", RUN_DATE.isoformat(), "--executor", "local"]) == 0
    lake = config.parent / "lake"
    assert len(table_rows(lake, FEEDBACK)) > 400 and table_rows(lake, QUARANTINE), "the sample copy lost its rows"
    return lake


@pytest.fixture()
def cluster(tmp_path: Path):
    """A scheduler and two single-threaded workers, each started with `dask` from this venv; ended after the test."""
    folder = tmp_path / "cluster"
    folder.mkdir()
    started = CommandLineCluster(folder)
    try:
        started.start(WORKERS, process_environment())
        yield started
    finally:
        started.close()


@dataclass(frozen=True)
class Exited:
    code: int
    stdout: str
    stderr: str


def start_night(config: Path, address: str, environment: dict[str, str]) -> subprocess.Popen:
    """`causa run --dask-address` as a user types it, in a process group of its own; its output goes to files
    next to the configuration (a pipe left unread would stall it)."""
    command = [str(venv_script("causa")), "run", "--config", str(config), "--date", RUN_DATE.isoformat(),
               "--dask-address", address]
    with open(config.parent / "night.out", "wb") as stdout, open(config.parent / "night.err", "wb") as stderr:
        return subprocess.Popen(command, stdout=stdout, stderr=stderr, env=environment, cwd=config.parent,
                                start_new_session=True)


def night_output(config: Path) -> str:
    """What the night wrote to its standard error (the log) so far."""
    return (config.parent / "night.err").read_text(encoding="utf-8", errors="replace")


def finish_night(night: subprocess.Popen, config: Path) -> Exited:
    """Waits for the night; its group (a temporary Prefect API it started, say) is ended whatever happens."""
    try:
        night.wait(timeout=NIGHT_TIMEOUT_SECONDS)
    finally:
        stop_group(night)
    return Exited(night.returncode, (config.parent / "night.out").read_text(encoding="utf-8"), night_output(config))


def run_night(config: Path, address: str, environment: dict[str, str]) -> Exited:
    return finish_night(start_night(config, address, environment), config)


def run_record(lake: Path) -> list[tuple]:
    """The run's record in the runs table, without its id, times and parameters (the configuration's path)."""
    with duckdb.connect() as con:
        return con.execute(
            f"select {', '.join(RUN_RECORD_SAME)} from read_parquet('{lake / RUNS.name}/*/*.parquet', "
            "hive_partitioning = true)"
        ).fetchall()


def assert_same_tables(lake: Path, reference: Path) -> None:
    for spec in DATA_TABLES:
        assert table_rows(lake, spec) == table_rows(reference, spec), f"table {spec.name} differs from the local run's"
    assert run_record(lake) == run_record(reference)
    assert [row[1] for row in run_record(lake)] == ["success"]


def scoring_batches_by_worker(cluster: CommandLineCluster, client: Client) -> dict[str, int]:
    """Per worker name, how many scoring tasks finished on it (from each worker's own transition log)."""

    def finished_scoring(dask_worker) -> int:
        return len({entry[0] for entry in dask_worker.state.log
                    if len(entry) == 7 and str(entry[0]).startswith("score-") and entry[3] == "memory"})

    names = cluster.worker_names(client)
    return {names[address]: count for address, count in client.run(finished_scoring).items()}


def test_command_line_cluster_night_equals_local_night(cluster, local_lake: Path, tmp_path: Path) -> None:
    """Without PREFECT_API_URL, as the README's commands run it: the night starts its own temporary Prefect API."""
    config = sample_copy(tmp_path / "night")
    night = run_night(config, cluster.address, process_environment())
    assert night.code == 0, f"causa run exited {night.code}:\n{night.stderr[-4000:]}"
    assert night.stdout.startswith("run ") and ": success (model " in night.stdout.splitlines()[0], night.stdout
    assert f"running on the Dask cluster at {cluster.address} (2 workers)" in night.stderr
    assert "PREFECT_API_URL is not set" in night.stderr, "no warning that the workers outlive the temporary API"
    with cluster.client() as client:
        batches = scoring_batches_by_worker(cluster, client)
    assert set(batches) == set(WORKERS) and all(batches.values()), f"a worker scored nothing: {batches}"
    assert sum(batches.values()) == SCORING_BATCHES, batches
    assert_same_tables(config.parent / "lake", local_lake)


def scoring_on_a_worker(client: Client, night: subprocess.Popen, config: Path) -> tuple[str, str]:
    """(worker address, task key) as soon as the scheduler has a scoring task of the night processing on a worker."""
    deadline = time.monotonic() + NIGHT_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        for address, keys in client.processing().items():
            scoring = [key for key in keys if str(key).startswith("score-")]
            if scoring:
                return address, scoring[0]
        if night.poll() is not None:
            raise AssertionError(f"the night ended before scoring on the cluster:\n{night_output(config)[-4000:]}")
        time.sleep(0.02)
    raise TimeoutError(f"no scoring task reached a worker in {NIGHT_TIMEOUT_SECONDS} s")


def times_processing(client: Client, key: str) -> int:
    """How many times the scheduler sent `key` to a worker to compute."""

    def story(dask_scheduler) -> list[str]:
        return [transition[2] for transition in dask_scheduler.story(key)]

    return client.run_on_scheduler(story).count("processing")


def test_night_survives_a_worker_killed_while_scoring(cluster, local_lake: Path, tmp_path: Path) -> None:
    """A worker lost mid-night: Dask scores its batches again on the other worker, and the night lands the same
    tables (scoring only computes; the flow process stages and writes). With PREFECT_API_URL set, as the README
    asks for an existing cluster."""
    from prefect.settings import PREFECT_API_URL

    config = sample_copy(tmp_path / "night")
    night = start_night(config, cluster.address, process_environment(PREFECT_API_URL=PREFECT_API_URL.value()))
    try:
        with cluster.client() as client:
            names = cluster.worker_names(client)
            victim, key = scoring_on_a_worker(client, night, config)
            cluster.kill_worker(names[victim])
            exited = finish_night(night, config)
            assert exited.code == 0, f"causa run exited {exited.code}:\n{exited.stderr[-4000:]}"
            assert set(cluster.worker_names(client).values()) == set(WORKERS) - {names[victim]}
            assert times_processing(client, key) >= 2, f"{key} was not scored again after its worker was killed"
    finally:
        stop_group(night)
    assert "PREFECT_API_URL is not set" not in exited.stderr
    assert_same_tables(config.parent / "lake", local_lake)
