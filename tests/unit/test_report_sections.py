"""The postmortem on the report's incident page: only its analysis sections, headings one level
below the page's, tick boxes for tasks; and the index part shell completion reads."""

from __future__ import annotations

import re

from incli.render import REPORT_DROPS, markdown_to_html
from incli.storage.index import payload_ok

DOC = """# Postmortem: Pool <b>gone</b>

- **Incident ID:** INC-1
- **Severity:** SEV2

The summary paragraph.

## Incident Summary

facts again

## Timeline

14:30 - opened

## Root Cause Analysis

- The pool was too small

### Five whys

1. Why? Because.

## Action Items

- [x] Add an alert (Owner: priya) - done
- [ ] Split the pool <script>alert(1)</script> - open

## Lessons Learned

- Budget connections
"""


def _headings(html: str) -> list[tuple[str, str]]:
    return re.findall(r"<h([1-6])>(.*?)</h\1>", html)


def test_only_the_analysis_sections_stay_one_level_below_the_page() -> None:
    html = markdown_to_html(DOC, shift_headings=1, keep_from=2, drop=REPORT_DROPS)
    assert _headings(html) == [("3", "Root Cause Analysis"), ("4", "Five whys"), ("3", "Lessons Learned")]
    for gone in ("Postmortem:", "Incident ID", "The summary paragraph", "facts again", "14:30", "Add an alert"):
        assert gone not in html, gone
    assert "The pool was too small" in html and "Budget connections" in html


def test_without_keep_from_the_document_is_whole() -> None:
    html = markdown_to_html(DOC)
    assert [level for level, _ in _headings(html)] == ["1", "2", "2", "2", "3", "2", "2"]
    assert "&lt;b&gt;gone&lt;/b&gt;" in html


def test_tasks_are_tick_boxes_and_their_text_stays_escaped() -> None:
    html = markdown_to_html(DOC)
    assert '<li class="task"><input type="checkbox" disabled checked aria-label="done"> Add an alert' in html
    assert '<input type="checkbox" disabled aria-label="open"> Split the pool &lt;script&gt;' in html
    assert "[x]" not in html and "[ ]" not in html and "<script" not in html
    # Only at the start of a list item: the same text in a paragraph is left alone.
    assert markdown_to_html("see [x] here").strip() == "<p>see [x] here</p>"


def test_the_completion_part_of_the_index_takes_only_its_own_shape() -> None:
    good = ("INC-20250115-txm67", "open", 1736951400.0, "Pool", (("ACT-7kq2x", "open", "Alert"),))
    assert payload_ok("complete", True, good)
    for bad in (
        good[:4],
        (*good[:2], "1736951400", *good[3:]),
        (*good[:4], (("ACT-7kq2x", "open"),)),
        (*good[:4], (("ACT-7kq2x", "open", 3),)),
    ):
        assert not payload_ok("complete", True, bad), bad
