"""The HTTP source against a real JSON API on 127.0.0.1: three pagination styles, throttling, failures, bad pages."""

from __future__ import annotations

import logging
import pickle
import socket
import time
from datetime import date, datetime, timezone

import pytest

from causa.pipelines.settings import SettingsError, parse_settings
from causa.pipelines.sources import SourceError, Start
from causa.pipelines.sources.http import HttpSource, format_since, retry_after
from causa.pipelines.validation import validate_records
from tests.pipelines.sources_server import FeedbackApi, make_items


def http_source(address: str, **extra):
    """A validated http source: `extra` holds top-level settings, `pagination` a table."""
    entry = {"name": "api", "kind": "http", "url": address, "channel": "review", "records": "data",
             "retries": 3, "backoff": 0.01, "timeout": 5,
             "fields": {"id": "id", "text": "text", "created_at": "created_at", "rating": "stars", "author": "author"}}
    entry.update(extra)
    return parse_settings({"sources": [entry]}).sources[0]


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def ids(records) -> list[str]:
    return [record.data["id"] for record in records]


def test_page_numbers_with_since_and_a_short_last_page(api: FeedbackApi) -> None:
    source = http_source(f"{api.base}/page", since_param="since",
                         pagination={"style": "page", "size_param": "per_page", "page_size": 10})
    connector = HttpSource(source, Start(watermark=datetime(2026, 10, 2, 4, tzinfo=timezone.utc)))
    records = list(connector.extract())
    expected = [item["id"] for item in api.items if item["created_at"] >= "2026-10-02T04:00:00Z"]
    assert ids(records) == expected and len(expected) == 21
    assert [query["page"] for _, query in api.requests] == ["1", "2", "3"]  # 10 + 10 + 1: a short page ends it
    assert {query["since"] for _, query in api.requests} == {"2026-10-02T04:00:00Z"}
    assert connector.checkpoint().watermark == datetime.fromisoformat(api.items[-1]["created_at"])


def test_cursor_pagination_retries_5xx_with_exponential_backoff(api: FeedbackApi) -> None:
    api.faults[("/cursor", "10")].extend([503, 500])
    source = http_source(f"{api.base}/cursor", backoff=0.5,
                         pagination={"style": "cursor", "cursor_param": "cursor", "cursor_field": "meta.next_cursor"})
    sleeps = Sleeps()
    records = list(HttpSource(source, sleep=sleeps).extract())
    assert ids(records) == [item["id"] for item in api.items]
    assert sleeps == [0.5, 1.0]
    assert [query.get("cursor", "") for _, query in api.requests] == ["", "10", "10", "10", "20"]


def test_429_waits_as_long_as_retry_after_says(api: FeedbackApi) -> None:
    api.faults[("/page", "2")].append(429)
    api.retry_after = "1"
    source = http_source(f"{api.base}/page", pagination={"style": "page", "page_size": 10, "size_param": "per_page"})
    began = time.monotonic()
    records = list(HttpSource(source).extract())  # the real sleep
    elapsed = time.monotonic() - began
    assert len(records) == 25
    assert 1.0 <= elapsed < 5.0
    assert [query["page"] for _, query in api.requests] == ["1", "2", "2", "3"]


def test_retry_after_as_http_date_is_capped() -> None:
    assert retry_after("7") == 7.0
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: go now
    assert retry_after("soon") is None
    source = http_source("http://127.0.0.1:9/x", max_retry_after=2.5)
    assert source.http.max_retry_after == 2.5


def test_next_link_survives_one_malformed_page(api: FeedbackApi) -> None:
    api.faults[("/next", "10")].append("malformed")
    source = http_source(f"{api.base}/next?per_page=10", records="results",
                         pagination={"style": "next_link", "next_field": "links.next"})
    sleeps = Sleeps()
    records = list(HttpSource(source, sleep=sleeps).extract())
    assert ids(records) == [item["id"] for item in api.items]
    assert len(sleeps) == 1
    assert [query.get("after", "") for _, query in api.requests] == ["", "10", "10", "20"]


def test_a_page_that_stays_malformed_fails_the_source_naming_the_page(api: FeedbackApi) -> None:
    api.faults[("/page", "2")].extend(["malformed"] * 4)
    source = http_source(f"{api.base}/page", retries=3,
                         pagination={"style": "page", "page_size": 10, "size_param": "per_page"})
    malformed = r"page 2 of http://127\.0\.0\.1:\d+/page failed after 4 attempts: malformed JSON"
    with pytest.raises(SourceError, match=malformed) as raised:
        list(HttpSource(source, sleep=Sleeps()).extract())
    assert not raised.value.transient


def test_a_server_that_keeps_failing_is_reported_after_the_retries(api: FeedbackApi) -> None:
    api.always["/page"] = 503
    source = http_source(f"{api.base}/page", retries=2)
    with pytest.raises(SourceError, match="failed after 3 attempts: HTTP 503") as raised:
        list(HttpSource(source, sleep=Sleeps()).extract())
    assert len(api.requests) == 3
    assert raised.value.transient and pickle.loads(pickle.dumps(raised.value)).transient


def test_client_errors_are_not_retried(api: FeedbackApi) -> None:
    source = http_source(f"{api.base}/nowhere")
    with pytest.raises(SourceError, match="HTTP 404") as raised:
        list(HttpSource(source, sleep=Sleeps()).extract())
    assert len(api.requests) == 1
    assert not raised.value.transient


