"""The fast reader behind the index reads what PyYAML reads, or hands the text to PyYAML."""

from __future__ import annotations

import pytest

from incli.storage import fastyaml, yamlio

TRICKY = [
    "plain",
    "x: y",
    "yes",
    "no",
    "on",
    "14:30",
    "1e3",
    "0x1F",
    "007",
    "-5",
    "+5",
    ".5",
    "null",
    "~",
    "",
    " lead",
    "trail ",
    "it's",
    "'quoted'",
    '"dq"',
    "a #b",
    "a#b",
    "é ü 日本",
    "multi\nline",
    "tab\there",
    "x" * 150,
    "[x]",
    "{x}",
    "- dash",
    "?q",
    "%p",
    "@a",
    "`b",
    "!t",
    "&a",
    "*a",
    "|",
    ">",
    "a: b: c",
    "True",
    "1.5",
    ".inf",
    "-.inf",
    ".nan",
    "1_000",
    "2025-01-15T14:30:00+00:00",
    "2025-01-15",
    "back\\slash",
    "semi;colon",
]


@pytest.mark.parametrize("text", TRICKY)
def test_fast_reader_agrees_with_pyyaml(text: str) -> None:
    doc = {
        "schema": 1,
        "id": "INC-1",
        "title": text,
        "roles": {"comms": text} if text else {},
        "tags": [text, "b"],
        "drill": False,
        "n": None,
        "num": 3,
        "timeline": [{"at": "2025-01-15T14:30:00+00:00", "kind": "note", "by": None, "text": text}],
    }
    data = yamlio.dump(doc).encode()
    fast = fastyaml.load(data)
    assert fast is None or fast == yamlio.load(data)
    if text in ("plain", "it's", "é ü 日本", "semi;colon", "a#b", "x: y", "yes", "14:30", ""):
        assert fast is not None  # the common shapes take the fast path


def test_fast_reader_hands_other_yaml_to_pyyaml() -> None:
    for text in (
        "a: 1\n# comment\n",
        "a: |\n  x\n",
        "a:\n  b:\n    c: 1\n",
        "---\na: 1\n",
        "a: 1",
        "- 1\n",
        "a: 1\na: 2\n",
        "true: 1\n",
        "a: 'x\n  y'\n",
        "a:\n- b: 1\n    c: 2\n",
    ):
        assert fastyaml.load(text.encode()) is None, text
