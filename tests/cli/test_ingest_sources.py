"""``inc ingest grafana|pagerduty|opsgenie|opsgenie-webhook|cloudwatch|generic:NAME FILE``:
each source opens, updates and mitigates the right incident from a file, with times to
the microsecond; a repeat changes no byte; what a source cannot read is one line. And
``inc ingest serve`` (run in this process, on a loopback port): the answer each sender expects,
the token in each sender's scheme, and an SNS subscription confirmed with --confirm-sns."""

from __future__ import annotations

import email.message
import io
import json
import urllib.error
import urllib.request
import urllib.response
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from incli.errors import ExitCode
from incli.serve import IngestServer
from incli.service.incidents import Service
from incli.storage.repo import find_repository, init_repository
from tests import localhttp
from tests import sourcepayloads as sp
from tests.conftest import check_refused, inc, take_snapshot
from tests.localhttp import serving_in_thread


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    init_repository(tmp_path / "r")
    return tmp_path / "r"


OPENED = datetime(2025, 1, 15, 14, 30, 0, 250000, tzinfo=UTC)  # receipt of the first payloads
LATER = datetime(2025, 1, 15, 14, 45, tzinfo=UTC)  # receipt of the ones that end them
CLOCK = [OPENED]


@pytest.fixture(autouse=True)
def _clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Receipt times the tests choose (the payloads' own times are in January 2025)."""
    CLOCK[0] = OPENED
    monkeypatch.setattr(Service, "now", lambda self: CLOCK[0])


def later() -> None:
    CLOCK[0] = LATER


def configure(repo: Path, text: str) -> None:
    path = repo / "incli.yaml"
    path.write_text(path.read_text() + text)


def feed(repo: Path, source: str, payload: Any, *extra: str, code: int = 0) -> dict[str, Any]:
    ran = inc("ingest", source, "-", "--json", *extra, input=json.dumps(payload), root=repo, code=code)
    return json.loads(ran.stdout) if code == 0 else {"stderr": ran.stderr}


def incidents(repo: Path) -> list[dict[str, Any]]:
    return [yaml.safe_load(p.read_text()) for p in sorted((repo / "incidents").glob("*.yaml"))]


def only(repo: Path) -> dict[str, Any]:
    (found,) = incidents(repo)
    return found


def repeat_changes_nothing(repo: Path, source: str, payload: Any, *extra: str) -> None:
    before = take_snapshot(repo)
    result = feed(repo, source, payload, *extra)
    assert result["action"] == "unchanged", result
    assert take_snapshot(repo) == before


# -- Grafana --------------------------------------------------------------------------


def test_grafana_opens_updates_and_mitigates_with_microseconds(repo: Path) -> None:
    opened = feed(repo, "grafana", sp.grafana([sp.grafana_alert("eu-1")]))
    assert opened["action"] == "opened"
    data = only(repo)
    assert data["title"] == "Checkout memory is high"
    assert data["started_at"] == "2025-01-15T14:28:03.157076+00:00"  # +01:00 read, stored in UTC
    assert data["service"] == "checkout"
    source = data["source"]
    assert source["kind"] == "grafana"
    assert source["title"] == "[FIRING:1] HighMemory (payments)"
    assert source["org_id"] == 1
    assert source["links"]["f1ngerprinteu-1"]["dashboard"] == "https://grafana.example.com/d/mem01"
    assert source["links"]["f1ngerprinteu-1"]["silence"].startswith("https://grafana.example.com/alerting/silence")
    repeat_changes_nothing(repo, "grafana", sp.grafana([sp.grafana_alert("eu-1")]))

    two = sp.grafana([sp.grafana_alert("eu-1"), sp.grafana_alert("us-1", starts="2025-01-15T14:20:00.000001Z")])
    assert feed(repo, "grafana", two)["action"] == "updated"
    data = only(repo)
    assert data["started_at"] == "2025-01-15T14:20:00.000001+00:00"
    assert set(data["source"]["links"]) == {"f1ngerprinteu-1", "f1ngerprintus-1"}

    later()
    ended = [
        sp.grafana_alert("eu-1", status="resolved", ends="2025-01-15T15:40:00.123456+01:00"),
        sp.grafana_alert("us-1", status="resolved", ends="2025-01-15T14:39:00.5Z"),
    ]
    assert feed(repo, "grafana", sp.grafana(ended))["action"] == "mitigated"
    assert only(repo)["mitigated_at"] == "2025-01-15T14:40:00.123456+00:00"
    repeat_changes_nothing(repo, "grafana", sp.grafana(ended))


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({**sp.grafana([sp.grafana_alert("a")]), "version": "4"}, ["version '4' is not supported", "version 1"]),
        ({k: v for k, v in sp.grafana([sp.grafana_alert("a")]).items() if k != "version"}, ["no 'version'"]),
        ({"ruleName": "CPU", "state": "alerting", "evalMatches": []}, ["legacy", "version 1"]),
    ],
)
def test_grafana_refuses_other_versions_in_one_line(repo: Path, payload: dict, words: list[str]) -> None:
    ran = inc("ingest", "grafana", "-", input=json.dumps(payload), root=repo, code=None)
    check_refused(ran, ExitCode.INVALID, "stdin:", *words)
    assert incidents(repo) == []


