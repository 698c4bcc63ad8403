"""Where the nightly flow's submitted tasks run: threads, local worker processes, or a Dask cluster."""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from causa.nlp.versions import installed_version
from causa.pipelines.errors import PipelineError
from causa.pipelines.settings import EXECUTORS

if TYPE_CHECKING:
    from causa.pipelines.settings import Settings

logger = logging.getLogger(__name__)

LOCAL, PROCESSES, DASK = EXECUTORS
CONNECT_TIMEOUT_SECONDS = 10.0


class ExecutorError(PipelineError, ValueError):
    """A bad executor setting or an unusable Dask cluster; the message names the value."""


def check_executor(executor: str) -> str:
    """`executor` if it is one of EXECUTORS, else an ExecutorError naming it."""
    if executor not in EXECUTORS:
        raise ExecutorError(f"executor must be one of {list(EXECUTORS)}, got {executor!r}")
    return executor


def local_cluster_kwargs(n_workers: int | None = None) -> dict[str, Any]:
    """A LocalCluster on this machine: one single-threaded worker process per core, so batches score in parallel.

    One thread per worker: scoring holds the GIL for much of its time, and each worker process loads the model
    once (causa.storage.model_versions caches it per process).
    """
    workers = n_workers if n_workers is not None else max(1, os.cpu_count() or 1)
    return {
        "n_workers": workers,
        "threads_per_worker": 1,
        "processes": True,
        "host": "127.0.0.1",
        "dashboard_address": ":0",
    }


def scoring_processes() -> int:
    """Worker processes for "processes": every core but the one the flow itself reads, validates and writes on."""
    return max(1, (os.cpu_count() or 1) - 1)


def task_runner(executor: str, address: str | None = None) -> TaskRunner:
    """The Prefect task runner for `executor`: a thread pool for "local", a process pool for "processes",
    prefect-dask's DaskTaskRunner for "dask".

    For "dask", `address` (e.g. ``tcp://10.0.0.5:8786``) is the scheduler of an existing cluster; without it a
    temporary LocalCluster is started for the run and shut down after it.
    """
    check_executor(executor)
    if address and executor != DASK:
        raise ExecutorError(f"a Dask scheduler address ({address!r}) needs executor 'dask', got {executor!r}")
    if executor == LOCAL:
        return ThreadPoolTaskRunner()
    if executor == PROCESSES:
        return ProcessPoolTaskRunner(max_workers=scoring_processes())
    from prefect_dask import DaskTaskRunner

    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(cluster_class="distributed.LocalCluster", cluster_kwargs=local_cluster_kwargs())


def check_cluster(address: str, timeout: float = CONNECT_TIMEOUT_SECONDS) -> dict[str, str | None]:
    """Connects to the Dask scheduler at `address` and returns each worker's installed causa version.

    Raises ExecutorError naming the address when it cannot be reached or has no workers, and naming the workers
    on which causa is missing or differs from this machine's version (they would score with other code).
    """
    from distributed import Client

    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as error:
        raise ExecutorError(f"cannot reach the Dask scheduler at {address!r}: {error}") from error

    def worker_code_version() -> str | None:
        """On a worker: its installed causa version, None when missing (nested, so it is pickled by value)."""
        try:
            import causa.storage.model_versions  # noqa: F401  (the scoring task needs it importable)
            from causa.nlp.versions import installed_version
        except ImportError:
            return None
        return installed_version()

    with client:
        versions = client.run(worker_code_version)
    if not versions:
        raise ExecutorError(f"the Dask cluster at {address!r} has no workers")
    expected = installed_version()
    missing = sorted(worker for worker, found in versions.items() if found is None)
    if missing:
        raise ExecutorError(f"causa is not installed on Dask workers {missing} of {address!r}")
    differing = {worker: found for worker, found in versions.items() if found != expected}
    if differing:
        raise ExecutorError(f"Dask workers of {address!r} run causa {differing}, this machine {expected!r}")
    return versions


def chosen_executor(settings: Settings, executor: str | None, dask_address: str | None) -> tuple[str, str | None]:
    """(executor, Dask address) from the arguments, else from `[run]` in causa.toml; --dask-address implies dask."""
    chosen = check_executor(executor or (DASK if dask_address else settings.executor))
    return chosen, dask_address or (settings.dask_address if chosen == DASK else None)


def runner_for(settings: Settings, executor: str | None = None, dask_address: str | None = None) -> TaskRunner:
    """The task runner a night scores its batches on; an existing Dask cluster is checked first."""
    chosen, address = chosen_executor(settings, executor, dask_address)
    if chosen == DASK and address:
        workers = check_cluster(address)
        logger.info("running on the Dask cluster at %s (%d workers)", address, len(workers))
        warn_unreachable_api(workers)
    elif chosen == DASK:
        logger.info("running on a temporary local Dask cluster (%d workers)", local_cluster_kwargs()["n_workers"])
    return task_runner(chosen, address)


def warn_unreachable_api(workers: dict[str, str | None]) -> None:
    """Warns, when no Prefect API is configured, that the workers of an existing cluster report to this run's
    temporary API: it stops with the run while the workers live on, and it listens on 127.0.0.1 only."""
    from urllib.parse import urlsplit

    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        return
    remote = sorted(w for w in workers if urlsplit(w).hostname not in ("127.0.0.1", "localhost", "::1"))
    unreachable = f"; workers {remote} on other hosts cannot reach it at all" if remote else ""
    logger.warning(
        "PREFECT_API_URL is not set: this run's Prefect API is a temporary one on 127.0.0.1 that stops with the "
        "run, while the Dask workers live on and keep reporting task runs to the first API they were sent (a later "
        "night's task runs go to this one's stopped API)%s; set PREFECT_API_URL to a Prefect server the workers "
        "can reach that outlives the runs", unreachable,
    )


@contextmanager
def shared_api(executor: str) -> Iterator[None]:
    """Worker processes report to the run's Prefect API: without a configured one, one temporary server for all.

    Left alone, each spawned worker would start a Prefect server of its own.
    """
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if executor == LOCAL or PREFECT_API_URL.value():
        yield
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()
    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        yield
