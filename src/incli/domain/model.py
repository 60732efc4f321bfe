"""Incidents and their timelines, and the one mapping between them and plain data.

The same keys are used in the YAML file, in ``--json`` output and in the code:
``to_dict`` gives them in a fixed order so that diffs stay small, and
``incident_from_dict`` reads them back, collecting every problem it sees so that
``inc validate`` can report them all at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from incli.domain.times import parse_iso, parse_stored, to_iso

# Inside JSON strings, the characters a terminal obeys that json.dumps leaves raw (DEL, C1
# controls, bidi overrides) are written as \\uXXXX: the same data, and a pipe into a terminal
# cannot be driven by them.
_JSON_UNSAFE = "[\x7f-\x9f\u202a-\u202e\u2066-\u2069]"  # compiled (re's cache) when first needed


def json_safe(text: str) -> str:
    """JSON text (``ensure_ascii=False``) with the characters a terminal obeys escaped."""
    if text.isascii() and "\x7f" not in text:  # the common case, without a regex pass
        return text
    return re.sub(_JSON_UNSAFE, lambda m: f"\\u{ord(m.group()):04x}", text)


SCHEMA = 1

STATUSES = ("open", "acknowledged", "mitigated", "resolved", "reopened")
ACTIVE_STATUSES = ("open", "acknowledged", "mitigated", "reopened")
ENTRY_KINDS = (
    "opened",
    "acknowledged",
    "mitigated",
    "resolved",
    "reopened",
    "note",
    "update",
    "severity_changed",
    "assigned",
    "postmortem",  # the postmortem was started or its review state moved
    "paged",  # escalation paged someone (level, round, target, paged: the handle; domain/escalation.py)
    "escalated",  # escalation moved to a next level, not acknowledged in time
)
ROLES = ("commander", "comms", "scribe")
# The lifecycle times, in the order they must keep.
MILESTONES = ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at")
TIME_FIELDS = ("opened_at", *MILESTONES)

# Keys in the order they are written. Keys that later features own (a
# postmortem, action items) come after the timeline, in this order; keys nobody
# knows come last and are kept as they are.
FIELD_ORDER = (
    "schema",
    "id",
    "title",
    "severity",
    "status",
    "service",
    "summary",
    "commander",
    "roles",
    "tags",
    "drill",
    *TIME_FIELDS,
    "timeline",
)
# Keys owned by later features, written after the timeline in this order:
#   postmortem  the blameless postmortem (a mapping; see domain/postmortem.py)
#   actions     action items (a list of mappings with an id each)
#   source      where the incident came from (an alert group, an import)
#   assumed     the milestones nobody gave, filled in so the incident is complete (e.g.
#               [started_at, detected_at] after inc open without --started-at or
#               --detected-at); metrics leave them out (domain/metrics.py)
#   public_title  the title the status page shows (inc open --public-title, inc public-title)
#   private       true: the incident never appears on the status page (inc open --private, inc private)
#   links       links to other incidents ([{id, as: duplicate|duplicated-by|caused-by|caused|related}],
#               domain/search.py); a duplicate is left out of metrics
#   tasks       the response checklist's tasks ([{id, title, due_at, done_at, by}], domain/runbooks.py)
EXTENSION_ORDER: list[str] = ["postmortem", "actions", "source", "assumed", "public_title", "private", "links", "tasks"]
# The lifecycle times in the order a person reads them, with their labels (inc show, the report).
MILESTONE_LABELS = (
    ("started_at", "Impact started"),
    ("detected_at", "Detected"),
    ("opened_at", "Declared"),
    ("acknowledged_at", "Acknowledged"),
    ("mitigated_at", "Mitigated"),
    ("resolved_at", "Resolved"),
)
REQUIRED = ("id", "title", "severity", "status", "opened_at", "started_at", "detected_at", "timeline")
ENTRY_KEYS = ("at", "kind", "by", "text")


def action_states(extra: dict[str, Any]) -> tuple[tuple[str, str | None], ...]:
    """Each action item's (status, due date text) as metrics and inc status count them: an item
    without a status is open."""
    raw = extra.get("actions")
    if not isinstance(raw, list):
        return ()
    return tuple(
        (str(item.get("status") or "open"), str(item["due"]) if item.get("due") is not None else None)
        for item in raw
        if isinstance(item, dict)
    )


def assumed_times(incident_extra: dict[str, Any]) -> tuple[str, ...]:
    """The milestones an incident records as assumed (not given), in TIME_FIELDS order.

    ``assumed:`` is the one mechanism (inc open, ingest, rules, import); files imported
    before it existed say the same in ``source.derived``.
    """
    names: set[str] = set()
    for raw in (
        incident_extra.get("assumed"),
        (incident_extra.get("source") or {}).get("derived") if isinstance(incident_extra.get("source"), dict) else None,
    ):
        if isinstance(raw, list):
            names.update(str(n) for n in raw if n in TIME_FIELDS)
    return tuple(name for name in TIME_FIELDS if name in names)


def extension_problems(incident_extra: dict[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with the shape of ``public_title``, ``private``, ``source`` and ``assumed``
    (key, message): a value the commands would read as something else (``private: "yes"`` is
    private to the status page; an ``assumed`` that is not a list counts assumed times as real)."""
    problems: list[tuple[str, str]] = []
    title = incident_extra.get("public_title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        problems.append(("public_title", f"expected text, found {title!r}"))
    private = incident_extra.get("private")
    if private is not None and not isinstance(private, bool):
        problems.append(("private", f"expected true or false, found {private!r}"))
    source = incident_extra.get("source")
    if source is not None and not isinstance(source, dict):
        problems.append(("source", f"expected a mapping (kind, id, imported_at, ...), found {source!r}"))
    assumed = incident_extra.get("assumed")
    if assumed is not None:
        if not isinstance(assumed, list):
            problems.append(("assumed", f"expected a list of times such as [started_at], found {assumed!r}"))
        else:
            for index, name in enumerate(assumed):
                if name not in TIME_FIELDS:
                    problems.append((f"assumed[{index}]", f"expected one of {', '.join(TIME_FIELDS)}, found {name!r}"))
    return problems


def service_key(name: str | None) -> str | None:
    """What makes two services the same one: the name as written, trimmed, compared
    without regard to case (``Checkout`` and ``checkout`` are one service). Every
    filter (``--service``) and grouping (``--by service``) compares through here; a
    group is shown under the spelling of its most recent incident."""
    if name is None or not name.strip():
        return None
    return name.strip().casefold()


IMPORT_KINDS = ("import", "pagerduty", "opsgenie", "cstate")

# Imported history may not say how severe an incident was: ``severity: null`` in the file,
# ``unknown`` in memory (listed, shown and grouped as that word); no severity may be named so.
UNKNOWN_SEVERITY = "unknown"


def imported_at(incident_extra: dict[str, Any]) -> datetime | None:
    """When an imported incident entered the repository (``source.imported_at``), else None."""
    source = incident_extra.get("source")
    if not isinstance(source, dict):
        return None
    value = source.get("imported_at")
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    if isinstance(value, str):
        moment = parse_iso(value.strip())
        return moment if moment is not None and moment.tzinfo is not None else None
    return None


def is_imported(incident_extra: dict[str, Any]) -> bool:
    """Did this incident come from an import (inc import, PagerDuty history)?"""
    source = incident_extra.get("source")
    return isinstance(source, dict) and (source.get("kind") in IMPORT_KINDS or "imported_at" in source)


def set_assumed(incident_extra: dict[str, Any], names: Iterable[str]) -> None:
    """Record which milestones were assumed (none: the key is left out)."""
    wanted = [name for name in TIME_FIELDS if name in set(names)]
    if wanted:
        incident_extra["assumed"] = wanted
    else:
        incident_extra.pop("assumed", None)


@dataclass
class TimelineEntry:
    """One timeline entry: when, what kind, who and the text."""

    at: datetime
    kind: str
    text: str
    by: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"at": to_iso(self.at), "kind": self.kind, "by": self.by, "text": self.text}
        data.update(self.extra)
        return data

    def key(self) -> tuple[str, str, str, str]:
        """What makes two entries the same entry (used to merge timelines)."""
        return (to_iso(self.at), self.kind, self.by or "", self.text)


