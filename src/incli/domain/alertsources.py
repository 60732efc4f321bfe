"""The ``sources:`` section of incli.yaml: what each alert source needs to know beyond
the payload (pure; read once with the rest of the config).

    sources:
      pagerduty:
        routing_keys: {R0UT1NGKEY: checkout}        # routing key -> service; then others are refused
        severity: {critical: SEV1, error: SEV2, warning: SEV3, info: SEV4}
      opsgenie:                                      # the alert API and the outgoing webhook
        priority: {P1: SEV1, P2: SEV2, P3: SEV3, P4: SEV4, P5: SEV4}
      generic:
        uptime-kuma:                                 # POST /generic/uptime-kuma, inc ingest generic:uptime-kuma
          title: monitor.name                        # dotted paths into the payload (list items by number)
          dedupe_key: monitor.id
          status: heartbeat.status
          firing: [0]
          resolved: [1]
          start: heartbeat.time
          start_unit: iso                            # iso, s, ms, us, ns; left out: told apart by magnitude
          severity: monitor.severity
          service: monitor.tags.0.value
          summary: heartbeat.msg
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from incli.domain.severity import Severities, unknown_key
from incli.errors import ConfigError, InvalidInput

PAGERDUTY_SEVERITY = {"critical": "SEV1", "error": "SEV2", "warning": "SEV3", "info": "SEV4"}
OPSGENIE_PRIORITY = {"P1": "SEV1", "P2": "SEV2", "P3": "SEV3", "P4": "SEV4", "P5": "SEV4"}
START_UNITS = ("iso", "s", "ms", "us", "ns")
GENERIC_KEYS = (
    "title",
    "dedupe_key",
    "status",
    "firing",
    "resolved",
    "start",
    "start_unit",
    "severity",
    "service",
    "summary",
)
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_PATH = re.compile(r"^[^.\s][^\s]*$")
MAX_PATH_PARTS = 16


@dataclass(frozen=True)
class PagerDutySource:
    """sources.pagerduty: routing keys and the severity map."""

    routing_keys: dict[str, str] = field(default_factory=dict)  # empty: any key, no service from it
    severity: dict[str, str] = field(default_factory=lambda: dict(PAGERDUTY_SEVERITY))


@dataclass(frozen=True)
class OpsgenieSource:
    """sources.opsgenie: priorities to severities."""

    priority: dict[str, str] = field(default_factory=lambda: dict(OPSGENIE_PRIORITY))


@dataclass(frozen=True)
class GenericSource:
    """One sources.generic entry: where a JSON payload keeps title, key and status."""

    name: str
    title: tuple[str, ...]
    dedupe_key: tuple[str, ...] | None = None
    status: tuple[str, ...] | None = None
    firing: tuple[str, ...] = ("firing",)
    resolved: tuple[str, ...] = ("resolved",)
    start: tuple[str, ...] | None = None
    start_unit: str | None = None  # None: iso for text, magnitude for numbers
    severity: tuple[str, ...] | None = None
    service: tuple[str, ...] | None = None
    summary: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SourceSettings:
    """The sources: section (alert sources beyond the payload)."""

    pagerduty: PagerDutySource = field(default_factory=PagerDutySource)
    opsgenie: OpsgenieSource = field(default_factory=OpsgenieSource)
    generic: dict[str, GenericSource] = field(default_factory=dict)


def source_settings(raw: Any, scale: Severities) -> SourceSettings:
    """The ``sources:`` section with defaults; ConfigError names what is wrong."""
    if raw is None:
        return _defaults(scale)
    if not isinstance(raw, dict):
        raise ConfigError("sources", "must be a mapping of pagerduty, opsgenie and generic")
    unknown_key(raw, ("pagerduty", "opsgenie", "generic"), "sources")
    defaults = _defaults(scale)
    return SourceSettings(
        pagerduty=_pagerduty(raw.get("pagerduty"), scale, defaults.pagerduty),
        opsgenie=_opsgenie(raw.get("opsgenie"), scale, defaults.opsgenie),
        generic=_generic_all(raw.get("generic")),
    )


def _defaults(scale: Severities) -> SourceSettings:
    """The default maps, keeping only the levels this repository has (others fall back
    to ``alerts.default_severity``)."""

    def kept(mapping: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in mapping.items() if scale.find_severity(v) is not None}

    return SourceSettings(
        pagerduty=PagerDutySource(severity=kept(PAGERDUTY_SEVERITY)),
        opsgenie=OpsgenieSource(priority=kept(OPSGENIE_PRIORITY)),
    )


def _level_map(given: Any, where: str, scale: Severities, allowed: tuple[str, ...] | None) -> dict[str, str]:
    if not isinstance(given, dict):
        raise ConfigError(where, "must map values to severities, such as {critical: SEV1}")
    found: dict[str, str] = {}
    for value, level in given.items():
        name = str(value)
        if allowed is not None and name not in allowed:
            unknown_key({name: level}, allowed, where)
        try:
            found[name] = scale.severity(str(level)).id
        except InvalidInput as exc:
            raise ConfigError(f"{where}.{name}", str(exc)) from None
    return found


def _pagerduty(raw: Any, scale: Severities, default: PagerDutySource) -> PagerDutySource:
    if raw is None:
        return default
    if not isinstance(raw, dict):
        raise ConfigError("sources.pagerduty", "must be a mapping of routing_keys and severity")
    unknown_key(raw, ("routing_keys", "severity"), "sources.pagerduty")
    keys: dict[str, str] = {}
    given = raw.get("routing_keys")
    if given is not None:
        if not isinstance(given, dict) or not given:
            raise ConfigError(
                "sources.pagerduty.routing_keys", "must map routing keys to services, such as {KEY: checkout}"
            )
        for key, service in given.items():
            if not isinstance(key, str) or not key.strip() or not key.isascii() or key != key.strip():
                raise ConfigError("sources.pagerduty.routing_keys", f"{key!r} is not a routing key (ASCII text)")
            if not isinstance(service, str) or not service.strip():
                raise ConfigError(f"sources.pagerduty.routing_keys.{key}", "must name a service")
            keys[key] = service.strip()
    severity = dict(default.severity)
    if raw.get("severity") is not None:
        severity.update(_level_map(raw["severity"], "sources.pagerduty.severity", scale, tuple(PAGERDUTY_SEVERITY)))
    return PagerDutySource(routing_keys=keys, severity=severity)


def _opsgenie(raw: Any, scale: Severities, default: OpsgenieSource) -> OpsgenieSource:
    if raw is None:
        return default
    if not isinstance(raw, dict):
        raise ConfigError("sources.opsgenie", "must be a mapping such as {priority: {P1: SEV1}}")
    unknown_key(raw, ("priority",), "sources.opsgenie")
    priority = dict(default.priority)
    if raw.get("priority") is not None:
        priority.update(_level_map(raw["priority"], "sources.opsgenie.priority", scale, tuple(OPSGENIE_PRIORITY)))
    return OpsgenieSource(priority=priority)


def _generic_all(raw: Any) -> dict[str, GenericSource]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError("sources.generic", "must map source names to their fields, such as {sentry: {title: ...}}")
    found: dict[str, GenericSource] = {}
    for name, section in raw.items():
        where = f"sources.generic.{name}"
        if not isinstance(name, str) or not _NAME.match(name):
            raise ConfigError(where, "a source name is lower-case letters, digits, - and _ (it is part of a URL)")
        found[name] = _generic(name, section, where)
    return found


def dotted(text: Any, where: str) -> tuple[str, ...]:
    """A dotted path (``heartbeat.status``, ``tags.0.value``) as its parts."""
    if not isinstance(text, str) or not _PATH.match(text.strip()) or text.strip().endswith("."):
        raise ConfigError(where, "must be a dotted path into the payload, such as alert.title")
    parts = tuple(text.strip().split("."))
    if "" in parts or len(parts) > MAX_PATH_PARTS:
        raise ConfigError(where, f"must be a dotted path of at most {MAX_PATH_PARTS} names, such as alert.title")
    return parts


def _values(raw: Any, where: str) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or any(isinstance(v, (dict, list)) or v is None for v in items):
        raise ConfigError(where, "must be a value or a list of values, such as [firing, alerting]")
    return tuple(_value_text(v) for v in items)


def _value_text(value: Any) -> str:
    """How a status value is compared: as text without case (true, 1 and "1" alike)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip().casefold()


