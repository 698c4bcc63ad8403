"""Raw records map through the field mapping; each bad record is rejected with a reason naming the field."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from causa.pipelines.settings import SourceSettings
from causa.pipelines.sources.records import RawRecord
from causa.pipelines.validation import validate_records

SOURCE = SourceSettings(
    name="reviews",
    kind="files",
    path="x",
    channel="review",
    fields={"id": "rid", "text": "body", "created_at": "at", "rating": "stars", "author": "user"},
    timezone="Europe/Bucharest",
)


def record(**data) -> RawRecord:
    base = {"rid": "1", "body": "Late again", "at": "2026-10-01T10:00:00Z", "stars": "2", "user": "ana"}
    return RawRecord(origin="f.csv:2", data={**base, **data})


def test_good_record_is_mapped() -> None:
    [good], bad = validate_records([record()], SOURCE)
    assert bad == []
    assert good.source_item_id == "1" and good.text == "Late again" and good.rating == 2.0
    assert good.created_at == datetime(2026, 10, 1, 10, tzinfo=timezone.utc)
    assert good.author == "ana" and good.channel == "review"


def test_naive_time_is_read_in_the_source_time_zone() -> None:
    [good], _ = validate_records([record(at="2026-10-01 12:00:00")], SOURCE)
    assert good.created_at == datetime(2026, 10, 1, 9, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ({"body": "   "}, "empty text"),
        ({"body": None}, "text (field 'body') must be a string"),
        ({"at": "2026-13-41T25:00:00Z"}, "not a valid ISO 8601 time: '2026-13-41T25:00:00Z'"),
        ({"at": None}, "missing or invalid created_at"),
        ({"stars": "9"}, "rating 9 is outside 1..5"),
        ({"stars": "lots"}, "rating (field 'stars') must be a number"),
        ({"rid": ""}, "missing id"),
    ],
)
def test_bad_record_is_rejected_with_its_reason(data: dict, reason: str) -> None:
    good, [bad] = validate_records([record(**data)], SOURCE)
    assert good == []
    assert reason in bad.reason and bad.reason.startswith("f.csv:2")
    assert bad.source == "reviews"


def test_parse_error_from_the_source_is_rejected() -> None:
    _, [bad] = validate_records([RawRecord(origin="f.jsonl:3", data={"line": "{"}, error="invalid JSON")], SOURCE)
    assert "invalid JSON" in bad.reason


def test_item_after_the_run_date_is_rejected() -> None:
    _, [bad] = validate_records([record(at="2026-10-05T00:00:00Z")], SOURCE, run_date=date(2026, 10, 4))
    assert "after the run date" in bad.reason
