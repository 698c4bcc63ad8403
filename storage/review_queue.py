"""`causa review-queue`: the lake items the model is least sure of, as a file to label and feed to `causa train`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from causa.storage.errors import InvalidOption, NoDataError
from causa.table_files import atomic_path, write_csv
from causa.storage.lake import Lake
from causa.storage.schemas import FEEDBACK, PROBABILITY_COLUMNS, SCORED

LABEL_COLUMNS = ("sentiment", "causes")
SUFFIXES = (".csv", ".jsonl")


def review_queue(lake: Lake, n: int) -> pd.DataFrame:
    """Up to `n` items: flagged needs_review first, then the smallest margin between the two likeliest sentiments.

    The `sentiment` and `causes` columns are left empty for a person to fill in; the model's guesses sit next to
    them as `predicted_sentiment` and `predicted_causes`.
    """
    if n < 1:
        raise InvalidOption(f"--n must be at least 1, got {n}")
    scored = lake.read(SCORED).to_pandas()
    if scored.empty:
        raise NoDataError(f"the lake at {lake.root} has no scored items; run `causa run` first")
    feedback = lake.read(FEEDBACK).to_pandas()[["feedback_id", "text", "language", "channel", "source", "created_at"]]
    frame = scored.merge(feedback, on="feedback_id", how="inner")
    ordered = np.sort(frame[list(PROBABILITY_COLUMNS)].to_numpy(dtype=float), axis=1)
    frame["margin"] = ordered[:, -1] - ordered[:, -2]
    frame = frame.sort_values(["needs_review", "margin", "feedback_id"], ascending=[False, True, True]).head(n)
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
