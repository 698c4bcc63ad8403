"""Map raw records through a source's field mapping and validate them: good rows, or quarantine with a reason."""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable
from zoneinfo import ZoneInfo

from causa.nlp.normalise import clean_text
from causa.pipelines.errors import PipelineError
from causa.pipelines.settings import SourceSettings
from causa.pipelines.sources.records import RawRecord
from causa.storage.rows import Candidate, Rejected
from causa.storage.schemas import CHANNELS

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 20_000
SCORE_RANGES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


class InvalidRecord(PipelineError, ValueError):
    """One record's field is missing or wrong; the message names the field and the value."""


def validate_records(
    records: Iterable[RawRecord], source: SourceSettings, run_date: date | None = None
) -> tuple[list[Candidate], list[Rejected]]:
    """Good candidates and rejected records of one source; items dated after `run_date` are rejected as future."""
    latest = _end_of_day(run_date) if run_date else None
    good: list[Candidate] = []
    bad: list[Rejected] = []
    for record in records:
        data = scrub(record.data) if isinstance(record.data, dict) else {"record": scrub(record.data)}
        item_id = _optional_text(data.get(source.fields["id"])) if data else None
        try:
            if record.error:
                raise InvalidRecord(record.error)
            candidate = map_record(data, source)
            if latest is not None and candidate.created_at > latest:
                raise InvalidRecord(f"created_at {candidate.created_at.isoformat()} is after the run date {run_date}")
            if latest is not None and candidate.response_seconds is not None:
                responded_at = candidate.created_at + timedelta(seconds=candidate.response_seconds)
                if responded_at > latest:
                    candidate = replace(candidate, response_seconds=None, response_problem=(
                        f"responded_at {responded_at.isoformat()} (field {source.fields['responded_at']!r}) is after "
                        f"the run date {run_date}"))
            if candidate.response_problem is not None:
                candidate = replace(candidate, response_problem=f"{record.origin}: {candidate.response_problem}")
            good.append(candidate)
        except Exception as error:  # one bad record never stops the run: it goes to quarantine with the reason
            if not isinstance(error, InvalidRecord):
                logger.warning("%s: unexpected %s while validating: %s", record.origin, type(error).__name__, error)
            reason = error if isinstance(error, InvalidRecord) else f"cannot read record: {type(error).__name__}: {error}"
            bad.append(
                Rejected(
                    source=source.name,
                    source_item_id=item_id,
                    origin=record.origin,
                    reason=f"{record.origin}: {reason}",
                    raw=json.dumps(_without_author(data, source), ensure_ascii=False, sort_keys=True, default=str),
                )
            )
    return good, bad


AUTHOR_PLACEHOLDER = "[AUTHOR]"


def _without_author(data: dict[str, Any], source: SourceSettings) -> dict[str, Any]:
    """The record for quarantine with the author handle replaced: handles are never stored, not even there."""
    name = source.fields.get("author")
    if name is None or data.get(name) in (None, ""):
        return data
    return {**data, name: AUTHOR_PLACEHOLDER}


_SURROGATES = re.compile("[\ud800-\udfff]")


def scrub(value: Any) -> Any:
    """The value with lone UTF-16 surrogates (from JSON escapes such as \\ud800) replaced by U+FFFD, recursively.

    Such strings cannot be encoded as UTF-8, so hashing or storing them would fail later.
    """
    if isinstance(value, str):
        return value if value.isascii() else _SURROGATES.sub("\ufffd", value)
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    return value


