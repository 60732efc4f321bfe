"""Prometheus Alertmanager webhook notifications (version 4), read into plain data.

Pure functions: no I/O. The service layer (``incli.service.ingest``) decides what a
notification does to the incidents; this module only reads it and the
``alerts:`` section of the config.

Alertmanager writes times in RFC 3339 with up to nine fractional digits
(``2019-09-27T16:27:56.612666101Z``) and writes ``0001-01-01T00:00:00Z`` for
"no end time yet"; both are handled here.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from incli.domain.config import Config, Severity
from incli.errors import InvalidInput

SUPPORTED_VERSION = "4"

_RFC3339 = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?(?P<tz>[Zz]|[+-]\d{2}:?\d{2})?$"
)

# Label values (compared without case) to severity levels; a team's own map replaces it.
DEFAULT_SEVERITY_MAP = {
    "critical": "SEV1",
    "page": "SEV1",
    "high": "SEV2",
    "error": "SEV2",
    "major": "SEV2",
    "warning": "SEV3",
    "minor": "SEV3",
    "medium": "SEV3",
    "low": "SEV4",
    "info": "SEV4",
    "informational": "SEV4",
}


def parse_alert_time(value: Any, what: str = "time") -> datetime | None:
    """An RFC 3339 time as Alertmanager writes it, in UTC; None for its zero time.

    Nanoseconds are cut to microseconds (Python keeps no more).
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} is {value!r}, not an RFC 3339 time")
    match = _RFC3339.match(value.strip())
    if not match:
        raise InvalidInput(f"{what} {value!r} is not an RFC 3339 time")
    text = match["base"].replace("t", "T").replace(" ", "T")
    if match["frac"]:
        text += "." + match["frac"][:6].ljust(6, "0")
    tz = match["tz"]
    if tz is None:
        raise InvalidInput(f"{what} {value!r} has no offset")
    text += "+00:00" if tz in ("Z", "z") else (tz if ":" in tz else f"{tz[:3]}:{tz[3:]}")
    if text.startswith("0001-01-01"):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what} {value!r} is not a valid date and time") from None
    return moment.astimezone(UTC)


def _text_map(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be an object of names to text")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


@dataclass(frozen=True)
class Alert:
    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None  # None: Alertmanager's zero time, no end known
    fingerprint: str | None = None
    generator_url: str | None = None

    @property
    def key(self) -> str:
        """The fingerprint, or a stable hash of the labels when there is none."""
        if self.fingerprint:
            return self.fingerprint
        canonical = json.dumps(sorted(self.labels.items()), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]

    @property
    def name(self) -> str:
        return self.labels.get("alertname") or "alert"

    def summary(self) -> str | None:
        return (
            self.annotations.get("summary") or self.annotations.get("description") or self.labels.get("summary") or None
        )


@dataclass(frozen=True)
class Notification:
    status: str
    group_key: str
    receiver: str
    alerts: list[Alert]
    group_labels: dict[str, str] = field(default_factory=dict)
    common_labels: dict[str, str] = field(default_factory=dict)
    common_annotations: dict[str, str] = field(default_factory=dict)
    external_url: str | None = None
    truncated_alerts: int = 0

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == "firing"]

    @property
    def resolved(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == "resolved"]


def parse_json(data: bytes | str) -> Notification:
    """Read a notification from JSON text; InvalidInput says what is wrong."""
    try:
        raw = json.loads(data)
    except UnicodeDecodeError:
        raise InvalidInput("the payload is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    return parse_notification(raw)


def parse_notification(raw: Any) -> Notification:
    if not isinstance(raw, dict):
        raise InvalidInput("not an Alertmanager notification: expected a JSON object")
    if "alerts" not in raw:
        raise InvalidInput("not an Alertmanager notification: it has no 'alerts'")
    version = raw.get("version")
    # Alertmanager always sends "4"; hand-written test payloads often leave it out.
    if version is not None and str(version) != SUPPORTED_VERSION:
        raise InvalidInput(f"Alertmanager payload version {version!r} is not supported; incli reads version 4")
    status = raw.get("status")
    if status is not None and status not in ("firing", "resolved"):
        raise InvalidInput(f"status is {status!r}; expected firing or resolved")
    items = raw.get("alerts")
    if not isinstance(items, list) or not items:
        raise InvalidInput("'alerts' must be a non-empty list")
    alerts = [_alert(item, index, status) for index, item in enumerate(items)]
    if status is None:
        status = "firing" if any(a.status == "firing" for a in alerts) else "resolved"
    group_labels = _text_map(raw.get("groupLabels"), "groupLabels")
    common_labels = _text_map(raw.get("commonLabels"), "commonLabels")
    group_key = raw.get("groupKey")
    if group_key is None:
        # What Alertmanager would have written for a route without a parent matcher.
        labels = group_labels or common_labels or (alerts[0].labels if len(alerts) == 1 else {})
        if not labels:
            raise InvalidInput("groupKey is missing and there are no groupLabels to stand in for it")
        group_key = "{}:{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
    if not isinstance(group_key, str) or not group_key:
        raise InvalidInput("groupKey must be non-empty text")
    truncated = raw.get("truncatedAlerts") or 0
    return Notification(
        status=status,
        group_key=group_key,
        receiver=str(raw.get("receiver") or ""),
        alerts=alerts,
        group_labels=group_labels,
        common_labels=common_labels,
        common_annotations=_text_map(raw.get("commonAnnotations"), "commonAnnotations"),
        external_url=str(raw["externalURL"]) if raw.get("externalURL") else None,
        truncated_alerts=truncated if isinstance(truncated, int) else 0,
    )


def _alert(item: Any, index: int, group_status: str | None) -> Alert:
    where = f"alerts[{index}]"
    if not isinstance(item, dict):
        raise InvalidInput(f"{where} must be an object")
    status = item.get("status", group_status)
    if status not in ("firing", "resolved"):
        raise InvalidInput(f"{where}.status is {status!r}; expected firing or resolved")
    labels = _text_map(item.get("labels"), f"{where}.labels")
    fingerprint = item.get("fingerprint")
    return Alert(
        status=status,
        labels=labels,
        annotations=_text_map(item.get("annotations"), f"{where}.annotations"),
        starts_at=parse_alert_time(item["startsAt"], f"{where}.startsAt") if item.get("startsAt") else None,
        ends_at=parse_alert_time(item.get("endsAt"), f"{where}.endsAt") if item.get("endsAt") else None,
        fingerprint=str(fingerprint) if fingerprint else None,
        generator_url=str(item["generatorURL"]) if item.get("generatorURL") else None,
    )


# -- the alerts: section of the config ------------------------------------------


@dataclass(frozen=True)
class AlertSettings:
    severity_label: str = "severity"
    severity_map: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITY_MAP))
    default_severity: str = "SEV3"
    service_label: str = "service"