def status_text(value: Any) -> str:
    return _value_text(value)


def _generic(name: str, raw: Any, where: str) -> GenericSource:
    if not isinstance(raw, dict):
        raise ConfigError(where, "must be a mapping with at least title: PATH")
    unknown_key(raw, GENERIC_KEYS, where)
    if raw.get("title") is None:
        raise ConfigError(f"{where}.title", "is required: the dotted path of the alert's title")
    paths = {
        key: dotted(raw[key], f"{where}.{key}") if raw.get(key) is not None else None
        for key in ("dedupe_key", "status", "start", "severity", "service", "summary")
    }
    unit = raw.get("start_unit")
    if unit is not None and unit not in START_UNITS:
        raise ConfigError(f"{where}.start_unit", f"is {unit!r}; one of {', '.join(START_UNITS)}")
    firing = _values(raw["firing"], f"{where}.firing") if raw.get("firing") is not None else ("firing",)
    resolved = _values(raw["resolved"], f"{where}.resolved") if raw.get("resolved") is not None else ("resolved",)
    if set(firing) & set(resolved):
        raise ConfigError(f"{where}.resolved", "shares a value with firing; a status is one or the other")
    if (raw.get("firing") is not None or raw.get("resolved") is not None) and paths["status"] is None:
        raise ConfigError(f"{where}.status", "is required with firing/resolved: the dotted path of the status")
    return GenericSource(
        name=name,
        title=dotted(raw["title"], f"{where}.title"),
        dedupe_key=paths["dedupe_key"],
        status=paths["status"],
        firing=firing,
        resolved=resolved,
        start=paths["start"],
        start_unit=unit,
        severity=paths["severity"],
        service=paths["service"],
        summary=paths["summary"],
    )
