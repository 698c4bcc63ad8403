"""ReportData to one self-contained HTML page: inline CSS and SVG, no scripts, nothing fetched."""

from __future__ import annotations

import math
from html import escape
from typing import Iterable

import pandas as pd

from causa.storage.report import svg
from causa.storage.report.data import KPI_WINDOW_DAYS, EvidenceExample, Kpi, ReportData
from causa.storage.alerts import DEFAULT_RULE
from causa.storage.impact import METRICS

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
mark{background:#ffe08a;padding:0 1px}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(460px,1fr));gap:12px}
.chart{max-width:100%;height:auto}
blockquote{margin:4px 0 8px;padding:4px 10px;border-left:3px solid #ccc;font-size:13px}
"""


def fmt(value: float | None, digits: int = 1, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if float(value).is_integer() and digits == 0:
        return f"{int(value)}{unit}"
    return f"{value:.{digits}f}{unit}"


def _attr(value: float | None) -> str:
    """A number for a data-value attribute (full precision; empty when missing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return repr(float(value))


def render_html(data: ReportData) -> str:
    sections = [
        _kpis(data), _sentiment(data), _causes(data), _alerts(data), _impact(data), _themes(data),
        _languages(data), _evidence(data),
    ]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>causa report {data.start} to {data.end}</title><style>{CSS}</style></head><body><main>"
        f"<h1>Customer feedback report</h1><p class=\"muted\">{data.start} to {data.end}: {data.n_feedback} "
        f"feedback items, channels {escape(', '.join(data.channels))}.</p>"
        + "".join(sections)
        + "</main></body></html>\n"
    )


def _section(key: str, title: str, body: str, note: str = "") -> str:
    note_html = f'<p class="muted">{note}</p>' if note else ""
    return f'<section id="{key}" data-section="{key}"><h2>{escape(title)}</h2>{note_html}{body}</section>'


def _change(kpi: Kpi) -> str:
    change = kpi.change
    if change is None:
        return '<span class="flat">no comparison</span>'
    if abs(change) < 1e-9:
        return '<span class="flat">no change</span>'
    good = (change > 0) == kpi.higher_is_better
    arrow = "▲" if change > 0 else "▼"
    digits = 0 if kpi.name == "n_feedback" else (2 if kpi.unit == "" else 1)
    unit = " pts" if kpi.unit == "%" else ""
    return f'<span class="{"good" if good else "bad"}">{arrow} {fmt(abs(change), digits)}{unit}</span>'


def _kpis(data: ReportData) -> str:
    cards = []
    for kpi in data.kpis:
        digits = 0 if kpi.name == "n_feedback" else (2 if kpi.unit == "" else 1)
        cards.append(
            f'<div class="kpi" data-kpi="{kpi.name}" data-value="{_attr(kpi.value)}" data-previous="{_attr(kpi.previous)}">'
            f'<div class="l">{escape(kpi.label)}</div><div class="v">{fmt(kpi.value, digits, kpi.unit)}</div>'
            f'<div class="l">{_change(kpi)} vs {fmt(kpi.previous, digits, kpi.unit)}</div></div>'
        )
    note = (f"The last {KPI_WINDOW_DAYS} days to {data.end} against the {KPI_WINDOW_DAYS} days before. "
            "n/a: the sources give no input for this metric.")
    return _section("kpis", "Headline KPIs", f'<div class="kpis">{"".join(cards)}</div>', note)


def _week_labels(data: ReportData) -> list[str]:
    return [week.strftime("%d %b") for week in data.weeks]


def _sentiment(data: ReportData) -> str:
    chart = svg.stacked_bars(_week_labels(data), data.sentiment_weekly, "Feedback per week by sentiment")
    return _section("sentiment", "Sentiment over time", chart, "Items per week (weeks start on Monday).")


def _causes(data: ReportData) -> str:
    colours = svg.colour_map(list(data.causes))
    charts = "".join(
        f'<div><h3 class="muted">{escape(channel)}</h3>'
        + svg.line_chart(_week_labels(data), series, f"Complaint causes per week: {channel}", width=520, colours=colours)
        + "</div>"
        for channel, series in data.causes_weekly.items()
    )
    return _section("causes", "Causes over time by channel", f'<div class="grid2">{charts}</div>',
                    "Items with each cause per week.")


def _alerts(data: ReportData) -> str:
    note = f"Rule: {escape(DEFAULT_RULE.describe())}."
    if data.alerts.empty:
        return _section("alerts", "Alerts", "<p>No spikes in this period.</p>", note)
    rows = "".join(
        f'<tr data-alert="{r.created_date}|{escape(r.cause)}|{escape(r.channel)}"><td>{r.created_date}</td>'
        f"<td>{escape(r.cause)}</td><td>{escape(r.channel)}</td><td class=\"n\">{r.count} of {r.n_feedback}</td>"
        f'<td class="n">{fmt(r.expected_count, 2)}</td><td class="n">{fmt(100 * r.baseline_share, 1, "%")}</td>'
        f'<td class="n">{r.p_count:.4f}</td><td class="n">{r.p_share:.4f}</td><td>{escape(r.triggered_by)}</td></tr>'
        for r in data.alerts.itertuples(index=False)
    )
    head = ("<tr><th>day</th><th>cause</th><th>channel</th><th class=n>items</th><th class=n>expected/day</th>"
            "<th class=n>usual share</th><th class=n>p (count)</th><th class=n>p (share)</th><th>test</th></tr>")
    return _section("alerts", "Alerts", f"<table>{head}{rows}</table>", note)


def _impact(data: ReportData) -> str:
    units = {"rating": ("", 2), "csat": ("%", 1), "nps": ("", 1)}
    rows = []
    impact = data.impact.assign(order=data.impact["difference"].where(data.impact["metric"] == "rating"))
    order = impact.groupby("cause")["order"].min().sort_values(na_position="last").index.tolist()
    for cause in order:
        for r in data.impact[data.impact["cause"] == cause].itertuples(index=False):
            unit, digits = units[r.metric]
            ci = "n/a" if pd.isna(r.ci_low) else f"{fmt(r.ci_low, digits)} to {fmt(r.ci_high, digits)}"
            rows.append(
                f'<tr data-cause="{escape(r.cause)}" data-metric="{r.metric}" data-difference="{_attr(r.difference)}" '
                f'data-n-with="{r.n_with}"><td>{escape(r.cause)}</td><td>{r.metric}</td><td class="n">{r.n_with}</td>'
                f'<td class="n">{r.n_without}</td><td class="n">{fmt(r.value_with, digits, unit)}</td>'
                f'<td class="n">{fmt(r.value_without, digits, unit)}</td><td class="n">{fmt(r.difference, digits)}</td>'
                f'<td class="n">{ci}</td></tr>'
            )
    head = ("<tr><th>cause</th><th>metric</th><th class=n>n with</th><th class=n>n without</th><th class=n>with</th>"
            "<th class=n>without</th><th class=n>difference</th><th class=n>95% interval</th></tr>")
    note = ("Items with the cause against all other items that have the metric; most damaging (by rating) first. "
            "Rating: Welch interval; CSAT (% of 4-5) and NPS: normal intervals, in points. "
            f"Metrics: {', '.join(METRICS)}; n/a where the sources give no input.")
    return _section("impact", "Cause impact", f"<table>{head}{''.join(rows)}</table>", note)


def _themes(data: ReportData) -> str:
    if not data.themes:
        return _section("themes", "Unexplained complaints",
                        f"<p>{data.n_unexplained} negative items without a known cause; too few to group.</p>")
    rows = []
    for i, theme in enumerate(data.themes, 1):
        change = theme.weekly[-1] - theme.weekly[-2] if len(theme.weekly) > 1 else 0
        examples = "".join(f"<blockquote>{escape(text)}</blockquote>" for text in theme.examples)
        rows.append(
            f'<tr data-theme="{i}" data-size="{theme.size}"><td class="n">{i}</td><td><b>{escape(", ".join(theme.terms))}</b>'
            f'<div class="muted">languages: {escape(", ".join(theme.languages))}</div>{examples}</td>'
            f'<td class="n">{theme.size}</td><td>{svg.sparkline(theme.weekly, f"theme {i} per week")}'
            f'<div class="muted">last week {theme.weekly[-1]} ({change:+d})</div></td></tr>'
        )
    head = "<tr><th class=n>#</th><th>top terms and examples</th><th class=n>items</th><th>per week</th></tr>"
    grouped = sum(t.size for t in data.themes)
    note = (f"{data.n_unexplained} negative items have none of the known causes; {grouped} fall into the themes "
            "below (TF-IDF over token keys, NMF). A growing theme may be a cause the taxonomy misses.")
    return _section("themes", "Unexplained complaints", f"<table>{head}{''.join(rows)}</table>", note)


def _languages(data: ReportData) -> str:
    labels = list(data.languages)
    total = sum(data.languages.values()) or 1
    chart = svg.horizontal_bars(labels, [data.languages[k] for k in labels], "Feedback by language")
    cells = "".join(
        f'<tr data-language="{escape(k)}" data-count="{v}"><td>{escape(k)}</td><td class="n">{v}</td>'
        f'<td class="n">{fmt(100 * v / total, 1, "%")}</td></tr>'
        for k, v in data.languages.items()
    )
    table = f"<table><tr><th>language</th><th class=n>items</th><th class=n>share</th></tr>{cells}</table>"
    return _section("languages", "Language mix", f'<div class="grid2"><div>{chart}</div><div>{table}</div></div>')


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


def _example(example: EvidenceExample) -> str:
    return (f'<blockquote data-evidence="{escape(example.cause)}">{highlight(example.text, example.spans)}'
            f'<div class="muted">{example.created_date} · {escape(example.channel)} · {escape(example.language)} · '
            f"score {example.score:.2f}</div></blockquote>")


def _evidence(data: ReportData) -> str:
    blocks = "".join(
        f"<h3>{escape(cause)}</h3>" + ("".join(_example(e) for e in examples) or '<p class="muted">no items</p>')
        for cause, examples in data.evidence.items()
    )
    return _section("evidence", "Evidence examples", blocks, "The highlighted words are the evidence the model reports.")
