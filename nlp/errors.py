"""The errors of causa.nlp: labels, options and models that cannot be used as given."""

from __future__ import annotations

from causa.errors import EXIT_BAD_INPUT, CausaError


class NlpError(CausaError):
    """A labelled file, option or model that the text models cannot use; the message names it."""

    exit_code = EXIT_BAD_INPUT


class LabelsError(NlpError, ValueError):
    """A labelled file that cannot be trained or evaluated on as given, or an option for reading it (rating scale,
    split, test size, starter corpus); the message names the row, column or value."""


class TierError(NlpError, ValueError):
    """A scoring tier the model does not have (a version trained without the encoder has only the fast tier)."""
