"""Bugs the sampled mutation run of issue 19 showed no test would catch, each as the test a user's
report would have become."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from incli.domain import alerts, jsontext, reportdata
from incli.domain.config import config_from_dict
from incli.domain.metrics import facts_from_incident
from incli.domain.model import incident_from_dict
from incli.domain.oncall import resolve, schedule_from_dict
from incli.integrations import sources
from tests import alertpayloads as ap
from tests.unit.test_merge import base_incident

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
