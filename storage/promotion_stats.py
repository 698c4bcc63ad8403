"""The promotion gate's figures: evaluation examples per class, paired bootstrap intervals of the gated metrics,
and per-language, per-class F1 of the candidate against the current model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pyarrow as pa

from causa.nlp.bootstrap import (CONFIDENCE, RESAMPLES, SEED, PairedDifference, label_indicators, paired_difference,
                                 resample_counts, set_indicators)
from causa.nlp.model import ItemScore
from causa.nlp.taxonomy import SENTIMENTS


@dataclass(frozen=True)
class Predictions:
    """One model's sentiment and causes for each evaluation row."""

    sentiments: list[str]
    causes: list[tuple[str, ...]]

    @classmethod
    def from_scores(cls, scores: Sequence[ItemScore]) -> Predictions:
        return cls([score.sentiment for score in scores], [tuple(score.causes) for score in scores])


@dataclass(frozen=True)
class ClassCounts:
    """Evaluation examples per sentiment the candidate learned and per cause of the candidate (its positives);
    `causes` is empty when the rows carry no cause labels (causes are then not gated)."""

    sentiments: dict[str, int]
    causes: dict[str, int]

    def shortfalls(self, minimum: int) -> dict[str, int]:
        """How many more examples each class below `minimum` needs, sentiments first."""
        return {name: minimum - count for name, count in {**self.sentiments, **self.causes}.items() if count < minimum}

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"sentiments": dict(self.sentiments), "causes": dict(self.causes)}


def class_counts(table: pa.Table, sentiments: Sequence[str], causes: Sequence[str]) -> ClassCounts:
    """Counts the evaluation rows (text, language, sentiment, causes) of each sentiment and with each cause."""
    gold_sentiments = table.column("sentiment").to_pylist()
    gold_causes = [labels for labels in table.column("causes").to_pylist() if labels is not None]
    return ClassCounts(
        sentiments={name: sum(label == name for label in gold_sentiments) for name in sentiments},
        causes={name: sum(name in labels for labels in gold_causes) for name in causes} if gold_causes else {},
    )


def describe_shortfalls(shortfalls: dict[str, int], what: str = "held-out examples") -> str:
    """ "22 more held-out examples of neutral, 27 more of overcharge" """
    parts = [f"{count} more{' ' + what if i == 0 else ''} of {name}"
             for i, (name, count) in enumerate(shortfalls.items())]
    return ", ".join(parts)


def gated_differences(table: pa.Table, candidate: Predictions, current: Predictions, causes: Sequence[str],
                      resamples: int = RESAMPLES, seed: int = SEED,
                      confidence: float = CONFIDENCE) -> dict[str, PairedDifference]:
    """Candidate - current sentiment macro-F1 and causes macro-F1 (over `causes`, on the rows labelled with
    causes) with paired bootstrap intervals: both metrics are computed on the same resamples of the rows."""
    gold_sentiments = table.column("sentiment").to_pylist()
    gold_causes = table.column("causes").to_pylist()
    counts = resample_counts(table.num_rows, resamples, seed)
    differences: dict[str, PairedDifference] = {}
    rows = np.array([i for i, label in enumerate(gold_sentiments) if label is not None], dtype=int)
    if rows.size:
        differences["sentiment_macro_f1"] = paired_difference(
            label_indicators([gold_sentiments[i] for i in rows], SENTIMENTS),
            label_indicators([candidate.sentiments[i] for i in rows], SENTIMENTS),
            label_indicators([current.sentiments[i] for i in rows], SENTIMENTS),
            counts[:, rows], confidence,
        )
    rows = np.array([i for i, labels in enumerate(gold_causes) if labels is not None], dtype=int)
    if rows.size and causes:
        differences["causes_macro_f1"] = paired_difference(
            set_indicators([gold_causes[i] for i in rows], causes),
            set_indicators([candidate.causes[i] for i in rows], causes),
            set_indicators([current.causes[i] for i in rows], causes),
            counts[:, rows], confidence,
        )
    return differences


@dataclass(frozen=True)
class ClassChange:
    """One class's (or a task's macro) F1 in one language section: candidate against current."""

    language: str
    task: str
    name: str
    examples: int
    candidate: float
    current: float

    @property
    def change(self) -> float:
        return self.candidate - self.current


MACRO = "macro-F1"


def class_changes(candidate_report: dict[str, Any], current_report: dict[str, Any]) -> list[ClassChange]:
    """Per language section (all first) and task: the macro-F1 row, then each class with evaluation examples."""
    changes = []
    for language, section in candidate_report.items():
        other = current_report.get(language, {})
        if "sentiment" in section and "sentiment" in other:
            ours, theirs = section["sentiment"], other["sentiment"]
            changes.append(ClassChange(language, "sentiment", MACRO, ours["n"], ours["macro_f1"], theirs["macro_f1"]))
            changes += [ClassChange(language, "sentiment", name, scores["support"], scores["f1"],
                                    theirs["classes"][name]["f1"])
                        for name, scores in ours["classes"].items() if scores["support"] > 0]
        if "causes" in section and "causes" in other:
            n = next(iter(section["causes"].values()), {"n": 0})["n"]  # the rows labelled with causes
            changes.append(ClassChange(language, "causes", MACRO, n, section["causes_macro_f1"],
                                       other["causes_macro_f1"]))
            changes += [ClassChange(language, "causes", name, scores["support"], scores["f1"],
                                    other["causes"][name]["f1"])
                        for name, scores in section["causes"].items()
                        if scores["support"] > 0 and name in other["causes"]]
    return changes


def format_class_changes(changes: Sequence[ClassChange]) -> str:
    """A plain-text table: language, task, class, examples, F1 candidate, F1 current, change."""
    lines = [f"  {'language':<8} {'task':<9} {'class':<18} {'n':>5} {'candidate':>9} {'current':>8} {'change':>7}"]
    lines += [f"  {c.language:<8} {c.task:<9} {c.name:<18} {c.examples:>5} {c.candidate:>9.3f} {c.current:>8.3f} "
              f"{c.change:>+7.3f}" for c in changes]
    return "\n".join(lines) + "\n"
