"""`causa score`: a file of texts in, one Parquet row of labels per text out (the stable evaluation interface)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Sequence

import pyarrow as pa

from causa.nlp.gc_pause import gc_paused
from causa.nlp.language import LanguageDetector, detect_with_hints
from causa.nlp.model import FeedbackModel, ItemScore
from causa.nlp.taxonomy import SENTIMENTS
from causa.table_files import read_table_file, write_parquet
from causa.storage.schemas import EVIDENCE_TYPE, probability_column
from causa.storage.score_columns import cause_score_columns, score_columns

logger = logging.getLogger(__name__)


def score_output_schema(causes: tuple[str, ...]) -> pa.Schema:
    """id, language, sentiment, p_<sentiment>, causes, score_<cause>, evidence, needs_review."""
    return pa.schema(
        [
            ("id", pa.string()),
            ("language", pa.string()),
            ("sentiment", pa.string()),
            *[(probability_column(sentiment), pa.float32()) for sentiment in SENTIMENTS],
            ("causes", pa.list_(pa.string())),
            *[(f"score_{cause}", pa.float32()) for cause in causes],
            ("evidence", EVIDENCE_TYPE),
            ("needs_review", pa.bool_()),
        ]
    )


def score_file(input_path: Path, output_path: Path, model: FeedbackModel, tier: str = "fast") -> int:
    """Scores every row of `input_path` (a `text` column; optional `id`, `language`) into `output_path`."""
    with gc_paused():  # reading, detection, scoring and row building allocate much and free all by refcount
        return _score_file(input_path, output_path, model, tier)


def _score_file(input_path: Path, output_path: Path, model: FeedbackModel, tier: str) -> int:
    frame = read_table_file(input_path, required=("text",))
    texts = ["" if value is None else str(value) for value in frame["text"].tolist()]
    ids = [str(value) for value in frame["id"].tolist()] if "id" in frame.columns else None
    hints = None
    if "language" in frame.columns:
        hints = [None if value is None else str(value) for value in frame["language"].tolist()]
    table = score_texts(model, texts, hints, ids, tier)
    write_parquet(table, output_path)
    logger.info("scored %d texts from %s into %s", table.num_rows, input_path, output_path)
    return table.num_rows


def score_texts(model: FeedbackModel, texts: Sequence[str], languages: Sequence[str | None] | None = None,
                ids: Sequence[str] | None = None, tier: str = "fast") -> pa.Table:
    """One row per text in `score_output_schema`; a language given for a text is used, a missing one detected;
    ids default to the texts' positions."""
    if languages is not None and len(languages) != len(texts):
        raise ValueError(f"got {len(languages)} languages for {len(texts)} texts")
    if ids is not None and len(ids) != len(texts):
        raise ValueError(f"got {len(ids)} ids for {len(texts)} texts")
    detected = detect_with_hints(LanguageDetector(), list(texts), list(languages or [None] * len(texts)))
    scores = model.score(list(texts), detected, tier=tier)
    return score_table(list(ids) if ids is not None else [str(i) for i in range(len(texts))], detected, scores,
                       model.causes)


def score_table(ids: list[str], languages: list[str], scores: list[ItemScore], causes: tuple[str, ...]) -> pa.Table:
    """The output rows in `score_output_schema`, built column by column."""
    columns = {"id": ids, "language": languages, **score_columns(scores), **cause_score_columns(scores, causes)}
    return pa.Table.from_pydict(columns, schema=score_output_schema(causes))
