"""inc import --from opsgenie: REST API alert and incident pages (ISO times, report.ackTime and
closeTime in ms, logs and timelines) and saved outgoing-webhook payloads (createdAt in ms,
updatedAt in ns); durations compared against hand arithmetic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import inc, take_snapshot

ALERTS = {
    "data": [
        {
            "id": "70413a06-38d6-4c85-92b8-5ebc900d42e2",
            "tinyId": "1791",
            "alias": "checkout-5xx",
            "message": "Checkout 5xx above 2%",
            "status": "closed",
            "acknowledged": True,
            "isSeen": True,
            "tags": ["checkout", "prod"],
            "snoozed": False,
            "count": 3,
            "lastOccurredAt": "2024-03-05T10:14:07.123Z",
            "createdAt": "2024-03-05T10:00:00.250Z",
            "updatedAt": "2024-03-05T11:02:00.000Z",
            "source": "prometheus",
            "owner": "alice@example.com",
            "priority": "P2",
            "entity": "checkout",
            "report": {
                "ackTime": 125500,
                "closeTime": 3723750,
                "acknowledgedBy": "alice@example.com",
                "closedBy": "bob@example.com",
            },
            "logs": {
                "data": [
                    {
                        "log": "Alert created via Prometheus",
                        "type": "system",
                        "owner": "",
                        "createdAt": "2024-03-05T10:00:00.250Z",
                    },
                    {
                        "log": "Rolled back deploy 4411",
                        "type": "note",
                        "owner": "alice@example.com",
                        "createdAt": "2024-03-05T10:30:00Z",
                    },
                ]
            },
        },
        {
            "id": "8a2f0c55-0000-4000-8000-000000000002",
            "tinyId": "1792",
            "message": "Disk 91% on db-2",
            "status": "open",
            "acknowledged": False,
            "createdAt": "2024-03-06T08:00:00Z",
            "updatedAt": "2024-03-06T08:00:00Z",
            "priority": "P5",
        },
    ],
    "took": 0.05,
    "requestId": "9ae63dd7-ed00-4c81-86f0-c4ffd33142c9",
}

# createdAt: 2024-03-05T10:00:00.250Z in ms; updatedAt in ns.
CREATED_MS = 1709632800250
WEBHOOKS = [
    {
        "action": "Create",
        "alert": {
            "alertId": "a1b2c3",
            "message": "Queue backlog over 10k",
            "tags": ["queue"],
            "tinyId": "42",
            "entity": "billing",
            "alias": "queue-backlog",
            "createdAt": CREATED_MS,
            "updatedAt": 1709632800250123000,
            "username": "System",
            "priority": "P1",
        },
        "source": {"name": "", "type": "api"},
        "integrationName": "incli",
    },
    {
        "action": "Acknowledge",
        "alert": {
            "alertId": "a1b2c3",
            "message": "Queue backlog over 10k",
            "createdAt": CREATED_MS,
            "updatedAt": 1709633100750456789,  # + 5 min 0.500333789 s
            "username": "carol@example.com",
            "priority": "P1",
        },
    },
    {
        "action": "AddNote",
        "alert": {
            "alertId": "a1b2c3",
            "message": "Queue backlog over 10k",
            "createdAt": CREATED_MS,
            "updatedAt": 1709633400000000000,
            "username": "carol@example.com",
            "note": "Scaled workers to 12",
        },
    },
    {
        "action": "Close",
        "alert": {
            "alertId": "a1b2c3",
            "message": "Queue backlog over 10k",
            "createdAt": CREATED_MS,
            "updatedAt": 1709636400250999999,  # + 1 h 0.000999999 s
            "username": "carol@example.com",
        },
    },
]

INCIDENTS = {
    "data": [
        {
            "id": "7b1e4a7e-1111-4b1e-9a9a-000000000003",
            "tinyId": "17",
            "message": "EU login failures",
            "status": "resolved",
            "tags": ["auth"],
            "createdAt": "2024-04-01T09:10:00Z",
            "updatedAt": "2024-04-01T12:00:00Z",
            "priority": "P1",
            "ownerTeam": "team-id",
            "responders": [],
            "extraProperties": {},
            "impactedServices": [{"id": "svc-1", "name": "login"}],
            "impactStartDate": "2024-04-01T09:02:30Z",
            "impactEndDate": "2024-04-01T10:40:00Z",
            "timeline": {
                "data": {
                    "entries": [
                        {"type": "IncidentCreated", "eventTime": "2024-04-01T09:10:00Z", "hidden": False},
                        {
                            "type": "ResponderMessage",
                            "eventTime": "2024-04-01T09:30:00Z",
                            "hidden": False,
                            "actor": {"name": "dave", "type": "user"},
                            "description": {"content": "Certificate expired on the EU edge", "type": "text"},
                        },
                        {"type": "IncidentResolved", "eventTime": "2024-04-01T11:05:15.5Z", "hidden": False},
                    ]
                }
            },
        }
    ]
}


def items(export: dict[str, Any]) -> list[dict[str, Any]]:
    """The objects of a saved page (its ``data``), for a test to copy and change."""
    found: list[dict[str, Any]] = export["data"]
    return found


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def shown(repo: Path, ident: str) -> dict:
    return inc("show", ident, "--json", root=repo).json


def incidents(repo: Path) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted((repo / "incidents").glob("*.yaml"))]


def test_alert_pages_with_report_times_and_logs(repo: Path, tmp_path: Path) -> None:
    ran = inc("import", write(tmp_path, "alerts.json", ALERTS), "--from", "opsgenie", root=repo)
    assert "Imported 2 incidents" in ran.stderr
    assert "opsgenie message -> title (2 items)" in ran.stderr
    assert (
        "dropped (items holding them): alias (1), isSeen (1), snoozed (1), count (1), "
        "lastOccurredAt (1), source (1), owner (1)" in ran.stderr
    )
    first = shown(repo, "70413a06-38d6-4c85-92b8-5ebc900d42e2")
    assert first["title"] == "Checkout 5xx above 2%" and first["severity"] == "SEV2" and first["service"] == "checkout"
    assert first["tags"] == ["checkout", "prod"]
    # 10:00:00.250 + 125.5 s = 10:02:05.750; + 3723.75 s = 11:02:04.000
    assert first["acknowledged_at"] == "2024-03-05T10:02:05.750000+00:00"
    assert first["resolved_at"] == "2024-03-05T11:02:04+00:00"
    assert first["status"] == "resolved"
    kinds = [(e["kind"], e["text"]) for e in first["timeline"]]
    assert ("note", "Rolled back deploy 4411") in kinds and kinds[-1] == ("resolved", "Closed in Opsgenie")
    second = shown(repo, "8a2f0c55-0000-4000-8000-000000000002")
    assert second["severity"] == "SEV4" and second["status"] == "open" and second["resolved_at"] is None
    again = inc("import", tmp_path / "alerts.json", "--from", "opsgenie", root=repo)
    assert "Imported 0 incidents; 2 already present" in again.stderr


def test_webhook_payloads_read_createdat_in_ms_and_updatedat_in_ns(repo: Path, tmp_path: Path) -> None:
    inc("import", write(tmp_path, "hooks.json", WEBHOOKS), "--from", "opsgenie", root=repo)
    (one,) = incidents(repo)
    assert one["title"] == "Queue backlog over 10k" and one["severity"] == "SEV1" and one["service"] == "billing"
    assert one["opened_at"] == "2024-03-05T10:00:00.250000+00:00"
    assert one["acknowledged_at"] == "2024-03-05T10:05:00.750456+00:00"  # ns cut to the microsecond
    assert one["resolved_at"] == "2024-03-05T11:00:00.250999+00:00"
    assert [e["kind"] for e in one["timeline"]] == ["opened", "acknowledged", "note", "resolved"]
    assert one["timeline"][2]["text"] == "Scaled workers to 12" and one["timeline"][2]["by"] == "carol@example.com"
    assert shown(repo, "a1b2c3")["id"] == one["id"]  # the Opsgenie alert id finds it


def test_incidents_with_a_timeline_and_impact_dates(repo: Path, tmp_path: Path) -> None:
    inc("import", write(tmp_path, "incidents.json", INCIDENTS), "--from", "opsgenie", root=repo)
    (one,) = incidents(repo)
    assert one["started_at"] == "2024-04-01T09:02:30+00:00"
    assert one["mitigated_at"] == "2024-04-01T10:40:00+00:00"
    assert one["resolved_at"] == "2024-04-01T11:05:15.500000+00:00"
    assert one["service"] == "login"
    assert ("note", "Certificate expired on the EU edge") in [(e["kind"], e["text"]) for e in one["timeline"]]
    # Impact 09:02:30 -> 11:05:15.5 is 2 h 2 min 45.5 s.
    metrics = inc("show", one["id"], "--json", root=repo).json
    assert metrics["resolved_at"] == "2024-04-01T11:05:15.500000+00:00"


def test_dry_run_shows_the_mapping_and_writes_nothing(repo: Path, tmp_path: Path) -> None:
    before = take_snapshot(repo)  # what the user owns (the derived index in .incli/ is a cache)
    ran = inc("import", write(tmp_path, "alerts.json", ALERTS), "--from", "opsgenie", "--dry-run", root=repo)
    assert take_snapshot(repo) == before
    assert "Would import 2 incidents (dry run: nothing written)" in ran.stderr
    assert "opsgenie report -> acknowledged_at, resolved_at" in ran.stderr
    rows = [line.split("\t") for line in ran.stdout.splitlines()]
    (closed,) = [r for r in rows if r[5] == "Checkout 5xx above 2%"]
    # 10:00:00.250 -> 11:02:04.000 is 1 h 2 min 3.75 s
    assert closed[2:5] == ["2024-03-05T10:00:00.250000+00:00", "2024-03-05T11:02:04+00:00", "1h 2m"]


def test_not_an_opsgenie_export_is_one_line(repo: Path, tmp_path: Path) -> None:
    ran = inc("import", write(tmp_path, "x.json", {"hello": 1}), "--from", "opsgenie", root=repo, code=None)
    assert ran.code != 0 and "not an Opsgenie export" in ran.stderr and len(ran.err_lines) == 1


def test_the_priority_mapping_is_configurable_and_checked(repo: Path, tmp_path: Path) -> None:
    config = repo / "incli.yaml"
    data = yaml.safe_load(config.read_text())
    data["import"] = {"opsgenie": {"priority": {"P5": "SEV3"}, "default": "SEV2"}}
    config.write_text(yaml.safe_dump(data))
    alerts = {"data": [items(ALERTS)[1], {**items(ALERTS)[1], "id": "no-priority", "priority": None}]}
    inc("import", write(tmp_path, "alerts.json", alerts), "--from", "opsgenie", root=repo)
    assert shown(repo, "8a2f0c55-0000-4000-8000-000000000002")["severity"] == "SEV3"
    assert shown(repo, "no-priority")["severity"] == "SEV2"
    data["import"] = {"opsgenie": {"priority": {"P1": "SEV9"}}}
    config.write_text(yaml.safe_dump(data))
    ran = inc("list", root=repo, code=None)
    assert ran.code != 0 and "import.opsgenie.priority.P1" in ran.stderr


def test_alert_notes_are_in_the_timeline(repo: Path, tmp_path: Path) -> None:
    """An alert saved with its notes (GET /v2/alerts/{id}/notes) keeps each as a timeline note,
    at its own time and by its owner."""
    alert = {
        **items(ALERTS)[1],
        "notes": {
            "data": [
                {"note": "Paged the storage team", "owner": "alice@example.com", "createdAt": "2024-03-06T08:05:00Z"},
                {"note": "Old logs rotated", "owner": "bob@example.com", "createdAt": "2024-03-06T08:20:30.5Z"},
            ]
        },
    }
    inc("import", write(tmp_path, "alert.json", {"data": [alert]}), "--from", "opsgenie", root=repo)
    (one,) = incidents(repo)
    assert [(e["at"], e["kind"], e["by"], e["text"]) for e in one["timeline"] if e["kind"] == "note"] == [
        ("2024-03-06T08:05:00+00:00", "note", "alice@example.com", "Paged the storage team"),
        ("2024-03-06T08:20:30.500000+00:00", "note", "bob@example.com", "Old logs rotated"),
    ]


def test_an_alert_s_description_is_the_summary(repo: Path, tmp_path: Path) -> None:
    alert = {**items(ALERTS)[1], "description": "db-2 /var is 91% full; logs grow 2% an hour"}
    inc("import", write(tmp_path, "alert.json", {"data": [alert]}), "--from", "opsgenie", root=repo)
    (one,) = incidents(repo)
    assert one["summary"] == "db-2 /var is 91% full; logs grow 2% an hour"


def test_alerts_saved_without_the_data_wrapper_are_read(repo: Path, tmp_path: Path) -> None:
    """A script that saves each alert's object (the ``data`` of GET /v2/alerts/{id}) in a list."""
    ran = inc("import", write(tmp_path, "alerts.json", items(ALERTS)), "--from", "opsgenie", root=repo)
    assert "Imported 2 incidents" in ran.stderr
    assert {i["title"] for i in incidents(repo)} == {"Checkout 5xx above 2%", "Disk 91% on db-2"}


