"""Calendars of shifts as incli writes them (inc oncall export) and reads them (inc oncall import),
domain/ical.py without the CLI (issue 19: the mutation run found the reader's grammar untested):
folded lines, dates, UTC and zoned times, DURATION, quoted parameters, and each refusal."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incli.domain.ical import Event, calendar, fold, invitation, parse_events
from incli.errors import InvalidInput

STAMP = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)


def vcalendar(*events: str, newline: str = "\r\n") -> str:
    body = "".join(f"BEGIN:VEVENT{newline}{e.replace(chr(10), newline)}{newline}END:VEVENT{newline}" for e in events)
    return f"BEGIN:VCALENDAR{newline}VERSION:2.0{newline}{body}END:VCALENDAR{newline}"


def one(event: str, zone: str = "UTC") -> tuple[datetime, datetime, str, tuple[str, ...]]:
    [parsed] = parse_events(vcalendar(event), zone)
    return parsed.start, parsed.end, parsed.summary, parsed.attendees


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_the_calendar_written_is_rfc5545_as_clients_expect() -> None:
    events = [
        Event(
            "u1@incli",
            utc(2026, 10, 19, 9),
            utc(2026, 10, 20, 9),
            "On call: alice (primary)",
            "alice is on call",
            "alice@example.com",
        ),  # fmt: skip
        Event("u2@incli", utc(2026, 10, 20, 9), utc(2026, 10, 20, 12), "On call: bob (primary)"),
    ]
    text = calendar(events, name="On call: primary", stamp=STAMP, version="1.2")
    assert text.split("\r\n") == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//incli//incli 1.2//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:On call: primary",
        "BEGIN:VEVENT",
        "UID:u1@incli",
        "DTSTAMP:20261001T080000Z",
        "DTSTART:20261019T090000Z",
        "DTEND:20261020T090000Z",
        "SUMMARY:On call: alice (primary)",
        "DESCRIPTION:alice is on call",
        'ATTENDEE;CN="On call: alice (primary)":mailto:alice@example.com',
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
        "BEGIN:VEVENT",
        "UID:u2@incli",
        "DTSTAMP:20261001T080000Z",
        "DTSTART:20261020T090000Z",
        "DTEND:20261020T120000Z",
        "SUMMARY:On call: bob (primary)",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    assert "PRODID:-//incli//incli //EN\r\n" in calendar([], name="x", stamp=STAMP)


def test_a_parameter_value_drops_what_a_quoted_value_cannot_hold() -> None:
    hostile = 'Say "hi" Xavier\r\nATTENDEE:mailto:evil@example.com\x07\tend\rmore'
    text = calendar([Event("u", utc(2026, 1, 1), utc(2026, 1, 2), hostile, "", "a@example.com")], name="n", stamp=STAMP)
    unfolded = text.replace("\r\n ", "").split("\r\n")
    attendee = [line for line in unfolded if line.startswith("ATTENDEE")]
    assert attendee == ['ATTENDEE;CN="Say hi XavierATTENDEE:mailto:evil@example.comendmore":mailto:a@example.com']
    assert [line for line in unfolded if line.startswith("SUMMARY")] == [
        'SUMMARY:Say "hi" Xavier\\nATTENDEE:mailto:evil@example.com\x07\tend\\nmore'
    ]
    [parsed] = parse_events(text)
    assert parsed.attendees == ("a@example.com",) and parsed.summary == hostile.replace("\r\n", "\n").replace(
        "\r", "\n"
    )


def test_a_line_is_folded_after_75_octets_never_inside_a_character() -> None:
    assert fold("x" * 75) == "x" * 75
    assert fold("x" * 76) == "x" * 75 + "\r\n x"
    assert fold("x" * 74 + "é!") == "x" * 74 + "\r\n é!"  # é's two bytes would straddle octet 75
    assert fold("x" * 73 + "é" + "y" * 80) == "x" * 73 + "é\r\n " + "y" * 74 + "\r\n " + "y" * 6
    assert fold("x" * 73 + "日" + "y") == "x" * 73 + "\r\n 日y"  # three bytes: back to its first


def test_times_are_written_and_read_in_utc_whatever_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    text = calendar([Event("u", utc(2026, 1, 1, 9), utc(2026, 1, 1, 17), "x")], name="n", stamp=STAMP)
    assert "DTSTART:20260101T090000Z\r\n" in text and "DTSTAMP:20261001T080000Z\r\n" in text
    [parsed] = parse_events(text)
    assert parsed.start.utcoffset() == timedelta(0) and parsed.start == utc(2026, 1, 1, 9)
    start, _end, _s, _a = one("DTSTART;TZID=America/New_York:20260101T090000\nDTEND:20260102T000000Z")
    assert start.utcoffset() == timedelta(0) and start == utc(2026, 1, 1, 14)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 10_000),
            st.integers(1, 500),
            st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120),
        ),
        max_size=5,
    )
)
def test_what_is_written_reads_back(shifts: list[tuple[int, int, str]]) -> None:
    events = [
        Event(f"u{i}", utc(2026, 1, 1) + timedelta(hours=start), utc(2026, 1, 1) + timedelta(hours=start + hours), text)
        for i, (start, hours, text) in enumerate(shifts)
    ]
    parsed = parse_events(calendar(events, name="n", stamp=STAMP))
    expected = [(e.start, e.end, e.summary.replace("\r\n", "\n").replace("\r", "\n")) for e in events]
    assert [(p.start, p.end, p.summary) for p in parsed] == expected


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_folded_lines_are_joined_whatever_the_line_ends(newline: str) -> None:
    event = "DTSTART:20261019T090000Z\nDTEND:20261020T090000Z\nSUMMARY:On call: al\n ice (prim\n\tary)\nX-A:b"
    [parsed] = parse_events(vcalendar(event, newline=newline))
    assert parsed.summary == "On call: alice (primary)"


def test_times_in_utc_in_a_named_zone_and_floating() -> None:
    span = "DTEND:20261020T090000Z\nSUMMARY:x"
    assert one(f"DTSTART:20261019T090000Z\n{span}")[0] == utc(2026, 10, 19, 9)
    assert one(f"DTSTART:20261019T090000z\n{span}")[0] == utc(2026, 10, 19, 9)
    berlin = one(f"DTSTART;TZID=Europe/Berlin:20261019T090000\n{span}", zone="America/New_York")
    assert berlin[0] == utc(2026, 10, 19, 7)
    assert one(f"DTSTART:20261019T090000\n{span}", zone="America/New_York")[0] == utc(2026, 10, 19, 13)


def test_an_unknown_time_zone_is_named_as_the_calendar_gives_it() -> None:
    with pytest.raises(InvalidInput, match=r"^unknown time zone in the calendar's TZID=Mars/Base; use an IANA"):
        one("DTSTART;TZID=Mars/Base:20261019T090000\nDTEND:20261020T090000Z")
    with pytest.raises(InvalidInput, match=r"^unknown time zone in 'Mars/Base', the zone of the calendar's floating"):
        one("DTSTART:20261019T090000\nDTEND:20261020T090000Z", zone="Mars/Base")


def test_a_wall_time_that_happens_twice_is_its_first_occurrence() -> None:
    start, _end, _s, _a = one("DTSTART;TZID=Europe/Berlin:20261025T023000\nDTEND:20261026T000000Z", "UTC")
    assert start == utc(2026, 10, 25, 0, 30)  # 02:30 CEST, not 02:30 CET an hour later


def test_dates_are_midnight_in_the_zone() -> None:
    start, end, _s, _a = one('DTSTART;VALUE=DATE:20261019\nDTEND;VALUE=date;TZID="UTC":20261020', zone="Europe/Berlin")
    assert (start, end) == (utc(2026, 10, 18, 22), utc(2026, 10, 20))  # a quoted TZID names the zone
    start, end, _s, _a = one("DTSTART:20261019\nDTEND:20261021", zone="UTC")  # a date without VALUE
    assert (start, end) == (utc(2026, 10, 19), utc(2026, 10, 21))


@pytest.mark.parametrize(
    ("duration", "length"),
    [
        ("P1W", timedelta(weeks=1)),
        ("P2D", timedelta(days=2)),
        ("PT8H", timedelta(hours=8)),
        ("PT1H30M15S", timedelta(hours=1, minutes=30, seconds=15)),
        ("P1DT12H", timedelta(days=1, hours=12)),
        (" PT45M ", timedelta(minutes=45)),
        ("PT30S", timedelta(seconds=30)),
    ],
)
def test_a_duration_instead_of_an_end(duration: str, length: timedelta) -> None:
    start, end, _s, _a = one(f"DTSTART:20261019T090000Z\nDURATION:{duration}")
    assert end - start == length
    start, end, _s, _a = one(f"DTSTART:20261019T090000Z\nDTEND:20261019T100000Z\nDURATION:{duration}")
    assert end - start == timedelta(hours=1)  # DTEND wins


@pytest.mark.parametrize("duration", ["P", "PT", "1H", "PT1X", "p1d", "P1H"])
def test_a_duration_that_cannot_be_read_is_refused(duration: str) -> None:
    with pytest.raises(InvalidInput, match=rf"^cannot read the iCalendar duration '{duration}'$"):
        one(f"DTSTART:20261019T090000Z\nDURATION:{duration}")


def test_attendees_summary_and_quoted_parameters() -> None:
    event = (
        "DTSTART:20261019T090000Z\nDTEND:20261020T090000Z\n"
        'ATTENDEE;CN="Smith: Alice; the=lead";ROLE=REQ-PARTICIPANT:mailto: alice@example.com \n'
        "ATTENDEE;CN=Bob:MAILTO:bob@example.com\nATTENDEE:tel:+15551234\n"
        "SUMMARY:On call\\, primary\\nsecond\\Nline\\;\\\\ and a lone \\"
    )
    _start, _end, summary, attendees = one(event)
    assert attendees == ("alice@example.com", "bob@example.com")
    assert summary == "On call, primary\nsecond\nline;\\ and a lone \\"
    assert one("DTSTART:20261019T090000Z\nDTEND:20261020T090000Z")[2:] == ("", ())


def test_only_the_events_are_read_and_names_are_any_case() -> None:
    text = (
        "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\n"
        "END:STANDARD\r\nEND:VTIMEZONE\r\nbegin:vevent\r\ndtstart:20261019T090000Z\r\nDtEnd:20261019T100000Z\r\n"
        "summary:one\r\nend:vevent\r\nDTSTART:20261020T090000Z\r\nEND:VCALENDAR\r\n"
    )
    assert [(e.start, e.summary) for e in parse_events(text)] == [(utc(2026, 10, 19, 9), "one")]
    assert parse_events("END:VEVENT\r\n") == []


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ("DTEND:20261020T090000Z", r"^an event \(VEVENT\) has no DTSTART$"),
        ("DTSTART:20261019T090000Z", r"^the event at 2026-10-19T09:00:00\+00:00 has no end after its start \(DTEND\)$"),
        ("DTSTART:20261019T090000Z\nDTEND:20261019T090000Z", "has no end after its start"),
        ("DTSTART:20261019T090000Z\nDTEND:20261019T080000Z", "has no end after its start"),
        ("DTSTART:20261019T09000X\nDTEND:20261019T100000Z", r"^cannot read the iCalendar time '20261019T09000X'$"),
        ("DTSTART:20261019T0900XZ\nDTEND:20261019T100000Z", r"^cannot read the iCalendar time '20261019T0900XZ'$"),
        ("DTSTART;VALUE=DATE:2026-10-19\nDTEND:20261019T100000Z", "cannot read the iCalendar time '2026-10-19'"),
        ("DTSTART:18991019T090000Z\nDTEND:20261019T100000Z", "18991019T090000Z"),
        ("DTSTART:18991019T090000\nDTEND:20261019T100000Z", "18991019T090000"),
        (
            "DTSTART:20261019T090000Z\nRRULE:FREQ=WEEKLY",
            r"^recurring events \(RRULE\) are not read; export the shifts as single events$",
        ),
        ("DTSTART;TZID=Europe/Berlin=x:20261019T090000\nDTEND:20261020T090000Z", "TZID=Europe/Berlin=x"),
        ("DTSTART:20261019T090000Z\nRDATE:20261026T090000Z", "recurring events"),
        ("DTSTART:20261019T090000Z\n" + "SUMMARY" * 20, r"^not an iCalendar line: '" + "SUMMARY" * 8 + "SUMM'$"),
        ('DTSTART;X="a:b\nDTEND:20261019T100000Z', "not an iCalendar line"),
    ],
)
def test_what_cannot_be_read_is_refused_in_one_line(event: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        one(event)


def test_a_calendar_of_more_than_5000_events_is_refused() -> None:
    shift = "DTSTART:20261019T090000Z\nDTEND:20261019T100000Z"
    assert len(parse_events(vcalendar(*[shift] * 5000))) == 5000
    with pytest.raises(InvalidInput, match=r"^over 5000 events; import a shorter range$"):
        parse_events(vcalendar(*[shift] * 5001))


def test_a_review_invitation_as_written() -> None:
    text = invitation(
        uid="u-1@incli", stamp=STAMP, start=utc(2026, 10, 2, 10), end=utc(2026, 10, 2, 11), summary="Review",
        description="Bring notes", organizer="o@example.com", attendees=["a@example.com"],
    )  # fmt: skip
    assert text.replace("\r\n ", "").split("\r\n") == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//incli//incli //EN",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        "UID:u-1@incli",
        "DTSTAMP:20261001T080000Z",
        "DTSTART:20261002T100000Z",
        "DTEND:20261002T110000Z",
        "SUMMARY:Review",
        "DESCRIPTION:Bring notes",
        "ORGANIZER:mailto:o@example.com",
        "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:a@example.com",
        "STATUS:CONFIRMED",
        "SEQUENCE:0",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
    with pytest.raises(InvalidInput, match=r"^an invitation needs an organizer: give --organizer EMAIL$"):
        invitation(uid="u", stamp=STAMP, start=STAMP, end=STAMP, summary="s", description="d", organizer="")