def test_alertmanager_points_grafana_payloads_at_the_grafana_source(repo: Path) -> None:
    ran = inc(
        "ingest", "alertmanager", "-", input=json.dumps(sp.grafana([sp.grafana_alert("a")])), root=repo, code=None
    )
    check_refused(ran, ExitCode.INVALID, "version '1'", "inc ingest grafana")


def test_alertmanager_truncated_alerts_are_a_timeline_note(repo: Path) -> None:
    from tests.alertpayloads import firing_two

    payload = {**firing_two(), "truncatedAlerts": 12}
    feed(repo, "alertmanager", payload)
    texts = [e["text"] for e in only(repo)["timeline"]]
    assert "12 more alerts in this group were truncated by Alertmanager" in texts
    repeat_changes_nothing(repo, "alertmanager", payload)
    feed(repo, "alertmanager", {**firing_two(), "truncatedAlerts": 3})
    assert "3 more alerts in this group were truncated by Alertmanager" in [e["text"] for e in only(repo)["timeline"]]
    feed(repo, "alertmanager", {**firing_two(), "truncatedAlerts": 1})
    assert "1 more alert in this group was truncated by Alertmanager" in [e["text"] for e in only(repo)["timeline"]]


def test_a_new_alert_joins_the_group_links_and_an_end_at_receipt_needs_no_note(repo: Path) -> None:
    """Links of every alert are kept (a later notification adds its own), and an end time equal to
    the receipt is no clock skew."""
    feed(repo, "grafana", sp.grafana([sp.grafana_alert("a")]))
    later()
    ended = LATER.isoformat().replace("+00:00", "Z")
    feed(repo, "grafana", sp.grafana([sp.grafana_alert("a"), sp.grafana_alert("b", status="resolved", ends=ended)]))
    incident = only(repo)
    links = incident["source"]["links"]
    assert set(links) == {"f1ngerprinta", "f1ngerprintb"} and links["f1ngerprintb"]["silence"].endswith("zone%3Db")
    without_dashboard = sp.grafana_alert("a", status="resolved", ends=ended)
    del without_dashboard["dashboardURL"]
    feed(repo, "grafana", sp.grafana([without_dashboard]))
    incident = only(repo)
    assert incident["source"]["links"]["f1ngerprinta"]["dashboard"] == "https://grafana.example.com/d/mem01"  # kept
    assert incident["mitigated_at"] == LATER.isoformat()
    assert not [e for e in incident["timeline"] if "clock skew" in e["text"] or "earlier milestone" in e["text"]]
    assert set(incident["source"]["links"]) == {"f1ngerprinta", "f1ngerprintb"}


def test_an_end_before_the_incident_was_detected_is_moved_there_with_a_note(repo: Path) -> None:
    feed(repo, "grafana", sp.grafana([sp.grafana_alert("a", starts="2025-01-15T14:28:03Z")]))
    later()
    early = sp.grafana_alert("a", status="resolved", starts="2025-01-15T14:28:03Z", ends="2025-01-15T14:20:00Z")
    feed(repo, "grafana", sp.grafana([early]))
    incident = only(repo)
    assert incident["mitigated_at"] == OPENED.isoformat()  # detected when first received
    assert (
        "note",
        "grafana",
        "Grafana says the alerts ended at 2025-01-15T14:20:00+00:00, before the incident's earlier milestone at "
        "2025-01-15T14:30:00.250000+00:00; mitigated at 2025-01-15T14:30:00.250000+00:00",
    ) in [(e["kind"], e["by"], e["text"]) for e in incident["timeline"]]


