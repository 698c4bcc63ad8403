"""The nightly flow on a Dask cluster (prefect-dask) lands the same tables, row for row, as the local run."""

from __future__ import annotations

import logging
import socket
from datetime import date
from pathlib import Path

import distributed
import pytest
from distributed import Client, LocalCluster

from causa.pipelines.cli import main
from causa.pipelines.executors import ExecutorError, check_cluster, task_runner
from causa.pipelines.flows import run_nightly
from causa.pipelines.settings import EXECUTORS, SettingsError, default_config_path, parse_settings
from causa.storage.schemas import FEEDBACK, QUARANTINE, SCORED
from tests.pipelines.lake_tables import DATA_TABLES, table_rows

pytestmark = pytest.mark.usefixtures("prefect_server")
RUN_DATE = date(2026, 11, 20)
SMALL_BATCHES = "\n[run]\nbatch_rows = 100\n"
"""The sample's records (hundreds per source) in several scoring batches per source, so both workers get batches."""
ONE_SOURCE = [{"name": "s", "kind": "files", "path": "x.csv", "channel": "review",
               "fields": {"id": "id", "text": "text", "created_at": "created_at"}}]


def make_config(folder: Path, run_table: str = "") -> Path:
    """The packaged sample configuration with its lake in `folder`, plus an optional [run] table."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "causa.toml"
    config.write_text(default_config_path().read_text(encoding="utf-8") + run_table, encoding="utf-8")
    return config


def completed_on_workers(address: str) -> dict[str, int]:
    """Per task name (Dask key prefix), how many tasks the cluster's scheduler has seen finish on its workers."""

    def finished(dask_scheduler) -> dict[str, int]:
        return {name: prefix.state_counts.get("memory", 0) for name, prefix in dask_scheduler.task_prefixes.items()}

    with Client(address, set_as_default=False) as client:
        return client.run_on_scheduler(finished)


@pytest.fixture(scope="module")
def cluster():
    """A two-worker Dask cluster of separate processes on 127.0.0.1, as a remote cluster would be."""
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=":0"
    ) as local:
        yield local


@pytest.fixture(scope="module")
def local_lake(tmp_path_factory) -> Path:
    """The sample night run with the local executor (the reference tables)."""
    config = make_config(tmp_path_factory.mktemp("local"), SMALL_BATCHES)
    assert main(["run", "--config", str(config), "--date", RUN_DATE.isoformat(), "--executor", "local"]) == 0
    return config.parent / "lake"


def test_dask_cluster_run_equals_local_run(cluster, local_lake: Path, tmp_path: Path) -> None:
    config = make_config(tmp_path / "dask", SMALL_BATCHES)
    address = cluster.scheduler_address
    before = completed_on_workers(address)
    code = main(["run", "--config", str(config), "--date", RUN_DATE.isoformat(), "--executor", "dask",
                 "--dask-address", address])
    assert code == 0
    done = completed_on_workers(address)
    ran = {name: count - before.get(name, 0) for name, count in done.items() if count > before.get(name, 0)}
    assert ran.get("score", 0) >= 5, f"the scoring batches did not all reach the Dask workers; finished there: {ran}"

    dask_lake = config.parent / "lake"
    for spec in DATA_TABLES:
        local_rows = table_rows(local_lake, spec)
        assert table_rows(dask_lake, spec) == local_rows, f"table {spec.name} differs between dask and local runs"
    assert table_rows(local_lake, FEEDBACK), "the sample night stored no feedback"
    assert table_rows(local_lake, QUARANTINE), "the sample night quarantined nothing"


