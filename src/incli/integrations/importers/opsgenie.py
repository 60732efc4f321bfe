"""Opsgenie history into the records ``inc import --from opsgenie`` reads.

Three shapes, told apart by their fields:

- **alerts** as the REST API lists or gets them (``GET /v2/alerts``, ``/v2/alerts/{id}``:
  ``{"data": [...]}`` or ``{"data": {...}}``, ISO times). ``report.ackTime`` and
  ``report.closeTime`` (milliseconds after ``createdAt``) give the acknowledgement and
  the close; a saved ``logs`` (``GET /v2/alerts/{id}/logs``: a list or ``{"data": [...]}``)
  and ``notes`` become the timeline, and give those times where the report has none.
- **incidents** (``GET /v1/incidents``; ``impactStartDate``, ``impactedServices``), with a
  saved ``timeline`` (``GET /v2/incident-timelines/{id}/entries``: ``{"data": {"entries": [...]}}``
  or a list) where there is one.
- **outgoing-webhook payloads** (``{"action": "Create", "alert": {...}}``), where
  ``alert.createdAt`` is in milliseconds and ``alert.updatedAt`` in nanoseconds: the
  payloads of one alert (by ``alertId``) make one incident: Create opens it, Acknowledge
  acknowledges, Close resolves, AddNote adds a note, at each payload's ``updatedAt``.

A file may hold one of these, a page, or a list of pages or payloads (what a script saved).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from incli.domain.config import Config
from incli.errors import InvalidInput
from incli.integrations.importers import entry, iso, moment, text, timeline
from incli.integrations.sources import safejson

NAME = "opsgenie"
MAX_LOG_ENTRIES = 10_000

FIELDS = {
    # alerts
    "id": "source.id",
    "alertId": "source.id",
    "tinyId": "source.number",
    "message": "title",
    "description": "summary",
    "priority": "severity (import.opsgenie.priority: P1-P5 -> SEV1, SEV2, SEV3, SEV4, SEV4)",
    "createdAt": "opened_at, started_at, detected_at",
    "status": "status (closed/resolved: resolved_at)",
    "acknowledged": "acknowledged_at (with report.ackTime or a log)",
    "report": "acknowledged_at, resolved_at (createdAt + ackTime / closeTime ms)",
    "entity": "service",
    "tags": "tags",
    "logs": "timeline",
    "notes": "timeline (notes)",
    "updatedAt": "resolved_at when nothing else says (closed alerts)",
    # incidents
    "impactStartDate": "started_at",
    "impactEndDate": "mitigated_at",
    "impactedServices": "service (the first)",
    "timeline": "timeline",
    # outgoing webhooks
    "action": "timeline (Create, Acknowledge, Close, AddNote)",
    "alert": "the alert's fields above",
}


def objects(raw_text: str) -> list[Any]:
    try:
        data = safejson.decode(raw_text, "the file")
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    pages = data if isinstance(data, list) else [data]
    items: list[Any] = []
    hooks: dict[str, list[dict[str, Any]]] = {}
    for page in pages:
        if isinstance(page, dict) and isinstance(page.get("alert"), dict) and "action" in page:
            key = str(page["alert"].get("alertId") or page["alert"].get("alias") or len(hooks))
            hooks.setdefault(key, []).append(page)
        elif isinstance(page, dict) and isinstance(page.get("data"), list):
            items.extend(page["data"])
        elif isinstance(page, dict) and isinstance(page.get("data"), dict):
            items.append(page["data"])
        elif isinstance(page, dict) and "createdAt" in page and ("message" in page or "id" in page):
            items.append(page)
        else:
            raise InvalidInput(
                'not an Opsgenie export: expected {"data": [...]} pages of alerts or incidents, '
                'or outgoing-webhook payloads {"action": ..., "alert": {...}}'
            )
    items.extend({"webhook": payloads} for payloads in hooks.values())
    return items


def fields(item: Any) -> list[str]:
    if isinstance(item, dict) and isinstance(item.get("webhook"), list):
        found: dict[str, None] = {}
        for payload in item["webhook"]:
            if isinstance(payload, dict):
                found.update(dict.fromkeys(str(k) for k in payload))
                if isinstance(payload.get("alert"), dict):
                    found.update(dict.fromkeys(f"alert.{k}" for k in payload["alert"]))
        return [k for k in found if k != "alert"]
    return [str(k) for k in item] if isinstance(item, dict) else []


def field_known(name: str) -> bool:
    return name.removeprefix("alert.") in FIELDS or name in FIELDS


def _severity(priority: Any, config: Config) -> str | None:
    mapping = config.opsgenie_import
    if isinstance(priority, str):
        for key in (priority.strip(), priority.strip().upper()):
            if key in mapping.values:
                return mapping.values[key]
    return mapping.default


def _list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        value = value.get("data", value.get("entries"))
        if isinstance(value, dict):
            value = value.get("entries")
    return [e for e in value or [] if isinstance(e, dict)][:MAX_LOG_ENTRIES] if isinstance(value, list) else []


def _after(start: datetime, millis: Any) -> datetime | None:
    if isinstance(millis, bool) or not isinstance(millis, (int, float)) or millis < 0:
        return None
    return start + timedelta(milliseconds=millis)


def _tags(value: Any) -> list[str]:
    return [str(t) for t in value if isinstance(t, (str, int))] if isinstance(value, list) else []


def record(item: Any, config: Config) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InvalidInput("expected an Opsgenie alert or incident object")
    if isinstance(item.get("webhook"), list):
        return _from_webhooks(item["webhook"], config)
    if "impactStartDate" in item or "impactedServices" in item or "extraProperties" in item:
        return _incident(item, config)
    return _alert(item, config)


def _base(raw: dict[str, Any], created: datetime, config: Config, kind_text: str) -> dict[str, Any]:
    ident = raw.get("id") or raw.get("alertId")
    title = raw.get("message") or f"Opsgenie {kind_text} {ident}"
    source: dict[str, Any] = {"kind": "opsgenie", "id": str(ident)}
    if raw.get("tinyId") not in (None, ""):
        source["number"] = str(raw["tinyId"])
    description = raw.get("description")
    return {
        "title": str(title),
        "severity": _severity(raw.get("priority"), config),
        "service": text(raw.get("entity")),
        "summary": str(description) if description and description != title else None,
        "tags": _tags(raw.get("tags")),
        "opened_at": iso(created),
        "started_at": iso(created),
        "detected_at": iso(created),
        "acknowledged_at": None,
        "mitigated_at": None,
        "resolved_at": None,
        "source": source,
        "assumed": ["detected_at", "started_at"],
    }


def _alert(raw: dict[str, Any], config: Config) -> dict[str, Any]:
    created = moment(raw.get("createdAt"), "ms")
    if not raw.get("id") or created is None:
        raise InvalidInput("an Opsgenie alert needs id and createdAt (an ISO time)")
    result = _base(raw, created, config, "alert")
    report = raw.get("report") if isinstance(raw.get("report"), dict) else {}
    assert isinstance(report, dict)
    acked = _after(created, report.get("ackTime"))
    closed = _after(created, report.get("closeTime"))
    entries = [entry(created, "opened", "Created in Opsgenie" + (f" (#{raw['tinyId']})" if raw.get("tinyId") else ""))]
    for log in _list(raw.get("logs")):
        at = moment(log.get("createdAt"), "ms")
        words = str(log.get("log") or "").strip()
        if at is None or not words:
            continue
        lowered = words.lower()
        if "acknowledged" in lowered and "unacknowledged" not in lowered and acked is None:
            acked = at
        elif lowered.startswith(("alert closed", "closed")) and closed is None:
            closed = at
        else:
            entries.append(entry(at, "note", words, log.get("owner")))
    for note in _list(raw.get("notes")):
        at = moment(note.get("createdAt"), "ms")
        if at is not None and note.get("note"):
            entries.append(entry(at, "note", str(note["note"]), note.get("owner")))
    if str(raw.get("status") or "").lower() == "closed" and closed is None:
        closed = moment(raw.get("updatedAt"), "ms")
    if acked is not None and (acked < created or (closed is not None and acked > closed)):
        acked = None
    if acked is not None:
        result["acknowledged_at"] = iso(acked)
        entries.append(entry(acked, "acknowledged", "Acknowledged in Opsgenie", report.get("acknowledgedBy")))
    if closed is not None and closed >= created:
        result["resolved_at"] = iso(closed)
        entries.append(entry(closed, "resolved", "Closed in Opsgenie", report.get("closedBy")))
    result["timeline"] = timeline(entries)
    return result


TIMELINE_RESOLVED = ("incidentresolved", "incidentclosed")


def _incident(raw: dict[str, Any], config: Config) -> dict[str, Any]:
    created = moment(raw.get("createdAt"))
    if not raw.get("id") or created is None:
        raise InvalidInput("an Opsgenie incident needs id and createdAt (an ISO time)")
    result = _base(raw, created, config, "incident")
    services = raw.get("impactedServices")
    if isinstance(services, list) and services:
        result["service"] = text(services[0])
    started = moment(raw.get("impactStartDate"))
    if started is not None and started <= created:
        result["started_at"] = iso(started)
        result["assumed"] = ["detected_at"]
    ended = moment(raw.get("impactEndDate"))
    entries = [entry(created, "opened", "Opened in Opsgenie" + (f" (#{raw['tinyId']})" if raw.get("tinyId") else ""))]
    resolved = None
    for item in _list(raw.get("timeline")):
        at = moment(item.get("eventTime"))
        kind = str(item.get("type") or "").lower()
        if at is None or item.get("hidden") is True:
            continue
        description = item.get("description")
        words = str((description.get("content") if isinstance(description, dict) else description) or kind).strip()
        if kind in TIMELINE_RESOLVED and resolved is None:
            resolved = at
        elif kind != "incidentcreated":
            entries.append(entry(at, "note", words, item.get("actor")))
    if str(raw.get("status") or "").lower() in ("resolved", "closed") and resolved is None:
        resolved = ended or moment(raw.get("updatedAt"))
    if ended is not None and ended >= created and (resolved is None or ended <= resolved):
        result["mitigated_at"] = iso(ended)
        entries.append(entry(ended, "mitigated", "Impact ended (Opsgenie impactEndDate)"))
    if resolved is not None and resolved >= created:
        result["resolved_at"] = iso(resolved)
        entries.append(entry(resolved, "resolved", "Resolved in Opsgenie"))
    result["timeline"] = timeline(entries)
    return result


def _from_webhooks(payloads: list[Any], config: Config) -> dict[str, Any]:
    """The saved outgoing-webhook payloads of one alert, as one incident."""
    events = []
    for payload in payloads:
        alert = payload.get("alert") if isinstance(payload, dict) else None
        if not isinstance(alert, dict):
            continue
        at = moment(alert.get("updatedAt"), "ns") or moment(alert.get("createdAt"), "ms")
        events.append((at, str(payload.get("action") or ""), alert, payload))
    first = next((alert for _at, action, alert, _p in events if action == "Create"), events[0][2] if events else None)
    if first is None:
        raise InvalidInput("no alert in these Opsgenie webhook payloads")
    created = moment(first.get("createdAt"), "ms")
    ident = first.get("alertId")
    if not ident or created is None:
        raise InvalidInput("an Opsgenie webhook alert needs alertId and createdAt (milliseconds)")
    result = _base({**first, "id": ident}, created, config, "alert")
    entries = [
        entry(created, "opened", "Created in Opsgenie" + (f" (#{first['tinyId']})" if first.get("tinyId") else ""))
    ]
    acked = closed = None
    for at, action, alert, payload in sorted(events, key=lambda e: e[0] or created):
        if at is None:
            continue
        by = alert.get("username") or (payload.get("source") or {}).get("name") if isinstance(payload, dict) else None
        if action == "Acknowledge" and acked is None:
            acked = at
            result["acknowledged_at"] = iso(at)
            entries.append(entry(at, "acknowledged", "Acknowledged in Opsgenie", by))
        elif action == "Close" and closed is None:
            closed = at
            result["resolved_at"] = iso(at)
            entries.append(entry(at, "resolved", "Closed in Opsgenie", by))
        elif action == "AddNote" and alert.get("note"):
            entries.append(entry(at, "note", str(alert["note"]), by))
        elif action == "EscalateNext" or action == "Escalate":
            entries.append(entry(at, "note", f"Escalated in Opsgenie ({action})", by))
    if acked is not None and closed is not None and acked > closed:
        result["acknowledged_at"] = None
        entries = [e for e in entries if e["kind"] != "acknowledged"]
    result["timeline"] = timeline(entries)
    return result