def test_an_end_on_the_detection_needs_no_note(repo: Path) -> None:
    feed(repo, "grafana", sp.grafana([sp.grafana_alert("a", starts="2025-01-15T14:28:03Z")]))
    later()
    ended = sp.grafana_alert("a", status="resolved", starts="2025-01-15T14:28:03Z", ends="2025-01-15T14:30:00.25Z")
    feed(repo, "grafana", sp.grafana([ended]))
    incident = only(repo)
    assert incident["mitigated_at"] == OPENED.isoformat()
    assert not [e for e in incident["timeline"] if "earlier milestone" in e["text"]]


def test_after_a_reopen_an_earlier_end_is_moved_to_the_reopen(repo: Path) -> None:
    feed(repo, "grafana", sp.grafana([sp.grafana_alert("a", starts="2025-01-15T14:28:03Z")]))
    ident = only(repo)["id"]
    later()
    inc("resolve", ident, "--at", "2025-01-15T14:35:00Z", root=repo)
    inc("reopen", ident, "--at", "2025-01-15T14:40:00Z", root=repo)
    ended = sp.grafana_alert("a", status="resolved", starts="2025-01-15T14:28:03Z", ends="2025-01-15T14:38:00Z")
    feed(repo, "grafana", sp.grafana([ended]))
    incident = only(repo)
    assert incident["status"] == "mitigated" and incident["mitigated_at"] == "2025-01-15T14:40:00+00:00"
    assert any("before the incident's earlier milestone at 2025-01-15T14:40:00+00:00" in e["text"]
               for e in incident["timeline"])  # fmt: skip


# -- PagerDuty --------------------------------------------------------------------------


def test_pagerduty_trigger_acknowledge_resolve(repo: Path) -> None:
    opened = feed(repo, "pagerduty", sp.pd_trigger())
    assert opened["action"] == "opened"
    data = only(repo)
    assert data["severity"] == "SEV1"  # critical
    assert data["title"] == "DB pool exhausted on checkout-db-1"
    assert data["started_at"] == "2025-01-15T14:28:03.512893+00:00"
    assert data["source"]["group_key"] == "checkout/db-pool"
    assert data["source"]["links"][0] == {"href": "https://monitoring.example.com/db", "text": "Pool dashboard"}
    assert "assumed" not in data
    repeat_changes_nothing(repo, "pagerduty", sp.pd_trigger())
    assert feed(repo, "pagerduty", sp.pd_event("acknowledge"))["action"] == "acknowledged"
    assert only(repo)["status"] == "acknowledged"
    repeat_changes_nothing(repo, "pagerduty", sp.pd_event("acknowledge"))
    assert feed(repo, "pagerduty", sp.pd_event("resolve"))["action"] == "mitigated"
    assert only(repo)["status"] == "mitigated"
    repeat_changes_nothing(repo, "pagerduty", sp.pd_event("resolve"))


def test_pagerduty_without_a_timestamp_starts_at_receipt_recorded_as_assumed(repo: Path) -> None:
    feed(repo, "pagerduty", sp.pd_trigger(timestamp=None, severity="warning"))
    data = only(repo)
    assert data["assumed"] == ["started_at"]
    assert data["started_at"] == data["detected_at"]
    assert data["severity"] == "SEV3"
    notes = [e["text"] for e in data["timeline"] if e["kind"] == "note"]
    assert notes == ["Alert firing: db pool: DB pool exhausted on checkout-db-1"]  # no start time to say


def test_pagerduty_resolve_for_an_unknown_key_opens_nothing(repo: Path) -> None:
    result = feed(repo, "pagerduty", sp.pd_event("resolve", "never-seen"))
    assert result["action"] == "unchanged"
    assert incidents(repo) == []


