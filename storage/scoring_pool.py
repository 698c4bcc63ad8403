"""Batches of texts scored on every core: worker processes that load the model once, results in input order."""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator

import pyarrow as pa
from threadpoolctl import threadpool_limits

from causa.nlp.model import FeedbackModel

logger = logging.getLogger(__name__)

ModelLoader = Callable[[], FeedbackModel]
"""A picklable callable that loads (and verifies) the model in a worker process."""
BatchScorer = Callable[[FeedbackModel, "TextBatch", str], pa.Table]
"""A picklable (module-level) function giving one batch's output rows with a model and a tier."""

BATCHES_IN_FLIGHT_PER_WORKER = 2


@dataclass(frozen=True)
class TextBatch:
    """Consecutive input rows: their texts, language hints (None: detect all) and ids."""

    texts: list[str]
    languages: list[str | None] | None
    ids: list[str]


@dataclass(frozen=True)
class WorkerStart:
    """When a worker process had its model loaded, and how long the load took."""

    pid: int
    ready_at: float
    load_seconds: float


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one, else the CPU count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def scored_tables(batches: Iterable[TextBatch], score: BatchScorer, model: FeedbackModel, tier: str, workers: int,
                  load_model: ModelLoader | None) -> Iterator[pa.Table]:
    """Each batch's output rows, in input order: in this process when `workers` is 1 or there is one batch, else in
    `workers` processes that each load the model with `load_model`."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        return
    second = next(batches, None)
    if workers == 1 or second is None:
        for batch in _chained(first, second, batches):
            yield score(model, batch, tier)
        return
    if load_model is None:
        raise ValueError(f"scoring with {workers} workers needs a model loader for the worker processes")
    yield from _pooled(_chained(first, second, batches), score, tier, workers, load_model)


def _chained(first: TextBatch, second: TextBatch | None, rest: Iterator[TextBatch]) -> Iterator[TextBatch]:
    yield first
    if second is not None:
        yield second
        yield from rest


def _pooled(batches: Iterator[TextBatch], score: BatchScorer, tier: str, workers: int,
            load_model: ModelLoader) -> Iterator[pa.Table]:
    started = time.time()
    pool = ProcessPoolExecutor(workers, mp_context=_process_context(), initializer=_start_worker,
                               initargs=(load_model,))
    pending: deque[Future[tuple[pa.Table, WorkerStart | None]]] = deque()
    try:
        for batch in batches:
            pending.append(pool.submit(_score_in_worker, score, batch, tier))
            if len(pending) >= BATCHES_IN_FLIGHT_PER_WORKER * workers:
                yield _result(pending.popleft(), started)
        while pending:
            yield _result(pending.popleft(), started)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


WORKER_PRELOAD = ["causa.nlp.model", "causa.storage.scoring"]
"""Modules the fork server imports once, so that each worker it forks starts with them (not seconds of imports)."""


def _process_context() -> multiprocessing.context.BaseContext:
    """forkserver where the system has it (no copy of this process's threads or locks), else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    return context


def _result(future: Future[tuple[pa.Table, WorkerStart | None]], pool_started: float) -> pa.Table:
    table, start = future.result()
    if start is not None:
        logger.debug("worker %d ready %.2f s after the pool started (model load %.2f s)", start.pid,
                     start.ready_at - pool_started, start.load_seconds)
    return table


_worker_model: FeedbackModel | None = None
_worker_start: WorkerStart | None = None


def _start_worker(load_model: ModelLoader) -> None:
    """A worker's initializer: one thread for numeric libraries and lingua (the workers are the parallelism: more
    threads per worker would only contend for the same cores), then the model, loaded once for all its batches."""
    global _worker_model, _worker_start
    began = time.perf_counter()
    os.environ["RAYON_NUM_THREADS"] = "1"  # read when lingua's thread pool starts, at its first detection here
    threadpool_limits(1)
    _worker_model = load_model()
    _worker_start = WorkerStart(os.getpid(), time.time(), time.perf_counter() - began)


def _score_in_worker(score: BatchScorer, batch: TextBatch, tier: str) -> tuple[pa.Table, WorkerStart | None]:
    """A batch's rows, and the worker's start (with its first batch only)."""
    global _worker_start
    if _worker_model is None:
        raise RuntimeError("a scoring worker was not started with its model")
    start, _worker_start = _worker_start, None
    return score(_worker_model, batch, tier), start
