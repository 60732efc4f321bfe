"""Reading the times people type, and writing the ones we store.

Stored times are ISO 8601 with an offset (``2025-01-15T14:30:00+00:00``); every
comparison happens on aware datetimes, so the offset never matters for order.
Typed times without an offset are read in the local time zone (``TZ``), with the
offset that zone had on that date (daylight saving included).

This is the only module that imports dateutil, and only for the free-form
fallback, so the common forms cost nothing at start-up.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

from incli.errors import InvalidInput

_CLOCK = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.(?P<frac>\d{1,6}))?)?$", re.ASCII)
_DAYWORD = re.compile(r"^(?P<day>today|yesterday|tomorrow)\s+(?P<clock>\S+)$", re.IGNORECASE)
_DAY_OFFSET = {"yesterday": 1, "today": 0, "tomorrow": -1}  # days before now's date
_AGO = re.compile(r"^(?P<amount>(?:\d+\s*[a-z]+\s*)+)\s+ago$", re.IGNORECASE)
_DURATION_PART = re.compile(r"(\d+)\s*([a-z]+)", re.IGNORECASE | re.ASCII)
# "UTC+5", "GMT-3": POSIX reads the sign the other way round (UTC+5 is five hours
# *west*), so dateutil stores what a person means as +05:00 as -05:00.
_WEEKDAY_TIME = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+\S+$", re.IGNORECASE | re.ASCII)
_POSIX_OFFSET = re.compile(r"(?:UTC|GMT|UT)\s*[+-]\s*\d", re.IGNORECASE | re.ASCII)
_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "wk": 604800,
    "week": 604800,
    "weeks": 604800,
}

# The times a person means: anything outside is a typo (0001, 1025, 20255) and
# would poison an incident (a year-1 time cannot be shown east of UTC).
EARLIEST_YEAR = 1970
LATEST_YEAR = 2100
# The offsets real zones use: UTC-12:00 to UTC+14:00, in whole minutes.
_MOST_WEST = timedelta(hours=-12)
_MOST_EAST = timedelta(hours=14)

# What --at (and every option that takes a time) accepts, for `inc help times` and README's
# table; every example here is parsed by parse_time in the tests.
FORMS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("2025-01-15T14:30:00+01:00", "2025-01-15 14:30Z"), "exactly that (ISO 8601)"),
    (("2025-01-15 14:30",), "that local time (your `TZ`), with the offset it had on that date"),
    (("14:30",), "today at 14:30 local time, or yesterday if 14:30 is still to come"),
    (("yesterday 14:30", "today 09:05"), "as it says"),
    (("tomorrow 09:00", "fri 18:00"), "ahead, for what is planned (an override, maintenance); a milestone cannot be"),
    (("10m ago", "2h ago", "1h30m ago", "3d ago"), "relative to now"),
    (("now",), "now"),
)
FORMS_NOTE = (
    "Times are stored as ISO 8601 with an offset, shown in your local time zone, and computed in UTC. "
    "A local time the clocks skipped or had twice (a daylight saving change) is refused: give the offset. "
    f"Years {EARLIEST_YEAR} to {LATEST_YEAR}. The end of a span (--to) typed as HH:MM, or as a weekday and "
    "a time, is the first such time after its start (--from 22:00 --to 06:00 is a night)."
)

HELP = "use ISO 8601 (2025-01-15T14:30, with or without an offset), HH:MM, 'yesterday 14:30' or '10m ago'"


def now_utc() -> datetime:
    return datetime.now(UTC)


def _in_zone(naive: datetime, zone: tzinfo | None, fold: int) -> datetime:
    moment = naive.replace(fold=fold)
    return moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()


def _wall(moment: datetime, zone: tzinfo | None) -> datetime:
    # Through UTC: astimezone(zone) on a time already in zone returns it unchanged, so a
    # skipped wall time would read back as itself (and be called a fold, not a gap). Any stop-over
    # other than zone itself would do (the local one too), hence no mutation; zone None is local.
    local = moment.astimezone(UTC).astimezone(zone)  # pragma: no mutate
    return local.replace(tzinfo=None)  # naive times compare equal whatever their fold


def localize(naive: datetime, zone: tzinfo | None = None) -> datetime:
    """Give a naive datetime the offset ``zone`` (None: the local zone, ``TZ``) had on its
    own date; refuse a wall time the zone skipped (spring forward) or had twice (fall back)."""
    check_year(naive, str(naive))
    first, second = _in_zone(naive, zone, 0), _in_zone(naive, zone, 1)
    if first.utcoffset() == second.utcoffset():
        return first
    shown = naive.strftime("%Y-%m-%d %H:%M") + (f":{naive.second:02d}" if naive.second else "")
    name = getattr(zone, "key", None) or "the local time zone"
    # A skipped wall time reads back as another one under either fold; a doubled one as itself.
    if _wall(first, zone) != naive:
        raise InvalidInput(f"{shown} does not exist in {name} (the clocks skipped it); give another time or an offset")
    offsets = sorted({_offset_text(first.utcoffset()), _offset_text(second.utcoffset())})
    raise InvalidInput(
        f"{shown} happened twice in {name} (the clocks went back); give an offset: {shown} {offsets[0]} or {offsets[1]}"
    )


def _offset_text(offset: timedelta | None) -> str:
    total = int((offset or timedelta(0)).total_seconds()) // 60
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


def check_year(moment: datetime, raw: str) -> None:
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        far = "far in the past" if moment.year < EARLIEST_YEAR else "far in the future"
        raise InvalidInput(
            f"{raw!r} is in the year {moment.year}, {far}; give a time from {EARLIEST_YEAR} to {LATEST_YEAR}"
        )


def check_offset(moment: datetime, raw: str) -> None:
    try:
        offset = moment.utcoffset()
    except ValueError:  # dateutil builds a zone of +25:00 that datetime cannot use
        offset = timedelta(days=1)
    if offset is None:
        return
    if not _MOST_WEST <= offset <= _MOST_EAST or offset % timedelta(minutes=1):
        raise InvalidInput(f"{raw!r} has an offset no time zone uses; give one from -12:00 to +14:00 in whole minutes")


def _check_digits(raw: str, what: str) -> None:
    if any(ch.isnumeric() and not ch.isascii() for ch in raw):
        raise InvalidInput(f"{raw!r} has digits other than 0-9; type the {what} with 0-9")


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h30m``, ``4h``, ``3d``, ``1w``; a bare number is minutes."""
    raw = str(text).strip().lower()
    _check_digits(raw, "duration")
    if raw.isdigit():
        try:
            return timedelta(minutes=int(raw))
        except OverflowError:
            raise InvalidInput(f"the duration {text!r} is too long") from None
    compact = raw.replace(" ", "")
    parts = _DURATION_PART.findall(compact)
    if not parts or "".join(n + u for n, u in parts) != compact:
        raise InvalidInput(f"cannot read {text!r} as a duration; use e.g. 90s, 15m, 1h30m, 4h, 3d, 1w")
    total = 0
    for number, unit in parts:
        if unit not in _UNITS:
            raise InvalidInput(f"unknown unit {unit!r} in duration {text!r}; use s, m, h, d or w")
        total += int(number) * _UNITS[unit]
    try:
        return timedelta(seconds=total)
    except OverflowError:
        raise InvalidInput(f"the duration {text!r} is too long") from None