def test_pagerduty_routing_keys_map_services_and_refuse_others(repo: Path) -> None:
    configure(
        repo,
        f"sources:\n  pagerduty:\n    routing_keys: {{{sp.ROUTING_KEY}: payments}}\n    severity: {{critical: SEV2}}\n",
    )
    feed(repo, "pagerduty", sp.pd_trigger())
    assert (only(repo)["service"], only(repo)["severity"]) == ("payments", "SEV2")
    ran = inc(
        "ingest", "pagerduty", "-", input=json.dumps(sp.pd_trigger("x", routing_key="other")), root=repo, code=None
    )
    check_refused(ran, ExitCode.INVALID, "Invalid routing key")


def test_pagerduty_change_events_note_active_incidents_of_the_service_and_are_kept(repo: Path) -> None:
    configure(repo, f"sources:\n  pagerduty:\n    routing_keys: {{{sp.ROUTING_KEY}: payments}}\n")
    feed(repo, "pagerduty", sp.pd_trigger())
    incident_id = only(repo)["id"]
    result = feed(repo, "pagerduty", sp.pd_change(), "--path", "/v2/change/enqueue")
    assert result["action"] == "change" and result["incident"] == incident_id
    assert "Change (PagerDuty): Deploy checkout v2.14.1 (ci-pipeline-77)" in only(repo)["timeline"][-1]["text"]
    (kept,) = sorted((repo / "changes").glob("*.yaml"))
    record = yaml.safe_load(kept.read_text())
    assert record["at"] == "2025-01-15T14:20:00.250000+00:00"
    assert record["service"] == "payments" and record["summary"] == "Deploy checkout v2.14.1"
    assert sp.ROUTING_KEY not in kept.read_text()  # the key is a secret: never written
    repeat_changes_nothing(repo, "pagerduty", sp.pd_change(), "--path", "/v2/change/enqueue")


def test_pagerduty_refusals_are_one_line(repo: Path) -> None:
    payload = {**sp.pd_trigger(), "event_action": "escalate"}
    ran = inc("ingest", "pagerduty", "-", input=json.dumps(payload), root=repo, code=None)
    check_refused(ran, ExitCode.INVALID, "stdin:", "event_action is 'escalate'", "trigger, acknowledge or resolve")
    assert incidents(repo) == []


def test_pagerduty_trigger_after_a_resolve_fires_again(repo: Path) -> None:
    """A resolve ends the alert of its dedup_key, so the same key triggered again is firing again."""
    feed(repo, "pagerduty", sp.pd_trigger())
    later()
    assert feed(repo, "pagerduty", sp.pd_event("resolve"))["action"] == "mitigated"
    assert (only(repo)["source"]["fingerprints"], only(repo)["source"]["firing"]) == (["checkout/db-pool"], [])
    assert feed(repo, "pagerduty", sp.pd_trigger())["action"] == "updated"
    assert only(repo)["timeline"][-1]["text"].startswith("Firing again: Alert firing since 2025-01-15T14:28:03")


def test_dedup_keys_over_the_limit_are_refused_never_cut_into_one(repo: Path) -> None:
    """Two alerts whose dedup_keys differ past 255 characters, with blanks where a cut would
    fall, are refused: cut, they would be one key and the second alert would be lost."""
    for host in ("db-1", "db-2"):
        long_key = "a" * 250 + " " * 10 + host
        ran = inc("ingest", "pagerduty", "-", input=json.dumps(sp.pd_trigger(long_key)), root=repo, code=None)
        check_refused(ran, ExitCode.INVALID, "stdin:", "dedup_key is longer than 255 characters")
    assert incidents(repo) == []
    feed(repo, "pagerduty", sp.pd_trigger("b" * 255))  # at the limit: taken whole
    assert only(repo)["source"]["fingerprints"] == ["b" * 255]


def test_pagerduty_client_url_is_cut_at_2000_characters(repo: Path) -> None:
    """Like every text a source keeps, a client_url over its limit is cut and marked with an ellipsis."""
    url = "https://monitoring.example.com/?q=" + "x" * 1967
    assert len(url) == 2001
    feed(repo, "pagerduty", {**sp.pd_trigger(), "client_url": url})
    assert only(repo)["source"]["client_url"] == url[:1999] + "…"


# -- Opsgenie ---------------------------------------------------------------------------


