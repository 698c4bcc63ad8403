"""The report over the bundled sample: written by the nightly flow, numbers equal to the tables, drawn in Chromium."""

from __future__ import annotations

import io
import os
import re
import string
from datetime import date, datetime, timedelta, timezone
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
        self.lang = ""
        self.headings: dict[str, str] = {}
        self.fields: dict[str, str] = {}
        self.charts: list[dict] = []
        """Each fluid chart: its svg attributes and its tick labels (attributes and text)."""
        self.cells: list[str] = []
        self.theme_examples: dict[str, list[str]] = {}
        self.theme_terms: list[str] = []
        self._open: tuple[str, object] | None = None

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = attributes.get("lang", "")
        if tag == "section":
            self.current = attributes["data-section"]
            self.sections[self.current] = []
        if tag == "svg":
            self.svgs += 1
            if attributes.get("width") == "100%":
                self.charts.append({"svg": attributes, "ticks": []})
        if tag == "h2" and self.current:
            self._open = ("heading", self.current)
        if tag == "dd" and "data-field" in attributes:
            self._open = ("field", attributes["data-field"])
        if tag == "text" and attributes.get("class") == "tick" and self.charts:
            self.charts[-1]["ticks"].append(attributes)
            self._open = ("tick", attributes)
        if tag == "td":
            self._open = ("cell", None)
        if tag == "b" and self.current == "themes":
            self._open = ("terms", None)
        if tag == "blockquote" and self.current == "themes":
            self.theme_examples.setdefault(self.with_attr("data-theme")[-1]["data-theme"], [])
            self._open = ("example", self.with_attr("data-theme")[-1]["data-theme"])
        if tag in ("script", "link", "img", "iframe") or any(
            k in ("src", "href") and not v.startswith("#") for k, v in attributes.items()
        ):
            self.external.append(f"{tag} {attributes}")
        if any(k.startswith("data-") for k in attributes):
            self.elements.append({"tag": tag, "section": self.current or "", **attributes})

    def handle_data(self, data: str) -> None:
        if self.current and data.strip():
            self.sections[self.current].append(data.strip())
        if self._open is not None:
            kind, key = self._open
            if kind == "heading":
                self.headings[key] = data
            elif kind == "field":
                self.fields[key] = data
            elif kind == "tick":
                key["text"] = data
            elif kind == "cell":
                self.cells.append(data)
            elif kind == "terms":
                self.theme_terms.append(data)
            elif kind == "example":
                self.theme_examples[key].append(data)
            self._open = None

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
    assert kpis["cause_delay_pct"]["data-value"] != ""


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
            f"select language, count(*) from {table(night, 'feedback')}"
            f" where created_date between date '2026-10-01' and date '2026-10-31' group by 1"
        ).fetchall())
    assert {e["data-language"]: int(e["data-count"]) for e in parsed.with_attr("data-language")} == october
    assert main(["report", "--config", str(config), "--from", "2027-01-01", "-o", str(output)]) == 2


def period(lake: Path) -> tuple[date, date]:
    """The default report period: the 90 days up to the last day with data (from the first day with data)."""
    with duckdb.connect() as db:
        end = db.execute(f"select max(created_date) from {table(lake, 'daily_summary')}").fetchall()[0][0]
        start = db.execute(f"select min(created_date) from {table(lake, 'daily_summary')} "
                           f"where created_date >= date '{end - timedelta(days=89)}'").fetchall()[0][0]
    return start, end


