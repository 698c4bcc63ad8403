"""The errors of causa.pipelines: settings, sources and executors of the nightly flow and the CLI."""

from __future__ import annotations

from causa.errors import EXIT_BAD_INPUT, CausaError


class PipelineError(CausaError):
    """A setting, source or executor the flow cannot use; the message names it."""

    exit_code = EXIT_BAD_INPUT
