"""Geometry of the dashboard's charts, drawn as inline SVG by the template (no JavaScript, no
library, nothing fetched): every bar's length is proportional to its value, measured from a zero
line (negative values go the other way). Coordinates are floats in SVG user units; the values
themselves stay `Decimal` and travel to the page in `data-value` attributes."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


def _f(value) -> float:
    return float(value or 0)


def _num(value: float) -> str:
    return f"{value:.2f}"


@dataclass
class Bar:
    label: str
    value: Decimal
    x: str
    y: str
    width: str
    height: str
    attrs: dict = field(default_factory=dict)
    text_x: str = ""
    text_y: str = ""
    note: str = ""  # text shown beside a horizontal bar (default: its value)


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    zero: str  # the zero line: y of a column chart, x of a bar chart
    ticks: list[tuple[str, str]]  # (position, label)
    top_label: str = ""
    bottom_label: str = ""
    plot_start: str = ""
    plot_end: str = ""
    label_x: str = ""  # where a bar chart's row labels end


def column_chart(points: list[tuple[str, Decimal, dict]], *, width: int = 720, height: int = 220,
                 left: int = 64, right: int = 8, top: int = 12, bottom: int = 30, gap: float = 0.2,
                 tick_every: int = 1) -> Chart:
    """Vertical bars: `points` are (label, value, data attributes)."""
    values = [_f(value) for _, value, _ in points]
    high = max([0.0, *values])
    low = min([0.0, *values])
    plot_h = height - top - bottom
    span = (high - low) or 1.0
    scale = plot_h / span
    zero = top + high * scale
    slot = (width - left - right) / max(len(points), 1)
    bar_w = slot * (1 - gap)
    bars, ticks = [], []
    for n, ((label, value, attrs), v) in enumerate(zip(points, values)):
        x = left + n * slot + (slot - bar_w) / 2
        h = abs(v) * scale
        y = zero - h if v >= 0 else zero
        bars.append(Bar(label=label, value=value, x=_num(x), y=_num(y), width=_num(bar_w), height=_num(h), attrs=attrs,
                        text_x=_num(x + bar_w / 2), text_y=_num(height - bottom + 14)))
        if n % tick_every == 0 or n == len(points) - 1:
            ticks.append((_num(x + bar_w / 2), label))
    return Chart(width=width, height=height, bars=bars, zero=_num(zero), ticks=ticks,
                 top_label=f"{high:,.2f}", bottom_label=f"{low:,.2f}" if low < 0 else "0",
                 plot_start=_num(left), plot_end=_num(width - right))


def bar_chart(points: list[tuple[str, Decimal, dict]], *, width: int = 520, row: int = 26, left: int = 170,
              right: int = 90) -> Chart:
    """Horizontal bars, one row each: `points` are (label, value, data attributes)."""
    values = [_f(value) for _, value, _ in points]
    high = max([0.0, *values])
    low = min([0.0, *values])
    plot_w = width - left - right
    span = (high - low) or 1.0
    scale = plot_w / span
    zero = left + (-low) * scale
    bars = []
    for n, ((label, value, attrs), v) in enumerate(zip(points, values)):
        w = abs(v) * scale
        x = zero if v >= 0 else zero - w
        y = n * row + 4
        bars.append(Bar(label=label, value=value, x=_num(x), y=_num(y), width=_num(w), height=_num(row - 8),
                        attrs=attrs, text_x=_num(max(zero, x + w) + 6), text_y=_num(y + row / 2)))
    return Chart(width=width, height=max(len(points), 1) * row + 4, bars=bars, zero=_num(zero), ticks=[],
                 plot_start=_num(left), plot_end=_num(width - right), label_x=_num(left - 6))
