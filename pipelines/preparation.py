"""Pure steps between validation and the lake: candidates to feedback rows, scores to scored rows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import pyarrow as pa

from nlp.language import LanguageDetector
from nlp.model import ItemScore
from nlp.normalise import clean_text
from nlp.redact import redact
from nlp.taxonomy import SUPPORTED_LANGUAGES
from pipelines.validation import Candidate, Rejected
from storage.identity import author_hash, content_id, feedback_id
from storage.schemas import FEEDBACK, QUARANTINE, SCHEMA_VERSION, SCORED

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeedbackBatch:
    """Feedback rows ready to store and score, with each row's partition date."""

    rows: pa.Table
    created_dates: pa.Array

    @property
    def texts(self) -> list[str]:
        return self.rows.column("text").to_pylist()

    @property
    def languages(self) -> list[str]:
        return self.rows.column("language").to_pylist()


def prepare_feedback(
    candidates: Sequence[Candidate], detector: LanguageDetector, salt: str, run_id: str
) -> FeedbackBatch:
    """Clean, redact, detect language, hash authors, give stable ids; the last copy of a repeated id wins."""
    latest: dict[str, Candidate] = {}
    for candidate in candidates:
        latest[feedback_id(candidate.source, candidate.source_item_id)] = candidate
    if len(latest) < len(candidates):
        logger.info("dropped %d repeated items within the batch", len(candidates) - len(latest))
    ids = sorted(latest, key=lambda key: (latest[key].created_at, key))
    redacted = [redact(clean_text(latest[key].text)) for key in ids]
    detected = detector.detect_many([item.text for item in redacted])
    rows = []
    for key, text, language in zip(ids, redacted, detected):
        item = latest[key]
        hint = (item.language_hint or "").lower()
        rows.append(
            {
                "feedback_id": key,
                "source": item.source,
                "source_item_id": item.source_item_id,
                "channel": item.channel,
                "created_at": item.created_at,
                "text": text.text,
                "redactions": list(text.kinds),
                "language": hint if hint in SUPPORTED_LANGUAGES else language,
                "rating": item.rating,
                "rating_scale": item.rating_scale,
                "nps": item.nps,
                "csat": item.csat,
                "ces": item.ces,
                "product": item.product,
                "author_hash": author_hash(item.author, salt),
                "run_id": run_id,
                "schema_version": SCHEMA_VERSION,
            }
        )
    table = pa.Table.from_pylist(rows, schema=FEEDBACK.schema)
    dates = pa.array([latest[key].created_at.date() for key in ids], type=pa.date32())
    return FeedbackBatch(rows=table, created_dates=dates)


def scored_rows(batch: FeedbackBatch, scores: Sequence[ItemScore], model_version: str, run_id: str) -> pa.Table:
    """The scored table rows of a batch, in the batch's order."""
    ids = batch.rows.column("feedback_id").to_pylist()
    rows = [
        {
            "feedback_id": key,
            "sentiment": score.sentiment,
            "p_negative": score.probabilities["negative"],
            "p_neutral": score.probabilities["neutral"],
            "p_positive": score.probabilities["positive"],
            "causes": list(score.causes),
            "cause_scores": [{"cause": cause, "score": value} for cause, value in score.cause_scores.items()],
            "evidence": [
                {"cause": span.cause, "start": span.start, "end": span.end, "text": span.text}
                for span in score.evidence
            ],
            "needs_review": score.needs_review,
            "model_version": model_version,
            "run_id": run_id,
            "schema_version": SCHEMA_VERSION,
        }
        for key, score in zip(ids, scores)
    ]
    return pa.Table.from_pylist(rows, schema=SCORED.schema)


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