def test_an_unreachable_api_fails_as_transient() -> None:
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        source = http_source(f"http://127.0.0.1:{closed.getsockname()[1]}/page", retries=1)
        sleeps = Sleeps()
        with pytest.raises(SourceError, match=r"failed after 2 attempts: connection failed \(ConnectError\)") as raised:
            list(HttpSource(source, sleep=sleeps).extract())
    assert raised.value.transient and len(sleeps) == 1


def test_max_pages_caps_a_run_and_the_watermark_is_what_was_read(api: FeedbackApi) -> None:
    source = http_source(f"{api.base}/page", max_pages=2,
                         pagination={"style": "page", "page_size": 10, "size_param": "per_page"})
    connector = HttpSource(source)
    records = list(connector.extract())
    assert len(records) == 20 and connector.truncated
    assert connector.checkpoint().watermark == datetime.fromisoformat(api.items[19]["created_at"])


def test_secret_header_comes_from_the_environment_and_is_never_logged(api, monkeypatch, caplog) -> None:
    secret = "s3cr3t-token-value"
    api.required_token = secret
    monkeypatch.setenv("CAUSA_TEST_API_TOKEN", secret)
    source = http_source(f"{api.base}/page", headers={"Authorization": "Bearer ${CAUSA_TEST_API_TOKEN}"},
                         pagination={"style": "page", "page_size": 10, "size_param": "per_page"})
    assert source.http.headers["Authorization"] == "Bearer ${CAUSA_TEST_API_TOKEN}"
    with caplog.at_level(logging.DEBUG):
        assert len(list(HttpSource(source).extract())) == 25
    assert secret not in caplog.text
    monkeypatch.delenv("CAUSA_TEST_API_TOKEN")
    with pytest.raises(SourceError, match="CAUSA_TEST_API_TOKEN, which is not set"):
        list(HttpSource(source).extract())


def test_a_literal_secret_in_the_config_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"sources\.api\.headers\.X-Api-Key looks like a secret"):
        http_source("http://127.0.0.1/x", headers={"X-Api-Key": "abc123"})


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"pagination": {"style": "offset"}}, r"sources\.api\.pagination\.style must be one of"),
        ({"max_pages": 0}, r"sources\.api\.max_pages must be a whole number from 1"),
        ({"timeout": "10s"}, r"sources\.api\.timeout must be a number of seconds"),
        ({"url": "ftp://x"}, r"sources\.api\.url must start with http"),
        ({"since_format": "unix"}, r"sources\.api\.since_format must be one of"),
        ({"path": "x.csv"}, r"sources\.api: unknown settings \['path'\]"),
        ({"headers": {"Accept": "${BROKEN"}}, r"sources\.api\.headers\.Accept: malformed environment reference"),
    ],
)
def test_http_settings_errors_name_the_setting(extra: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        http_source("http://127.0.0.1/x", **extra)


def test_items_that_are_not_objects_go_to_quarantine_with_their_reason(api: FeedbackApi) -> None:
    api.items = make_items(3) + [{"id": "bad", "text": "", "created_at": "2026-10-03T00:00:00Z", "stars": 2}]
    source = http_source(f"{api.base}/page", pagination={"style": "page", "page_size": 10, "size_param": "per_page"})
    records = list(HttpSource(source).extract())
    good, bad = validate_records(records, source, date(2026, 11, 1))
    assert len(good) == 3 and [r.reason for r in bad] == ["api:page 1:4: empty text (field 'text')"]


def test_since_formats() -> None:
    moment = datetime(2026, 10, 2, 4, 30, tzinfo=timezone.utc)
    assert format_since(moment, "iso") == "2026-10-02T04:30:00Z"
    assert format_since(moment, "date") == "2026-10-02"
    assert format_since(moment, "epoch") == str(int(moment.timestamp()))


def test_since_date_overrides_the_watermark(api: FeedbackApi) -> None:
    source = http_source(f"{api.base}/page", since_param="since", since_format="date",
                         pagination={"style": "page", "page_size": 50, "size_param": "per_page"})
    start = Start(watermark=datetime(2026, 10, 8, tzinfo=timezone.utc), since=date(2026, 10, 5))
    records = list(HttpSource(source, start).extract())
    assert api.requests[0][1]["since"] == "2026-10-05"
    assert ids(records) == [i["id"] for i in api.items if i["created_at"] >= "2026-10-05"]


def test_responded_at_mapped_from_the_api_gives_response_times(api: FeedbackApi) -> None:
    api.items = make_items(4)
    answers = ["2026-10-01T00:45:00Z", None, "2026-10-01T13:00:00+03:00", 1790899200]  # epoch: 2026-10-02T00:00Z
    for item, answered in zip(api.items, answers):
        item["first_reply"] = answered
    fields = {"id": "id", "text": "text", "created_at": "created_at", "rating": "stars", "responded_at": "first_reply"}
    source = http_source(f"{api.base}/page", fields=fields,
                         pagination={"style": "page", "page_size": 10, "size_param": "per_page"})
    good, bad = validate_records(list(HttpSource(source).extract()), source, date(2026, 11, 1))
    # items are written every 7 hours from 2026-10-01T00:00Z; the third (14:00Z) was answered at 10:00Z, before it
    assert not bad and [c.response_seconds for c in good] == [2700.0, None, None, 3 * 3600.0]
    assert good[2].response_problem == (f"api:page 1:3: responded_at 2026-10-01T10:00:00+00:00 (field 'first_reply') "
                                        "is before created_at 2026-10-01T14:00:00+00:00")
