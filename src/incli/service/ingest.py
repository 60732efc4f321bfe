"""Alerts in: a notification from any source (``incli.integrations.sources``) applied
to the incidents.

A firing group opens an incident, or adds to the one already active for the same
group; a resolved group marks it mitigated (the rules are in
``incli.domain.alertgroup``). Some sources also acknowledge (PagerDuty, Opsgenie),
add a note (CloudWatch's INSUFFICIENT_DATA, Opsgenie's webhook actions) or report a
change (PagerDuty's change events: a note on the incidents active on that service,
and a file in ``changes/``). Find-or-create happens under the repository lock, so
two deliveries at once never open two incidents for one group, and a notification
that changes nothing writes nothing (sources repeat themselves; the file stays
byte-identical). Listeners (hooks) are called after the lock is released.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from incli.domain import alertgroup, lifecycle
from incli.domain import alerts as am
from incli.domain.model import Incident, TimelineEntry, service_key
from incli.domain.times import to_iso
from incli.errors import Conflict, IncError, InvalidInput
from incli.integrations import sources
from incli.integrations.sources import cloudwatch
from incli.service.incidents import Service
from incli.storage import changes as change_store

Event = tuple[str, Incident | None, list[Path]]


class Unauthorized(IncError):
    """The token is missing or wrong (HTTP 401)."""


@dataclass
class IngestResult:
    """What one notification did to the incidents."""

    action: str  # opened | updated | mitigated | acknowledged | noted | change | subscription | unchanged
    incident_id: str
    message: str
    key: str = ""  # the group's key (PagerDuty's dedup_key), for the sender's answer
    subscribe_url: str = ""  # an SNS subscription's SubscribeURL, to confirm

    def to_json(self) -> dict[str, Any]:
        return {"action": self.action, "incident": self.incident_id, "message": self.message}


def source_names() -> list[str]:
    return list(sources.SOURCES)


def route(path: str) -> str | None:
    """The source an HTTP path is routed to, by name (``generic:NAME``), or None."""
    return sources.name_for_path(path)


def paths() -> list[str]:
    """Every path ``inc ingest serve`` answers on, for a 404's hint."""
    found = [p for s in sources.SOURCES.values() for p in s.PATHS if p != "/"]
    return [*found, "/v2/alerts/ALIAS/close", "/v2/alerts/ALIAS/acknowledge", "/generic/NAME"]


def token_accepted(source: str, authorization: str, token: str) -> bool:
    """Does an ``Authorization`` header carry the token, in a scheme this source's senders
    use (Bearer, Basic with the token as password, Opsgenie's GenieKey)? Constant time."""
    import base64
    import binascii

    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() not in sources.token_schemes(sources.source_named(source)):
        return False
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        value = decoded.partition(":")[2]
    return hmac.compare_digest(value.encode("utf-8"), token.encode("utf-8"))


def token_in_body(source: str) -> bool:
    return sources.token_in_body(sources.source_named(source))


def answer(source: str, result: IngestResult) -> tuple[int, dict[str, Any]]:
    """The HTTP status and body the source's sender expects for an applied delivery."""
    return sources.success(sources.source_named(source), {"status": "ok", **result.to_json()}, result.key)


def refusal(source: str | None, status: int, message: str) -> dict[str, Any]:
    try:
        found = sources.source_named(source) if source else None
    except InvalidInput:
        found = None
    return sources.failure(found, status, message)


def confirm_subscription(url: str) -> int:
    """Visit an SNS SubscribeURL (https, amazonaws.com only); its HTTP status."""
    return cloudwatch.confirm(url)


