"""Who is on call when (domain/oncall.py): wall-clock handoffs across daylight saving,
restrictions, layers and overrides; escalation steps (domain/escalation.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incli.domain import escalation as esc
from incli.domain.model import Incident, TimelineEntry
from incli.domain.oncall import (
    Override,
    Schedule,
    make_layer,
    on_call_at,
    overlapping_overrides,
    parse_window,
    resolve,
    schedule_from_dict,
)
from incli.domain.severity import DEFAULT_SEVERITIES
from incli.errors import ConfigError

BERLIN = ZoneInfo("Europe/Berlin")


def weekly(start: str = "2026-10-19", rotation: tuple[str, ...] = ("alice", "bob", "carol")) -> Schedule:
    layer = make_layer("main", list(rotation), "1w", "mon 09:00", start, "Europe/Berlin")
    return Schedule("primary", (layer,))


@pytest.mark.parametrize(
    ("start", "before", "after"),
    [
        # 25 Oct 2026 and 26 Oct 2025: clocks go back in Berlin; 29 Mar 2026: forward.
        ("2026-10-19", datetime(2026, 10, 26, 7, 59, 59, tzinfo=UTC), datetime(2026, 10, 26, 8, 0, tzinfo=UTC)),
        ("2025-10-20", datetime(2025, 10, 27, 7, 59, 59, tzinfo=UTC), datetime(2025, 10, 27, 8, 0, tzinfo=UTC)),
        ("2026-03-23", datetime(2026, 3, 30, 6, 59, 59, tzinfo=UTC), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)),
    ],
)
def test_the_handoff_stays_at_nine_local_across_the_clock_change(start: str, before: datetime, after: datetime) -> None:
    schedule = weekly(start)
    first, second = on_call_at(schedule, before), on_call_at(schedule, after)
    assert (first.on_call, first.until, first.next) == ("alice", after, "bob")
    assert second.on_call == "bob"  # the handoff instant belongs to the incoming person
    assert after.astimezone(BERLIN).strftime("%a %H:%M:%S") == "Mon 09:00:00"
    # The week that spans the change is an hour longer (autumn) or shorter (spring).
    shift = next(s for s in resolve(schedule, before - timedelta(days=8), after) if s.who == "alice")
    week = timedelta(weeks=1)
    assert shift.end - shift.start in (week + timedelta(hours=1), week - timedelta(hours=1))


@settings(max_examples=60, deadline=None)
@given(
    weeks=st.integers(min_value=0, max_value=160),
    offset=st.integers(min_value=0, max_value=7 * 24 * 3600 - 1),
    size=st.integers(min_value=1, max_value=6),
)
def test_every_instant_has_the_rotation_person_of_its_week(weeks: int, offset: int, size: int) -> None:
    handles = tuple(f"p{i}" for i in range(size))
    schedule = weekly("2025-03-24", handles)
    handoff = datetime(2025, 3, 24, 9, 0) + timedelta(weeks=weeks)
    begin = handoff.replace(tzinfo=BERLIN).astimezone(UTC)
    end = (handoff + timedelta(weeks=1)).replace(tzinfo=BERLIN).astimezone(UTC)
    moment = min(begin + timedelta(seconds=offset), end - timedelta(seconds=1))
    now = on_call_at(schedule, moment)
    assert now.on_call == handles[weeks % size]
    if size > 1:
        assert now.until == end and now.next == handles[(weeks + 1) % size]


@settings(max_examples=40, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 1, 1)),
    hours=st.integers(min_value=1, max_value=24 * 40),
    length=st.sampled_from(["12h", "daily", "3d", "weekly", "8h"]),
)
def test_shifts_tile_the_range_without_gaps_or_overlaps(start: datetime, hours: int, length: str) -> None:
    handoff = "mon 09:00" if length == "weekly" else "09:00"
    layer = make_layer("a", ["x", "y"], length, handoff, "2024-12-30", "Europe/Berlin")
    begin = start.replace(tzinfo=UTC)
    end = begin + timedelta(hours=hours)
    shifts = resolve(Schedule("s", (layer,)), begin, end)
    assert shifts[0].start == begin and shifts[-1].end == end
    for a, b in zip(shifts, shifts[1:], strict=False):
        assert a.end == b.start and a.who != b.who
    for shift in shifts[1:]:
        local = shift.start.astimezone(BERLIN)
        assert (local.hour, local.minute) in ((9, 0), (21, 0), (17, 0), (1, 0))


def test_a_later_layer_wins_where_it_has_someone_and_overrides_win_over_both() -> None:
    night = make_layer("base", ["alice"], "1w", "mon 09:00", "2026-10-19", "Europe/Berlin")
    day = make_layer("day", ["dave"], "daily", "09:00", "2026-10-19", "Europe/Berlin", ["mon-fri 09:00-17:00"])
    cover = Override(
        datetime(2026, 10, 20, 10, 0, tzinfo=UTC), datetime(2026, 10, 20, 11, 0, tzinfo=UTC), "erin", "alice", "dentist"
    )
    schedule = Schedule("s", (night, day), (cover,))
    tuesday = datetime(2026, 10, 20, tzinfo=UTC)
    got = [
        (s.start.astimezone(BERLIN).strftime("%H:%M"), s.who, s.layer)
        for s in resolve(schedule, tuesday, tuesday + timedelta(days=1))
    ]
    assert got == [
        ("02:00", "alice", "base"),
        ("09:00", "dave", "day"),
        ("12:00", "erin", None),
        ("13:00", "dave", "day"),
        ("17:00", "alice", "base"),
    ]
    saturday = datetime(2026, 10, 24, 12, tzinfo=UTC)
    assert on_call_at(schedule, saturday).on_call == "alice"


def test_of_two_overlapping_overrides_the_one_created_later_wins() -> None:
    t = datetime(2026, 10, 20, 10, tzinfo=UTC)
    old = Override(t, t + timedelta(hours=4), "bob", created_at=t - timedelta(days=1))
    new = Override(t + timedelta(hours=1), t + timedelta(hours=2), "carol", created_at=t - timedelta(days=2))
    schedule = Schedule("s", weekly().layers, (old, new))
    assert on_call_at(schedule, t + timedelta(minutes=90)).on_call == "bob"  # created later, listed first
    assert overlapping_overrides(schedule) == [(0, 1)]


def test_restriction_windows_read_overnight_spans_from_the_named_day() -> None:
    night = parse_window("fri 22:00-07:00", "w")
    assert night.contains(datetime(2026, 10, 23, 23, 0)) and night.contains(datetime(2026, 10, 24, 6, 59))
    assert not night.contains(datetime(2026, 10, 24, 23, 0)) and not night.contains(datetime(2026, 10, 23, 7, 0))
    assert parse_window("mon-fri 09:00-17:00", "w").days == frozenset(range(5))
    assert parse_window("sat,sun 00:00-24:00", "w").contains(datetime(2026, 10, 25, 23, 59))


@pytest.mark.parametrize(
    ("layer", "key", "words"),
    [
        ({"handoff": "mon 09:00", "start": "2026-10-20"}, "start", "2026-10-19 or 2026-10-26"),
        ({"length": "90m"}, "length", "whole number of hours"),
        ({"tz": "Mars/Base"}, "tz", "unknown time zone"),
        ({"rotation": []}, "rotation", "non-empty"),
        ({"handoff": "25:00"}, "handoff", "not a time of day"),
        ({"restrictions": ["weekdays 9-5"]}, "restrictions", "name days"),
        ({"lenght": "1w"}, "lenght", "did you mean `length`"),
    ],
)
def test_a_bad_layer_names_its_key(layer: dict[str, object], key: str, words: str) -> None:
    data = {"rotation": ["a"], "length": "1w", "handoff": "mon 09:00", "start": "2026-10-19", "tz": "UTC", **layer}
    with pytest.raises(ConfigError) as caught:
        schedule_from_dict("s", {"layers": [data]})
    assert caught.value.key.startswith(f"layers[0].{key}") and words in str(caught.value)


# -- escalation ------------------------------------------------------------------


T0 = datetime(2026, 10, 20, 10, tzinfo=UTC)


def incident(**changes: object) -> Incident:
    item = Incident(id="INC-1", title="t", severity="SEV1", opened_at=T0, started_at=T0, detected_at=T0)
    for key, value in changes.items():
        setattr(item, key, value)
    return item


def policy() -> esc.Policy:
    return esc.parse_escalation(
        {
            "critical": {
                "levels": [
                    {"notify": ["schedule:primary"], "wait": "5m"},
                    {"notify": ["person:carol", "schedule:managers"], "wait": "10m"},
                ],
                "repeat": 1,
            }
        }
    )["critical"]


def take(item: Incident, chosen: esc.Policy, now: datetime) -> esc.Step | None:
    step = esc.due_step(item, chosen, now)
    if step is not None:
        pages = esc.step_pages(step, chosen, lambda t: [esc.Page(t, "who")])
        for entry in esc.step_entries(step, pages, now, len(chosen.levels)):
            item.add_entry(entry)
    return step


def test_levels_follow_each_wait_then_repeat_once_then_stop() -> None:
    item, chosen = incident(), policy()
    seen = []
    for minute in range(0, 60):
        step = take(item, chosen, T0 + timedelta(minutes=minute))
        if step is not None:
            seen.append((minute, step.round, step.level))
    assert seen == [(0, 1, 1), (5, 1, 2), (15, 2, 1), (20, 2, 2)]
    assert esc.upcoming(item, chosen) is None


def test_an_acknowledged_or_imported_incident_pages_nobody() -> None:
    chosen = policy()
    assert esc.due_step(incident(acknowledged_at=T0, status="acknowledged"), chosen, T0) is None
    assert esc.due_step(incident(extra={"source": {"kind": "pagerduty"}}), chosen, T0) is None
    assert esc.due_step(incident(), chosen, T0) == esc.Step(1, 1, T0, None)


def test_the_builtin_policy_follows_the_severity_table() -> None:
    sev1 = DEFAULT_SEVERITIES[0]
    builtin = esc.builtin_policy(sev1, "primary")
    assert [lv.notify for lv in builtin.levels] == [
        (esc.Target("schedule", "primary"),),
        (esc.Target("label", "VP Engineering"),),
    ]
    assert builtin.levels[0].wait == sev1.response_time
    assert esc.escalate_to_target("carol") == esc.Target("person", "carol")


def test_a_recorded_step_is_read_back_from_the_timeline_only() -> None:
    item = incident()
    item.add_entry(TimelineEntry(at=T0, kind="paged", text="Paged x", by="incli", extra={"level": 1, "round": 1}))
    assert esc.upcoming(item, policy()) == esc.Step(1, 2, T0 + timedelta(minutes=5), timedelta(minutes=5))


@settings(max_examples=60, deadline=None)
@given(summary=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=120))
def test_a_calendar_reads_back_the_summaries_and_times_it_wrote(summary: str) -> None:
    from incli.domain import ical

    start = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    text = ical.calendar(
        [ical.Event("u1", start, start + timedelta(hours=9), summary, "d; with, commas\\")],
        name="n",
        stamp=start,
    )
    [event] = ical.parse_events(text)
    assert (event.summary, event.start, event.end) == (summary, start, start + timedelta(hours=9))