def test_the_page_says_what_produced_it(night: Path, page: Page) -> None:
    with duckdb.connect() as db:
        run_id, status = db.execute(
            f"select run_id, status from {table(night, 'runs')} order by ended_at desc limit 1"
        ).fetchall()[0]
        versions = [v for (v,) in db.execute(f"select distinct model_version from {table(night, 'scored')} order by 1")
                    .fetchall()]
    made = next(e for e in page.elements if e["tag"] == "dl")
    assert (made["data-run-id"], made["data-run-status"]) == (run_id, status) == (run_id, "success")
    assert made["data-model-version"].split(",") == versions and versions
    assert made["data-lake"] == str(night)
    generated = datetime.fromisoformat(made["data-generated-at"])
    assert timedelta(0) <= datetime.now(timezone.utc) - generated < timedelta(hours=1)
    start, end = period(night)
    assert page.fields["period"] == f"{start} to {end}"
    assert run_id in page.fields["run"] and "success" in page.fields["run"]
    assert page.fields["model"] == ", ".join(versions) and page.fields["lake"] == str(night)


def test_every_word_exists_in_every_locale_with_the_same_placeholders() -> None:
    from causa.storage.report.words import LOCALES, all_words

    def placeholders(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    words = all_words()
    assert set(words) == set(LOCALES) == {"en", "pt", "es", "ro", "ru"}
    english = words["en"]
    for locale in LOCALES:
        assert set(words[locale]) == set(english), locale
        for key, text in words[locale].items():
            if key == "months":
                assert len(text) == 12 and all(text), locale
            else:
                assert text.strip() and placeholders(text) == placeholders(english[key]), (locale, key)
    assert words["ru"]["sec_kpis"] != english["sec_kpis"] and words["pt"]["cause_delay"] != english["cause_delay"]


def test_causes_show_display_names_not_identifiers(page: Page) -> None:
    visible = " ".join(" ".join(texts) for texts in page.sections.values())
    assert "unresolved_issue" not in visible and "Unresolved issue" in visible
    assert {"Delay", "Rudeness", "Overcharge"} <= set(page.cells)
    assert page.lang == "en"


def test_locale_ru_renders_russian_words(night: Path, tmp_path: Path) -> None:
    from dataclasses import asdict

    from causa.storage.alerts import DEFAULT_RULE
    from causa.storage.report.words import all_words

    russian = all_words()["ru"]
    output = tmp_path / "ru.html"
    assert main(["report", "--config", str(night.parent / "causa.toml"), "--locale", "ru", "-o", str(output)]) == 0
    parsed = Page()
    parsed.feed(output.read_text(encoding="utf-8"))
    assert parsed.lang == "ru"
    assert parsed.headings == {name: russian[f"sec_{name}"] for name in SECTIONS}
    assert parsed.headings["kpis"] == "Ключевые показатели"
    assert russian["cause_unresolved_issue"] in parsed.cells and "Unresolved issue" not in parsed.cells
    rule = russian["alert_rule"].format(**asdict(DEFAULT_RULE))
    assert rule in parsed.sections["alerts"] and "Poisson" not in rule and str(DEFAULT_RULE.min_count) in rule
    tests = {russian["test_count"], russian["test_share"], f'{russian["test_count"]} + {russian["test_share"]}'}
    shown = [cell for cell in parsed.cells if cell in tests]
    assert len(shown) == len(parsed.with_attr("data-alert")) > 0, "every alert names its test in Russian"
    assert not {"count", "share", "count+share"} & set(parsed.cells)
    assert any(re.fullmatch(r"\d\d (янв|фев|мар|апр|мая|июн|июл|авг|сен|окт|ноя|дек)\*?", tick["text"])
               for chart in parsed.charts for tick in chart["ticks"])


def test_the_configured_locale_is_the_default(night: Path, tmp_path: Path) -> None:
    from causa.pipelines.settings import SettingsError, parse_settings

    config = night.parent / "causa_pt.toml"
    config.write_text((night.parent / "causa.toml").read_text(encoding="utf-8") + '\n[report]\nlocale = "pt"\n',
                      encoding="utf-8")
    output = tmp_path / "pt.html"
    assert main(["report", "--config", str(config), "-o", str(output)]) == 0
    parsed = Page()
    parsed.feed(output.read_text(encoding="utf-8"))
    assert parsed.lang == "pt" and parsed.headings["causes"] == "Causas ao longo do tempo por canal"
    with pytest.raises(SettingsError, match=r"report\.locale must be one of .*'de'"):
        parse_settings({"report": {"locale": "de"}})


def test_metrics_no_source_gives_are_said_once_and_shown_nowhere(night: Path, tmp_path: Path) -> None:
    start, end = date(2026, 8, 18), date(2026, 8, 31)  # the sample's surveys start in September
    output = tmp_path / "august.html"
    assert main(["report", "--config", str(night.parent / "causa.toml"), "--from", str(start), "--to", str(end),
                 "-o", str(output)]) == 0
    page = Page()
    page.feed(output.read_text(encoding="utf-8"))
    with duckdb.connect() as db:
        counts = db.execute(
            f"select sum(n_rated), sum(n_csat), sum(n_nps), sum(n_ces), sum(n_csi), sum(n_responded)"
            f" from {table(night, 'daily_summary')} where created_date between date '{start}' and date '{end}'"
        ).fetchall()[0]
    collected = dict(zip(("rating", "csat", "nps", "ces", "csi", "response"), (n > 0 for n in counts)))
    missing = [metric for metric, is_collected in collected.items() if not is_collected]
    assert {"csat", "nps", "ces"} <= set(missing), "before September the sample has no survey answers"
    kpi_of = {"rating": "avg_rating", "csat": "csat_pct", "nps": "nps", "ces": "ces_avg", "csi": "csi"}
    kpis = {e["data-kpi"] for e in page.with_attr("data-kpi")}
    impact = {e["data-metric"] for e in page.with_attr("data-metric")}
    for metric, is_collected in collected.items():
        if metric in kpi_of:
            assert (kpi_of[metric] in kpis) == is_collected, metric
        if metric in ("rating", "csat", "nps"):
            assert (metric in impact) == is_collected, metric
    assert bool(page.with_attr("data-response-week")) == collected["response"]
    said = [e["data-not-collected"] for e in page.with_attr("data-not-collected")]
    assert said == [",".join(missing)]
    assert "n/a" not in " ".join(page.sections["kpis"])


def test_charts_scale_to_their_card_with_every_tick_inside_and_partial_weeks_marked(night: Path, page: Page) -> None:
    start, end = period(night)
    first_week_partial = start.weekday() != 0
    last_week_partial = end.weekday() != 6
    advance = 0.65  # em per character: DejaVu Sans' digits are 0.636 em wide, most lower-case letters less
    assert len(page.charts) >= 4
    for chart in page.charts:
        _, _, width, _ = map(float, chart["svg"]["viewbox"].split())
        assert chart["svg"]["width"] == "100%" and "height" not in chart["svg"]
        for tick in chart["ticks"]:
            extent = len(tick["text"]) * float(tick["font-size"]) * advance
            x = float(tick["x"])
            left = {"start": x, "middle": x - extent / 2, "end": x - extent}[tick["text-anchor"]]
            assert 0 <= left and left + extent <= width, tick
    for chart in page.charts[:2]:  # sentiment, then the first channel's causes
        ticks = chart["ticks"]
        assert (ticks[0].get("data-partial") == "true") == first_week_partial == ticks[0]["text"].endswith("*")
        assert (ticks[-1].get("data-partial") == "true") == last_week_partial == ticks[-1]["text"].endswith("*")
    assert first_week_partial or last_week_partial, "the sample's period starts or ends mid-week"
    assert "partial week" in " ".join(page.sections["sentiment"])


def test_unexplained_themes_are_per_language_from_unexplained_complaints_only(night: Path, page: Page) -> None:
    themes = page.with_attr("data-theme")
    assert len({t["data-languages"] for t in themes}) >= 3, "the sample's complaints are in several languages"
    with duckdb.connect() as db:
        for theme in themes:
            (language,) = theme["data-languages"].split(",")
            examples = page.theme_examples[theme["data-theme"]]
            assert examples
            for text in examples:
                found = db.execute(
                    f"select language, sentiment, len(causes), coalesce(1 + (rating - 1) * 4 / (rating_scale - 1), 0)"
                    f" from {items(night)} where text = ?", [text]
                ).fetchall()
                assert found, text
                assert all(row[0] == language and row[1] == "negative" and row[2] == 0 and row[3] < 4 for row in found), (
                    text, found)
    assert len(page.theme_terms) == len(themes)
    for terms in page.theme_terms:
        assert all(any(ch.isalpha() for ch in term) for term in terms.split(", ")), terms


needs_chromium = pytest.mark.skipif(not os.access("/usr/bin/chromium", os.X_OK),
                                    reason="needs Debian's chromium (.ci/install.d/30-chromium.sh)")
TEXT_OUTSIDE_CHARTS = """[...document.querySelectorAll('svg.chart')].flatMap(s => {
          const box = s.getBoundingClientRect();
          return [...s.querySelectorAll('text')].filter(t => {
            const r = t.getBoundingClientRect();
            return r.left < box.left - 0.5 || r.right > box.right + 0.5 || r.top < box.top - 0.5 || r.bottom > box.bottom + 0.5;
          }).map(t => t.textContent);
        })"""
"""The text of every chart drawn outside its svg's box (JavaScript)."""


@needs_chromium
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
        textOutside: """ + TEXT_OUTSIDE_CHARTS + """,
        fluid: svgs.filter(s => s.getAttribute('width') === '100%')
          .map(s => {
            const style = getComputedStyle(s.parentElement);
            const room = s.parentElement.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
            return [s.getBoundingClientRect().width, room];
          }),
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
    assert dom["textOutside"] == []
    assert dom["fluid"] and all(width >= 0.98 * card > 0 for width, card in dom["fluid"])
    (tmp_path / "report.png").write_bytes(result.screenshot_png)
    image = Image.open(io.BytesIO(result.screenshot_png)).convert("L")
    assert image.width > 1000 and image.height > 2000  # the whole page
    extrema = image.getextrema()
    assert extrema[1] - extrema[0] > 100, "screenshot is blank"
    histogram = image.histogram()
    assert max(histogram) / sum(histogram) < 0.97, "screenshot is nearly one colour"


def test_model_shows_only_the_rows_that_version_scored_and_names_the_others(night: Path, tmp_path: Path,
                                                                            capsys, caplog) -> None:
    import shutil

    import pyarrow as pa
    import pyarrow.compute as pc

    from causa.storage.lake import Lake
    from causa.storage.schemas import SCORED

    shutil.copytree(night.parent, tmp_path / "copy", ignore=shutil.ignore_patterns("*.html"))
    lake_root, config = tmp_path / "copy" / "lake", str(tmp_path / "copy" / "causa.toml")
    lake = Lake(lake_root)
    october = [day for day in lake.partitions(SCORED) if day < date(2026, 11, 1)]
    older = lake.read(SCORED, october)
    shipped = pc.unique(older["model_version"]).to_pylist()
    assert len(shipped) == 1, "one nightly run scored every row"
    relabelled = older.set_column(older.schema.get_field_index("model_version"), "model_version",
                                  pa.array(["model-older"] * older.num_rows, pa.string()))
    lake.upsert(SCORED, relabelled.drop_columns("created_date"), relabelled["created_date"])

    both = tmp_path / "both.html"
    assert main(["report", "--config", config, "-o", str(both)]) == 0
    named = ", ".join(sorted(["model-older", shipped[0]]))
    assert f"items scored by {named}," in capsys.readouterr().out
    page = Page()
    page.feed(both.read_text(encoding="utf-8"))
    assert page.fields["model"] == named

    only = tmp_path / "only.html"
    assert main(["report", "--config", config, "--model", "default", "-o", str(only)]) == 0
    start, end = period(lake_root)
    with duckdb.connect() as db:
        languages = dict(db.execute(
            f"select language, count(*) from {items(lake_root)} where model_version = '{shipped[0]}' and "
            f"created_date between date '{start}' and date '{end}' group by 1").fetchall())
    assert f"{sum(languages.values())} items scored by {shipped[0]}," in capsys.readouterr().out
    page = Page()
    page.feed(only.read_text(encoding="utf-8"))
    assert {e["data-language"]: int(e["data-count"]) for e in page.with_attr("data-language")} == languages
    assert page.fields["model"] == f"{shipped[0]}, its rows only (the period also holds rows of model-older)"
    assert next(e for e in page.elements if e["tag"] == "dl")["data-model-version"] == shipped[0]
    assert all(date.fromisoformat(e["data-alert"].split("|")[0]) >= date(2026, 11, 1)
               for e in page.with_attr("data-alert"))

    assert main(["report", "--config", config, "--model", "default", "--from", "2026-10-01", "--to", "2026-10-31",
                 "-o", str(tmp_path / "none.html")]) == 2
    assert (f"no row of 2026-10-01 to 2026-10-31 in {lake_root} was scored by model '{shipped[0]}'; the period's "
            "rows are from model-older") in caplog.records[-1].getMessage()
    assert not (tmp_path / "none.html").exists()


READING = """(() => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const small = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.textContent.trim() && !node.parentElement.closest('svg')) {
      const size = parseFloat(getComputedStyle(node.parentElement).fontSize);
      if (size < 12) small.push([size, node.textContent.trim().slice(0, 40)]);
    }
  }
  const cards = [...document.querySelectorAll('.kpi')].map(c => c.getBoundingClientRect());
  const overlapping = [];
  cards.forEach((a, i) => cards.slice(i + 1).forEach((b, j) => {
    if (a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5) {
      overlapping.push([i, i + 1 + j]);
    }
  }));
  return {
    innerWidth, pageWidth: document.scrollingElement.scrollWidth, small, overlapping,
    cards: cards.map(r => [r.left, r.right]),
    tables: [...document.querySelectorAll('table')].map(t => {
      const box = t.parentElement;
      return {overflow: getComputedStyle(box).overflowX, width: t.getBoundingClientRect().width,
              room: box.clientWidth, right: box.getBoundingClientRect().right};
    }),
    ticks: [...document.querySelectorAll('svg.chart text.tick')].map(t => {
      const s = t.ownerSVGElement;
      return parseFloat(t.getAttribute('font-size')) * s.getBoundingClientRect().width / s.viewBox.baseVal.width;
    }),
    textOutside: """ + TEXT_OUTSIDE_CHARTS + """,
  };
})()"""
"""What a reader relies on at a given width: the page's own width, small body text, the KPI cards' boxes, each
table's box against its wrapper, the CSS size of every chart tick and the chart text outside its svg."""


@needs_chromium
@pytest.mark.parametrize(("width", "mobile", "scale"), [(1280, False, 1), (390, True, 3)], ids=["desktop", "phone"])
def test_report_reads_at_desktop_and_phone_widths(night: Path, tmp_path: Path, width: int, mobile: bool,
                                                  scale: int) -> None:
    from tests.pipelines.chromium import visit

    result = visit((night / "report.html").resolve().as_uri(), READING, width=width, mobile=mobile, scale=scale)
    (tmp_path / f"report-{width}.png").write_bytes(result.screenshot_png)
    assert result.console_errors == []
    dom = result.evaluated
    assert dom["innerWidth"] == width, "the page lays out at the device's width (meta viewport)"
    assert dom["pageWidth"] <= width + 1, "the page itself does not scroll sideways"
    assert dom["small"] == []
    assert len(dom["cards"]) >= 4 and dom["overlapping"] == []
    assert all(0 <= left and right <= width for left, right in dom["cards"])
    assert dom["tables"] and all(t["overflow"] == "auto" and t["right"] <= width for t in dom["tables"])
    wide = [t for t in dom["tables"] if t["width"] > t["room"] + 1]
    if mobile:
        assert wide, "the alerts and impact tables are wider than a phone: they scroll inside their wrapper"
    else:
        assert wide == []
    assert dom["ticks"] and min(dom["ticks"]) >= 8 - 1e-6
    assert dom["textOutside"] == []
