"""The promotion gate's rules and the defaults of `causa models promote` (light: the CLI parser imports them)."""

from __future__ import annotations

from dataclasses import dataclass

MIN_PER_CLASS = 30
"""Evaluation examples each sentiment the candidate learned, and each of its causes, needs before a promotion."""
MIN_LOWER_BOUND = -0.01
"""The 95% interval of each gated metric's difference (candidate - current) must have its lower bound above this."""
LAKE_SAMPLE = 2000
"""Stored feedback items (the latest) that the lake-share preview scores with both models."""


@dataclass(frozen=True)
class GateRules:
    """When the gate certifies a candidate: enough examples per class, and no credible drop of a gated metric."""

    min_per_class: int = MIN_PER_CLASS
    min_lower_bound: float = MIN_LOWER_BOUND

    def __post_init__(self) -> None:
        if self.min_per_class < 0:
            raise ValueError(f"--min-per-class must be 0 or more, got {self.min_per_class}")
