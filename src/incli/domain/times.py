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

_CLOCK = re.compile(r"^(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2}))?$")
_DAYWORD = re.compile(r"^(?P<day>today|yesterday)\s+(?P<clock>\S+)$", re.IGNORECASE)
_AGO = re.compile(r"^(?P<amount>(?:\d+\s*[a-z]+\s*)+)\s+ago$", re.IGNORECASE)
_DURATION_PART = re.compile(r"(\d+)\s*([a-z]+)", re.IGNORECASE)
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

HELP = "use ISO 8601 (2025-01-15T14:30, with or without an offset), HH:MM, 'yesterday 14:30' or '10m ago'"


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def localize(naive: datetime) -> datetime:
    """Give a naive datetime the local offset it had on its own date."""
    return naive.astimezone()


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h30m``, ``4h``, ``3d``, ``1w``; a bare number is minutes."""
    raw = str(text).strip().lower()
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
    if hour > 23 or minute > 59 or second > 59:
        raise InvalidInput(f"{match.group(0)!r} is not a time of day")
    return localize(datetime(day.year, day.month, day.day, hour, minute, second))


def parse_time(text: str, now: datetime) -> datetime:
    """Read a typed time; raise InvalidInput with one line of advice when it cannot.

    ``now`` is an aware datetime (the command's clock). The result is aware and
    keeps the offset the text gave, or the local one.
    """
    raw = str(text).strip()
    if not raw:
        raise InvalidInput(f"an empty time; {HELP}")
    lowered = raw.lower()
    local_now = now.astimezone()
    if lowered == "now":
        return local_now.replace(microsecond=0)

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
        offset = 1 if dayword["day"].lower() == "yesterday" else 0
        return _clock_today(clock, local_now - timedelta(days=offset))

    ago = _AGO.match(raw)
    if ago:
        try:
            return (now - parse_duration(ago["amount"])).astimezone().replace(microsecond=0)
        except OverflowError:
            raise InvalidInput(f"{raw!r} is too long ago") from None

    parsed = parse_iso(raw)
    if parsed is None:
        parsed = _parse_free(raw, local_now)
    if parsed is None:
        raise InvalidInput(f"cannot read {raw!r} as a time; {HELP}")
    if parsed.tzinfo is None:
        parsed = localize(parsed)
    return parsed.replace(microsecond=0)


def parse_iso(raw: str) -> datetime | None:
    """ISO 8601 as Python reads it, with a trailing Z for UTC; None when it is not."""
    text = raw[:-1] + "+00:00" if raw.endswith(("Z", "z")) else raw
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
            warnings.simplefilter("error", dateparser.UnknownTimezoneWarning)
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
    return moment.replace(microsecond=0).isoformat()


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


def describe_duration(delta: timedelta) -> str:
    """``45 minutes``, ``1 hour 6 minutes``, ``2 days 3 hours``: for people and postmortems."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "-" + describe_duration(-delta)
    if seconds < 60:
        return _plural(seconds, "second")
    minutes, _ = divmod(seconds, 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if days:
        parts.append(_plural(days, "day"))
    if hours:
        parts.append(_plural(hours, "hour"))
    if minutes and not days:
        parts.append(_plural(minutes, "minute"))
    return " ".join(parts) if parts else _plural(days, "day")


def short_duration(delta: timedelta) -> str:
    """``45m``, ``1h 6m``, ``2d 3h``: for tables."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "-" + short_duration(-delta)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"


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
