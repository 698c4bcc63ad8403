"""Small inline SVG charts (no scripts, no fonts to fetch): stacked bars, lines, horizontal bars, sparklines."""

from __future__ import annotations

from html import escape
from typing import Mapping, Sequence

PALETTE = ("#d1495b", "#edae49", "#00798c", "#30638e", "#6a4c93", "#8d6a9f", "#3d9970", "#7f8c8d")
SENTIMENT_COLOURS = {"negative": "#d1495b", "neutral": "#a0a4a8", "positive": "#3d9970"}
AXIS = "#555"
GRID = "#e3e3e3"


def colour_map(names: Sequence[str]) -> dict[str, str]:
    return {name: SENTIMENT_COLOURS.get(name, PALETTE[i % len(PALETTE)]) for i, name in enumerate(names)}


def _open(width: int, height: int, title: str) -> list[str]:
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]


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


def _x_labels(parts: list[str], labels: Sequence[str], xs: Sequence[float], y: float) -> None:
    every = max(1, len(labels) // 8)
    for i, (label, x) in enumerate(zip(labels, xs)):
        if i % every == 0:
            parts.append(f'<text x="{x:.1f}" y="{y}" font-size="10" text-anchor="middle" fill="{AXIS}">{escape(label)}</text>')


def _legend(parts: list[str], colours: Mapping[str, str], x: int, y: int) -> None:
    for name, colour in colours.items():
        parts.append(f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14}" y="{y}" font-size="11" fill="#222">{escape(name)}</text>')
        x += 22 + 7 * len(name)


def stacked_bars(labels: Sequence[str], series: Mapping[str, Sequence[float]], title: str,
                 width: int = 640, height: int = 240) -> str:
    """Bars per label, stacked by series (e.g. weekly counts by sentiment)."""
    left, top, right, bottom = 40, 24, 10, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top_value = _nice_max(max(totals, default=0))
    parts = _open(width, height, title)
    _y_axis(parts, left, top, plot_w, plot_h, top_value)
    colours = colour_map(list(series))
    slot = plot_w / max(1, len(labels))
    centres = []
    for i in range(len(labels)):
        x = left + slot * i + slot * 0.15
        centres.append(left + slot * (i + 0.5))
        base = top + plot_h
        for name, values in series.items():
            h = plot_h * values[i] / top_value
            if h > 0:
                base -= h
                parts.append(
                    f'<rect class="bar" x="{x:.1f}" y="{base:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
                    f'fill="{colours[name]}"><title>{escape(labels[i])} {escape(name)}: {values[i]:g}</title></rect>'
                )
    _x_labels(parts, labels, centres, height - 6)
    _legend(parts, colours, left, 14)
    parts.append("</svg>")
    return "".join(parts)


def line_chart(labels: Sequence[str], series: Mapping[str, Sequence[float]], title: str,
               width: int = 640, height: int = 220, colours: Mapping[str, str] | None = None) -> str:
    """One line per series over the labels, with a dot per point."""
    left, top, right, bottom = 40, 24, 10, 22
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max((max(v, default=0) for v in series.values()), default=0))
    colours = dict(colours or colour_map(list(series)))
    parts = _open(width, height, title)
    _y_axis(parts, left, top, plot_w, plot_h, top_value)
    step = plot_w / max(1, len(labels) - 1) if len(labels) > 1 else 0
    xs = [left + step * i if len(labels) > 1 else left + plot_w / 2 for i in range(len(labels))]
    for name, values in series.items():
        points = [(x, top + plot_h - plot_h * v / top_value) for x, v in zip(xs, values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline class="line" points="{path}" fill="none" stroke="{colours[name]}" stroke-width="2"/>')
        for (x, y), v, label in zip(points, values, labels):
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colours[name]}">'
                f"<title>{escape(label)} {escape(name)}: {v:g}</title></circle>"
            )
    _x_labels(parts, labels, xs, height - 6)
    _legend(parts, {name: colours[name] for name in series}, left, 14)
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bars(labels: Sequence[str], values: Sequence[float], title: str, width: int = 420,
                    unit: str = "") -> str:
    """One bar per label with its value written at the end."""
    row, left = 22, 70
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
        _open(width, height, title)
        + [f'<polyline class="line" points="{points}" fill="none" stroke="{PALETTE[3]}" stroke-width="1.5"/></svg>']
    )
