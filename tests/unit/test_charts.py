"""The report's charts and month ranges, built without the CLI."""

from __future__ import annotations

from incli.domain import charts, reportdata


def test_histogram_buckets_and_month_range() -> None:
    minutes = [1, 14.99, 15, 29, 30, 59, 60, 119, 120, 239, 240, 479, 480, 1439, 1440, 9000]
    counts = dict(charts.histogram([m * 60 for m in minutes]))
    assert counts == {"<15m": 2, "15-30m": 2, "30m-1h": 2, "1-2h": 2, "2-4h": 2, "4-8h": 2, "8-24h": 2, ">1d": 2}
    assert reportdata.month_range("2024-11", "2025-02") == ["2024-11", "2024-12", "2025-01", "2025-02"]


def test_charts_escape_labels_and_draw_one_segment_per_value() -> None:
    stacks = [charts.Series("<SEV1>", "#000", [1, 0]), charts.Series("SEV2", "#111", [2, 3])]
    svg = charts.stacked_bars("c", "Per <month>", ["2025-01", "2025-02"], stacks)
    assert "<SEV1>" not in svg and "&lt;SEV1&gt;" in svg and "Per &lt;month&gt;" in svg
    assert svg.count("<rect") == 2 + 3  # two legend swatches, three non-empty segments
    lines = charts.duration_lines(
        "d", "t", ["2025-01", "2025-02", "2025-03"], [charts.Series("median", "#000", [600, None, 7200])]
    )
    assert lines.count("<circle") == 2 and "<polyline" not in lines  # a gap breaks the line
