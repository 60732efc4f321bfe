"""Escalation: whom to page for an incident, and when the next level is due. Pure: no I/O.

A policy (``escalation:`` in incli.yaml) is levels, each a list of targets to notify
(``schedule:NAME``: whoever is on call there; ``person:HANDLE``) and how long to wait
for an acknowledgement before the next level; ``repeat: N`` runs the levels N more
times. A severity names its policy with ``escalation: NAME``; without one it gets the
built-in policy: level 1 pages whoever is on call on the default schedule and waits the
severity's ``response_time``; level 2 pages the severity's ``escalate_to`` when it is a
handle, and otherwise records it as a label (``Escalation due: VP Engineering``).

What was paged is recorded in the incident's timeline (kinds ``paged`` and
``escalated``, with ``level`` and ``round`` keys), so the next step follows from the
file alone: level 1 is due at once, each next level when the previous one's wait has
passed since it was paged without an acknowledgement. An acknowledged, mitigated or
resolved incident, and imported history, pages nobody.

Also the load report (``inc oncall report``): pages per person, in and out of working
and sleep hours in the person's own zone, and their times to acknowledge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from incli.domain.metrics import summarize
from incli.domain.model import Incident, TimelineEntry, is_imported
from incli.domain.oncall import OncallSettings, Person, in_windows, is_handle
from incli.domain.severity import Severity, unknown_key
from incli.domain.times import format_duration_spec, parse_duration, to_iso, zone_named
from incli.errors import ConfigError, InvalidInput

PAGED, ESCALATED = "paged", "escalated"
PAGE_BY = "incli"  # the timeline's "by" of what the escalation did
MAX_LEVELS = 10
MAX_REPEAT = 10
PAGING_STATUSES = ("open", "reopened")


@dataclass(frozen=True)
class Target:
    """Who a level pages: a schedule, a person or a team."""

    kind: str  # schedule, person or label
    name: str

    @property
    def text(self) -> str:
        return self.name if self.kind == "label" else f"{self.kind}:{self.name}"


def parse_target(value: Any, where: str) -> Target:
    """``schedule:primary``, ``person:carol`` (a bare handle is a person)."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(where, "must be schedule:NAME or person:HANDLE")
    text = value.strip()
    kind, _, name = text.partition(":")
    if not name and is_handle(text):
        return Target("person", text)
    if kind not in ("schedule", "person") or not is_handle(name.strip()):
        raise ConfigError(where, f"{text!r}: write schedule:NAME or person:HANDLE, e.g. schedule:primary")
    return Target(kind, name.strip())


def escalate_to_target(text: str) -> Target | None:
    """A severity's ``escalate_to``: a target, a handle (a person, declared or not), or a label."""
    text = text.strip()
    if not text:
        return None
    try:
        return parse_target(text, "escalate_to")
    except ConfigError:
        return Target("label", text)


@dataclass(frozen=True)
class Level:
    """One level of a policy: whom it notifies and how long it waits."""

    notify: tuple[Target, ...]
    wait: timedelta


@dataclass(frozen=True)
class Policy:
    """An escalation policy: its levels and how often it repeats."""

    name: str
    levels: tuple[Level, ...]
    repeat: int = 0


def parse_escalation(raw: Any) -> dict[str, Policy]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError("escalation", "must map policy names to {levels: [...], repeat: N}")
    policies: dict[str, Policy] = {}
    for name, item in raw.items():
        where = f"escalation.{name}"
        if not isinstance(item, dict):
            raise ConfigError(where, "must be a mapping such as {levels: [{notify: [schedule:primary], wait: 5m}]}")
        unknown_key(item, ("levels", "repeat"), where)
        levels_raw = item.get("levels")
        if not isinstance(levels_raw, list) or not levels_raw:
            raise ConfigError(f"{where}.levels", "must be a non-empty list of {notify: [...], wait: 5m}")
        if len(levels_raw) > MAX_LEVELS:
            raise ConfigError(f"{where}.levels", f"at most {MAX_LEVELS} levels")
        levels = []
        for index, level in enumerate(levels_raw):
            at = f"{where}.levels[{index}]"
            if not isinstance(level, dict):
                raise ConfigError(at, "must be a mapping such as {notify: [schedule:primary], wait: 5m}")
            unknown_key(level, ("notify", "wait"), at)
            notify = level.get("notify")
            if isinstance(notify, str):
                notify = [notify]
            if not isinstance(notify, list) or not notify:
                raise ConfigError(f"{at}.notify", "must list targets such as [schedule:primary, person:carol]")
            targets = tuple(parse_target(t, f"{at}.notify[{i}]") for i, t in enumerate(notify))
            wait_raw = level.get("wait", "5m")
            if isinstance(wait_raw, bool) or not isinstance(wait_raw, (str, int)):
                raise ConfigError(f"{at}.wait", "must be a duration such as 5m")
            try:
                wait = parse_duration(str(wait_raw))
            except InvalidInput as exc:
                raise ConfigError(f"{at}.wait", str(exc)) from None
            if wait <= timedelta(0):
                raise ConfigError(f"{at}.wait", "must be more than zero, such as 5m")
            levels.append(Level(targets, wait))
        repeat = item.get("repeat", 0)
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 0 <= repeat <= MAX_REPEAT:
            raise ConfigError(f"{where}.repeat", f"must be a whole number from 0 to {MAX_REPEAT}")
        policies[str(name)] = Policy(str(name), tuple(levels), repeat)
    return policies


