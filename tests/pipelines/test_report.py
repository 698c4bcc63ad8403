"""The report over the bundled sample: written by the nightly flow, numbers equal to the tables, drawn in Chromium."""

from __future__ import annotations

import io
import os
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from causa.pipelines.cli import main
from causa.pipelines.flows import nightly

pytestmark = pytest.mark.usefixtures("prefect_server")
RUN_DATE = date(2026, 11, 20)
SECTIONS = ("kpis", "sentiment", "causes", "alerts", "impact", "themes", "languages", "evidence")


class Page(HTMLParser):
    """Collects the report's sections and the data-* attributes of its elements."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[str]] = {}
        self.current: str | None = None
        self.elements: list[dict[str, str]] = []
        self.svgs = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "section":
            self.current = attributes["data-section"]
            self.sections[self.current] = []
        if tag == "svg":
            self.svgs += 1
        if tag in ("script", "link", "img", "iframe") or any(
            k in ("src", "href") and not v.startswith("#") for k, v in attributes.items()
        ):
            self.external.append(f"{tag} {attributes}")
        if any(k.startswith("data-") for k in attributes):
            self.elements.append({"tag": tag, "section": self.current or "", **attributes})

    def handle_data(self, data: str) -> None:
        if self.current and data.strip():
            self.sections[self.current].append(data.strip())

    def with_attr(self, name: str) -> list[dict[str, str]]:
        return [e for e in self.elements if name in e]


@pytest.fixture(scope="module")
def night(tmp_path_factory) -> Path:
    """The lake root after one nightly run over the bundled sample."""
    from causa.pipelines.settings import default_config_path

    folder = tmp_path_factory.mktemp("report")
    config = folder / "causa.toml"
    config.write_text(default_config_path().read_text(encoding="utf-8"), encoding="utf-8")
    assert nightly(config_path=str(config), run_date=RUN_DATE).status == "success"
    return folder / "lake"


@pytest.fixture(scope="module")
def page(night: Path) -> Page:
    parsed = Page()
    parsed.feed((night / "report.html").read_text(encoding="utf-8"))
    return parsed


def table(lake: Path, name: str) -> str:
    return f"read_parquet('{lake}/{name}/*/*.parquet', hive_partitioning = true)"


def items(lake: Path) -> str:
    return f"({table(lake, 'feedback')} f join {table(lake, 'scored')} s using (feedback_id, created_date))"


def test_every_section_is_present_and_not_empty(page: Page) -> None:
    assert tuple(page.sections) == SECTIONS
    for name, texts in page.sections.items():
        assert len(" ".join(texts)) > 40, name
    assert page.with_attr("data-alert"), "the sample has a delay spike on social"
    assert page.with_attr("data-theme") and page.with_attr("data-evidence")
    assert page.svgs >= 4 and page.external == []


def test_kpis_equal_the_tables(night: Path, page: Page) -> None:
    with duckdb.connect() as db:
        end = db.execute(f"select max(created_date) from {table(night, 'feedback')}").fetchall()[0][0]
        start = end - timedelta(days=6)
        where = f"created_date between date '{start}' and date '{end}'"
        n, negative, rating, delay = db.execute(
            f"select count(*), avg((sentiment = 'negative')::int) * 100, avg(1 + (rating - 1) * 4 / (rating_scale - 1)),"
            f" avg(list_contains(causes, 'delay')::int) * 100 from {items(night)} where {where}"
        ).fetchall()[0]
        summary = db.execute(
            f"select sum(n_feedback), 100.0 * sum(n_negative) / sum(n_feedback), sum(avg_rating * n_rated) / sum(n_rated)"
            f" from {table(night, 'daily_summary')} where {where}"
        ).fetchall()[0]
    kpis = {e["data-kpi"]: e for e in page.with_attr("data-kpi")}
    assert float(kpis["n_feedback"]["data-value"]) == n == summary[0]
    assert float(kpis["negative_pct"]["data-value"]) == pytest.approx(negative) == pytest.approx(summary[1])
    assert float(kpis["avg_rating"]["data-value"]) == pytest.approx(rating) == pytest.approx(summary[2])
    assert float(kpis["cause_delay_pct"]["data-value"]) == pytest.approx(delay)
    assert kpis["csat_pct"]["data-value"] == ""  # the sample has no CSAT answers: shown as n/a, not as 0


def test_impact_alerts_and_languages_equal_the_tables(night: Path, page: Page) -> None:
    with duckdb.connect() as db:
        rated = db.execute(
            f"select c, count(*) filter (where list_contains(causes, c)), count(*) filter (where not list_contains(causes, c)),"
            f" avg(rating) filter (where list_contains(causes, c)) - avg(rating) filter (where not list_contains(causes, c))"
            f" from {items(night)}, (select unnest(['delay', 'rudeness', 'overcharge', 'unresolved_issue']) as c)"
            f" where rating is not null group by c"
        ).fetchall()
        alerts = db.execute(f"select created_date, cause, channel from {table(night, 'alerts')}").fetchall()
        languages = dict(db.execute(f"select language, count(*) from {table(night, 'feedback')} group by 1").fetchall())
    impact = {(e["data-cause"], e["data-metric"]): e for e in page.with_attr("data-metric")}
    for cause, n_with, n_without, difference in rated:
        row = impact[(cause, "rating")]
        assert int(row["data-n-with"]) == n_with > 0
        assert float(row["data-difference"]) == pytest.approx(difference)  # the sample's ratings are all of 5
    assert sorted(e["data-alert"] for e in page.with_attr("data-alert")) == sorted(
        f"{d}|{c}|{ch}" for d, c, ch in alerts
    )
    assert {e["data-language"]: int(e["data-count"]) for e in page.with_attr("data-language")} == languages


def test_report_command_writes_the_chosen_period(night: Path, tmp_path: Path, capsys) -> None:
    output = tmp_path / "october.html"
    config = night.parent / "causa.toml"
    assert main(["report", "--config", str(config), "--from", "2026-10-01", "--to", "2026-10-31", "-o", str(output)]) == 0
    parsed = Page()
    parsed.feed(output.read_text(encoding="utf-8"))
    assert "2026-10-01 to 2026-10-31" in capsys.readouterr().out
    with duckdb.connect() as db:
        october = dict(db.execute(
            f"select language, count(*) from {table(night, 'feedback')} where created_date < date '2026-11-01' group by 1"
        ).fetchall())
    assert {e["data-language"]: int(e["data-count"]) for e in parsed.with_attr("data-language")} == october
    assert main(["report", "--config", str(config), "--from", "2027-01-01", "-o", str(output)]) == 2


@pytest.mark.skipif(not os.access("/usr/bin/chromium", os.X_OK), reason="needs Debian's chromium (.ci/install.d/30-chromium.sh)")
def test_report_renders_in_headless_chromium(night: Path, tmp_path: Path) -> None:
    from PIL import Image

    from tests.pipelines.chromium import visit

    check = """(() => {
      const svgs = [...document.querySelectorAll('svg.chart')];
      return {
        charts: svgs.length,
        drawn: svgs.filter(s => s.getBoundingClientRect().width > 50 && s.querySelectorAll('rect,polyline,circle').length > 0).length,
        sections: [...document.querySelectorAll('section')].map(s => [s.id, s.getBoundingClientRect().height]),
        marks: document.querySelectorAll('#evidence mark').length,
      };
    })()"""
    result = visit((night / "report.html").resolve().as_uri(), check)
    assert result.console_errors == []
    assert all(url.startswith("file://") for url in result.requests), result.requests
    dom = result.evaluated
    assert dom["charts"] >= 4 and dom["drawn"] == dom["charts"]
    assert [name for name, _ in dom["sections"]] == list(SECTIONS)
    assert all(height > 60 for _, height in dom["sections"])
    assert dom["marks"] >= 4
    (tmp_path / "report.png").write_bytes(result.screenshot_png)
    image = Image.open(io.BytesIO(result.screenshot_png)).convert("L")
    assert image.width > 1000 and image.height > 2000  # the whole page
    extrema = image.getextrema()
    assert extrema[1] - extrema[0] > 100, "screenshot is blank"
    histogram = image.histogram()
    assert max(histogram) / sum(histogram) < 0.97, "screenshot is nearly one colour"
