"""`causa models promote`: a version replaces the promoted one only if the gate certifies it on the evaluation set:
enough examples of each class, and no gated metric whose paired bootstrap interval reaches below the allowed drop."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from causa.nlp.bootstrap import RESAMPLES, SEED, PairedDifference
from causa.nlp.evaluation import evaluate
from causa.nlp.model import FeedbackModel
from causa.storage.errors import StorageError
from causa.storage.model_versions import PROMOTED, load_version, model_for
from causa.nlp.training import TrainingOptions, rows_from_frame
from causa.storage.promotion_rules import GateRules
from causa.storage.promotion_stats import (ClassChange, ClassCounts, Predictions, class_changes, class_counts,
                                           describe_shortfalls, gated_differences)
from causa.storage.training_runs import HELDOUT_FILE
from causa.table_files import read_table_file
from causa.storage.registry import ModelRegistry

logger = logging.getLogger(__name__)

GATED_METRICS = ("sentiment_macro_f1", "causes_macro_f1")


class PromotionRefused(StorageError, ValueError):
    """The candidate may be worse than the promoted model, or the evaluation set is too small to tell."""


@dataclass(frozen=True)
class Comparison:
    candidate: str
    current: str
    evaluation_set: str
    candidate_scores: dict[str, float]
    current_scores: dict[str, float]
    differences: dict[str, PairedDifference] = field(default_factory=dict)
    """Candidate - current of each gated metric with its paired bootstrap interval."""
    counts: ClassCounts = field(default_factory=lambda: ClassCounts({}, {}))
    candidate_report: dict[str, Any] = field(default_factory=dict)
    current_report: dict[str, Any] = field(default_factory=dict)
    labelled_file: bool = False
    """True when the evaluation set is a --labels file rather than the candidate's held-out rows."""

    @property
    def deltas(self) -> dict[str, float]:
        return {key: self.candidate_scores[key] - self.current_scores[key]
                for key in self.candidate_scores if key in self.current_scores}

    def describe(self) -> str:
        parts = []
        for key, delta in self.deltas.items():
            part = f"{key} {self.candidate_scores[key]:.3f} vs {self.current_scores[key]:.3f} ({delta:+.3f}"
            if key in self.differences:
                interval = self.differences[key]
                part += f", {interval.confidence:.0%} interval {interval.low:+.3f} to {interval.high:+.3f}"
            parts.append(part + ")")
        return f"{self.candidate} vs {self.current} on {self.evaluation_set}: " + "; ".join(parts)

    def class_changes(self) -> list[ClassChange]:
        """Per language and class, the candidate's F1 against the current model's."""
        return class_changes(self.candidate_report, self.current_report)

    def refusals(self, rules: GateRules) -> list[str]:
        """Why the gate does not certify the candidate under `rules` (empty: it does)."""
        reasons = []
        shortfalls = self.counts.shortfalls(rules.min_per_class)
        if shortfalls:
            what = "labelled examples" if self.labelled_file else "held-out examples"
            reasons.append(f"{self.evaluation_set} is too small to tell it from {self.current}: needs "
                           f"{describe_shortfalls(shortfalls, what)} (at least {rules.min_per_class} per class; "
                           f"--min-per-class)")
        doubtful = {key: d for key, d in self.differences.items() if d.low <= rules.min_lower_bound}
        if doubtful:
            worse = all(d.observed < 0 for d in doubtful.values())
            parts = [(f"{key} by {-d.observed:.3f}" if d.observed < 0 else key)
                     + f" (difference {d.observed:+.3f}, {d.confidence:.0%} interval {d.low:+.3f} to {d.high:+.3f}, "
                       f"lower bound not above {rules.min_lower_bound:+.3f})"
                     for key, d in doubtful.items()]
            verdict = "worse than" if worse else "not shown to be at least as good as"
            reasons.append(f"it is {verdict} {self.current} on {self.evaluation_set}: " + ", ".join(parts))
        return reasons

    def gate_record(self, rules: GateRules) -> dict[str, Any]:
        """The gate's figures as the promotion history records them."""
        return {
            "min_per_class": rules.min_per_class,
            "min_lower_bound": rules.min_lower_bound,
            "evaluation_set": self.evaluation_set,
            "counts": self.counts.as_dict(),
            "shortfalls": self.counts.shortfalls(rules.min_per_class),
            "differences": {key: d.as_dict() for key, d in self.differences.items()},
            "refusals": self.refusals(rules),
        }