def test_opsgenie_create_close_acknowledge(repo: Path) -> None:
    assert feed(repo, "opsgenie", sp.og_create())["action"] == "opened"
    data = only(repo)
    assert (data["title"], data["severity"], data["service"]) == (
        "DBConnectionPoolExhausted checkout",
        "SEV2",
        "checkout",
    )
    assert data["assumed"] == ["started_at"]  # a create has no time: the receipt, recorded as observed
    assert data["source"]["tags"] == ["checkout", "db"] and data["source"]["entity"] == "checkout-db-1"
    repeat_changes_nothing(repo, "opsgenie", sp.og_create())
    ack = f"/v2/alerts/{sp.ALIAS}/acknowledge?identifierType=alias"
    assert feed(repo, "opsgenie", {"user": "alice", "source": "web"}, "--path", ack)["action"] == "acknowledged"
    close = f"/v2/alerts/{sp.ALIAS}/close?identifierType=alias"
    assert feed(repo, "opsgenie", {"source": "Grafana"}, "--path", close)["action"] == "mitigated"
    assert only(repo)["status"] == "mitigated"
    repeat_changes_nothing(repo, "opsgenie", {"source": "Grafana"}, "--path", close)


def test_opsgenie_priority_map_is_configurable(repo: Path) -> None:
    configure(repo, "sources:\n  opsgenie:\n    priority: {P5: SEV3}\n")
    feed(repo, "opsgenie", sp.og_create(priority="P5"))
    assert only(repo)["severity"] == "SEV3"


def test_opsgenie_refuses_ids_it_never_issued(repo: Path) -> None:
    ran = inc("ingest", "opsgenie", "-", "--path", f"/v2/alerts/{sp.ALIAS}/close", input="{}", root=repo, code=None)
    check_refused(ran, ExitCode.INVALID, "identifierType is 'id'", "identifierType=alias")


def test_opsgenie_webhook_reads_milliseconds_and_nanoseconds(repo: Path) -> None:
    assert feed(repo, "opsgenie-webhook", sp.og_webhook("Create"))["action"] == "opened"
    data = only(repo)
    assert data["started_at"] == "2025-01-15T14:28:03.103000+00:00"  # createdAt, ms
    assert data["severity"] == "SEV1"
    repeat_changes_nothing(repo, "opsgenie-webhook", sp.og_webhook("Create"))
    feed(repo, "opsgenie-webhook", sp.og_webhook("AddNote", note="failing over to the replica"))
    assert "failing over to the replica" in only(repo)["timeline"][-1]["text"]
    repeat_changes_nothing(repo, "opsgenie-webhook", sp.og_webhook("AddNote", note="failing over to the replica"))
    later()
    feed(repo, "opsgenie-webhook", sp.og_webhook("Close", updated_ns=1736952000987654321))
    assert only(repo)["mitigated_at"] == "2025-01-15T14:40:00.987654+00:00"  # updatedAt, ns
    # Who closed it is said with the mitigation.
    mitigated = [e["text"] for e in only(repo)["timeline"] if e["kind"] == "mitigated"]
    assert mitigated == ["Mitigated: all alerts resolved (Opsgenie; by alice@example.com)"]


def test_opsgenie_acknowledge_says_who_and_why(repo: Path) -> None:
    feed(repo, "opsgenie", sp.og_create())
    ack = f"/v2/alerts/{sp.ALIAS}/acknowledge?identifierType=alias"
    feed(repo, "opsgenie", {"user": "alice", "source": "web", "note": "on it"}, "--path", ack)
    (acknowledged,) = [e for e in only(repo)["timeline"] if e["kind"] == "acknowledged"]
    assert (acknowledged["by"], acknowledged["text"]) == ("opsgenie", "Acknowledged: Opsgenie by alice (on it)")


def test_opsgenie_close_of_an_alias_never_seen_opens_nothing(repo: Path) -> None:
    close = "/v2/alerts/never-seen/close?identifierType=alias"
    assert feed(repo, "opsgenie", {"user": "alice"}, "--path", close)["action"] == "unchanged"
    assert incidents(repo) == []


def test_opsgenie_close_keeps_a_long_note_whole(repo: Path) -> None:
    """Opsgenie takes notes of up to 25,000 characters: one of 12,000 is kept whole."""
    feed(repo, "opsgenie", sp.og_create())
    note = "failed over to the replica; " * 429  # 12,012 characters
    close = f"/v2/alerts/{sp.ALIAS}/close?identifierType=alias"
    feed(repo, "opsgenie", {"user": "bob", "note": note}, "--path", close)
    (mitigated,) = [e["text"] for e in only(repo)["timeline"] if e["kind"] == "mitigated"]
    assert mitigated == f"Mitigated: all alerts resolved (Opsgenie; by bob ({note.strip()}))"