def alert_settings(config: Config, where: str = "incli.yaml") -> AlertSettings:
    """The ``alerts:`` section with defaults; InvalidInput names what is wrong."""
    raw = config.section("alerts")
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where}: 'alerts' must be a mapping")
    unknown = set(raw) - {"severity_label", "severity_map", "default_severity", "service_label"}
    if unknown:
        raise InvalidInput(
            f"{where}: alerts: unknown key {sorted(unknown)[0]!r}; known: severity_label, "
            "severity_map, default_severity, service_label"
        )
    mapping: dict[str, str] = {}
    given_map = raw.get("severity_map")
    if given_map is None:
        # The defaults only for levels this repository has.
        for value, level in DEFAULT_SEVERITY_MAP.items():
            if config.find_severity(level) is not None:
                mapping[value] = level
    elif not isinstance(given_map, dict):
        raise InvalidInput(f"{where}: alerts.severity_map must map label values to severities")
    else:
        for value, level in given_map.items():
            try:
                mapping[str(value).lower()] = config.severity(str(level)).id
            except InvalidInput as exc:
                raise InvalidInput(f"{where}: alerts.severity_map.{value}: {exc}") from None
    default = raw.get("default_severity")
    if default is None:
        fallback = config.find_severity("SEV3") or config.severities[len(config.severities) // 2]
        default_id = fallback.id
    else:
        try:
            default_id = config.severity(str(default)).id
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: alerts.default_severity: {exc}") from None
    labels = {}
    for key, fallback_label in (("severity_label", "severity"), ("service_label", "service")):
        value = raw.get(key, fallback_label)
        if not isinstance(value, str) or not value.strip():
            raise InvalidInput(f"{where}: alerts.{key} must be a label name")
        labels[key] = value.strip()
    return AlertSettings(labels["severity_label"], mapping, default_id, labels["service_label"])


def alert_severity(alert: Alert, notification: Notification, settings: AlertSettings) -> str:
    value = alert.labels.get(settings.severity_label) or notification.common_labels.get(settings.severity_label)
    if value:
        return settings.severity_map.get(value.strip().lower(), settings.default_severity)
    return settings.default_severity


def group_severity(notification: Notification, settings: AlertSettings, config: Config) -> Severity:
    """The most severe level among the group's alerts."""
    ids = [alert_severity(a, notification, settings) for a in notification.alerts]
    best = min(ids, key=config.rank)
    level = config.find_severity(best)
    assert level is not None
    return level


def group_service(notification: Notification, settings: AlertSettings) -> str | None:
    label = settings.service_label
    if notification.common_labels.get(label):
        return notification.common_labels[label]
    values = {a.labels.get(label) for a in notification.alerts}
    if len(values) == 1:
        (value,) = values
        return value or None
    return None


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def group_title(notification: Notification) -> str:
    """The common summary, the summary all alerts share, the alert name."""
    summary = notification.common_annotations.get("summary")
    if summary and summary.strip():
        return _one_line(summary)
    summaries = {a.annotations.get("summary", "").strip() for a in notification.alerts}
    if len(summaries) == 1:
        (only,) = summaries
        if only:
            return _one_line(only)
    name = (
        notification.common_labels.get("alertname")
        or notification.group_labels.get("alertname")
        or notification.alerts[0].labels.get("alertname")
    )
    if name and name.strip():
        return _one_line(name)
    return "Alertmanager alert"


def group_description(notification: Notification) -> str | None:
    description = notification.common_annotations.get("description")
    if description and description.strip():
        return description.strip()
    if len(notification.alerts) == 1:
        only = notification.alerts[0].annotations.get("description")
        if only and only.strip():
            return only.strip()
    return None


def describe_alert(alert: Alert, notification: Notification) -> str:
    """One line about an alert, for the timeline: name, distinguishing labels, summary."""
    common = notification.common_labels
    skip = ("alertname", "summary", "description")
    own = [f"{k}={v}" for k, v in sorted(alert.labels.items()) if k not in skip and common.get(k) != v]
    text = alert.name
    if own:
        text += " (" + ", ".join(own[:4]) + (", …" if len(own) > 4 else "") + ")"
    summary = alert.summary()
    if summary:
        text += f": {summary}"
    return _one_line(text, 400)
