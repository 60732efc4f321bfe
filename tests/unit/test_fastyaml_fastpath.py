"""The fast reader's own fast path: what incli writes is read a line at a time.

The fast reader has two ways to read a mapping entry: the common spelling (``key: value`` on
one line, matched once by ``_ENTRY``) and the general path (``_key`` and ``inline``), which
reads any other spelling it supports. Both give the same values (tests/unit/test_fastyaml.py),
so a change that sent incli's own files down the general path would pass every test that
compares values and only make every command slower. These tests count the general path's calls
on the files incli writes, and hold the depth limit (deeper files go to PyYAML) where it is.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from incli.storage import fastyaml, yamlio

INCIDENT: dict[str, Any] = {
    "id": "INC-20261205-abcde",
    "title": "Checkout errors on eu-west",
    "status": "resolved",
    "severity": "SEV2",
    "opened": "2026-12-05T14:32:00+01:00",
    "tags": ["checkout", "eu-west", "yes", "1.5"],  # the last two written quoted
    "commander": None,
    "impact": {"customers": 1200, "paying": True, "regions": ["eu-west-1"]},
    "timeline": [
        {"at": "2026-12-05T14:32:00+01:00", "kind": "open", "by": "ana", "text": "paged"},
        {"at": "2026-12-05T14:35:10.25+01:00", "kind": "ack", "by": "bo", "text": "on it: db is slow"},
        {"at": "2026-12-05T15:01:00+01:00", "kind": "note", "by": None, "text": "no"},
    ],
    "actions": [{"id": "ACT-abcde", "title": "Add an index", "owner": "ana", "done": False}],
    "empty": {},
    "none": [],
}


@pytest.fixture
def general_path(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts the calls of the general path's entry points while a test reads."""
    calls: Counter[str] = Counter()
    key, inline = fastyaml._key, fastyaml._Reader.inline

    def counted_key(text: str) -> Any:
        calls["_key"] += 1
        return key(text)

    def counted_inline(self: Any, i: int, text: str, parent: int) -> Any:
        calls["inline"] += 1
        return inline(self, i, text, parent)

    monkeypatch.setattr(fastyaml, "_key", counted_key)
    monkeypatch.setattr(fastyaml._Reader, "inline", counted_inline)
    yield calls


def read(doc: dict[str, Any]) -> dict[str, Any]:
    data = yamlio.dump(doc).encode()
    fast = fastyaml.load(data)
    assert fast == doc, data.decode()
    assert fast == yamlio.load(data)
    return fast


def test_an_incident_as_incli_writes_it_never_takes_the_general_path(general_path: Counter[str]) -> None:
    text = yamlio.dump(INCIDENT)
    assert "'yes'" in text and "'1.5'" in text and "{}" in text and "[]" in text  # the shapes are there
    read(INCIDENT)
    assert general_path == Counter()


def test_a_single_quoted_value_is_read_in_place(general_path: Counter[str]) -> None:
    read({"a": "yes", "b": "it's", "c": "x"})
    assert general_path == Counter()


def test_a_double_quoted_value_without_escapes_is_read_in_place(general_path: Counter[str]) -> None:
    assert fastyaml.load(b'a: "x: y"\nb: "it\'s"\nc: z\n') == {"a": "x: y", "b": "it's", "c": "z"}
    assert general_path == Counter()


def test_only_the_multi_line_values_take_the_general_path(general_path: Counter[str]) -> None:
    read({"a": "one\ntwo\n", "b": "x", "c": {"d": "three\nfour"}, "e": "y"})
    assert general_path == Counter(inline=2)


def test_a_value_folded_past_column_100_is_read_again_once(general_path: Counter[str]) -> None:
    long = " ".join(["word"] * 40)
    assert "\n" in yamlio.dump({"a": long})  # written over two lines
    read({"a": long, "b": "x", "c": ["y"]})
    assert general_path == Counter(inline=1)


def nest(kind: str, levels: int) -> dict[str, Any]:
    value: Any = "x"
    for _ in range(levels):
        if kind == "mappings":
            value = {"k": value}
        elif kind == "lists":
            value = [value]
        elif kind == "mappings in lists":
            value = [{"k": value}]
        else:
            value = {"k": [value]}
    return {"top": value}


@pytest.mark.parametrize(
    ("kind", "deepest"),
    [("mappings", 64), ("lists", 64), ("mappings in lists", 32), ("lists under keys", 32)],
)
def test_64_levels_are_read_fast_and_deeper_ones_left_to_pyyaml(kind: str, deepest: int) -> None:
    """A level is a collection, a list item's mapping counting as one more: incli writes five
    at most; anything past 64 is PyYAML's, before Python's recursion limit could matter."""
    assert sys.getrecursionlimit() >= 1000
    read(nest(kind, deepest))
    deeper = yamlio.dump(nest(kind, deepest + 1)).encode()
    assert fastyaml.load(deeper) is None
    assert yamlio.load(deeper) == nest(kind, deepest + 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("X: X y\nY: X\n? Z\n: -X\n", {"X": "X y", "Y": "X", "Z": "-X"}),
        ("a: " + "7" * 4000 + "\n", {"a": int("7" * 4000)}),
        ("a: |\n  x\n\n  \nb: c\u2028d: 1\n", {"a": "x\n", "b": "c", "d": 1}),
        ("a: |-\n  x\n\n  \nb: c\u2028d: 1\n", {"a": "x", "b": "c", "d": 1}),
    ],
)
def test_edge_shapes_are_read_fast(text: str, expected: dict[str, Any]) -> None:
    data = text.encode()
    assert yamlio.load(data) == expected  # the expectation itself is PyYAML's reading
    assert fastyaml.load(data) == expected