def test_opsgenie_webhook_acknowledge(repo: Path) -> None:
    feed(repo, "opsgenie-webhook", sp.og_webhook("Create"))
    later()
    acked = feed(repo, "opsgenie-webhook", sp.og_webhook("Acknowledge", updated_ns=1736952000987654321))
    assert acked["action"] == "acknowledged"
    data = only(repo)
    assert (data["status"], data["acknowledged_at"]) == ("acknowledged", "2025-01-15T14:40:00.987654+00:00")
    (entry,) = [e for e in data["timeline"] if e["kind"] == "acknowledged"]
    assert (entry["by"], entry["text"]) == ("opsgenie-webhook", "Acknowledged: Opsgenie by alice@example.com")


def test_opsgenie_webhook_note_without_text_is_refused(repo: Path) -> None:
    feed(repo, "opsgenie-webhook", sp.og_webhook("Create"))
    blank = sp.og_webhook("AddNote", note=" ")
    ran = inc("ingest", "opsgenie-webhook", "-", input=json.dumps(blank), root=repo, code=None)
    check_refused(ran, ExitCode.INVALID, "stdin: alert.note is missing or blank")


# -- CloudWatch ---------------------------------------------------------------------------


def test_cloudwatch_alarm_ok_and_insufficient_data(repo: Path) -> None:
    assert feed(repo, "cloudwatch", sp.sns(sp.cw_alarm()))["action"] == "opened"
    data = only(repo)
    assert data["title"] == "checkout-5xx"
    assert data["summary"] == "Checkout answers 5xx to more than 1% of requests"
    assert data["started_at"] == "2025-01-15T14:28:03.512000+00:00"
    repeat_changes_nothing(repo, "cloudwatch", sp.sns(sp.cw_alarm()))
    insufficient = sp.sns(sp.cw_alarm("INSUFFICIENT_DATA", "2025-01-15T14:35:00.000+0000"))
    assert feed(repo, "cloudwatch", insufficient)["action"] == "noted"
    assert "INSUFFICIENT_DATA since 2025-01-15T14:35:00+00:00" in only(repo)["timeline"][-1]["text"]
    repeat_changes_nothing(repo, "cloudwatch", insufficient)
    later()
    ok = sp.sns(sp.cw_alarm("OK", "2025-01-15T14:41:07.250+0000"))
    assert feed(repo, "cloudwatch", ok)["action"] == "mitigated"
    assert only(repo)["mitigated_at"] == "2025-01-15T14:41:07.250000+00:00"


def test_cloudwatch_raw_delivery_and_subscription(repo: Path) -> None:
    assert feed(repo, "cloudwatch", sp.cw_alarm())["action"] == "opened"  # raw message delivery
    ran = inc("ingest", "cloudwatch", "-", input=json.dumps(sp.sns_subscription()), root=repo)
    assert "SubscribeURL https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription" in ran.stderr


def test_cloudwatch_refuses_what_is_not_an_alarm(repo: Path) -> None:
    other = {**sp.sns(sp.cw_alarm()), "Message": json.dumps({"hello": 1})}
    ran = inc("ingest", "cloudwatch", "-", input=json.dumps(other), root=repo, code=None)
    check_refused(ran, ExitCode.INVALID, "not a CloudWatch alarm")
    ran = inc("ingest", "cloudwatch", "-", input=json.dumps(sp.sns(sp.cw_alarm("PENDING"))), root=repo, code=None)
    check_refused(ran, ExitCode.INVALID, "NewStateValue is 'PENDING'", "ALARM, OK or INSUFFICIENT_DATA")


