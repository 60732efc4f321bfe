"""Alerts in: what an Alertmanager notification does to the incidents.

A firing group opens an incident, or adds to the one already active for the same
group key; a resolved group marks it mitigated. The incident remembers where it
came from in its ``source`` key::

    source:
      kind: alertmanager
      group_key: '{}:{alertname="Deployment"}'
      receiver: web.hook
      fingerprints: [fbab788ec4c1018b]   # every alert seen (its fingerprint, or a hash of its labels)
      firing: [fbab788ec4c1018b]         # the ones firing at the last notification

Find-or-create happens under the repository lock, so two deliveries at once never
open two incidents for one group, and a notification that changes nothing
writes nothing (Alertmanager repeats itself; the file stays byte-identical).
Listeners (hooks) are called after the lock is released.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incli.domain import alerts as am
from incli.domain import ids as idmod
from incli.domain import lifecycle
from incli.domain.model import Incident, TimelineEntry
from incli.domain.times import to_iso
from incli.errors import Conflict
from incli.service.incidents import Service

ACTOR = "alertmanager"
KIND = "alertmanager"

Event = tuple[str, Incident, list[Path]]


@dataclass
class IngestResult:
    action: str  # opened | updated | mitigated | unchanged
    incident_id: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "incident": self.incident_id, "message": self.message}


def source_of(incident: Incident) -> dict[str, Any]:
    source = incident.extra.get("source")
    return source if isinstance(source, dict) else {}


def create_incident(svc: Service, incident: Incident) -> Path:
    """Write a new incident under a fresh id (the caller holds the lock and emits)."""
    for _attempt in range(20):
        incident.id = idmod.new_id(incident.opened_at)
        if svc.store.create(incident):
            return svc.store.path_for(incident.id)
    raise Conflict("could not find a free incident id after 20 tries")  # pragma: no cover


def _utc(moment: datetime) -> str:
    return to_iso(moment.astimezone(UTC))


def _whole(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def ingest_alertmanager(
    svc: Service, notification: am.Notification, deferred: list[Event] | None = None
) -> IngestResult:
    """Apply one notification. Listeners (hooks) are called before returning, or,
    when ``deferred`` is given, left in it for the caller to emit (the HTTP server
    answers Alertmanager first)."""
    settings = am.alert_settings(svc.config)
    received = svc.now()
    events: list[Event] = []
    with svc.store.locked():
        group = [
            i
            for i in svc.store.load_all()
            if source_of(i).get("kind") == KIND and source_of(i).get("group_key") == notification.group_key
        ]
        active = [i for i in group if i.active]
        if active:
            incident = max(active, key=lambda i: (i.opened_at, i.id))
            result = _update(svc, incident, notification, settings, received, events)
        else:
            covering = _covering(group, notification)
            if covering is not None:
                result = IngestResult(
                    "unchanged",
                    covering.id,
                    f"{covering.id} is resolved and already records these alerts; "
                    f"if the problem is back, inc reopen {covering.id}",
                )
            else:
                result = _open(svc, notification, settings, received, events)
    if deferred is not None:
        deferred.extend(events)
    else:
        for event in events:
            svc.emit(*event)
    return result


def _covering(group: list[Incident], notification: am.Notification) -> Incident | None:
    """A resolved incident that already saw every alert of this occurrence."""
    for incident in sorted(group, key=lambda i: i.opened_at, reverse=True):
        seen = set(source_of(incident).get("fingerprints") or [])
        resolved_at = incident.resolved_at
        if resolved_at is None:
            continue
        if all(a.key in seen and (a.starts_at is None or a.starts_at <= resolved_at) for a in notification.alerts):
            return incident
    return None


def _alert_note(alert: am.Alert, notification: am.Notification, received: datetime) -> str:
    what = am.describe_alert(alert, notification)
    if alert.status == "firing":
        since = f" since {_utc(alert.starts_at)}" if alert.starts_at else ""
        return f"Alert firing{since}: {what}"
    ended = _utc(alert.ends_at) if alert.ends_at else f"{_utc(received)} (received; no end time given)"
    return f"Alert resolved at {ended}: {what}"


def _open(
    svc: Service,
    notification: am.Notification,
    settings: am.AlertSettings,
    received: datetime,
    events: list[Event],
) -> IngestResult:
    level = am.group_severity(notification, settings, svc.config)
    title = am.group_title(notification)
    notes: list[str] = []
    starts = [a.starts_at for a in notification.alerts if a.starts_at is not None]
    started = _whole(min(starts)) if starts else received
    if started > received:
        notes.append(
            f"Alertmanager says the alert started at {_utc(started)}, after it was received at "
            f"{_utc(received)} (clock skew?); started_at is the time of receipt"
        )
        started = received
    all_resolved = notification.status == "resolved"
    mitigated_at: datetime | None = None
    detected = received
    if all_resolved:
        mitigated_at, clamp_note = _end_time(notification, received, started)
        if clamp_note:
            notes.append(clamp_note)
        # The alert came and went before incli saw it: it was detected when it fired.
        detected = started
        notes.append("Opened from a resolved notification: the alerts ended before incli received them")
    source: dict[str, Any] = {
        "kind": KIND,
        "group_key": notification.group_key,
        "receiver": notification.receiver,
        "fingerprints": list(dict.fromkeys(a.key for a in notification.alerts)),
        "firing": list(dict.fromkeys(a.key for a in notification.firing)),
    }
    if notification.external_url:
        source["external_url"] = notification.external_url
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
    incident.add_entry(
        TimelineEntry(at=received, kind="opened", by=ACTOR, text=f"Opened as {level.id} from Alertmanager: {title}")
    )
    for alert in notification.alerts:
        incident.add_entry(
            TimelineEntry(at=received, kind="note", by=ACTOR, text=_alert_note(alert, notification, received))
        )
    if notification.truncated_alerts:
        notes.append(f"Alertmanager left out {notification.truncated_alerts} more alerts (max_alerts)")
    for text in notes:
        incident.add_entry(TimelineEntry(at=received, kind="note", by=ACTOR, text=text))
    if mitigated_at is not None:
        lifecycle.apply(incident, "mitigate", mitigated_at, received, ACTOR, "all alerts resolved (Alertmanager)")
    path = create_incident(svc, incident)
    events.append(("opened", incident, [path]))
    if mitigated_at is not None:
        events.append(("mitigated", incident, [path]))
        return IngestResult("mitigated", incident.id, f"{incident.id} opened and mitigated ({level.id}): {title}")
    return IngestResult("opened", incident.id, f"{incident.id} opened ({level.id}): {title}")


def _end_time(notification: am.Notification, received: datetime, floor: datetime) -> tuple[datetime, str | None]:
    """When the group stopped firing: its latest endsAt, or receipt for the zero time."""
    ends = [a.ends_at for a in notification.alerts if a.ends_at is not None]
    if not ends:
        return received, None
    end = _whole(max(ends))
    if end > received:
        return received, (
            f"Alertmanager says the alerts ended at {_utc(end)}, after they were received at "
            f"{_utc(received)} (clock skew?); mitigated at the time of receipt"
        )
    if end < floor:
        return floor, (
            f"Alertmanager says the alerts ended at {_utc(end)}, before the incident's earlier "
            f"milestone at {_utc(floor)}; mitigated at {_utc(floor)}"
        )
    return end, None


def _floor(incident: Incident) -> datetime:
    """The earliest time a mitigation may have without breaking the lifecycle order."""
    candidates = [incident.started_at, incident.detected_at]
    if incident.acknowledged_at is not None:
        candidates.append(incident.acknowledged_at)
    reopened = incident.last_entry("reopened")
    if reopened is not None:
        candidates.append(reopened.at)
    return max(candidates)


def _update(
    svc: Service,
    incident: Incident,
    notification: am.Notification,
    settings: am.AlertSettings,
    received: datetime,
    events: list[Event],
) -> IngestResult:
    source = dict(source_of(incident))
    seen: list[str] = [str(k) for k in source.get("fingerprints") or []]
    firing: list[str] = [str(k) for k in source.get("firing") or []]
    notes: list[str] = []
    escalate_to: str | None = None
    for alert in notification.alerts:
        key = alert.key
        if alert.status == "firing":
            if key not in seen:
                notes.append(_alert_note(alert, notification, received))
                level = am.alert_severity(alert, notification, settings)
                if svc.config.rank(level) < svc.config.rank(escalate_to or incident.severity):
                    escalate_to = level
                seen.append(key)
                firing.append(key)
                if alert.starts_at is not None:
                    start = min(_whole(alert.starts_at), received)
                    if start < incident.started_at:
                        incident.started_at = start
            elif key not in firing:
                notes.append("Firing again: " + _alert_note(alert, notification, received))
                firing.append(key)
        else:
            if key not in seen:
                seen.append(key)
                notes.append(_alert_note(alert, notification, received))
            elif key in firing:
                firing.remove(key)
                notes.append(_alert_note(alert, notification, received))
    mitigate = notification.status == "resolved" and incident.status in ("open", "acknowledged", "reopened")
    if not notes and not mitigate:
        return IngestResult("unchanged", incident.id, f"{incident.id} already records this notification")
    source["fingerprints"] = seen
    source["firing"] = firing
    incident.extra["source"] = source
    for text in notes:
        incident.add_entry(TimelineEntry(at=received, kind="note", by=ACTOR, text=text))
    kinds: list[str] = []
    if escalate_to is not None:
        # A new, more severe alert joined the group: raise the severity (never lower it).
        text = f"Severity {incident.severity} -> {escalate_to}: a new alert in the group is {escalate_to}"
        incident.severity = escalate_to
        incident.add_entry(TimelineEntry(at=received, kind="severity_changed", by=ACTOR, text=text))
        kinds.append("severity_changed")
    if mitigate:
        at, clamp_note = _end_time(notification, received, _floor(incident))
        if clamp_note:
            incident.add_entry(TimelineEntry(at=received, kind="note", by=ACTOR, text=clamp_note))
        lifecycle.apply(incident, "mitigate", at, received, ACTOR, "all alerts resolved (Alertmanager)")
        kinds.append("mitigated")
    path = svc.store.save(incident)
    for event in kinds or ["note"]:
        events.append((event, incident, [path]))
    if mitigate:
        return IngestResult(
            "mitigated", incident.id, f"{incident.id} mitigated at {_utc(incident.mitigated_at or received)}"
        )
    return IngestResult("updated", incident.id, f"{incident.id}: {len(notes)} alert change(s) added to the timeline")
