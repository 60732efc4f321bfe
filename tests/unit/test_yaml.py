"""Text that YAML 1.1 would turn into numbers, booleans or dates survives a round trip,
through our loader and through plain ``yaml.safe_load`` (other tools must agree)."""

from __future__ import annotations

import pytest
import yaml

from incli.storage import yamlio

TRAPS = [
    "14:30",
    "no",
    "yes",
    "on",
    "off",
    "NO",
    "null",
    "~",
    "",
    "true",
    "1e3",
    "0x10",
    "012",
    "2025-01-15",
    "2025-01-15T14:30:00+00:00",
    "3.14",
    "- dash",
    "key: value",
    "# not a comment",
    "line one\nline two\n  indented line\n",
    "trailing space \nsecond",
    "Datenbank überlastet — 数据库 🔥",
    "'quoted' and \"double\"",
]


@pytest.mark.parametrize("text", TRAPS)
def test_dump_then_load_keeps_text(text: str) -> None:
    dumped = yamlio.dump({"title": text, "notes": [text]})
    assert yamlio.load(dumped) == {"title": text, "notes": [text]}
    assert yaml.safe_load(dumped) == {"title": text, "notes": [text]}


def test_loader_keeps_yaml11_traps_as_text() -> None:
    data = yamlio.load("a: 14:30\nb: no\nc: on\nd: 2025-01-15\ne: 0x10\nf: yes\n")
    assert data == {"a": "14:30", "b": "no", "c": "on", "d": "2025-01-15", "e": "0x10", "f": "yes"}


def test_multiline_text_is_a_literal_block() -> None:
    dumped = yamlio.dump({"summary": "first line\nsecond line\n"})
    assert "summary: |" in dumped
    assert "  first line\n  second line\n" in dumped


def test_keys_keep_their_order() -> None:
    dumped = yamlio.dump({"id": "x", "title": "t", "a": 1})
    assert [line.split(":")[0] for line in dumped.splitlines()] == ["id", "title", "a"]


def test_a_comment_follows_its_list_item_by_content_keys_included() -> None:
    """Items that differ only in their keys are told apart: each comment stays with its own."""
    old = b"items:\n- a: 1\n  c: 2 # of a\n- b: 1\n  c: 2 # of b\n"
    moved = yamlio.keep_comments(old, "items:\n- b: 1\n  c: 2\n- a: 1\n  c: 2\n")
    assert moved == "items:\n- b: 1\n  c: 2 # of b\n- a: 1\n  c: 2 # of a\n"


def test_a_comment_after_a_value_now_folded_goes_above_its_key_at_its_indent() -> None:
    old = b"id: A\npostmortem:\n  summary: short  # why it matters\n  author: ann\n"
    new = yamlio.dump({"id": "A", "postmortem": {"summary": "a long summary " * 10, "author": "ann"}})
    assert "\n    a long summary" in new  # folded over two lines: no room after it
    kept = yamlio.keep_comments(old, new)
    assert kept == new.replace("  summary:", "  # why it matters\n  summary:", 1)
    assert yamlio.load(kept) == yamlio.load(new)