def test_cloudwatch_insufficient_data_without_a_time_says_so(repo: Path) -> None:
    """A StateChangeTime of the zero time (no time known) is named as such, not a crash."""
    feed(repo, "cloudwatch", sp.sns(sp.cw_alarm()))
    unknown = sp.sns(sp.cw_alarm("INSUFFICIENT_DATA", "0001-01-01T00:00:00.000+0000"))
    assert feed(repo, "cloudwatch", unknown)["action"] == "noted"
    assert only(repo)["timeline"][-1]["text"] == (
        "CloudWatch alarm checkout-5xx is INSUFFICIENT_DATA since an unknown time: "
        "Threshold Crossed: 1 datapoint [2.5] was greater than the threshold (1.0)."
    )


def test_cloudwatch_long_description_is_cut_with_a_mark(repo: Path) -> None:
    description = "Checkout answers 5xx. " * 100  # 2,200 characters; AlarmDescription is kept to 2,000
    feed(repo, "cloudwatch", sp.sns({**sp.cw_alarm(), "AlarmDescription": description}))
    summary = only(repo)["summary"]
    assert len(summary) == 2000 and summary == description[:1999] + "…"


def test_cloudwatch_refuses_a_payload_that_is_no_object(repo: Path) -> None:
    ran = inc("ingest", "cloudwatch", "-", input="[1]", root=repo, code=None)
    check_refused(
        ran, ExitCode.INVALID, "stdin: the payload must be a JSON object (an SNS message holding a CloudWatch alarm)"
    )


# -- generic ------------------------------------------------------------------------------


def test_generic_source_from_incli_yaml(repo: Path) -> None:
    configure(repo, sp.GENERIC_CONFIG)
    ran = inc("ingest", "generic:kuma", "-", input=json.dumps(sp.kuma(0)), root=repo)
    assert ran.stdout.startswith("INC-")
    data = only(repo)
    assert (data["title"], data["service"], data["severity"]) == ("Checkout homepage", "checkout", "SEV2")
    assert data["summary"] == "connect ECONNREFUSED"
    assert data["started_at"] == "2025-01-15T14:28:03.512893+00:00"  # ISO without offset: UTC
    repeat_changes_nothing(repo, "generic:kuma", sp.kuma(0))
    later()
    up = sp.kuma(1, 1736952000123456789)  # epoch nanoseconds, told by magnitude
    assert feed(repo, "generic:kuma", up)["action"] == "mitigated"
    assert only(repo)["mitigated_at"] == "2025-01-15T14:40:00.123456+00:00"
    same = inc("ingest", "generic", "kuma", "-", "--json", input=json.dumps(up), root=repo)
    assert json.loads(same.stdout)["action"] == "unchanged"


def test_generic_refusals(repo: Path) -> None:
    configure(repo, sp.GENERIC_CONFIG)
    ran = inc("ingest", "generic:nope", "-", input="{}", root=repo, code=None)
    check_refused(ran, ExitCode.INVALID, "no generic source 'nope'", "kuma")
    ran = inc("ingest", "generic:kuma", "-", input=json.dumps(sp.kuma(2)), root=repo, code=None)
    check_refused(ran, ExitCode.INVALID, "status (heartbeat.status) is 2", "0 (firing)", "1 (resolved)")
    ran = inc("ingest", "generic:kuma", "-", input=json.dumps({"monitor": {}}), root=repo, code=None)
    check_refused(ran, ExitCode.INVALID, "title (monitor.name) is not in the payload")


def test_sources_config_is_checked(repo: Path) -> None:
    configure(repo, "sources:\n  pagerduty:\n    routing_key: {a: b}\n")
    ran = inc("ingest", "pagerduty", "-", input=json.dumps(sp.pd_trigger()), root=repo, code=None)
    check_refused(ran, ExitCode.INVALID, "incli.yaml", "sources.pagerduty.routing_key", "routing_keys")


def test_generic_source_without_a_status_is_always_firing(repo: Path) -> None:
    configure(repo, "sources:\n  generic:\n    cron:\n      title: job\n")
    assert feed(repo, "generic:cron", {"job": "Nightly backup failed"})["action"] == "opened"
    data = only(repo)
    assert data["source"]["firing"] == ["Nightly backup failed"] and data["status"] == "open"
    notes = [e["text"] for e in data["timeline"] if e["kind"] == "note"]
    assert notes == ["Alert firing: Nightly backup failed: Nightly backup failed"]


