"""The option search's values, grid and budget (light: the CLI parser imports them)."""

from __future__ import annotations

SEARCH = "search"
"""The value of a training option that the search chooses on validation data."""
CHAR_NGRAMS = (2, 5)
FEATURE_CHOICES: tuple[tuple[int, int] | None, ...] = (None, CHAR_NGRAMS)
"""Words only, or words and character 2-5-grams."""
DEFAULT_C = 4.0
C_CHOICES = (DEFAULT_C, 1.0, 16.0)
"""Tried in this order: the former fixed default first."""
SEARCH_SECONDS = 90.0
"""The default time budget of the search."""
CROSS_VALIDATION_BELOW = 1000
"""Fewer training rows than this are validated by k-fold cross-validation, more by one stratified split."""
MAX_FOLDS = 3
VALIDATION_SHARE = 0.2
PROBE_ROWS = 500
"""A feature kind the search has not yet measured is first timed on a sample of this many fitting rows, to forecast
whether its first candidate ends within the budget."""
NO_CAUSE_LABELS = "no cause labels"
"""Why cause C is not searched when no validating row has a cause label (its validation score would be empty)."""