def parse(
    svc: Service,
    source: str,
    data: bytes,
    path: str = "",
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> am.Notification:
    _base, name = sources.split_name(source)
    reader = sources.source_named(source)
    context = sources.Context(path=path, query=query or {}, headers=headers or {}, config=svc.config, name=name)
    return reader.parse(data, context)


def ingest_payload(
    svc: Service,
    source: str,
    data: bytes,
    deferred: list[Event] | None = None,
    *,
    path: str = "",
    query: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
    token: str | None = None,
    authorized: bool = True,
) -> IngestResult:
    """Parse a payload with the named source and apply it; InvalidInput for what the
    source cannot read. Unless ``authorized`` (the header carried the token), a source
    whose token may come in the payload must carry ``token`` there (Unauthorized)."""
    notification = parse(svc, source, data, path, query, headers)
    if not authorized and token:
        _check_body_token(svc, source, notification, token)
    return ingest(svc, notification, deferred)


def _check_body_token(svc: Service, source: str, notification: am.Notification, token: str) -> None:
    """The token in the payload (PagerDuty's routing_key): the token itself, or a key that
    ``sources.pagerduty.routing_keys`` names (the source already refused any other)."""
    if not token_in_body(source):
        raise Unauthorized("missing or wrong bearer token")
    given = (notification.credential or "").encode("utf-8")
    if hmac.compare_digest(given, token.encode("utf-8")):
        return
    if notification.credential and svc.config.sources.pagerduty.routing_keys:
        return
    raise Unauthorized("missing or wrong token (the routing_key, or Authorization: Bearer TOKEN)")


def ingest(svc: Service, notification: am.Notification, deferred: list[Event] | None = None) -> IngestResult:
    """Apply one notification. Listeners (hooks) are called before returning, or,
    when ``deferred`` is given, left in it for the caller to emit (the HTTP server
    answers the sender first)."""
    received = svc.now()
    events: list[Event] = []
    with svc.store.locked():
        result = _apply(svc, notification, received, events)
        if deferred is not None:
            # Under the lock, so a caller emitting later can keep the order the writes were made in.
            deferred.extend(events)
    result.key = notification.group_key
    if deferred is None:
        for event in events:
            svc.emit(*event)
    return result


def _apply(svc: Service, notification: am.Notification, received: datetime, events: list[Event]) -> IngestResult:
    if notification.kind == "subscription":
        return _subscription(notification)
    if notification.kind == "change":
        return _change(svc, notification, received, events)
    group = [i for i in svc.store.load_all() if alertgroup.in_group(i, notification)]
    active = [i for i in group if i.active]
    if not active:
        if notification.kind != "alerts" or not notification.opens:
            what = {"acknowledge": "acknowledge", "note": "note"}.get(notification.kind, "close")
            return IngestResult(
                "unchanged",
                "",
                f"no active incident for {notification.source} {notification.group_key!r}: nothing to {what}",
            )
        return _open(svc, notification, group, received, events)
    incident = max(active, key=lambda i: (i.opened_at, i.id))
    if notification.kind == "acknowledge":
        return _acknowledge(svc, incident, notification, received, events)
    if notification.kind == "note":
        return _note(svc, incident, notification, received, events)
    change = alertgroup.apply_notification(incident, notification, svc.config.alerts, svc.config, received)
    if not change.events:
        return IngestResult("unchanged", incident.id, f"{incident.id} already records this notification")
    path = svc.store.save(incident)
    events.extend((event, incident, [path]) for event in change.events)
    if "mitigated" in change.events:
        at = alertgroup.to_utc_text(incident.mitigated_at or received)
        return IngestResult("mitigated", incident.id, f"{incident.id} mitigated at {at}")
    return IngestResult("updated", incident.id, f"{incident.id}: {change.notes} alert change(s) added to the timeline")


def _open(
    svc: Service, notification: am.Notification, group: list[Incident], received: datetime, events: list[Event]
) -> IngestResult:
    covering = alertgroup.covering(group, notification)
    if covering is not None:
        return IngestResult(
            "unchanged",
            covering.id,
            f"{covering.id} is resolved and already records these alerts; "
            f"if the problem is back, inc reopen {covering.id}",
        )
    incident = alertgroup.opened_incident(notification, svc.config.alerts, svc.config, received)
    from incli.service.runbooks import attach_checklist

    attach_checklist(incident, svc.config)
    created = svc.store.create(incident)
    assert created is not None
    events.append(("opened", incident, [created]))
    what = f"({incident.severity}): {incident.title}"
    if incident.mitigated_at is not None:
        events.append(("mitigated", incident, [created]))
        return IngestResult("mitigated", incident.id, f"{incident.id} opened and mitigated {what}")
    return IngestResult("opened", incident.id, f"{incident.id} opened {what}")


def _acknowledge(
    svc: Service, incident: Incident, notification: am.Notification, received: datetime, events: list[Event]
) -> IngestResult:
    if incident.status not in ("open", "reopened"):
        return IngestResult("unchanged", incident.id, f"{incident.id} is already {incident.status}")
    at = min(notification.at or received, received)
    at = max(at, alertgroup.mitigation_floor(incident))
    text = notification.source_label + (f" {notification.note}" if notification.note else "")
    try:
        lifecycle.apply(incident, "acknowledge", at, received, notification.source, text)
    except Conflict as exc:
        raise InvalidInput(f"cannot acknowledge {incident.id}: {exc.message}") from None
    path = svc.store.save(incident)
    events.append(("acknowledged", incident, [path]))
    return IngestResult("acknowledged", incident.id, f"{incident.id} acknowledged at {alertgroup.to_utc_text(at)}")


def _has_note(incident: Incident, by: str, text: str) -> bool:
    return any(e.kind == "note" and e.by == by and e.text == text for e in incident.timeline)


def _note(
    svc: Service, incident: Incident, notification: am.Notification, received: datetime, events: list[Event]
) -> IngestResult:
    text = notification.note or ""
    if not text or _has_note(incident, notification.source, text):
        return IngestResult("unchanged", incident.id, f"{incident.id} already records this note")
    incident.add_entry(TimelineEntry(at=received, kind="note", by=notification.source, text=text))
    path = svc.store.save(incident)
    events.append(("note", incident, [path]))
    return IngestResult("noted", incident.id, f"{incident.id}: note added")


def _change(svc: Service, notification: am.Notification, received: datetime, events: list[Event]) -> IngestResult:
    at = min(notification.at or received, received)
    record: dict[str, Any] = {
        "at": to_iso(at),
        "received_at": to_iso(received),
        "source": notification.source,
        "service": notification.service,
        **notification.details,
    }
    if notification.at is None:
        record["assumed"] = ["at"]  # the event said nothing of when: the receipt
    written = change_store.add(svc.repo, notification.group_key, at, record)
    noted: list[str] = []
    wanted = service_key(notification.service)
    text = notification.note or "Change"
    for incident in svc.store.load_all() if wanted else []:
        if not incident.active or service_key(incident.service) != wanted:
            continue
        if _has_note(incident, notification.source, text):
            continue
        incident.add_entry(TimelineEntry(at=received, kind="note", by=notification.source, text=text))
        path = svc.store.save(incident)
        events.append(("note", incident, [path]))
        noted.append(incident.id)
    if written is None and not noted:
        return IngestResult("unchanged", ",".join(noted), "this change is already recorded")
    if written is not None:
        events.append(("change", None, [written]))
    where = f"; noted on {', '.join(noted)}" if noted else ""
    return IngestResult("change", ",".join(noted), f"change recorded{where}")


def _subscription(notification: am.Notification) -> IngestResult:
    details = notification.details
    kind = details.get("type", "SubscriptionConfirmation")
    url = details.get("subscribe_url")
    topic = details.get("topic_arn", "")
    if kind == "SubscriptionConfirmation":
        text = f"SNS subscription to {topic} awaits confirmation: SubscribeURL {url}"
        return IngestResult("subscription", "", text, subscribe_url=str(url))
    return IngestResult("subscription", "", f"SNS {kind} for {topic}: nothing to do")
