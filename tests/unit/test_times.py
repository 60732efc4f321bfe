"""Reading the times people type (domain/times.py), with a fixed clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from incli.domain.times import describe_duration, parse_duration, parse_time, to_iso
from incli.errors import InvalidInput

UTC = UTC
# The command's clock: 2025-01-15 16:00 UTC (TZ=UTC from conftest).
NOW = datetime(2025, 1, 15, 16, 0, 0, tzinfo=UTC)


def iso(text: str, now: datetime = NOW) -> str:
    return to_iso(parse_time(text, now))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-15T14:30:00+00:00", "2025-01-15T14:30:00+00:00"),
        ("2025-01-15T14:30:00Z", "2025-01-15T14:30:00+00:00"),
        ("2025-01-15T14:30:00-05:00", "2025-01-15T14:30:00-05:00"),
        ("2025-01-15T14:30", "2025-01-15T14:30:00+00:00"),  # no offset: local (UTC here)
        ("2025-01-15 14:30", "2025-01-15T14:30:00+00:00"),
        ("2025-01-15 14:30 -05:00", "2025-01-15T14:30:00-05:00"),
        ("Jan 15 2025 2:30pm", "2025-01-15T14:30:00+00:00"),
    ],
)
def test_absolute_times_keep_or_get_an_offset(text: str, expected: str) -> None:
    assert iso(text) == expected


def test_offset_is_kept_but_order_is_by_instant() -> None:
    eastern = parse_time("2025-01-15T10:00:00-05:00", NOW)
    utc = parse_time("2025-01-15T15:00:00Z", NOW)
    assert eastern == utc
    assert eastern.utcoffset() == timedelta(hours=-5)


def test_clock_time_earlier_today_is_today() -> None:
    assert iso("14:30") == "2025-01-15T14:30:00+00:00"


def test_clock_time_still_to_come_is_yesterday() -> None:
    assert iso("17:45") == "2025-01-14T17:45:00+00:00"


def test_clock_time_with_seconds() -> None:
    assert iso("09:05:07") == "2025-01-15T09:05:07+00:00"


def test_yesterday_and_today() -> None:
    assert iso("yesterday 14:30") == "2025-01-14T14:30:00+00:00"
    assert iso("Yesterday 23:59") == "2025-01-14T23:59:00+00:00"
    assert iso("today 09:00") == "2025-01-15T09:00:00+00:00"


def test_relative_times() -> None:
    assert iso("10m ago") == "2025-01-15T15:50:00+00:00"
    assert iso("2h ago") == "2025-01-15T14:00:00+00:00"
    assert iso("1h30m ago") == "2025-01-15T14:30:00+00:00"
    assert iso("3 days ago") == "2025-01-12T16:00:00+00:00"


def test_now_is_the_clock() -> None:
    assert iso("now") == "2025-01-15T16:00:00+00:00"
    assert iso("  NOW ") == "2025-01-15T16:00:00+00:00"


def test_clock_time_uses_the_local_zone() -> None:
    # 16:00 UTC is 11:00 in New York; 10:30 there is earlier today.
    with _tz("America/New_York"):
        moment = parse_time("10:30", NOW)
    assert to_iso(moment) == "2025-01-15T10:30:00-05:00"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "soon",
        "yesterday",
        "yesterday lunch",
        "25:00",
        "14:61",
        "10 parsecs ago",
        "2025-13-45",
        "ago",
        "tomorrow-ish",
        "14:30 next week please",
    ],
)
def test_garbage_is_refused_with_advice(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_time(text, NOW)
    message = str(caught.value)
    assert message and "\n" not in message
    if text.strip():
        assert text.split()[0] in message  # names what was typed


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1h 30m", timedelta(hours=1, minutes=30)),
        ("4h", timedelta(hours=4)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        ("2 hours", timedelta(hours=2)),
        ("45", timedelta(minutes=45)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "soon", "15x", "m15", "1h-3m", "1.5h"])
def test_parse_duration_refuses_garbage(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(text)


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=30), "30 seconds"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=45), "45 minutes"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=1, minutes=6), "1 hour 6 minutes"),
        (timedelta(hours=2, minutes=1), "2 hours 1 minute"),
        (timedelta(days=2, hours=3, minutes=7), "2 days 3 hours 7 minutes"),
        (timedelta(days=1), "1 day"),
    ],
)
def test_describe_duration(delta: timedelta, expected: str) -> None:
    assert describe_duration(delta) == expected


class _tz:
    """Run a block in another local time zone."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> None:
        import os

        self.old = os.environ.get("TZ")
        os.environ["TZ"] = self.name
        time.tzset()

    def __exit__(self, *exc: object) -> None:
        import os

        if self.old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = self.old
        time.tzset()


def test_dst_summer_and_winter_offsets_in_berlin() -> None:
    now = datetime(2025, 12, 1, 12, 0, tzinfo=UTC)
    with _tz("Europe/Berlin"):
        summer = parse_time("2025-07-15T14:30", now)
        winter = parse_time("2025-01-15T14:30", now)
        summer_free = parse_time("2025-07-15 14:30", now)
    assert to_iso(summer) == "2025-07-15T14:30:00+02:00"
    assert to_iso(winter) == "2025-01-15T14:30:00+01:00"
    assert to_iso(summer_free) == "2025-07-15T14:30:00+02:00"


def test_dst_clock_time_gets_that_days_offset() -> None:
    # The clock changed on 2025-03-30 at 02:00 (CET -> CEST); "yesterday" across it.
    now = datetime(2025, 3, 30, 10, 0, tzinfo=UTC)  # 12:00 CEST
    with _tz("Europe/Berlin"):
        today = parse_time("11:00", now)
        yesterday = parse_time("yesterday 11:00", now)
    assert to_iso(today) == "2025-03-30T11:00:00+02:00"
    assert to_iso(yesterday) == "2025-03-29T11:00:00+01:00"


@pytest.mark.parametrize("text", ["10m", "2h", "90s", "1h30m"])
def test_duration_without_ago_is_refused_with_a_hint(text: str) -> None:
    # dateutil alone would read "10m" as 00:10 today.
    with pytest.raises(InvalidInput, match=f"did you mean '{text} ago'"):
        parse_time(text, NOW)


@pytest.mark.parametrize("text", ["5", "15", "1430", "2025"])
def test_bare_numbers_are_refused(text: str) -> None:
    # dateutil alone would read "1430" as the year 1430 and "15" as the 15th.
    with pytest.raises(InvalidInput):
        parse_time(text, NOW)


def test_unknown_zone_name_is_refused_not_dropped() -> None:
    with pytest.raises(InvalidInput, match="offset"):
        parse_time("2025-01-15 14:30 CET", NOW)
    assert iso("2025-01-15 14:30 UTC") == "2025-01-15T14:30:00+00:00"


@pytest.mark.parametrize("text", ["99999999999h ago", "999999999999999 ago", "99999999999w ago"])
def test_absurdly_long_ago_is_invalid_input_not_a_crash(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_time(text, NOW)


def test_free_forms() -> None:
    assert iso("2pm") == "2025-01-15T14:00:00+00:00"
    assert iso("2025-01-15 14:30 +0530") == "2025-01-15T14:30:00+05:30"
