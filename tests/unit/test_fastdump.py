"""The fast writer writes exactly what PyYAML writes, or leaves the document to PyYAML.

Whatever ``fastdump.dump`` returns must equal, byte for byte, what PyYAML writes with incli's
representers and options: through libyaml's emitter (what ``yamlio.dump`` uses) and through
PyYAML's pure-Python emitter (what it would use on a machine without libyaml). It must read
back as the same data, and it must not give up on the documents incli commonly writes.
"""

from __future__ import annotations

import random
import re
import string
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incli.storage import fastdump, yamlio

yamlio._pyyaml()


@pytest.fixture(autouse=True, scope="module")
def _empty_caches() -> None:
    """Start from empty caches, so that filling them (compiling the patterns, writing a key the
    first time) is tested here even when an earlier test in the same process filled them."""
    fastdump._YAML11_COMPILED.clear()
    fastdump._KEYS.clear()
    fastdump._not_plain = None


class PythonEmitterDumper(yaml.SafeDumper):  # type: ignore[misc]
    """incli's Dumper on PyYAML's pure-Python emitter instead of libyaml's."""


PythonEmitterDumper.add_representer(str, yamlio.Dumper.yaml_representers[str])
PythonEmitterDumper.add_representer(type(None), yamlio.Dumper.yaml_representers[type(None)])


def check(data: Any) -> str | None:
    """fastdump's text for ``data``, after checking it against both emitters and a read back."""
    fast = fastdump.dump(data)
    if fast is None:
        return None
    assert fast == yamlio.dump_with_pyyaml(data)
    assert fast == yaml.dump(data, Dumper=PythonEmitterDumper, **yamlio.DUMP_OPTIONS)
    assert yamlio.load(fast) == data
    return fast


def test_the_dumper_is_libyamls() -> None:
    # fastdump copies libyaml's choices; the C emitter is what yamlio.dump uses here
    assert yamlio.Dumper.__mro__[1] is yaml.CSafeDumper


def test_the_yaml11_table_is_pyyamls() -> None:
    ours: dict[Any, list[tuple[str, str, int]]] = {}
    for tag, pattern, flags, firsts in fastdump.YAML11_TYPES:
        for first in firsts:
            ours.setdefault(first, []).append((tag, pattern, re.compile(pattern, flags).flags))
    pyyamls = {
        first: [(tag, p.pattern, p.flags) for tag, p in pairs]
        for first, pairs in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
    }
    assert ours == pyyamls
    assert yamlio.Dumper.yaml_implicit_resolvers is yaml.resolver.Resolver.yaml_implicit_resolvers


def test_the_loader_table_is_the_loaders() -> None:
    found = {
        first: [(tag, p.pattern) for tag, p in pairs] for first, pairs in yamlio.Loader.yaml_implicit_resolvers.items()
    }
    wanted: dict[str, list[tuple[str, str]]] = {}
    for tag, pattern, firsts in yamlio.LOADER_TYPES:
        for first in firsts:
            wanted.setdefault(first, []).append((tag, pattern))
    assert found == wanted


# What libyaml writes as it is (IS_PRINTABLE with allow_unicode), less U+2028/U+2029.
WRITTEN_AS_IS = re.compile("[^\n -~\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]")


@settings(max_examples=500, deadline=None)
@given(st.text() | st.text(alphabet=st.characters(max_codepoint=0x3000)) | st.sampled_from(["\ufeff", "\uffff"]))
def test_the_characters_libyaml_escapes(text: str) -> None:
    assert fastdump._escaped(text) == (WRITTEN_AS_IS.search(text) is not None)


def test_the_characters_libyaml_escapes_one_by_one() -> None:
    for code in [*range(0x10100), 0x10FFFF]:
        char = chr(code)
        assert fastdump._escaped(char) == (WRITTEN_AS_IS.search(char) is not None), hex(code)
        # beside a no-break space (not printable to Python), each is looked at one by one
        assert fastdump._escaped("\xa0" + char) == (WRITTEN_AS_IS.search(char) is not None), hex(code)


# -- the shapes, one by one ---------------------------------------------------

