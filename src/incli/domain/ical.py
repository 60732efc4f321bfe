"""An iCalendar (RFC 5545) invitation for a postmortem review meeting, written by hand.

CRLF line endings, content lines folded at 75 octets (never inside a UTF-8
character), TEXT values escaped (backslash, semicolon, comma, newline), times
in UTC with a ``Z``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

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
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    limit = 75
    while data:
        cut = min(limit, len(data))
        # Never split a multi-byte character: back up to a character boundary.
        while cut < len(data) and (data[cut] & 0xC0) == 0x80:
            cut -= 1
        parts.append(data[:cut].decode("utf-8"))
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
