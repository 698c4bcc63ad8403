"""Paired bootstrap of a macro-F1 difference between two models scored on the same items (pure numpy).

Labels are indicator matrices (items x classes): a sentiment is one-hot, a cause set marks each cause it holds.
A class's F1 is then its one-vs-rest F1, as causa.nlp.evaluation computes it per sentiment and per cause, and the
macro average leaves out the classes with no gold example among the items drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

RESAMPLES = 1000
SEED = 0
CONFIDENCE = 0.95
BLOCK = 250
"""Resamples computed at once: bounds memory to BLOCK x items counts."""


@dataclass(frozen=True)
class PairedDifference:
    """Candidate minus current macro-F1 on the items, and the percentile interval of that difference."""

    observed: float
    low: float
    high: float
    confidence: float
    resamples: int

    def as_dict(self) -> dict[str, float]:
        return {"difference": self.observed, "low": self.low, "high": self.high, "confidence": self.confidence,
                "resamples": self.resamples}


def label_indicators(labels: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    """One row per item, one column per class, True where the item's label is that class."""
    return set_indicators([(label,) for label in labels], classes)


def set_indicators(label_sets: Sequence[Sequence[str]], classes: Sequence[str]) -> np.ndarray:
    """One row per item, one column per class, True where the item's set holds that class."""
    matrix = np.zeros((len(label_sets), len(classes)), dtype=bool)
    column = {name: j for j, name in enumerate(classes)}
    for i, labels in enumerate(label_sets):
        for name in labels:
            if name in column:
                matrix[i, column[name]] = True
    return matrix


def resample_counts(n_items: int, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """How often each item is drawn in each resample (resamples x items): n_items draws with replacement each."""
    if n_items < 1:
        raise ValueError(f"a bootstrap needs at least one item, got {n_items}")
    if resamples < 1:
        raise ValueError(f"a bootstrap needs at least one resample, got {resamples}")
    draws = np.random.default_rng(seed).integers(0, n_items, size=(resamples, n_items))
    offsets = (np.arange(resamples) * n_items)[:, None]
    return np.bincount((draws + offsets).ravel(), minlength=resamples * n_items).reshape(resamples, n_items)


def macro_f1(gold: np.ndarray, predicted: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Macro-F1 per row of `counts` (item weights), over the classes with a gold example among the items weighted.

    A class predicted but never gold is left out, as causa.nlp.evaluation does; no class with an example gives 0.
    """
    sums = counts.astype(np.float64) @ np.hstack([gold & predicted, gold, predicted]).astype(np.float64)
    return _macro_f1(*np.split(sums, 3, axis=1))


def _macro_f1(true_positive: np.ndarray, support: np.ndarray, predicted_count: np.ndarray) -> np.ndarray:
    """Macro-F1 per row from per-class sums: F1 = 2 TP / (gold + predicted), averaged over classes with gold > 0."""
    denominator = support + predicted_count
    f1 = np.divide(2 * true_positive, denominator, out=np.zeros_like(true_positive), where=denominator > 0)
    present = support > 0
    classes = present.sum(axis=1)
    total = np.where(present, f1, 0.0).sum(axis=1)
    return np.divide(total, classes, out=np.zeros_like(total), where=classes > 0)


def paired_difference(gold: np.ndarray, candidate: np.ndarray, current: np.ndarray, counts: np.ndarray,
                      confidence: float = CONFIDENCE) -> PairedDifference:
    """The observed candidate - current macro-F1 and its percentile interval over the resamples in `counts`.

    Both models are scored on the same resampled items: one matrix product per block gives the per-class sums of
    both, so a few thousand items and 1,000 resamples take a fraction of a second.
    """
    if not gold.shape == candidate.shape == current.shape:
        raise ValueError(f"gold {gold.shape}, candidate {candidate.shape} and current {current.shape} differ in shape")
    if counts.ndim != 2 or counts.shape[1] != gold.shape[0]:
        raise ValueError(f"resample counts of shape {counts.shape} do not weight {gold.shape[0]} items")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    columns = np.hstack([gold & candidate, gold & current, gold, candidate, current]).astype(np.float64)

    def differences(weights: np.ndarray) -> np.ndarray:
        hits_candidate, hits_current, support, predicted_candidate, predicted_current = np.split(
            weights.astype(np.float64) @ columns, 5, axis=1)
        return (_macro_f1(hits_candidate, support, predicted_candidate)
                - _macro_f1(hits_current, support, predicted_current))

    observed = float(differences(np.ones((1, gold.shape[0])))[0])
    resampled = np.concatenate([differences(counts[start:start + BLOCK]) for start in range(0, counts.shape[0], BLOCK)])
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(resampled, [tail, 100 - tail])
    return PairedDifference(observed, float(low), float(high), confidence, int(counts.shape[0]))
