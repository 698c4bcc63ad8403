"""Response times and the customer satisfaction index through the files connector and the nightly flow: the lake's
tables read back with DuckDB, the run's summary line, and the report's response table and CSI card."""

from __future__ import annotations

from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from causa.pipelines.flows import nightly
from causa.pipelines.report_text import run_summary_text

pytestmark = pytest.mark.usefixtures("prefect_server")
RUN_DATE = date(2026, 11, 1)
MONDAY = date(2026, 10, 5)

TICKETS = """id,body,lang,at,answered,csat,nps,ces
t1,My parcel arrived two weeks late,en,2026-10-05T08:00:00Z,2026-10-05T08:10:00Z,5,10,1
t2,The courier never came and nobody called back,en,2026-10-05T09:00:00Z,2026-10-05T11:00:00Z,2,3,6
t3,Still waiting for an answer about my refund,en,2026-10-05T10:00:00Z,,,,
t4,The delivery was late again this week,en,2026-10-05T12:00:00Z,2026-10-05T11:00:00Z,,,
t5,They charged me twice for one order,en,2026-10-05T13:00:00Z,some time later,,,
t6,The order took ten days to arrive,en,2026-10-05T14:00:00Z,2026-10-06T14:00:00Z,,,
t7,Thanks for the quick help with my account,en,2026-10-06T09:00:00Z,2026-10-06T09:00:30Z,,,
"""
CONFIG = """
[lake]
root = "lake"

[metrics.csi]
weights = { csat = 0.5, nps = 0.3, ces = 0.2 }

[[sources]]
name = "helpdesk"
kind = "files"
path = "drops/*.csv"
channel = "ticket"
[sources.fields]
id = "id"
text = "body"
language = "lang"
created_at = "at"
responded_at = "answered"
csat = "csat"
nps = "nps"
ces = "ces"
"""


class Elements(HTMLParser):
    """The data-* attributes of every element of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if any(k.startswith("data-") for k in attributes):
            self.elements.append({"tag": tag, **attributes})

    def with_attr(self, name: str) -> list[dict[str, str]]:
        return [e for e in self.elements if name in e]


def read(lake: Path, sql: str) -> list[tuple]:
    """`sql` with {feedback} and {daily_summary} as the lake's tables."""
    tables = {name: f"read_parquet('{lake}/{name}/*/*.parquet', hive_partitioning = true)"
              for name in ("feedback", "daily_summary")}
    with duckdb.connect() as db:
        return db.execute(sql.format(**tables)).fetchall()


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("responses")
    (folder / "drops").mkdir()
    (folder / "drops" / "tickets.csv").write_text(TICKETS, encoding="utf-8")
    (folder / "causa.toml").write_text(CONFIG, encoding="utf-8")
    result = nightly(config_path=str(folder / "causa.toml"), run_date=RUN_DATE)
    return folder / "lake", result


def test_response_seconds_land_and_unusable_responded_at_keeps_the_item(night) -> None:
    lake, result = night
    [outcome] = result.outcomes
    assert (result.status, outcome.stored, outcome.quarantined, outcome.responses_dropped) == ("success", 7, 0, 2)
    assert "helpdesk: 7 read, 7 stored, 0 quarantined, 2 without a response time (unusable responded_at)" in (
        run_summary_text(result))
    stored = dict(read(lake, "select source_item_id, response_seconds from {feedback}"))
    # t4 was answered before it was written, t5's time cannot be read: both kept, with no response time
    assert stored == {"t1": 600.0, "t2": 7200.0, "t3": None, "t4": None, "t5": None, "t6": 86400.0, "t7": 30.0}


def test_daily_summary_has_the_response_percentiles_and_the_csi(night) -> None:
    lake, _ = night
    rows = read(lake, "select created_date, language, n_feedback, n_responded, response_p50_s, response_p90_s, n_csi, "
                      "csi from {daily_summary} order by created_date")
    # 5 Oct: times 600, 7200, 86400 -> median 7200; 90th percentile at rank 1.8: 7200 + 0.8 * (86400 - 7200).
    # CSI: t1 answers the best of each (100); t2: csat 2 -> 25, nps 3 -> 30, ces 6 -> 100/6, weighted 0.5/0.3/0.2.
    t2 = 0.5 * 25 + 0.3 * 30 + 0.2 * 100 / 6
    assert len(rows) == 2 and rows[0][:4] == (MONDAY, "en", 6, 3) and rows[1][:4] == (date(2026, 10, 6), "en", 1, 1)
    assert rows[0][4:6] == pytest.approx((7200.0, 7200.0 + 0.8 * 79200.0))
    assert rows[0][6] == 2 and rows[0][7] == pytest.approx((100.0 + t2) / 2)
    assert rows[1][4:] == (30.0, 30.0, 0, None)


def test_the_report_shows_response_times_beside_delay_complaints_and_the_csi_card(night) -> None:
    lake, _ = night
    page = Elements()
    page.feed((lake / "report.html").read_text(encoding="utf-8"))
    [week] = page.with_attr("data-response-week")
    # the week's four times 30, 600, 7200, 86400: median halfway between 600 and 7200; 90th percentile at rank 2.7
    assert (week["data-response-week"], week["data-channel"], week["data-n-responded"]) == (str(MONDAY), "ticket", "4")
    assert float(week["data-p50"]) == pytest.approx(3900.0)
    assert float(week["data-p90"]) == pytest.approx(7200.0 + 0.7 * 79200.0)
    [(delay,)] = read(lake, "select sum(cause_delay) from {daily_summary}")
    assert int(week["data-cause-count"]) == delay
    cards = {e["data-kpi"]: e for e in page.with_attr("data-kpi")}
    assert float(cards["csi"]["data-value"]) == pytest.approx((100.0 + 0.5 * 25 + 0.3 * 30 + 0.2 * 100 / 6) / 2)
    [missing] = page.with_attr("data-not-collected")
    assert missing["data-not-collected"] == "rating"
