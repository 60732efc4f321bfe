"""The incident state machine and the order its times must keep.

    open -> acknowledged -> mitigated -> resolved -> reopened -> ...

Skipping forward is allowed (resolve straight from open); going back is not,
except by reopening a resolved incident. Reopening clears the mitigation and
resolution times (the problem is back), and keeps the first acknowledgement.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from incli.domain.model import MILESTONES, Incident, TimelineEntry
from incli.domain.times import check_not_future, to_iso
from incli.errors import Conflict

ORDER_HINT = "times must keep the order started <= detected <= acknowledged <= mitigated <= resolved"


class Transition(NamedTuple):
    """A lifecycle command: the milestone it sets and the states it may start from."""

    action: str  # the verb the user typed
    kind: str  # the timeline entry kind, and the status it leads to
    field: str | None  # the lifecycle time it sets
    allowed_from: tuple[str, ...]
    label: str


TRANSITIONS = {
    "acknowledge": Transition("acknowledge", "acknowledged", "acknowledged_at", ("open", "reopened"), "Acknowledged"),
    "mitigate": Transition("mitigate", "mitigated", "mitigated_at", ("open", "acknowledged", "reopened"), "Mitigated"),
    "resolve": Transition(
        "resolve", "resolved", "resolved_at", ("open", "acknowledged", "mitigated", "reopened"), "Resolved"
    ),
    "reopen": Transition("reopen", "reopened", None, ("resolved",), "Reopened"),
}


def _when(moment: datetime) -> str:
    return to_iso(moment)


def order_problems(incident: Incident) -> list[tuple[str, str]]:
    """Every pair of lifecycle times that is out of order, as (field, message)."""
    problems: list[tuple[str, str]] = []
    present = [(name, incident.time(name)) for name in MILESTONES]
    previous: tuple[str, datetime] | None = None
    for name, moment in present:
        if moment is None:
            continue
        if previous is not None and moment < previous[1]:
            problems.append((name, f"{_when(moment)} is before {previous[0]} {_when(previous[1])}; {ORDER_HINT}"))
        previous = (name, moment) if previous is None or moment >= previous[1] else previous
    if incident.opened_at < incident.started_at:
        problems.append(("opened_at", f"{_when(incident.opened_at)} is before started_at {_when(incident.started_at)}"))
    return problems


def status_problems(incident: Incident) -> list[tuple[str, str]]:
    """A status that its times contradict."""
    status = incident.status
    problems: list[tuple[str, str]] = []
    if status == "resolved" and incident.resolved_at is None:
        problems.append(("status", "is resolved but resolved_at is empty"))
    if status != "resolved" and incident.resolved_at is not None:
        problems.append(("resolved_at", f"is set but the status is {status}"))
    if status == "mitigated" and incident.mitigated_at is None:
        problems.append(("status", "is mitigated but mitigated_at is empty"))
    if status == "acknowledged" and incident.acknowledged_at is None:
        problems.append(("status", "is acknowledged but acknowledged_at is empty"))
    return problems


def derive_status(incident: Incident) -> str:
    """The status that the times and the timeline imply (used when none is given)."""
    if incident.resolved_at is not None:
        return "resolved"
    reopened = incident.last_entry("reopened")
    if incident.mitigated_at is not None:
        return "mitigated"
    if reopened is not None:
        ack = incident.last_entry("acknowledged")
        return "acknowledged" if ack is not None and ack.at >= reopened.at else "reopened"
    if incident.acknowledged_at is not None:
        return "acknowledged"
    return "open"


def _floor(incident: Incident, transition: Transition) -> tuple[str, datetime] | None:
    """The latest time this transition must not precede, and what it is."""
    candidates: list[tuple[str, datetime]] = [
        ("started", incident.started_at),
        ("detected", incident.detected_at),
    ]
    if transition.kind in ("mitigated", "resolved") and incident.acknowledged_at:
        candidates.append(("acknowledged", incident.acknowledged_at))
    if transition.kind == "resolved" and incident.mitigated_at:
        candidates.append(("mitigated", incident.mitigated_at))
    if transition.kind == "reopened" and incident.resolved_at:
        candidates.append(("resolved", incident.resolved_at))
    reopened = incident.last_entry("reopened")
    if reopened is not None and transition.kind != "reopened":
        candidates.append(("reopened", reopened.at))
    return max(candidates, key=lambda pair: pair[1]) if candidates else None


def apply(
    incident: Incident,
    action: str,
    at: datetime,
    now: datetime,
    by: str | None,
    note: str | None = None,
) -> TimelineEntry:
    """Move the incident; raise Conflict (and change nothing) when it cannot."""
    transition = TRANSITIONS[action]
    if incident.status not in transition.allowed_from:
        raise Conflict(_refusal(incident, transition))
    check_not_future(at, now, f"{transition.action} time")
    floor = _floor(incident, transition)
    if floor is not None and at < floor[1]:
        raise Conflict(
            f"cannot {transition.action} {incident.id} at {_when(at)}: it was {floor[0]} at "
            f"{_when(floor[1])}; {ORDER_HINT}"
        )
    if transition.field == "acknowledged_at":
        if incident.acknowledged_at is None:
            incident.acknowledged_at = at
    elif transition.field is not None:
        setattr(incident, transition.field, at)
    if transition.kind == "reopened":
        incident.mitigated_at = None
        incident.resolved_at = None
    incident.status = transition.kind
    text = f"{transition.label}: {note.strip()}" if note and note.strip() else transition.label
    entry = TimelineEntry(at=at, kind=transition.kind, text=text, by=by)
    incident.add_entry(entry)
    return entry


def _refusal(incident: Incident, transition: Transition) -> str:
    status = incident.status
    if status == transition.kind:
        return f"{incident.id} is already {status}"
    if status == "resolved":
        return f"cannot {transition.action} {incident.id}: it is resolved; reopen it first (inc reopen {incident.id})"
    if transition.kind == "reopened":
        return f"cannot reopen {incident.id}: it is {status}, not resolved"
    return f"cannot {transition.action} {incident.id}: it is already {status}"
