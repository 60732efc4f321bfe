"""Alertmanager notifications in: incidents opened, added to, mitigated; never duplicated."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from incli.errors import InvalidInput
from incli.integrations.sources.alertmanager import parse_alert_time, parse_notification
from incli.service import ingest as ingest_service
from incli.service.incidents import Service
from incli.storage.repo import find_repository, init_repository
from tests.alertpayloads import ZERO, alert, firing_two, notification, resolved_two


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    init_repository(tmp_path / "r")
    return tmp_path / "r"


def svc_at(root: Path, when: str) -> Service:
    moment = datetime.fromisoformat(when)
    return Service(find_repository(root), clock=lambda: moment, user=lambda: "tester")


def ingest(root: Path, payload: dict, when: str = "2025-01-15T14:30:10+00:00"):
    return ingest_service.ingest(svc_at(root, when), parse_notification(payload))


def files(root: Path) -> list[Path]:
    return sorted((root / "incidents").glob("*.yaml"))


def load(root: Path) -> dict:
    (path,) = files(root)
    return yaml.safe_load(path.read_text())


# -- times ---------------------------------------------------------------------


def test_alertmanager_times_nanoseconds_offsets_and_zero() -> None:
    assert parse_alert_time("2019-09-27T16:27:56.612666101Z") == datetime(2019, 9, 27, 16, 27, 56, 612666, UTC)
    assert parse_alert_time("2025-01-15T16:27:30.1+02:00") == datetime(2025, 1, 15, 14, 27, 30, 100000, UTC)
    assert parse_alert_time("2022-07-29T11:13:27.3Z") == datetime(2022, 7, 29, 11, 13, 27, 300000, UTC)
    assert parse_alert_time(ZERO) is None
    with pytest.raises(InvalidInput):
        parse_alert_time("yesterday")
    with pytest.raises(InvalidInput):
        parse_alert_time("2025-01-15T14:30:00")  # no offset


# -- opening and adding --------------------------------------------------------


def test_firing_group_opens_one_incident_with_times_in_utc(repo: Path) -> None:
    result = ingest(repo, firing_two())
    assert result.action == "opened"
    data = load(repo)
    assert data["id"] == result.incident_id
    assert data["title"] == "Database connection pool exhausted"
    assert data["severity"] == "SEV1"  # the most severe alert: critical -> SEV1
    assert data["service"] == "checkout"
    assert data["status"] == "open"
    # earliest startsAt: 16:27:30.1+02:00 is 14:27:30.1Z, before 14:28:03Z (kept to the microsecond)
    assert data["started_at"] == "2025-01-15T14:27:30.100000+00:00"
    assert data["detected_at"] == "2025-01-15T14:30:10+00:00"
    assert data["opened_at"] == "2025-01-15T14:30:10+00:00"
    assert data["source"]["kind"] == "alertmanager"
    assert data["source"]["group_key"] == firing_two()["groupKey"]
    assert data["source"]["fingerprints"] == ["a1b2c3d4e5f60718", "0f1e2d3c4b5a6978"]
    notes = [e["text"] for e in data["timeline"] if e["kind"] == "note"]
    assert len(notes) == 2
    assert any("db-1:9187" in n and "since 2025-01-15T14:28:03.512893+00:00" in n for n in notes)
    assert any("db-2:9187" in n and "since 2025-01-15T14:27:30.100000+00:00" in n for n in notes)


def test_same_payload_twice_changes_nothing(repo: Path) -> None:
    first = ingest(repo, firing_two())
    before = files(repo)[0].read_bytes()
    second = ingest(repo, firing_two(), when="2025-01-15T14:35:10+00:00")
    assert second.action == "unchanged"
    assert second.incident_id == first.incident_id
    assert len(files(repo)) == 1
    assert files(repo)[0].read_bytes() == before


def test_new_alert_in_the_group_is_added_to_the_active_incident(repo: Path) -> None:
    ingest(repo, notification([alert("db-1:9187", fingerprint="a1b2c3d4e5f60718")]))
    result = ingest(repo, firing_two(), when="2025-01-15T14:34:00+00:00")
    assert result.action == "updated"
    data = load(repo)
    notes = [e for e in data["timeline"] if e["kind"] == "note"]
    assert [n["at"] for n in notes] == ["2025-01-15T14:30:10+00:00", "2025-01-15T14:34:00+00:00"]
    assert "db-2:9187" in notes[1]["text"]
    assert data["started_at"] == "2025-01-15T14:27:30.100000+00:00"  # the new alert started earlier
    assert data["source"]["fingerprints"] == ["a1b2c3d4e5f60718", "0f1e2d3c4b5a6978"]


def test_an_alert_that_stopped_and_fires_again_is_noted_each_time(repo: Path) -> None:
    ingest(repo, firing_two())
    one_resolved = notification(
        [
            alert("db-1:9187", fingerprint="a1b2c3d4e5f60718", starts="2025-01-15T14:28:03.512893021Z"),
            alert(
                "db-2:9187",
                status="resolved",
                fingerprint="0f1e2d3c4b5a6978",
                starts="2025-01-15T14:27:30.1Z",
                ends="2025-01-15T14:32:00Z",
                severity="critical",
            ),  # fmt: skip
        ]
    )
    updated = ingest(repo, one_resolved, when="2025-01-15T14:33:00+00:00")
    assert (updated.action, updated.message) == (
        "updated",
        f"{updated.incident_id}: 1 alert change(s) added to the timeline",
    )
    again = notification([alert("db-2:9187", fingerprint="0f1e2d3c4b5a6978", starts="2025-01-15T14:34:00Z")])
    ingest(repo, again, when="2025-01-15T14:34:10+00:00")
    data = load(repo)
    notes = [(e["at"], e["by"], e["text"]) for e in data["timeline"] if e["kind"] == "note"][2:]
    assert notes == [
        ("2025-01-15T14:33:00+00:00", "alertmanager",
         "Alert resolved at 2025-01-15T14:32:00+00:00: DBConnectionPoolExhausted (instance=db-2:9187): db-2:9187: "
         "100% of the connection pool in use for 2 minutes"),
        ("2025-01-15T14:34:10+00:00", "alertmanager",
         "Firing again: Alert firing since 2025-01-15T14:34:00+00:00: DBConnectionPoolExhausted (instance=db-2:9187): "
         "db-2:9187: 100% of the connection pool in use for 2 minutes"),
    ]  # fmt: skip
    assert sorted(data["source"]["firing"]) == ["0f1e2d3c4b5a6978", "a1b2c3d4e5f60718"]
    assert data["severity"] == "SEV1" and not [e for e in data["timeline"] if e["kind"] == "severity_changed"]


def test_truncation_ending_is_noted(repo: Path) -> None:
    ingest(repo, {**firing_two(), "truncatedAlerts": 4})
    ingest(repo, firing_two(), when="2025-01-15T14:35:00+00:00")
    assert texts_of(repo)[-1] == "No alerts in this group are truncated by Alertmanager any more"


def texts_of(root: Path) -> list[str]:
    return [e["text"] for e in load(root)["timeline"]]


def test_another_group_opens_another_incident(repo: Path) -> None:
    ingest(repo, firing_two())
    ingest(repo, notification([alert("web-1", fingerprint="ffff000011112222")], group_key='{}:{alertname="X"}'))
    assert len(files(repo)) == 2


# -- resolving -----------------------------------------------------------------


def test_resolved_marks_mitigated_at_the_latest_ends_at(repo: Path) -> None:
    ingest(repo, firing_two())
    result = ingest(repo, resolved_two(), when="2025-01-15T14:45:00+00:00")
    assert result.action == "mitigated"
    data = load(repo)
    assert data["status"] == "mitigated"
    # 16:39:00+02:00 is 14:39Z, 14:40:03.51Z is later
    assert data["mitigated_at"] == "2025-01-15T14:40:03.512893+00:00"
    assert data["source"]["firing"] == []
    before = files(repo)[0].read_bytes()
    again = ingest(repo, resolved_two(), when="2025-01-15T14:50:00+00:00")
    assert again.action == "unchanged"
    assert files(repo)[0].read_bytes() == before


def test_resolved_with_zero_ends_at_is_mitigated_at_receipt(repo: Path) -> None:
    payload = notification([alert("db-1:9187")])  # no fingerprint: keyed by its labels
    ingest(repo, payload)
    ingest(repo, payload, when="2025-01-15T14:31:00+00:00")  # repeated: no duplicate
    assert len(files(repo)) == 1
    resolved = notification([alert("db-1:9187", status="resolved", ends=ZERO)])
    ingest(repo, resolved, when="2025-01-15T14:42:30+00:00")
    data = load(repo)
    assert data["status"] == "mitigated"
    assert data["mitigated_at"] == "2025-01-15T14:42:30+00:00"
    assert texts_of(repo)[-2].startswith(
        "Alert resolved at 2025-01-15T14:42:30+00:00 (received; no end time given): DBConnectionPoolExhausted"
    )


def test_resolved_notification_seen_alone_records_a_mitigated_incident(repo: Path) -> None:
    ingest(repo, resolved_two(), when="2025-01-15T15:00:00+00:00")
    data = load(repo)
    assert data["status"] == "mitigated"
    assert data["started_at"] == "2025-01-15T14:27:30.100000+00:00"
    assert data["mitigated_at"] == "2025-01-15T14:40:03.512893+00:00"
    assert data["detected_at"] <= data["mitigated_at"]


def test_an_incident_opened_from_a_resolved_notification_as_written(repo: Path) -> None:
    links = [f"https://github.com/acme/ops/blob/main/runbooks/{n}.md" for n in range(12)]
    alerts = []
    for n, url in enumerate(links):
        one = alert(f"db-{n}:9187", status="resolved", fingerprint=f"f{n:02d}", starts="2025-01-15T14:28:00Z",
                    ends="2025-01-15T14:40:00Z")  # fmt: skip
        one["annotations"]["runbook_url"] = url if n != 3 else links[2]  # a repeat is kept once
        alerts.append(one)
    alerts[4]["annotations"]["runbook_url"] = "https://example.com/" + "x" * 981  # 1001 characters: left out
    alerts[5]["annotations"]["runbook_url"] = "https://example.com/" + "y" * 980  # 1000 characters: kept
    payload = {**notification(alerts), "truncatedAlerts": 1}
    ingest(repo, payload, when="2025-01-15T15:00:00+00:00")
    data = load(repo)
    assert data["source"] == {
        "kind": "alertmanager",
        "group_key": payload["groupKey"],
        "receiver": "incli",
        "fingerprints": [f"f{n:02d}" for n in range(12)],
        "firing": [],
        "external_url": "http://alertmanager:9093",
        "truncated": 1,
        "runbook_urls": [links[0], links[1], links[2], "https://example.com/" + "y" * 980, *links[6:12]][:10],
    }
    entries = [(e["kind"], e["by"], e["text"]) for e in data["timeline"]]
    assert all(by == "alertmanager" for _kind, by, _text in entries)
    assert entries[:2] == [  # the mitigation at the alerts' end, then all that was written on receipt
        ("mitigated", "alertmanager", "Mitigated: all alerts resolved (Alertmanager)"),
        ("opened", "alertmanager", "Opened as SEV1 from Alertmanager: Database connection pool exhausted"),
    ]
    assert entries[2][2].startswith("Alert resolved at 2025-01-15T14:40:00+00:00: DBConnectionPoolExhausted")
    assert entries[-2:] == [
        ("note", "alertmanager", "Opened from a resolved notification: the alerts ended before incli received them"),
        ("note", "alertmanager", "1 more alert in this group was truncated by Alertmanager"),
    ]
    assert data["detected_at"] == "2025-01-15T14:28:00+00:00" and data["mitigated_at"] == "2025-01-15T14:40:00+00:00"


def test_repeats_after_a_person_resolved_it_open_nothing_new(repo: Path, monkeypatch) -> None:
    opened = ingest(repo, firing_two())
    svc_at(repo, "2025-01-15T14:50:00+00:00").transition(opened.incident_id, "resolve", by="alice")
    repeat = ingest(repo, firing_two(), when="2025-01-15T18:30:00+00:00")
    assert repeat.action == "unchanged" and repeat.incident_id == opened.incident_id
    assert len(files(repo)) == 1
    # the same alert starting again later is a new occurrence
    later = notification([alert("db-1:9187", fingerprint="a1b2c3d4e5f60718", starts="2025-01-16T09:00:00Z")])
    new = ingest(repo, later, when="2025-01-16T09:01:00+00:00")
    assert new.action == "opened" and new.incident_id != opened.incident_id


def test_a_repeat_of_an_old_occurrence_names_the_latest_resolved_incident(repo: Path) -> None:
    first = ingest(repo, notification([alert("db-1:9187", fingerprint="a1")])).incident_id
    svc_at(repo, "2025-01-15T15:00:00+00:00").transition(first, "resolve", by="alice")
    again = notification([alert("db-1:9187", fingerprint="a1", starts="2025-01-16T09:00:00Z")])
    second = ingest(repo, again, when="2025-01-16T09:01:00+00:00").incident_id
    assert second != first
    svc_at(repo, "2025-01-16T10:00:00+00:00").transition(second, "resolve", by="alice")
    repeat = ingest(repo, notification([alert("db-1:9187", fingerprint="a1")]), when="2025-01-16T11:00:00+00:00")
    assert (repeat.action, repeat.incident_id) == ("unchanged", second)  # both saw it: the newer is named
    assert f"{second} is resolved and already records these alerts; if the problem is back, inc reopen {second}" in (
        repeat.message
    )
    assert len(files(repo)) == 2


def test_starts_at_in_the_future_is_clamped_to_receipt_with_a_note(repo: Path) -> None:
    skewed = notification([alert("db-1:9187", fingerprint="a1", starts="2025-01-15T14:32:00Z")])
    ingest(repo, skewed, when="2025-01-15T14:30:10+00:00")
    data = load(repo)
    assert data["started_at"] == "2025-01-15T14:30:10+00:00"
    assert any("clock skew" in e["text"] for e in data["timeline"] if e["kind"] == "note")


def test_ends_at_before_detection_keeps_the_lifecycle_order(repo: Path) -> None:
    ingest(repo, notification([alert("db-1:9187", fingerprint="a1")]), when="2025-01-15T14:30:10+00:00")
    early = notification([alert("db-1:9187", fingerprint="a1", status="resolved", ends="2025-01-15T14:29:00Z")])
    ingest(repo, early, when="2025-01-15T14:45:00+00:00")
    data = load(repo)
    assert data["mitigated_at"] == "2025-01-15T14:30:10+00:00"
    assert data["detected_at"] <= data["mitigated_at"]


def test_severity_map_and_service_label_from_config(repo: Path) -> None:
    config = repo / "incli.yaml"
    config.write_text(
        config.read_text() + "alerts:\n  severity_map: {warning: SEV2}\n  default_severity: SEV4\n"
        "  service_label: job\n"
    )
    ingest(repo, notification([alert("db-2", fingerprint="b2", severity="warning")]))
    data = load(repo)
    assert data["severity"] == "SEV2"
    assert data["service"] == "checkout-api"
    ingest(repo, notification([alert("x", fingerprint="c3", severity="sunny")], group_key="other"))
    sevs = sorted(yaml.safe_load(p.read_text())["severity"] for p in files(repo))
    assert sevs == ["SEV2", "SEV4"]


def test_concurrent_deliveries_open_one_incident(repo: Path) -> None:
    errors: list[BaseException] = []

    def deliver() -> None:
        try:
            ingest(repo, firing_two())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(files(repo)) == 1


def test_hand_written_payload_without_version_group_key_or_status(repo: Path) -> None:
    """curl tests often send only the alerts; the group key is then derived from the labels."""
    payload = {
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "HighLatency", "severity": "warning"},
                "annotations": {"summary": "p99 above 2s"},
                "startsAt": "2025-01-15T13:59:59.999999999-00:30",
            }
        ]
    }  # noqa: E501
    first = ingest(repo, payload)
    assert first.action == "opened"
    assert ingest(repo, payload, when="2025-01-15T14:40:00+00:00").action == "unchanged"
    data = load(repo)
    assert data["title"] == "p99 above 2s"
    assert data["severity"] == "SEV3"
    assert data["started_at"] == "2025-01-15T14:29:59.999999+00:00"  # -00:30 offset, nanoseconds cut
    assert data["source"]["group_key"] == '{}:{alertname="HighLatency", severity="warning"}'


def test_a_more_severe_new_alert_raises_the_severity(repo: Path) -> None:
    ingest(repo, notification([alert("db-2", fingerprint="b2", severity="warning")]))
    assert load(repo)["severity"] == "SEV3"
    ingest(
        repo,
        notification(
            [alert("db-2", fingerprint="b2", severity="warning"), alert("db-1", fingerprint="a1", severity="critical")]
        ),
        when="2025-01-15T14:33:00+00:00",
    )
    data = load(repo)
    assert data["severity"] == "SEV1"
    assert data["timeline"][-1] == {
        "at": "2025-01-15T14:33:00+00:00",
        "kind": "severity_changed",
        "by": "alertmanager",
        "text": "Severity SEV3 -> SEV1: a new alert in the group is SEV1",
    }
    # a new warning never lowers it
    ingest(repo, notification([alert("db-3", fingerprint="c3", severity="warning")]), when="2025-01-15T14:34:00+00:00")
    assert load(repo)["severity"] == "SEV1"
