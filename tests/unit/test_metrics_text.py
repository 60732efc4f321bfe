"""The metric values inc watch reads (domain/rules.py), without the CLI (issue 19: the mutation run
found the Prometheus text grammar barely tested): labels with spaces, trailing commas and escapes,
special values, each refusal with its line, JSON objects, and a round trip of what a sample's
selector writes (hypothesis)."""

from __future__ import annotations

import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from incli.domain.rules import Sample, parse_metrics
from incli.errors import InvalidInput


def sample(line: str) -> Sample:
    [found] = parse_metrics(line)
    return found


@pytest.mark.parametrize(
    ("line", "labels"),
    [
        ("up 1", {}),
        ("up{} 1", {}),
        ("up{ \t} 1", {}),
        ('up{a="1"} 1', {"a": "1"}),
        ('up{ a="1" , b="two words" } 1', {"a": "1", "b": "two words"}),
        ('up{a="1",} 1', {"a": "1"}),
        ('up{a="1",\tb="2"\t} 1', {"a": "1", "b": "2"}),
        ('up{path="C:\\\\temp",q="say \\"hi\\"",nl="a\\nb"} 1', {"path": "C:\\temp", "q": 'say "hi"', "nl": "a\nb"}),
        ('up{a="tab\\there"} 1', {"a": "tab\\there"}),  # an unknown escape is kept as written
        ('up{a="x,y}z"} 1', {"a": "x,y}z"}),
        ('up{Xa="1"} 1', {"Xa": "1"}),
        ('up{_a="1",b_2="2"} 1', {"_a": "1", "b_2": "2"}),
        ('up{a="line\u2028sep\x85arated\x0cx"} 1', {"a": "line\u2028sep\x85arated\x0cx"}),  # was split there
    ],
)
def test_labels_as_prometheus_writes_them(line: str, labels: dict[str, str]) -> None:
    found = sample(line)
    assert (found.name, found.labels, found.value) == ("up", labels, 1.0)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("x 0.93", 0.93),
        ("x 1e3 1736951400000", 1000.0),
        ("x +Inf", math.inf),
        ("x -inf", -math.inf),
        ("x -0.5", -0.5),
        ("x{}12", 12.0),
        ('x{a="b"}12', 12.0),
    ],
)
def test_values_and_an_optional_timestamp(text: str, value: float) -> None:
    assert sample(text).value == value
    assert math.isnan(sample("x NaN").value) and math.isnan(sample("x nan").value)


def test_comments_and_blank_lines_are_skipped_and_names_may_hold_colons() -> None:
    text = "# HELP x something\n\n   \n# TYPE x gauge\n  job:rate_5m:sum 2\r\nup 1\r\n"
    assert [(s.name, s.value) for s in parse_metrics(text)] == [("job:rate_5m:sum", 2.0), ("up", 1.0)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("1x 2", "expected a metric name"),
        ("{a=1} 2", "expected a metric name"),
        ('x{1a="b"} 2', "expected a label name"),
        ('x{a="b",,c="d"} 2', "expected a label name"),
        ("x{a=b} 2", 'expected ="..." after label a'),
        ('x{ab ="b"} 2', 'expected ="..." after label ab'),
        ('x{a="b', "unterminated label value"),
        ('x{a="\\"', "unterminated label value"),  # the quote is escaped
        ("x{", "expected a label name"),
        ('x{a="1", ,} 1', "expected a label name"),
        ('x{a="b\\', "unterminated label value"),
        ('x{a="b" c="d"} 2', "expected , or } in the labels"),
        ('x{a="b"', "expected , or } in the labels"),
        ("x", "expected a value (and an optional timestamp) after the metric"),
        ('x{a="b"}', "expected a value (and an optional timestamp) after the metric"),
        ("x 1 2 3", "expected a value (and an optional timestamp) after the metric"),
        ("x high", "'high' is not a number"),
    ],
)
def test_a_line_that_cannot_be_read_is_named_with_its_number(line: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_metrics(f"# first\nok 1\n{line}", "node.prom")
    assert str(refused.value) == f"node.prom:3: {message}: {line}"


def test_a_long_line_is_cut_to_80_characters_in_the_refusal() -> None:
    line = "x " + "9" * 100 + " 1 2"
    with pytest.raises(InvalidInput) as refused:
        parse_metrics(line)
    assert str(refused.value).endswith(f": {line[:80]}") and line[:81] not in str(refused.value)


def test_json_metrics_name_the_source_in_every_refusal() -> None:
    assert [(s.name, s.labels, s.value) for s in parse_metrics(' \n{"a": 1, "b": "2.5", "c": "+Inf"}')] == [
        ("a", {}, 1.0),
        ("b", {}, 2.5),
        ("c", {}, math.inf),
    ]
    for text, message in (
        ('{"a": 1', "metrics.json: malformed JSON: Expecting ',' delimiter at line 1 column 8"),
        ('{"a": [1]}', "metrics.json: a: expected a number, found [1]"),
        ('{"a": null}', "metrics.json: a: expected a number, found null"),
        ('{"a": false}', "metrics.json: a: expected a number, found false"),
        ('{"a": "high"}', "metrics.json: a: expected a number, found 'high'"),
    ):
        with pytest.raises(InvalidInput) as refused:
            parse_metrics(text, "metrics.json")
        assert str(refused.value).endswith(message), text


LABEL_NAMES = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,8}", fullmatch=True)
LABEL_VALUES = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20)


@example("up", {"path": 'C:\\dir "x"\nnext\\n'}, 1.0)
@given(
    st.from_regex(r"[a-zA-Z_:][a-zA-Z0-9_:]{0,15}", fullmatch=True),
    st.dictionaries(LABEL_NAMES, LABEL_VALUES, max_size=4),
    st.floats(allow_nan=False),
)
def test_a_selector_reads_back_as_the_sample(name: str, labels: dict[str, str], value: float) -> None:
    """What inc watch shows of a sample (its selector) is valid Prometheus text for it."""
    written = Sample(name, labels, value)
    back = sample(f"{written.selector()} {value!r}")
    assert (back.name, back.labels, back.value) == (name, labels, value)
