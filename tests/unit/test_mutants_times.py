"""Bugs in domain/times.py that the mutation run (issue 19) showed no test would catch.

Each test is the report a user would have filed: a wall time given a zone other than TZ
(the config's ``timezone``, which importers use), the advice for a fall-back hour next to
UTC, sub-seconds typed on a clock time, clock times out of range, words without digits, and
the parts of a free-form time that were not typed (they are midnight, not the clock's now).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from incli.domain.times import (
    check_not_future,
    clock_or_date,
    format_duration_spec,
    localize,
    parse_duration,
    parse_stored,
    parse_time,
    to_iso,
    zone_named,
)
from incli.errors import InvalidInput

NEW_YORK = ZoneInfo("America/New_York")
# The command's clock, with seconds and microseconds that must never leak into a typed time.
NOW = datetime(2025, 1, 20, 9, 41, 27, 123456, tzinfo=UTC)


@pytest.fixture
def new_york_tz(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


# A zone given explicitly (TZ is UTC here): the zone's offset on that date, not TZ's.


@pytest.mark.parametrize(
    ("naive", "expected"),
    [
        (datetime(2025, 1, 15, 14, 32), "2025-01-15T14:32:00-05:00"),
        (datetime(2025, 7, 15, 14, 32), "2025-07-15T14:32:00-04:00"),
    ],
)
def test_wall_time_gets_the_given_zones_offset_not_tzs(naive: datetime, expected: str) -> None:
    moment = localize(naive, NEW_YORK)
    assert to_iso(moment) == expected
    assert moment.tzinfo is NEW_YORK


def test_gap_in_the_given_zone_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput, match=r"^2025-03-09 02:30:15 does not exist in America/New_York \(the clocks"):
        localize(datetime(2025, 3, 9, 2, 30, 15), NEW_YORK)


def test_fold_in_the_given_zone_offers_both_western_offsets() -> None:
    with pytest.raises(InvalidInput) as refused:
        localize(datetime(2025, 11, 2, 1, 30), NEW_YORK)
    assert str(refused.value) == (
        "2025-11-02 01:30 happened twice in America/New_York (the clocks went back); "
        "give an offset: 2025-11-02 01:30 -04:00 or -05:00"
    )


def test_fold_next_to_utc_offers_plus_zero() -> None:
    with pytest.raises(InvalidInput, match=r"give an offset: 2025-10-26 01:30 \+00:00 or \+01:00$"):
        localize(datetime(2025, 10, 26, 1, 30), ZoneInfo("Europe/London"))


def test_gap_in_the_local_zone_names_the_local_zone(new_york_tz: None) -> None:
    with pytest.raises(InvalidInput, match=r"^2025-03-09 02:30 does not exist in the local time zone "):
        localize(datetime(2025, 3, 9, 2, 30))
    assert to_iso(localize(datetime(2025, 7, 15, 14, 32))) == "2025-07-15T14:32:00-04:00"


def test_year_out_of_range_names_the_time() -> None:
    with pytest.raises(InvalidInput, match=r"^'1969-12-31 23:00:00' is in the year 1969"):
        localize(datetime(1969, 12, 31, 23, 0))


# Clock times ("14:32"), read on today's date (yesterday's when that is still to come).


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:15:05.25", "2025-01-20T08:15:05.250000+00:00"),
        ("08:15:05.000001", "2025-01-20T08:15:05.000001+00:00"),
        ("08:15:59", "2025-01-20T08:15:59+00:00"),
        ("23:59:59.5", "2025-01-19T23:59:59.500000+00:00"),
        ("yesterday 08:15:05.75", "2025-01-19T08:15:05.750000+00:00"),
    ],
)
def test_clock_time_keeps_its_seconds_and_fraction(text: str, expected: str) -> None:
    assert to_iso(parse_time(text, NOW)) == expected


@pytest.mark.parametrize("text", ["24:00", "08:60", "08:15:60", "today 24:00"])
def test_clock_time_out_of_range_is_refused_in_one_line(text: str) -> None:
    clock = text.split()[-1]
    with pytest.raises(InvalidInput, match=rf"^'{clock}' is not a time of day$"):
        parse_time(text, NOW)


# Free forms: what is refused before dateutil guesses, and what it fills in.


@pytest.mark.parametrize("text", ["monday", "noon", "1430", "15"])
def test_words_without_digits_and_bare_numbers_are_not_times(text: str) -> None:
    with pytest.raises(InvalidInput, match=rf"^cannot read '{text}' as a time"):
        parse_time(text, NOW)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jan 15 2025 2:30pm", "2025-01-15T14:30:00+00:00"),
        ("Jan 15 2025", "2025-01-15T00:00:00+00:00"),
        ("15 Jan 2025 2pm", "2025-01-15T14:00:00+00:00"),
    ],
)
def test_untyped_parts_of_a_free_form_time_are_zero(text: str, expected: str) -> None:
    assert to_iso(parse_time(text, NOW)) == expected


def test_free_form_time_gets_the_offset_of_its_own_date(new_york_tz: None) -> None:
    # The clock is in January (-05:00); a July time is daylight saving time (-04:00).
    assert to_iso(parse_time("Jul 15 2025 2:30pm", NOW)) == "2025-07-15T14:30:00-04:00"


def test_due_time_is_today_or_dated_in_the_display_zone() -> None:
    # 15:00 and 21:00 in New York on 2025-01-15; in UTC they fall on two dates.
    moment, now = datetime(2025, 1, 15, 20, 0, tzinfo=UTC), datetime(2025, 1, 16, 2, 0, tzinfo=UTC)
    assert clock_or_date(moment, now, NEW_YORK) == "15:00"
    assert clock_or_date(moment, now) == "2025-01-15 20:00"
    assert clock_or_date(moment, now + timedelta(hours=4), NEW_YORK) == "2025-01-15 15:00"


# The config's timezone, durations written back to the config, stored times, future times.


@pytest.mark.parametrize("name", [None, "", "   "])
def test_no_timezone_named_is_the_local_one(name: str | None) -> None:
    assert zone_named(name) is None


def test_timezone_named_is_read_trimmed_or_refused_in_one_line() -> None:
    assert zone_named(" Europe/Berlin ") == ZoneInfo("Europe/Berlin")
    for bad in ("Mars/Olympus", "../etc/passwd"):
        with pytest.raises(InvalidInput) as refused:
            zone_named(bad)
        assert str(refused.value) == (
            f"incli.yaml: unknown timezone {bad!r}; use an IANA name such as Europe/Berlin or UTC"
        )


@pytest.mark.parametrize(
    ("delta", "spec"),
    [
        (timedelta(weeks=2), "2w"),
        (timedelta(days=3), "3d"),
        (timedelta(hours=25), "25h"),
        (timedelta(minutes=90), "90m"),
        (timedelta(seconds=90), "90s"),
        (timedelta(0), "0s"),
    ],
)
def test_duration_written_to_config_is_its_largest_whole_unit(delta: timedelta, spec: str) -> None:
    assert format_duration_spec(delta) == spec
    assert parse_duration(spec) == delta


def test_stored_time_needs_an_offset() -> None:
    assert parse_stored(" 2025-01-15T14:30:00Z ") == datetime(2025, 1, 15, 14, 30, tzinfo=UTC)
    aware = datetime(2025, 1, 15, 14, 30, tzinfo=UTC)
    assert parse_stored(aware) is aware
    with pytest.raises(ValueError, match=r"has no offset; write it like 2025-01-15T14:30:00\+00:00$"):
        parse_stored(datetime(2025, 1, 15, 14, 30))
    with pytest.raises(ValueError, match=r"has no offset"):
        parse_stored("2025-01-15T14:30:00")
    with pytest.raises(ValueError, match=r"^'yesterday' is not an ISO 8601 time$"):
        parse_stored("yesterday")
    with pytest.raises(ValueError, match=r"^1430 is not a time$"):
        parse_stored(1430)


def test_a_second_of_clock_skew_is_not_the_future() -> None:
    check_not_future(NOW + timedelta(seconds=1), NOW)
    with pytest.raises(InvalidInput) as refused:
        check_not_future(NOW + timedelta(seconds=1, microseconds=1), NOW, "ack time")
    assert str(refused.value) == (
        "ack time 2025-01-20T09:41:28.123457+00:00 is in the future (now is 2025-01-20T09:41:27.123456+00:00)"
    )


def test_a_time_whose_utc_instant_leaves_the_range_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"is in the year 2101"):
        parse_time("2100-12-31T23:00-05:00", NOW)
    assert to_iso(parse_time("2100-12-31T18:59-05:00", NOW)) == "2100-12-31T18:59:00-05:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", "2025-01-20T09:41:27.123456+00:00"),
        (" 10m ago", "2025-01-20T09:31:27.123456+00:00"),
        ("1h 30m ago", "2025-01-20T08:11:27.123456+00:00"),
        ("1 day ago", "2025-01-19T09:41:27.123456+00:00"),
        ("today 09:41", "2025-01-20T09:41:00+00:00"),
        ("Yesterday 23:00", "2025-01-19T23:00:00+00:00"),
        ("09:42", "2025-01-19T09:42:00+00:00"),  # still to come today: yesterday's
        ("2025-01-15T14:30:00z", "2025-01-15T14:30:00+00:00"),
    ],
)
def test_relative_times_count_from_the_commands_clock(text: str, expected: str) -> None:
    assert to_iso(parse_time(text, NOW)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("  ", "an empty time; use ISO 8601"),
        ("today 9am", "cannot read 'today 9am' as a time; use ISO 8601"),
        ("-5m", "'-5m' is not a time; for a time before now write '5m ago'; use ISO 8601"),
        ("+ 5m", "'+ 5m' is not a time; for a time before now write '5m ago'; use ISO 8601"),
        ("10m", "'10m' is a duration, not a time; did you mean '10m ago'?"),
        ("2025-01-15 14:30 CET", "cannot read the time zone in '2025-01-15 14:30 CET'; give an offset instead"),
        ("999999 weeks ago", "'999999 weeks ago' is too long ago"),
        ("99999999999 weeks ago", "the duration '99999999999 weeks' is too long"),
        ("3000 weeks ago", "'3000 weeks ago' is in the year 1967"),
    ],
)
def test_unreadable_times_are_refused_with_advice(text: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_time(text, NOW)
    assert str(refused.value).startswith(message), str(refused.value)


# -- parse_future: when a freeze ends (inc freeze --until) -------------------------------------

FROZEN = datetime(2026, 6, 1, 12, 0, 0, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2h", datetime(2026, 6, 1, 14, 0, 0, 500000, tzinfo=UTC)),
        ("in 2h", datetime(2026, 6, 1, 14, 0, 0, 500000, tzinfo=UTC)),
        ("IN 1d", datetime(2026, 6, 2, 12, 0, 0, 500000, tzinfo=UTC)),
        ("18:00", datetime(2026, 6, 1, 18, 0, tzinfo=UTC)),  # still to come today
        ("09:00", datetime(2026, 6, 2, 9, 0, tzinfo=UTC)),  # gone today: tomorrow's
        ("12:00", datetime(2026, 6, 2, 12, 0, tzinfo=UTC)),  # half a second ago: tomorrow's
        ("2026-06-03T10:00:00+02:00", datetime(2026, 6, 3, 8, 0, tzinfo=UTC)),
        ("2026-06-01T12:00:00.500001+00:00", datetime(2026, 6, 1, 12, 0, 0, 500001, tzinfo=UTC)),
    ],
)
def test_a_future_time_as_typed(typed: str, expected: datetime) -> None:
    from incli.domain.times import parse_future

    assert parse_future(typed, FROZEN) == expected


@pytest.mark.parametrize("typed", ["2026-06-01T12:00:00.500000+00:00", "2020-01-01", "10m ago"])
def test_a_time_not_in_the_future_is_refused(typed: str) -> None:
    from incli.domain.times import parse_future

    with pytest.raises(
        InvalidInput, match=rf"^'{re.escape(typed)}' is not in the future; give a later time, such as 18:00 or 4h$"
    ):
        parse_future(typed, FROZEN)


# -- parse_span_end: an override's or a maintenance window's --to ---------------------------------


@pytest.mark.parametrize(
    ("typed", "start", "expected"),
    [
        ("11:00", datetime(2026, 6, 1, 10, 0, tzinfo=UTC), datetime(2026, 6, 1, 11, 0, tzinfo=UTC)),
        ("02:00", datetime(2026, 6, 1, 22, 0, tzinfo=UTC), datetime(2026, 6, 2, 2, 0, tzinfo=UTC)),  # overnight
        ("10:00", datetime(2026, 6, 1, 10, 0, tzinfo=UTC), datetime(2026, 6, 2, 10, 0, tzinfo=UTC)),  # a whole day
        ("13:00", datetime(2026, 5, 20, 9, 0, tzinfo=UTC), datetime(2026, 5, 20, 13, 0, tzinfo=UTC)),  # not now's day
        ("2026-06-01T09:00Z", datetime(2026, 6, 1, 10, 0, tzinfo=UTC), datetime(2026, 6, 1, 9, 0, tzinfo=UTC)),
        ("1h ago", datetime(2026, 6, 1, 10, 0, tzinfo=UTC), datetime(2026, 6, 1, 11, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_the_end_of_a_span_as_typed(typed: str, start: datetime, expected: datetime) -> None:
    from incli.domain.times import parse_span_end

    assert parse_span_end(typed, start, FROZEN) == expected


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("90m", datetime(2026, 6, 1, 13, 30, 0, 500000, tzinfo=UTC)),
        ("1h30m", datetime(2026, 6, 1, 13, 30, 0, 500000, tzinfo=UTC)),
        ("in 5 days", datetime(2026, 6, 6, 12, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_a_freeze_end_of_several_digits_or_units(typed: str, expected: datetime) -> None:
    from incli.domain.times import parse_future

    assert parse_future(typed, FROZEN) == expected


def test_a_bare_number_is_not_a_freeze_end() -> None:
    """'5' is neither a duration (no unit) nor a clock time: refused, not read as five minutes."""
    from incli.domain.times import parse_future

    with pytest.raises(InvalidInput, match=r"^cannot read '5' as a time"):
        parse_future("5", FROZEN)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "1969-12-31T23:59Z",
            "'1969-12-31T23:59Z' is in the year 1969, far in the past; give a time from 1970 to 2100",
        ),
        (
            "2101-01-01T00:00Z",
            "'2101-01-01T00:00Z' is in the year 2101, far in the future; give a time from 1970 to 2100",
        ),
        # in UTC the year before 1970, whatever the offset says
        (
            "1970-01-01T00:30+01:00",
            "'1970-01-01T00:30+01:00' is in the year 1969, far in the past; give a time from 1970 to 2100",
        ),
        (
            "2025-01-15 14:30 GMT-3",
            "'2025-01-15 14:30 GMT-3': 'UTC+5' style offsets are read backwards by POSIX; give "
            "the offset itself, e.g. 2025-01-15 14:30 +05:00",
        ),
        (
            "+5m",
            "'+5m' is not a time; for a time before now write '5m ago'; use ISO 8601 (2025-01-15T14:30, with or "
            "without an offset), HH:MM, 'yesterday 14:30' or '10m ago'",
        ),
        ("1\uff12:00", "'1\uff12:00' has digits other than 0-9; type the time with 0-9"),
        (
            "2025-01-15T14:30+25:00",
            "'2025-01-15T14:30+25:00' has an offset no time zone uses; give one from -12:00 to +14:00 in whole minutes",
        ),
    ],
)
def test_a_typed_time_out_of_range_is_refused_in_words(typed: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_time(typed, FROZEN)
    assert str(refused.value) == message


def test_the_edges_of_the_years_incli_stores() -> None:
    assert parse_time("1970-01-01T00:00Z", FROZEN) == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_time("2100-12-31T23:59Z", FROZEN) == datetime(2100, 12, 31, 23, 59, tzinfo=UTC)


def test_a_clock_time_of_this_very_minute_is_now_not_yesterday() -> None:
    """'12:00' typed at 12:00:00.5 is half a second ago (today), not tomorrow's or yesterday's."""
    assert parse_time("12:00", FROZEN) == datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    exact = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert parse_time("12:00", exact) == exact


def test_tomorrow_and_a_weekday_are_ahead() -> None:
    from incli.domain.times import parse_span_end

    assert parse_time("tomorrow 09:00", FROZEN) == datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
    assert parse_time("TOMORROW 23:59", FROZEN) == datetime(2026, 6, 2, 23, 59, tzinfo=UTC)
    friday = parse_time("fri 18:00", FROZEN)  # 2026-06-01 is a Monday
    assert friday == datetime(2026, 6, 5, 18, 0, tzinfo=UTC)
    # a weekend: Monday read from now would be before Friday; from the start it is the next one
    assert parse_span_end("mon 09:00", friday, FROZEN) == datetime(2026, 6, 8, 9, 0, tzinfo=UTC)
    assert parse_span_end("Thursday 09:00", friday, FROZEN) == datetime(2026, 6, 11, 9, 0, tzinfo=UTC)
    # an end already after the start is kept as read
    assert parse_span_end("sat 10:00", friday, FROZEN) == datetime(2026, 6, 6, 10, 0, tzinfo=UTC)
