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
        - webhook: https://events.pagerduty.com/v2/enqueue
          format: pagerduty       # routing key: routing_key, else $INC_PAGERDUTY_ROUTING_KEY
        - email: [oncall@example.com]
          smtp: {host: smtp.example.com, port: 587, security: starttls, from: incli@example.com}

The formats: json, slack, mattermost, rocketchat, teams, discord, googlechat, pagerduty.
SMTP credentials come from the environment only (INC_SMTP_USERNAME, INC_SMTP_PASSWORD,
or the variables ``smtp.username_env``/``smtp.password_env`` name), never from incli.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from incli.domain.model import Incident
from incli.domain.rules import command_arg
from incli.domain.times import parse_duration
from incli.errors import ConfigError, InvalidInput

DEFAULT_TIMEOUT = 10.0
FORMATS = ("json", "slack", "mattermost", "rocketchat", "teams", "discord", "googlechat", "pagerduty")
# PagerDuty Events API v2: the event_action each incli event sends (dedup_key = the incident id).
PAGERDUTY_ACTIONS = {
    "opened": "trigger",
    "reopened": "trigger",
    "page": "trigger",
    "acknowledged": "acknowledge",
    "resolved": "resolve",
}
PAGERDUTY_KEY_ENV = "INC_PAGERDUTY_ROUTING_KEY"
SMTP_SECURITY = ("starttls", "ssl", "none")
SMTP_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
SMTP_USERNAME_ENV = "INC_SMTP_USERNAME"
SMTP_PASSWORD_ENV = "INC_SMTP_PASSWORD"
MAX_RECIPIENTS = 50
_ADDRESS = re.compile(r"^[^\s@<>()\[\],;:\\\"]+@[^\s@<>()\[\],;:\\\"]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

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
    "task_overdue": "checklist task overdue",
    "rule_triggered": "rule triggered",
    # on call (service/paging.py, service/oncall.py)
    "page": "page",
    "escalated": "escalated",
    "handoff": "shift handoff",
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
class Smtp:
    """Where an ``email`` hook sends: the server and the sender; credentials are named
    environment variables, read when sending."""

    host: str
    port: int
    security: str  # starttls, ssl or none
    sender: str
    username_env: str = SMTP_USERNAME_ENV
    password_env: str = SMTP_PASSWORD_ENV


@dataclass(frozen=True)
class Hook:
    """One configured hook: the event it fires on and what it runs or calls."""

    event: str
    index: int
    run: tuple[str, ...] | None = None
    webhook: str | None = None
    format: str = "json"
    timeout: float = DEFAULT_TIMEOUT
    email: tuple[str, ...] | None = None  # recipients of an email hook
    smtp: Smtp | None = None
    routing_key: str | None = None  # format pagerduty: given in incli.yaml (else from routing_key_env)
    routing_key_env: str = PAGERDUTY_KEY_ENV

    @property
    def kind(self) -> str:
        return "run" if self.run is not None else "email" if self.email is not None else "webhook"

    def describe(self) -> str:
        if self.run is not None:
            return f"hooks.{self.event}[{self.index}] (run {self.run[0]})"
        if self.email is not None:
            return f"hooks.{self.event}[{self.index}] (email {', '.join(self.email)})"
        return f"hooks.{self.event}[{self.index}] (webhook {self.webhook})"

    def fingerprint(self) -> str:
        """What this hook delivers to, as text: a delivery kept for a retry goes only to the
        same hook (a changed incli.yaml does not send it somewhere new)."""
        if self.run is not None:
            return "run\x1f" + "\x1f".join(self.run)
        if self.email is not None:
            return "email\x1f" + "\x1f".join(self.email) + f"\x1f{self.smtp}"
        return f"webhook\x1f{self.webhook}\x1f{self.format}"


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
        raise ConfigError(where, "expected {run: [argv...]}, {webhook: URL, format: FORMAT} or {email: [ADDRESS]}")
    unknown = set(item) - {"run", "webhook", "format", "timeout", "email", "smtp", "routing_key", "routing_key_env"}
    if unknown:
        raise ConfigError(
            where,
            f"unknown key {sorted(unknown)[0]!r}; use run, webhook (format, routing_key) or email (smtp), timeout",
        )
    if sum(kind in item for kind in ("run", "webhook", "email")) != 1:
        raise ConfigError(where, "give exactly one of run, webhook or email")
    timeout = _timeout(item["timeout"], where) if "timeout" in item else default
    if "email" not in item and "smtp" in item:
        raise ConfigError(where, "smtp applies to email hooks only")
    if item.get("format") != "pagerduty" and ("routing_key" in item or "routing_key_env" in item):
        raise ConfigError(where, "routing_key applies to webhooks with format: pagerduty only")
    if "email" in item:
        if "format" in item:
            raise ConfigError(where, "format applies to webhooks only")
        return Hook(
            event, index, email=_recipients(item["email"], where), smtp=_smtp(item.get("smtp"), where), timeout=timeout
        )
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
        raise ConfigError(where, f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    if fmt != "pagerduty":
        return Hook(event, index, webhook=url, format=fmt, timeout=timeout)
    if event not in PAGERDUTY_ACTIONS:
        raise ConfigError(
            where,
            f"format pagerduty sends trigger, acknowledge and resolve: use it under {', '.join(PAGERDUTY_ACTIONS)}",
        )
    key = item.get("routing_key")
    if key is not None and (not isinstance(key, str) or not key.strip() or env_unsafe(key)):
        raise ConfigError(f"{where}.routing_key", "must be the integration key of a PagerDuty service")
    key_env = _env_name(item.get("routing_key_env", PAGERDUTY_KEY_ENV), f"{where}.routing_key_env")
    return Hook(
        event,
        index,
        webhook=url,
        format=fmt,
        timeout=timeout,
        routing_key=key.strip() if key else None,
        routing_key_env=key_env,
    )


def env_unsafe(text: str) -> bool:
    return any(ord(c) < 32 or ord(c) == 127 for c in text)


def _env_name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _ENV_NAME.match(value):
        raise ConfigError(where, "must be the name of an environment variable, such as INC_SMTP_PASSWORD")
    return value


def valid_address(text: str) -> bool:
    return len(text) <= 254 and bool(_ADDRESS.match(text))


def _recipients(value: Any, where: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise ConfigError(f"{where}.email", "must be an address or a list of addresses")
    if len(items) > MAX_RECIPIENTS:
        raise ConfigError(f"{where}.email", f"at most {MAX_RECIPIENTS} addresses")
    found = []
    for address in items:
        if not isinstance(address, str) or not valid_address(address.strip()):
            raise ConfigError(f"{where}.email", f"{address!r} is not an e-mail address such as oncall@example.com")
        found.append(address.strip())
    return tuple(found)


def _smtp(raw: Any, where: str) -> Smtp:
    where = f"{where}.smtp"
    if not isinstance(raw, dict):
        raise ConfigError(where, "give the server: {host: smtp.example.com, from: incli@example.com}")
    for secret in ("username", "user", "password", "pass"):
        if secret in raw:
            raise ConfigError(
                f"{where}.{secret}",
                f"credentials never live in incli.yaml: set {SMTP_USERNAME_ENV} and {SMTP_PASSWORD_ENV} "
                "(or name other variables with username_env and password_env)",
            )
    unknown = set(raw) - {"host", "port", "security", "from", "username_env", "password_env"}
    if unknown:
        raise ConfigError(
            f"{where}.{sorted(unknown)[0]}", "unknown key; use host, port, security, from, username_env, password_env"
        )
    host = raw.get("host")
    if not isinstance(host, str) or not host.strip() or env_unsafe(host) or " " in host.strip():
        raise ConfigError(f"{where}.host", "must be the SMTP server's host name")
    security = raw.get("security", "starttls")
    if security not in SMTP_SECURITY:
        raise ConfigError(f"{where}.security", f"must be one of {', '.join(SMTP_SECURITY)}, not {security!r}")
    port = raw.get("port", SMTP_PORTS[security])
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ConfigError(f"{where}.port", "must be a port number such as 587")
    sender = raw.get("from")
    if not isinstance(sender, str) or not valid_address(sender.strip()):
        raise ConfigError(f"{where}.from", "must be the sender's address, such as incli@example.com")
    return Smtp(
        host=host.strip(),
        port=port,
        security=security,
        sender=sender.strip(),
        username_env=_env_name(raw.get("username_env", SMTP_USERNAME_ENV), f"{where}.username_env"),
        password_env=_env_name(raw.get("password_env", SMTP_PASSWORD_ENV), f"{where}.password_env"),
    )


# -- what hooks tell people ----------------------------------------------------


def template_data(event: str, incident: Incident | None, extra: Mapping[str, Any]) -> dict[str, Any]:
    """What a notification template sees: plain data (strings, lists, mappings), never code.
    ``headline`` is the one line of ``message``; the built-in template says just that."""
    data = incident.to_json() if incident is not None else {}
    return {
        "event": event,
        "phrase": EVENT_PHRASES.get(event, event.replace("_", " ")),
        "headline": message(event, incident, extra),
        "incident": data,
        "id": incident.id if incident else "",
        "title": incident.title if incident else "",
        "severity": (incident.severity or "") if incident else "",
        "status": incident.status if incident else "",
        "service": (incident.service or "") if incident else "",
        "commander": (incident.commander or "") if incident else "",
        "summary": str(data.get("summary") or ""),
        "extra": dict(extra),
    }


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
    if event == "handoff" and isinstance(extra.get("handoff"), Mapping):
        turn = extra["handoff"]
        return (
            f"Handoff on {turn.get('schedule')}: {turn.get('incoming') or 'nobody'} takes over from "
            f"{turn.get('outgoing') or 'nobody'}"
        )
    if incident is None:
        return f"{phrase}"
    text = f"[{incident.severity}] {incident.id} {phrase}: {incident.title}"
    if incident.service:
        text += f" ({incident.service})"
    if event == "page" and isinstance(extra.get("page"), Mapping):
        return f"{extra['page'].get('text')}: {text}"
    if event == "escalated" and "text" in extra:
        return f"{extra['text']}: {text}"
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
