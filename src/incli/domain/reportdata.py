"""What the HTML report shows, computed from incidents: pure functions, no I/O.

The listings (the incident list, the metrics charts, the action items' incidents) are
built from the index's facts (``domain.metrics.Facts``), never from 100,000 full
incidents; an incident's own page from the incident.

Postmortems and action items are read from the incident's extension keys as the
data contract describes them (``postmortem`` and ``actions``); anything malformed
there is shown as it can be, never trusted to be well-formed.

The report reuses an incident's page from the earlier build when nothing it was
rendered from has changed. What a page takes from outside its own incident file is
recorded while it renders (``Reads``: the site's fields, its neighbours in the list,
the catalog entries it looked up) so that the next build can compare exactly that.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from urllib.parse import quote

from incli.domain import durations
from incli.domain import postmortem as pm
from incli.domain.config import Config
from incli.domain.metrics import TIME_INDEX, Facts, action_totals, month_of, resolve_seconds
from incli.domain.model import Incident

NO_POSTMORTEM = pm.MISSING


def incident_href(incident_id: str) -> str:
    """The page of an incident, relative to the site root (ids are file names; quote anyway)."""
    return f"incidents/{quote(incident_id, safe='')}.html"


def incident_filename(incident_id: str) -> str:
    return f"{incident_id}.html"


def postmortem_state(incident: Incident) -> str:
    return pm.state_of(incident)


def _moment(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


class Listed:
    """An incident as the listings show it (``row.incident``, ``action.incident``), from the
    index's facts: id, title, severity, status, service, tags, drill, active and the times
    (``opened_at``, ``started_at``, ``detected_at``, ``acknowledged_at``, ``mitigated_at``,
    ``resolved_at``, in UTC)."""

    __slots__ = ("_facts",)

    def __init__(self, facts: Facts) -> None:
        self._facts = facts

    def __repr__(self) -> str:
        return f"Listed({self._facts!r})"

    id = property(lambda self: self._facts.id)
    title = property(lambda self: self._facts.title)
    severity = property(lambda self: self._facts.severity)
    status = property(lambda self: self._facts.status)
    service = property(lambda self: self._facts.service)
    drill = property(lambda self: self._facts.drill)
    tags = property(lambda self: list(self._facts.tags))
    active = property(lambda self: self._facts.status != "resolved")  # as Incident.active

    def _time(self, name: str) -> datetime | None:
        return _moment(self._facts.times[TIME_INDEX[name]])

    @property
    def opened_at(self) -> datetime:
        return self._time("opened_at") or datetime.fromtimestamp(0, UTC)

    @property
    def started_at(self) -> datetime:
        return self._time("started_at") or self.opened_at

    detected_at = property(lambda self: self._time("detected_at"))
    acknowledged_at = property(lambda self: self._time("acknowledged_at"))
    mitigated_at = property(lambda self: self._time("mitigated_at"))
    resolved_at = property(lambda self: self._time("resolved_at"))


@dataclass(slots=True)
class IncidentRow:
    """An incident as the report's listings show it."""

    incident: Listed
    duration: timedelta
    postmortem: str
    href: str
    open_actions: int = 0
    overdue_actions: int = 0


def index_rows(facts: Iterable[Facts], now: datetime, today: date) -> list[IncidentRow]:
    """One row per incident, newest first (by when it was declared). The action counts are
    those of ``inc metrics`` (domain/metrics.action_summary)."""
    opened = TIME_INDEX["opened_at"]
    rows = []
    for item in sorted(facts, key=lambda f: (f.times[opened] or 0.0, f.id), reverse=True):
        listed = Listed(item)
        actions = action_totals(((action, 1) for action in item.actions), today)
        rows.append(
            IncidentRow(
                incident=listed,
                duration=durations.impact_between(listed.started_at, listed.resolved_at, now),
                postmortem=item.postmortem_state or NO_POSTMORTEM,
                href=incident_href(item.id),
                open_actions=actions["open"],
                overdue_actions=actions["overdue"],
            )
        )
    return rows