INCIDENT: dict[str, Any] = {
    "schema": 1,
    "id": "INC-20241210-k3m9x",
    "title": "Checkout: 502s from the payment gateway",
    "severity": "SEV1",
    "status": "resolved",
    "service": "checkout",
    "summary": "Payments failed for 14 minutes.\n\nThe gateway's TLS certificate expired.\n",
    "commander": "ann",
    "roles": {"comms": "bob", "scribe": "carol"},
    "tags": ["generated", "payments"],
    "drill": False,
    "started_at": "2024-12-10T14:20:00+00:00",
    "detected_at": "2024-12-10T14:30:00+00:00",
    "opened_at": "2024-12-10T14:30:00+00:00",
    "acknowledged_at": "2024-12-10T14:32:00+00:00",
    "mitigated_at": None,
    "resolved_at": "2024-12-10T15:02:00-05:00",
    "timeline": [
        {"at": "2024-12-10T14:30:00+00:00", "kind": "opened", "by": "ann", "text": "Opened as SEV1: Checkout"},
        {"at": "2024-12-10T14:32:00+00:00", "kind": "note", "by": None, "text": "it's the cert, see #ops"},
        {"at": "2024-12-10T14:40:00+00:00", "kind": "note", "by": "bob", "text": "line one\n  indented\nlast"},
    ],
    "postmortem": {
        "status": "draft",
        "author": "ann",
        "sections": {"impact": "", "root-cause": " starts with a space\nand goes on", "timeline": None},
        "actions": [
            {"id": "ACT-1", "title": "Alert on expiry", "owner": "dave", "due": "2024-12-24", "done": False},
            {"id": "ACT-2", "title": "Runbook", "owner": None, "due": None, "done": True, "tags": []},
        ],
        "why": ["no alert", "no owner", "no calendar"],
    },
    "source": {"tool": "pagerduty", "id": "Q1W2E3", "raw": {"urgency": "high", "count": 3, "nested": {"a": {"b": 1}}}},
}


def test_a_whole_incident_is_written_fast() -> None:
    text = check(INCIDENT)
    assert text is not None
    assert "title: 'Checkout: 502s from the payment gateway'\n" in text
    assert "opened_at: '2024-12-10T14:30:00+00:00'\n" in text
    assert "mitigated_at:\n" in text
    assert "tags:\n- generated\n- payments\n" in text
    assert "timeline:\n- at: '2024-12-10T14:30:00+00:00'\n  kind: opened\n" in text
    assert "summary: |\n  Payments failed for 14 minutes.\n\n  The gateway's TLS certificate expired.\n" in text
    assert "    root-cause: |2-\n       starts with a space\n      and goes on\n" in text


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("plain text", "plain text"),
        ("", "''"),
        ("it's", "it's"),
        ("'quoted'", "'''quoted'''"),
        ("Opened as SEV1: x", "'Opened as SEV1: x'"),
        ("ends with:", "'ends with:'"),
        ("a:b", "a:b"),
        ("a #b", "'a #b'"),
        ("a#b", "a#b"),
        ("#b", "'#b'"),
        ("- item", "'- item'"),
        ("-x", "-x"),
        ("-", "'-'"),
        ("?", "'?'"),
        ("?x", "?x"),
        (":x", ":x"),
        ("---", "'---'"),
        ("...x", "'...x'"),
        (" lead", "' lead'"),
        ("trail ", "'trail '"),
        ("yes", "'yes'"),
        ("No", "'No'"),
        ("on", "'on'"),
        ("null", "'null'"),
        ("~", "'~'"),
        ("true", "'true'"),
        ("14:30", "'14:30'"),
        ("1e3", "'1e3'"),
        ("1_000", "'1_000'"),
        ("0x1F", "'0x1F'"),
        ("007", "'007'"),
        ("-5", "'-5'"),
        (".5", "'.5'"),
        ("2024-12-10", "'2024-12-10'"),
        ("2024-12-10T14:30:00+00:00", "'2024-12-10T14:30:00+00:00'"),
        ("<<", "'<<'"),
        ("=", "'='"),
        ("é ü 日本 —", "é ü 日本 —"),
        ("[x]", "'[x]'"),
        ("a, b", "a, b"),
        ("100%", "100%"),
        ("x" * 150, "x" * 150),
    ],
)
def test_one_line_texts(value: str, written: str) -> None:
    assert check({"k": value}) == f"k: {written}\n"
    assert check({"k": [value]}) == f"k:\n- {written}\n"


