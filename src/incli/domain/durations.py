"""How long things took, and what is overdue: pure functions of an incident and now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from incli.domain.config import Config
from incli.domain.model import Incident

# (key, label, start milestone, end milestone)
SPANS = (
    ("time_to_detect", "Time to detect", "started_at", "detected_at"),
    ("time_to_acknowledge", "Time to acknowledge", "detected_at", "acknowledged_at"),
    ("time_to_mitigate", "Time to mitigate", "started_at", "mitigated_at"),
    ("time_to_resolve", "Time to resolve", "started_at", "resolved_at"),
)


def spans(incident: Incident) -> dict[str, timedelta | None]:
    """Each span whose two milestones are both set; None otherwise (never negative)."""
    result: dict[str, timedelta | None] = {}
    for key, _label, start, end in SPANS:
        a, b = incident.time(start), incident.time(end)
        result[key] = b - a if a is not None and b is not None and b >= a else None
    return result


def impact_duration(incident: Incident, now: datetime) -> timedelta:
    """From impact start to resolution, or to now while active."""
    end = incident.resolved_at or now
    return max(end - incident.started_at, timedelta(0))


@dataclass(frozen=True)
class Overdue:
    what: str  # "acknowledgement" or "update"
    due_at: datetime
    late_by: timedelta


def next_update_due(incident: Incident, config: Config) -> datetime | None:
    level = config.find_severity(incident.severity)
    if level is None or level.update_every is None or not incident.active:
        return None
    last = incident.last_entry("update")
    since = max(last.at, incident.opened_at) if last else incident.opened_at
    return since + level.update_every


def overdue(incident: Incident, config: Config, now: datetime) -> list[Overdue]:
    """What an active incident owes: an acknowledgement past the severity's response
    time, a stakeholder update past its cadence."""
    if not incident.active:
        return []
    found: list[Overdue] = []
    level = config.find_severity(incident.severity)
    if level is not None and incident.acknowledged_at is None:
        due = incident.detected_at + level.response_time
        if now > due:
            found.append(Overdue("acknowledgement", due, now - due))
    due_update = next_update_due(incident, config)
    if due_update is not None and now > due_update:
        found.append(Overdue("update", due_update, now - due_update))
    return found