# -- action items ---------------------------------------------------------------


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class ActionItem:
    """One action item as the report shows it, whatever the day: plain text and the due date.
    The report keeps these in its manifest, so that the action items page is written without
    reading every incident again."""

    id: str
    title: str
    owner: str
    due: date | None
    due_text: str
    priority: str
    status: str
    note: str
    done_at: str
    stored_open: bool  # the stored status is exactly "open" (what domain/postmortem.action_overdue asks)

    def overdue(self, today: date) -> bool:
        """By the one rule, ``domain.postmortem.action_overdue``."""
        return pm.action_overdue({"status": "open" if self.stored_open else None, "due": self.due}, today)

    def to_list(self) -> list[Any]:
        due = self.due.isoformat() if self.due else None
        return [
            self.id,
            self.title,
            self.owner,
            due,
            self.due_text,
            self.priority,
            self.status,
            self.note,
            self.done_at,
            self.stored_open,
        ]

    @classmethod
    def from_list(cls, values: Any) -> ActionItem:
        """From ``to_list``; ValueError for anything else."""
        if not isinstance(values, list) or len(values) != 10:
            raise ValueError("not an action item")
        texts = [values[i] for i in (0, 1, 2, 4, 5, 6, 7, 8)]
        if not all(isinstance(v, str) for v in texts) or not isinstance(values[9], bool):
            raise ValueError("not an action item")
        due = values[3]
        if due is not None and not isinstance(due, str):
            raise ValueError("not an action item")
        return cls(
            id=values[0],
            title=values[1],
            owner=values[2],
            due=date.fromisoformat(due) if due is not None else None,
            due_text=values[4],
            priority=values[5],
            status=values[6],
            note=values[7],
            done_at=values[8],
            stored_open=values[9],
        )


def action_items(incident: Incident) -> list[ActionItem]:
    """The incident's action items; the due date as ``inc action list`` reads it."""
    items = []
    for raw in pm.actions_of(incident):
        due = pm.action_due(raw)
        items.append(
            ActionItem(
                id=_text(raw.get("id")),
                title=_text(raw.get("title")) or "(untitled)",
                owner=_text(raw.get("owner")).strip() or "(no owner)",
                due=due,
                due_text=due.isoformat() if due else _text(raw.get("due")),
                priority=_text(raw.get("priority")),
                status=_text(raw.get("status")) or "open",
                note=_text(raw.get("note")),
                done_at=_text(raw.get("done_at")),
                stored_open=raw.get("status") == "open",
            )
        )
    return items


@dataclass(slots=True)
class ActionRow:
    """An action item as the report's actions page shows it."""

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
    incident: Listed
    href: str

    @property
    def open(self) -> bool:
        return self.status != "done"


def action_rows(items: Iterable[ActionItem], incident: Listed, today: date) -> list[ActionRow]:
    """The items as the pages show them on ``today``: overdue when open and due before it
    (domain/postmortem: as ``inc action list``)."""
    href = incident_href(incident.id)
    return [
        ActionRow(
            id=item.id,
            title=item.title,
            owner=item.owner,
            due=item.due,
            due_text=item.due_text,
            priority=item.priority,
            status=item.status,
            overdue=item.overdue(today),
            note=item.note,
            done_at=item.done_at,
            incident=incident,
            href=href,
        )
        for item in items
    ]


@dataclass
class OwnerGroup:
    """The action items of one owner."""

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


# -- the metrics charts ---------------------------------------------------------


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


def monthly_stats(facts: Iterable[Facts], config: Config, zone: tzinfo) -> MonthlyStats:
    """Incidents per month by severity and the times to resolve (months by when impact
    started, in ``zone``). The per-month median and p90 are left to ``with_monthly_resolve``."""
    stats = MonthlyStats()
    real = []
    for item in facts:
        if item.drill:
            stats.drills += 1
        else:
            real.append(item)
    stats.incidents = len(real)
    if not real:
        return stats
    started = TIME_INDEX["started_at"]
    keys = [month_of(item.times[started] or 0.0, zone) for item in real]
    stats.months = month_range(min(keys), max(keys))
    position = {m: n for n, m in enumerate(stats.months)}
    configured = [s.id for s in config.severities]
    seen = {i.severity for i in real}
    stats.severities = [s for s in configured if s in seen] + sorted(seen - set(configured))
    stats.counts = {s: [0] * len(stats.months) for s in stats.severities}
    for item, key in zip(real, keys, strict=True):
        stats.counts[item.severity][position[key]] += 1
    stats.resolve_seconds = resolve_seconds(real)
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


# -- what an incident's page depends on -----------------------------------------


def follows_the_clock(incident: Incident) -> bool:
    """Does the incident's page change with the time it is built, whatever its templates show?

    Yes while it is unresolved (its impact so far, what it owes: ``durations``) and for a
    postmortem stored empty (rendered from a fresh draft dated now). Its action items change
    with the day, which the report checks itself (``overdue_flags``); and a template that
    reads the time (``now``, ``site.generated_at``, the postmortem's ``generated_at``) is seen
    while it renders. Anything else on the page comes from the incident's file, the
    templates, the config and the time zone."""
    if incident.active or incident.resolved_at is None:
        return True
    return not incident.extra.get("postmortem") and pm.state_of(incident) != NO_POSTMORTEM


