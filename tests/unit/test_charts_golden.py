"""The report's charts drawn for fixed data are the SVG on record, byte for byte (issue 19: the
mutation run changed the markup, a label or a tag and no geometry test noticed). The geometry is
checked against hand arithmetic in test_charts_drawn.py; this catches everything else a reader
would see. After a deliberate change to the charts, look at them (the report's pages), then:

    INCLI_UPDATE_GOLDEN=1 pytest tests/unit/test_charts_golden.py
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from incli.domain import charts

GOLDEN = Path(__file__).with_name("charts_golden.svg.txt")
MONTHS = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02"]


def drawn() -> list[str]:
    s = charts.Series
    return [
        charts.stacked_bars(
            "pm",
            "Incidents <per> month & severity",
            MONTHS,
            [
                s("SEV1", charts.severity_colour(0), [1, 0, None, 2, 0, 0, 1, 0, 0, 3, 0, 0, 1, 0]),
                s("SEV2", charts.severity_colour(1), [0, 2, 1, 0, 0, 4, 0, 0, 2, 0, 1, 0, 0, 5]),
            ],
        ),
        charts.stacked_bars("empty", "Nothing", ["2025-01"], [s("SEV1", "#a00", [0])], width=380),
        charts.duration_lines(
            "mttr",
            "Time to resolve",
            MONTHS[:6],
            [
                s("median", "#333", [600.0, None, 5400.0, 86400.0, 30.0, 7200.0]),
                s("p90", "#a00", [1800.0, None, 36000.0, 172800.0, 45.0, None]),
            ],
        ),
        charts.duration_lines("none", "No data", MONTHS[:2], [s("median", "#333", [None, None])]),
        charts.bars("hist", "Time to resolve", charts.histogram([60.0, 600.0, 1200.0, 4000.0, 90000.0, 400000.0])),
        charts.bars("narrow", "Narrow", charts.histogram([60.0] * 3), width=380),
    ]


def test_the_charts_are_the_svg_on_record() -> None:
    got = "\n\n".join(drawn()) + "\n"
    if os.environ.get("INCLI_UPDATE_GOLDEN"):
        GOLDEN.write_text(got, encoding="utf-8")
    assert got == GOLDEN.read_text(encoding="utf-8")


def test_every_chart_on_record_is_well_formed_svg_with_its_title_escaped() -> None:
    for svg in drawn():
        root = ET.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        assert root.findtext("{http://www.w3.org/2000/svg}title")
    assert "Incidents &lt;per&gt; month &amp; severity" in drawn()[0]