class Messages(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class RecordingCluster(LocalCluster):
    """A real LocalCluster that remembers, as it shuts down, how many tasks of each name finished on its workers."""

    created: list[RecordingCluster] = []

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.worker_count = len(self.workers)
        self.finished: dict[str, int] = {}
        RecordingCluster.created.append(self)

    def __exit__(self, *exc_info) -> None:
        self.finished = {name: p.state_counts.get("memory", 0) for name, p in self.scheduler.task_prefixes.items()}
        super().__exit__(*exc_info)


def test_dask_without_address_starts_a_local_cluster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`[run] executor = "dask"` without an address: a temporary LocalCluster scores the night (a small one here)."""
    from causa.pipelines.settings import sample_root

    lines = (sample_root() / "store_reviews" / "reviews_en.csv").read_text(encoding="utf-8").splitlines()[:13]
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "reviews.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = tmp_path / "causa.toml"
    config.write_text(
        '[run]\nexecutor = "dask"\n\n[[sources]]\nname = "reviews"\nkind = "files"\npath = "in/*.csv"\n'
        'channel = "review"\n[sources.fields]\nid = "review_id"\ntext = "text"\ncreated_at = "created_at"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(distributed, "LocalCluster", RecordingCluster)
    RecordingCluster.created.clear()
    result = run_nightly(config_path=str(config), run_date=RUN_DATE)
    assert result.status == "success"
    [cluster] = RecordingCluster.created
    assert cluster.worker_count >= 1 and cluster.finished.get("score", 0) >= 1, cluster.finished
    feedback = table_rows(tmp_path / "lake", FEEDBACK)
    scored = table_rows(tmp_path / "lake", SCORED)
    assert len(feedback) == 12 and [row[0] for row in scored] == [row[0] for row in feedback]


def test_task_runner_kinds() -> None:
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    assert isinstance(task_runner("local"), ThreadPoolTaskRunner)
    remote = task_runner("dask", "tcp://10.1.2.3:8786")
    assert isinstance(remote, DaskTaskRunner) and remote.address == "tcp://10.1.2.3:8786"
    local = task_runner("dask")
    assert isinstance(local, DaskTaskRunner) and local.address is None
    assert local.cluster_kwargs["processes"] is True and local.cluster_kwargs["threads_per_worker"] == 1


def cli_errors(argv: list[str]) -> tuple[int, list[str]]:
    """`causa` exit status and the messages it logged on the `causa` logger."""
    handler = Messages()
    cli_logger = logging.getLogger("causa")
    cli_logger.addHandler(handler)
    try:
        return main(argv), handler.messages
    finally:
        cli_logger.removeHandler(handler)


def test_bad_executor_values_are_named(tmp_path: Path) -> None:
    with pytest.raises(ExecutorError, match="'spark'"):
        task_runner("spark")
    with pytest.raises(ExecutorError, match="tcp://10.1.2.3:8786"):
        task_runner("local", "tcp://10.1.2.3:8786")
    with pytest.raises(SettingsError, match="run.executor .*'ray'"):
        parse_settings({"run": {"executor": "ray"}, "sources": ONE_SOURCE})
    with pytest.raises(SettingsError, match=r"\[run\]: unknown settings \['workers'\]"):
        parse_settings({"run": {"workers": 4}, "sources": ONE_SOURCE})
    settings = parse_settings({"run": {"executor": "dask", "dask_address": "tcp://h:8786"}, "sources": ONE_SOURCE})
    assert (settings.executor, settings.dask_address) == ("dask", "tcp://h:8786")
    assert parse_settings({"sources": ONE_SOURCE}).executor == "local"
    config = make_config(tmp_path / "bad")
    code, messages = cli_errors(["run", "--config", str(config), "--executor", "spark"])
    assert (code, messages) == (2, [f"executor must be one of {list(EXECUTORS)}, got 'spark'"])
    assert not (tmp_path / "bad" / "lake" / "feedback").exists()


def test_unreachable_scheduler_is_named(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(ExecutorError, match=f"cannot reach the Dask scheduler at '{address}'"):
        check_cluster(address, timeout=2)
    config = make_config(tmp_path / "unreachable")
    code, messages = cli_errors(["run", "--config", str(config), "--dask-address", address])
    assert code == 2 and len(messages) == 1 and f"cannot reach the Dask scheduler at '{address}'" in messages[0]
    assert not (tmp_path / "unreachable" / "lake" / "feedback").exists()


def test_cluster_check_reports_workers(cluster) -> None:
    from importlib.metadata import version

    versions = check_cluster(cluster.scheduler_address)
    assert len(versions) == 2 and set(versions.values()) == {version("causa-feedback")}
