"""Bugs the sampled mutation run of issue 19 showed no test would catch, each as the test a user's
report would have become."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from incli.domain import alerts, escalation, jsontext, reportdata, runbooks, search, statuspage
from incli.domain import postmortem as pm
from incli.domain.config import config_from_dict
from incli.domain.merge import merge
from incli.domain.metrics import action_summary, facts_from_incident
from incli.domain.model import TimelineEntry, incident_from_dict
from incli.domain.oncall import resolve, schedule_from_dict
from incli.errors import ConfigError
from incli.integrations import sources
from tests import alertpayloads as ap
from tests.unit.test_merge import base_incident, postmortem, sides

SCALE: dict[str, Any] = {
    # Ids whose alphabetical order is not their order of severity: crit < info < warn.
    "severities": [
        {"id": "crit", "name": "critical", "response_time": "5m"},
        {"id": "warn", "name": "warning", "response_time": "1h"},
        {"id": "info", "name": "informational", "response_time": "1d"},
    ],
    "alerts": {"severity_map": {"critical": "crit", "warning": "warn", "info": "info"}, "default_severity": "info"},
}


def test_a_group_of_alerts_takes_the_most_severe_level_by_the_scale_not_by_name() -> None:
    config = config_from_dict(SCALE)
    payload = ap.notification([ap.alert("a", severity="info"), ap.alert("b", severity="warning")])
    notification = sources.source_named("alertmanager").parse(json.dumps(payload))
    assert alerts.group_severity(notification, config.alerts, config).id == "warn"


def test_a_scale_without_sev3_falls_back_to_its_middle_level_for_unmapped_alerts() -> None:
    config = config_from_dict({"severities": SCALE["severities"]})
    assert config.alerts.default_severity == "warn"


def test_json_text_keeps_non_ascii_letters_as_they_are() -> None:
    assert jsontext.dumps({"title": "Zahlungen fehlgeschlagen für 日本"}) == (
        '{\n  "title": "Zahlungen fehlgeschlagen für 日本"\n}'
    )
    other = {1: "Zahlungen für 日本", "t": ["é"]}  # a key json turns into text: the standard library's way
    assert jsontext.dumps(other) == '{\n  "1": "Zahlungen für 日本",\n  "t": [\n    "é"\n  ]\n}'
    assert jsontext.dumps(other, 2) == "  " + jsontext.dumps(other).replace("\n", "\n  ")


def test_an_action_item_keeps_its_priority_and_when_it_was_done() -> None:
    data = base_incident()
    data["actions"] = [
        {
            "id": "a1",
            "title": "Add an alert",
            "owner": "alice",
            "status": "done",
            "priority": "high",
            "done_at": "2025-01-20T10:00:00+00:00",
        },
    ]
    items = reportdata.action_items(incident_from_dict(data))
    assert [(i.priority, i.status, i.done_at) for i in items] == [("high", "done", "2025-01-20T10:00:00+00:00")]


def test_the_report_counts_drills_as_left_out() -> None:
    drill = incident_from_dict({**base_incident(), "id": "dr111", "drill": True})
    real = incident_from_dict(base_incident())
    facts = [facts_from_incident(drill), facts_from_incident(drill), facts_from_incident(real)]
    stats = reportdata.monthly_stats(facts, config_from_dict({}), UTC)
    assert (stats.drills, stats.incidents) == (2, 1)


def test_two_shifts_of_the_same_person_in_a_row_are_one_shift() -> None:
    schedule = schedule_from_dict(
        "primary",
        {
            "schema": 1,
            "layers": [
                {
                    "name": "day",
                    "rotation": ["alice"],
                    "length": "daily",
                    "handoff": "09:00",
                    "start": "2025-10-20",
                    "tz": "UTC",
                },
            ],
        },
    )
    start = datetime(2025, 10, 21, 0, 0, tzinfo=UTC)
    shifts = resolve(schedule, start, start + timedelta(days=3))
    assert [(s.start, s.end, s.who) for s in shifts] == [(start, start + timedelta(days=3), "alice")]


def test_a_section_is_named_as_people_type_it() -> None:
    for typed in ("root_cause", "Root-Cause", " root-cause "):
        postmortem: dict[str, Any] = {}
        assert pm.add_to_section(postmortem, typed, "Retry storm") == "root_causes"


def test_an_action_item_due_tomorrow_is_due_the_next_day() -> None:
    today = date(2025, 2, 28)
    assert pm.parse_due("Tomorrow", today) == date(2025, 3, 1)
    assert pm.parse_due("today", today) == today


def test_the_checklist_summary_says_only_what_is_there() -> None:
    data = base_incident()
    data["tasks"] = [
        {"id": "t1", "title": "Open a channel", "done_at": "2025-01-15T14:31:00+00:00"},
        {"id": "t2", "title": "Page the owner", "due_at": "2025-01-15T14:40:00+00:00"},
    ]
    incident = incident_from_dict(data)
    assert runbooks.checklist_summary(incident, datetime(2025, 1, 15, 14, 35, tzinfo=UTC)) == "1 of 2 done"
    assert runbooks.checklist_summary(incident, datetime(2025, 1, 15, 14, 45, tzinfo=UTC)) == "1 of 2 done, 1 late"


def test_a_search_phrase_is_the_words_in_order_once_each() -> None:
    assert search.fts_queries("disk full, disk") == ('"disk full"', '"disk" "full"')


def test_a_page_names_a_handle_nobody_described() -> None:
    entry = TimelineEntry(datetime(2025, 1, 15, 14, 31, tzinfo=UTC), "paged", "Paged zed", extra={"paged": "zed"})
    assert escalation.page_payload(entry, None)["contact"] == {"name": "zed"}


def test_a_day_range_has_two_ends() -> None:
    for bad in ("mon-wed-fri 09:00-17:00", "mon-friday-sun 09:00-17:00"):
        with pytest.raises(ConfigError, match="name days as mon, tue"):
            schedule_from_dict("p", {"schema": 1, "layers": [{**LAYER, "restrictions": [bad]}]})


LAYER: dict[str, Any] = {
    "name": "day",
    "rotation": ["alice"],
    "length": "weekly",
    "handoff": "mon 00:00",
    "start": "2025-10-20",
    "tz": "UTC",
}


def test_overlapping_restrictions_join_into_one_window_of_their_own_day() -> None:
    restrictions = ["mon 08:00-10:00", "tue 09:00-12:00", "tue 11:00-13:00"]
    schedule = schedule_from_dict("p", {"schema": 1, "layers": [{**LAYER, "restrictions": restrictions}]})
    monday = datetime(2025, 10, 20, tzinfo=UTC)
    on_call = [(s.start, s.end) for s in resolve(schedule, monday, monday + timedelta(days=2)) if s.who]
    hour = timedelta(hours=1)
    assert on_call == [
        (monday + 8 * hour, monday + 10 * hour),
        (monday + 33 * hour, monday + 37 * hour),
    ]


def test_both_sides_publishing_a_postmortem_is_no_conflict() -> None:
    base, ours, theirs = sides()
    base["postmortem"] = postmortem(state="reviewed")
    ours["postmortem"] = postmortem(state="published", published_at="2025-01-17T10:00:00+00:00")
    theirs["postmortem"] = postmortem(state="published", published_at="2025-01-17T11:00:00+00:00")
    merged = merge(base, ours, theirs)
    assert merged["postmortem"]["state"] == "published"
    assert "conflicts" not in merged["postmortem"]
    assert not [e for e in merged["timeline"] if "published_at" in e["text"]], merged["timeline"]


def test_the_report_index_counts_open_and_overdue_actions_as_inc_metrics_does() -> None:
    data = base_incident()
    data["actions"] = [
        {"id": "a1", "title": "Done", "owner": "al", "status": "done", "due": "2025-01-01"},
        {"id": "a2", "title": "Late", "owner": "al", "status": "open", "due": "2025-01-10"},
        {"id": "a3", "title": "Not yet", "owner": "al", "status": "open", "due": "2025-03-01"},
    ]
    facts = facts_from_incident(incident_from_dict(data))
    today = date(2025, 2, 1)
    (row,) = reportdata.index_rows([facts], datetime(2025, 2, 1, tzinfo=UTC), today)
    summary = action_summary([facts], today)
    assert (row.open_actions, row.overdue_actions) == (summary["open"], summary["overdue"]) == (2, 1)


def test_people_words_skip_short_names_and_read_the_rest() -> None:
    assert statuspage.people_words(["al", "@Carol Chen", "bo"]) == ["Carol Chen", "Carol", "Chen"]


def test_a_page_says_how_it_reached_the_person() -> None:
    assert escalation.Page(escalation.Target("person", "alice"), "alice").via() == "person"
    assert escalation.Page(escalation.Target("schedule", "primary"), "bob").via() == "schedule primary"


def test_a_recorded_step_with_a_round_that_is_not_a_number_is_left_out() -> None:
    data = base_incident()
    at = "2025-01-15T14:31:00+00:00"
    data["timeline"] += [
        {"at": at, "kind": "paged", "by": "incli", "text": "Paged a", "level": 1, "round": "two"},
        {"at": at, "kind": "paged", "by": "incli", "text": "Paged b", "level": 1, "round": 1},
    ]
    assert escalation.recorded(incident_from_dict(data)) == [(1, 1, datetime(2025, 1, 15, 14, 31, tzinfo=UTC))]


def test_a_due_date_offset_with_a_sign_or_in_hours_rounds_up_to_whole_days() -> None:
    today = date(2025, 2, 28)
    assert pm.parse_due("+3d", today) == date(2025, 3, 3)
    assert pm.parse_due("36h", today) == date(2025, 3, 2)
    assert pm.parse_due("1w", today) == date(2025, 3, 7)


def test_a_layer_may_be_any_whole_number_of_hours_long() -> None:
    for length, hours in (("3h", 3), ("1h", 1), ("36h", 36)):
        layer = {**LAYER, "length": length, "handoff": "09:00"}
        schedule = schedule_from_dict("p", {"schema": 1, "layers": [layer]})
        assert schedule.layers[0].length == timedelta(hours=hours)
    with pytest.raises(ConfigError, match="length"):
        schedule_from_dict("p", {"schema": 1, "layers": [{**LAYER, "length": "90m", "handoff": "09:00"}]})


def test_a_schedule_reads_back_what_it_writes() -> None:
    data = {"schema": 1, "description": "Primary on-call for checkout", "layers": [LAYER]}
    schedule = schedule_from_dict("p", data)
    assert schedule.description == "Primary on-call for checkout"
    assert schedule_from_dict("p", schedule.to_dict()).to_dict() == schedule.to_dict()
    assert schedule.to_dict()["description"] == "Primary on-call for checkout"


def test_an_incident_names_the_alerts_of_its_group_key_and_of_its_labels() -> None:
    data = base_incident()
    data["source"] = {
        "kind": "alertmanager",
        "group_key": '{}:{alertname="DBPoolExhausted"}',
        "labels": {"alertname": "HighLatency", "service": "checkout"},
    }
    assert search.alert_names(incident_from_dict(data)) == ["DBPoolExhausted", "HighLatency"]
    data["source"] = {"kind": "alertmanager", "labels": {"alertname": "HighLatency"}}
    assert search.alert_names(incident_from_dict(data)) == ["HighLatency"]
