"""inc import --from pagerduty: incidents with their /log_entries (acknowledgements, notes,
resolutions) and v3 webhook payloads (event.data), matched to incidents by id; durations
compared against hand arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.conftest import inc


def incident(pd_id: str, status: str, created: str, **more: object) -> dict:
    return {
        "id": pd_id,
        "type": "incident",
        "incident_number": 77,
        "title": f"Payments latency ({pd_id})",
        "status": status,
        "created_at": created,
        "urgency": "high",
        "service": {"id": "PSVC1", "type": "service_reference", "summary": "payments"},
        "escalation_policy": {"id": "PEP1", "type": "escalation_policy_reference"},
        "assignments": [],
        "html_url": f"https://example.pagerduty.com/incidents/{pd_id}",
        **more,
    }


def log(kind: str, pd_id: str, at: str, **more: object) -> dict:
    return {
        "id": f"L{kind[:3].upper()}{at[-9:-7]}",
        "type": f"{kind}_log_entry",
        "created_at": at,
        "incident": {"id": pd_id, "type": "incident_reference"},
        "agent": {"id": "PUSER1", "type": "user_reference", "summary": "Erin"},
        **more,
    }


def webhook(kind: str, data: dict, at: str) -> dict:
    return {
        "event": {
            "id": f"E{at[-12:-10]}{kind[-4:]}",
            "event_type": f"incident.{kind}",
            "resource_type": "incident",
            "occurred_at": at,
            "agent": {"id": "PUSER2", "type": "user_reference", "summary": "Frank"},
            "data": data,
        }
    }


def incidents(repo: Path) -> dict[str, dict]:
    found = [yaml.safe_load(p.read_text()) for p in sorted((repo / "incidents").glob("*.yaml"))]
    return {i["source"]["id"]: i for i in found}


def test_log_entries_give_acknowledgement_notes_and_resolution(repo: Path, tmp_path: Path) -> None:
    pages = [
        {"incidents": [incident("PAAA111", "resolved", "2024-05-02T03:00:00Z")]},
        {
            "log_entries": [
                log("trigger", "PAAA111", "2024-05-02T03:00:00Z"),
                log("acknowledge", "PAAA111", "2024-05-02T03:04:30Z"),
                log(
                    "annotate",
                    "PAAA111",
                    "2024-05-02T03:20:00Z",
                    channel={"type": "note", "summary": "Failing over to replica"},
                ),
                log("resolve", "PAAA111", "2024-05-02T04:47:15Z"),
            ]
        },
    ]
    path = tmp_path / "pd.json"
    path.write_text(json.dumps(pages))
    ran = inc("import", path, "--from", "pagerduty", root=repo)
    assert "pagerduty log_entries -> timeline" in ran.stderr
    assert "dropped (items holding them): escalation_policy (1), assignments (1)" in ran.stderr
    one = incidents(repo)["PAAA111"]
    assert one["acknowledged_at"] == "2024-05-02T03:04:30+00:00"
    assert one["resolved_at"] == "2024-05-02T04:47:15+00:00"
    assert [(e["kind"], e["by"]) for e in one["timeline"]] == [
        ("opened", None),
        ("acknowledged", "Erin"),
        ("note", "Erin"),
        ("resolved", "Erin"),
    ]
    assert one["timeline"][2]["text"] == "Failing over to replica"
    # 03:00:00 -> 04:47:15 is 1 h 47 min 15 s.
    dry = inc("import", path, "--from", "pagerduty", "--dry-run", root=repo)
    assert "Would import 0 incidents; 1 already present" in dry.stderr


def test_v3_webhook_payloads_alone_make_the_incident(repo: Path, tmp_path: Path) -> None:
    data = {
        "id": "PBBB222",
        "type": "incident",
        "number": 78,
        "title": "Search down",
        "status": "triggered",
        "created_at": "2024-06-10T22:15:00Z",
        "urgency": "high",
        "service": {"id": "PSVC2", "type": "service_reference", "summary": "search"},
        "html_url": "https://example.pagerduty.com/incidents/PBBB222",
    }
    note = {
        "incident": {"id": "PBBB222", "type": "incident_reference"},
        "content": "Reindex started",
        "type": "incident_note",
    }
    payloads = [
        webhook("resolved", {**data, "status": "resolved"}, "2024-06-10T23:59:59.500Z"),  # out of order on purpose
        webhook("triggered", data, "2024-06-10T22:15:00Z"),
        webhook("acknowledged", {**data, "status": "acknowledged"}, "2024-06-10T22:16:40.125Z"),
        webhook("annotated", note, "2024-06-10T22:30:00Z"),
    ]
    path = tmp_path / "v3.json"
    path.write_text(json.dumps(payloads))
    inc("import", path, "--from", "pagerduty", root=repo)
    one = incidents(repo)["PBBB222"]
    assert one["title"] == "Search down" and one["service"] == "search" and one["source"]["number"] == 78
    assert one["status"] == "resolved"
    assert one["acknowledged_at"] == "2024-06-10T22:16:40.125000+00:00"
    assert one["resolved_at"] == "2024-06-10T23:59:59.500000+00:00"  # 1 h 44 min 59.5 s after the trigger
    assert ("note", "Reindex started") in [(e["kind"], e["text"]) for e in one["timeline"]]


def test_log_entries_of_an_incident_not_in_the_file_are_an_invalid_row(repo: Path, tmp_path: Path) -> None:
    path = tmp_path / "logs.json"
    path.write_text(json.dumps({"log_entries": [log("acknowledge", "PZZZ999", "2024-05-02T03:04:30Z")]}))
    ran = inc("import", path, "--from", "pagerduty", root=repo, code=None)
    assert ran.code != 0
    assert "1 log entries of incident PZZZ999, which is not in this file" in ran.stderr
    assert not list((repo / "incidents").glob("*.yaml"))


def test_who_acknowledged_comes_from_the_incident_s_acknowledgements(repo: Path, tmp_path: Path) -> None:
    """An incident saved with ``acknowledgements`` (and no log entries) says who acknowledged it."""
    acked = incident(
        "PCCC333",
        "acknowledged",
        "2024-05-02T03:00:00Z",
        acknowledgements=[
            {"at": "2024-05-02T03:02:10Z", "acknowledger": {"id": "PUSER3", "type": "user_reference", "summary": "Gil"}}
        ],
    )
    path = tmp_path / "pd.json"
    path.write_text(json.dumps({"incidents": [acked]}))
    inc("import", path, "--from", "pagerduty", root=repo)
    one = incidents(repo)["PCCC333"]
    assert one["acknowledged_at"] == "2024-05-02T03:02:10+00:00"
    assert [(e["kind"], e["by"]) for e in one["timeline"]] == [("opened", None), ("acknowledged", "Gil")]


def test_incident_objects_saved_one_by_one_are_read(repo: Path, tmp_path: Path) -> None:
    """A list of bare incident objects (each GET /incidents/{id}'s ``incident``, as a script saves them)."""
    path = tmp_path / "pd.json"
    path.write_text(json.dumps([incident("PDDD444", "triggered", "2024-05-03T08:00:00Z")]))
    ran = inc("import", path, "--from", "pagerduty", root=repo)
    assert "Imported 1 incident" in ran.stderr
    assert incidents(repo)["PDDD444"]["title"] == "Payments latency (PDDD444)"


def test_an_incident_with_number_instead_of_incident_number_keeps_it(repo: Path, tmp_path: Path) -> None:
    """A v3 webhook's incident (``number``, not ``incident_number``) saved as an incident."""
    saved = incident("PEEE555", "triggered", "2024-05-04T10:00:00Z")
    del saved["incident_number"]
    saved["number"] = 1234
    path = tmp_path / "pd.json"
    path.write_text(json.dumps({"incidents": [saved]}))
    inc("import", path, "--from", "pagerduty", root=repo)
    one = incidents(repo)["PEEE555"]
    assert one["source"]["number"] == 1234
    assert one["timeline"][0]["text"] == "Triggered in PagerDuty (#1234)"
