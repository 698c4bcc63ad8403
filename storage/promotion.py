"""`causa models promote`: a version replaces the promoted one only if it is not worse on the evaluation set."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from causa.storage.model_versions import PROMOTED, load_version, model_for
from causa.nlp.training import TrainingOptions, evaluate_on, rows_from_frame
from causa.storage.training_runs import HELDOUT_FILE
from causa.table_files import read_table_file
from causa.storage.registry import ModelRegistry

logger = logging.getLogger(__name__)

GATED_METRICS = ("sentiment_macro_f1", "causes_macro_f1")


class PromotionRefused(ValueError):
    """The candidate is worse than the promoted model on the evaluation set."""


@dataclass(frozen=True)
class Comparison:
    candidate: str
    current: str
    evaluation_set: str
    candidate_scores: dict[str, float]
    current_scores: dict[str, float]

    @property
    def deltas(self) -> dict[str, float]:
        return {key: self.candidate_scores[key] - self.current_scores[key]
                for key in self.candidate_scores if key in self.current_scores}

    @property
    def worse(self) -> dict[str, float]:
        return {key: delta for key, delta in self.deltas.items() if delta < 0}

    def describe(self) -> str:
        parts = [f"{key} {self.candidate_scores[key]:.3f} vs {self.current_scores[key]:.3f} ({delta:+.3f})"
                 for key, delta in self.deltas.items()]
        return f"{self.candidate} vs {self.current} on {self.evaluation_set}: " + "; ".join(parts)


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
        return pq.read_table(registry.path(version) / HELDOUT_FILE), f"the held-out rows of {version}"
    rows = rows_from_frame(read_table_file(labels), options or TrainingOptions(), str(labels))
    table = pa.table({
        "text": rows.texts, "language": rows.languages, "sentiment": rows.sentiments,
        "causes": pa.array([list(c) for c in rows.causes] if rows.causes is not None else [None] * len(rows.texts),
                           pa.list_(pa.string())),
    })
    return table, str(labels)


def compare(registry: ModelRegistry, version: str, labels: Path | None = None,
            options: TrainingOptions | None = None) -> Comparison:
    """Scores the candidate and the currently promoted model (or the shipped default) on the same rows."""
    candidate, _ = load_version(version, registry.root)
    current, current_version = model_for(PROMOTED, registry.root)
    table, described = evaluation_table(registry, version, labels, options)
    return Comparison(
        candidate=version,
        current=current_version,
        evaluation_set=f"{described} ({table.num_rows} rows)",
        candidate_scores=headline(evaluate_on(candidate, table)),
        current_scores=headline(evaluate_on(current, table, candidate.causes)),
    )


def promote(registry: ModelRegistry, version: str, force: bool = False, labels: Path | None = None,
            reason: str | None = None) -> Comparison:
    """Promotes `version` unless it is worse than the current model (then PromotionRefused says by how much)."""
    registry.verify(version)
    comparison = compare(registry, version, labels)
    if comparison.worse and not force:
        amounts = ", ".join(f"{key} by {-delta:.3f}" for key, delta in comparison.worse.items())
        raise PromotionRefused(
            f"refusing to promote {version}: it is worse than {comparison.current} on {comparison.evaluation_set}: "
            f"{amounts}. Pass --force to promote it anyway."
        )
    if comparison.worse:
        logger.warning("promoting %s although it is worse: %s", version, comparison.describe())
    registry.promote(version, {"forced": bool(comparison.worse and force), "replaced": comparison.current,
                               "comparison": comparison.describe()}, reason=reason)
    return comparison
