"""incli's alert model: a notification is a group of alerts, as every source delivers it.

Pure functions: no I/O. A source in ``incli.integrations.sources`` turns a payload
into a ``Notification``; ``incli.domain.alertgroup`` decides what it does to an
incident; this module also reads the ``alerts:`` section of the config (severity
and service labels).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from incli.domain.severity import Severities, Severity, unknown_key
from incli.errors import ConfigError, InvalidInput

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


@dataclass(frozen=True)
class Alert:
    """One alert of a notification, as a source reported it."""

    status: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime | None
    ends_at: datetime | None  # None: Alertmanager's zero time, no end known
    fingerprint: str | None = None
    generator_url: str | None = None
    severity: str | None = None  # a level the source already mapped (PagerDuty, Opsgenie); else from labels

    @property
    def key(self) -> str:
        """The fingerprint, or a stable hash of the labels when there is none."""
        if self.fingerprint:
            return self.fingerprint
        canonical = json.dumps(sorted(self.labels.items()), ensure_ascii=False)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @property
    def name(self) -> str:
        return self.labels.get("alertname") or "alert"

    def summary(self) -> str | None:
        return (
            self.annotations.get("summary") or self.annotations.get("description") or self.labels.get("summary") or None
        )


@dataclass(frozen=True)
class Notification:
    """What an alert source sent: the group and its alerts (Alertmanager's shape)."""

    status: str
    group_key: str
    receiver: str
    alerts: list[Alert]
    group_labels: dict[str, str] = field(default_factory=dict)
    common_labels: dict[str, str] = field(default_factory=dict)
    common_annotations: dict[str, str] = field(default_factory=dict)
    external_url: str | None = None
    truncated_alerts: int = 0
    source: str = "alertmanager"  # the source's NAME: incidents remember it as source.kind
    source_label: str = "Alertmanager"  # how the timeline names the source
    # What the notification asks for. ``alerts``: the group rules (open, add, mitigate);
    # ``acknowledge``: acknowledge the group's active incident; ``note``: add ``note`` to
    # it; ``change``: a change event (``note``) for the incidents active on ``service``;
    # ``subscription``: nothing to apply (an SNS subscription to confirm at ``details.subscribe_url``).
    kind: str = "alerts"
    service: str | None = None  # the service the source names (a PagerDuty routing key); else from labels
    details: dict[str, Any] = field(default_factory=dict)  # kept in the incident's source (links, ...)
    note: str | None = None
    at: datetime | None = None  # when an acknowledgement or change happened; None: at receipt
    opens: bool = True  # False: a close or acknowledge never opens an incident
    credential: str | None = None  # a token carried in the payload (PagerDuty's routing_key)

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == "firing"]

    @property
    def resolved(self) -> list[Alert]:
        return [a for a in self.alerts if a.status == "resolved"]


# -- the alerts: section of the config ------------------------------------------


@dataclass(frozen=True)
class AlertSettings:
    """The alerts: section: how labels map to severity and service."""

    severity_label: str = "severity"
    severity_map: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SEVERITY_MAP))
    default_severity: str = "SEV3"
    service_label: str = "service"


def alert_settings(raw: Any, severities: Severities) -> AlertSettings:
    """The ``alerts:`` section with defaults; ConfigError names what is wrong."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("alerts", "must be a mapping (severity_label, severity_map, default_severity, service_label)")
    known_keys = ("severity_label", "severity_map", "default_severity", "service_label")
    unknown_key(raw, known_keys, "alerts")
    mapping: dict[str, str] = {}
    given_map = raw.get("severity_map")
    if given_map is None:
        # The defaults only for levels this repository has.
        for value, level in DEFAULT_SEVERITY_MAP.items():
            if severities.find_severity(level) is not None:
                mapping[value] = level
    elif not isinstance(given_map, dict):
        raise ConfigError("alerts.severity_map", "must map label values to severities")
    else:
        for value, level in given_map.items():
            try:
                mapping[str(value).lower()] = severities.severity(str(level)).id
            except InvalidInput as exc:
                raise ConfigError(f"alerts.severity_map.{value}", str(exc)) from None
    default = raw.get("default_severity")
    if default is None:
        fallback = severities.find_severity("SEV3") or severities.severities[len(severities.severities) // 2]
        default_id = fallback.id
    else:
        try:
            default_id = severities.severity(str(default)).id
        except InvalidInput as exc:
            raise ConfigError("alerts.default_severity", str(exc)) from None
    labels = {}
    for key, fallback_label in (("severity_label", "severity"), ("service_label", "service")):
        value = raw.get(key, fallback_label)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"alerts.{key}", "must be a label name")
        labels[key] = value.strip()
    return AlertSettings(labels["severity_label"], mapping, default_id, labels["service_label"])


def alert_severity(alert: Alert, notification: Notification, settings: AlertSettings) -> str:
    if alert.severity:
        return alert.severity
    value = alert.labels.get(settings.severity_label) or notification.common_labels.get(settings.severity_label)
    if value:
        return settings.severity_map.get(value.strip().lower(), settings.default_severity)
    return settings.default_severity


def group_severity(notification: Notification, settings: AlertSettings, config: Severities) -> Severity:
    """The most severe level among the group's alerts."""
    ids = [alert_severity(a, notification, settings) for a in notification.alerts]
    best = min(ids, key=config.rank)
    level = config.find_severity(best)
    assert level is not None
    return level


def group_service(notification: Notification, settings: AlertSettings) -> str | None:
    if notification.service:
        return notification.service
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
    return f"{notification.source_label} alert"


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
