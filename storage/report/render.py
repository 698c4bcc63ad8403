"""ReportData to one self-contained HTML page: inline CSS and SVG, no scripts, nothing fetched."""

from __future__ import annotations

import math
from dataclasses import asdict
from html import escape
from typing import Iterable

import pandas as pd

from causa.storage.report import svg
from causa.storage.report.data import KPI_WINDOW_DAYS, RESPONSE_CAUSE, EvidenceExample, Kpi, Provenance, ReportData
from causa.storage.report.words import DEFAULT_LOCALE, Words, words_for
from causa.storage.alerts import DEFAULT_RULE

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;color:#222;background:#f6f6f4}
main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:24px;margin:8px 0 2px}h2{font-size:18px;margin:0 0 8px}
section{background:#fff;border:1px solid #ddd;border-radius:6px;padding:14px 18px;margin:14px 0}
.muted{color:#666;font-size:13px}
.kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:10px}
.kpi{border:1px solid #e2e2e2;border-radius:6px;padding:8px 10px}
.kpi .v{font-size:22px;font-weight:600}.kpi .l{font-size:12px;color:#555}
.good{color:#2e7d32}.bad{color:#c62828}.flat{color:#666}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.n,td.test,td:first-child{white-space:nowrap}
td.trend svg{min-width:72px}
mark{background:#ffe08a;padding:0 1px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(460px,100%),1fr));gap:12px}
.grid2>*{min-width:0}
.chart{max-width:100%;height:auto}
.table-scroll,.chart-scroll{overflow-x:auto;max-width:100%}
.provenance{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:13px;color:#444;margin:6px 0 0}
.provenance dt{color:#666}.provenance dd{margin:0;overflow-wrap:anywhere}
blockquote{margin:4px 0 8px;padding:4px 10px;border-left:3px solid #ccc;font-size:13px;overflow-wrap:anywhere}
@media (max-width:600px){main{padding:8px 10px 32px}section{padding:12px}th,td{padding:4px}blockquote{padding:4px 6px}}
"""


def fmt(value: float | None, digits: int = 1, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if float(value).is_integer() and digits == 0:
        return f"{int(value)}{unit}"
    return f"{value:.{digits}f}{unit}"


def duration(seconds: float | None, words: Words) -> str:
    """A response time in the unit that reads best: seconds under 2 minutes, minutes under 2 hours, hours under 2
    days, else days."""
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "n/a"
    for unit, size, limit, digits in (("s", 1, 120, 0), ("min", 60, 7200, 0), ("h", 3600, 172_800, 1)):
        if seconds < limit:
            return f"{fmt(seconds / size, digits)} {words('unit_' + unit)}"
    return f"{fmt(seconds / 86_400, 1)} {words('unit_d')}"


def _attr(value: float | None) -> str:
    """A number for a data-value attribute (full precision; empty when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(float(value))


def render_html(data: ReportData, locale: str = DEFAULT_LOCALE) -> str:
    """The whole page in the words of `locale` (one of words.LOCALES)."""
    words = words_for(locale)
    sections = [
        _kpis(data, words), _sentiment(data, words), _causes(data, words), _alerts(data, words),
        _impact(data, words), _themes(data, words), _languages(data, words), _evidence(data, words),
    ]
    channels = ", ".join(words.named("channel", c) for c in data.channels)
    return (
        f"<!DOCTYPE html>\n<html lang=\"{locale}\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{escape(words('title'))} {data.start} – {data.end}</title><style>{CSS}</style></head><body><main>"
        f"<header><h1>{escape(words('title'))}</h1><p class=\"muted\">"
        f"{escape(words('summary', start=data.start, end=data.end, n=data.n_feedback, channels=channels))}</p>"
        + (_provenance(data, data.provenance, words) if data.provenance else "")
        + "</header>"
        + "".join(sections)
        + "</main></body></html>\n"
    )


def _provenance(data: ReportData, made: Provenance, words: Words) -> str:
    """What produced the page: generation time, period, model version, last run and lake."""
    run = made.last_run
    run_text = (
        f"{run.run_id} · {words.named('status', run.status)} · {run.ended_at:%Y-%m-%d %H:%M} UTC"
        if run else words("no_run")
    )
    fields = (
        ("generated", words("prov_generated"), f"{made.generated_at:%Y-%m-%d %H:%M:%S} UTC"),
        ("period", words("prov_period"), words("period_range", start=data.start, end=data.end)),
        ("model", words("prov_model"), _versions_text(made, words)),
        ("run", words("prov_run"), run_text),
        ("lake", words("prov_lake"), made.lake),
    )
    attributes = (f' data-generated-at="{made.generated_at.isoformat()}" data-lake="{escape(made.lake)}"'
                  f' data-model-version="{escape(",".join(made.model_versions))}"'
                  f' data-run-id="{escape(run.run_id if run else "")}" data-run-status="{escape(run.status if run else "")}"')
    rows = "".join(f'<dt>{escape(label)}</dt><dd data-field="{key}">{escape(value)}</dd>' for key, label, value in fields)
    return f'<dl class="provenance"{attributes}>{rows}</dl>'


def _versions_text(made: Provenance, words: Words) -> str:
    """The model version(s) of the rows shown, and the period's others when the report shows one version only."""
    shown = ", ".join(made.model_versions) or words("unknown")
    if not made.other_versions:
        return shown
    return words("prov_model_only", version=shown, others=", ".join(made.other_versions))


def _section(key: str, title: str, body: str, note: str = "") -> str:
    note_html = f'<p class="muted">{note}</p>' if note else ""
    return f'<section id="{key}" data-section="{key}"><h2>{escape(title)}</h2>{note_html}{body}</section>'


def _change(kpi: Kpi, words: Words) -> str:
    change = kpi.change
    if change is None:
        return f'<span class="flat">{escape(words("no_comparison"))}</span>'
    if abs(change) < 1e-9:
        return f'<span class="flat">{escape(words("no_change"))}</span>'
    good = (change > 0) == kpi.higher_is_better
    arrow = "▲" if change > 0 else "▼"
    digits = 0 if kpi.name == "n_feedback" else (2 if kpi.unit == "" else 1)
    unit = f" {words('points')}" if kpi.unit == "%" else ""
    return f'<span class="{"good" if good else "bad"}">{arrow} {fmt(abs(change), digits)}{escape(unit)}</span>'


def _kpi_label(kpi: Kpi, words: Words) -> str:
    if kpi.name.startswith("cause_") and kpi.name.endswith("_pct"):
        return words.named("cause", kpi.name.removeprefix("cause_").removesuffix("_pct"))
    return words(f"kpi_{kpi.name}")


def _kpis(data: ReportData, words: Words) -> str:
    cards = []
    for kpi in data.kpis:
        digits = 0 if kpi.name == "n_feedback" else (2 if kpi.unit == "" else 1)
        cards.append(
            f'<div class="kpi" data-kpi="{kpi.name}" data-value="{_attr(kpi.value)}" data-previous="{_attr(kpi.previous)}">'
            f'<div class="l">{escape(_kpi_label(kpi, words))}</div><div class="v">{fmt(kpi.value, digits, kpi.unit)}</div>'
            f'<div class="l">{_change(kpi, words)} {escape(words("versus"))} {fmt(kpi.previous, digits, kpi.unit)}</div></div>'
        )
    note = escape(words("kpi_note", days=KPI_WINDOW_DAYS, end=data.end))
    if data.not_collected:
        metrics = ", ".join(words.named("metric", m) for m in data.not_collected)
        note += (f' <span data-not-collected="{",".join(data.not_collected)}">'
                 f'{escape(words("not_collected", metrics=metrics))}</span>')
    return _section("kpis", words("sec_kpis"), f'<div class="kpis">{"".join(cards)}</div>', note)


def _week_labels(data: ReportData, words: Words) -> list[str]:
    return [words.day_month(week) for week in data.weeks]


def _partial_note(data: ReportData, words: Words) -> str:
    return f" {escape(words('partial_note'))}" if any(data.partial_weeks) else ""


def _sentiment(data: ReportData, words: Words) -> str:
    series = {words.named("sentiment", s): counts for s, counts in data.sentiment_weekly.items()}
    colours = {words.named("sentiment", s): c for s, c in svg.colour_map(list(data.sentiment_weekly)).items()}
    chart = svg.stacked_bars(_week_labels(data, words), series, words("sentiment_chart"), width=780, height=200,
                             colours=colours, partial=data.partial_weeks)
    return _section("sentiment", words("sec_sentiment"), _chart(chart),
                    escape(words("sentiment_note")) + _partial_note(data, words))


def _causes(data: ReportData, words: Words) -> str:
    colours = {words.named("cause", c): colour for c, colour in svg.colour_map(list(data.causes)).items()}
    charts = []
    for channel, series in data.causes_weekly.items():
        name = words.named("channel", channel)
        named = {words.named("cause", c): counts for c, counts in series.items()}
        charts.append(
            f'<div data-channel="{escape(channel)}"><h3 class="muted">{escape(name)}</h3>'
            + _chart(svg.line_chart(_week_labels(data, words), named, words("causes_chart", channel=name), width=420,
                                    height=180, colours=colours, partial=data.partial_weeks))
            + _response_table(data, channel, words)
            + "</div>"
        )
    note = escape(words("causes_note"))
    if not data.response_weekly.empty:
        note += f" {escape(words('response_note'))}"
    return _section("causes", words("sec_causes"), f'<div class="grid2">{"".join(charts)}</div>',
                    note + _partial_note(data, words))


def _response_table(data: ReportData, channel: str, words: Words) -> str:
    """The channel's response time per week (items with one, median, 90th percentile) beside its delay complaints;
    nothing when no source gives response times in the period."""
    if data.response_weekly.empty:
        return ""
    weeks = data.response_weekly[data.response_weekly["channel"] == channel]
    with_cause = "cause" in weeks.columns
    labels = dict(zip(data.weeks, _week_labels(data, words)))
    rows = []
    for r in weeks.itertuples(index=False):
        cause = (f'<td class="n">{escape(words("items_of", count=r.cause, n=r.n_feedback))}</td>' if with_cause else "")
        rows.append(
            f'<tr data-response-week="{r.week}" data-channel="{escape(channel)}" data-n-responded="{r.n_responded}" '
            f'data-p50="{_attr(r.response_p50_s)}" data-p90="{_attr(r.response_p90_s)}"'
            + (f' data-cause-count="{r.cause}"' if with_cause else "")
            + f'><td>{escape(labels.get(r.week, str(r.week)))}</td><td class="n">{r.n_responded}</td>'
            f'<td class="n">{escape(duration(r.response_p50_s, words))}</td>'
            f'<td class="n">{escape(duration(r.response_p90_s, words))}</td>{cause}</tr>'
        )
    columns = [("col_week", ""), ("col_responded", "n"), ("col_response_p50", "n"), ("col_response_p90", "n")]
    if with_cause:
        columns.append(("col_delay_items", "n"))
    head = _head(words, *columns)
    caption = escape(words("response_caption", cause=words.named("cause", RESPONSE_CAUSE)))
    return (f'<p class="muted">{caption}</p>'
            + _table(head + "".join(rows), f' data-response-channel="{escape(channel)}"'))



def _alerts(data: ReportData, words: Words) -> str:
    note = escape(words("alert_rule", **asdict(DEFAULT_RULE)))
    if data.alerts.empty:
        return _section("alerts", words("sec_alerts"), f"<p>{escape(words('no_spikes'))}</p>", note)
    rows = "".join(
        f'<tr data-alert="{r.created_date}|{escape(r.cause)}|{escape(r.channel)}"><td>{r.created_date}</td>'
        f"<td>{escape(words.named('cause', r.cause))}</td><td>{escape(words.named('channel', r.channel))}</td>"
        f'<td class="n">{escape(words("items_of", count=r.count, n=r.n_feedback))}</td>'
        f'<td class="n">{fmt(r.expected_count, 2)}</td><td class="n">{fmt(100 * r.baseline_share, 1, "%")}</td>'
        f'<td class="n">{r.p_count:.4f}</td><td class="n">{r.p_share:.4f}</td>'
        f'<td class="test">{escape(_tests(r.triggered_by, words))}</td></tr>'
        for r in data.alerts.itertuples(index=False)
    )
    head = _head(words, ("col_day", ""), ("col_cause", ""), ("col_channel", ""), ("col_items", "n"),
                 ("col_expected", "n"), ("col_usual_share", "n"), ("col_p_count", "n"), ("col_p_share", "n"),
                 ("col_test", ""))
    return _section("alerts", words("sec_alerts"), _table(head + rows), note)


def _tests(triggered_by: str, words: Words) -> str:
    """The tests that fired (`count`, `share` or `count+share`) in the locale's words."""
    return " + ".join(words.named("test", name) for name in triggered_by.split("+"))


def _table(rows: str, attributes: str = "") -> str:
    """A table in a wrapper that scrolls sideways when the table is wider than the page."""
    return f'<div class="table-scroll"><table{attributes}>{rows}</table></div>'


def _chart(chart: str) -> str:
    """A chart in a wrapper that scrolls sideways when the chart's least width is wider than the page."""
    return f'<div class="chart-scroll">{chart}</div>'


def _head(words: Words, *columns: tuple[str, str]) -> str:
    """A table's header row: (word key, css class) per column."""
    cells = "".join(f'<th class="{css}">{escape(words(key))}</th>' if css else f"<th>{escape(words(key))}</th>"
                    for key, css in columns)
    return f"<tr>{cells}</tr>"


def _impact(data: ReportData, words: Words) -> str:
    units = {"rating": ("", 2), "csat": ("%", 1), "nps": ("", 1)}
    rows = []
    impact = data.impact.assign(order=data.impact["difference"].where(data.impact["metric"] == "rating"))
    order = impact.groupby("cause")["order"].min().sort_values(na_position="last").index.tolist()
    for cause in order:
        for r in data.impact[data.impact["cause"] == cause].itertuples(index=False):
            unit, digits = units[r.metric]
            ci = ("n/a" if pd.isna(r.ci_low)
                  else escape(words("interval", low=fmt(r.ci_low, digits), high=fmt(r.ci_high, digits))))
            rows.append(
                f'<tr data-cause="{escape(r.cause)}" data-metric="{r.metric}" data-difference="{_attr(r.difference)}" '
                f'data-n-with="{r.n_with}"><td>{escape(words.named("cause", r.cause))}</td>'
                f'<td>{escape(words.named("metric", r.metric))}</td><td class="n">{r.n_with}</td>'
                f'<td class="n">{r.n_without}</td><td class="n">{fmt(r.value_with, digits, unit)}</td>'
                f'<td class="n">{fmt(r.value_without, digits, unit)}</td><td class="n">{fmt(r.difference, digits)}</td>'
                f'<td class="n">{ci}</td></tr>'
            )
    head = _head(words, ("col_cause", ""), ("col_metric", ""), ("col_n_with", "n"), ("col_n_without", "n"),
                 ("col_with", "n"), ("col_without", "n"), ("col_difference", "n"), ("col_interval", "n"))
    return _section("impact", words("sec_impact"), _table(head + "".join(rows)),
                    escape(words("impact_note")))


def _themes(data: ReportData, words: Words) -> str:
    if not data.themes:
        return _section("themes", words("sec_themes"), f"<p>{escape(words('themes_too_few', n=data.n_unexplained))}</p>")
    rows = []
    for i, theme in enumerate(data.themes, 1):
        change = theme.weekly[-1] - theme.weekly[-2] if len(theme.weekly) > 1 else 0
        examples = "".join(f"<blockquote>{escape(text)}</blockquote>" for text in theme.examples)
        languages = ", ".join(words.named("language", code) for code in theme.languages)
        rows.append(
            f'<tr data-theme="{i}" data-size="{theme.size}" data-languages="{escape(",".join(theme.languages))}">'
            f'<td class="n">{i}</td><td><b>{escape(", ".join(theme.terms))}</b>'
            f'<div class="muted">{escape(words("themes_languages", languages=languages))}</div>{examples}</td>'
            f'<td class="n">{theme.size}</td><td class="trend">{svg.sparkline(theme.weekly, words("theme_chart", i=i))}'
            f'<div class="muted">{escape(words("themes_last_week", n=theme.weekly[-1], change=f"{change:+d}"))}</div></td></tr>'
        )
    head = _head(words, ("col_number", "n"), ("col_terms", ""), ("col_items", "n"), ("col_per_week", ""))
    grouped = sum(t.size for t in data.themes)
    note = escape(words("themes_note", n=data.n_unexplained, grouped=grouped))
    return _section("themes", words("sec_themes"), _table(head + "".join(rows)), note)


def _languages(data: ReportData, words: Words) -> str:
    labels = [words.named("language", code) for code in data.languages]
    total = sum(data.languages.values()) or 1
    chart = svg.horizontal_bars(labels, list(data.languages.values()), words("languages_chart"))
    cells = "".join(
        f'<tr data-language="{escape(k)}" data-count="{v}"><td>{escape(words.named("language", k))}</td>'
        f'<td class="n">{v}</td><td class="n">{fmt(100 * v / total, 1, "%")}</td></tr>'
        for k, v in data.languages.items()
    )
    head = _head(words, ("col_language", ""), ("col_items", "n"), ("col_share", "n"))
    return _section("languages", words("sec_languages"),
                    f'<div class="grid2">{_chart(chart)}<div>{_table(head + cells)}</div></div>')


def highlight(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """The text, escaped, with each (start, end) span in <mark>; overlapping spans are merged."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, position = [], 0
    for start, end in merged:
        parts.append(escape(text[position:start]) + f"<mark>{escape(text[start:end])}</mark>")
        position = end
    return "".join(parts) + escape(text[position:])


def _example(example: EvidenceExample, words: Words) -> str:
    return (f'<blockquote data-evidence="{escape(example.cause)}">{highlight(example.text, example.spans)}'
            f'<div class="muted">{example.created_date} · {escape(words.named("channel", example.channel))} · '
            f'{escape(words.named("language", example.language))} · {escape(words("score"))} {example.score:.2f}'
            "</div></blockquote>")


def _evidence(data: ReportData, words: Words) -> str:
    blocks = "".join(
        f"<h3>{escape(words.named('cause', cause))}</h3>"
        + ("".join(_example(e, words) for e in examples) or f'<p class="muted">{escape(words("no_items"))}</p>')
        for cause, examples in data.evidence.items()
    )
    return _section("evidence", words("sec_evidence"), blocks, escape(words("evidence_note")))
