"""`causa train`: a labelled file in, a registered model version (files, held-out rows, metrics, card) out."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

from causa.nlp.model_card import model_card
from causa.nlp.model import FeedbackModel
from causa.nlp.model_store import ModelIntegrityError, save_model
from causa.nlp.training import (LabelledRows, StoredTexts, TrainingOptions, evaluate_on, file_fingerprint,
                                fit_version, rows_from_frame)
from causa.storage.errors import InvalidOption, NoDataError
from causa.storage.lake import Lake
from causa.storage.model_versions import model_for
from causa.storage.registry import ModelRegistry
from causa.storage.schemas import FEEDBACK
from causa.table_files import read_table_file, write_parquet

logger = logging.getLogger(__name__)

HELDOUT_FILE = "heldout.parquet"


@dataclass
class TrainResult:
    version: str
    path: Path
    metrics: dict[str, Any]
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    selection: dict[str, Any] = field(default_factory=dict)
    """How the features and C were chosen (the manifest's `selection`)."""


def train_version(
    rows: LabelledRows,
    registry: ModelRegistry,
    name: str | None,
    options: TrainingOptions,
    training_data: dict[str, Any],
    compare_with: str = "promoted",
    stored: StoredTexts | None = None,
    on_step: Callable[[str], None] | None = None,
) -> TrainResult:
    """Trains (see nlp.training.fit_version), compares with the `compare_with` model on the held-out rows, registers;
    `on_step` is told of each stage as it starts."""
    version = name or datetime.now(timezone.utc).strftime("model-%Y%m%dT%H%M%SZ")
    staging = registry.staging(version)
    try:
        current = comparison_model(compare_with, registry)
        fitted = fit_version(rows, options, training_data, stored, on_step)
        metrics = dict(fitted.metrics)
        if current is not None:
            baseline, baseline_version = current
            if on_step is not None:
                on_step(f"evaluating {baseline_version} on the held-out rows for comparison")
            try:
                metrics["baseline"] = {"version": baseline_version,
                                       "report": evaluate_on(baseline, fitted.heldout, fitted.model.causes)}
            except (ValueError, RuntimeError) as error:
                logger.warning("could not evaluate the current model for comparison: %s", error)
        if on_step is not None:
            on_step(f"registering {version}")
        save_model(fitted.model, staging, fitted.metadata)
        write_parquet(fitted.heldout, staging / HELDOUT_FILE)
        card = model_card(version, {**fitted.metadata, "version": version}, metrics)
        path = registry.register(staging, version, fitted.metadata, metrics, card)
    except BaseException:
        registry.discard(staging)
        raise
    logger.info("registered model %s in %s (%.1f s training)", version, path, fitted.seconds)
    return TrainResult(version, path, metrics, fitted.seconds, fitted.counts, fitted.metadata["selection"])


def comparison_model(version: str, registry: ModelRegistry) -> tuple[FeedbackModel, str] | None:
    """The model a new version is compared with and its version, or None when it cannot be loaded; loaded before
    training, so that a model failing its hash check (ModelIntegrityError) stops the run at once."""
    try:
        return model_for(version, registry.root)
    except ModelIntegrityError:
        raise
    except (ValueError, RuntimeError) as error:
        logger.warning("could not evaluate the current model for comparison: %s", error)
        return None


def train_file(path: Path, registry: ModelRegistry, name: str | None, options: TrainingOptions,
               lake: Lake | None = None, on_step: Callable[[str], None] | None = None) -> TrainResult:
    """`causa train`: reads CSV, JSONL or Parquet labels and registers the trained version (with `adapt_rows`, also
    learning from the lake's stored texts as the accurate tier labels them)."""
    frame = read_table_file(path)
    rows = rows_from_frame(frame, options, str(path))
    data = {"path": str(path.resolve()), "fingerprint": file_fingerprint(path),
            "derived_from_ratings": options.from_ratings}
    stored = None
    if options.adapt_rows:
        if lake is None:
            raise InvalidOption("adapting to stored texts needs the lake (a causa.toml with [lake])")
        stored = stored_texts(lake, options.adapt_rows, set(rows.texts), options.random_state)
    return train_version(rows, registry, name, options, data, stored=stored, on_step=on_step)


def stored_texts(lake: Lake, n: int, exclude: set[str], random_state: int) -> StoredTexts:
    """A seeded sample of at most `n` distinct feedback texts from the lake, leaving out `exclude` (the labels)."""
    if n < 1:
        raise InvalidOption(f"--adapt must be at least 1, got {n}")
    frame = lake.read(FEEDBACK, columns=["text", "language"]).to_pandas()
    frame = frame[frame["text"].notna() & ~frame["text"].isin(exclude)].drop_duplicates("text")
    if frame.empty:
        raise NoDataError(f"the lake at {lake.root} holds no stored texts to adapt to; run `causa run` first")
    frame = frame.sample(min(n, len(frame)), random_state=random_state)
    logger.info("adapting to %d stored texts of %s", len(frame), lake.root)
    return StoredTexts(frame["text"].tolist(), frame["language"].tolist(), f"lake {lake.root}")
