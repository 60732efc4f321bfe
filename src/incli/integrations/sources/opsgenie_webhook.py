"""Opsgenie's own outgoing webhook (``POST /opsgenie-webhook``), so a team can run
Opsgenie and incli side by side while it migrates.

The payload is ``{"action": "Create", "alert": {...}, "source": {...}, "integrationName": ...}``;
in ``alert``, ``createdAt`` is in milliseconds and ``updatedAt`` in nanoseconds since
1970 (both read to the microsecond). ``Create`` opens or adds (started at
``createdAt``), ``Close`` mitigates (at ``updatedAt``), ``Acknowledge`` acknowledges,
``AddNote`` adds the note, and every other action (``Escalate``, ``AssignOwnership``,
...) is a timeline note of the incident its ``alias`` names.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from incli.domain.alerts import Alert, Notification
from incli.domain.times import from_epoch, to_iso
from incli.errors import InvalidInput
from incli.integrations.sources import fields, safejson
from incli.integrations.sources.opsgenie import MAX_ALIAS, MAX_MESSAGE, priority_level

if TYPE_CHECKING:
    from incli.integrations.sources import Context

NAME = "opsgenie-webhook"
LABEL = "Opsgenie"
PATHS = ("/opsgenie-webhook",)
_ACTION = re.compile(r"^[A-Za-z][A-Za-z ]{0,63}$")


def _time(value: Any, unit: str, what: str) -> datetime | None:
    if value is None or value == "":
        return None
    return from_epoch(value, unit, what)


def parse(data: bytes | str, context: Context | None = None) -> Notification:
    from incli.integrations.sources import Context

    context = context or Context()
    raw = fields.obj(safejson.loads(data), "the payload", "Opsgenie's outgoing webhook: action and alert")
    action = raw.get("action")
    if not isinstance(action, str) or not _ACTION.match(action):
        raise InvalidInput(f"action is {action!r}; expected an Opsgenie alert action such as Create or Close")
    alert_raw = fields.obj(raw.get("alert"), "alert", "alertId, alias, message, createdAt, updatedAt")
    alias = fields.key(alert_raw.get("alias"), "alert.alias", MAX_ALIAS) or fields.key(
        alert_raw.get("alertId"), "alert.alertId", MAX_ALIAS
    )
    if alias is None:
        raise InvalidInput("alert has neither alias nor alertId")
    created = _time(alert_raw.get("createdAt"), "ms", "alert.createdAt")
    updated = _time(alert_raw.get("updatedAt"), "ns", "alert.updatedAt")
    user = fields.text(alert_raw.get("username"), "alert.username", 100)
    common: dict[str, Any] = {
        "group_key": alias,
        "receiver": fields.text(raw.get("integrationName"), "integrationName", 200) or "",
    }
    common.update(source=NAME, source_label=LABEL)
    if action in ("Create", "Close"):
        message = fields.text(alert_raw.get("message"), "alert.message", MAX_MESSAGE, required=True)
        assert message is not None
        labels = fields.text_map(alert_raw.get("details"), "alert.details")
        entity = fields.text(alert_raw.get("entity"), "alert.entity", 512)
        labels["alertname"] = entity or "alert"
        description = fields.text(alert_raw.get("description"), "alert.description", 15000)
        annotations = {"summary": message, **({"description": description} if description else {})}
        closing = action == "Close"
        alert = Alert(
            status="resolved" if closing else "firing",
            labels=labels,
            annotations=annotations,
            starts_at=created,
            ends_at=updated if closing else None,
            fingerprint=alias,
            severity=priority_level(alert_raw.get("priority"), context, "alert.priority"),
        )
        details: dict[str, Any] = {"alert_id": fields.key(alert_raw.get("alertId"), "alert.alertId", MAX_ALIAS)}
        if alert_raw.get("tinyId") is not None:
            details["tiny_id"] = fields.text(alert_raw.get("tinyId"), "alert.tinyId", 64)
        tags = alert_raw.get("tags")
        if isinstance(tags, list) and all(isinstance(t, str) for t in tags) and tags:
            details["tags"] = [t[:100] for t in tags[:20]]
        return Notification(
            status=alert.status,
            alerts=[alert],
            common_labels=labels,
            common_annotations=annotations,
            details={k: v for k, v in details.items() if v is not None},
            note=f"by {user}" if user and closing else None,
            **common,
        )
    when = f" at {to_iso(updated)}" if updated else ""
    by = f" by {user}" if user else ""
    if action == "Acknowledge":
        return Notification(
            status="firing", alerts=[], kind="acknowledge", at=updated, opens=False, note=by.strip() or None, **common
        )
    if action == "AddNote":
        note = fields.text(alert_raw.get("note"), "alert.note", 25000, required=True)
        text = f"Opsgenie note{by}{when}: {note}"
    else:
        text = f"Opsgenie: {action}{by}{when}"
    return Notification(status="firing", alerts=[], kind="note", note=text, at=updated, opens=False, **common)
