"""Small inline SVG charts (no scripts, no fonts to fetch): stacked bars, lines, horizontal bars, sparklines."""

from __future__ import annotations

from html import escape
from typing import Mapping, Sequence

PALETTE = ("#d1495b", "#edae49", "#00798c", "#30638e", "#6a4c93", "#8d6a9f", "#3d9970", "#7f8c8d")
SENTIMENT_COLOURS = {"negative": "#d1495b", "neutral": "#a0a4a8", "positive": "#3d9970"}
AXIS = "#555"
GRID = "#e3e3e3"
PARTIAL = "#f1efe9"
CHAR_WIDTH = 0.65
"""An upper estimate of a character's advance in em of the sans-serif fonts the report names (digits and
lower-case letters), used to keep labels inside the chart."""
TICK_SIZE = 10
LEGEND_SIZE = 11
LEGEND_ROW = 16
LEAST_SCALE = 0.8
"""A fluid chart shrinks to no less than this share of its drawn width, so its 10-px ticks stay at 8 CSS px or more;
a narrower container scrolls it (the report wraps charts in a scrolling box)."""


def colour_map(names: Sequence[str]) -> dict[str, str]:
    return {name: SENTIMENT_COLOURS.get(name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(names)}


def _open(width: int, height: int, title: str, fluid: bool = True) -> list[str]:
    """The svg element: a fluid one scales to its container's width (its viewBox keeps the proportions) down to
    LEAST_SCALE of its drawn width."""
    size = (f'width="100%" style="min-width:{width * LEAST_SCALE:.0f}px"' if fluid
            else f'width="{width}" height="{height}"')
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" {size} '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]


def text_width(text: str, font_size: float) -> float:
    """The estimated width of `text` at `font_size` (see CHAR_WIDTH)."""
    return len(text) * font_size * CHAR_WIDTH


def _nice_max(value: float) -> float:
    """A round axis maximum at or above value."""
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * step:
            return float(factor * step)
    return float(10 * step)


def _y_axis(parts: list[str], left: int, top: int, width: int, height: int, top_value: float) -> None:
    for i in range(5):
        value = top_value * i / 4
        y = top + height - height * i / 4
        parts.append(f'<line x1="{left}" x2="{left + width}" y1="{y:.1f}" y2="{y:.1f}" stroke="{GRID}"/>')
        label = f"{value:g}" if value < 10 else f"{value:.0f}"
        parts.append(f'<text x="{left - 4}" y="{y + 3:.1f}" font-size="10" text-anchor="end" fill="{AXIS}">{label}</text>')


def _x_labels(parts: list[str], labels: Sequence[str], xs: Sequence[float], y: float, width: int,
              partial: Sequence[bool] = ()) -> None:
    """Tick labels under the points, thinned to fit; the last is always shown. A partial week's label ends in `*`.
    A label that would cross the chart's edge is anchored at its end (or start) instead of its middle."""
    texts = [label + ("*" if i < len(partial) and partial[i] else "") for i, label in enumerate(labels)]
    gap = (xs[1] - xs[0]) if len(xs) > 1 else float(width)
    widest = max((text_width(t, TICK_SIZE) for t in texts), default=0.0)
    every = max(1, int(-(-(widest + 6) // gap))) if gap > 0 else 1
    shown = [i for i in range(len(texts)) if i % every == 0 and (len(texts) - 1 - i >= every or i == len(texts) - 1)]
    if texts and len(texts) - 1 not in shown:
        shown.append(len(texts) - 1)
    for i in shown:
        x, half = xs[i], text_width(texts[i], TICK_SIZE) / 2
        anchor = "end" if x + half > width else "start" if x - half < 0 else "middle"
        x = min(x, width - 1.0) if anchor == "end" else max(x, 1.0) if anchor == "start" else x
        mark = ' data-partial="true"' if i < len(partial) and partial[i] else ""
        parts.append(f'<text class="tick" x="{x:.1f}" y="{y}" font-size="{TICK_SIZE}" text-anchor="{anchor}" '
                     f'fill="{AXIS}"{mark}>{escape(texts[i])}</text>')


def _legend_rows(names: Sequence[str], x: int, right: float) -> list[list[tuple[str, float]]]:
    """The legend entries laid out left to right from x, wrapping before `right`: rows of (name, x)."""
    rows: list[list[tuple[str, float]]] = [[]]
    position = float(x)
    for name in names:
        needed = 14 + text_width(name, LEGEND_SIZE)
        if rows[-1] and position + needed > right:
            rows.append([])
            position = float(x)
        rows[-1].append((name, position))
        position += needed + 10
    return rows


def _legend(parts: list[str], colours: Mapping[str, str], rows: list[list[tuple[str, float]]], y: int) -> None:
    for row in rows:
        for name, x in row:
            parts.append(f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{colours[name]}"/>')
            parts.append(f'<text x="{x + 14:.1f}" y="{y}" font-size="{LEGEND_SIZE}" fill="#222">{escape(name)}</text>')
        y += LEGEND_ROW


def _partial_bands(parts: list[str], partial: Sequence[bool], centres: Sequence[float], slot: float, top: float,
                   height: float, left: float, right: float) -> None:
    """A shaded band behind each partial week."""
    for is_partial, centre in zip(partial, centres):
        if is_partial:
            x0, x1 = max(left, centre - slot / 2), min(right, centre + slot / 2)
            parts.append(f'<rect class="partial-week" x="{x0:.1f}" y="{top:.1f}" width="{x1 - x0:.1f}" '
                         f'height="{height:.1f}" fill="{PARTIAL}"/>')


def _frame(names: list[str], width: int, height: int, left: int, right: int,
           bottom: int) -> tuple[list[list[tuple[str, float]]], int, int, int, int]:
    """The legend's rows, the plot's top, the chart's height grown by the legend, and the plot's width and height."""
    rows = _legend_rows(names, left, width - right)
    top = 12 + LEGEND_ROW * len(rows)
    height += top - 24
    return rows, top, height, width - left - right, height - top - bottom


def stacked_bars(labels: Sequence[str], series: Mapping[str, Sequence[float]], title: str,
                 width: int = 640, height: int = 240, colours: Mapping[str, str] | None = None,
                 partial: Sequence[bool] = ()) -> str:
    """Bars per label, stacked by series (e.g. weekly counts by sentiment); partial weeks on a shaded band."""
    left, right, bottom = 40, 10, 22
    rows, top, height, plot_w, plot_h = _frame(list(series), width, height, left, right, bottom)
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top_value = _nice_max(max(totals, default=0))
    parts = _open(width, height, title)
    slot = plot_w / max(1, len(labels))
    centres = [left + slot * (i + 0.5) for i in range(len(labels))]
    _partial_bands(parts, partial, centres, slot, top, plot_h, left, left + plot_w)
    _y_axis(parts, left, top, plot_w, plot_h, top_value)
    colours = dict(colours or colour_map(list(series)))
    for i in range(len(labels)):
        x = left + slot * i + slot * 0.15
        base = top + plot_h
        for name, values in series.items():
            h = plot_h * values[i] / top_value
            if h > 0:
                base -= h
                parts.append(
                    f'<rect class="bar" x="{x:.1f}" y="{base:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                    f'fill="{colours[name]}"><title>{escape(labels[i])} {escape(name)}: {values[i]:g}</title></rect>'
                )
    _x_labels(parts, labels, centres, height - 6, width, partial)
    _legend(parts, colours, rows, 14)
    parts.append("</svg>")
    return "".join(parts)


def line_chart(labels: Sequence[str], series: Mapping[str, Sequence[float]], title: str,
               width: int = 640, height: int = 220, colours: Mapping[str, str] | None = None,
               partial: Sequence[bool] = ()) -> str:
    """One line per series over the labels, with a dot per point; partial weeks on a shaded band."""
    left, right, bottom = 40, 24, 22
    rows, top, height, plot_w, plot_h = _frame(list(series), width, height, left, right, bottom)
    top_value = _nice_max(max((max(v, default=0) for v in series.values()), default=0))
    colours = dict(colours or colour_map(list(series)))
    parts = _open(width, height, title)
    step = plot_w / max(1, len(labels) - 1) if len(labels) > 1 else 0
    xs = [left + step * i if len(labels) > 1 else left + plot_w / 2 for i in range(len(labels))]
    _partial_bands(parts, partial, xs, step or plot_w, top, plot_h, left, left + plot_w)
    _y_axis(parts, left, top, plot_w, plot_h, top_value)
    for name, values in series.items():
        points = [(x, top + plot_h - plot_h * v / top_value) for x, v in zip(xs, values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline class="line" points="{path}" fill="none" stroke="{colours[name]}" stroke-width="2"/>')
        for (x, y), v, label in zip(points, values, labels):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colours[name]}">'
                f"<title>{escape(label)} {escape(name)}: {v:g}</title></circle>"
            )
    _x_labels(parts, labels, xs, height - 6, width, partial)
    _legend(parts, colours, rows, 14)
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(labels: Sequence[str], values: Sequence[float], title: str, width: int = 420,
                    unit: str = "") -> str:
    """One bar per label with its value written at the end."""
    row = 22
    left = int(max((text_width(label, 12) for label in labels), default=0) + 12)
    height = row * len(labels) + 8
    top_value = max(values, default=0) or 1
    parts = _open(width, height, title)
    for i, (label, value) in enumerate(zip(labels, values)):
        y = 4 + row * i
        w = (width - left - 80) * value / top_value
        parts.append(f'<text x="{left - 6}" y="{y + 14}" font-size="12" text-anchor="end" fill="#222">{escape(label)}</text>')
        parts.append(f'<rect class="bar" x="{left}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{PALETTE[3]}"/>')
        parts.append(f'<text x="{left + w + 5:.1f}" y="{y + 14}" font-size="11" fill="#222">{value:g}{escape(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: Sequence[float], title: str, width: int = 120, height: int = 28) -> str:
    """A tiny line of counts (a theme's weekly size)."""
    top_value = max(values, default=0) or 1
    step = (width - 4) / max(1, len(values) - 1)
    points = " ".join(f"{2 + step * i:.1f},{height - 3 - (height - 6) * v / top_value:.1f}" for i, v in enumerate(values))
    if len(values) == 1:
        points += f" {width - 2},{height - 3 - (height - 6) * values[0] / top_value:.1f}"
    return "".join(
        _open(width, height, title, fluid=False)
        + [f'<polyline class="line" points="{points}" fill="none" stroke="{PALETTE[3]}" stroke-width="1.5"/></svg>']
    )
