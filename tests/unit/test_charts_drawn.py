"""The report's charts where they are drawn (domain/charts.py), against hand arithmetic (issue 19: the
mutation run found the geometry untested). The plot is 720 x 300 with margins of 56 left, 16 right,
34 top and 46 bottom: its floor is at y = 254, it is 220 high and 648 wide. A bar drawn too tall, a
tick at the wrong height, a label under the wrong month is the report misleading its reader."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import pytest

from incli.domain import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def texts(root: ET.Element) -> list[tuple[str, str, str]]:
    return [(t.get("x", ""), t.get("y", ""), t.text or "") for t in root.iter(f"{SVG}text")]


def rects(group: ET.Element) -> list[tuple[str, str, str, str, str | None, str]]:
    found = []
    for rect in group.iter(f"{SVG}rect"):
        title = rect.find(f"{SVG}title")
        found.append(
            (rect.get("x", ""), rect.get("y", ""), rect.get("width", ""), rect.get("height", ""), rect.get("fill"),
             title.text if title is not None and title.text else "")
        )  # fmt: skip
    return found


def group(root: ET.Element, cls: str) -> ET.Element:
    found = root.find(f"{SVG}g[@class='{cls}']")
    assert found is not None, cls
    return found


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, (1.0, 1.0)), (-3, (1.0, 1.0)), (0.5, (1.0, 1.0)), (3, (3.0, 1.0)), (7, (8.0, 2.0)), (10, (10.0, 2.0)),
     (24, (25.0, 5.0)), (120, (150.0, 50.0)), (1000, (1000.0, 200.0))],
)  # fmt: skip
def test_the_axis_top_is_round_and_has_about_five_ticks(value: float, expected: tuple[float, float]) -> None:
    assert charts.nice_max(value) == expected


def test_stacked_bars_by_hand() -> None:
    stacks = [charts.Series("SEV1", "#a00", [1, 0]), charts.Series("SEV2", "#0a0", [2, 3])]
    svg = charts.stacked_bars("pm", "Per month", ["2025-01", "2025-02"], stacks)
    root = parse(svg)
    assert root.get("viewBox") == "0 0 720 300" and root.get("aria-labelledby") == "pm-title pm-desc"
    assert root.findtext(f"{SVG}desc") == "6 incidents over 2 months, by severity."
    legend = group(root, "legend")
    assert [(r[0], r[1], r[4]) for r in rects(legend)] == [("56", "6", "#a00"), ("122", "6", "#0a0")]  # 56 + 34 + 8*4
    assert texts(legend) == [("76", "17", "SEV1"), ("142", "17", "SEV2")]
    # The axis goes to 3 in steps of 1: 220 / 3 = 73.3 px a step.
    assert texts(group(root, "grid")) == [("50", "258.0", "0"), ("50", "184.7", "1"), ("50", "111.3", "2"),
                                          ("50", "38.0", "3")]  # fmt: skip
    lines = [(line.get("y1"), line.get("x2")) for line in group(root, "grid").iter(f"{SVG}line")]
    assert lines == [("254.0", "704"), ("180.7", "704"), ("107.3", "704"), ("34.0", "704")]
    # Each month a slot of 324 px, its bar 70% of it (226.8) and centred (48.6 in); stacked bottom up.
    assert rects(group(root, "bars")) == [
        ("104.6", "180.7", "226.8", "73.3", "#a00", "Jan 2025, SEV1: 1"),
        ("104.6", "34.0", "226.8", "146.7", "#0a0", "Jan 2025, SEV2: 2"),
        ("428.6", "34.0", "226.8", "220.0", "#0a0", "Feb 2025, SEV2: 3"),
    ]
    labels = [t for t in texts(root) if t[1] == "271.0"]
    assert labels == [("218.0", "271.0", "Jan 2025"), ("542.0", "271.0", "Feb")]  # the year once
    assert ("380.0", "294", "month") in texts(root) and ("14", "144.0", "incidents") in texts(root)
    axis = root.find(f"{SVG}line[@class='axis']")
    assert axis is not None and (axis.get("x1"), axis.get("y1"), axis.get("x2")) == ("56", "254", "704")


def test_an_empty_month_draws_no_bar_and_a_narrow_chart_fits_its_width() -> None:
    svg = charts.stacked_bars("n", "t", ["2025-01", "2025-02"], [charts.Series("SEV1", "#a00", [0, None])], width=380)
    root = parse(svg)
    assert rects(group(root, "bars")) == [] and root.get("viewBox") == "0 0 380 300"
    assert texts(group(root, "grid")) == [("50", "258.0", "0"), ("50", "38.0", "1")]  # nothing: the axis to 1
    assert root.findtext(f"{SVG}desc") == "0 incidents over 2 months, by severity."


def month_labels(months: list[str], width: int = 720) -> list[str]:
    svg = charts.stacked_bars("m", "t", months, [charts.Series("SEV1", "#a00", [1] * len(months))], width=width)
    return [label for _x, y, label in texts(parse(svg)) if y == "271.0"]


def months_from(year: int, month: int, count: int) -> list[str]:
    found = []
    for _ in range(count):
        found.append(f"{year}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return found


def test_month_labels_thin_out_on_calendar_boundaries() -> None:
    assert month_labels(months_from(2024, 11, 4)) == ["Nov 2024", "Dec", "Jan 2025", "Feb"]
    # 24 months: 27 px each, a label every 3 months (81 px), on Jan, Apr, Jul, Oct.
    assert month_labels(months_from(2024, 2, 24)) == [
        "Apr 2024", "Jul", "Oct", "Jan 2025", "Apr", "Jul", "Oct", "Jan 2026",
    ]  # fmt: skip
    assert month_labels(months_from(2024, 1, 10), width=380) == ["Jan 2024", "Apr", "Jul", "Oct"]  # 30.8 px a month
    assert month_labels(months_from(2015, 1, 120)) == [str(y) for y in range(2015, 2025)]  # years
    assert month_labels(months_from(2001, 1, 250)) == [str(y) for y in range(2002, 2021, 2)]  # every other year
    assert month_labels(months_from(2024, 5, 1)) == ["May 2024"]


def test_histogram_bars_by_hand() -> None:
    buckets = [("<15m", 4), ("15-30m", 0), ("30m-1h", 10)]
    root = parse(charts.bars("h", "Time to resolve", buckets))
    assert root.findtext(f"{SVG}desc") == "14 resolved incidents: <15m 4, 15-30m 0, 30m-1h 10."
    bars = group(root, "bars")
    assert bars.get("fill") == "#4a7bb7"
    # The axis to 10 in steps of 2; each bucket a slot of 216 px, its bar 75% of it (162) centred (27 in).
    assert rects(bars) == [
        ("83.0", "166.0", "162.0", "88.0", None, "<15m: 4"),
        ("299.0", "254.0", "162.0", "0.0", None, "15-30m: 0"),
        ("515.0", "34.0", "162.0", "220.0", None, "30m-1h: 10"),
    ]
    assert texts(bars) == [("164.0", "162.0", "4"), ("596.0", "30.0", "10")]  # no count over an empty bar
    assert [label for _x, _y, label in texts(group(root, "grid"))] == ["0", "2", "4", "6", "8", "10"]
    narrow = parse(charts.bars("h", "t", charts.histogram([60.0] * 3), width=380))
    shown = [label for _x, y, label in texts(narrow) if y == "271.0"]
    assert shown == ["<15m", "30m-1h", "2-4h", "8-24h"]  # 38.5 px a slot, labels 50 wide: every other


def test_duration_lines_on_a_log_axis_by_hand() -> None:
    series = [charts.Series("median", "#00a", [600, None, 3600, 1800]), charts.Series("p90", "#a00", [None] * 4)]
    root = parse(charts.duration_lines("r", "Resolve", months_from(2025, 1, 4), series))
    assert root.findtext(f"{SVG}desc") == ("median: from 10m to 1h; p90: no resolved incidents over 4 months.")
    # 600 s to 3600 s: ticks from 5m (the tick at or below) to 1h (at or above), log scale.
    ticks = [label for _x, _y, label in texts(group(root, "grid"))]
    assert ticks == ["5m", "15m", "30m", "1h"]

    def y(seconds: float) -> str:
        return f"{254 - (math.log(seconds) - math.log(300)) / (math.log(3600) - math.log(300)) * 220:.1f}"

    median = root.findall(f"{SVG}g[@class='series']")[0]
    assert median.get("stroke") == "#00a"
    points = [p.get("points") for p in median.iter(f"{SVG}polyline")]
    assert points == [f"461.0,{y(3600)} 623.0,{y(1800)}"]  # the gap in February breaks the line
    circles = [(c.get("cx"), c.get("cy"), c.get("r"), c.findtext(f"{SVG}title")) for c in median.iter(f"{SVG}circle")]
    assert circles == [
        ("137.0", y(600), "3.5", "Jan 2025, median: 10m"),
        ("461.0", y(3600), "3.5", "Mar 2025, median: 1h"),
        ("623.0", y(1800), "3.5", "Apr 2025, median: 30m"),
    ]
    assert y(300) == "254.0" and y(3600) == "34.0"
    legend = group(root, "legend")
    assert [(line.get("x1"), line.get("x2"), line.get("stroke")) for line in legend.iter(f"{SVG}line")] == [
        ("56", "72", "#00a"),
        ("138", "154", "#a00"),  # 56 + 34 + 8 * len("median")
    ]


def test_duration_lines_keep_a_long_range_to_eight_ticks_and_small_dots() -> None:
    months = months_from(2022, 1, 40)
    values: list[float | None] = [5.0, 40_000_000.0] + [None] * 38
    root = parse(charts.duration_lines("r", "t", months, [charts.Series("median", "#00a", values)]))
    # 16 ticks from 10s to 1y, halved until at most 8, always keeping both ends.
    assert [label for _x, _y, label in texts(group(root, "grid"))] == ["10s", "30m", "8h", "1w", "1y"]
    short = parse(charts.duration_lines("r", "t", months, [charts.Series("m", "#00a", [10.0, 7200.0] + [None] * 38)]))
    assert [label for _x, _y, label in texts(group(short, "grid"))] == ["10s", "1m", "5m", "15m", "30m", "1h", "2h"]
    assert {c.get("r") for c in root.iter(f"{SVG}circle")} == {"2.0"}  # over 36 months
    empty = parse(charts.duration_lines("r", "t", months_from(2025, 1, 2), [charts.Series("m", "#00a", [None, None])]))
    assert [label for _x, _y, label in texts(group(empty, "grid"))] == ["1m", "5m", "15m", "30m", "1h"]
    one = parse(charts.duration_lines("r", "t", months_from(2025, 1, 1), [charts.Series("m", "#00a", [3600.0])]))
    assert [label for _x, _y, label in texts(group(one, "grid"))] == ["1h", "2h"]  # a single value: two ticks


def test_each_severity_rank_has_its_colour_and_the_rest_share_the_last() -> None:
    assert [charts.severity_colour(rank) for rank in range(8)] == [
        "#b3261e", "#e8710a", "#f2b705", "#4a7bb7", "#7d8b99", "#a9b4be", "#a9b4be", "#a9b4be",
    ]  # fmt: skip
    assert charts.month_long("2025-12") == "Dec 2025" and charts.short_seconds(3959.6) == "1h 6m"
