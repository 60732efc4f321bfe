"""Charts as inline SVG, drawn by hand: pure functions from numbers to markup.

No chart library: the report must work from ``file://`` with no network and no
script, and three kinds of chart are a few dozen lines each. Every chart is an
``<svg role="img">`` with a ``<title>`` and ``<desc>`` (read by screen readers);
the report puts a data table next to each one as the text fallback.

All text placed in the markup goes through ``esc``; callers pass plain strings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from html import escape

from incli.domain.times import short_duration

WIDTH = 720
# A phone's chart (the report shows it below 600 px instead of the wide one): drawn for the
# width, so its text stays readable and nothing is cut or scrolls.
NARROW_WIDTH = 380
HEIGHT = 300
MARGIN_LEFT = 56
MARGIN_RIGHT = 16
MARGIN_TOP = 34
MARGIN_BOTTOM = 46

# One colour per severity rank, most severe first; unknown levels use the last.
SEVERITY_COLOURS = ("#b3261e", "#e8710a", "#f2b705", "#4a7bb7", "#7d8b99", "#a9b4be")
LINE_COLOURS = ("#4a7bb7", "#b3261e")

# Time-to-resolve histogram buckets: (label, upper bound in seconds, exclusive); the last has none.
RESOLVE_BUCKETS: tuple[tuple[str, float | None], ...] = (
    ("<15m", 15 * 60),
    ("15-30m", 30 * 60),
    ("30m-1h", 3600),
    ("1-2h", 2 * 3600),
    ("2-4h", 4 * 3600),
    ("4-8h", 8 * 3600),
    ("8-24h", 24 * 3600),
    (">1d", None),
)

# Tick marks for a logarithmic duration axis: (seconds, label).
DURATION_TICKS = (
    (10, "10s"),
    (60, "1m"),
    (300, "5m"),
    (900, "15m"),
    (1800, "30m"),
    (3600, "1h"),
    (7200, "2h"),
    (14400, "4h"),
    (28800, "8h"),
    (43200, "12h"),
    (86400, "1d"),
    (172800, "2d"),
    (604800, "1w"),
    (2592000, "30d"),
    (7776000, "90d"),
    (31536000, "1y"),
)

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def severity_colour(rank: int) -> str:
    return SEVERITY_COLOURS[min(rank, len(SEVERITY_COLOURS) - 1)]


def month_long(month: str) -> str:
    year, number = month.split("-")
    return f"{MONTH_NAMES[int(number) - 1]} {year}"


def bucket_index(seconds: float) -> int:
    for index, (_label, upper) in enumerate(RESOLVE_BUCKETS):
        if upper is None or seconds < upper:
            return index
    return len(RESOLVE_BUCKETS) - 1  # pragma: no cover - the last bucket has no bound


def histogram(seconds: Sequence[float]) -> list[tuple[str, int]]:
    counts = [0] * len(RESOLVE_BUCKETS)
    for value in seconds:
        counts[bucket_index(value)] += 1
    return [(label, count) for (label, _upper), count in zip(RESOLVE_BUCKETS, counts, strict=True)]


def nice_max(value: float) -> tuple[float, float]:
    """A round axis maximum at or above ``value`` and its tick step (about 4-6 ticks)."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 5
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        step = factor * power
        if step >= raw:
            break
    step = max(step, 1.0)  # counts: whole numbers
    return math.ceil(value / step) * step, step


def short_seconds(seconds: float) -> str:
    """``45m``, ``1h 6m``, ``2d 3h``: compact labels for charts and tables."""
    return short_duration(timedelta(seconds=round(seconds)))


@dataclass(frozen=True)
class Series:
    """One named, coloured series of a chart."""

    name: str
    colour: str
    values: Sequence[float | None]


def _open_svg(chart_id: str, title: str, desc: str, width: int) -> list[str]:
    return [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {HEIGHT}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{chart_id}-title">{esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{esc(desc)}</desc>',
    ]


def _legend(items: Sequence[tuple[str, str]], shape: str = "rect") -> list[str]:
    parts = ['<g class="legend" font-size="13">']
    x = MARGIN_LEFT
    for name, colour in items:
        if shape == "line":
            parts.append(f'<line x1="{x}" y1="13" x2="{x + 16}" y2="13" stroke="{colour}" stroke-width="3"/>')
        else:
            parts.append(f'<rect x="{x}" y="6" width="14" height="14" fill="{colour}"/>')
        parts.append(f'<text x="{x + 20}" y="17">{esc(name)}</text>')
        x += 34 + 8 * len(name)
    parts.append("</g>")
    return parts


def _x_labels(labels: Sequence[str], centres: Sequence[float], bottom: float, width: int) -> list[str]:
    """Labels under the x axis, thinned so they never overlap."""
    if not labels:
        return []
    slot = (width - MARGIN_LEFT - MARGIN_RIGHT) / len(labels)
    widest = max(len(label) for label in labels) * 7 + 8
    every = max(1, math.ceil(widest / slot))
    parts = []
    for index, (label, x) in enumerate(zip(labels, centres, strict=True)):
        if index % every == 0:
            parts.append(f'<text x="{x:.1f}" y="{bottom + 17:.1f}" text-anchor="middle">{esc(label)}</text>')
    return parts


