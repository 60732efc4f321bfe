"""PagerDuty's REST API v2 incidents, as saved by a script, into the records ``inc import`` reads.

An importer is a module with ``NAME``, ``objects(text) -> list`` (the items of a
saved export; InvalidInput when it is not one) and ``record(item, settings) ->
dict`` (one item as incli's import keys; InvalidInput says why it cannot be).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from incli.domain.config import PagerDutyImport
from incli.domain.times import parse_iso, to_iso
from incli.errors import InvalidInput
from incli.integrations.sources import safejson

NAME = "pagerduty"


def objects(text: str) -> list[Any]:
    """The incident objects of a saved REST API v2 response (a page, one incident, or a list)."""
    try:
        data = safejson.decode(text, "the file")
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if isinstance(data, dict) and isinstance(data.get("incidents"), list):
        items = data["incidents"]
    elif isinstance(data, dict) and isinstance(data.get("incident"), dict):
        items = [data["incident"]]
    elif isinstance(data, list):
        items = data
    elif isinstance(data, dict) and data.get("type") == "incident":
        items = [data]
    else:
        raise InvalidInput('not a PagerDuty REST API v2 response: expected {"incidents": [...]} or {"incident": {...}}')
    return list(items)


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


def parse_stored_any(value: str) -> datetime | None:
    """An ISO 8601 time with an offset, else None (a naive time has no place in the data)."""
    moment = parse_iso(value.strip())
    return moment if moment is not None and moment.tzinfo else None


def record(raw: Any, settings: PagerDutyImport) -> dict[str, Any]:
    """A PagerDuty incident object as the keys inc import reads."""
    if not isinstance(raw, dict):
        raise InvalidInput("expected a PagerDuty incident object")
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
    number = raw.get("incident_number")
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
                "by": _summary(raw.get("last_status_change_by")),
                "text": "Resolved in PagerDuty",
            }
        )
    for entry in timeline:
        moment = parse_stored_any(str(entry["at"]))
        entry["at"] = to_iso(moment) if moment else entry["at"]
    source: dict[str, Any] = {"kind": "pagerduty", "id": str(pd_id)}
    if raw.get("html_url"):
        source["url"] = raw["html_url"]
    if number is not None:
        source["number"] = number
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
