"""The `causa` command's log on stderr: what the night did at INFO, Prefect's own chatter at DEBUG, and a
CausaError told in one line, without a traceback.

Prefect logs its own work at INFO: the temporary API server starting and stopping, each flow and task run
beginning and finishing ("Finished in state Completed()"), its server's request lines. Those lines say nothing
an operator acts on, so the terminal shows them only with -v, labelled DEBUG; INFO is causa's account of the
night (one line per source with its counts, the run's status), and WARNING and up from anyone stays. A flow run
that ends in another state than Completed keeps its "Finished in state Failed(...)" line.

Prefect logs a flow or task run that raised with the exception's traceback ("Encountered exception during
execution"). A CausaError is a problem with the user's input, data or setup, told by its message, so the
terminal shows the message of such a record and drops the traceback, unless debug detail was asked for (-v).
Any other exception is a bug and keeps its traceback. Only the terminal's copy changes: Prefect's API log of
the run keeps every line and the traceback.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from functools import cache

from causa.errors import CausaError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CHATTY_LOGGERS = ("httpx",)
"""Loggers whose INFO lines (one per request to the Prefect API) say nothing to the user: WARNING and up only,
unless verbose."""
PREFECT_LOGGERS = ("prefect", "uvicorn", "fastapi")
"""Prefect's loggers and its API server's: their INFO lines are Prefect's chatter unless causa's code logged them
(a flow's `get_run_logger()` logs under prefect.flow_runs)."""
CAUSA_PACKAGES = ("causa", "causa.nlp", "causa.storage", "causa.pipelines")
FINAL_STATE = "Finished in state "


@cache
def causa_folders() -> tuple[str, ...]:
    """The folders of causa's source files (the packages map to separate folders of the repository)."""
    folders = []
    for name in CAUSA_PACKAGES:
        spec = importlib.util.find_spec(name)
        folders += [os.path.join(os.path.normcase(location), "") for location in (spec.submodule_search_locations or [])]
    return tuple(folders)


def is_prefect_chatter(record: logging.LogRecord) -> bool:
    """Whether a record is Prefect's own INFO (or lower) line about its work, rather than causa's or a problem."""
    if record.levelno > logging.INFO:
        return False
    if not any(record.name == name or record.name.startswith(f"{name}.") for name in PREFECT_LOGGERS):
        return False
    if os.path.normcase(record.pathname).startswith(causa_folders()):
        return False
    message = record.getMessage()
    ended_otherwise = message.startswith(FINAL_STATE) and not message.startswith(f"{FINAL_STATE}Completed(")
    return not (record.name == "prefect.flow_runs" and ended_otherwise)


class HidePrefectChatter(logging.Filter):
    """Leaves Prefect's chatter (see `is_prefect_chatter`) out of the terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not is_prefect_chatter(record)


class TerminalFormatter(logging.Formatter):
    """Labels Prefect's chatter DEBUG, and leaves out the traceback of a record logged with a CausaError unless
    `tracebacks`."""

    def __init__(self, tracebacks: bool) -> None:
        super().__init__(LOG_FORMAT)
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        changes: dict = {}
        if is_prefect_chatter(record):
            changes.update(levelno=logging.DEBUG, levelname=logging.getLevelName(logging.DEBUG))
        if not self.tracebacks and record.exc_info and isinstance(record.exc_info[1], CausaError):
            changes.update(exc_info=None, exc_text=None)
        if changes:
            record = logging.makeLogRecord({**record.__dict__, **changes})
        return super().format(record)


def configure_logging(verbose: bool) -> None:
    """Logs to stderr at INFO (DEBUG, Prefect's chatter and every traceback when `verbose`); a no-op when logging
    is already set up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(TerminalFormatter(tracebacks=verbose))
    if not verbose:
        handler.addFilter(HidePrefectChatter())
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    if not verbose:
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