def _month_labels(months: Sequence[str], centres: Sequence[float], bottom: float, width: int) -> list[str]:
    """Month names under the x axis: every month when there is room, else every 2, 3, 6 or 12
    months on calendar boundaries (so January is always one), with the year where it changes."""
    if not months:
        return []
    slot = (width - MARGIN_LEFT - MARGIN_RIGHT) / len(months)
    step = next((s for s in (1, 2, 3, 6, 12, 24, 60) if slot * s >= 62), 120)
    chosen = [
        i
        for i, m in enumerate(months)
        if (int(m[5:7]) - 1) % min(step, 12) == 0 and (step <= 12 or int(m[:4]) % (step // 12) == 0)
    ]
    if step == 1 or not chosen:
        chosen = list(range(0, len(months), step))
    parts = []
    last_year = ""
    for index in chosen:
        year, number = months[index].split("-")
        name = MONTH_NAMES[int(number) - 1]
        label = f"{name} {year}" if year != last_year else name
        if step >= 12:
            label = year
        last_year = year
        parts.append(f'<text x="{centres[index]:.1f}" y="{bottom + 17:.1f}" text-anchor="middle">{esc(label)}</text>')
    return parts


def _axis_frame(bottom: float, x_title: str, y_title: str, width: int) -> list[str]:
    mid_y = (MARGIN_TOP + bottom) / 2
    return [
        f'<line class="axis" x1="{MARGIN_LEFT}" y1="{bottom}" x2="{width - MARGIN_RIGHT}" y2="{bottom}" '
        'stroke="#333"/>',
        f'<text x="{(MARGIN_LEFT + width - MARGIN_RIGHT) / 2:.1f}" y="{HEIGHT - 6}" text-anchor="middle" '
        f'font-size="13">{esc(x_title)}</text>',
        f'<text x="14" y="{mid_y:.1f}" text-anchor="middle" font-size="13" '
        f'transform="rotate(-90 14 {mid_y:.1f})">{esc(y_title)}</text>',
    ]


def stacked_bars(
    chart_id: str,
    title: str,
    months: Sequence[str],
    stacks: Sequence[Series],
    *,
    y_title: str = "incidents",
    x_title: str = "month",
    width: int = WIDTH,
) -> str:
    """Bars per month, one segment per series (severity), stacked bottom up."""
    bottom = HEIGHT - MARGIN_BOTTOM
    plot_h = bottom - MARGIN_TOP
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    totals = [sum(float(s.values[i] or 0) for s in stacks) for i in range(len(months))]
    top, step = nice_max(max(totals, default=0))
    desc = f"{int(sum(totals))} incidents over {len(months)} months, by severity."
    parts = _open_svg(chart_id, title, desc, width)
    parts += _legend([(s.name, s.colour) for s in stacks])
    parts.append('<g class="grid" font-size="12">')
    tick = 0.0
    while tick <= top + 1e-9:
        y = bottom - tick / top * plot_h
        parts.append(f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{width - MARGIN_RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{int(tick)}</text>')
        tick += step
    parts.append("</g>")
    slot = plot_w / max(len(months), 1)
    bar_w = max(slot * 0.7, 1.0)
    centres = []
    parts.append('<g class="bars">')
    for index, month in enumerate(months):
        x = MARGIN_LEFT + index * slot + (slot - bar_w) / 2
        centres.append(x + bar_w / 2)
        y = float(bottom)
        for series in stacks:
            value = float(series.values[index] or 0)
            if value <= 0:
                continue
            height = value / top * plot_h
            y -= height
            tip = f"{month_long(month)}, {series.name}: {int(value)}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{height:.1f}" fill="{series.colour}">'
                f"<title>{esc(tip)}</title></rect>"
            )
    parts.append("</g>")
    parts.append('<g font-size="12">')
    parts += _month_labels(months, centres, bottom, width)
    parts.append("</g>")
    parts += _axis_frame(bottom, x_title, y_title, width)
    parts.append("</svg>")
    return "\n".join(parts)


def _log_ticks(low: float, high: float) -> list[tuple[float, str]]:
    values = [t for t in DURATION_TICKS]
    below = [t for t in values if t[0] <= low] or [values[0]]
    above = [t for t in values if t[0] >= high] or [values[-1]]
    start, end = values.index(below[-1]), values.index(above[0])
    if end <= start:
        end = min(start + 1, len(values) - 1)
        start = end - 1
    ticks = values[start : end + 1]
    while len(ticks) > 8:
        ticks = ticks[::2] if ticks[-1] == ticks[::2][-1] else [*ticks[::2], ticks[-1]]
    return [(float(s), label) for s, label in ticks]


def duration_lines(
    chart_id: str,
    title: str,
    months: Sequence[str],
    series: Sequence[Series],
    *,
    x_title: str = "month",
    y_title: str = "time to resolve (log scale)",
    width: int = WIDTH,
) -> str:
    """Lines of durations (seconds) per month on a logarithmic axis; None leaves a gap."""
    bottom = HEIGHT - MARGIN_BOTTOM
    plot_h = bottom - MARGIN_TOP
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    present = [max(v, 1.0) for s in series for v in s.values if v is not None]
    low, high = (min(present), max(present)) if present else (60.0, 3600.0)
    ticks = _log_ticks(low, high)
    lo, hi = math.log(ticks[0][0]), math.log(ticks[-1][0])

    def y_of(seconds: float) -> float:
        value = math.log(min(max(seconds, ticks[0][0]), ticks[-1][0]))
        return bottom - (value - lo) / (hi - lo) * plot_h

    desc = (
        "; ".join(
            f"{s.name}: "
            + (
                f"from {short_seconds(min(v for v in s.values if v is not None))} to "
                f"{short_seconds(max(v for v in s.values if v is not None))}"
                if any(v is not None for v in s.values)
                else "no resolved incidents"
            )
            for s in series
        )
        + f" over {len(months)} months."
    )
    parts = _open_svg(chart_id, title, desc, width)
    parts += _legend([(s.name, s.colour) for s in series], shape="line")
    parts.append('<g class="grid" font-size="12">')
    for seconds, label in ticks:
        y = y_of(seconds)
        parts.append(f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{width - MARGIN_RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{esc(label)}</text>')
    parts.append("</g>")
    slot = plot_w / max(len(months), 1)
    centres = [MARGIN_LEFT + (i + 0.5) * slot for i in range(len(months))]
    radius = 3.5 if len(months) <= 36 else 2.0
    for s in series:
        parts.append(f'<g class="series" stroke="{s.colour}" fill="{s.colour}">')
        run: list[str] = []
        for index, value in enumerate(s.values):
            if value is None:
                if len(run) > 1:
                    parts.append(f'<polyline fill="none" stroke-width="2.5" points="{" ".join(run)}"/>')
                run = []
                continue
            run.append(f"{centres[index]:.1f},{y_of(value):.1f}")
        if len(run) > 1:
            parts.append(f'<polyline fill="none" stroke-width="2.5" points="{" ".join(run)}"/>')
        for index, value in enumerate(s.values):
            if value is not None:
                tip = f"{month_long(months[index])}, {s.name}: {short_seconds(value)}"
                parts.append(
                    f'<circle cx="{centres[index]:.1f}" cy="{y_of(value):.1f}" r="{radius}">'
                    f"<title>{esc(tip)}</title></circle>"
                )
        parts.append("</g>")
    parts.append('<g font-size="12">')
    parts += _month_labels(months, centres, bottom, width)
    parts.append("</g>")
    parts += _axis_frame(bottom, x_title, y_title, width)
    parts.append("</svg>")
    return "\n".join(parts)


def bars(
    chart_id: str,
    title: str,
    buckets: Sequence[tuple[str, int]],
    *,
    colour: str = "#4a7bb7",
    x_title: str = "time to resolve",
    y_title: str = "incidents",
    width: int = WIDTH,
) -> str:
    """Plain bars with their counts on top (the time-to-resolve histogram)."""
    bottom = HEIGHT - MARGIN_BOTTOM
    plot_h = bottom - MARGIN_TOP
    plot_w = width - MARGIN_LEFT - MARGIN_RIGHT
    top, step = nice_max(max((c for _l, c in buckets), default=0))
    total = sum(c for _l, c in buckets)
    desc = f"{total} resolved incidents: " + ", ".join(f"{label} {count}" for label, count in buckets) + "."
    parts = _open_svg(chart_id, title, desc, width)
    parts.append('<g class="grid" font-size="12">')
    tick = 0.0
    while tick <= top + 1e-9:
        y = bottom - tick / top * plot_h
        parts.append(f'<line x1="{MARGIN_LEFT}" y1="{y:.1f}" x2="{width - MARGIN_RIGHT}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{int(tick)}</text>')
        tick += step
    parts.append("</g>")
    slot = plot_w / max(len(buckets), 1)
    bar_w = slot * 0.75
    centres = []
    parts.append(f'<g class="bars" fill="{colour}" font-size="12">')
    for index, (label, count) in enumerate(buckets):
        x = MARGIN_LEFT + index * slot + (slot - bar_w) / 2
        centres.append(x + bar_w / 2)
        height = count / top * plot_h
        tip = f"{label}: {count}"
        parts.append(
            f'<rect x="{x:.1f}" y="{bottom - height:.1f}" width="{bar_w:.1f}" height="{height:.1f}">'
            f"<title>{esc(tip)}</title></rect>"
        )
        if count:
            parts.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{bottom - height - 4:.1f}" text-anchor="middle" '
                f'fill="#222">{count}</text>'
            )
    parts.append("</g>")
    parts.append('<g font-size="12">')
    parts += _x_labels([label for label, _c in buckets], centres, bottom, width)
    parts.append("</g>")
    parts += _axis_frame(bottom, x_title, y_title, width)
    parts.append("</svg>")
    return "\n".join(parts)
