"""Grafana alerting's webhook contact point (``"version": "1"``), read into incli's alert model.

It is Alertmanager's shape with more: ``orgId``, ``state``, a deprecated top-level
``title`` and ``message``, and per alert ``values``, ``silenceURL``, ``dashboardURL`` and
``panelURL``. The grouping, dedupe and title rules are Alertmanager's (summary
annotation, else alert name); the links and Grafana's own title are kept in the
incident's ``source``. ``startsAt`` keeps its microseconds
(``2021-10-12T09:51:03.157076+02:00``). Grafana's legacy (pre-8) alert webhook, with
``ruleName`` and ``evalMatches`` and no ``alerts``, is refused.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from incli.domain.alerts import Notification
from incli.errors import InvalidInput
from incli.integrations.sources import alertmanager, fields, safejson

if TYPE_CHECKING:
    from incli.integrations.sources import Context

NAME = "grafana"
LABEL = "Grafana"
PATHS = ("/grafana",)
SUPPORTED_VERSION = "1"
_LINKS = (
    ("generatorURL", "generator"),
    ("silenceURL", "silence"),
    ("dashboardURL", "dashboard"),
    ("panelURL", "panel"),
)


def parse(data: bytes | str, context: Context | None = None) -> Notification:
    raw = safejson.loads(data)
    if isinstance(raw, dict) and "alerts" not in raw and ("ruleName" in raw or "evalMatches" in raw):
        raise InvalidInput(
            "this is Grafana's legacy alert webhook (ruleName, evalMatches); incli reads unified alerting's "
            "webhook contact point (version 1)"
        )
    if isinstance(raw, dict) and "version" not in raw:
        raise InvalidInput("not a Grafana alerting notification: it has no 'version' (Grafana sends version 1)")
    group = alertmanager.parse_notification(raw, NAME, LABEL, SUPPORTED_VERSION)
    assert isinstance(raw, dict)
    details: dict[str, Any] = {}
    title = fields.text(raw.get("title"), "title", 1000)
    if title:
        details["title"] = title  # deprecated by Grafana, kept as it was
    org = raw.get("orgId")
    if isinstance(org, int) and not isinstance(org, bool):
        details["org_id"] = org
    links: dict[str, dict[str, str]] = {}
    items = raw["alerts"]
    for index, (item, alert) in enumerate(zip(items, group.alerts, strict=True)):
        found = {
            name: url
            for field, name in _LINKS
            if (url := fields.text(item.get(field), f"alerts[{index}].{field}", 2000)) is not None
        }
        if found:
            links[alert.key] = found
    if links:
        details["links"] = links
    return dataclasses.replace(group, details=details)