@pytest.mark.parametrize(
    ("value", "header"),
    [
        ("a\nb", "|-"),
        ("a\nb\n", "|"),
        ("a\nb\n\n", "|+"),
        ("\n", "|2+"),
        ("\nfoo", "|2-"),
        (" a\nb\n", "|2"),
        ("a\n\n\nb", "|-"),
        ("a\n  b\n", "|"),
        ("#x\n- y: z\n", "|"),
        ("X\nY\n", "|"),  # a letter first: no indentation hint
    ],
)
def test_literal_blocks(value: str, header: str) -> None:
    text = check({"k": value})
    assert text is not None
    assert text.startswith(f"k: {header}\n")
    assert check({"l": ["x"], "m": [{"n": "y", "o": value}]}) is not None
    # a block keeping its final line breaks ends the document differently in the two emitters
    # when something follows it: left to PyYAML then
    assert (check({"l": [value], "m": None}) is None) == header.endswith("+")


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"a": {}, "b": [], "c": [{}, []], "d": [[]]},
        {"a": None, "b": [None, None], "c": {"d": None}},
        {"a": True, "b": False, "c": 0, "d": -17, "e": 10**17},
        {"a": [[1, [2, [3]]], {"b": [{"c": {"d": [None]}}]}]},
        {"yes": 1, "1": 2, "a b": 3, "it's": 4, "x: y": 5, "日本": 6},
        {"a": "x", "b": {"c": ["y\n\n"]}},
    ],
)
def test_structures(data: dict[str, Any]) -> None:
    assert check(data) is not None


@pytest.mark.parametrize(
    "data",
    [
        [1, 2],
        "text",
        None,
        {"a": 1.5},
        {1: "int key"},
        {"": "empty key"},
        {"k" * 101: "long key"},
        {"multi\nline": 1},
        {"a": ("tuple",)},
        {"a": "tab\there"},
        {"a": "bell\x07"},
        {"a": "fire 🔥"},
        {"a": "bom \ufeff"},
        {"a": "next\x85line"},
        {"a": "line\u2028sep"},
        {"a": "cr\r\nlf"},
        {"a": "lone \ud800"},
        {"a": "trailing space \nnext"},
        {"a": "nbsp at the end\xa0\nnext"},
        {"a": "x\n\n", "b": "y\n"},
        {"a": "x\n\n", "b": "y\n\n"},
        {"a": "x\n\n", "b": "tail"},
        {"a": ["x\n\n", None]},
        {"a": 10**18},
    ],
)
def test_left_to_pyyaml(data: Any) -> None:
    assert fastdump.dump(data) is None


def test_a_list_or_mapping_met_twice_is_left_to_pyyaml() -> None:
    shared: list[str] = ["a"]
    assert fastdump.dump({"a": shared, "b": shared}) is None
    empty: dict[str, Any] = {}
    assert fastdump.dump({"a": empty, "b": [empty]}) is None
    assert "&id001" in yamlio.dump({"a": shared, "b": shared})  # why: PyYAML writes an anchor


def test_deep_nesting_is_written_or_left_whole() -> None:
    data: dict[str, Any] = {"leaf": "x"}
    for _ in range(60):
        data = {"k": data, "l": ["y", {"z": None}, []]}
    assert check(data) is not None
    for _ in range(60):
        data = {"k": data}
    assert fastdump.dump(data) is None  # past MAX_DEPTH: PyYAML's


def test_long_lines_are_folded_as_libyaml_folds_them() -> None:
    text = check({"timeline": [{"text": "word " * 30 + "it's: " + "x" * 120 + " end"}]})
    assert text is not None
    lines = text.splitlines()
    assert lines[1].startswith("- text: 'word word") and len(lines[1]) == 103  # at the first space past 100
    # the next lines two spaces deeper than the key; a word is never split
    assert lines[2] == "    " + "word " * 11 + "it''s: " + "x" * 120
    assert lines[3] == "    end'"
    for column in range(90, 103):
        key = "k" * (column - 2)
        for value in ("a b", "ab", "a b c d e f", "'a b'", "x" * 20 + " y", "a  b", " a b", "a b ", "a  "):
            assert check({key: value}) is not None
            assert check({"l": [{key: value}], "m": [value * 20]}) is not None


