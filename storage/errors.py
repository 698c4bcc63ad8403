"""The errors of causa.storage: the lake, the model registry and the commands that read them."""

from __future__ import annotations

from causa.errors import EXIT_BAD_INPUT, EXIT_FAILED, CausaError


class StorageError(CausaError):
    """A lake, registry or state file that cannot be used as asked; the message names it."""

    exit_code = EXIT_BAD_INPUT


class InvalidOption(StorageError, ValueError):
    """An option of a command on the lake (a count, a period, a file name) that cannot be used; the message names
    the value."""


class NoDataError(StorageError, ValueError):
    """The lake holds none of the rows a command needs; the message says which, and what to run first."""


class LakeFull(StorageError, OSError):
    """A lake write refused by its disk (no space left, a file size or quota limit); the message names the file."""

    exit_code = EXIT_FAILED