def builtin_policy(severity: Severity, default_schedule: str | None) -> Policy:
    """The policy of a severity that names none: the seed's table as levels."""
    first = (Target("schedule", default_schedule),) if default_schedule else ()
    levels = [Level(first, severity.response_time)]
    second = escalate_to_target(severity.escalate_to)
    if second is not None:
        levels.append(Level((second,), severity.response_time))
    return Policy(f"built-in ({severity.id})", tuple(levels))


# -- the next step -----------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """The next escalation step of an incident and when it is due."""

    round: int  # 1, then 2.. for each repeat
    level: int  # 1-based
    due_at: datetime
    lapsed: timedelta | None  # the wait that passed without an acknowledgement (None for the first page)


def pages_anyone(incident: Incident) -> bool:
    """Still waiting for someone: not acknowledged, not mitigated or resolved, not imported history."""
    return incident.status in PAGING_STATUSES and incident.acknowledged_at is None and not is_imported(incident.extra)


def recorded(incident: Incident) -> list[tuple[int, int, datetime]]:
    """The steps taken, as (round, level, when), in order."""
    steps: dict[tuple[int, int], datetime] = {}
    for entry in incident.timeline:
        if entry.kind not in (PAGED, ESCALATED):
            continue
        level, rnd = entry.extra.get("level"), entry.extra.get("round", 1)
        if isinstance(level, int) and isinstance(rnd, int) and not isinstance(level, bool):
            key = (rnd, level)
            steps[key] = min(steps.get(key, entry.at), entry.at)
    return sorted(((r, lv, at) for (r, lv), at in steps.items()), key=lambda s: (s[0], s[1]))


def upcoming(incident: Incident, policy: Policy) -> Step | None:
    """The next step of the escalation, due or not; None when it is over or stopped."""
    if not pages_anyone(incident) or not policy.levels:
        return None
    taken = recorded(incident)
    if not taken:
        return Step(1, 1, incident.opened_at, None)
    rnd, level, at = taken[-1]
    if level > len(policy.levels):
        return None
    wait = policy.levels[level - 1].wait
    if level < len(policy.levels):
        return Step(rnd, level + 1, at + wait, wait)
    if rnd <= policy.repeat:
        return Step(rnd + 1, 1, at + wait, wait)
    return None


def due_step(incident: Incident, policy: Policy, now: datetime) -> Step | None:
    step = upcoming(incident, policy)
    return step if step is not None and step.due_at <= now else None


@dataclass(frozen=True)
class Page:
    """One target of a step, resolved: a person (handle), nobody, or a label."""

    target: Target
    who: str | None
    label: str | None = None

    def via(self) -> str:
        return f"schedule {self.target.name}" if self.target.kind == "schedule" else self.target.kind


Resolver = Callable[[Target], list[Page]]


def step_pages(step: Step, policy: Policy, resolve: Resolver) -> list[Page]:
    level = policy.levels[step.level - 1]
    pages: list[Page] = []
    for target in level.notify:
        pages.extend(resolve(target))
    return pages


def _where(step: Step, page: Page) -> str:
    parts = [f"level {step.level}"]
    if page.target.kind == "schedule":
        parts.append(page.via())
    if step.round > 1:
        parts.append(f"repeat {step.round - 1}")
    return ", ".join(parts)


def page_text(step: Step, page: Page) -> str:
    if page.label is not None:
        return f"Escalation due: {page.label} ({_where(step, page)})"
    if page.who is None:
        return f"Paged nobody: no one is on call on {page.via()} ({_where(step, page)})"
    return f"Paged {page.who} ({_where(step, page)})"


