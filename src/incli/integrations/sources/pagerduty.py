"""PagerDuty's Events API v2, received: ``POST /v2/enqueue`` (alert events) and
``POST /v2/change/enqueue`` (change events), with PagerDuty's own request and answer.

Any tool that can page PagerDuty can open incidents in incli by changing one URL.
An alert event's ``event_action`` is ``trigger`` (opens, or adds to, the incident of
its ``dedup_key``), ``acknowledge`` or ``resolve`` (mitigates); ``payload.timestamp`` is
the start (else the receipt, recorded as assumed) and ``payload.severity`` maps to a
severity (``sources.pagerduty.severity``). ``routing_key`` is checked as the token when
one is set, and maps to a service when ``sources.pagerduty.routing_keys`` is set (then an
unknown key is refused: ``Invalid routing key``). The answer is PagerDuty's: 202
``{"status": "success", "message": "Event processed", "dedup_key": ...}``, or 400
``{"status": "invalid event", "message": "Event object is invalid", "errors": [...]}``.
"""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING, Any

from incli.domain.alerts import Alert, Notification
from incli.domain.alertsources import SourceSettings
from incli.errors import InvalidInput
from incli.integrations.sources import fields, safejson
from incli.integrations.sources.alertmanager import parse_alert_time

if TYPE_CHECKING:
    from incli.integrations.sources import Context

NAME = "pagerduty"
LABEL = "PagerDuty"
ALERT_PATH = "/v2/enqueue"
CHANGE_PATH = "/v2/change/enqueue"
PATHS = (ALERT_PATH, CHANGE_PATH)
TOKEN_IN_BODY = True
ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
MAX_DEDUP_KEY = 255
MAX_SUMMARY = 1024
INVALID_KEY = "Invalid routing key"


def success(body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
    answer: dict[str, Any] = {"status": "success", "message": "Event processed"}
    if body.get("action") != "change":
        answer["dedup_key"] = key
    return 202, answer


def failure(status: int, message: str) -> dict[str, Any]:
    if status == 401:
        return {"status": "unauthorized", "message": INVALID_KEY, "errors": [message]}
    return {"status": "invalid event", "message": "Event object is invalid", "errors": [message]}


def service_for(routing_key: str, settings: SourceSettings) -> str | None:
    """The service a routing key names; InvalidInput (``Invalid routing key``) for a key
    the map does not have. Compared in constant time, every key."""
    keys = settings.pagerduty.routing_keys
    if not keys:
        return None
    found: str | None = None
    given = routing_key.encode("utf-8")
    for known, service in keys.items():
        if hmac.compare_digest(given, known.encode("utf-8")):
            found = service
    if found is None:
        raise InvalidInput(INVALID_KEY)
    return found


def parse(data: bytes | str, context: Context | None = None) -> Notification:
    from incli.integrations.sources import Context

    context = context or Context()
    raw = fields.obj(safejson.loads(data), "the event", "a PagerDuty Events API v2 event")
    routing_key = fields.key(raw.get("routing_key"), "routing_key", 256, required=True)
    assert routing_key is not None
    service = service_for(routing_key, context.settings)
    if context.path == CHANGE_PATH:
        return _change(raw, routing_key, service)
    action = raw.get("event_action")
    if action is None:
        hint = "; a change event goes to /v2/change/enqueue (inc ingest pagerduty --path /v2/change/enqueue)"
        raise InvalidInput(f"event_action is missing: expected trigger, acknowledge or resolve{hint}")
    if action not in ACTIONS:
        raise InvalidInput(f"event_action is {action!r}; expected trigger, acknowledge or resolve")
    dedup_key = fields.key(raw.get("dedup_key"), "dedup_key", MAX_DEDUP_KEY, required=action != "trigger")
    common: dict[str, Any] = {"source": NAME, "source_label": LABEL, "service": service, "credential": routing_key}
    if action != "trigger":
        assert dedup_key is not None
        alert = Alert(status="resolved", labels={}, annotations={}, starts_at=None, ends_at=None, fingerprint=dedup_key)
        return Notification(
            status="resolved" if action == "resolve" else "firing",
            group_key=dedup_key,
            receiver=service or "",
            alerts=[alert] if action == "resolve" else [],
            kind="alerts" if action == "resolve" else "acknowledge",
            opens=False,
            **common,
        )
    payload = fields.obj(raw.get("payload"), "payload", "summary, source and severity")
    summary = fields.text(payload.get("summary"), "payload.summary", MAX_SUMMARY, required=True)
    origin = fields.text(payload.get("source"), "payload.source", 1000, required=True)
    severity = payload.get("severity")
    if severity not in SEVERITIES:
        raise InvalidInput(f"payload.severity is {severity!r}; expected critical, error, warning or info")
    started = parse_alert_time(payload["timestamp"], "payload.timestamp") if payload.get("timestamp") else None
    labels = {
        name: value
        for name in ("component", "group", "class")
        if (value := fields.text(payload.get(name), f"payload.{name}", 1000)) is not None
    }
    labels["alertname"] = labels.get("class") or labels.get("component") or "event"
    labels["source"] = origin or ""
    labels["severity"] = str(severity)
    details_map = fields.text_map(payload.get("custom_details"), "payload.custom_details")
    annotations = {"summary": summary or ""}
    if details_map:
        annotations["description"] = "\n".join(f"{k}: {v}" for k, v in sorted(details_map.items()))
    key = dedup_key or fields.digest(routing_key, payload)
    level = context.settings.pagerduty.severity.get(str(severity))
    alert = Alert(
        status="firing",
        labels=labels,
        annotations=annotations,
        starts_at=started,
        ends_at=None,
        fingerprint=key,
        severity=level,
    )
    details: dict[str, Any] = {}
    found_links = fields.links(raw.get("links"), "links") + fields.links(raw.get("images"), "images")
    if found_links:
        details["links"] = found_links
    for name in ("client", "client_url"):
        if (value := fields.text(raw.get(name), name, 2000)) is not None:
            details[name] = value
    return Notification(
        status="firing",
        group_key=key,
        receiver=service or "",
        alerts=[alert],
        common_labels=labels,
        common_annotations=annotations,
        details=details,
        **common,
    )


def _change(raw: dict[str, Any], routing_key: str, service: str | None) -> Notification:
    payload = fields.obj(raw.get("payload"), "payload", "a change event's summary")
    summary = fields.text(payload.get("summary"), "payload.summary", MAX_SUMMARY, required=True)
    origin = fields.text(payload.get("source"), "payload.source", 1000)
    at = parse_alert_time(payload["timestamp"], "payload.timestamp") if payload.get("timestamp") else None
    found_links = fields.links(raw.get("links"), "links")
    custom = fields.text_map(payload.get("custom_details"), "payload.custom_details")
    details: dict[str, Any] = {"summary": summary}
    if origin:
        details["source"] = origin
    if custom:
        details["custom_details"] = custom
    if found_links:
        details["links"] = found_links
    text = f"Change ({LABEL}): {summary}" + (f" ({origin})" if origin else "")
    if found_links:
        text += " " + " ".join(link.get("href", "") for link in found_links if link.get("href"))
    return Notification(
        status="firing",
        group_key=fields.digest(routing_key, raw),
        receiver=service or "",
        alerts=[],
        source=NAME,
        source_label=LABEL,
        kind="change",
        service=service,
        details=details,
        note=text,
        at=at,
        opens=False,
        credential=routing_key,
    )