def test_generic_refusal_names_every_status_value(repo: Path) -> None:
    configure(
        repo,
        "sources:\n  generic:\n    kuma:\n      title: monitor.name\n      status: heartbeat.status\n"
        "      firing: [0, 2]\n      resolved: [1, 3]\n",
    )
    ran = inc("ingest", "generic:kuma", "-", input=json.dumps(sp.kuma(5)), root=repo, code=None)
    check_refused(
        ran, ExitCode.INVALID, "status (heartbeat.status) is 5; expected 0 or 2 (firing) or 1 or 3 (resolved)"
    )


# -- inc ingest serve ------------------------------------------------------------------------

TOKEN = "s3cret-t0ken"


@contextmanager
def serving(repo: Path, token: str | None = None, confirm_sns: bool = False) -> Iterator[tuple[str, list[str]]]:
    """``inc ingest serve`` in this process on a loopback port: its URL, and the lines it logs
    (all of them once the block ends: closing waits for the requests in flight)."""
    lines: list[str] = []
    repository = find_repository(repo)
    server = IngestServer(("127.0.0.1", 0), lambda: Service(repository), token, lines.append, confirm_sns=confirm_sns)
    with serving_in_thread(server) as url:
        yield url, lines


def post(url: str, payload: Any, headers: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    return localhttp.post(url, json.dumps(payload), headers)


def test_serve_answers_each_sender_in_the_shape_it_reads(repo: Path) -> None:
    """Grafana (like Alertmanager) gets incli's 200; PagerDuty its 202 naming the dedup_key; Opsgenie its
    202 with result, took and requestId; a path no source has, 404 in incli's error shape."""
    with serving(repo) as (url, _lines):
        status, body = post(url + "/grafana", sp.grafana([sp.grafana_alert("eu-1")]))
        assert (status, body["status"], body["action"]) == (200, "ok", "opened")
        answer = {"status": "success", "message": "Event processed", "dedup_key": "checkout/db-pool"}
        assert post(url + "/v2/enqueue", sp.pd_trigger()) == (202, answer)
        status, body = post(url + "/v2/alerts", sp.og_create())
        assert (status, sorted(body), body["result"]) == (
            202,
            ["requestId", "result", "took"],
            "Request will be processed",
        )
        status, body = post(url + "/nowhere", {})
        assert (status, sorted(body), body["status"]) == (404, ["error", "status"], "error")
        assert body["error"].startswith("no such endpoint /nowhere; POST alerts to one of /alertmanager, /grafana")


def test_serve_takes_the_token_in_each_sender_s_scheme(repo: Path) -> None:
    """Opsgenie's senders send ``Authorization: GenieKey TOKEN``; Bearer is every source's."""
    genie = {"Authorization": f"GenieKey {TOKEN}"}
    with serving(repo, token=TOKEN) as (url, _lines):
        assert post(url + "/v2/alerts", sp.og_create(), genie)[0] == 202
        grafana = sp.grafana([sp.grafana_alert("eu-1")])
        assert post(url + "/grafana", grafana, genie) == (
            401,
            {"status": "error", "error": "missing or wrong bearer token"},
        )
        assert post(url + "/grafana", grafana, {"Authorization": f"Bearer {TOKEN}"})[0] == 200


class Answer(urllib.response.addinfourl):
    """An HTTP answer made in the test (urllib's error check reads its ``msg``)."""

    msg = "OK"


def test_serve_confirms_an_sns_subscription_when_asked(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --confirm-sns the SubscribeURL is visited (a GET, as incli) and SNS's answer is logged."""
    visited: list[urllib.request.Request] = []

    def amazon(handler: urllib.request.HTTPSHandler, request: urllib.request.Request) -> urllib.response.addinfourl:
        visited.append(request)
        answer = io.BytesIO(b"<ConfirmSubscriptionResponse/>")
        return Answer(answer, email.message.Message(), request.full_url, 200)

    monkeypatch.setattr(urllib.request.HTTPSHandler, "https_open", amazon)  # no network: SNS's answer made here
    with serving(repo, confirm_sns=True) as (url, lines):
        status, body = post(url + "/cloudwatch", sp.sns_subscription())
        assert (status, body["action"]) == (200, "subscription")
    assert lines[-1] == "SNS subscription confirmed (HTTP 200)"
    (request,) = visited
    assert (request.get_method(), request.full_url, request.get_header("User-agent")) == (
        "GET",
        "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc",
        "incli",
    )
