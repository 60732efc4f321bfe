"""Opsgenie's alert API, received: ``POST /v2/alerts`` (create), and
``POST /v2/alerts/{alias}/close`` and ``/acknowledge`` with ``identifierType=alias``.

So Alertmanager's ``opsgenie_configs`` and Grafana's Opsgenie contact point can point
their ``api_url`` at incli. ``alias`` is the dedupe key (the group's incident),
``message`` the title, ``description`` the summary, ``priority`` P1-P5 a severity
(``sources.opsgenie.priority``; Opsgenie's default is P3), ``details`` the labels
(``service`` among them names the service); ``tags``, ``entity`` and ``source`` are kept
in the incident's source. A create says nothing of when the alert began: the receipt
is the start, recorded as assumed. ``Authorization: GenieKey TOKEN`` is the token. The
answers are Opsgenie's: 202 ``{"result": "Request will be processed", "took": ...,
"requestId": ...}``, and ``{"message": ..., "took": ..., "requestId": ...}`` for a refusal.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from incli.domain.alerts import Alert, Notification
from incli.errors import InvalidInput
from incli.integrations.sources import fields, safejson

if TYPE_CHECKING:
    from incli.integrations.sources import Context

NAME = "opsgenie"
LABEL = "Opsgenie"
CREATE_PATH = "/v2/alerts"
PATHS = (CREATE_PATH,)
PATH_PATTERN = r"/v2/alerts/[^/]{1,1600}/(?:close|acknowledge)"
TOKEN_SCHEMES = ("GenieKey",)
PRIORITIES = ("P1", "P2", "P3", "P4", "P5")
DEFAULT_PRIORITY = "P3"
MAX_MESSAGE = 130  # Opsgenie's limit; longer messages are cut, as Opsgenie does
MAX_ALIAS = 512
_ACTION = re.compile(r"^/v2/alerts/(?P<id>[^/]+)/(?P<action>close|acknowledge)$")


def success(body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
    return 202, {"result": "Request will be processed", "took": 0.0, "requestId": str(uuid.uuid4())}


def failure(status: int, message: str) -> dict[str, Any]:
    return {"message": message, "took": 0.0, "requestId": str(uuid.uuid4())}


def priority_level(value: Any, context: Context, what: str = "priority") -> str | None:
    """The severity for an Opsgenie priority (P1-P5; absent: P3, as Opsgenie)."""
    priority = DEFAULT_PRIORITY if value is None or value == "" else value
    if priority not in PRIORITIES:
        raise InvalidInput(f"{what} is {value!r}; expected one of P1, P2, P3, P4, P5")
    return context.settings.opsgenie.priority.get(str(priority))


def parse(data: bytes | str, context: Context | None = None) -> Notification:
    from incli.integrations.sources import Context

    context = context or Context()
    match = _ACTION.match(context.path)
    if match:
        return _action(data, match["action"], unquote(match["id"]), context)
    if context.path not in ("", CREATE_PATH):
        raise InvalidInput(f"{context.path} is not an Opsgenie alert API path incli reads")
    raw = fields.obj(safejson.loads(data), "the request", "an Opsgenie create-alert request with message")
    message = fields.text(raw.get("message"), "message", MAX_MESSAGE, required=True)
    assert message is not None
    alias = fields.key(raw.get("alias"), "alias", MAX_ALIAS) or fields.digest(raw)
    description = fields.text(raw.get("description"), "description", 15000)
    labels = fields.text_map(raw.get("details"), "details")
    entity = fields.text(raw.get("entity"), "entity", 512)
    labels["alertname"] = entity or "alert"
    annotations = {"summary": message, **({"description": description} if description else {})}
    tags = raw.get("tags")
    if tags is not None and (not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)):
        raise InvalidInput("tags must be a list of text")
    details: dict[str, Any] = {}
    if tags:
        details["tags"] = [t[:100] for t in tags[:20]]
    if entity:
        details["entity"] = entity
    origin = fields.text(raw.get("source"), "source", 100)
    if origin:
        details["alert_source"] = origin
    alert = Alert(
        status="firing",
        labels=labels,
        annotations=annotations,
        starts_at=None,  # Opsgenie's create has no time: the receipt, recorded as assumed
        ends_at=None,
        fingerprint=alias,
        severity=priority_level(raw.get("priority"), context),
    )
    return Notification(
        status="firing",
        group_key=alias,
        receiver="",
        alerts=[alert],
        common_labels=labels,
        common_annotations=annotations,
        source=NAME,
        source_label=LABEL,
        details=details,
    )


def _action(data: bytes | str, action: str, identifier: str, context: Context) -> Notification:
    kind = context.query.get("identifierType", "id")
    if kind != "alias":
        raise InvalidInput(
            f"identifierType is {kind!r}; incli knows Opsgenie alerts by alias: add ?identifierType=alias"
        )
    alias = fields.key(identifier, "the alias in the path", MAX_ALIAS, required=True)
    assert alias is not None
    empty = not (data.strip() if isinstance(data, (bytes, str)) else data)
    raw = {} if empty else fields.obj(safejson.loads(data), "the request", "user, source and note")
    note = fields.text(raw.get("note"), "note", 25000)
    user = fields.text(raw.get("user"), "user", 100)
    said = " ".join(p for p in (f"by {user}" if user else "", f"({note})" if note else "") if p) or None
    if action == "close":
        alert = Alert(status="resolved", labels={}, annotations={}, starts_at=None, ends_at=None, fingerprint=alias)
        return Notification(
            status="resolved",
            group_key=alias,
            receiver="",
            alerts=[alert],
            source=NAME,
            source_label=LABEL,
            note=said,
            opens=False,
        )
    return Notification(
        status="firing",
        group_key=alias,
        receiver="",
        alerts=[],
        source=NAME,
        source_label=LABEL,
        kind="acknowledge",
        note=said,
        opens=False,
    )
