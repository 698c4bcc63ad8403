"""The root of causa's errors: each says what is wrong with the user's input, data or setup, and the exit code.

Each package has its family under the root (causa.nlp.errors.NlpError, causa.storage.errors.StorageError,
causa.pipelines.errors.PipelineError); the `causa` command catches CausaError only, so any other exception is a bug
and shows its traceback.
"""

from __future__ import annotations

EXIT_FAILED = 1
"""A run or check that did its work and failed: every source down, a source that cannot be read."""
EXIT_BAD_INPUT = 2
"""Something the user has to fix: a file, option, setting or model version, a model that fails its hash check."""
EXIT_LOCKED = 3
"""Another run holds the lake; waiting and running again will do."""


class CausaError(Exception):
    """A failure the user can act on; the CLI prints its message and exits with `exit_code`, never a traceback."""

    exit_code: int = EXIT_FAILED
