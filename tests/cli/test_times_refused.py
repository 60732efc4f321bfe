"""Times refused in one line (issues 11 and 12): DST gaps and folds, impossible offsets,
years nobody means, POSIX-signed zones, non-ASCII digits; and non-UTF-8 arguments."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incli.domain.times import parse_duration, parse_time, to_iso
from incli.errors import ExitCode, InvalidInput
from tests.conftest import Run

NOW = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()


def test_spring_forward_gap_refused(berlin: None) -> None:
    with pytest.raises(InvalidInput, match=r"2025-03-30 02:30 does not exist"):
        parse_time("2025-03-30 02:30", NOW)


def test_fall_back_hour_needs_an_offset(berlin: None) -> None:
    with pytest.raises(InvalidInput, match=r"give an offset: 2025-10-26 02:30 \+01:00 or \+02:00"):
        parse_time("2025-10-26 02:30", NOW)
    assert to_iso(parse_time("2025-10-26 02:30 +01:00", NOW)) == "2025-10-26T02:30:00+01:00"
    assert to_iso(parse_time("2025-10-26T02:30+02:00", NOW)) == "2025-10-26T02:30:00+02:00"
    assert to_iso(parse_time("2025-10-26 03:30", NOW)) == "2025-10-26T03:30:00+01:00"


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-15 14:30 +25:00",
        "2025-01-15T14:30+25:00",
        "2025-01-15T14:30-13:00",
        "2025-01-15T14:30:00+05:00:30",
        "0001-01-01",
        "0001-01-01T00:00:00+00:00",
        "1899-12-31T23:00",
        "1969-12-31T23:59:59+00:00",
        "2101-01-01T00:00+00:00",
        "2100-12-31T23:00-05:00",
        "2025-01-15 14:30 UTC+5",
        "2025-01-15 14:30 GMT-3",
        "5५3-9-9",
        "２０２５-01-15",
        "١٤:٣٠",
        "60000w ago",
    ],
)
def test_times_nobody_means_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_time(text, NOW)


@pytest.mark.parametrize("text", ["५m", "१० ago"])
def test_non_ascii_digits_refused_in_durations(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(text)


@given(
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 12, 30)),
    st.sampled_from(["UTC", "America/New_York", "Europe/Berlin", "Pacific/Kiritimati", "Pacific/Pago_Pago"]),
)
def test_an_accepted_time_shows_in_every_zone(naive: datetime, zone: str) -> None:
    from zoneinfo import ZoneInfo

    try:
        moment = parse_time(naive.isoformat(), NOW)
    except InvalidInput:
        return  # a DST gap or fold of the local zone
    for name in ("UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", zone):
        assert moment.astimezone(ZoneInfo(name)).isoformat()
    assert parse_time(to_iso(moment), NOW) == moment


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--at", "0001-01-01T00:00:00+00:00"), "year 1"),
        (("--at", "2025-01-15 14:30 +25:00"), "offset"),
        (("--at", "2025-01-15 14:30 UTC+5"), "+05:00"),
        (("--at", "5५3-9-9"), "0-9"),
        (("--at", "2025-03-30 02:30"), "does not exist"),
        (("--at", "2025-10-26 02:30"), "give an offset"),
    ],
)
def test_open_refuses_in_one_line(
    args: tuple[str, ...], needle: str, repo: Path, run: Run, snapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    before = snapshot(repo)
    result = run("open", "Disk full", "-s", "SEV2", *args)
    assert result.code == ExitCode.INVALID
    assert len(result.err_lines) == 1 and result.err_lines[0].startswith("inc: error: ")
    assert needle in result.stderr
    assert snapshot(repo) == before


def test_an_incident_opened_in_range_reads_in_new_york(repo: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = run("open", "Early", "-s", "SEV3", "--at", "1970-01-01T00:00:00+00:00")
    assert opened.code == 0, opened.stderr
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    incident_id = opened.stdout.strip()
    for command in (("show", incident_id), ("list",), ("postmortem", "render", incident_id)):
        assert run(*command).code == 0, command


@pytest.mark.parametrize(
    "command", [("open", "caf\udce9", "-s", "SEV2"), ("open", "Cafe", "-s", "SEV2", "--by", "j\udcf6")]
)
def test_non_utf8_argument_refused(command: tuple[str, ...], repo: Path, run: Run, snapshot) -> None:
    before = snapshot(repo)
    result = run(*command)
    assert result.code == ExitCode.INVALID
    assert len(result.err_lines) == 1 and "not valid UTF-8" in result.stderr
    assert snapshot(repo) == before
