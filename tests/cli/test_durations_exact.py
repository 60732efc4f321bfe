"""Durations are exact (issue 11): never rounded to their largest unit, one formatter for all."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incli.domain.times import describe_duration, parse_duration, short_duration
from tests.conftest import Run

# 22:52 on one day to 23:03 the next: 1,451 minutes.
START, END = "2025-01-14T22:52:00+00:00", "2025-01-15T23:03:00+00:00"


@pytest.mark.parametrize(
    ("delta", "long", "short"),
    [
        (timedelta(minutes=1451), "1 day 11 minutes", "1d 0h 11m"),
        (timedelta(days=13, hours=16, minutes=19), "13 days 16 hours 19 minutes", "13d 16h 19m"),
        (timedelta(minutes=3, seconds=20), "3 minutes 20 seconds", "3m 20s"),
        (timedelta(seconds=45, microseconds=999999), "45 seconds", "45s"),
        (timedelta(0), "0 seconds", "0s"),
        (timedelta(minutes=59, seconds=59), "59 minutes 59 seconds", "59m 59s"),
        (timedelta(hours=1), "1 hour", "1h"),
        (timedelta(hours=1, seconds=59), "1 hour", "1h"),  # seconds only under an hour
        (timedelta(days=2), "2 days", "2d"),
        (timedelta(days=1, hours=1), "1 day 1 hour", "1d 1h"),
        (timedelta(minutes=5), "5 minutes", "5m"),
    ],
)
def test_duration_text_is_exact(delta: timedelta, long: str, short: str) -> None:
    assert describe_duration(delta) == long
    assert short_duration(delta) == short


def test_negative_span_is_never_a_duration() -> None:
    assert describe_duration(timedelta(seconds=-90)) == "-"
    assert short_duration(timedelta(days=-1, hours=3)) == "-"


def _shown(delta: timedelta) -> timedelta:
    """What the formatter promises to keep: to the second under an hour, to the minute above."""
    whole = timedelta(days=delta.days, seconds=delta.seconds)
    return whole if whole < timedelta(hours=1) else timedelta(minutes=whole // timedelta(minutes=1))


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4000)))
def test_both_forms_read_back_as_the_same_exact_duration(delta: timedelta) -> None:
    assert parse_duration(short_duration(delta)) == _shown(delta)
    assert parse_duration(describe_duration(delta)) == _shown(delta)


@given(st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(days=4000)))
def test_no_unit_is_dropped_above_an_hour(delta: timedelta) -> None:
    minutes = delta // timedelta(minutes=1)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    text = short_duration(delta)
    assert (f"{mins}m" in text) == bool(mins)
    assert (f"{hours}h" in text) == bool(hours or (days and mins))
    assert (f"{days}d" in text) == bool(days)


@pytest.fixture
def long_incident(repo: Path, run: Run) -> str:
    opened = run("open", "Database failover", "-s", "SEV2", "--at", START)
    assert opened.code == 0, opened.stderr
    incident_id = opened.stdout.strip()
    assert run("resolve", incident_id, "--at", END).code == 0
    return incident_id


def test_show_list_and_postmortem_spell_1451_minutes(long_incident: str, run: Run) -> None:
    shown = run("show", long_incident).stdout
    # Not a terminal: the fields are label<TAB>value lines.
    spans = {line.split("\t")[0]: line.split("\t")[-1] for line in shown.splitlines() if "\t" in line}
    assert spans["Duration"] == "1 day 11 minutes"
    assert spans["Time to resolve"] == "1 day 11 minutes"
    listed = run("list").stdout
    assert "1d 0h 11m" in listed
    rendered = run("postmortem", "render", long_incident)
    assert rendered.code == 0, rendered.stderr
    assert "**Duration:** 1 day 11 minutes" in rendered.stdout


def test_status_shows_exact_age_of_an_active_incident(repo: Path, run: Run) -> None:
    opened = run("open", "Slow checkout", "-s", "SEV3", "--at", "25h 11m ago")
    assert opened.code == 0, opened.stderr
    status = run("status").stdout
    assert "1d 1h 11m" in status


def test_report_shows_exact_durations(long_incident: str, repo: Path, run: Run, tmp_path: Path) -> None:
    site = tmp_path / "site"
    built = run("report", "-o", str(site))
    assert built.code == 0, built.stderr
    index = (site / "index.html").read_text()
    assert 'title="1 day 11 minutes">1d 0h 11m' in index
    pages = [p.read_text() for p in site.rglob("*.html") if long_incident in p.name]
    assert pages and "1 day 11 minutes" in pages[0]
