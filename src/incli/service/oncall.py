"""``inc oncall``: schedules, who is on call, overrides, calendars, the load report, handoffs.

Schedule files are ``oncall/<name>.yaml`` (storage/schedules.py), changed under the
repository lock; the resolution of shifts is domain/oncall.py and paging is
service/paging.py. Every write tells the Service listeners (``schedule_changed``), so
``git: {commit: true}`` commits it like any other change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from incli import __version__
from incli.domain import escalation as esc
from incli.domain import ical
from incli.domain import postmortem as pm
from incli.domain.oncall import (
    Layer,
    OnCall,
    Override,
    Schedule,
    Shift,
    check_handle,
    check_schedule_name,
    handoffs,
    make_layer,
    on_call_at,
    overlapping_overrides,
    resolve,
)
from incli.domain.times import parse_span_end, parse_time, to_iso
from incli.errors import ConfigError, Conflict, InvalidInput, NotFound
from incli.service.incidents import Service
from incli.service.paging import default_schedule, load_schedules
from incli.storage.repo import Repository
from incli.storage.schedules import Schedules

CHANGED_EVENT = "schedule_changed"
DEFAULT_SHIFTS_AHEAD = timedelta(weeks=4)
DEFAULT_EXPORT_AHEAD = timedelta(weeks=12)
MAX_RANGE = timedelta(days=800)
MAX_REASON = 500


def store(svc: Service) -> Schedules:
    return Schedules(svc.repo)


def _time(svc: Service, text: str | None, default: datetime, what: str, after: datetime | None = None) -> datetime:
    if text is None:
        return default
    try:
        return parse_time(text, svc.now()) if after is None else parse_span_end(text, after, svc.now())
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc}") from None


def _changed(svc: Service, path: Path) -> None:
    svc.emit(CHANGED_EVENT, None, [path])


# -- writing ---------------------------------------------------------------------


def new(
    svc: Service,
    name: str,
    *,
    rotation: str,
    every: str,
    handoff: str,
    tz: str,
    start: str,
    layer: str | None = None,
    only: list[str] | None = None,
) -> tuple[Schedule, Path, bool]:
    """Write a schedule with one layer, or add a layer to one. Returns (schedule, path, created)."""
    name = check_schedule_name(name)
    handles = [h.strip() for h in rotation.split(",") if h.strip()]
    if not handles:
        raise InvalidInput("--rotation is empty; give handles such as alice,bob,carol")
    schedules = store(svc)
    with svc.store.locked():
        exists = name in schedules.names()
        current = schedules.load(name) if exists else None
        taken = {lay.name for lay in current.layers} if current else set()
        layer_name = (layer or "").strip() or f"layer-{len(taken) + 1}"
        if layer_name in taken:
            raise Conflict(f"schedule {name} already has a layer {layer_name!r}; give another --layer NAME")
        try:
            built = make_layer(layer_name, handles, every, handoff, start, tz, only or None, where="--")
        except ConfigError as exc:
            raise InvalidInput(_flag_message(exc)) from None
        schedule = replace(current, layers=(*current.layers, built)) if current else Schedule(name, (built,), ())
        path = schedules.save(schedule)
    _changed(svc, path)
    return schedule, path, not exists


_FLAGS = {"rotation": "--rotation", "length": "--every", "handoff": "--handoff", "start": "--start", "tz": "--tz"}


def _flag_message(exc: ConfigError) -> str:
    key = exc.key.removeprefix("--.")
    base = key.split("[")[0].split(".")[0]
    flag = _FLAGS.get(base, "--only" if base == "restrictions" else f"--{base}")
    return f"{flag}: {exc.reason}"


def add_override(
    svc: Service,
    name: str,
    *,
    who: str,
    start: str,
    end: str,
    reason: str | None = None,
    by: str | None = None,
) -> tuple[Override, Path, list[int]]:
    """Append an override; returns it, the file, and the positions of overrides it overlaps."""
    handle = check_handle(who)
    now = svc.now()
    begin = _time(svc, start, now, "--from")
    finish = _time(svc, end, now, "--to", after=begin)
    if finish <= begin:
        raise InvalidInput(f"--to {to_iso(finish)} is not after --from {to_iso(begin)}")
    if finish - begin > MAX_RANGE:
        raise InvalidInput("an override is at most 800 days long")
    text = (reason or "").strip() or None
    if text and len(text) > MAX_REASON:
        raise InvalidInput(f"--reason is over {MAX_REASON} characters")
    if text and "\n" in text:
        raise InvalidInput("--reason is one line")
    schedules = store(svc)
    actor = svc.actor(by)
    with svc.store.locked():
        schedule = schedules.load(name)
        item = Override(begin, finish, handle, actor, text, now)
        schedule = replace(schedule, overrides=(*schedule.overrides, item))
        path = schedules.save(schedule)
    position = len(schedule.overrides) - 1
    overlaps = [i for i, j in overlapping_overrides(schedule) if j == position]
    _changed(svc, path)
    return item, path, overlaps


# -- reading ---------------------------------------------------------------------


def schedules_named(svc: Service, name: str | None, warn: Any = None) -> list[Schedule]:
    if name is not None:
        return [store(svc).load(check_schedule_name(name))]
    found = list(load_schedules(svc, warn).values())
    if not found and not store(svc).names():
        raise NotFound("no schedules yet; make one with inc oncall new NAME --rotation alice,bob ...")
    return found


def who_is_on_call(svc: Service, name: str | None, at: str | None, warn: Any = None) -> list[OnCall]:
    moment = _time(svc, at, svc.now(), "--at")
    return [on_call_at(s, moment) for s in schedules_named(svc, name, warn)]


def shifts(
    svc: Service, name: str, start: str | None, end: str | None, who: str | None
) -> tuple[Schedule, list[Shift]]:
    schedule = store(svc).load(check_schedule_name(name))
    now = svc.now()
    begin = _time(svc, start, now, "--from")
    finish = _time(svc, end, begin + DEFAULT_SHIFTS_AHEAD, "--to", after=begin)
    if finish <= begin:
        raise InvalidInput(f"--to {to_iso(finish)} is not after --from {to_iso(begin)}")
    if finish - begin > MAX_RANGE:
        raise InvalidInput("give at most 800 days between --from and --to")
    found = [s for s in resolve(schedule, begin, finish) if s.who is not None]
    if who is not None:
        found = [s for s in found if s.who == check_handle(who)]
    return schedule, found


# -- calendars -------------------------------------------------------------------


def shift_uid(schedule: str, shift: Shift) -> str:
    """Stable across exports: the schedule, the person and the start of the shift."""
    key = f"{schedule}\0{shift.who}\0{ical.utc(shift.start)}"
    return f"{hashlib.sha256(key.encode()).hexdigest()[:24]}@incli.oncall.{schedule}"


def export_calendar(svc: Service, name: str, who: str | None, start: str | None, end: str | None) -> tuple[str, int]:
    """The shifts as an RFC 5545 calendar (METHOD:PUBLISH), and how many events."""
    now = svc.now()
    schedule = store(svc).load(check_schedule_name(name))
    begin = _time(svc, start, now - timedelta(weeks=1), "--from")
    _sched, found = shifts(
        svc, name, to_iso(begin), to_iso(_time(svc, end, begin + DEFAULT_EXPORT_AHEAD, "--to", after=begin)), who
    )
    events = []
    for shift in found:
        where = "override" if shift.override else f"layer {shift.layer}"
        detail = f"{shift.who} is on call on {schedule.name} ({where})"
        if shift.override and shift.override.reason:
            detail += f": {shift.override.reason}"
        person = svc.config.people.get(shift.who or "")
        email = person.fields.get("email") if person else None
        events.append(
            ical.Event(
                uid=shift_uid(schedule.name, shift),
                start=shift.start,
                end=shift.end,
                summary=f"On call: {shift.who} ({schedule.name})",
                description=detail,
                attendee=email or None,
            )
        )
    return ical.calendar(events, name=f"On call: {schedule.name}", stamp=now, version=__version__), len(events)


def import_calendar(
    svc: Service, name: str, text: str, *, layer: str | None = None, tz: str | None = None, by: str | None = None
) -> tuple[Schedule, Path, int]:
    """Shifts from an iCalendar file into overrides (default) or, with ``layer``, a new
    layer whose rotation and length the events show."""
    name = check_schedule_name(name)
    zone_name = tz or svc.config.timezone or "UTC"
    events = ical.parse_events(text, zone_name)
    if not events:
        raise InvalidInput("the calendar has no events (VEVENT) to import")
    people = svc.config.people
    by_email = {p.fields.get("email", "").casefold(): h for h, p in people.items() if p.fields.get("email")}
    by_name = {(p.name or "").casefold(): h for h, p in people.items() if p.name}

    def handle_of(event: ical.ParsedEvent) -> str:
        for email in event.attendees:
            if email.casefold() in by_email:
                return by_email[email.casefold()]
        summary = event.summary.strip()
        for candidate in (summary, summary.removeprefix("On call:").split("(")[0].strip()):
            if candidate in people:
                return candidate
            if candidate.casefold() in by_email:
                return by_email[candidate.casefold()]
            if candidate.casefold() in by_name:
                return by_name[candidate.casefold()]
        first = summary.removeprefix("On call:").split("(")[0].strip()
        try:
            return check_handle(first, "SUMMARY")
        except InvalidInput:
            raise InvalidInput(
                f"the event at {to_iso(event.start)} ({summary!r}) names no person: give their handle, "
                "their e-mail as an ATTENDEE, or declare them under people: in incli.yaml"
            ) from None

    owned = [(event, handle_of(event)) for event in sorted(events, key=lambda e: e.start)]
    now = svc.now()
    actor = svc.actor(by)
    schedules = store(svc)
    with svc.store.locked():
        exists = name in schedules.names()
        current = schedules.load(name) if exists else None
        if layer is not None:
            built = _layer_from_events(layer.strip() or "imported", owned, zone_name)
            if current and built.name in {lay.name for lay in current.layers}:
                raise Conflict(f"schedule {name} already has a layer {built.name!r}; give another --layer NAME")
            schedule = replace(current, layers=(*current.layers, built)) if current else Schedule(name, (built,))
        else:
            if current is None:
                raise NotFound(f"no schedule {name!r} to add overrides to; make it with inc oncall new, or use --layer")
            added = tuple(Override(e.start, e.end, h, actor, "imported from iCalendar", now) for e, h in owned)
            schedule = replace(current, overrides=(*current.overrides, *added))
        path = schedules.save(schedule)
    _changed(svc, path)
    return schedule, path, len(owned)


def _layer_from_events(name: str, owned: list[tuple[ical.ParsedEvent, str]], zone_name: str) -> Layer:
    from incli.domain.times import zone_named

    zone = zone_named(zone_name)
    first = owned[0][0].start.astimezone(zone)
    lengths = set()
    for (a, _h), (b, _g) in zip(owned, owned[1:], strict=False):
        lengths.add(b.start.astimezone(zone).replace(tzinfo=None) - a.start.astimezone(zone).replace(tzinfo=None))
    if len(lengths) > 1 or (owned[1:] and lengths == {timedelta(0)}):
        raise InvalidInput(
            "these shifts are not a regular rotation (their lengths differ); import them as overrides "
            "(leave out --layer)"
        )
    length = lengths.pop() if lengths else owned[0][0].end - owned[0][0].start
    handles = [h for _e, h in owned]
    cycle = len(handles)
    for size in range(1, len(handles) + 1):
        if all(handles[i] == handles[i % size] for i in range(len(handles))):
            cycle = size
            break
    weekly = length % timedelta(weeks=1) == timedelta(0)
    clock = f"{first.hour:02d}:{first.minute:02d}"
    handoff = f"{('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')[first.weekday()]} {clock}" if weekly else clock
    hours = int(length.total_seconds() // 3600)
    try:
        return make_layer(
            name, handles[:cycle], f"{hours}h", handoff, first.date().isoformat(), zone_name, None, where="layer"
        )
    except ConfigError as exc:
        raise InvalidInput(f"cannot make a layer of these shifts: {exc}") from None


# -- validate ------------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleFinding:
    """A problem inc validate found in a schedule file."""

    path: Path
    line: int | None
    message: str


def check(repo: Repository) -> list[ScheduleFinding]:
    """What inc validate says about schedule files: unreadable ones, overlapping overrides,
    a default schedule that does not exist, policies naming missing schedules."""
    from incli.storage.schedules import BrokenSchedule

    findings: list[ScheduleFinding] = []
    schedules = Schedules(repo)
    names = schedules.names()
    for name in names:
        path = schedules.path_for(name)
        try:
            schedule = schedules.load(name)
        except BrokenSchedule as exc:
            findings.append(ScheduleFinding(exc.path, exc.line, exc.reason))
            continue
        except (InvalidInput, NotFound) as exc:
            findings.append(ScheduleFinding(path, None, str(exc)))
            continue
        for i, j in overlapping_overrides(schedule):
            a, b = schedule.overrides[i], schedule.overrides[j]
            findings.append(
                ScheduleFinding(
                    path,
                    None,
                    f"overrides[{i}] ({a.who}, {to_iso(a.start)} to {to_iso(a.end)}) overlaps overrides[{j}] "
                    f"({b.who}, {to_iso(b.start)} to {to_iso(b.end)}); the later one wins: remove one",
                )
            )
    config_path = repo.config_path
    default = repo.config.oncall.default_schedule
    if default and names and default not in names:
        findings.append(ScheduleFinding(config_path, None, f"oncall.default_schedule: no schedule {default!r}"))
    builtin = [s.id for s in repo.config.severities if not s.escalation]
    if not default and len(names) > 1 and builtin:
        findings.append(
            ScheduleFinding(
                config_path,
                None,
                f"oncall.default_schedule is not set and there are {len(names)} schedules: the built-in escalation "
                f"of {', '.join(builtin)} pages nobody at level 1; set it to one of {', '.join(names)}",
            )
        )
    for policy in repo.config.escalation.values():
        for index, level in enumerate(policy.levels):
            for target in level.notify:
                if target.kind == "schedule" and target.name not in names:
                    findings.append(
                        ScheduleFinding(
                            config_path,
                            None,
                            f"escalation.{policy.name}.levels[{index}]: no schedule {target.name!r} in oncall/",
                        )
                    )
    return findings


# -- the load report ---------------------------------------------------------------


def report(svc: Service, since: str | None) -> list[esc.PersonLoad]:
    moment = _time(svc, since, svc.now(), "--since") if since else None
    return esc.load_report(svc.all(), svc.config.people, svc.config.oncall, moment, svc.config.zone)


# -- the handoff -------------------------------------------------------------------


@dataclass
class Handoff:
    """A shift handoff: who hands over to whom, and the notes."""

    schedule: str
    at: datetime  # the handoff
    outgoing: str | None
    incoming: str | None
    shift_start: datetime
    markdown: str


QUIET_BEFORE_SHIFT = timedelta(hours=12)


def last_handoff(schedule: Schedule, moment: datetime) -> tuple[datetime, str | None, str | None, datetime] | None:
    """The latest change of person at or before ``moment`` (when, outgoing, incoming), and when
    the outgoing person's shift began: the last time they came on after 12 hours off, so a
    restricted layer or an override in between does not cut their shift short."""
    window = timedelta(days=8)
    while window <= timedelta(days=400):
        found = handoffs(schedule, moment - window, moment)
        if found:
            at, outgoing, incoming = found[-1]
            for when, _before, person in reversed(found[:-1]):
                if person != outgoing:
                    continue
                quiet = resolve(schedule, when - QUIET_BEFORE_SHIFT, when)
                if all(piece.who != outgoing for piece in quiet):
                    return at, outgoing, incoming, when
            if window * 2 > timedelta(days=400):
                return at, outgoing, incoming, moment - window
        window *= 2
    return None


def handoff(svc: Service, name: str | None, at: str | None) -> Handoff:
    moment = _time(svc, at, svc.now(), "--at")
    if name is None:
        names = store(svc).names()
        name = default_schedule(svc, names)
        if name is None:
            raise InvalidInput(
                "give the schedule: " + (", ".join(names) if names else "there are none yet (inc oncall new)")
            )
    schedule = store(svc).load(check_schedule_name(name))
    found = last_handoff(schedule, moment)
    if found is None:
        raise NotFound(f"no handoff on {schedule.name} before {to_iso(moment)}")
    handed, outgoing, incoming, begin = found
    return Handoff(
        schedule.name,
        handed,
        outgoing,
        incoming,
        begin,
        handoff_markdown(svc, schedule, handed, outgoing, incoming, begin),
    )


def _when(svc: Service, moment: datetime) -> str:
    zone = svc.config.zone
    local = moment.astimezone(zone) if zone is not None else moment.astimezone()
    return local.strftime("%Y-%m-%d %H:%M %Z").strip()


def handoff_markdown(
    svc: Service,
    schedule: Schedule,
    handed: datetime,
    outgoing: str | None,
    incoming: str | None,
    begin: datetime,
) -> str:
    incidents = svc.all()
    opened = [i for i in incidents if begin <= i.opened_at < handed]
    resolved = [i for i in incidents if i.resolved_at is not None and begin <= i.resolved_at < handed]
    active = [i for i in incidents if i.active]
    lines = [
        f"# Handoff: {schedule.name}",
        "",
        f"{incoming or 'nobody'} takes over from {outgoing or 'nobody'} at {_when(svc, handed)}.",
        f"The shift that ended ran from {_when(svc, begin)} to {_when(svc, handed)}.",
        "",
    ]

    def section(title: str, items: list[Any], line: Any) -> None:
        lines.append(f"## {title} ({len(items)})")
        lines.append("")
        lines.extend(line(item) for item in items) if items else lines.append("None.")
        lines.append("")

    def incident_line(i: Any) -> str:
        return f"- {i.id} [{i.severity}] {i.status}: {i.title}"

    section("Opened during the shift", opened, incident_line)
    section("Still active", active, incident_line)
    section("Resolved during the shift", resolved, incident_line)
    today = svc.config.today(handed)
    actions = []
    if outgoing:
        for incident in incidents:
            for action in pm.actions_of(incident):
                if str(action.get("owner") or "") == outgoing and action.get("status") == "open":
                    due = pm.action_due(action)
                    late = " (overdue)" if pm.action_overdue(action, today) else ""
                    actions.append(
                        f"- {incident.id} {action.get('id')}: {action.get('title') or ''}"
                        + (f", due {due.isoformat()}{late}" if due else "")
                    )
    lines.append(f"## Open action items of {outgoing or 'nobody'} ({len(actions)})")
    lines.append("")
    lines.extend(actions or ["None."])
    lines.append("")
    lines.append("## Next shifts")
    lines.append("")
    upcoming = [s for s in resolve(schedule, handed, handed + timedelta(days=60)) if s.who is not None][:5]
    for shift in upcoming:
        lines.append(f"- {_when(svc, shift.start)} to {_when(svc, shift.end)}: {shift.who}")
    if not upcoming:
        lines.append("None.")
    return "\n".join(lines).rstrip() + "\n"


def fire_handoffs(svc: Service, hooks: Any, now: datetime) -> list[Handoff]:
    """``handoff`` hooks for each schedule's latest handoff within the last day not yet
    announced (remembered in .incli/handoffs.json); nothing without handoff hooks."""
    from incli.storage import statefile

    if not hooks.for_event("handoff"):
        return []
    done: list[Handoff] = []
    schedules = load_schedules(svc)
    with statefile.held(svc.repo, "handoffs") as path:
        sent = statefile.load(path)
        for schedule in schedules.values():
            found = last_handoff(schedule, now)
            if found is None or found[0] < now - timedelta(days=1):
                continue
            handed, outgoing, incoming, begin = found
            key = f"{schedule.name}/{handed.astimezone(UTC).isoformat()}"
            if key in sent:
                continue
            text = handoff_markdown(svc, schedule, handed, outgoing, incoming, begin)
            item = Handoff(schedule.name, handed, outgoing, incoming, begin, text)
            extra = {
                "handoff": {
                    "schedule": schedule.name,
                    "at": to_iso(handed),
                    "outgoing": outgoing,
                    "incoming": incoming,
                    "markdown": text,
                }
            }
            hooks.fire(
                "handoff",
                None,
                extra=extra,
                env={"INC_SCHEDULE": schedule.name, "INC_OUTGOING": outgoing or "", "INC_INCOMING": incoming or ""},
                stdin={"event": "handoff", **extra},
            )
            sent[key] = {"sent_at": to_iso(now)}
            done.append(item)
        statefile.save(path, sent)
    return done