def format_duration_spec(delta: timedelta) -> str:
    """The inverse of parse_duration, for writing config: ``15m``, ``1h``, ``1d``."""
    seconds = int(delta.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _clock_today(match: re.Match[str], day: datetime) -> datetime:
    hour, minute = int(match["h"]), int(match["m"])
    second = int(match["s"] or 0)
    micro = int((match["frac"] or "").ljust(6, "0"))
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidInput(f"{match.group(0)!r} is not a time of day")
    return localize(datetime(day.year, day.month, day.day, hour, minute, second, micro))


def parse_time(text: str, now: datetime) -> datetime:
    """Read a typed time; raise InvalidInput with one line of advice when it cannot.

    ``now`` is an aware datetime (the command's clock). The result is aware and
    keeps the offset the text gave, or the local one.
    """
    raw = str(text).strip()
    if not raw:
        raise InvalidInput(f"an empty time; {HELP}")
    _check_digits(raw, "time")
    lowered = raw.lower()
    local_now = now.astimezone()
    if lowered == "now":
        return local_now

    if raw[0] in "+-":  # "-5m" is not a clock time: it would be read as 00:05
        amount = raw[1:].strip()
        raise InvalidInput(f"{raw!r} is not a time; for a time before now write '{amount} ago'; {HELP}")

    clock = _CLOCK.match(raw)
    if clock:
        candidate = _clock_today(clock, local_now)
        if candidate > local_now:
            candidate = _clock_today(clock, local_now - timedelta(days=1))
        return candidate

    dayword = _DAYWORD.match(raw)
    if dayword:
        clock = _CLOCK.match(dayword["clock"])
        if not clock:
            raise InvalidInput(f"cannot read {raw!r} as a time; {HELP}")
        return _clock_today(clock, local_now - timedelta(days=_DAY_OFFSET[dayword["day"].lower()]))

    ago = _AGO.match(raw)
    if ago:
        try:
            moment = (now - parse_duration(ago["amount"])).astimezone()
        except OverflowError:
            raise InvalidInput(f"{raw!r} is too long ago") from None
        check_year(moment, raw)
        return moment

    if _POSIX_OFFSET.search(raw):
        raise InvalidInput(
            f"{raw!r}: 'UTC+5' style offsets are read backwards by POSIX; give the offset itself, "
            "e.g. 2025-01-15 14:30 +05:00"
        )

    parsed = parse_iso(raw)
    if parsed is None:
        parsed = _parse_free(raw, local_now)
    if parsed is None:
        raise InvalidInput(f"cannot read {raw!r} as a time; {HELP}")
    return accepted(parsed, raw)


def _next_clock(clock: re.Match[str], after: datetime) -> datetime:
    """The first time the clock shows ``clock`` after ``after`` (local time)."""
    local = after.astimezone()
    candidate = _clock_today(clock, local)
    return candidate if candidate > local else _clock_today(clock, local + timedelta(days=1))


def parse_span_end(text: str, start: datetime, now: datetime) -> datetime:
    """The end of a span that begins at ``start`` (an override's or a maintenance window's
    ``--to``): a bare clock time is its first occurrence after ``start`` (``--from 22:00 --to
    02:00`` is overnight), a weekday and a time the first such day from ``start``'s date when
    read from now it would not be after ``start`` (``--from 'fri 18:00' --to 'mon 09:00'``),
    anything else as ``parse_time`` reads it."""
    raw = str(text).strip()
    clock = _CLOCK.match(raw)
    if clock:
        return _next_clock(clock, start)
    moment = parse_time(raw, now)
    if moment <= start and _WEEKDAY_TIME.match(raw):
        later = parse_time(raw, start)
        if later > start:
            return later
    return moment


def parse_future(text: str, now: datetime) -> datetime:
    """A time ahead of ``now`` (a freeze's end): ``2h`` or ``in 2h`` from now, ``18:00`` at its
    next occurrence, or any time ``parse_time`` reads; refused unless it is after ``now``."""
    raw = str(text).strip()
    spec = raw[3:].strip() if raw.lower().startswith("in ") else raw
    if spec[:1].isdigit() and spec[-1:].isalpha() and not _CLOCK.match(spec) and parse_iso(spec) is None:
        try:
            return now.astimezone() + parse_duration(spec)
        except InvalidInput:
            pass
    clock = _CLOCK.match(raw)
    if clock:
        return _next_clock(clock, now)
    moment = parse_time(raw, now)
    if moment <= now:
        raise InvalidInput(f"{raw!r} is not in the future; give a later time, such as 18:00 or 4h")
    return moment


def accepted(moment: datetime, raw: str) -> datetime:
    """A parsed time as incli will store it, or InvalidInput: a year from 1970 to 2100,
    a real offset, and a wall time that happened exactly once (a naive one gets the
    local offset). Whatever passes can be shown in every time zone."""
    check_year(moment, raw)
    if moment.tzinfo is None:
        return localize(moment)
    check_offset(moment, raw)
    # The UTC instant must be in range too (2100-12-31T23:00-05:00 is 2101 in UTC).
    check_year(moment.astimezone(UTC), raw)
    return moment


EPOCH_UNITS = ("s", "ms", "us", "ns")
_EPOCH_DIVISOR = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}
_EPOCH_NUMBER = re.compile(r"^\d{1,20}(?:\.\d{1,9})?$", re.ASCII)


