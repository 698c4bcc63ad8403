"""The `causa` command's log on stderr: a CausaError is told in one line, without a traceback.

Prefect logs a flow or task run that raised with the exception's traceback ("Encountered exception during
execution"). A CausaError is a problem with the user's input, data or setup, told by its message, so the
terminal shows the message of such a record and drops the traceback, unless debug detail was asked for (-v).
Any other exception is a bug and keeps its traceback. Only the terminal's copy changes: Prefect's API log of
the run keeps the traceback.
"""

from __future__ import annotations

import logging
import sys

from causa.errors import CausaError

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CHATTY_LOGGERS = ("httpx",)
"""Loggers whose INFO lines (one per request to the Prefect API) say nothing to the user: WARNING and up only,
unless verbose."""


class OneLineCausaErrors(logging.Formatter):
    """A formatter that leaves out the traceback of a record logged with a CausaError."""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and isinstance(record.exc_info[1], CausaError):
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        return super().format(record)


def configure_logging(verbose: bool) -> None:
    """Logs to stderr at INFO (DEBUG and every traceback when `verbose`); a no-op when logging is already set up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT) if verbose else OneLineCausaErrors(LOG_FORMAT))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    if not verbose:
        for name in CHATTY_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