def test_webhook_escalations_are_timeline_notes(repo: Path, tmp_path: Path) -> None:
    acknowledge: dict[str, Any] = WEBHOOKS[1]
    escalations = [
        {"action": action, "alert": {**acknowledge["alert"], "updatedAt": at, "username": "System"}}
        for action, at in (("Escalate", 1709633000000000000), ("EscalateNext", 1709633200000000000))
    ]
    inc("import", write(tmp_path, "hooks.json", WEBHOOKS + escalations), "--from", "opsgenie", root=repo)
    (one,) = incidents(repo)
    notes = [(e["at"], e["kind"], e["by"], e["text"]) for e in one["timeline"] if "Escalated" in e["text"]]
    assert notes == [
        ("2024-03-05T10:03:20+00:00", "note", "System", "Escalated in Opsgenie (Escalate)"),
        ("2024-03-05T10:06:40+00:00", "note", "System", "Escalated in Opsgenie (EscalateNext)"),
    ]


def test_an_incident_whose_impact_ended_as_it_was_opened_is_mitigated_then(repo: Path, tmp_path: Path) -> None:
    """impactEndDate equal to createdAt (the impact was over when the incident was opened) is the mitigation."""
    (base,) = items(INCIDENTS)
    same = {**base, "impactEndDate": "2024-04-01T09:10:00Z"}  # = createdAt
    inc("import", write(tmp_path, "incidents.json", {"data": [same]}), "--from", "opsgenie", root=repo)
    (one,) = incidents(repo)
    assert one["mitigated_at"] == "2024-04-01T09:10:00+00:00"
    assert one["resolved_at"] == "2024-04-01T11:05:15.500000+00:00"
    assert ("mitigated", "Impact ended (Opsgenie impactEndDate)") in [(e["kind"], e["text"]) for e in one["timeline"]]


def test_an_incident_timeline_saved_as_its_entries_object_is_read(repo: Path, tmp_path: Path) -> None:
    """The timeline saved as the ``data`` of GET /v2/incident-timelines/{id}/entries: {"entries": [...]}."""
    (base,) = items(INCIDENTS)
    saved = {**base, "timeline": base["timeline"]["data"]}
    assert list(saved["timeline"]) == ["entries"]
    inc("import", write(tmp_path, "incidents.json", {"data": [saved]}), "--from", "opsgenie", root=repo)
    (one,) = incidents(repo)
    assert one["resolved_at"] == "2024-04-01T11:05:15.500000+00:00"
    assert ("note", "dave", "Certificate expired on the EU edge") in [
        (e["kind"], e["by"], e["text"]) for e in one["timeline"]
    ]
