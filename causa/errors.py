"""The root of causa's errors: each says what is wrong with the user's input, data or setup, and the exit code."""

from __future__ import annotations


class CausaError(Exception):
    """A failure the user can act on; the CLI prints its message and exits with `exit_code`, never a traceback."""

    exit_code: int = 1