def epoch_unit(number: int | float) -> str:
    """The unit an epoch number is in, told apart by its magnitude: seconds up to
    1e11 (the year 5138), then milliseconds, microseconds and nanoseconds."""
    size = abs(number)
    if size < 1e11:
        return "s"
    if size < 1e14:
        return "ms"
    if size < 1e17:
        return "us"
    return "ns"


def from_epoch(value: object, unit: str | None = None, what: str = "time") -> datetime:
    """A time since the Unix epoch (an int, a float or digits as text) in ``unit``
    (s, ms, us, ns; None: judged by magnitude), in UTC and to the microsecond, exactly
    (integer arithmetic: 1420452224764002246 ns keeps its 764002 microseconds)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidInput(f"{what} is {value!r}, not a number of seconds since 1970")
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, float):
        text = repr(value) if "e" not in repr(value) else f"{value:.9f}"
    else:
        text = str(value)
    if not _EPOCH_NUMBER.match(text) or text.startswith("-"):
        raise InvalidInput(f"{what} {value!r} is not a number of seconds since 1970")
    whole, _, frac = text.partition(".")
    unit = unit or epoch_unit(float(text))
    if unit not in _EPOCH_DIVISOR:
        raise InvalidInput(f"{what}: unknown unit {unit!r}; one of {', '.join(EPOCH_UNITS)}")
    # The value times 1e9, as an integer, then divided by the unit: nanoseconds, exactly.
    total_ns = (int(whole) * 10**9 + (int((frac + "0" * 9)[:9]) if frac else 0)) // _EPOCH_DIVISOR[unit]
    seconds, rest_ns = divmod(total_ns, 10**9)
    try:
        moment = datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=rest_ns // 1000)
    except (OverflowError, OSError, ValueError):
        raise InvalidInput(f"{what} {value!r} is not a time incli can store") from None
    try:
        check_year(moment, str(value))
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc}") from None
    return moment


def parse_iso(raw: str) -> datetime | None:
    """ISO 8601 as Python reads it, with a trailing Z for UTC; None when it is not."""
    text = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
    if not text.isascii():
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _parse_free(raw: str, local_now: datetime) -> datetime | None:
    # Free forms such as "2025-01-15 14:30 -05:00" or "Jan 15 2025 2:30pm".
    # dateutil guesses wildly at fragments, so refuse what it would misread:
    # a bare number ("1430" is the year 1430, "15" the 15th) and a duration
    # without "ago" ("10m" would be 00:10 today).
    if not any(ch.isdigit() for ch in raw) or raw.isdigit():
        return None
    try:
        parse_duration(raw)
    except InvalidInput:
        pass
    else:
        raise InvalidInput(f"{raw!r} is a duration, not a time; did you mean '{raw} ago'?")
    import warnings

    from dateutil import parser as dateparser

    default = local_now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    try:
        with warnings.catch_warnings():
            # A zone name dateutil does not know ("CET") would be dropped silently.
            # pragma below: dateutil's parser warns of nothing else, so "every warning" is equivalent.
            warnings.simplefilter("error", dateparser.UnknownTimezoneWarning)  # pragma: no mutate
            return dateparser.parse(raw, default=default)
    except dateparser.UnknownTimezoneWarning:
        raise InvalidInput(
            f"cannot read the time zone in {raw!r}; give an offset instead, e.g. 2025-01-15 14:30 +01:00"
        ) from None
    except (ValueError, OverflowError):
        return None


def parse_stored(value: object) -> datetime:
    """Read a time from a stored file: ISO 8601 with an offset.

    YAML may already have turned an unquoted timestamp into a datetime; a naive
    one is UTC, as the YAML spec says.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        iso = parse_iso(value.strip())
        if iso is None:
            raise ValueError(f"{value!r} is not an ISO 8601 time")
        parsed = iso
    else:
        raise ValueError(f"{value!r} is not a time")
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} has no offset; write it like 2025-01-15T14:30:00+00:00")
    return parsed