def overdue_flags(items: Iterable[ActionItem], today: date) -> str:
    """Which of the items are overdue on ``today``, as ``0``/``1`` (what changes on an incident's
    page from one day to the next)."""
    return "".join("1" if item.overdue(today) else "0" for item in items)


def fingerprint(value: Any) -> str:
    """A value read as text, equal exactly when the value is (the values pages read are text,
    numbers, times, lists and the catalog's mappings, whose ``repr`` says all of them)."""
    return repr(value)


ReadPath = tuple[Any, ...]  # names; a tuple for a call (its arguments); STR for the text of an object
STR = "<str>"


class Reads:
    """What one page read of the inputs it shares with other pages, by path:
    ``("site", "count")``, ``("newer", "incident", "title")``, ``("site", "service_entry", (NAME,))``,
    ``("newer",)`` (whether there is one)."""

    __slots__ = ("seen",)

    def __init__(self) -> None:
        self.seen: dict[ReadPath, str] = {}

    def add(self, path: ReadPath, value: Any) -> None:
        if path not in self.seen:
            self.seen[path] = fingerprint(value)

    def _order(self) -> list[ReadPath]:
        return sorted(self.seen, key=repr)

    def paths(self) -> list[list[Any]]:
        """The paths read, in a fixed order, as JSON has them (a call's arguments as a list;
        ``replay`` reads them again in this order)."""
        return [[list(name) if type(name) is tuple else name for name in path] for path in self._order()]

    def digest_text(self) -> str:
        """What was read, in the order of ``paths``."""
        return "\n".join(self.seen[path] for path in self._order())


def step(value: Any, name: Any) -> Any:
    """One step of a path: a key of a mapping, an attribute of an object, a call, or ``STR``."""
    if type(name) is str:
        if type(value) is dict:
            return value[name]
        if name.startswith(("_", "<")):
            if name == STR:
                return str(value)
            raise AttributeError(name)
        return getattr(value, name)
    if type(name) in (list, tuple):
        return value(*name)
    raise AttributeError(name)


def replay(paths: Iterable[list[Any]], roots: Mapping[str, Any]) -> str | None:
    """The ``Reads.digest_text`` that reading ``paths`` (as ``Reads.paths`` gave them) from
    ``roots`` now gives; None when one can no longer be read (a neighbour that is gone)."""
    seen = []
    for path in paths:
        if not path or path[0] not in roots:
            return None
        value = roots[path[0]]
        try:
            if len(path) == 1:
                value = value is not None  # a root is read as there or not
            for name in path[1:]:
                value = step(value, name)
        except (AttributeError, KeyError, TypeError, IndexError, ValueError):
            return None
        seen.append(fingerprint(value))
    return "\n".join(seen)


class Watched:
    """A value a page may read from (the site, a neighbour), recording each read in ``reads``.

    Plain values read are recorded with their path; objects (a row, its incident) are handed
    on watched; ``calls`` are functions whose calls are recorded with their arguments (the
    catalog lookup); ``fixed`` are functions of the config alone, handed on as they are."""

    __slots__ = ("_calls", "_fixed", "_path", "_reads", "_value")

    def __init__(
        self,
        value: Any,
        path: ReadPath,
        reads: Reads,
        calls: frozenset[str] = frozenset(),
        fixed: frozenset[str] = frozenset(),
    ) -> None:
        self._value = value
        self._path = path
        self._reads = reads
        self._calls = calls
        self._fixed = fixed

    def _read(self, name: Any) -> Any:
        value = step(self._value, name)
        path = (*self._path, name)
        if self._fixed and name in self._fixed:
            return value
        if self._calls and name in self._calls:
            return _watched_call(value, path, self._reads)
        if type(value) in _HANDED_ON:
            return Watched(value, path, self._reads)
        self._reads.add(path, value)
        return value

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._read(name)
        except (KeyError, TypeError):
            raise AttributeError(name) from None

    def __getitem__(self, name: Any) -> Any:
        try:
            return self._read(name)
        except AttributeError:
            raise KeyError(name) from None

    def __bool__(self) -> bool:
        return True

    def __str__(self) -> str:
        text = str(self._value)
        self._reads.add((*self._path, STR), text)
        return text


_HANDED_ON = (Listed, IncidentRow)


def _watched_call(function: Callable[..., Any], path: ReadPath, reads: Reads) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        value = function(*args)
        reads.add((*path, args), value)
        return value

    return call
