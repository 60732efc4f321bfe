"""The status page's uptime and bars (domain/statuspage.py), checked against hand arithmetic,
and its privacy scan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incli.domain import statuspage as sp
from incli.domain.model import Incident, TimelineEntry
from incli.errors import ConfigError

NOW = datetime(2025, 3, 31, 12, 0, tzinfo=UTC)
CHECKOUT = sp.Component("checkout", "Checkout", ("checkout",))


def incident(started: datetime, mitigated: datetime | None, *, severity: str = "SEV2", **extra: object) -> Incident:
    found = Incident(
        id=f"INC-{started:%Y%m%d}-abcde",
        title="internal",
        severity=severity,
        opened_at=started,
        started_at=started,
        detected_at=started,
        service="checkout",
        status="mitigated" if mitigated else "open",
        mitigated_at=mitigated,
        timeline=[TimelineEntry(at=started, kind="opened", text="Opened")],
    )
    found.extra.update(extra)
    return found


def test_uptime_matches_hand_arithmetic() -> None:
    # 90 days: 2025-01-01 00:00 UTC to now, 2025-03-31 12:00 = 89 whole days and 12 hours
    # = 89 * 1440 + 720 = 128,880 minutes. Impact: 60 minutes (to mitigation, not resolution)
    # plus 30 minutes overlapping the first incident by 10 minutes: 60 + 20 = 80 minutes.
    # Uptime = 1 - 80 / 128,880 = 99.93792...% -> shown as 99.93%.
    first = incident(datetime(2025, 3, 10, 8, 0, tzinfo=UTC), datetime(2025, 3, 10, 9, 0, tzinfo=UTC))
    first.resolved_at = datetime(2025, 3, 11, 9, 0, tzinfo=UTC)  # resolution does not count
    first.status = "resolved"
    second = incident(
        datetime(2025, 3, 10, 8, 50, tzinfo=UTC), datetime(2025, 3, 10, 9, 20, tzinfo=UTC), severity="SEV1"
    )
    drill = incident(datetime(2025, 3, 20, 8, 0, tzinfo=UTC), datetime(2025, 3, 20, 20, 0, tzinfo=UTC))
    drill.drill = True
    result = sp.uptime(CHECKOUT, [first, second, drill], [], sp.Settings(), NOW)
    assert len(result.days) == 90
    assert result.days[0].day.isoformat() == "2025-01-01" and result.days[-1].day.isoformat() == "2025-03-31"
    assert result.impact == timedelta(minutes=80)
    assert result.percent == pytest.approx(100 * (1 - 80 / 128_880))
    assert sp.percent_text(result.percent) == "99.93%"
    day = next(d for d in result.days if d.day.isoformat() == "2025-03-10")
    assert (day.state, day.minutes) == ("major_outage", 80)  # the worst state that day
    assert next(d for d in result.days if d.day.isoformat() == "2025-03-20").state == "operational"  # the drill


def test_impact_minutes_round_up_and_an_empty_window_hides_nothing_after_it() -> None:
    at = datetime(2025, 3, 30, 10, 0, tzinfo=UTC)
    one_second = incident(at - timedelta(days=1), at - timedelta(days=1) + timedelta(seconds=1))
    instant = incident(at, at)  # mitigated as it began: no impact
    later = [incident(at + timedelta(hours=1), at + timedelta(hours=1, minutes=1)),
             incident(at + timedelta(hours=2), at + timedelta(hours=2, minutes=1, seconds=30))]  # fmt: skip
    result = sp.uptime(CHECKOUT, [one_second, instant, *later], [], sp.Settings(), NOW)
    minutes = {d.day.isoformat(): d.minutes for d in result.days if d.minutes}
    assert minutes == {"2025-03-29": 1, "2025-03-30": 3}  # 1 s is a minute; 1 m + 1.5 m is 3
    assert result.impact == timedelta(minutes=2, seconds=31)


def test_maintenance_counts_from_its_start_until_now_and_only_on_its_component() -> None:
    start = NOW - timedelta(minutes=30)
    windows = [
        sp.Window("MNT-1", "checkout", start, NOW + timedelta(hours=1), "Upgrade", start),
        sp.Window("MNT-2", "search", start - timedelta(hours=2), NOW, "Elsewhere", start),
        sp.Window("MNT-3", "checkout", NOW, NOW + timedelta(hours=1), "Not begun", start),
    ]
    today = sp.uptime(CHECKOUT, [], windows, sp.Settings(), NOW).days[-1]
    assert (today.state, today.maintenance, today.minutes) == ("under_maintenance", 30, 0)


def test_a_page_with_no_time_behind_it_is_fully_up() -> None:
    first_instant = datetime(2025, 1, 1, 0, 0, tzinfo=UTC)  # the first day's start, with 90 days from NOW
    assert sp.uptime(CHECKOUT, [], [], sp.Settings(), first_instant, days=1).percent == 100.0
    down = incident(first_instant - timedelta(days=3), None)  # down since before the bar: everything lost
    assert sp.uptime(CHECKOUT, [down], [], sp.Settings(), NOW, days=1).percent == 0.0


def test_days_follow_the_page_time_zone() -> None:
    # 23:30 to 00:30 UTC on 10/11 March is 00:30 to 01:30 on 11 March in Berlin (UTC+1).
    late = incident(datetime(2025, 3, 10, 23, 30, tzinfo=UTC), datetime(2025, 3, 11, 0, 30, tzinfo=UTC))
    utc = sp.uptime(CHECKOUT, [late], [], sp.Settings(), NOW)
    berlin = sp.uptime(CHECKOUT, [late], [], sp.Settings(timezone="Europe/Berlin"), NOW)
    by_day = {d.day.isoformat(): d.minutes for d in utc.days if d.minutes}
    assert by_day == {"2025-03-10": 30, "2025-03-11": 30}
    assert {d.day.isoformat(): d.minutes for d in berlin.days if d.minutes} == {"2025-03-11": 60}
    ahead = sp.uptime(CHECKOUT, [], [], sp.Settings(timezone="Pacific/Kiritimati"), NOW)  # UTC+14
    assert ahead.days[-1].day.isoformat() == "2025-04-01"  # already tomorrow there


def test_private_impact_counts_only_when_configured_and_maintenance_is_not_downtime() -> None:
    hidden = incident(datetime(2025, 3, 30, 10, 0, tzinfo=UTC), datetime(2025, 3, 30, 11, 0, tzinfo=UTC), private=True)
    window = sp.Window("MNT-1", "checkout", NOW - timedelta(hours=1), NOW + timedelta(hours=1), "x", NOW)
    plain = sp.uptime(CHECKOUT, [hidden], [window], sp.Settings(), NOW)
    assert plain.percent == 100.0 and plain.days[-1].state == "under_maintenance"
    assert plain.days[-1].maintenance == 60
    counted = sp.uptime(CHECKOUT, [hidden], [window], sp.Settings(count_private_impact=True), NOW)
    assert counted.impact == timedelta(hours=1)
    assert sp.component_state(CHECKOUT, [hidden], [window], sp.Settings(), NOW) == "under_maintenance"


def test_state_from_severity_is_configurable() -> None:
    active = incident(NOW - timedelta(hours=1), None, severity="SEV3")
    assert sp.component_state(CHECKOUT, [active], [], sp.Settings(), NOW) == "degraded_performance"
    settings = sp.settings_from_config({"states": {"SEV3": "major_outage"}})
    assert sp.component_state(CHECKOUT, [active], [], settings, NOW) == "major_outage"
    with pytest.raises(ConfigError, match="statuspage.states.SEV3"):
        sp.settings_from_config({"states": {"SEV3": "down"}})
    with pytest.raises(ConfigError, match="did you mean `components`"):
        sp.settings_from_config({"component": []})


def test_default_public_title() -> None:
    assert sp.public_title(incident(NOW, None), sp.Settings()) == "Degraded performance on checkout"
    assert sp.public_title(incident(NOW, None, public_title="Slow payments"), sp.Settings()) == "Slow payments"


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("mail ops@acme.example now", "an e-mail address"),
        ("db at 10.20.30.40 is full", "an IP address"),
        ("host fe80::1ff:fe23:4567:890a down", "an IP address"),
        ("token ghp_0123456789abcdefghijABCDEFGHIJ012345", "GitHub token"),
        ("AKIAIOSFODNN7EXAMPLE leaked", "AWS access key"),
        ("password=hunter22", "credential"),
        ("key aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gH3 here", "a secret"),
        ("pg-primary.internal is slow", "host name"),
        ("Alice Smith restarted it", "person"),
        ("@asmith is on it", "person"),
    ],
)
def test_scan_finds(text: str, what: str) -> None:
    people = sp.people_words(["Alice Smith", "asmith"])
    found = sp.scan("here", text, people, ["*.internal"])
    assert any(what in f.what for f in found), found


@pytest.mark.parametrize(
    "text",
    [
        "Checkout is slow since 14:30; we rolled back release 2025.03.1 and are watching.",
        "Error rates are back to 0.1% after the fix at 09:15:30.",
        "Deployed commit 3f2a9c1b7e4d5a6b8c9d0e1f2a3b4c5d6e7f8a9b.",
    ],
)
def test_scan_leaves_ordinary_text(text: str) -> None:
    assert sp.scan("here", text, sp.people_words(["Alice Smith"]), ["*.internal"]) == []


@settings(max_examples=40, deadline=None)
@given(
    st.from_regex(r"[a-z]{1,10}(\.[a-z]{1,5})?", fullmatch=True),
    st.from_regex(r"[a-z]{2,10}\.(com|net|example|io)", fullmatch=True),
    st.text(alphabet="abc XYZ,.;", max_size=30),
)
def test_any_embedded_email_is_found(local: str, domain: str, around: str) -> None:
    text = f"{around} {local}@{domain} {around}"
    assert any(f.what == "an e-mail address" for f in sp.scan("x", text, [], []))


def test_a_reopened_incident_hurts_again_only_from_its_reopening() -> None:
    # Impact 08:00-09:00, mitigated; reopened 11:00, mitigated again 11:30: 90 minutes, not 3h30.
    start = datetime(2025, 3, 10, 8, 0, tzinfo=UTC)
    again = incident(start, datetime(2025, 3, 10, 11, 30, tzinfo=UTC))
    again.timeline += [
        TimelineEntry(at=datetime(2025, 3, 10, 9, 0, tzinfo=UTC), kind="mitigated", text="Mitigated"),
        TimelineEntry(at=datetime(2025, 3, 10, 11, 0, tzinfo=UTC), kind="reopened", text="Reopened"),
        TimelineEntry(at=datetime(2025, 3, 10, 11, 30, tzinfo=UTC), kind="mitigated", text="Mitigated"),
    ]
    assert sp.uptime(CHECKOUT, [again], [], sp.Settings(), NOW).impact == timedelta(minutes=90)