def to_iso(moment: datetime) -> str:
    """A stored time: ``2025-01-15T14:30:00+00:00``, with microseconds only when it has
    them (``2018-03-07T06:33:21.873077-05:00``), so whole-second files never change."""
    return moment.isoformat()


def clock_or_date(moment: datetime, now: datetime, tz: tzinfo | None = None) -> str:
    """A due time as people read it (one rule for inc status, inc show and the report):
    the bare clock ("17:00") when it falls on today in the display zone ``tz`` (None: the
    local one), else the date too ("2025-04-02 17:00"), so a time days ago never reads as today."""
    here, today = (moment.astimezone(tz), now.astimezone(tz))
    return here.strftime("%H:%M" if here.date() == today.date() else "%Y-%m-%d %H:%M")


def check_not_future(moment: datetime, now: datetime, what: str = "time") -> None:
    if moment > now + timedelta(seconds=1):
        raise InvalidInput(f"{what} {to_iso(moment)} is in the future (now is {to_iso(now.astimezone())})")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def duration_parts(delta: timedelta) -> list[tuple[int, str]]:
    """The one rule for showing a duration: exact, never rounded to its largest unit.

    Days, hours and minutes from the largest non-zero one down to minutes; under an
    hour, minutes and seconds (sub-second parts are dropped, never rounded up). Zero
    units between the largest and the last are kept (the short form shows them).
    A negative span has no parts (it is bad data, never a duration: callers show "-").
    """
    if delta < timedelta(0):
        return []
    seconds = delta.days * 86400 + delta.seconds
    if seconds < 3600:
        minutes, seconds = divmod(seconds, 60)
        units = [(minutes, "minute"), (seconds, "second")]
    else:
        minutes = seconds // 60
        days, minutes = divmod(minutes, 1440)
        hours, minutes = divmod(minutes, 60)
        units = [(days, "day"), (hours, "hour"), (minutes, "minute")]
    while len(units) > 1 and units[0][0] == 0:
        units.pop(0)
    return units


