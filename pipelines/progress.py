"""Progress for long commands on a terminal, nothing when the stream is not one (a pipe, a file, a cron log).

`score_progress` counts rows (and docs/s); `step_progress` shows what a command is doing now (a stage, a count)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, ContextManager, Iterator, TextIO

Advance = Callable[[int], None]
Step = Callable[[str], None]
"""Called with what a command is doing now, such as "source shop: 1,200 read, 1,180 stored"."""

REDRAW_SECONDS = 0.2


@contextmanager
def score_progress(stream: TextIO, total: int | None = None) -> Iterator[Advance]:
    """A function to call with each batch's row count: it redraws a bar (rich's when installed, else one line updated
    in place) on `stream` when that is a terminal, and does nothing otherwise (a pipe, a file, a CI log)."""
    with _on_terminal(stream, lambda: _rich_progress(stream, total), lambda: _line_progress(stream, total)) as advance:
        yield advance


@contextmanager
def step_progress(stream: TextIO, label: str) -> Iterator[Step]:
    """A function to call with what the command `label` is doing now (a few times a second at most): on a terminal it
    shows "label: text" at once (after rich's spinner when installed, else one line updated in place) until the block
    ends; elsewhere it does nothing."""
    with _on_terminal(stream, lambda: _rich_steps(stream, label), lambda: _line_steps(stream, label)) as step:
        yield step


@contextmanager
def _on_terminal(stream: TextIO, rich_display: Callable[[], ContextManager[Callable]],
                 line_display: Callable[[], ContextManager[Callable]]) -> Iterator[Callable]:
    """The update function of rich's display on a terminal (of the plain line's when rich is not installed); one that
    does nothing when `stream` is not a terminal."""
    if not stream.isatty():
        yield _ignore
        return
    with (rich_display() if _rich_installed() else line_display()) as update:
        yield update


def _rich_installed() -> bool:
    try:
        import rich.progress  # noqa: F401  (only the check: rich comes with Prefect but is not promised)
    except ImportError:
        return False
    return True


def _ignore(progress: int | str) -> None:
    """No progress to show."""


def rate_text(rows: int, seconds: float) -> str:
    """Rows done and their rate, such as "12,345 rows, 3,210 docs/s"."""
    rate = rows / seconds if seconds > 0 else 0.0
    return f"{rows:,} rows, {rate:,.0f} docs/s"


@contextmanager
def _line_progress(stream: TextIO, total: int | None) -> Iterator[Advance]:
    started = time.perf_counter()
    done = 0
    drawn_at = 0.0

    def draw() -> None:
        share = f" of {total:,} ({done / total:.0%})" if total else ""
        stream.write(f"\rscoring: {rate_text(done, time.perf_counter() - started)}{share}\033[K")
        stream.flush()

    def advance(rows: int) -> None:
        nonlocal done, drawn_at
        done += rows
        now = time.perf_counter()
        if now - drawn_at >= REDRAW_SECONDS:
            drawn_at = now
            draw()

    try:
        yield advance
    finally:
        draw()
        stream.write("\n")
        stream.flush()


@contextmanager
def _rich_progress(stream: TextIO, total: int | None) -> Iterator[Advance]:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn
    from rich.text import Text

    class RateColumn(ProgressColumn):
        """Rows done and docs/s since the start."""

        def render(self, task: Task) -> Text:
            return Text(rate_text(int(task.completed), task.elapsed or 0.0))

    columns = [TextColumn("scoring"), BarColumn(), RateColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=Console(file=stream), transient=False) as progress:
        task = progress.add_task("scoring", total=total)
        yield lambda rows: progress.advance(task, rows)


@contextmanager
def _line_steps(stream: TextIO, label: str) -> Iterator[Step]:
    started = time.perf_counter()

    def step(text: str) -> None:
        stream.write(f"\r{label}: {text} ({time.perf_counter() - started:.0f} s)\033[K")
        stream.flush()

    try:
        yield step
    finally:
        stream.write("\r\033[K")  # the summary line that follows takes its place
        stream.flush()


@contextmanager
def _rich_steps(stream: TextIO, label: str) -> Iterator[Step]:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns = [SpinnerColumn(), TextColumn(f"{label}: {{task.description}}", markup=False), TimeElapsedColumn()]
    with Progress(*columns, console=Console(file=stream), transient=True, redirect_stdout=False) as progress:
        task = progress.add_task("starting")
        yield lambda text: progress.update(task, description=text, refresh=True)
