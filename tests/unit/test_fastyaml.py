"""The fast reader behind the index reads what PyYAML reads, or hands the text to PyYAML.

What incli writes (``yamlio.dump``) must come back through the fast reader without falling
back, exactly as ``yamlio.load`` reads it: same values, same types, same key order. For any
other bytes the fast reader may give up (None), never answer differently. The files the
commands themselves write are checked in tests/cli/test_fastyaml_files.py.
"""

from __future__ import annotations

import math
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from incli.storage import fastyaml, yamlio


def same(a: Any, b: Any) -> bool:
    """Equal, with the same types throughout (True is not 1, 1 is not 1.0), keys in the same
    order, floats equal to the sign of zero (NaN equal to NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            same(ka, kb) and same(va, vb) for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return bool(a == b)


def pyyaml(data: bytes) -> Any:
    """What yamlio reads, or the error it raises (as a value to compare against)."""
    try:
        return yamlio.load(data)
    except yamlio.YamlError as exc:
        return exc


def check_written(doc: dict[str, Any]) -> None:
    """``doc`` written as incli writes files reads back the same through both readers, and the
    fast reader does not fall back."""
    data = yamlio.dump(doc).encode("utf-8")
    fast = fastyaml.load(data)
    assert fast is not None, data.decode()
    slow = yamlio.load(data)
    assert same(fast, slow), (data.decode(), fast, slow)
    assert same(fast, doc), (data.decode(), fast, doc)


def check_any(data: bytes) -> None:
    """For any bytes: the fast reader gives up, or says exactly what yamlio says."""
    fast = fastyaml.load(data)
    if fast is not None:
        slow = pyyaml(data)
        assert not isinstance(slow, Exception), (data, fast, slow)
        assert same(fast, slow), (data, fast, slow)


TRICKY = [
    "plain",
    "x: y",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "14:30",
    "1:20:30",
    "1e3",
    "1E3",
    "1e+3",
    "0x1F",
    "0o17",
    "0b101",
    "007",
    "-5",
    "+5",
    ".5",
    "5.",
    "1_000",
    "null",
    "Null",
    "~",
    "",
    " ",
    " lead",
    "trail ",
    "it's",
    "'quoted'",
    "''",
    '"dq"',
    '"',
    "a #b",
    "a#b",
    "#x",
    "é ü 日本",
    "emoji 😀 here",
    "multi\nline",
    "multi\nline\n",
    "multi\nline\n\n",
    "\n",
    "\n\n",
    "\nlead",
    "  indented\nnext",
    "a\n  b\n    c",
    "line  \nwith trailing spaces",
    "tab\there",
    "cr\rhere",
    "crlf\r\nhere",
    "nul\x00here",
    "bell\x07esc\x1bdel\x7f",
    "nel\x85here",
    "nbsp\xa0here",
    "bom\ufeffhere",
    "ls\u2028here",
    "ps\u2029here",
    "ls\u2028  indented\nmore",
    "ends with a separator\n\u2028",
    "two lines, a separator last\nb\u2028",
    "a paragraph separator last\nb\u2029",
    "x" * 150,
    ("word " * 40).strip(),
    "a " + "x" * 120 + " b",
    "  two  spaces  everywhere  " * 5,
    ("quote's " * 30).strip(),
    ('say "hi" ' * 30).strip(),
    "tab\t" * 40,
    "[x]",
    "{x}",
    "{}",
    "[]",
    "- dash",
    "-",
    "-x",
    "?q",
    "? q",
    ":x",
    ": x",
    "%p",
    "@a",
    "`b",
    "!t",
    "&a",
    "*a",
    "|",
    "|-",
    ">",
    "a: b: c",
    "a:",
    "True",
    "FALSE",
    "1.5",
    "-0",
    "-0.0",
    ".inf",
    "-.inf",
    ".nan",
    ".NaN",
    "2025-01-15T14:30:00+00:00",
    "2025-01-15",
    "back\\slash",
    "back\\",
    "semi;colon",
    "---",
    "--- x",
    "...",
    "... x",
    "a,b",
    "<<",
    "=",
    "\\x41",
]


@pytest.mark.parametrize("text", TRICKY)
def test_every_tricky_text_reads_back_in_every_position(text: str) -> None:
    doc = {
        "schema": 1,
        "id": "INC-1",
        "title": text,
        "roles": {"comms": text},
        "tags": [text, "b"],
        "drill": False,
        "n": None,
        "num": 3,
        "timeline": [{"at": "2025-01-15T14:30:00+00:00", "kind": "note", "by": None, "text": text}],
        "postmortem": {"whys": [[{"question": text, "answer": text}]], "lucky": [], "summary": text},
        "source": {"labels": {text: text, "x": [text, {text: [text]}]}, "derived": []},
        text: {"nested": text},
        "last": text,
    }
    check_written(doc)


def test_long_keys_are_written_as_complex_keys_and_read() -> None:
    check_written({"k" * 130: "v", "multi\nline key": {"a": ["b"]}, "x": {("long key " * 20): [1, {"y": None}]}})


def test_margins_past_255_columns_are_read_fast() -> None:
    # hand-indented ten spaces a level, 30 levels deep: margins past the 256 kept ready
    lines: list[str] = []
    for level in range(30):
        lines.append(" " * 10 * level + f"k{level}:")
    lines.append(" " * 300 + "- a")
    lines.append(" " * 300 + "- b c")
    lines.append(" " * 302 + "d")
    text = ("\n".join(lines) + "\nlast: 1\n").encode()
    fast = fastyaml.load(text)
    assert fast is not None
    node = fast
    for level in range(30):
        node = node[f"k{level}"]
    assert node == ["a", "b c d"]
    assert same(fast, yamlio.load(text))


def test_typed_values_read_back_typed() -> None:
    check_written(
        {
            "ints": [0, -1, 7, 10**30, -(10**30)],
            "floats": [0.0, -0.0, 1.5, -2.25, 1e300, 1e-300, 5e-324, float("inf"), float("-inf"), float("nan")],
            "bools": [True, False],
            "nulls": [None, {"a": None}],
            "empty": [{}, [], "", [[]], [{}]],
        }
    )


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\n# comment\n",
        "a: 1 # comment\n",
        "a: 'x' # comment\n",
        "a: >\n  x\n",
        "a: !!str 1\n",
        "a: &x 1\n",
        "a: &x 1\nb: *x\n",
        "a: [1]\n",
        "a: {b: 1}\n",
        "---\na: 1\n",
        "%YAML 1.1\n---\na: 1\n",
        "a: 1",
        "a: 1\r\n",
        "a:\t1\n",
        "\ufeffa: 1\n",
        "- 1\n",
        "a\n",
        "a: 1\na: 2\n",
        "true: 1\n",
        "1: x\n",
        "? a\n: true: 1\n",
        "- a: 1\n",
        "a: 1\n\nb: 2\n",
        "a: x\n\n  y\n",
        "a:\n  plain on the next line\n",
        "a: 1\n...\nb: 2\n",
        "a: 1\n---\nb: 2\n",
        "a: \n",
        "a:  x\n",
        "a : x\n",
        "  a: 1\n",
        "a: 'x\n",
        'a: "x\n',
        'a: "\\q"\n',
        'a: "\\ud800"\n',
        'a: "\\x4"\n',
        'a: "x"y"\n',
        "a: |\n   \n  x\n",
        "a: |\nb: 1\n",
        "a: |\n  x\n y\n",
        "a: | # c\n  x\n",
        "a: x\n  # c\n",
        "a: x\n  b: c\n",
        "a: {}\n  b\n",
        "a: 'x'\n  y\n",
        "a:\n  b: 1\n   c: 2\n",
        "a:\n- b: 1\n    c: 2\n",
        "a: " + "x" * 10 + "\n" + "b" * 1025 + ": 1\n",
    ],
)
def test_other_yaml_goes_to_pyyaml(text: str) -> None:
    assert fastyaml.load(text.encode()) is None, text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: |\n  x\n", {"a": "x\n"}),
        ("a: |-\n  x\n\n", {"a": "x"}),
        ("a: |+\n  x\n\n...\n", {"a": "x\n\n"}),
        ("a: |+\n  x\n\nb: 1\n", {"a": "x\n\n", "b": 1}),
        ("a: |2\n  \n   x\n", {"a": "\n x\n"}),
        ("a: |-2\n   x\n", {"a": " x"}),
        ("a: |\n\n  x\n  \n   \n    \n", {"a": "\nx\n\n \n  \n"}),
        ('a: "x \\\n   y"\n', {"a": "x y"}),
        ('a: "x\\\n\n   y"\n', {"a": "x\ny"}),
        ('a: "x  \n\n\n   y  "\n', {"a": "x\n\ny  "}),
        ('a: "a\\ \n  b"\n', {"a": "a  b"}),
        ('a: "a\\\\ \n  b"\n', {"a": "a\\ b"}),
        ("a: 'x''\n  ''y'\n", {"a": "x' 'y"}),
        ("a: 'x\n\n  y'\n", {"a": "x\ny"}),
        ("a: x\n  - y\n  ? z\n", {"a": "x - y ? z"}),
        ("a:\n- x\n  - y\n", {"a": ["x - y"]}),
        ("a:\n- b\n c\n", {"a": ["b c"]}),
        ("a:\n-\n- - b\n  -\n", {"a": [None, ["b", None]]}),
        ("a: 'x\u2028  y'\n", {"a": "x\u2028y"}),
        ("a: |-\n  x\u2028  y\n  z\n", {"a": "x\u2028y\nz"}),
        ("a: x\u2028b: 1\n", {"a": "x", "b": 1}),
        ("? a\n: b\n", {"a": "b"}),
        ("? a\n:\n  b: 1\n", {"a": {"b": 1}}),
        ("? a\n: - b\n  - c\n", {"a": ["b", "c"]}),
        ("'a: b': 'c: d'\n", {"a: b": "c: d"}),
        ('"\\x01": 1\n', {"\x01": 1}),
        ("a:b: c\n", {"a:b": "c"}),
        ("a: 1\n...\n", {"a": 1}),
    ],
)
def test_shapes_read_as_libyaml_reads_them(text: str, expected: dict[str, Any]) -> None:
    data = text.encode()
    assert same(yamlio.load(data), expected)  # the expectation itself is PyYAML's reading
    fast = fastyaml.load(data)
    assert fast is not None
    assert same(fast, expected)


# -- random documents, written as incli writes them ---------------------------------

FRAGMENTS = [
    "14:30",
    "1e3",
    "no",
    "0o17",
    "0x1F",
    "1_000",
    "true",
    "~",
    "null",
    ".inf",
    ": ",
    ":",
    " #",
    "#",
    "'",
    "''",
    '"',
    "\\",
    "\\n",
    "\n",
    "\n\n",
    " \n",
    "\n ",
    "  ",
    " ",
    "- ",
    "? ",
    "|",
    ">",
    "---",
    "...",
    "&a",
    "*a",
    "!x",
    "{",
    "}",
    "[",
    "]",
    ",",
    "%",
    "@",
    "`",
    "\t",
    "\r",
    "\r\n",
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\x85",
    "\xa0",
    "\u2028",
    "\u2029",
    "\ufeff",
    "\ufffe",
    "é",
    "日本語",
    "😀",
    "\U0001f3f3\ufe0f\u200d\U0001f308",
    "x" * 90,
    "y" * 130,
    "word " * 25,
]
texts = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
    st.text(string.ascii_letters + string.digits + " :#'\"-\\\n", max_size=60),
    st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=8), max_size=12).map("".join),
).filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s))
scalars = st.one_of(
    texts,
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=25,
)
entries = st.fixed_dictionaries(
    {"at": st.just("2025-01-15T14:30:00.250000+00:00"), "kind": texts, "by": st.none() | texts, "text": texts}
)
incidents = st.fixed_dictionaries(
    {
        "schema": st.just(1),
        "id": st.just("INC-20250115-abcde"),
        "title": texts,
        "severity": st.sampled_from(["SEV1", "SEV2", None]),
        "summary": st.none() | texts,
        "roles": st.dictionaries(texts, texts, max_size=3),
        "tags": st.lists(texts, max_size=4),
        "drill": st.booleans(),
        "timeline": st.lists(entries, max_size=4),
        "postmortem": st.fixed_dictionaries(
            {
                "summary": st.none() | texts,
                "root_causes": st.lists(texts, max_size=3),
                "whys": st.lists(st.lists(st.fixed_dictionaries({"question": texts, "answer": texts}), max_size=3)),
            }
        ),
        "actions": st.lists(
            st.fixed_dictionaries({"id": st.just("ACT-abcde"), "title": texts, "owner": st.none() | texts}), max_size=3
        ),
        "source": st.dictionaries(texts, values, max_size=4),
    }
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(incidents)
def test_random_incidents_read_back_through_the_fast_reader(doc: dict[str, Any]) -> None:
    check_written(doc)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(texts, values, min_size=1, max_size=6))
def test_random_documents_read_back_through_the_fast_reader(doc: dict[str, Any]) -> None:
    check_written(doc)


# -- anything else: the fast reader gives up or agrees --------------------------------

YAMLISH = [
    "a",
    "b",
    "key",
    ":",
    ": ",
    " ",
    "  ",
    "\n",
    "- ",
    "-",
    "? ",
    "'",
    '"',
    "\\",
    "|",
    "|-",
    "|+",
    "|2",
    "#",
    "{}",
    "[]",
    "...",
    "---",
    "1",
    "true",
    "~",
    "\u2028",
    "\t",
    "x: y\n",
    "  x: y\n",
    "- x\n",
]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
@example(b"a: 1\n")
@example(b"a: \xff\n")
def test_hostile_bytes_never_read_differently(data: bytes) -> None:
    check_any(data)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(YAMLISH), max_size=30).map("".join))
def test_yaml_like_text_never_reads_differently(text: str) -> None:
    check_any(text.encode())


WORDS = st.sampled_from(
    ["a", "b c", "it's", 'say "x"', "x: y", "#", "a #b", "1", "true", "~", "é", "\\", "- x", "  ", ""]
)


class Renderer:
    """Block YAML for a tree, laid out in ways PyYAML's dumper never writes: any indentation
    step, lists indented or not, items compact or on their own lines, every scalar style,
    folded at random spaces with any continuation indentation. Not always valid YAML (quoted
    text is not escaped everywhere it should be): either way both readers must agree."""

    def __init__(self, draw: st.DrawFn) -> None:
        self.draw = draw
        self.step = draw(st.integers(1, 4))

    def choose(self, count: int) -> int:
        return self.draw(st.integers(0, count - 1))

    def scalar(self, value: Any, parent: int) -> list[str]:
        """The scalar's text after ``key: `` / ``- ``, then its continuation lines."""
        if not isinstance(value, str):
            return [{None: "", True: "true", False: "False"}.get(value, str(value)) if value is not None else "~"]
        margin = " " * (parent + 1 + self.choose(3))
        style = self.choose(5)
        if style == 0:  # plain
            text = value
        elif style == 1:
            text = "'" + value.replace("'", "''") + "'"
        elif style == 2:
            escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            text = (
                '"' + escaped.replace("é", self.draw(st.sampled_from(["é", "\\xe9", "\\u00e9", "\\U000000E9"]))) + '"'
            )
        elif style == 3:  # a literal block
            header = "|" + self.draw(st.sampled_from(["", "-", "+", "2", "1-", "2+", "-2"]))
            indent = " " * (parent + self.draw(st.integers(1, 3)))
            return [header] + [indent + line if line else "" for line in value.split("\n")]
        else:  # folded with escaped line breaks
            text = '"' + value.replace('"', "").replace("\\", "") + '"'
            if " " in text:
                at = text.index(" ")
                return [text[:at] + "\\", margin + "\\" + text[at:]]
            return [text]
        words = text.split(" ")
        if len(words) > 1 and self.choose(2):
            cut = self.draw(st.integers(1, len(words) - 1))
            return [" ".join(words[:cut]), margin + " ".join(words[cut:])]
        return [text]

    def key(self, key: str) -> str:
        return [key, "'" + key.replace("'", "''") + "'", '"' + key.replace('"', "") + '"'][self.choose(3)]

    def node(self, value: Any, col: int, prefix: str, parent: int) -> list[str]:
        """``value`` after ``prefix`` (``key:`` or ``-``) on a line at column ``col``."""
        pad = " " * col
        if isinstance(value, dict) and value:
            inner = col + self.step
            if prefix == "-" and self.choose(2):  # compact: - key: value
                body = self.mapping(value, col + 2)
                return [pad + "- " + body[0][col + 2 :], *body[1:]]
            return [pad + prefix, *self.mapping(value, inner)]
        if isinstance(value, list) and value:
            at = col if prefix != "-" and self.choose(2) else col + self.step
            if prefix == "-" and self.choose(2):  # compact: - - item
                body = self.sequence(value, col + 2)
                return [pad + "- " + body[0][col + 2 :], *body[1:]]
            return [pad + prefix, *self.sequence(value, at)]
        if isinstance(value, (dict, list)):
            return [pad + prefix + " " + ("{}" if isinstance(value, dict) else "[]")]
        first, *more = self.scalar(value, parent)
        return [(pad + prefix + " " + first).rstrip(), *more]

    def mapping(self, value: dict[str, Any], col: int) -> list[str]:
        lines = []
        for key, item in value.items():
            lines += self.node(item, col, self.key(key) + ":", col)
        return lines

    def sequence(self, value: list[Any], col: int) -> list[str]:
        lines = []
        for item in value:
            lines += self.node(item, col, "-", col)
        return lines


