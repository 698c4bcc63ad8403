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


RESPONDED = SourceSettings(
    name="tickets",
    kind="files",
    path="x",
    channel="ticket",
    fields={"id": "rid", "text": "body", "created_at": "at", "responded_at": "answered"},
    timezone="Europe/Bucharest",
)


def test_responded_at_gives_the_seconds_to_the_first_response_read_like_created_at() -> None:
    records = [
        record(rid="1", answered="2026-10-01 15:30:00"),  # naive: Bucharest (UTC+3) time, 12:30 UTC
        record(rid="2", answered="2026-10-01T10:00:00Z"),  # answered the moment it was written
        record(rid="3", answered=1790852400),  # epoch seconds: 2026-10-01T11:00:00Z
        record(rid="4", answered=""),  # not answered yet
        record(rid="5"),  # no such field in this record
    ]
    good, bad = validate_records(records, RESPONDED)
    assert bad == []
    assert [c.response_seconds for c in good] == [9000.0, 0.0, 3600.0, None, None]
    assert [c.response_problem for c in good] == [None] * 5


@pytest.mark.parametrize(
    ("answered", "problem"),
    [
        ("2026-10-01T09:59:59Z", "f.csv:2: responded_at 2026-10-01T09:59:59+00:00 (field 'answered') is before "
                                 "created_at 2026-10-01T10:00:00+00:00"),
        ("soon", "f.csv:2: responded_at (field 'answered') is not a valid ISO 8601 time: 'soon'"),
        ("2026-10-09T00:00:00Z", "f.csv:2: responded_at 2026-10-09T00:00:00+00:00 (field 'answered') is after the run "
                                 "date 2026-10-05"),
    ],
)
def test_an_unusable_responded_at_keeps_the_item_without_a_response_time(answered: str, problem: str) -> None:
    [good], bad = validate_records([record(answered=answered)], RESPONDED, date(2026, 10, 5))
    assert bad == [] and good.text == "Late again"
    assert good.response_seconds is None and good.response_problem == problem