def describe_duration(delta: timedelta) -> str:
    """``45 seconds``, ``3 minutes 20 seconds``, ``1 hour 6 minutes``, ``1 day 11 minutes``,
    ``13 days 16 hours 19 minutes``: for people and postmortems (zero units left out)."""
    parts = duration_parts(delta)
    if not parts:
        return "-"
    spoken = [_plural(count, word) for count, word in parts if count]
    return " ".join(spoken) if spoken else _plural(0, parts[-1][1])


def short_duration(delta: timedelta) -> str:
    """``45s``, ``3m 20s``, ``40m``, ``1h 6m``, ``1d 0h 11m``, ``13d 16h 19m``: for tables (the
    same numbers as describe_duration; every unit from the largest non-zero one to the
    smallest non-zero one, so a zero in between is shown and nothing is dropped)."""
    parts = duration_parts(delta)
    if not parts:
        return "-"
    while len(parts) > 1 and parts[-1][0] == 0:  # trailing zeros say nothing: 40m, 2h, 3d
        parts.pop()
    return " ".join(f"{count}{word[0]}" for count, word in parts)


def zone_named(name: str | None) -> tzinfo | None:
    """The time zone a config names (``timezone: Europe/Berlin``); None for none (the local one)."""
    name = (name or "").strip()
    if not name:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            f"incli.yaml: unknown timezone {name!r}; use an IANA name such as Europe/Berlin or UTC"
        ) from None
