"""`causa review-queue`: the lake items worth labelling next, as a file to label and feed to `causa train`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pandas as pd

from causa.nlp.model import FeedbackModel
from causa.nlp.review_selection import SelectionOptions, cause_group, normalised_text, select_for_review
from causa.storage.errors import InvalidOption, NoDataError
from causa.table_files import atomic_path, read_table_file, write_csv
from causa.storage.lake import Lake
from causa.storage.schemas import FEEDBACK, PROBABILITY_COLUMNS, SCORED
from causa.storage.scoring import score_texts

logger = logging.getLogger(__name__)

LABEL_COLUMNS = ("sentiment", "causes")
SUFFIXES = (".csv", ".jsonl")


@dataclass(frozen=True)
class LabelledItems:
    """Items a labelled file already holds: by feedback_id where its row has one, else by normalised text."""

    feedback_ids: frozenset[str]
    texts: frozenset[str]

    def __len__(self) -> int:
        return len(self.feedback_ids) + len(self.texts)


def labelled_items(paths: Sequence[Path]) -> LabelledItems:
    """The labelled rows (a non-empty `sentiment`, or every row of a file without that column, such as ratings) of
    CSV, JSONL or Parquet files read as `causa train --labels` reads them."""
    ids: set[str] = set()
    texts: set[str] = set()
    for path in paths:
        frame = read_table_file(path)
        if "feedback_id" not in frame.columns and "text" not in frame.columns:
            raise InvalidOption(f"{path} has neither a feedback_id nor a text column to match labelled items by; "
                                f"its columns are {list(frame.columns)}")
        if "sentiment" in frame.columns:
            frame = frame[frame["sentiment"].map(lambda value: isinstance(value, str) and bool(value.strip()))]
        row_ids = frame["feedback_id"] if "feedback_id" in frame.columns else pd.Series([None] * len(frame))
        row_texts = frame["text"] if "text" in frame.columns else pd.Series([None] * len(frame))
        for feedback_id, text in zip(row_ids.tolist(), row_texts.tolist()):
            if isinstance(feedback_id, str) and feedback_id.strip():
                ids.add(feedback_id.strip())
            elif isinstance(text, str) and normalised_text(text):
                texts.add(normalised_text(text))
    return LabelledItems(frozenset(ids), frozenset(texts))


def review_queue(lake: Lake, n: int, exclude: LabelledItems | None = None,
                 options: SelectionOptions = SelectionOptions(), model: ScoringModel | None = None) -> pd.DataFrame:
    """Up to `n` items chosen by uncertainty and diversity (causa.nlp.review_selection), listed flagged
    needs_review first, then by the smallest margin between the two likeliest sentiments.

    Uncertainty orders the candidates the same way; `exclude` leaves out items already labelled. With `model`, the
    uncertainty is that model's: items another version scored are scored again with it (not stored). The
    `sentiment` and `causes` columns are left empty for a person to fill in; the model's guesses sit next to them
    as `predicted_sentiment` and `predicted_causes`.
    """
    if n < 1:
        raise InvalidOption(f"--n must be at least 1, got {n}")
    scored = lake.read(SCORED).to_pandas()
    if scored.empty:
        raise NoDataError(f"the lake at {lake.root} has no scored items; run `causa run` first")
    feedback = lake.read(FEEDBACK).to_pandas()[["feedback_id", "text", "language", "channel", "source", "created_at"]]
    frame = scored.merge(feedback, on="feedback_id", how="inner")
    if exclude is not None and len(exclude):
        known = frame["feedback_id"].isin(exclude.feedback_ids) | frame["text"].map(normalised_text).isin(exclude.texts)
        frame = frame[~known]
    if model is not None:
        frame = scored_by(frame, model)
    ordered = np.sort(frame[list(PROBABILITY_COLUMNS)].to_numpy(dtype=float), axis=1)
    frame["margin"] = ordered[:, -1] - ordered[:, -2]
    ranking = {"by": ["needs_review", "margin", "feedback_id"], "ascending": [False, True, True]}
    frame = frame.sort_values(**ranking).reset_index(drop=True)
    chosen = select_for_review(frame["text"].tolist(), frame["language"].tolist(),
                               [cause_group(list(causes)) for causes in frame["causes"]], range(len(frame)), n,
                               options) if len(frame) else []
    frame = frame.loc[chosen].sort_values(**ranking)
    return pd.DataFrame({
        "feedback_id": frame["feedback_id"],
        "text": frame["text"],
        "language": frame["language"],
        "channel": frame["channel"],
        "source": frame["source"],
        "created_at": frame["created_at"].astype(str),
        "predicted_sentiment": frame["sentiment"],
        "predicted_causes": [";".join(causes) for causes in frame["causes"]],
        **{name: frame[name].round(3) for name in PROBABILITY_COLUMNS},
        "margin": frame["margin"].round(3),
        "needs_review": frame["needs_review"],
        "model_version": frame["model_version"],
        "sentiment": "",
        "causes": "",
    }).reset_index(drop=True)


@dataclass(frozen=True)
class ScoringModel:
    """A loaded model and the version name its rows carry in the scored table."""

    model: FeedbackModel
    version: str


def scored_by(frame: pd.DataFrame, scoring: ScoringModel) -> pd.DataFrame:
    """`frame` (scored rows joined with their text and language) with every row another version scored replaced
    by `scoring`'s scores of its text."""
    stale = frame["model_version"] != scoring.version
    if not stale.any():
        return frame
    rows = frame[stale]
    logger.info("scoring %d lake items with model %s (the lake holds other versions' scores for them)", len(rows),
                scoring.version)
    fresh = score_texts(scoring.model, rows["text"].tolist(), rows["language"].tolist(),
                        rows["feedback_id"].tolist()).to_pandas()
    rescored = rows.reset_index(drop=True).assign(
        **{column: fresh[column] for column in ("sentiment", *PROBABILITY_COLUMNS, "causes", "needs_review")},
        model_version=scoring.version,
    )
    return pd.concat([frame[~stale], rescored], ignore_index=True)


def write_queue(frame: pd.DataFrame, path: Path) -> None:
    """CSV or JSONL by suffix, ready for labelling and `causa train --labels`."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidOption(f"review queue file {path} must end in one of {list(SUFFIXES)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        write_csv(frame, path)  # formula-like cells neutralised: customers wrote this text
    else:
        with atomic_path(path) as temporary:
            frame.to_json(temporary, orient="records", lines=True, force_ascii=False)
