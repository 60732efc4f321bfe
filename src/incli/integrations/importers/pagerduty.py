"""PagerDuty's REST API v2 incidents, as saved by a script, into the records ``inc import`` reads.

An importer is a module with ``NAME``, ``objects(text) -> list`` (the items of a
saved export; InvalidInput when it is not one) and ``record(item, settings) ->
dict`` (one item as incli's import keys; InvalidInput says why it cannot be).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from incli.domain.config import PagerDutyImport
from incli.domain.times import parse_iso, to_iso
from incli.errors import InvalidInput
from incli.integrations.sources import safejson

NAME = "pagerduty"


def objects(text: str) -> list[Any]:
    """The incidents of a saved export, each with the log entries and v3 webhook events of the
    same file that name it (by incident id) added to its ``log_entries``.

    The file is one of these or a list of them: a REST API v2 page (``{"incidents": [...]}``,
    ``{"incident": {...}}``, ``{"log_entries": [...]}``), an incident or log entry object, or a
    v3 webhook payload (``{"event": {"event_type": "incident.acknowledged", "data": {...}}}``).
    An incident known only from webhook payloads is built from its latest ``event.data``. Log
    entries of an incident the file does not hold are one invalid row."""
    try:
        data = safejson.decode(text, "the file")
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    pages = data if isinstance(data, list) else [data]
    incidents: dict[str, dict[str, Any]] = {}
    unnamed: list[Any] = []  # incidents without an id: record() says why they cannot be
    logs: dict[str, list[dict[str, Any]]] = {}
    events: dict[str, list[dict[str, Any]]] = {}

    def add_incident(item: Any) -> None:
        if isinstance(item, dict) and item.get("id"):
            incidents.setdefault(str(item["id"]), item)
        else:
            unnamed.append(item)

    def add_log(item: Any) -> None:
        if isinstance(item, dict):
            owner = item.get("incident")
            key = str(owner.get("id")) if isinstance(owner, dict) and owner.get("id") else ""
            logs.setdefault(key, []).append(item)

    for page in pages:
        if isinstance(page, dict) and isinstance(page.get("incidents"), list):
            for item in page["incidents"]:
                add_incident(item)
        elif isinstance(page, dict) and isinstance(page.get("incident"), dict) and "event" not in page:
            add_incident(page["incident"])
        elif isinstance(page, dict) and isinstance(page.get("log_entries"), list) and page.get("type") != "incident":
            for item in page["log_entries"]:
                add_log(item)
        elif isinstance(page, dict) and isinstance(page.get("event"), dict):
            event = page["event"]
            key = _event_incident(event)
            if key:
                events.setdefault(key, []).append(event)
        elif isinstance(page, dict) and str(page.get("type", "")).endswith("_log_entry"):
            add_log(page)
        elif isinstance(page, dict) and page.get("type") == "incident":
            add_incident(page)
        else:
            raise InvalidInput(
                'not a PagerDuty REST API v2 response: expected {"incidents": [...]}, {"incident": {...}}, '
                '{"log_entries": [...]} or v3 webhook payloads {"event": {...}}'
            )
    for key, found in events.items():
        found.sort(key=lambda e: parse_stored_any(str(e.get("occurred_at") or "")) or datetime.min.replace(tzinfo=UTC))
        if key not in incidents:
            latest = [
                e["data"] for e in found if isinstance(e.get("data"), dict) and e["data"].get("type") == "incident"
            ]
            if latest:
                base = dict(latest[-1])
                base.setdefault("incident_number", base.get("number"))
                incidents[key] = base
    items: list[Any] = []
    for key, incident in incidents.items():
        extra = logs.pop(key, []) + [e for event in events.get(key, []) if (e := _event_log(event)) is not None]
        if extra:
            own = [e for e in incident.get("log_entries") or [] if isinstance(e, dict)]
            incident = {**incident, "log_entries": own + extra}
        items.append(incident)
    items.extend(unnamed)
    for key, orphans in logs.items():
        items.append({"orphan_log_entries": key or "(none)", "count": len(orphans)})
    return items


EVENT_LOGS = {
    "incident.acknowledged": "acknowledge_log_entry",
    "incident.resolved": "resolve_log_entry",
    "incident.annotated": "annotate_log_entry",
    "incident.triggered": "trigger_log_entry",
}


def _event_incident(event: dict[str, Any]) -> str:
    data = event.get("data")
    if not isinstance(data, dict):
        return ""
    if data.get("type") == "incident" and data.get("id"):
        return str(data["id"])
    owner = data.get("incident")
    return str(owner["id"]) if isinstance(owner, dict) and owner.get("id") else ""


def _event_log(event: dict[str, Any]) -> dict[str, Any] | None:
    """A v3 webhook event as the REST log entry it stands for (None for those that add nothing)."""
    kind = str(event.get("event_type") or "")
    at = event.get("occurred_at")
    if not at or kind == "incident.triggered":
        return None
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    assert isinstance(data, dict)
    entry: dict[str, Any] = {
        "type": EVENT_LOGS.get(kind, "webhook_log_entry"),
        "created_at": at,
        "agent": event.get("agent"),
    }
    if kind == "incident.annotated":
        entry["note"] = data.get("content")
    elif kind not in EVENT_LOGS:
        entry["summary"] = kind.removeprefix("incident.").replace("_", " ").capitalize() + " in PagerDuty"
    return entry


# Each field of a PagerDuty incident that is read, and where it goes.
FIELDS = {
    "id": "source.id",
    "incident_number": "source.number",
    "number": "source.number",
    "title": "title",
    "summary": "title (when there is no title)",
    "description": "summary",
    "created_at": "opened_at (started_at, detected_at assumed)",
    "status": "status (resolved: resolved_at)",
    "resolved_at": "resolved_at",
    "last_status_change_at": "resolved_at (resolved incidents)",
    "last_status_change_by": "the resolution's by",
    "acknowledgements": "acknowledged_at",
    "priority": "severity (import.pagerduty.priority)",
    "urgency": "severity (import.pagerduty.urgency)",
    "service": "service",
    "html_url": "source.url",
    "log_entries": "timeline (acknowledge, resolve, annotate -> note)",
    "type": "(checked)",
}


def fields(item: Any) -> list[str]:
    return [str(k) for k in item] if isinstance(item, dict) else []


def _summary(value: Any) -> str | None:
    if isinstance(value, dict):
        text = value.get("summary") or value.get("name")
        return str(text) if text else None
    return None


def _first_time(values: list[str | None]) -> str | None:
    present = [(parse_stored_any(v), v) for v in values if v]
    present = [(t, v) for t, v in present if t is not None]
    return min(present)[1] if present else None


def _last_time(values: list[str]) -> str | None:
    present = [(t, v) for v in values if (t := parse_stored_any(v)) is not None]
    return max(present)[1] if present else None


def parse_stored_any(value: Any) -> datetime | None:
    """An ISO 8601 time with an offset, else None (a naive time, or a value that is not text,
    has no place in the data)."""
    if not isinstance(value, str):
        return None
    moment = parse_iso(value.strip())
    return moment if moment is not None and moment.tzinfo else None


def record(raw: Any, settings: PagerDutyImport) -> dict[str, Any]:
    """A PagerDuty incident object as the keys inc import reads."""
    if not isinstance(raw, dict):
        raise InvalidInput("expected a PagerDuty incident object")
    if "orphan_log_entries" in raw:
        raise InvalidInput(
            f"{raw['count']} log entries of incident {raw['orphan_log_entries']}, which is not in this file "
            "(save the incident with them)"
        )
    pd_id = raw.get("id")
    created = raw.get("created_at")
    if not pd_id or not created:
        raise InvalidInput("a PagerDuty incident needs id and created_at")
    priorities = settings.priority
    urgencies = settings.urgency
    priority = _summary(raw.get("priority"))
    urgency = raw.get("urgency")
    if priority and priority in priorities:
        severity = priorities[priority]
    elif isinstance(urgency, str) and urgency in urgencies:
        severity = urgencies[urgency]
    else:
        severity = settings.default

    log_entries = [e for e in raw.get("log_entries") or [] if isinstance(e, dict)]
    ack_times = [a.get("at") for a in raw.get("acknowledgements") or [] if isinstance(a, dict)]
    ack_times += [e.get("created_at") for e in log_entries if e.get("type") == "acknowledge_log_entry"]
    acknowledged = _first_time(ack_times)
    acknowledger = None
    for ack in raw.get("acknowledgements") or []:
        if isinstance(ack, dict) and ack.get("at") == acknowledged:
            acknowledger = _summary(ack.get("acknowledger"))
    for log in log_entries:
        if (
            acknowledger is None
            and log.get("type") == "acknowledge_log_entry"
            and log.get("created_at") == acknowledged
        ):
            acknowledger = _summary(log.get("agent"))
    resolved = None
    if raw.get("status") == "resolved":
        resolve_logs = [
            str(e["created_at"]) for e in log_entries if e.get("type") == "resolve_log_entry" and e.get("created_at")
        ]
        resolved = raw.get("resolved_at") or raw.get("last_status_change_at") or _last_time(resolve_logs)
    # PagerDuty keeps acknowledgements that may postdate a resolution (or the data may be
    # odd): an acknowledgement after the resolution is dropped rather than break the order.
    ack_at, res_at, created_at = (parse_stored_any(str(v)) if v else None for v in (acknowledged, resolved, created))
    if ack_at and created_at and ack_at < created_at:
        acknowledged, ack_at = None, None
    if ack_at and res_at and ack_at > res_at:
        acknowledged = None
    number = raw.get("incident_number", raw.get("number"))
    title = raw.get("title") or raw.get("summary") or f"PagerDuty incident {pd_id}"
    timeline = [
        {
            "at": created,
            "kind": "opened",
            "by": None,
            "text": "Triggered in PagerDuty" + (f" (#{number})" if number else ""),
        }
    ]
    if acknowledged:
        timeline.append(
            {
                "at": acknowledged,
                "kind": "acknowledged",
                "by": acknowledger,
                "text": "Acknowledged in PagerDuty",
            }
        )
    if resolved:
        timeline.append(
            {
                "at": resolved,
                "kind": "resolved",
                "by": _summary(raw.get("last_status_change_by"))
                or next(
                    (_summary(e.get("agent")) for e in log_entries if e.get("type") == "resolve_log_entry"),
                    None,
                ),
                "text": "Resolved in PagerDuty",
            }
        )
    for log in log_entries:
        at = parse_stored_any(str(log.get("created_at") or ""))
        if at is None or (created_at and at < created_at):
            continue
        if log.get("type") == "annotate_log_entry":
            channel = log.get("channel") if isinstance(log.get("channel"), dict) else {}
            assert isinstance(channel, dict)
            words = log.get("note") or channel.get("summary") or log.get("summary")
            if words:
                timeline.append(
                    {"at": to_iso(at), "kind": "note", "by": _summary(log.get("agent")), "text": str(words)}
                )
        elif log.get("type") == "webhook_log_entry" and log.get("summary"):
            timeline.append(
                {"at": to_iso(at), "kind": "note", "by": _summary(log.get("agent")), "text": str(log["summary"])}
            )
    for entry in timeline:
        moment = parse_stored_any(str(entry["at"]))
        entry["at"] = to_iso(moment) if moment else entry["at"]
    source: dict[str, Any] = {"kind": "pagerduty", "id": str(pd_id)}
    if raw.get("html_url"):
        source["url"] = raw["html_url"]
    if number is not None:
        source["number"] = number
    timeline.sort(key=lambda e: parse_stored_any(str(e["at"])) or datetime.min.replace(tzinfo=UTC))
    return {
        "title": str(title),
        "severity": severity,
        "service": _summary(raw.get("service")),
        "summary": raw.get("description") if raw.get("description") not in (None, title) else None,
        "opened_at": created,
        "started_at": created,
        "detected_at": created,
        "acknowledged_at": acknowledged,
        "mitigated_at": None,
        "resolved_at": resolved,
        "timeline": timeline,
        "source": source,
        # PagerDuty knows when it was triggered (created_at), not when the impact began or
        # was detected: those are assumed, and metrics count from the trigger instead.
        "assumed": ["detected_at", "started_at"],
    }