def headline(report: dict[str, Any]) -> dict[str, float]:
    """The gated figures of an causa.nlp.evaluation report: sentiment macro-F1 and causes macro-F1 where labelled."""
    section = report.get("all", {})
    scores = {}
    if "sentiment" in section:
        scores["sentiment_macro_f1"] = float(section["sentiment"]["macro_f1"])
    if "causes_macro_f1" in section:
        scores["causes_macro_f1"] = float(section["causes_macro_f1"])
    return scores


def evaluation_table(registry: ModelRegistry, version: str, labels: Path | None,
                     options: TrainingOptions | None = None) -> tuple[pa.Table, str]:
    """The candidate's held-out rows, or a labelled file given by the user."""
    if labels is None:
        return pq.read_table(registry.local_folder(version) / HELDOUT_FILE), f"the held-out rows of {version}"
    rows = rows_from_frame(read_table_file(labels), options or TrainingOptions(), str(labels))
    table = pa.table({
        "text": rows.texts, "language": rows.languages, "sentiment": rows.sentiments,
        "causes": pa.array([list(c) for c in rows.causes] if rows.causes is not None else [None] * len(rows.texts),
                           pa.list_(pa.string())),
    })
    return table, str(labels)


def compare(registry: ModelRegistry, version: str, labels: Path | None = None,
            options: TrainingOptions | None = None, resamples: int = RESAMPLES, seed: int = SEED) -> Comparison:
    """Scores the candidate and the currently promoted model (or the shipped default) once on the same rows, and
    compares them: reports, examples per class and paired bootstrap intervals of the gated metrics."""
    candidate, _ = load_version(version, registry.root)
    current, current_version = model_for(PROMOTED, registry.root)
    table, described = evaluation_table(registry, version, labels, options)
    candidate_predictions, current_predictions = predictions_on(candidate, table), predictions_on(current, table)
    candidate_report = report_on(table, candidate_predictions, candidate.causes)
    current_report = report_on(table, current_predictions, candidate.causes)
    return Comparison(
        candidate=version,
        current=current_version,
        evaluation_set=f"{described} ({table.num_rows} rows)",
        candidate_scores=headline(candidate_report),
        current_scores=headline(current_report),
        differences=gated_differences(table, candidate_predictions, current_predictions, candidate.causes,
                                      resamples, seed),
        counts=class_counts(table, candidate.sentiment_classes_, candidate.causes),
        candidate_report=candidate_report,
        current_report=current_report,
        labelled_file=labels is not None,
    )


def predictions_on(model: FeedbackModel, table: pa.Table) -> Predictions:
    """The model's sentiment and causes for each row of an evaluation table (text, language, ...)."""
    return Predictions.from_scores(model.score(table.column("text").to_pylist(), table.column("language").to_pylist()))


def report_on(table: pa.Table, predictions: Predictions, causes: tuple[str, ...]) -> dict[str, Any]:
    """causa.nlp.evaluation's report of predictions on an evaluation table, judged on `causes`."""
    return evaluate(table.column("language").to_pylist(), table.column("sentiment").to_pylist(),
                    predictions.sentiments,
                    [None if c is None else tuple(c) for c in table.column("causes").to_pylist()],
                    predictions.causes, causes)


def promote(registry: ModelRegistry, version: str, force: bool = False, labels: Path | None = None,
            reason: str | None = None, rules: GateRules | None = None) -> Comparison:
    """Verifies `version`'s files, compares it with the current model and promotes it if the gate certifies it."""
    registry.verify(version)
    return promote_compared(registry, compare(registry, version, labels), force, reason, rules)


def promote_compared(registry: ModelRegistry, comparison: Comparison, force: bool = False,
                     reason: str | None = None, rules: GateRules | None = None) -> Comparison:
    """Promotes the compared candidate unless the evaluation set has too few examples of a class or a gated
    metric's interval reaches below the allowed drop (then PromotionRefused says why); `force` overrides both."""
    rules = rules or GateRules()
    refusals = comparison.refusals(rules)
    if refusals and not force:
        raise PromotionRefused(f"refusing to promote {comparison.candidate}: " + "; ".join(refusals)
                               + ". Pass --force to promote it anyway.")
    if refusals:
        logger.warning("promoting %s although the gate refuses it: %s", comparison.candidate, "; ".join(refusals))
    registry.promote(comparison.candidate, {"forced": bool(refusals and force), "replaced": comparison.current,
                                            "comparison": comparison.describe(),
                                            "gate": comparison.gate_record(rules)}, reason=reason)
    return comparison
