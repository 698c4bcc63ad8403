"""How far the nightly flow has got, told to whoever listens in this process (`causa run`'s progress display).

Under `causa serve`, or in a worker process, nobody listens and telling costs a list lookup."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator

_listeners: list[Callable[[str], None]] = []
_lock = threading.Lock()


@contextmanager
def listening(step: Callable[[str], None]) -> Iterator[None]:
    """Calls `step` with each stage the nightly flow tells of while the block runs."""
    with _lock:
        _listeners.append(step)
    try:
        yield
    finally:
        with _lock:
            _listeners.remove(step)


def tell(text: str) -> None:
    """Passes `text` (a stage, or a source's counts so far) to every listener."""
    with _lock:
        listeners = list(_listeners)
    for step in listeners:
        step(text)
