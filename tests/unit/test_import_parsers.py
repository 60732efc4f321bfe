"""The importers' parsers: epoch times in every unit read exactly, and any JSON an export could
hold is either read or refused with InvalidInput (never another exception)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incli.domain.config import Config
from incli.domain.times import from_epoch
from incli.errors import InvalidInput
from incli.integrations.importers import cstate, opsgenie, pagerduty

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The years incli stores (domain/times.check_year).
moments = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 12, 31)).map(
    lambda d: d.replace(tzinfo=UTC)
)


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


@given(moments, st.integers(0, 999))
def test_nanoseconds_are_cut_to_the_microsecond(moment: datetime, rest: int) -> None:
    assert from_epoch(micros(moment) * 1000 + rest, "ns") == moment


@given(moments)
def test_every_unit_reads_the_same_moment(moment: datetime) -> None:
    us = micros(moment)
    assert from_epoch(us, "us") == moment
    assert from_epoch(us // 1000, "ms") == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert from_epoch(str(us // 1_000_000), "s") == moment.replace(microsecond=0)


def test_known_values() -> None:
    assert from_epoch(1709632800250, "ms") == datetime(2024, 3, 5, 10, 0, 0, 250000, tzinfo=UTC)
    assert from_epoch(1709633100750456789, "ns") == datetime(2024, 3, 5, 10, 5, 0, 750456, tzinfo=UTC)
    assert from_epoch(1709632800.5, "s") == datetime(2024, 3, 5, 10, 0, 0, 500000, tzinfo=UTC)


@pytest.mark.parametrize("value", [True, None, "soon", "1e400", -1, 10**30, float("nan"), [1]])
def test_what_is_no_epoch_time_is_refused(value: object) -> None:
    with pytest.raises(InvalidInput):
        from_epoch(value, "ms")  # type: ignore[arg-type]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=25,
)
keys = st.sampled_from(
    [
        "id",
        "alertId",
        "createdAt",
        "updatedAt",
        "message",
        "report",
        "logs",
        "status",
        "action",
        "alert",
        "data",
        "incidents",
        "log_entries",
        "event",
        "type",
        "created_at",
        "incident",
        "priority",
        "timeline",
        "impactStartDate",
        "acknowledgements",
        "event_type",
        "occurred_at",
    ]
)
shaped = st.recursive(
    json_values,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=6),
    max_leaves=30,
)


@settings(max_examples=60, deadline=None)
@given(shaped)
def test_any_json_is_read_or_refused_in_one_line(data: object) -> None:
    text = json.dumps(data)
    config = Config()
    for importer, setting in ((opsgenie, config), (pagerduty, config.pagerduty_import)):
        try:
            items = importer.objects(text)
        except InvalidInput:
            continue
        for item in items:
            importer.fields(item)
            with contextlib.suppress(InvalidInput):
                importer.record(item, setting)  # type: ignore[arg-type]


@settings(max_examples=50, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["title", "date", "resolved", "resolvedWhen", "severity", "affected", "section"]),
        json_values,
        max_size=7,
    ),
    st.text(max_size=200),
)
def test_any_front_matter_is_read_or_refused_in_one_line(meta: dict, body: str) -> None:
    try:
        items = cstate.objects([("x.md", meta, body)])
    except InvalidInput:
        return
    for item in items:
        with contextlib.suppress(InvalidInput):
            cstate.record(item, Config())