@dataclass
class Incident:
    """An incident as its file holds it."""

    id: str
    title: str
    severity: str
    opened_at: datetime
    started_at: datetime
    detected_at: datetime
    status: str = "open"
    service: str | None = None
    summary: str | None = None
    commander: str | None = None
    roles: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    drill: bool = False
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    timeline: list[TimelineEntry] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    schema: int = SCHEMA

    @property
    def active(self) -> bool:
        return self.status != "resolved"

    def time(self, name: str) -> datetime | None:
        value = getattr(self, name)
        assert value is None or isinstance(value, datetime)
        return value

    def add_entry(self, entry: TimelineEntry) -> None:
        """Append, keeping the timeline in time order (stable for equal times)."""
        self.timeline.append(entry)
        self.timeline.sort(key=lambda e: e.at)

    def last_entry(self, kind: str) -> TimelineEntry | None:
        for entry in reversed(self.timeline):
            if entry.kind == kind:
                return entry
        return None

    def to_dict(self) -> dict[str, Any]:
        """The incident as stored and as ``--json`` shows it."""
        data: dict[str, Any] = {
            "schema": self.schema,
            "id": self.id,
            "title": self.title,
            "severity": None if self.severity == UNKNOWN_SEVERITY else self.severity,
            "status": self.status,
            "service": self.service,
            "summary": self.summary,
            "commander": self.commander,
            "roles": dict(self.roles),
            "tags": list(self.tags),
            "drill": self.drill,
        }
        for name in TIME_FIELDS:
            moment = self.time(name)
            data[name] = to_iso(moment) if moment else None
        data["timeline"] = [entry.to_dict() for entry in self.timeline]
        for key in EXTENSION_ORDER:
            if key in self.extra:
                data[key] = self.extra[key]
        for key in sorted(k for k in self.extra if k not in EXTENSION_ORDER):
            data[key] = self.extra[key]
        return data

    def to_json(self) -> dict[str, Any]:
        data = self.to_dict()
        del data["schema"]
        return data