trees = st.dictionaries(
    WORDS,
    st.recursive(
        st.none() | st.booleans() | st.integers(-5, 5) | WORDS | st.lists(WORDS, max_size=3).map("\n".join),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WORDS, inner, max_size=3),
        max_leaves=12,
    ),
    min_size=1,
    max_size=4,
)


@st.composite
def rendered(draw: st.DrawFn) -> str:
    return "\n".join(Renderer(draw).mapping(draw(trees), 0)) + "\n"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rendered())
def test_block_yaml_laid_out_any_way_never_reads_differently(text: str) -> None:
    check_any(text.encode())


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(incidents, st.data())
def test_damaged_incident_files_never_read_differently(doc: dict[str, Any], data: st.DataObject) -> None:
    """What incli wrote, then damaged: a character inserted, deleted or replaced."""
    text = yamlio.dump(doc)
    at = data.draw(st.integers(0, len(text)))
    change = data.draw(st.sampled_from(["insert", "delete", "replace"]))
    piece = data.draw(st.sampled_from(YAMLISH) | st.text(max_size=3))
    if change == "insert":
        text = text[:at] + piece + text[at:]
    elif change == "delete":
        text = text[:at] + text[at + len(piece) :]
    else:
        text = text[:at] + piece + text[at + len(piece) :]
    check_any(text.encode("utf-8", "surrogatepass"))


