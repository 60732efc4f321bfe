"""An iCalendar (RFC 5545) invitation for a postmortem review meeting, written by hand.

CRLF line endings, content lines folded at 75 octets (never inside a UTF-8
character), TEXT values escaped (backslash, semicolon, comma, newline), times
in UTC with a ``Z``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from incli.errors import InvalidInput


def escape_text(value: str) -> str:
    """RFC 5545 3.3.11: escape backslash, semicolon, comma and newlines."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\r", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets: CRLF and one space before each continuation."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts: list[str] = []
    limit = 75
    while data:
        cut = min(limit, len(data))
        # Never split a multi-byte character: back up to a character boundary.
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:
            cut -= 1
        parts.append(data[:cut].decode())
        data = data[cut:]
        limit = 74  # the leading space counts
    return "\r\n ".join(parts)


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def invitation(
    *,
    uid: str,
    stamp: datetime,
    start: datetime,
    end: datetime,
    summary: str,
    description: str,
    organizer: str,
    attendees: Sequence[str] = (),
    version: str = "",
) -> str:
    """A VCALENDAR with one VEVENT and METHOD:REQUEST, as text with CRLF endings;
    ``version`` (incli's) goes into PRODID. ``organizer`` is required: RFC 5546 3.2.2 makes
    ORGANIZER mandatory on a REQUEST (the service finds it: --organizer, else git's user.email)."""
    if not organizer:
        raise InvalidInput("an invitation needs an organizer: give --organizer EMAIL")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//incli//incli {version}//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{utc(stamp)}",
        f"DTSTART:{utc(start)}",
        f"DTEND:{utc(end)}",
        f"SUMMARY:{escape_text(summary)}",
        f"DESCRIPTION:{escape_text(description)}",
    ]
    lines.append(f"ORGANIZER:mailto:{organizer}")
    for email in attendees:
        lines.append(f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{email}")
    lines += ["STATUS:CONFIRMED", "SEQUENCE:0", "END:VEVENT", "END:VCALENDAR"]
    return "".join(fold(line) + "\r\n" for line in lines)


# -- a calendar of shifts (inc oncall export) and reading one (inc oncall import) ------


@dataclass(frozen=True)
class Event:
    """A calendar event incli writes."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    attendee: str | None = None


def calendar(events: Sequence[Event], *, name: str, stamp: datetime, version: str = "") -> str:
    """A VCALENDAR to subscribe to (METHOD:PUBLISH): one VEVENT per event; the same shift
    keeps its UID, so a subscribed calendar updates it instead of adding a copy."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//incli//incli {version}//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape_text(name)}",
    ]
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}",
            f"DTSTAMP:{utc(stamp)}",
            f"DTSTART:{utc(event.start)}",
            f"DTEND:{utc(event.end)}",
            f"SUMMARY:{escape_text(event.summary)}",
        ]
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        if event.attendee:
            lines.append(f"ATTENDEE;CN={_param(event.summary)}:mailto:{event.attendee}")
        lines += ["TRANSP:TRANSPARENT", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _param(value: str) -> str:
    """A parameter value: quoted, without the characters a quoted value cannot hold."""
    return '"' + "".join(ch for ch in value if ch not in '"\r\n' and ch >= " ") + '"'


@dataclass(frozen=True)
class ParsedEvent:
    """A calendar event read from an .ics file."""

    start: datetime
    end: datetime
    summary: str
    attendees: tuple[str, ...] = ()


MAX_CALENDAR_EVENTS = 5000


def unescape_text(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _content_lines(text: str) -> list[str]:
    """Unfolded content lines (RFC 5545 3.1)."""
    lines: list[str] = []
    for raw in text.replace("\r", "\n").split("\n"):  # CRLF too: the blank line between is skipped
        if raw[:1] in (" ", "\t") and lines:
            lines[-1] += raw[1:]
        elif raw:
            lines.append(raw)
    return lines


def _split_line(line: str) -> tuple[str, dict[str, str], str]:
    quoted = False  # pragma: no mutate - None is as false
    for index, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ":" and not quoted:
            head, value = line[:index], line[index + 1 :]
            break
    else:
        raise InvalidInput(f"not an iCalendar line: {line[:60]!r}")
    name, *params = head.split(";")
    found = {}
    for param in params:
        key, _eq, val = param.partition("=")
        found[key.upper()] = val.strip('"')
    return name.upper(), found, value


def _ical_time(value: str, params: dict[str, str], default_zone: str) -> datetime:
    from incli.domain.times import check_year, zone_named

    tzid = params.get("TZID")
    try:
        zone = zone_named(tzid or default_zone) or UTC
    except InvalidInput:
        where = (
            f"the calendar's TZID={tzid}" if tzid else f"{default_zone!r}, the zone of the calendar's floating times"
        )
        raise InvalidInput(f"unknown time zone in {where}; use an IANA name such as Europe/Berlin or UTC") from None
    text = value.strip()
    try:
        if len(text) == 8:  # a date (VALUE=DATE): a date-time is never this short
            naive = datetime.strptime(text, "%Y%m%d")
        elif text.endswith(("Z", "z")):
            moment = datetime.strptime(text[:-1], "%Y%m%dT%H%M%S").replace(tzinfo=UTC)
            check_year(moment, text)
            return moment
        else:
            naive = datetime.strptime(text, "%Y%m%dT%H%M%S")
    except ValueError:
        raise InvalidInput(f"cannot read the iCalendar time {text!r}") from None
    check_year(naive, text)
    return naive.replace(tzinfo=zone).astimezone(UTC)  # fold 0: a repeated wall time's first


def parse_events(text: str, default_zone: str = "UTC") -> list[ParsedEvent]:
    """The VEVENTs of a calendar: start, end, summary, attendees' e-mails. A time without
    a zone (floating, or a date) is read in ``default_zone``; TZID names an IANA zone.
    Recurring events (RRULE) are refused: export the shifts as single events."""
    events: list[ParsedEvent] = []
    current: dict[str, Any] | None = None
    for line in _content_lines(text):
        name, params, value = _split_line(line)
        if name == "BEGIN" and value.upper() == "VEVENT":
            current = {"attendees": []}
        elif name == "END" and value.upper() == "VEVENT" and current is not None:
            if "start" not in current:
                raise InvalidInput("an event (VEVENT) has no DTSTART")
            start = current["start"]
            end = current.get("end") or (start + current["duration"] if "duration" in current else None)
            if end is None or end <= start:
                raise InvalidInput(f"the event at {start.isoformat()} has no end after its start (DTEND)")
            events.append(ParsedEvent(start, end, current.get("summary", ""), tuple(current["attendees"])))
            if len(events) > MAX_CALENDAR_EVENTS:
                raise InvalidInput(f"over {MAX_CALENDAR_EVENTS} events; import a shorter range")
            current = None
        elif current is not None:
            if name == "DTSTART":
                current["start"] = _ical_time(value, params, default_zone)
            elif name == "DTEND":
                current["end"] = _ical_time(value, params, default_zone)
            elif name == "DURATION":
                current["duration"] = _ical_duration(value)
            elif name == "SUMMARY":
                current["summary"] = unescape_text(value)
            elif name == "ATTENDEE" and value.lower().startswith("mailto:"):
                current["attendees"].append(value[7:].strip())
            elif name in ("RRULE", "RDATE"):
                raise InvalidInput("recurring events (RRULE) are not read; export the shifts as single events")
    return events


def _ical_duration(value: str) -> timedelta:
    import re

    match = re.fullmatch(r"P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", value.strip())
    if not match or not any(match.groups()):
        raise InvalidInput(f"cannot read the iCalendar duration {value!r}")
    w, d, h, m, s = (int(g or 0) for g in match.groups())
    return timedelta(weeks=w, days=d, hours=h, minutes=m, seconds=s)
