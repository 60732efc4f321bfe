"""Paging and escalation: inc open pages level 1, inc remind --at steps through the levels
(each page exactly once, hooks with the contact fields), inc ack stops it, inc status shows
it, and inc oncall report counts the load."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import inc

HOOK = """
import json, os, sys
record = {"event": os.environ["INC_EVENT"], "env": {k: v for k, v in os.environ.items() if k.startswith("INC_PAGE_")},
          "stdin": json.load(sys.stdin)}
with open(sys.argv[1], "a", encoding="utf-8") as log:
    log.write(json.dumps(record) + "\\n")
"""

CONFIG = """
people:
  alice: {name: Alice Doe, tz: Europe/Berlin, email: alice@example.org, slack: "@alice", phone: "+49 30 1234",
          pager: A1}
  carol: {name: Carol Roe, email: carol@example.org}
escalation:
  critical:
    levels:
      - notify: ["schedule:primary"]
        wait: 5m
      - notify: ["person:carol"]
        wait: 10m
hooks:
  page:
    - run: [PYTHON, HOOK, LOG]
  escalated:
    - run: [PYTHON, HOOK, LOG]
"""


def calls(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture
def paging(repo: Path, tmp_path: Path) -> Path:
    hook = tmp_path / "hook.py"
    hook.write_text(HOOK)
    log = tmp_path / "hook.log"
    config = repo / "incli.yaml"
    text = config.read_text().replace(
        "escalate_to: VP Engineering", "escalate_to: VP Engineering\n  escalation: critical"
    )
    hooked = CONFIG.replace("PYTHON", json.dumps(sys.executable)).replace("HOOK", json.dumps(str(hook)))
    config.write_text(text + hooked.replace("LOG", json.dumps(str(log))))
    inc("oncall", "new", "primary", "--rotation", "alice,bob", "--every", "1w", "--handoff", "mon 09:00",
        "--tz", "Europe/Berlin", "--start", "2026-10-19")  # fmt: skip
    return log


def timeline(incident_id: str) -> list[tuple[str, str, str]]:
    data = inc("show", incident_id, "--json").json
    return [(e["at"], e["kind"], e["text"]) for e in data["timeline"] if e["kind"] in ("paged", "escalated")]


def test_open_pages_level_one_and_remind_steps_through_each_level_once(paging: Path) -> None:
    log = paging
    incident = inc("open", "Checkout down", "-s", "SEV1", "--at", "2026-10-20T10:00Z").stdout.strip()
    [page] = calls(log)
    assert page["event"] == "page"
    assert page["env"] == {
        "INC_PAGE_HANDLE": "alice",
        "INC_PAGE_LEVEL": "1",
        "INC_PAGE_TARGET": "schedule:primary",
        "INC_PAGE_LABEL": "",
        "INC_PAGE_TEXT": "Paged alice (level 1, schedule primary)",
        "INC_PAGE_NAME": "Alice Doe",
        "INC_PAGE_TZ": "Europe/Berlin",
        "INC_PAGE_EMAIL": "alice@example.org",
        "INC_PAGE_SLACK": "@alice",
        "INC_PAGE_PHONE": "+49 30 1234",
        "INC_PAGE_PAGER": "A1",
    }
    assert page["stdin"]["incident"]["id"] == incident and page["stdin"]["page"]["contact"]["phone"] == "+49 30 1234"
    assert timeline(incident) == [("2026-10-20T10:00:00+00:00", "paged", "Paged alice (level 1, schedule primary)")]

    assert "No new reminders to send." in inc("remind", "--at", "2026-10-20T10:04:59Z").stderr
    assert len(calls(log)) == 1
    stepped = inc("remind", "--at", "2026-10-20T10:05Z").stdout
    # Piped, inc remind prints its table tab-separated: incident, event, due, what, outcome.
    assert f"{incident}\tescalated\t" in stepped
    assert "\tEscalated to level 2: carol, not acknowledged within 5m\t" in stepped
    for again in ("2026-10-20T10:05Z", "2026-10-20T10:14Z", "2026-10-20T10:30Z", "2026-10-21T10:00Z"):
        assert "\tpage\t" not in inc("remind", "--at", again).stdout
    assert [(c["event"], c["env"].get("INC_PAGE_HANDLE")) for c in calls(log)] == [
        ("page", "alice"),
        ("escalated", None),
        ("page", "carol"),
    ]
    assert calls(log)[2]["env"]["INC_PAGE_EMAIL"] == "carol@example.org"
    assert timeline(incident)[1:] == [
        ("2026-10-20T10:05:00+00:00", "escalated", "Escalated to level 2: carol, not acknowledged within 5m"),
        ("2026-10-20T10:05:00+00:00", "paged", "Paged carol (level 2)"),
    ]
    status = inc("status", "--json").json[0]["escalation"]
    assert status == {"reached": {"level": 2, "round": 1}, "next": None}


NOBODY = "Paged nobody: no one is on call on schedule nights"


def test_a_repeated_level_pages_every_target_again_and_nobody_is_said(paging: Path, repo: Path) -> None:
    config = repo / "incli.yaml"
    policy = (
        'escalation:\n  critical:\n    levels:\n      - notify: ["schedule:primary", "schedule:nights", '
        '"person:carol"]\n        wait: 5m\n    repeat: 1\n'
    )
    text = config.read_text()
    start = text.index("escalation:\n  critical:")
    end = text.index("hooks:", start)
    config.write_text(text[:start] + policy + text[end:])
    inc("oncall", "new", "nights", "--rotation", "dave", "--every", "1d", "--handoff", "22:00", "--tz", "UTC",
        "--start", "2026-10-19", "--only", "22:00-06:00")  # fmt: skip
    incident = inc("open", "Checkout down", "-s", "SEV1", "--at", "2026-10-20T10:00Z").stdout.strip()
    inc("remind", "--at", "2026-10-20T10:05Z")
    assert timeline(incident) == [
        ("2026-10-20T10:00:00+00:00", "paged", "Paged alice (level 1, schedule primary)"),
        ("2026-10-20T10:00:00+00:00", "paged", f"{NOBODY} (level 1, schedule nights)"),
        ("2026-10-20T10:00:00+00:00", "paged", "Paged carol (level 1)"),
        ("2026-10-20T10:05:00+00:00", "escalated",
         "Escalated to level 1 (repeat 1): alice, nobody, carol, not acknowledged within 5m"),
        ("2026-10-20T10:05:00+00:00", "paged", "Paged alice (level 1, schedule primary, repeat 1)"),
        ("2026-10-20T10:05:00+00:00", "paged", f"{NOBODY} (level 1, schedule nights, repeat 1)"),
        ("2026-10-20T10:05:00+00:00", "paged", "Paged carol (level 1, repeat 1)"),
    ]  # fmt: skip
    pages = [c["stdin"]["page"] for c in calls(paging) if c["event"] == "page"]
    assert [(p["handle"], p["level"], p["round"], p["target"], p["label"]) for p in pages] == [
        ("alice", 1, 1, "schedule:primary", None),
        (None, 1, 1, "schedule:nights", None),
        ("carol", 1, 1, "person:carol", None),
        ("alice", 1, 2, "schedule:primary", None),
        (None, 1, 2, "schedule:nights", None),
        ("carol", 1, 2, "person:carol", None),
    ]
    assert pages[2]["at"] == "2026-10-20T10:00:00+00:00" and pages[2]["contact"]["email"] == "carol@example.org"
    assert pages[1]["contact"] == {}  # nobody to reach
    assert "\tpage\t" not in inc("remind", "--at", "2026-10-20T11:00Z").stdout  # the repeat was the last round


def test_ack_stops_the_escalation_and_status_shows_the_next_page(paging: Path) -> None:
    incident = inc("open", "Search slow", "-s", "SEV1", "--at", "2026-10-20T10:00Z").stdout.strip()
    table = inc("status").stdout
    assert "Escalation" in table and f"{incident}  level 1; next: level 2 (carol) at 2026-10-20 10:05" in table
    inc("ack", incident, "--at", "2026-10-20T10:03Z", "--by", "alice")
    assert "\tpage\t" not in inc("remind", "--at", "2026-10-20T10:30Z").stdout
    assert len(calls(paging)) == 1
    assert inc("status", "--json").json[0]["escalation"]["next"] is None


def test_the_builtin_policy_pages_the_schedule_then_records_the_label(repo: Path) -> None:
    inc("oncall", "new", "primary", "--rotation", "alice", "--every", "1d", "--handoff", "09:00", "--tz", "UTC",
        "--start", "2026-10-19")  # fmt: skip
    incident = inc("open", "Queue backlog", "-s", "SEV2", "--at", "2026-10-20T10:00Z").stdout.strip()
    inc("remind", "--at", "2026-10-20T10:14Z")
    out = inc("remind", "--at", "2026-10-20T10:15Z").stdout
    assert "\tescalated\t" in out and "Escalation due: Engineering Manager (level 2)" in out
    assert [t for _at, _k, t in timeline(incident)] == [
        "Paged alice (level 1, schedule primary)",
        "Escalated to level 2: Engineering Manager, not acknowledged within 15m",
        "Escalation due: Engineering Manager (level 2)",
    ]


def test_without_schedules_or_policies_nothing_is_paged(repo: Path) -> None:
    incident = inc("open", "Quiet", "-s", "SEV1", "--at", "2026-10-20T10:00Z").stdout.strip()
    inc("remind", "--at", "2026-10-20T12:00Z")
    assert timeline(incident) == []
    assert "escalation" not in inc("status", "--json").json[0]


def test_the_load_report_matches_a_count_by_hand(paging: Path) -> None:
    # Tue 12:00 Berlin (working hours): alice paged, acknowledges after 3 minutes.
    day = inc("open", "Day", "-s", "SEV1", "--at", "2026-10-20T10:00Z").stdout.strip()
    inc("ack", day, "--at", "2026-10-20T10:03Z", "--by", "alice")
    # Sat 03:00 Berlin (outside working hours, sleep hours): alice paged, then carol at 01:05 UTC.
    night = inc("open", "Night", "-s", "SEV1", "--at", "2026-10-24T01:00Z").stdout.strip()
    inc("remind", "--at", "2026-10-24T01:05Z")
    inc("ack", night, "--at", "2026-10-24T01:09Z", "--by", "Carol Roe")
    # Thu 20:00 Berlin: outside working hours, not sleep hours; alice acknowledges after 10 minutes.
    evening = inc("open", "Evening", "-s", "SEV1", "--at", "2026-10-22T18:00Z").stdout.strip()
    inc("ack", evening, "--at", "2026-10-22T18:10Z", "--by", "alice")
    rows = {r["person"]: r for r in inc("oncall", "report", "--json").json}
    assert rows["alice"] == {
        "person": "alice",
        "name": "Alice Doe",
        "pages": 3,
        "acknowledged": 2,
        "outside_working_hours": 2,
        "sleep_hours": 1,
        "time_to_ack_median_seconds": 390.0,
        "time_to_ack_p90_seconds": 600.0,
    }
    assert rows["carol"] == {
        "person": "carol",
        "name": "Carol Roe",
        "pages": 1,
        "acknowledged": 1,
        "outside_working_hours": 1,
        "sleep_hours": 1,
        "time_to_ack_median_seconds": 240.0,
        "time_to_ack_p90_seconds": 240.0,
    }
    since = {r["person"]: r["pages"] for r in inc("oncall", "report", "--since", "2026-10-22", "--json").json}
    assert since == {"alice": 2, "carol": 1}
    table = inc("oncall", "report").stdout
    assert "alice" in table and "6m 30s" in table


def test_the_load_report_edges(paging: Path) -> None:
    """Pages in each person's own zone (else the repository's), the --since edge, an ack in the
    same instant as the page, an ack by a handle nobody declared, the busiest person first."""
    late = inc("open", "Late", "-s", "SEV1", "--at", "2026-10-20T21:30Z").stdout.strip()  # 23:30 for alice
    inc("ack", late, "--at", "2026-10-20T21:30Z", "--by", "alice")
    later_still = inc("open", "Later", "-s", "SEV1", "--at", "2026-10-21T21:00Z").stdout.strip()  # 23:00 for alice
    inc("ack", later_still, "--at", "2026-10-21T21:04Z", "--by", "alice doe")  # her name: her handle
    day = inc("open", "Day", "-s", "SEV1", "--at", "2026-10-27T10:00Z").stdout.strip()  # bob's week
    inc("ack", day, "--at", "2026-10-27T10:02Z", "--by", "bob")
    inc("open", "Unanswered", "-s", "SEV1", "--at", "2026-10-28T10:00Z")
    inc("remind", "--at", "2026-10-28T10:05Z")  # carol next, in UTC (no tz of her own): working hours
    rows = inc("oncall", "report", "--json").json
    assert [(r["person"], r["name"], r["pages"], r["acknowledged"]) for r in rows] == [
        ("alice", "Alice Doe", 2, 2),  # as busy as bob: by handle
        ("bob", None, 2, 1),
        ("carol", "Carol Roe", 1, 0),
    ]
    alice = rows[0]
    assert (alice["outside_working_hours"], alice["sleep_hours"]) == (2, 2)
    assert (alice["time_to_ack_median_seconds"], alice["time_to_ack_p90_seconds"]) == (120.0, 240.0)
    assert (rows[2]["outside_working_hours"], rows[2]["sleep_hours"]) == (0, 0)
    since = inc("oncall", "report", "--since", "2026-10-27T10:00Z", "--json").json
    assert [(r["person"], r["pages"], r["acknowledged"]) for r in since] == [("bob", 2, 1), ("carol", 1, 0)]
    assert since[0]["time_to_ack_median_seconds"] == 120.0
    later = inc("oncall", "report", "--since", "2026-10-28T10:03Z", "--json").json
    assert [(r["person"], r["pages"]) for r in later] == [("carol", 1)]


@pytest.mark.usefixtures("paging")
def test_the_load_report_uses_the_repository_zone_and_counts_only_acks_it_can_place(repo: Path) -> None:
    config = repo / "incli.yaml"
    config.write_text(re.sub(r"^timezone:.*$", "timezone: Asia/Tokyo", config.read_text(), flags=re.MULTILINE))
    paged = inc("open", "Night in Tokyo", "-s", "SEV1", "--at", "2026-10-27T10:00Z").stdout.strip()  # bob's week
    inc("remind", "--at", "2026-10-27T10:05Z")  # carol (no tz of her own): 19:05 in Tokyo, outside working hours
    inc("ack", paged, "--at", "2026-10-27T10:06Z", "--by", "Some Body")  # no handle, no declared name: nobody's
    other = inc("open", "Quiet", "-s", "SEV1", "--at", "2026-10-27T11:00Z").stdout.strip()
    inc("ack", other, "--at", "2026-10-27T11:00Z", "--by", "carol")  # carol acks a page that went to bob
    rows = {r["person"]: r for r in inc("oncall", "report", "--json").json}
    assert set(rows) == {"bob", "carol"}
    assert (rows["carol"]["pages"], rows["carol"]["outside_working_hours"], rows["carol"]["acknowledged"]) == (1, 1, 1)
    assert rows["carol"]["time_to_ack_median_seconds"] is None  # never paged on that incident
    since = {r["person"]: r for r in inc("oncall", "report", "--since", "2026-10-27T11:00Z", "--json").json}
    assert since["carol"]["acknowledged"] == 1  # an ack on the --since instant counts


@pytest.mark.usefixtures("paging")
def test_working_and_sleep_hours_start_on_their_minute_and_end_before_their_last() -> None:
    # alice's week (Europe/Berlin: UTC+2 until 25 October, UTC+1 after).
    for at in ("2026-10-20T07:00Z", "2026-10-20T07:30Z", "2026-10-20T15:00Z", "2026-10-20T20:00Z",
               "2026-10-21T05:00Z", "2026-10-26T02:00Z"):  # fmt: skip
        ident = inc("open", f"Page at {at}", "-s", "SEV1", "--at", at).stdout.strip()
        inc("resolve", ident, "--at", at)
    [alice] = [r for r in inc("oncall", "report", "--json").json if r["person"] == "alice"]
    # 09:00 and 09:30 are working hours, 17:00 is not; 22:00 and Monday 03:00 are sleep hours, 07:00 is not.
    assert (alice["pages"], alice["outside_working_hours"], alice["sleep_hours"]) == (6, 4, 2)


def test_an_incident_opened_by_alert_ingest_pages_level_one(paging: Path) -> None:
    from tests.alertpayloads import firing_two

    inc("ingest", "alertmanager", "-", input=json.dumps(firing_two()))
    [page] = calls(paging)
    assert page["event"] == "page" and page["env"]["INC_PAGE_HANDLE"] in ("alice", "bob")
    [incident] = inc("list", "--json").json
    assert [t for _at, kind, t in timeline(incident["id"]) if kind == "paged"] == [page["env"]["INC_PAGE_TEXT"]]


def test_remind_announces_each_handoff_once_with_the_markdown(paging: Path) -> None:
    config = paging.parent / "repo" / "incli.yaml"
    hook = json.dumps(str(paging.parent / "hook.py"))
    config.write_text(
        config.read_text()
        + f"  handoff:\n    - run: [{json.dumps(sys.executable)}, {hook}, {json.dumps(str(paging))}]\n"
    )
    first = inc("remind", "--at", "2026-10-26T08:00:30Z").stderr
    assert "handoff: primary: bob takes over from alice" in first
    assert "handoff:" not in inc("remind", "--at", "2026-10-26T08:01:30Z").stderr
    [turn] = [c for c in calls(paging) if c["event"] == "handoff"]
    assert turn["stdin"]["handoff"]["incoming"] == "bob"
    assert turn["stdin"]["handoff"]["markdown"].startswith("# Handoff: primary\n\nbob takes over from alice")
