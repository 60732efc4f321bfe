"""Paging and escalation: who is paged for an incident, recorded once, then hooks.

``escalate`` takes every step that is due (``domain.escalation.due_step``): under the
repository lock it reads each active incident, appends the step's timeline entries
(``paged``, ``escalated``) and saves the file; only after the lock is released do the
hooks fire (``page`` per target, with the person's contact fields; ``escalated`` per
next level). A step is in the file before any hook hears of it, so a crash or a second
run never pages twice (one clone per team runs the clock: ``inc remind`` from cron, or
``inc ingest serve``). ``Paging`` is the Service listener that pages level 1 as soon as
an incident is opened (``inc open``, alert ingest, rules), as of its declaration
(``inc open --at T`` records the page at T, as it records the opening).

Paging is in use once the repository has a schedule (``oncall/*.yaml``) or an
``escalation:`` policy; before that nothing is paged and no timeline changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from incli.domain import escalation as esc
from incli.domain.model import Incident, TimelineEntry
from incli.domain.oncall import Schedule, on_call_at
from incli.service.hooks import Hooks
from incli.service.incidents import Service
from incli.storage.schedules import Schedules

PAGE_EVENT, ESCALATED_EVENT = "page", "escalated"
RECORDED_EVENT = "paged"  # what listeners (auto-commit) are told after a step was saved


@dataclass
class Sent:
    """One page or escalation that was recorded, and what its hooks did."""

    incident: Incident
    entry: TimelineEntry
    event: str
    outcome: str = ""
    payload: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "incident": self.incident.id,
            "level": self.entry.extra.get("level"),
            "round": self.entry.extra.get("round", 1),
            "paged": self.entry.extra.get("paged"),
            "text": self.entry.text,
            "outcome": self.outcome,
        }


def in_use(svc: Service) -> bool:
    return svc.paging_in_use()


def default_schedule(svc: Service, names: Iterable[str]) -> str | None:
    """``oncall.default_schedule``, else the only schedule, else None."""
    if svc.config.oncall.default_schedule:
        return svc.config.oncall.default_schedule
    found = list(names)
    return found[0] if len(found) == 1 else None


def load_schedules(svc: Service, warn: Callable[[str], None] | None = None) -> dict[str, Schedule]:
    problems: list[str] = []
    found = {s.name: s for s in Schedules(svc.repo).load_all(problems)}
    for problem in problems:
        if warn is not None:
            warn(f"skipped schedule {problem} (see inc validate)")
    return found


def resolver(schedules: dict[str, Schedule], now: Any) -> esc.Resolver:
    def resolve(target: esc.Target) -> list[esc.Page]:
        if target.kind == "schedule":
            schedule = schedules.get(target.name)
            who = on_call_at(schedule, now).on_call if schedule is not None else None
            return [esc.Page(target, who)]
        if target.kind == "person":
            return [esc.Page(target, target.name)]
        return [esc.Page(target, None, label=target.name)]

    return resolve


def policy(svc: Service, incident: Incident, default: str | None) -> esc.Policy | None:
    return svc.config.policy_for(incident.severity, default)


def escalate(
    svc: Service,
    hooks: Hooks,
    only: Iterable[str] | None = None,
    warn: Callable[[str], None] | None = None,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
) -> list[Sent]:
    """Take every due step (of the incidents ``only`` names, else of every active one),
    record it, then fire its hooks. Returns what was sent (with ``dry_run``: what would be,
    nothing written or fired)."""
    if not in_use(svc):
        return []
    now = now or svc.now()
    schedules = load_schedules(svc, warn)
    default = default_schedule(svc, schedules)
    resolve = resolver(schedules, now)
    taken: list[tuple[Incident, list[TimelineEntry], Path]] = []
    sent_dry: list[Sent] = []
    with svc.store.locked():
        ids = list(only) if only is not None else [f.id for f in svc.store.active_facts()]
        for incident_id in ids:
            incident = svc.store.load(incident_id)
            chosen = policy(svc, incident, default)
            if chosen is None:
                continue
            step = esc.due_step(incident, chosen, now)
            if step is None:
                continue
            pages = esc.step_pages(step, chosen, resolve)
            entries = esc.step_entries(step, pages, now, len(chosen.levels))
            if dry_run:
                sent_dry.extend(Sent(incident, e, _event(e), outcome=f"would fire {_event(e)}") for e in entries)
                continue
            for entry in entries:
                incident.add_entry(entry)
            taken.append((incident, entries, svc.store.save(incident)))
    if dry_run:
        return sent_dry
    sent: list[Sent] = []
    for incident, entries, path in taken:
        for entry in entries:
            sent.append(_fire(svc, hooks, incident, entry))
        svc.emit(RECORDED_EVENT, incident, [path])
    return sent


def _event(entry: TimelineEntry) -> str:
    return ESCALATED_EVENT if entry.kind == esc.ESCALATED else PAGE_EVENT


def _fire(svc: Service, hooks: Hooks, incident: Incident, entry: TimelineEntry) -> Sent:
    if entry.kind == esc.ESCALATED:
        extra = {"escalation": {"level": entry.extra.get("level"), "round": entry.extra.get("round", 1)}}
        env = {"INC_LEVEL": str(entry.extra.get("level")), "INC_TEXT": entry.text}
        item = Sent(incident, entry, ESCALATED_EVENT, payload=extra)
        outcomes = hooks.fire(ESCALATED_EVENT, incident, extra={**extra, "text": entry.text}, env=env)
    else:
        handle = entry.extra.get("paged")
        person = svc.config.people.get(handle) if isinstance(handle, str) else None
        page = esc.page_payload(entry, person)
        item = Sent(incident, entry, PAGE_EVENT, payload=page)
        outcomes = hooks.fire(
            PAGE_EVENT,
            incident,
            extra={"page": page},
            env=page_env(page),
            stdin={"event": PAGE_EVENT, "incident": incident.to_json(), "page": page},
        )
    configured = len(hooks.for_event(item.event))
    ok = sum(1 for o in outcomes if o.ok)
    if not configured:
        item.outcome = f"recorded; no {item.event} hooks configured"
    elif ok == len(outcomes) and outcomes:
        item.outcome = f"fired {item.event} ({ok} hook{'s' if ok != 1 else ''})"
    else:
        item.outcome = f"{len(outcomes) - ok} of {configured} {item.event} hooks failed (recorded; not retried)"
    return item


def page_env(page: dict[str, Any]) -> dict[str, str]:
    """INC_PAGE_HANDLE, INC_PAGE_LEVEL, INC_PAGE_TARGET, INC_PAGE_LABEL and one
    INC_PAGE_<FIELD> per contact field (NAME, EMAIL, PHONE, SLACK, TZ, ...)."""
    env = {
        "INC_PAGE_HANDLE": str(page.get("handle") or ""),
        "INC_PAGE_LEVEL": str(page.get("level") or ""),
        "INC_PAGE_TARGET": str(page.get("target") or ""),
        "INC_PAGE_LABEL": str(page.get("label") or ""),
        "INC_PAGE_TEXT": str(page.get("text") or ""),
    }
    for key, value in (page.get("contact") or {}).items():
        env[f"INC_PAGE_{key.upper()}"] = str(value)
    return env


class Paging:
    """A Service listener: an incident just opened pages its level 1 at once."""

    def __init__(self, svc: Service, warn: Callable[[str], None]) -> None:
        self.svc = svc
        self.warn = warn

    def __call__(self, event: str, incident: Incident | None, paths: list[Path]) -> None:
        if event != "opened" or incident is None:
            return
        try:
            # Paged as of the declaration (inc open --at T pages as of T, as its timeline says).
            hooks = Hooks(self.svc.config, self.svc.repo.root, self.warn)
            escalate(self.svc, hooks, [incident.id], self.warn, now=incident.opened_at)
        except Exception as exc:  # noqa: BLE001 - the incident is saved; paging is retried by inc remind
            self.warn(f"{incident.id} is saved, but paging failed: {exc}; inc remind will page it")


def status_of(svc: Service, incident: Incident, schedules: dict[str, Schedule], default: str | None) -> dict[str, Any]:
    """For inc status: the level reached and the next page (who, when), or None each."""
    chosen = policy(svc, incident, default)
    taken = esc.recorded(incident)
    reached = {"level": taken[-1][1], "round": taken[-1][0]} if taken else None
    upcoming = esc.upcoming(incident, chosen) if chosen is not None else None
    following = None
    if upcoming is not None and chosen is not None:
        pages = esc.step_pages(upcoming, chosen, resolver(schedules, upcoming.due_at))
        following = {
            "level": upcoming.level,
            "round": upcoming.round,
            "at": upcoming.due_at.isoformat(),
            "who": [p.who or p.label for p in pages if p.who or p.label],
        }
    return {"reached": reached, "next": following}


def run_clock(
    make_service: Callable[[], Service],
    every: float,
    stopping: threading.Event,
    log: Callable[[str], None],
    warn: Callable[[str], None],
) -> None:
    """The escalation clock of ``inc ingest serve``: every ``every`` seconds until ``stopping``
    is set, page what is due (a failure only warns; the next tick tries again)."""
    while not stopping.wait(every):
        try:
            svc = make_service()
            for item in escalate(svc, Hooks(svc.config, svc.repo.root, warn), warn=warn):
                log(f"inc: {item.event}: {item.incident.id} {item.entry.text} -> {item.outcome}")
        except Exception as exc:  # noqa: BLE001 - a bad tick must not stop the server
            warn(f"escalation clock: {exc}")