class IncidentFormatError(ValueError):
    """The data does not describe an incident; ``problems`` lists (key, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{k}: {m}" if k else m for k, m in problems))
        self.problems = problems


def _text(data: dict[str, Any], key: str, problems: list[tuple[str, str]], *, required: bool) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            problems.append((key, "missing"))
        return None
    if isinstance(value, bool):
        found = str(value).lower()
        problems.append((key, f"expected text, found {found} (quote it: YAML reads yes/no/on/off as booleans)"))
        return None
    if isinstance(value, (int, float)):
        problems.append((key, f"expected text, found the number {value} (quote it)"))
        return None
    if not isinstance(value, str):
        problems.append((key, f"expected text, found {type(value).__name__}"))
        return None
    if required and not value.strip():
        problems.append((key, "is empty"))
    return value


def _time(data: dict[str, Any], key: str, problems: list[tuple[str, str]], *, required: bool) -> datetime | None:
    value = data.get(key)
    if value is None:
        if required:
            problems.append((key, "missing"))
        return None
    try:
        return parse_stored(value)
    except ValueError as exc:
        problems.append((key, str(exc)))
        return None


def _entry_from_dict(raw: Any, index: int, problems: list[tuple[str, str]]) -> TimelineEntry | None:
    where = f"timeline[{index}]"
    if not isinstance(raw, dict):
        problems.append((where, "expected a mapping with at, kind, by, text"))
        return None
    local: list[tuple[str, str]] = []
    at = _time(raw, "at", local, required=True)
    kind = _text(raw, "kind", local, required=True)
    text = _text(raw, "text", local, required=False)
    by = _text(raw, "by", local, required=False)
    if kind is not None and kind not in ENTRY_KINDS:
        local.append(("kind", f"unknown kind {kind!r}; one of {', '.join(ENTRY_KINDS)}"))
    problems.extend((f"{where}.{key}", message) for key, message in local)
    if local or at is None or kind is None:
        return None
    extra = {k: v for k, v in raw.items() if k not in ENTRY_KEYS}
    return TimelineEntry(at=at, kind=kind, text=text or "", by=by, extra=extra)


def incident_from_dict(data: Any) -> Incident:
    """Read an incident; raise IncidentFormatError listing every problem found."""
    if not isinstance(data, dict):
        raise IncidentFormatError([("", "expected a mapping of incident fields at the top level")])
    problems: list[tuple[str, str]] = []
    schema = data.get("schema", SCHEMA)
    if not isinstance(schema, int) or isinstance(schema, bool):
        problems.append(("schema", f"expected a whole number, found {schema!r}"))
        schema = SCHEMA
    elif schema > SCHEMA:
        problems.append(("schema", f"version {schema} is newer than this incli understands ({SCHEMA}); upgrade incli"))
    ident = _text(data, "id", problems, required=True)
    title = _text(data, "title", problems, required=True)
    if "severity" in data and data["severity"] is None:
        severity: str | None = UNKNOWN_SEVERITY  # imported history without one
    else:
        severity = _text(data, "severity", problems, required=True)
    status = _text(data, "status", problems, required=True)
    if status is not None and status not in STATUSES:
        problems.append(("status", f"unknown status {status!r}; one of {', '.join(STATUSES)}"))
    service = _text(data, "service", problems, required=False)
    summary = _text(data, "summary", problems, required=False)
    commander = _text(data, "commander", problems, required=False)

    roles_raw = data.get("roles") or {}
    roles: dict[str, str] = {}
    if not isinstance(roles_raw, dict):
        problems.append(("roles", "expected a mapping of role to person"))
    else:
        for role, person in roles_raw.items():
            if person is None:
                continue
            if not isinstance(person, str):
                problems.append((f"roles.{role}", "expected a name"))
            else:
                roles[str(role)] = person

    tags_raw = data.get("tags") or []
    tags: list[str] = []
    if not isinstance(tags_raw, list):
        problems.append(("tags", "expected a list"))
    else:
        for tag in tags_raw:
            if isinstance(tag, bool) or not isinstance(tag, (str, int, float)):
                problems.append(("tags", f"expected text, found {tag!r}"))
            else:
                tags.append(str(tag))

    drill = data.get("drill", False)
    if drill is None:
        drill = False
    if not isinstance(drill, bool):
        problems.append(("drill", f"expected true or false, found {drill!r}"))
        drill = False

    times = {name: _time(data, name, problems, required=name in REQUIRED) for name in TIME_FIELDS}

    timeline: list[TimelineEntry] = []
    raw_timeline = data.get("timeline")
    if raw_timeline is None:
        problems.append(("timeline", "missing"))
    elif not isinstance(raw_timeline, list):
        problems.append(("timeline", "expected a list of entries"))
    else:
        for index, raw in enumerate(raw_timeline):
            entry = _entry_from_dict(raw, index, problems)
            if entry is not None:
                timeline.append(entry)

    if problems:
        raise IncidentFormatError(problems)
    assert ident and title and severity and status
    opened_at, started_at, detected_at = times["opened_at"], times["started_at"], times["detected_at"]
    assert opened_at and started_at and detected_at
    known = set(FIELD_ORDER)
    return Incident(
        schema=schema,
        id=ident,
        title=title,
        severity=severity,
        status=status,
        service=service,
        summary=summary,
        commander=commander,
        roles=roles,
        tags=tags,
        drill=drill,
        opened_at=opened_at,
        started_at=started_at,
        detected_at=detected_at,
        acknowledged_at=times["acknowledged_at"],
        mitigated_at=times["mitigated_at"],
        resolved_at=times["resolved_at"],
        timeline=sorted(timeline, key=lambda e: e.at),
        extra={k: v for k, v in data.items() if k not in known},
    )
