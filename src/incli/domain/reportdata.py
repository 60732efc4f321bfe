"""What the HTML report shows, computed from incidents: pure functions, no I/O.

Postmortems and action items are read from the incident's extension keys as the
data contract describes them (``postmortem`` and ``actions``); anything malformed
there is shown as it can be, never trusted to be well-formed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import quote

from incli.domain import durations
from incli.domain import postmortem as pm
from incli.domain.config import Config
from incli.domain.model import Incident

NO_POSTMORTEM = pm.MISSING


def incident_href(incident_id: str) -> str:
    """The page of an incident, relative to the site root (ids are file names; quote anyway)."""
    return f"incidents/{quote(incident_id, safe='')}.html"


def incident_filename(incident_id: str) -> str:
    return f"{incident_id}.html"


def postmortem_state(incident: Incident) -> str:
    return pm.state_of(incident)


@dataclass
class IncidentRow:
    incident: Incident
    duration: timedelta
    postmortem: str
    href: str
    open_actions: int = 0
    overdue_actions: int = 0


@dataclass
class ActionRow:
    id: str
    title: str
    owner: str
    due: date | None
    due_text: str
    priority: str
    status: str
    overdue: bool
    note: str
    done_at: str
    incident: Incident
    href: str

    @property
    def open(self) -> bool:
        return self.status != "done"


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def actions_of(incident: Incident, today: date) -> list[ActionRow]:
    """The incident's action items; due date and overdue as ``inc action list`` has them
    (domain/postmortem: open and due before ``today``)."""
    rows = []
    for item in pm.actions_of(incident):
        status = _text(item.get("status")) or "open"
        due = pm.action_due(item)
        rows.append(
            ActionRow(
                id=_text(item.get("id")),
                title=_text(item.get("title")) or "(untitled)",
                owner=_text(item.get("owner")).strip() or "(no owner)",
                due=due,
                due_text=due.isoformat() if due else _text(item.get("due")),
                priority=_text(item.get("priority")),
                status=status,
                overdue=pm.action_overdue(item, today),
                note=_text(item.get("note")),
                done_at=_text(item.get("done_at")),
                incident=incident,
                href=incident_href(incident.id),
            )
        )
    return rows


def index_rows(incidents: Iterable[Incident], now: datetime, today: date) -> list[IncidentRow]:
    """One row per incident, newest first (by when it was declared)."""
    rows = []
    for incident in sorted(incidents, key=lambda i: (i.opened_at, i.id), reverse=True):
        acts = actions_of(incident, today)
        rows.append(
            IncidentRow(
                incident=incident,
                duration=durations.impact_duration(incident, now),
                postmortem=postmortem_state(incident),
                href=incident_href(incident.id),
                open_actions=sum(1 for a in acts if a.open),
                overdue_actions=sum(1 for a in acts if a.overdue),
            )
        )
    return rows


@dataclass
class OwnerGroup:
    owner: str
    actions: list[ActionRow]

    @property
    def overdue(self) -> int:
        return sum(1 for a in self.actions if a.overdue)


def _action_order(row: ActionRow) -> tuple[Any, ...]:
    return (not row.overdue, row.due or date.max, row.incident.opened_at.timestamp() * -1, row.id)


def group_actions(rows: Sequence[ActionRow]) -> tuple[list[OwnerGroup], list[OwnerGroup]]:
    """(open groups, done groups), by owner. Open: owners with the most overdue first,
    within an owner overdue first then by due date. Done: by owner name, latest done first."""
    open_by: dict[str, list[ActionRow]] = defaultdict(list)
    done_by: dict[str, list[ActionRow]] = defaultdict(list)
    for row in rows:
        (open_by if row.open else done_by)[row.owner].append(row)
    open_groups = [OwnerGroup(owner, sorted(items, key=_action_order)) for owner, items in open_by.items()]
    open_groups.sort(key=lambda g: (-g.overdue, -len(g.actions), g.owner.lower()))
    done_groups = [
        OwnerGroup(owner, sorted(items, key=lambda r: (r.done_at, r.id), reverse=True))
        for owner, items in done_by.items()
    ]
    done_groups.sort(key=lambda g: g.owner.lower())
    return open_groups, done_groups


def month_key(moment: datetime, zone: tzinfo) -> str:
    local = moment.astimezone(zone)
    return f"{local.year:04d}-{local.month:02d}"


def month_range(first: str, last: str) -> list[str]:
    year, month = (int(p) for p in first.split("-"))
    end = tuple(int(p) for p in last.split("-"))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return months


@dataclass
class MonthlyStats:
    """What the metrics charts draw. Drills are left out; months run from the first
    incident's to the last's with empty months included."""

    months: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    counts: dict[str, list[int]] = field(default_factory=dict)  # severity -> count per month
    # Filled from ``inc metrics --by month`` (domain/metrics: nearest-rank p90), not computed here.
    median_resolve: list[float | None] = field(default_factory=list)
    p90_resolve: list[float | None] = field(default_factory=list)
    resolved_count: list[int] = field(default_factory=list)
    resolve_seconds: list[float] = field(default_factory=list)
    incidents: int = 0
    drills: int = 0


def time_to_resolve(incident: Incident) -> float | None:
    value = durations.spans(incident)["mttr"]
    return value.total_seconds() if value is not None else None


def monthly_stats(incidents: Iterable[Incident], config: Config, zone: tzinfo) -> MonthlyStats:
    """Incidents per month by severity and the times to resolve (months by when impact
    started, in ``zone``). The per-month median and p90 are left to ``with_monthly_resolve``."""
    stats = MonthlyStats()
    real = []
    for incident in incidents:
        if incident.drill:
            stats.drills += 1
        else:
            real.append(incident)
    stats.incidents = len(real)
    if not real:
        return stats
    keys = {i.id: month_key(i.started_at, zone) for i in real}
    stats.months = month_range(min(keys.values()), max(keys.values()))
    position = {m: n for n, m in enumerate(stats.months)}
    configured = [s.id for s in config.severities]
    seen = {i.severity for i in real}
    stats.severities = [s for s in configured if s in seen] + sorted(seen - set(configured))
    stats.counts = {s: [0] * len(stats.months) for s in stats.severities}
    for incident in real:
        stats.counts[incident.severity][position[keys[incident.id]]] += 1
        seconds = time_to_resolve(incident)
        if seconds is not None:
            stats.resolve_seconds.append(seconds)
    return stats


def with_monthly_resolve(stats: MonthlyStats, month_groups: Sequence[dict[str, Any]]) -> MonthlyStats:
    """Per month, n, median and p90 of MTTR as ``inc metrics --by month --json`` reports them
    (the ``groups`` of that result); a month without a resolved incident has none."""
    mttr = {g["key"]: g["metrics"]["mttr"] for g in month_groups if g["key"] is not None and "mttr" in g["metrics"]}
    empty = {"n": 0, "median_seconds": None, "p90_seconds": None}
    per_month = [mttr.get(month, empty) for month in stats.months]
    stats.resolved_count = [int(s["n"]) for s in per_month]
    stats.median_resolve = [s["median_seconds"] for s in per_month]
    stats.p90_resolve = [s["p90_seconds"] for s in per_month]
    return stats