# -- random documents ---------------------------------------------------------

PIECES = [
    *" :#-?'\",[]{}&*!|>%@`.~=\\/",
    *(": ", " #", "- ", "  ", "...", "---", "<<", "''"),
    *("é", "—", "日本", "\xa0", "\u3000", "Ωmega"),
    *("yes", "no", "on", "off", "null", "true", "False", "1e3", "14:30", "0x1F", "007", "1_000"),
    *("-1", "+1", ".5", ".inf", ".nan", "2024-12-10", "2024-12-10T14:30:00+00:00", "2024-12-10 14:30:00"),
]
UNSAFE = ["\u2028", "\x85", "\ufeff", "🔥", "\t", "\r", "\x00", "\x1b", "\x7f", "\ud800"]
WORDS = ["checkout", "db", "502s", "is", "down", "again", "see", "ticket", "ok", "x", "SEV1", "Opened as SEV1"]

safe_line = st.lists(st.sampled_from(PIECES) | st.sampled_from(WORDS), max_size=10).map("".join)
odd_line = st.lists(st.sampled_from(PIECES) | st.sampled_from(UNSAFE) | st.text(max_size=3), max_size=8).map("".join)
one_line = st.one_of(safe_line, safe_line, safe_line, odd_line)
# a long line from few draws (hypothesis spends its time drawing): a few words, again and again
long_line = st.builds(
    lambda words, times: " ".join(words * times),
    st.lists(st.sampled_from(WORDS) | st.sampled_from(PIECES), min_size=2, max_size=6),
    st.integers(min_value=2, max_value=12),
)
multi_line = st.builds(
    lambda lead, lines, tail: lead + "\n".join(lines) + tail,
    st.sampled_from(["", "", "", " ", "\n", "  "]),
    st.lists(one_line | st.sampled_from(["", "  indented", "- item", "# heading"]), min_size=1, max_size=6),
    st.sampled_from(["", "\n", "\n", "\n\n", " ", "\n\n\n"]),
)
texts = st.one_of(one_line, one_line, long_line, multi_line)
keys = (
    st.sampled_from(["at", "kind", "by", "text", "id", "title", "roles", "on", "1", "a b", "x: y", "<<", "-", "é"])
    | one_line
)
scalars = st.one_of(
    texts,
    texts,
    texts,
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.sampled_from([10**17, -(10**17), 10**18, 10**30, 1.5, 0.0]),  # floats and big numbers: PyYAML's
)
documents = st.dictionaries(
    keys,
    st.recursive(
        scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3), max_leaves=8
    ),
    max_size=6,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_random_documents_match_pyyaml(data: dict[Any, Any]) -> None:
    check(data)


@settings(max_examples=300, deadline=None)
@given(texts)
def test_random_texts_match_pyyaml(text: str) -> None:
    check({"text": text, "timeline": [{"at": "2024-12-10T14:30:00+00:00", "text": text}], "deep": {"a": [text]}})
    if text:
        check({text: "value"})


