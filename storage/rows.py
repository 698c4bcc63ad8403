"""Rows for the lake: validated candidates to feedback rows, scores to scored rows, rejects to quarantine rows."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Iterable, Sequence

import pyarrow as pa

from causa.nlp.language import LanguageDetector, detect_with_hints
from causa.nlp.model import ItemScore
from causa.nlp.redact import redact
from causa.storage.repeats import RepeatIndex, TextItem
from causa.storage.identity import author_hash, content_id, feedback_id
from causa.storage.lake import Lake
from causa.storage.schemas import FEEDBACK, QUARANTINE, SCHEMA_VERSION, SCORED
from causa.storage.score_columns import cause_score_lists, score_columns

logger = logging.getLogger(__name__)

DEFAULT_DUPLICATE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Candidate:
    """A mapped, valid feedback item before NLP (text cleaned but not yet redacted, author still in clear)."""

    source: str
    source_item_id: str
    channel: str
    created_at: datetime
    text: str
    rating: float | None
    rating_scale: int | None
    nps: int | None
    csat: int | None
    ces: int | None
    product: str | None
    author: str | None
    language_hint: str | None
    response_seconds: float | None = None
    """Seconds from created_at to the first response, when the source maps responded_at and it is usable."""
    response_problem: str | None = None
    """Why a mapped responded_at was left out (the item is kept without a response time)."""


@dataclass(frozen=True)
class Rejected:
    """A record that failed validation, with the reason and the record as received."""

    source: str
    source_item_id: str | None
    origin: str
    reason: str
    raw: str


@dataclass(frozen=True)
class FeedbackBatch:
    """Feedback rows ready to store and score, with each row's partition date.

    The language column holds the source's hints until `with_languages` fills in the detected languages.
    """

    rows: pa.Table
    created_dates: pa.Array
    repeated: int = 0
    """Items dropped as repeats: the same source id twice, or the same text from the same author in the window."""

    @property
    def texts(self) -> list[str]:
        return self.rows.column("text").to_pylist()

    @property
    def languages(self) -> list[str | None]:
        return self.rows.column("language").to_pylist()

    def with_languages(self, detector: LanguageDetector) -> FeedbackBatch:
        """The batch with each row's language: a usable hint as given, else detected (see detect_with_hints)."""
        detected = detect_with_hints(detector, self.texts, self.languages)
        column = self.rows.schema.get_field_index("language")
        rows = self.rows.set_column(column, self.rows.schema.field(column), pa.array(detected, pa.string()))
        return replace(self, rows=rows)


def prepare_feedback(
    candidates: Sequence[Candidate], salt: str, run_id: str, repeats: RunRepeats | RepeatIndex | None = None
) -> FeedbackBatch:
    """Redact, hash authors, give stable ids; the last copy of a repeated id wins. Languages are detected later.

    The same text from the same author within the duplicate window of an item already kept (earlier in the run,
    in this batch or in the lake) is dropped: see `causa.storage.repeats.RepeatIndex`.
    """
    latest: dict[str, Candidate] = {}
    for candidate in candidates:
        latest[feedback_id(candidate.source, candidate.source_item_id)] = candidate
    same_id = len(candidates) - len(latest)
    if same_id:
        logger.info("dropped %d repeated items within the batch", same_id)
    ids = sorted(latest, key=lambda key: (latest[key].created_at, key))
    redacted = [redact(latest[key].text) for key in ids]
    hashes = [author_hash(latest[key].author, salt) for key in ids]
    repeats = repeats if repeats is not None else RepeatIndex(DEFAULT_DUPLICATE_WINDOW)
    dropped = repeats.take(
        [(key, hashed, text.text, latest[key].created_at) for key, hashed, text in zip(ids, hashes, redacted)]
    )
    if dropped:
        logger.info("dropped %d items repeating an author's text", len(dropped))
    rows = []
    for key, text, hashed in zip(ids, redacted, hashes):
        if key in dropped:
            continue
        item = latest[key]
        rows.append(
            {
                "feedback_id": key,
                "source": item.source,
                "source_item_id": item.source_item_id,
                "channel": item.channel,
                "created_at": item.created_at,
                "text": text.text,
                "redactions": list(text.kinds),
                "language": item.language_hint,
                "rating": item.rating,
                "rating_scale": item.rating_scale,
                "nps": item.nps,
                "csat": item.csat,
                "ces": item.ces,
                "response_seconds": item.response_seconds,
                "product": item.product,
                "author_hash": hashed,
                "run_id": run_id,
                "schema_version": SCHEMA_VERSION,
            }
        )
    table = pa.Table.from_pylist(rows, schema=FEEDBACK.schema)
    dates = pa.array([row["created_at"].date() for row in rows], type=pa.date32())
    return FeedbackBatch(rows=table, created_dates=dates, repeated=same_id + len(dropped))


class RunRepeats:
    """A run's repeat index, fed the lake's stored items of every date its batches come near."""

    def __init__(self, lake: Lake, window: timedelta = DEFAULT_DUPLICATE_WINDOW) -> None:
        self.lake = lake
        self.window = window
        self.index = RepeatIndex(window)
        self.loaded: set[date] = set()

    def take(self, incoming: Sequence[TextItem]) -> set[str]:
        wanted = dates_near([item[3] for item in incoming], self.window) - self.loaded
        days = [day for day in self.lake.partitions(FEEDBACK) if day in wanted]
        if days:
            stored = self.lake.read(FEEDBACK, days, STORED_TEXT_COLUMNS).to_pydict()
            self.index.add_stored(zip(*(stored[name] for name in STORED_TEXT_COLUMNS)))
        self.loaded |= wanted
        return self.index.take(incoming)


STORED_TEXT_COLUMNS = ("feedback_id", "author_hash", "text", "created_at")


def dates_near(times: Iterable[datetime], window: timedelta) -> set[date]:
    """Every date within `window` of any of `times` (a superset by at most a day each side)."""
    reach = math.ceil(window / timedelta(days=1))
    return {day + timedelta(days=shift) for day in {when.date() for when in times} for shift in range(-reach, reach + 1)}


def scored_rows(batch: FeedbackBatch, scores: Sequence[ItemScore], model_version: str, run_id: str) -> pa.Table:
    """The scored table rows of a batch, in the batch's order (one score per row)."""
    if len(scores) != batch.rows.num_rows:
        raise ValueError(f"got {len(scores)} scores for a batch of {batch.rows.num_rows} rows")
    columns = {
        "feedback_id": batch.rows.column("feedback_id").to_pylist(),
        **score_columns(scores),
        "cause_scores": cause_score_lists(scores),
        "model_version": [model_version] * len(scores),
        "run_id": [run_id] * len(scores),
        "schema_version": [SCHEMA_VERSION] * len(scores),
    }
    return pa.Table.from_pydict(columns, schema=SCORED.schema)


def quarantine_rows(rejected: Sequence[Rejected], run_id: str) -> pa.Table:
    """Quarantine rows; the raw record is redacted too, so no personal data is stored there either."""
    rows = {}
    for item in rejected:
        key = content_id(item.source, item.origin, item.raw)
        rows[key] = {
            "quarantine_id": key,
            "source": item.source,
            "source_item_id": item.source_item_id,
            "raw": redact(item.raw).text,
            "reason": item.reason,
            "run_id": run_id,
            "schema_version": SCHEMA_VERSION,
        }
    return pa.Table.from_pylist(list(rows.values()), schema=QUARANTINE.schema)
