"""domain/jsontext.py writes exactly what json.dumps(indent=2, ensure_ascii=False) writes: the
--json text of every incident the index keeps comes from it."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from incli.domain import jsontext

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=25,
)


def standard(value: Any, base: int) -> str:
    text = json.dumps(value, indent=2, ensure_ascii=False)
    pad = " " * base
    return pad + text.replace("\n", "\n" + pad)


@settings(max_examples=300)
@given(values, st.sampled_from([0, 2, 4]))
def test_the_same_text_as_the_standard_library(value: Any, base: int) -> None:
    assert jsontext.dumps(value, base) == standard(value, base)


def test_what_it_does_not_know_goes_to_the_standard_library() -> None:
    for value in ({1: "a", None: [1.5]}, {"a": {True: "x"}}, [{"k": {2.5: None}}]):
        assert jsontext.dumps(value, 2) == standard(value, 2)
    for value in ({"a": {1, 2}}, [object()]):
        try:
            jsontext.dumps(value)
        except TypeError:
            continue
        raise AssertionError(f"{value!r} is not JSON, yet it was written")


def test_control_characters_quotes_and_empty_containers() -> None:
    value = {"t": 'a "b" \\ \n\t\x00\x7f\u2028 é', "e": {}, "l": [], "n": [[], {}, [[]]], "f": [-0.0, 1e300]}
    assert jsontext.dumps(value) == json.dumps(value, indent=2, ensure_ascii=False)
