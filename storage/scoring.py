"""`causa score`: a file of texts in, one Parquet row of labels per text out (the stable evaluation interface)."""

from __future__ import annotations

import logging
from itertools import chain
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from causa.nlp.gc_pause import gc_paused
from causa.nlp.language import LanguageDetector, detect_with_hints
from causa.nlp.model import FeedbackModel, ItemScore
from causa.nlp.taxonomy import SENTIMENTS
from causa.table_files import atomic_path, iter_table_file
from causa.storage.schemas import EVIDENCE_TYPE, probability_column
from causa.storage.score_columns import cause_score_columns, score_columns
from causa.storage.scoring_pool import ModelLoader, TextBatch, scored_tables

logger = logging.getLogger(__name__)

MODEL_VERSION_KEY = b"causa.model_version"
"""The score file's Parquet metadata key naming the model version that scored it."""


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


DEFAULT_BATCH_ROWS = 5_000
INPUT_COLUMNS = ("text", "id", "language")


def score_file(input_path: Path, output_path: Path, model: FeedbackModel, tier: str = "fast", workers: int = 1,
               load_model: ModelLoader | None = None, batch_rows: int = DEFAULT_BATCH_ROWS,
               on_batch: Callable[[int], None] | None = None, model_version: str | None = None) -> int:
    """Scores every row of `input_path` (a `text` column; optional `id`, `language`) into `output_path`, whose
    Parquet metadata names `model_version` (key MODEL_VERSION_KEY) when given.

    The input is read and scored `batch_rows` rows at a time, on `workers` processes (each loading the model with
    `load_model`) when there is more than one batch; the rows are written in input order as they come, the same
    rows whatever the workers and the batch size, and the file appears whole at the end. `on_batch` is told each
    batch's row count once it is written.
    """
    batches = text_batches(input_path, batch_rows)
    first = next(batches)  # a missing file or column is named before anything is written
    count = 0
    with atomic_path(output_path) as temporary, \
            pq.ParquetWriter(temporary, _with_version(score_output_schema(model.causes), model_version)) as writer:
        for table in scored_tables(chain([first], batches), score_batch, model, tier, workers, load_model):
            writer.write_table(table)
            count += table.num_rows
            if on_batch is not None:
                on_batch(table.num_rows)
    logger.info("scored %d texts from %s into %s", count, input_path, output_path)
    return count


def _with_version(schema: pa.Schema, model_version: str | None) -> pa.Schema:
    if model_version is None:
        return schema
    return schema.with_metadata({**(schema.metadata or {}), MODEL_VERSION_KEY: model_version.encode("utf-8")})


def text_batches(input_path: Path, batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[TextBatch]:
    """The input file's rows in batches; ids default to the rows' positions in the file. Always one batch at least."""
    position = 0
    for frame in iter_table_file(input_path, batch_rows, required=("text",), columns=INPUT_COLUMNS):
        batch = _text_batch(frame, position)
        position += len(batch.texts)
        yield batch


def score_batch(model: FeedbackModel, batch: TextBatch, tier: str) -> pa.Table:
    """One batch's output rows (see `score_texts`)."""
    with gc_paused():  # detection, scoring and row building allocate much and free all by refcount
        return score_texts(model, batch.texts, batch.languages, batch.ids, tier)


def _text_batch(frame: pd.DataFrame, position: int) -> TextBatch:
    texts = ["" if value is None else str(value) for value in frame["text"].tolist()]
    if "id" in frame.columns:
        ids = [str(value) for value in frame["id"].tolist()]
    else:
        ids = [str(index) for index in range(position, position + len(texts))]
    hints = None
    if "language" in frame.columns:
        hints = [None if value is None else str(value) for value in frame["language"].tolist()]
    return TextBatch(texts, hints, ids)


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