def map_record(data: dict[str, Any], source: SourceSettings) -> Candidate:
    """One raw record mapped to a candidate; raises InvalidRecord naming the bad field."""
    fields = source.fields
    item_id = _optional_text(data.get(fields["id"]))
    if item_id is None:
        raise InvalidRecord(f"missing id (field {fields['id']!r})")
    text = data.get(fields["text"])
    if not isinstance(text, str):
        raise InvalidRecord(f"text (field {fields['text']!r}) must be a string, got {_show(text)}")
    if not text.strip():
        raise InvalidRecord(f"empty text (field {fields['text']!r})")
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS]
    text = clean_text(text)
    if not text:
        raise InvalidRecord(f"empty text (field {fields['text']!r}) once invisible characters are removed")
    created_at = parse_timestamp(data.get(fields["created_at"]), source.timezone, fields["created_at"])
    channel = source.channel
    if "channel" in fields:
        channel = _optional_text(data.get(fields["channel"])) or source.channel
    if channel not in CHANNELS:
        raise InvalidRecord(f"channel {channel!r} is not one of {list(CHANNELS)}")
    rating = _rating(data, source)
    scores = {name: _bounded_int(data, source, name) for name in SCORE_RANGES}
    response_seconds, response_problem = _response_time(data, source, created_at)
    return Candidate(
        source=source.name,
        source_item_id=item_id,
        channel=channel,
        created_at=created_at,
        text=text,
        rating=rating,
        rating_scale=source.rating_scale if rating is not None else None,
        nps=scores["nps"],
        csat=scores["csat"],
        ces=scores["ces"],
        product=_optional_text(data.get(fields["product"])) if "product" in fields else None,
        author=_optional_text(data.get(fields["author"])) if "author" in fields else None,
        language_hint=_optional_text(data.get(fields["language"])) if "language" in fields else None,
        response_seconds=response_seconds,
        response_problem=response_problem,
    )


def _response_time(
    data: dict[str, Any], source: SourceSettings, created_at: datetime
) -> tuple[float | None, str | None]:
    """Seconds from created_at to the mapped responded_at, or None with the reason when that value is unusable
    (unreadable, or before created_at): the item itself is good, only its response time is left out. An empty
    responded_at is an item not answered yet: no time, no problem."""
    name = source.fields.get("responded_at")
    if name is None:
        return None, None
    value = data.get(name)
    if _optional_text(value) is None:
        return None, None
    try:
        responded_at = parse_timestamp(value, source.timezone, name, role="responded_at")
    except InvalidRecord as error:
        return None, str(error)
    if responded_at < created_at:
        return None, (f"responded_at {responded_at.isoformat()} (field {name!r}) is before created_at "
                      f"{created_at.isoformat()}")
    return (responded_at - created_at).total_seconds(), None


def parse_timestamp(value: Any, zone_name: str, field_name: str, role: str = "created_at") -> datetime:
    """A timestamp in UTC from ISO 8601 text, a datetime or epoch seconds; naive times are in the source's zone.

    `role` is the item field the value is mapped to (created_at, responded_at), named in the errors."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        try:
            parsed = datetime.fromtimestamp(float(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise InvalidRecord(f"{role} (field {field_name!r}) is out of range: {value!r}") from None
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidRecord(f"{role} (field {field_name!r}) is not a valid ISO 8601 time: {value!r}") from None
    else:
        raise InvalidRecord(f"missing or invalid {role} (field {field_name!r}): {_show(value)}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone_name))
    try:
        parsed = parsed.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        raise InvalidRecord(f"{role} (field {field_name!r}) is out of range: {value!r}") from None
    if not 1990 <= parsed.year <= 2100:
        raise InvalidRecord(f"{role} (field {field_name!r}) is out of range: {value!r}")
    return parsed


def _rating(data: dict[str, Any], source: SourceSettings) -> float | None:
    if "rating" not in source.fields:
        return None
    value = _number(data.get(source.fields["rating"]), f"rating (field {source.fields['rating']!r})")
    if value is None:
        return None
    if not 1 <= value <= source.rating_scale:
        raise InvalidRecord(f"rating {value:g} is outside 1..{source.rating_scale}")
    return value


def _bounded_int(data: dict[str, Any], source: SourceSettings, name: str) -> int | None:
    if name not in source.fields:
        return None
    value = _number(data.get(source.fields[name]), f"{name} (field {source.fields[name]!r})")
    if value is None:
        return None
    low, high = SCORE_RANGES[name]
    if value != int(value) or not low <= value <= high:
        raise InvalidRecord(f"{name} {value:g} is not a whole number in {low}..{high}")
    return int(value)


def _number(value: Any, what: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidRecord(f"{what} must be a number, got {value!r}")
    try:
        number = float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise InvalidRecord(f"{what} must be a number, got {_show(value)}") from None
    if not math.isfinite(number):
        raise InvalidRecord(f"{what} must be a finite number, got {value!r}")
    return number


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def _end_of_day(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=timezone.utc) - timedelta(microseconds=1)


def _show(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."
