"""Labelled files (CSV, JSONL, Parquet) for `causa evaluate`: text, optional language, sentiment and causes."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from causa.nlp.errors import LabelsError
from causa.nlp.taxonomy import SENTIMENTS
from causa.table_files import read_table_file


@dataclass(frozen=True)
class LabelledFile:
    texts: list[str]
    languages: list[str | None]
    sentiments: list[str | None]
    causes: list[tuple[str, ...] | None]


def read_labels(
    path: Path, text_col: str = "text", sentiment_col: str = "sentiment", causes_col: str = "causes"
) -> LabelledFile:
    """The labelled rows of a file; a bad label names its row and value."""
    frame = read_table_file(path, required=(text_col,))
    if sentiment_col not in frame.columns and causes_col not in frame.columns:
        raise LabelsError(f"{path} has neither a {sentiment_col!r} nor a {causes_col!r} column to evaluate against")
    texts = ["" if _missing(value) else str(value) for value in frame[text_col].tolist()]
    size = len(texts)
    sentiments: list[str | None] = [None] * size
    if sentiment_col in frame.columns:
        sentiments = [None if _missing(v) else str(v).strip().lower() for v in frame[sentiment_col].tolist()]
        for row, value in enumerate(sentiments, start=1):
            if value is not None and value not in SENTIMENTS:
                raise LabelsError(f"{path} row {row}: sentiment {value!r} is not one of {list(SENTIMENTS)}")
    causes: list[tuple[str, ...] | None] = [None] * size
    if causes_col in frame.columns:
        causes = [parse_causes(value, f"{path} row {row}") for row, value in enumerate(frame[causes_col].tolist(), 1)]
    languages: list[str | None] = [None] * size
    if "language" in frame.columns:
        languages = [None if _missing(v) else str(v).strip().lower() for v in frame["language"].tolist()]
    return LabelledFile(texts=texts, languages=languages, sentiments=sentiments, causes=causes)


def parse_causes(value: Any, where: str) -> tuple[str, ...]:
    """A cause list from a list, a JSON list, or text separated by ';', ',' or '|' (empty means none)."""
    if _missing(value):
        return ()
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                raise LabelsError(f"{where}: causes {text!r} is not a valid JSON list") from None
        else:
            for separator in ";|":
                text = text.replace(separator, ",")
            value = [part for part in text.split(",")]
    if not isinstance(value, (list, tuple)) and not hasattr(value, "tolist"):
        raise LabelsError(f"{where}: causes must be a list or text, got {value!r}")
    items = value.tolist() if hasattr(value, "tolist") else value
    return tuple(sorted({str(item).strip().lower() for item in items if str(item).strip()}))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