def step_entries(step: Step, pages: Sequence[Page], at: datetime, level_count: int) -> list[TimelineEntry]:
    """The timeline entries that record a step: ``escalated`` (from level 2 or a repeat on)
    and one ``paged`` per target."""
    marks = {"level": step.level, "round": step.round}
    entries = []
    if step.lapsed is not None:
        names = [p.who or p.label or "nobody" for p in pages] or ["nobody"]
        again = f" (repeat {step.round - 1})" if step.round > 1 else ""
        text = (
            f"Escalated to level {step.level}{again}: {', '.join(names)}, "
            f"not acknowledged within {format_duration_spec(step.lapsed)}"
        )
        entries.append(TimelineEntry(at=at, kind=ESCALATED, by=PAGE_BY, text=text, extra=dict(marks)))
    if not pages:
        entries.append(
            TimelineEntry(
                at=at,
                kind=PAGED,
                by=PAGE_BY,
                text=f"Paged nobody: level {step.level} of {level_count} has no one to page",
                extra={**marks, "target": None, "paged": None},
            )
        )
    for page in pages:
        extra: dict[str, Any] = {**marks, "target": page.target.text, "paged": page.who}
        if page.label is not None:
            extra["label"] = page.label
        entries.append(TimelineEntry(at=at, kind=PAGED, by=PAGE_BY, text=page_text(step, page), extra=extra))
    return entries


def page_payload(entry: TimelineEntry, person: Person | None) -> dict[str, Any]:
    """What a ``page`` hook is told about whom it pages: the handle, level, target and contact fields."""
    handle = entry.extra.get("paged")
    return {
        "handle": handle,
        "level": entry.extra.get("level"),
        "round": entry.extra.get("round", 1),
        "target": entry.extra.get("target"),
        "label": entry.extra.get("label"),
        "text": entry.text,
        "at": to_iso(entry.at),
        "contact": person.contact() if person is not None else ({"name": handle} if handle else {}),
    }


# -- the load on people ------------------------------------------------------------


@dataclass
class PersonLoad:
    """One person's pages in the load report."""

    handle: str
    name: str | None
    pages: int = 0
    acknowledged: int = 0
    outside_working_hours: int = 0
    sleep_hours: int = 0
    ack_seconds: list[float] | None = None

    def to_json(self) -> dict[str, Any]:
        stats = summarize(self.ack_seconds or [])
        return {
            "person": self.handle,
            "name": self.name,
            "pages": self.pages,
            "acknowledged": self.acknowledged,
            "outside_working_hours": self.outside_working_hours,
            "sleep_hours": self.sleep_hours,
            "time_to_ack_median_seconds": stats["median_seconds"],
            "time_to_ack_p90_seconds": stats["p90_seconds"],
        }


def _person_zone(person: Person | None, fallback: tzinfo | None) -> tzinfo | None:
    if person is not None and person.tz:
        return zone_named(person.tz)
    return fallback


def _acker(incident: Incident, people: Mapping[str, Person]) -> str | None:
    """The handle of whoever acknowledged: the ack's ``by`` as a handle or a declared name."""
    entry = next((e for e in incident.timeline if e.kind == "acknowledged"), None)
    if entry is None or not entry.by:
        return None
    by = entry.by.strip()
    if by in people or is_handle(by):
        return by
    for handle, person in people.items():
        if person.name and person.name.casefold() == by.casefold():
            return handle
    return None


def load_report(
    incidents: Iterable[Incident],
    people: Mapping[str, Person],
    settings: OncallSettings,
    since: datetime | None,
    zone: tzinfo | None,
) -> list[PersonLoad]:
    """Per person: pages received since ``since``, how many fell outside working hours and
    in sleep hours (in the person's own zone, else ``zone``), acknowledgements, and the
    time from their first page on an incident to their acknowledgement."""
    loads: dict[str, PersonLoad] = {}

    def load(handle: str) -> PersonLoad:
        if handle not in loads:
            person = people.get(handle)
            loads[handle] = PersonLoad(handle, person.name if person else None, ack_seconds=[])
        return loads[handle]

    for incident in incidents:
        first_page: dict[str, datetime] = {}
        for entry in incident.timeline:
            # Only a page entry says who was paged (no other kind carries the key).
            handle = entry.extra.get("paged") if entry.kind == PAGED else None  # pragma: no mutate
            if not isinstance(handle, str):
                continue
            first_page.setdefault(handle, entry.at)
            if since is not None and entry.at < since:
                continue
            item = load(handle)
            item.pages += 1
            local = entry.at.astimezone(_person_zone(people.get(handle), zone))
            if not in_windows(settings.working_hours, local):
                item.outside_working_hours += 1
            if in_windows(settings.sleep_hours, local):
                item.sleep_hours += 1
        acker = _acker(incident, people)
        acked = incident.acknowledged_at
        if acker is None or acked is None or (since is not None and acked < since):
            continue
        item = load(acker)
        item.acknowledged += 1
        if acker in first_page and acked >= first_page[acker]:
            assert item.ack_seconds is not None
            item.ack_seconds.append((acked - first_page[acker]).total_seconds())
    return sorted(loads.values(), key=lambda p: (-p.pages, p.handle))