@pytest.mark.parametrize(
    "text",
    [
        'key: "a"\n more\n',  # a line after a closed quote, indented: PyYAML refuses it
        "key: 'a'\n more\nb: 1\n",
        'key: "a"\n  more\n',
        'k: "a  \\\n  b"\n',  # an escaped line break keeps the spaces before it
        'k: "a \\\n\n  b  \\\n c"\n',
        'k: "x\\\n    y"\nn: 1\n',
        "- ? a\n  : b\n",
        "? - x\n  - y\n: z\n",
        'k: "\n',  # a lone quote opens a scalar that never closes
        "k: '\n",
        "k: 'a'b'\n",
        "k: ''\nn: 'x'''\n",
        "k: |+\n\n\nn: 1\n",  # a kept block of blank lines only
        "k: |+\n\n",
        "k: |\n  a\n  \n  b\n",  # a line of exactly the block's indent
        "k: |-\n  a\n   \n",
        "k: [a, b]\n",
        "k: []\nl: [ ]\n",
        "k: ... x\n",
        "- ... x\n",
        "k: --- x\n",
        "k: |+\r\n\r\n\r\nn: 1\r\n",  # the same with the line ends Windows editors write
        "k: |+\r\n\r\n",
        "k: |\r\n  a\r\n  \r\n  b\r\n",
        "k: '\r\n",
        "? a\r\n: b\r\n",
        "... x: 1\n",  # a document end marker, then text PyYAML refuses
        "...x: 1\n",
        "a:\n  ...x: 1\n",
        "k: ...\n",
        "k: |2+\n\n\nn: 1\n",  # a kept block of blank lines, its indentation given
        "k: |2+\n\u2028\nn: 1\n",  # the same, with the line separators a paste can bring
        "k: |2+\u2028\u2028n: 1\n",
        "k: |2-\n\u2028\nn: 1\n",
        "k: |\n  a\n  \nn: 1\n",  # a last line of exactly the block's indent is blank
        "k: |-\n  a\n  \n",
        "k: 'a\\ \n  b'\n",  # in single quotes a backslash is text, also before a line break
        "k: 'a \\\n  b'\n",
        'k: "a\\\\ \n  b"\n',  # an escaped backslash, then spaces the break folds away
        'k: "\\U0010FFFF"\n',  # the last code point, and the first past it
        'k: "\\U00110000"\n',
        'k: "\\uD800"\n',  # a surrogate
        "k: a\u2028  b\nn: 1\n",  # a plain text going on after a line separator: PyYAML's own reading
        "k: a\n  b\u2028  c\nn: 1\n",
        "k: a\n  b\n  c\u2028n: 1\n",
        "k:\n" + " " * 300 + "a: x\n" + " " * 300 + "b:\n" + " " * 300 + "- y\n" + " " * 301 + "z\n",  # deep margins
        "- " * 130 + "x\n" + " " * 260 + "y\n",
        "k: |\n  a\u2028  b\n\n\nn: 1\n",  # a literal block with line separators, then blank lines
        "k: |\n  a\n  b\u2028\u2028n: 1\n",
        "k: |\n  a\u2028  \u2028\nn: 1\n",
        "k: |-\n  a\u2028\n\nn: 1\n",
        "k: |+\n  a\u2028\n\nn: 1\n",
        'k: "\\uDFFF"\n',  # the last surrogate
        'k: "fix X  \n  b"\n',  # a quoted line ending in a letter, then spaces the break folds
        "k: 'BOX  \n  b'\n",
    ],
)
def test_hand_written_edges_read_as_pyyaml_reads_them(text: str) -> None:
    check_any(text.encode())
