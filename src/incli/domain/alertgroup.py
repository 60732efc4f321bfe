"""What a notification does to its group's incident: pure functions, no I/O.

The service (``incli.service.ingest``) finds the group's incidents under the lock
and writes; this module builds the incident a new group opens and works out what a
later notification adds (new alerts, an alert firing again, a raised severity, the
mitigation when every alert has ended). The incident remembers where it came from
in its ``source`` key::

    source:
      kind: alertmanager
      group_key: '{}:{alertname="Deployment"}'
      receiver: web.hook
      fingerprints: [fbab788ec4c1018b]   # every alert seen (its fingerprint, or a hash of its labels)
      firing: [fbab788ec4c1018b]         # the ones firing at the last notification
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from incli.domain import alerts as am
from incli.domain import lifecycle
from incli.domain.config import Config
from incli.domain.model import Incident, TimelineEntry, set_assumed
from incli.domain.times import to_iso


@dataclass(frozen=True)
class Update:
    """What a notification changed: the events to emit (empty: nothing), and how many alert notes."""

    events: list[str]
    notes: int


def source_of(incident: Incident) -> dict[str, Any]:
    source = incident.extra.get("source")
    return source if isinstance(source, dict) else {}


def in_group(incident: Incident, notification: am.Notification) -> bool:
    source = source_of(incident)
    return source.get("kind") == notification.source and source.get("group_key") == notification.group_key


def to_utc_text(moment: datetime) -> str:
    return to_iso(moment.astimezone(UTC))


def covering(group: list[Incident], notification: am.Notification) -> Incident | None:
    """A resolved incident that already saw every alert of this occurrence."""
    for incident in sorted(group, key=lambda i: i.opened_at, reverse=True):
        seen = set(source_of(incident).get("fingerprints") or [])
        firing = set(source_of(incident).get("firing") or [])
        resolved_at = incident.resolved_at
        if resolved_at is None:
            continue
        # An alert without a start time (PagerDuty, Opsgenie) is the same occurrence while
        # it never stopped firing; once it ended, firing again is a new one.
        if all(
            a.key in seen and (a.starts_at <= resolved_at if a.starts_at is not None else a.key in firing)
            for a in notification.alerts
        ):
            return incident
    return None


def truncated_note(notification: am.Notification) -> str:
    count = notification.truncated_alerts
    more = f"{count} more alerts in this group were" if count != 1 else "1 more alert in this group was"
    return f"{more} truncated by {notification.source_label}"


def merged(base: Any, extra: Any) -> Any:
    """``extra`` laid over ``base``: mappings key by key, lists joined without repeats."""
    if isinstance(base, dict) and isinstance(extra, dict):
        result = dict(base)
        for key, value in extra.items():
            result[key] = merged(base.get(key), value) if key in base else value
        return result
    if isinstance(base, list) and isinstance(extra, list):
        return base + [item for item in extra if item not in base]
    return extra


def alert_note(alert: am.Alert, notification: am.Notification, received: datetime) -> str:
    what = am.describe_alert(alert, notification)
    if alert.status == "firing":
        since = f" since {to_utc_text(alert.starts_at)}" if alert.starts_at else ""
        return f"Alert firing{since}: {what}"
    ended = to_utc_text(alert.ends_at) if alert.ends_at else f"{to_utc_text(received)} (received; no end time given)"
    return f"Alert resolved at {ended}: {what}"


def opened_incident(
    notification: am.Notification, settings: am.AlertSettings, config: Config, received: datetime
) -> Incident:
    """A new incident (without an id yet) for a group no incident covers; mitigated
    already when every alert in it has ended."""
    label = notification.source_label
    level = am.group_severity(notification, settings, config)
    title = am.group_title(notification)
    notes: list[str] = []
    starts = [a.starts_at for a in notification.alerts if a.starts_at is not None]
    started = min(starts) if starts else received
    if started > received:
        notes.append(
            f"{label} says the alert started at {to_utc_text(started)}, after it was received at "
            f"{to_utc_text(received)} (clock skew?); started_at is the time of receipt"
        )
        started = received
    all_resolved = notification.status == "resolved"
    mitigated_at: datetime | None = None
    detected = received
    if all_resolved:
        mitigated_at, clamp_note = end_time(notification, received, started)
        if clamp_note:
            notes.append(clamp_note)
        # The alert came and went before incli saw it: it was detected when it fired.
        detected = started
        notes.append("Opened from a resolved notification: the alerts ended before incli received them")
    source: dict[str, Any] = {
        "kind": notification.source,
        "group_key": notification.group_key,
        "receiver": notification.receiver,
        "fingerprints": list(dict.fromkeys(a.key for a in notification.alerts)),
        "firing": list(dict.fromkeys(a.key for a in notification.firing)),
    }
    if notification.external_url:
        source["external_url"] = notification.external_url
    if notification.truncated_alerts > 0:
        source["truncated"] = notification.truncated_alerts
    source.update(notification.details)
    # runbook_url annotations: one pointing into the repository attaches that runbook (inc runbook).
    urls = [a.annotations.get("runbook_url", "").strip() for a in notification.alerts]
    urls = list(dict.fromkeys(u for u in urls if u and len(u) <= 1000))[:10]
    if urls:
        source["runbook_urls"] = urls
    incident = Incident(
        id="",
        title=title,
        severity=level.id,
        opened_at=received,
        started_at=started,
        detected_at=detected,
        service=am.group_service(notification, settings),
        summary=am.group_description(notification),
        extra={"source": source},
    )
    if not starts:  # no alert said when it began: the start is the receipt, assumed
        set_assumed(incident.extra, ["started_at"])
    incident.add_entry(
        TimelineEntry(
            at=received, kind="opened", by=notification.source, text=f"Opened as {level.id} from {label}: {title}"
        )
    )
    for alert in notification.alerts:
        incident.add_entry(
            TimelineEntry(
                at=received, kind="note", by=notification.source, text=alert_note(alert, notification, received)
            )
        )
    if notification.truncated_alerts > 0:
        notes.append(truncated_note(notification))
    for text in notes:
        incident.add_entry(TimelineEntry(at=received, kind="note", by=notification.source, text=text))
    if mitigated_at is not None:
        lifecycle.apply(incident, "mitigate", mitigated_at, received, notification.source, resolved_text(notification))
    return incident


def resolved_text(notification: am.Notification) -> str:
    said = f"; {notification.note}" if notification.note else ""
    return f"all alerts resolved ({notification.source_label}{said})"


def end_time(notification: am.Notification, received: datetime, floor: datetime) -> tuple[datetime, str | None]:
    """When the group stopped firing: its latest endsAt, or receipt for the zero time."""
    ends = [a.ends_at for a in notification.alerts if a.ends_at is not None]
    if not ends:
        return received, None
    end = max(ends)
    if end > received:
        return received, (
            f"{notification.source_label} says the alerts ended at {to_utc_text(end)}, after they were received at "
            f"{to_utc_text(received)} (clock skew?); mitigated at the time of receipt"
        )
    if end < floor:
        return floor, (
            f"{notification.source_label} says the alerts ended at {to_utc_text(end)}, before the incident's earlier "
            f"milestone at {to_utc_text(floor)}; mitigated at {to_utc_text(floor)}"
        )
    return end, None


def mitigation_floor(incident: Incident) -> datetime:
    """The earliest time a mitigation may have without breaking the lifecycle order."""
    candidates = [incident.started_at, incident.detected_at]
    if incident.acknowledged_at is not None:
        candidates.append(incident.acknowledged_at)
    reopened = incident.last_entry("reopened")
    if reopened is not None:
        candidates.append(reopened.at)
    return max(candidates)


def apply_notification(
    incident: Incident,
    notification: am.Notification,
    settings: am.AlertSettings,
    config: Config,
    received: datetime,
) -> Update:
    """Add what is new in a notification to the active incident of its group."""
    label = notification.source_label
    source = dict(source_of(incident))
    seen: list[str] = [str(k) for k in source.get("fingerprints") or []]
    firing: list[str] = [str(k) for k in source.get("firing") or []]
    notes: list[str] = []
    escalate_to: str | None = None
    for alert in notification.alerts:
        key = alert.key
        if alert.status == "firing":
            if key not in seen:
                notes.append(alert_note(alert, notification, received))  # pragma: no mutate - firing: no receipt in it
                level = am.alert_severity(alert, notification, settings)
                if config.rank(level) < config.rank(escalate_to or incident.severity):
                    escalate_to = level
                seen.append(key)
                firing.append(key)
                if alert.starts_at is not None:
                    incident.started_at = min(alert.starts_at, received, incident.started_at)
            elif key not in firing:
                notes.append("Firing again: " + alert_note(alert, notification, received))
                firing.append(key)
        else:
            if key not in seen:
                seen.append(key)
                notes.append(alert_note(alert, notification, received))
            elif key in firing:
                firing.remove(key)
                notes.append(alert_note(alert, notification, received))
    truncated = max(notification.truncated_alerts, 0)
    if truncated != (source.get("truncated") or 0):
        if truncated:
            notes.append(truncated_note(notification))
        else:
            notes.append(f"No alerts in this group are truncated by {label} any more")
    mitigate = notification.status == "resolved" and incident.status in ("open", "acknowledged", "reopened")
    if not notes and not mitigate:
        return Update([], 0)
    source["fingerprints"] = seen
    source["firing"] = firing
    if truncated:
        source["truncated"] = truncated
    else:
        source.pop("truncated", None)
    for key, value in notification.details.items():
        source[key] = merged(source.get(key), value) if key in source else value
    incident.extra["source"] = source
    for text in notes:
        incident.add_entry(TimelineEntry(at=received, kind="note", by=notification.source, text=text))
    kinds: list[str] = []
    if escalate_to is not None:
        # A new, more severe alert joined the group: raise the severity (never lower it).
        text = f"Severity {incident.severity} -> {escalate_to}: a new alert in the group is {escalate_to}"
        incident.severity = escalate_to
        incident.add_entry(TimelineEntry(at=received, kind="severity_changed", by=notification.source, text=text))
        kinds.append("severity_changed")
    if mitigate:
        at, clamp_note = end_time(notification, received, mitigation_floor(incident))
        if clamp_note:
            incident.add_entry(TimelineEntry(at=received, kind="note", by=notification.source, text=clamp_note))
        lifecycle.apply(incident, "mitigate", at, received, notification.source, resolved_text(notification))
        kinds.append("mitigated")
    return Update(kinds or ["note"], len(notes))
