"""The review invitation ``inc postmortem schedule`` writes: an iCalendar text, built without the CLI."""

from __future__ import annotations


def test_invitation_escapes_and_folds_text_without_breaking_characters() -> None:
    from datetime import UTC, datetime

    import icalendar

    from incli.domain.ical import invitation

    summary = "Revue: café, ünïcode; back\\slash " + "é" * 60
    start = datetime(2025, 1, 17, 10, tzinfo=UTC)
    text = invitation(
        uid="u-1@incli",
        stamp=datetime(2025, 1, 16, tzinfo=UTC),
        start=start,
        end=datetime(2025, 1, 17, 11, tzinfo=UTC),
        summary=summary,
        description="line one\nline two",
        attendees=["a@example.com"],
        organizer="o@example.com",  # required since issue 11: RFC 5546 wants ORGANIZER on a REQUEST
    )
    raw = text.encode("utf-8")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert "SUMMARY:Revue: café\\, ünïcode\\; back\\\\slash" in text
    assert "DESCRIPTION:line one\\nline two" in text
    event = next(iter(icalendar.Calendar.from_ical(raw).walk("VEVENT")))
    assert str(event["SUMMARY"]) == summary
    assert str(event["DESCRIPTION"]) == "line one\nline two"