# Documents of the shapes fastdump takes: it must write every one of them.
safe_multi_line = st.builds(
    lambda lead, lines, tail: "\n".join(line.rstrip() for line in (lead + "\n".join(lines) + tail).split("\n")),
    st.sampled_from(["", " ", "\n"]),
    st.lists(safe_line, min_size=1, max_size=4),
    st.sampled_from(["", "\n"]),
).filter(lambda text: "\n" in text and text != "\n" and not text.endswith("\n\n"))  # |+: only when last
safe_texts = st.one_of(safe_line, safe_line, long_line, safe_multi_line)
safe_keys = st.sampled_from(["at", "kind", "by", "text", "id", "on", "1", "a b", "x: y", "<<", "-", "é", "it's"])
safe_documents = st.dictionaries(
    safe_keys,
    st.recursive(
        st.one_of(safe_texts, st.none(), st.booleans(), st.integers(min_value=-(10**6), max_value=10**6)),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(safe_keys, inner, max_size=3),
        max_leaves=8,
    ),
    max_size=6,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(safe_documents)
def test_documents_of_the_common_shapes_are_written_fast(data: dict[str, Any]) -> None:
    assert check(data) is not None, data


@settings(max_examples=200, deadline=None)
@given(st.one_of(long_line, safe_line), st.integers(min_value=1, max_value=fastdump.WIDTH), st.booleans())
def test_long_texts_at_any_column_fold_as_pyyaml(text: str, column: int, deep: bool) -> None:
    key = "k" * column
    assert check({"timeline": [{key: text}]} if deep else {key: text}) is not None


# -- the documents incli writes: the fast path must take them ---------------

NAMES = ["ann", "bob", "carol", "dave", "erin", "frank"]
NOTE_WORDS = [
    *WORDS,
    "rolled",
    "back",
    "v2.3.1",
    "p99",
    "latency",
    "restarted",
    "pods",
    "(again)",
    "it's",
    "ETA:",
    "10m",
    "#incident-123",
    "user@example.com",
    "https://status.example.com/x?y=1",
    "50%",
    "über",
    "naïve",
    "—",
    "東京",
]


def _note(rng: random.Random) -> str:
    text = " ".join(rng.choices(NOTE_WORDS, k=rng.choice([1, 2, 3, 5, 8, 12, 20, 40])))
    if rng.random() < 0.1:
        text = text.replace(" ", ": ", 1)
    if rng.random() < 0.01:
        text += " 🔥"  # libyaml escapes it: PyYAML's
    return text


def _when(rng: random.Random) -> str:
    offset = rng.choice(["+00:00", "-05:00", "+05:30"])
    day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00{offset}"


def typical_incident(rng: random.Random) -> dict[str, Any]:
    """An incident in the shape incli writes, with text people type."""
    data = dict(INCIDENT)
    data["id"] = "INC-" + "".join(rng.choices(string.ascii_lowercase + string.digits, k=5))
    data["title"] = _note(rng)
    data["severity"] = rng.choice(["SEV1", "SEV2", "SEV3", None])
    data["summary"] = rng.choice([None, _note(rng), _note(rng) + "\n" + _note(rng) + "\n"])
    data["tags"] = rng.sample(["db", "payments", "generated", "on-call", "2024"], k=rng.randint(0, 3))
    data["roles"] = {role: rng.choice(NAMES) for role in rng.sample(["comms", "scribe", "ops"], k=rng.randint(0, 3))}
    data["timeline"] = [
        {
            "at": _when(rng),
            "kind": rng.choice(["note", "ack", "status"]),
            "by": rng.choice([*NAMES, None]),
            "text": _note(rng),
        }
        for _ in range(rng.randint(0, 20))
    ]
    if rng.random() < 0.5:
        data.pop("postmortem")
    if rng.random() < 0.5:
        data.pop("source")
    return data


def test_typical_incidents_take_the_fast_path() -> None:
    rng = random.Random(14)
    written = 0
    total = 300
    for _ in range(total):
        if check(typical_incident(rng)) is not None:
            written += 1
    assert written >= 0.85 * total, written


def test_the_depth_limit_counts_every_container_alike_empty_or_not() -> None:
    """The fast writer takes nesting up to MAX_DEPTH containers itself (deeper goes to PyYAML),
    whatever the deepest value is: an empty mapping or list counts as one level, like a full one."""
    from incli.storage import fastdump

    def nest(levels: int, leaf: object) -> object:
        for _ in range(levels):
            leaf = {"k": leaf}
        return leaf

    deepest: dict[str, int] = {}
    for leaf in ({}, [], [1], {"a": 1}, "x"):
        levels = max(n for n in range(fastdump.MAX_DEPTH - 5, fastdump.MAX_DEPTH + 5) if fastdump.dump(nest(n, leaf)))
        deepest[repr(leaf)] = levels + (0 if isinstance(leaf, str) else 1)
    assert set(deepest.values()) == {fastdump.MAX_DEPTH + 1}, deepest
