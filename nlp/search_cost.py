"""The option search's forecast of a candidate's seconds, from the steps measured so far per feature kind and row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

FEATURES = "features"
"""Building a feature kind's matrices for every fold (once per kind: later candidates reuse them)."""
SENTIMENT = "sentiment"
"""Fitting the sentiment regression on every fold (once per feature kind and C)."""
CAUSES = "causes"
"""Fitting the cause regressions on every fold (once per feature kind and C)."""
STEPS = (FEATURES, SENTIMENT, CAUSES)

FeatureKind = tuple[int, int] | None
"""A candidate's character n-gram range (None: words only)."""


@dataclass
class CandidateCosts:
    """Seconds per fitted row of each step, per feature kind, as measured (on a probe sample or a whole candidate).

    A step's forecast is its slowest measured pace times the rows it will fit: a larger C or a smaller probe can be
    slower per row, and the forecast errs towards skipping rather than overrunning the budget.
    """

    paces: dict[tuple[FeatureKind, str], float] = field(default_factory=dict)

    def record(self, features: FeatureKind, step: str, seconds: float, rows: int) -> None:
        if step not in STEPS:
            raise ValueError(f"step {step!r} is not one of {list(STEPS)}")
        if rows < 1:
            raise ValueError(f"a measured step needs at least one row, got {rows}")
        key = (features, step)
        self.paces[key] = max(self.paces.get(key, 0.0), seconds / rows)

    def knows(self, features: FeatureKind, steps: Iterable[str]) -> bool:
        """True when every one of `steps` has been measured for this feature kind."""
        return all((features, step) in self.paces for step in steps)

    def predict(self, features: FeatureKind, steps: Iterable[str], rows: int) -> float | None:
        """Forecast seconds of running `steps` of a candidate with these features over `rows` fitted rows; None
        when a step was never measured for the kind."""
        steps = list(steps)
        if not self.knows(features, steps):
            return None
        return sum(self.paces[features, step] for step in steps) * rows
