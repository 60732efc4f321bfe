"""The ``hooks:`` section of incli.yaml, read into ``Hook`` values, and the one line
a hook tells people. Pure: no I/O (running hooks is ``incli.service.hooks``).

Configured in incli.yaml::

    hooks:
      timeout: 10s                # default for every hook (10s when left out)
      opened:
        - run: [notify-send, "Incident opened"]   # argv as written; never a shell
        - webhook: https://hooks.slack.com/services/T000/B000/XXXX
          format: slack           # json (default) or slack
          timeout: 5s
      mitigated:
        - webhook: http://127.0.0.1:8080/incidents
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from incli.domain.model import Incident
from incli.domain.rules import command_arg
from incli.domain.times import parse_duration
from incli.errors import ConfigError, InvalidInput

DEFAULT_TIMEOUT = 10.0
FORMATS = ("json", "slack")

EVENT_PHRASES = {
    "opened": "opened",
    "acknowledged": "acknowledged",
    "mitigated": "mitigated",
    "resolved": "resolved",
    "reopened": "reopened",
    "note": "note",
    "update": "status update",
    "severity_changed": "severity changed",
    "assigned": "role assigned",
    "edited": "edited by hand",
    "imported": "imported",
    "postmortem_published": "postmortem published",
    "ack_overdue": "acknowledgement overdue",
    "update_overdue": "stakeholder update overdue",
    "action_overdue": "action item overdue",
    "rule_triggered": "rule triggered",
}


# What a `run` hook finds in its environment (service/hooks.py sets them).
ENVIRONMENT = (
    ("INC_ID", "the incident's id"),
    ("INC_EVENT", "the event (opened, acknowledged, ...)"),
    ("INC_SEVERITY", "its severity"),
    ("INC_STATUS", "its status"),
    ("INC_TITLE", "its title"),
    ("INC_DIR", "the repository"),
)


@dataclass(frozen=True)
class Hook:
    event: str
    index: int
    run: tuple[str, ...] | None = None
    webhook: str | None = None
    format: str = "json"
    timeout: float = DEFAULT_TIMEOUT

    def describe(self) -> str:
        if self.run is not None:
            return f"hooks.{self.event}[{self.index}] (run {self.run[0]})"
        return f"hooks.{self.event}[{self.index}] (webhook {self.webhook})"


def _timeout(value: Any, where: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(where, "timeout must be a duration such as 10s")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip()
        try:
            # A bare number is seconds here (parse_duration reads it as minutes).
            seconds = float(text) if text.replace(".", "", 1).isdigit() else parse_duration(text).total_seconds()
        except InvalidInput as exc:
            raise ConfigError(where, f"{exc}") from None
    if seconds <= 0:
        raise ConfigError(where, "timeout must be more than zero")
    return seconds


def parse_hooks(raw: Any) -> dict[str, list[Hook]]:
    """The ``hooks:`` section, checked; ConfigError names the first problem."""
    where = "hooks"
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(where, "must map event names to lists of hooks")
    default = _timeout(raw["timeout"], "hooks.timeout") if "timeout" in raw else DEFAULT_TIMEOUT
    found: dict[str, list[Hook]] = {}
    for event, items in raw.items():
        if event == "timeout" or items is None:
            continue
        event = str(event)
        if isinstance(items, dict):
            items = [items]
        if not isinstance(items, list):
            raise ConfigError(f"hooks.{event}", "must be a list of hooks ({{run: [...]}} or {{webhook: URL}})")
        hooks = []
        for index, item in enumerate(items):
            hooks.append(_hook(event, index, item, default, f"hooks.{event}[{index}]"))
        found[event] = hooks
    return found


def _hook(event: str, index: int, item: Any, default: float, where: str) -> Hook:
    if not isinstance(item, dict):
        raise ConfigError(where, "expected {run: [argv...]} or {webhook: URL, format: json|slack}")
    unknown = set(item) - {"run", "webhook", "format", "timeout"}
    if unknown:
        raise ConfigError(where, f"unknown key {sorted(unknown)[0]!r}; use run or webhook, format, timeout")
    if ("run" in item) == ("webhook" in item):
        raise ConfigError(where, "give exactly one of run or webhook")
    timeout = _timeout(item["timeout"], where) if "timeout" in item else default
    if "run" in item:
        argv = item["run"]
        if isinstance(argv, str):
            raise ConfigError(
                where, "run must be a list of arguments such as [notify-send, Incident] (incli never runs a shell)"
            )
        if not isinstance(argv, list) or not argv or not all(isinstance(a, (str, int, float)) for a in argv):
            raise ConfigError(where, "run must be a non-empty list of arguments")
        if "format" in item:
            raise ConfigError(where, "format applies to webhooks only")
        return Hook(event, index, run=tuple(command_arg(a) for a in argv), timeout=timeout)
    url = item["webhook"]
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigError(where, "webhook must be an http:// or https:// URL")
    fmt = item.get("format", "json")
    if fmt not in FORMATS:
        raise ConfigError(where, f"format must be json or slack, not {fmt!r}")
    return Hook(event, index, webhook=url, format=fmt, timeout=timeout)


# -- what hooks tell people ----------------------------------------------------


def message(event: str, incident: Incident | None, extra: Mapping[str, Any]) -> str:
    """One line for people: what happened to which incident."""
    phrase = EVENT_PHRASES.get(event, event.replace("_", " "))
    if event == "rule_triggered" and "rule" in extra:
        rule = extra["rule"]
        head = (
            f"Rule {rule.get('name')} triggered: {rule.get('metric')} = {extra.get('value')} "
            f"{rule.get('op')} {rule.get('threshold')}"
        )
        return head + (f" ({incident.id})" if incident else "")
    if incident is None:
        return f"{phrase}"
    text = f"[{incident.severity}] {incident.id} {phrase}: {incident.title}"
    if incident.service:
        text += f" ({incident.service})"
    if event == "action_overdue" and "action" in extra:
        action = extra["action"]
        owner = f", owner {action.get('owner')}" if action.get("owner") else ""
        text += f'. Action {action.get("id")} "{action.get("title")}" was due {action.get("due")}{owner}'
    elif "due_at" in extra:
        text += f" (due {extra['due_at']})"
    else:
        entry = incident.last_entry(event)
        if entry is not None and event in ("note", "update", "severity_changed", "assigned") and entry.text:
            text += f". {entry.text}"
    return text
