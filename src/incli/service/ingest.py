"""Alerts in: a notification from any source (``incli.integrations.sources``) applied
to the incidents.

A firing group opens an incident, or adds to the one already active for the same
group; a resolved group marks it mitigated (the rules are in
``incli.domain.alertgroup``). Find-or-create happens under the repository lock, so
two deliveries at once never open two incidents for one group, and a notification
that changes nothing writes nothing (sources repeat themselves; the file stays
byte-identical). Listeners (hooks) are called after the lock is released.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from incli.domain import alertgroup
from incli.domain import alerts as am
from incli.domain.model import Incident
from incli.integrations import sources
from incli.service.incidents import Service

Event = tuple[str, Incident, list[Path]]


@dataclass
class IngestResult:
    action: str  # opened | updated | mitigated | unchanged
    incident_id: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "incident": self.incident_id, "message": self.message}


def source_names() -> list[str]:
    return list(sources.SOURCES)


def route(path: str) -> str | None:
    """The source an HTTP path is routed to, by name, or None."""
    source = sources.source_for_path(path)
    return source.NAME if source is not None else None


def ingest_payload(svc: Service, source: str, data: bytes, deferred: list[Event] | None = None) -> IngestResult:
    """Parse a payload with the named source and apply it; InvalidInput for what the source cannot read."""
    return ingest(svc, sources.source_named(source).parse(data), deferred)


def ingest(svc: Service, notification: am.Notification, deferred: list[Event] | None = None) -> IngestResult:
    """Apply one notification. Listeners (hooks) are called before returning, or,
    when ``deferred`` is given, left in it for the caller to emit (the HTTP server
    answers the sender first)."""
    settings = svc.config.alerts
    received = svc.now()
    events: list[Event] = []
    with svc.store.locked():
        group = [i for i in svc.store.load_all() if alertgroup.in_group(i, notification)]
        active = [i for i in group if i.active]
        if active:
            incident = max(active, key=lambda i: (i.opened_at, i.id))
            change = alertgroup.apply_notification(incident, notification, settings, svc.config, received)
            if not change.events:
                result = IngestResult("unchanged", incident.id, f"{incident.id} already records this notification")
            else:
                path = svc.store.save(incident)
                events.extend((event, incident, [path]) for event in change.events)
                if "mitigated" in change.events:
                    at = alertgroup.to_utc_text(incident.mitigated_at or received)
                    result = IngestResult("mitigated", incident.id, f"{incident.id} mitigated at {at}")
                else:
                    result = IngestResult(
                        "updated", incident.id, f"{incident.id}: {change.notes} alert change(s) added to the timeline"
                    )
        else:
            covering = alertgroup.covering(group, notification)
            if covering is not None:
                result = IngestResult(
                    "unchanged",
                    covering.id,
                    f"{covering.id} is resolved and already records these alerts; "
                    f"if the problem is back, inc reopen {covering.id}",
                )
            else:
                incident = alertgroup.opened_incident(notification, settings, svc.config, received)
                from incli.service.runbooks import attach_checklist

                attach_checklist(incident, svc.config)
                created = svc.store.create(incident)
                assert created is not None
                events.append(("opened", incident, [created]))
                what = f"({incident.severity}): {incident.title}"
                if incident.mitigated_at is not None:
                    events.append(("mitigated", incident, [created]))
                    result = IngestResult("mitigated", incident.id, f"{incident.id} opened and mitigated {what}")
                else:
                    result = IngestResult("opened", incident.id, f"{incident.id} opened {what}")
    if deferred is not None:
        deferred.extend(events)
    else:
        for event in events:
            svc.emit(*event)
    return result
