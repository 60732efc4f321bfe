"""How long things took, and what is overdue: pure functions of an incident and now."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from incli.domain.metrics import DEFAULT_METRICS, FALLBACK_START, MetricDef, falls_back
from incli.domain.model import Incident, assumed_times

if TYPE_CHECKING:
    from incli.domain.config import Config


def spans(incident: Incident, defs: Sequence[MetricDef] = DEFAULT_METRICS) -> dict[str, timedelta | None]:
    """One incident's value of each duration metric (``config.metrics``: the same table
    and the same rule as ``inc metrics``), by metric key (mttd, mtta, mttm, mttr, ...).

    None unless both ends are known and in order (never negative). A milestone the
    incident records as assumed is unknown: time to detect is then None, and time to
    acknowledge, mitigate and resolve count from the declaration, as in the metrics.
    """
    assumed = assumed_times(incident.extra)
    result: dict[str, timedelta | None] = {}
    for metric in defs:
        a = incident.time(metric.start) if metric.start not in assumed else None
        b = incident.time(metric.end) if metric.end not in assumed else None
        if a is None and falls_back(metric.start, metric.end) and FALLBACK_START not in assumed:
            a = incident.time(FALLBACK_START)
        result[metric.key] = b - a if a is not None and b is not None and b >= a else None
    return result


def impact_duration(incident: Incident, now: datetime) -> timedelta:
    """An incident's duration (one rule for list, status, show, the report and the
    postmortem): from impact start to resolution, or to now while unresolved."""
    return impact_between(incident.started_at, incident.resolved_at, now)


def impact_between(started_at: datetime, resolved_at: datetime | None, now: datetime) -> timedelta:
    """``impact_duration`` from the two times alone (the report's listing reads them from the index)."""
    end = resolved_at or now
    return max(end - started_at, timedelta(0))


def impact_windows(incident: Incident, now: datetime) -> list[tuple[datetime, datetime]]:
    """When the incident hurt users (the status page's bars and uptime): from impact start
    to mitigation (the impact stopped), else to resolution, or to now while neither: the
    ends of the ``mttm`` span. A reopened incident hurt again from each reopening to the
    mitigation or resolution after it (the timeline says when), not in between. Never negative."""
    closing = ("mitigated", "resolved")
    if not any(e.kind == "reopened" for e in incident.timeline):
        end = incident.mitigated_at or incident.resolved_at or now
        return [(incident.started_at, max(end, incident.started_at))]
    spans: list[tuple[datetime, datetime]] = []
    start: datetime | None = incident.started_at
    for entry in sorted(incident.timeline, key=lambda e: e.at):
        if entry.kind in closing and start is not None:
            spans.append((start, max(entry.at, start)))
            start = None
        elif entry.kind == "reopened" and start is None:
            start = entry.at
    if start is not None:  # open now: until the current mitigation or resolution, else now
        end = incident.mitigated_at or incident.resolved_at or now
        spans.append((start, max(end, start)))
    return spans


@dataclass(frozen=True)
class Overdue:
    """Something owed (an acknowledgement, an update) that is late, and by how much."""

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
    time (not once it is mitigated: the impact is over, nobody needs paging), a
    stakeholder update past its cadence. ``inc status`` and ``inc remind`` both ask here."""
    if not incident.active:
        return []
    found: list[Overdue] = []
    level = config.find_severity(incident.severity)
    if level is not None and incident.acknowledged_at is None and incident.mitigated_at is None:
        due = incident.detected_at + level.response_time
        if now > due:
            found.append(Overdue("acknowledgement", due, now - due))
    due_update = next_update_due(incident, config)
    if due_update is not None and now > due_update:
        found.append(Overdue("update", due_update, now - due_update))
    return found
