"""``inc gate`` and ``inc freeze``: may a service be deployed now, and declaring that it may not."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from incli.domain.gate import MAX_REASON, Decision, Freeze, decide
from incli.domain.model import service_key
from incli.domain.times import parse_future
from incli.errors import InvalidInput
from incli.service.catalog import catalog_of
from incli.storage.freezes import read_freezes, write_freezes

DEFAULT_SEVERITY = "SEV2"


def gate(svc: Any, service: str | None, severity: str | None) -> Decision:
    config = svc.config
    level = config.severity(severity or DEFAULT_SEVERITY)
    name = (service or "").strip() or None
    return decide(
        svc.active(),
        service=name,
        catalog=catalog_of(svc),
        freezes=read_freezes(svc.repo),
        worst_rank=config.rank(level.id),
        rank=config.rank,
        now=svc.now(),
    )


def freeze(svc: Any, service: str | None, until: str, reason: str, by: str | None) -> Freeze:
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("--reason is empty; say why deploys are frozen")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"--reason is {len(reason)} characters; keep it under {MAX_REASON}")
    now = svc.now()
    declared = Freeze(
        service=(service or "").strip() or None,
        until=parse_future(until, now),
        reason=reason,
        by=svc.actor(by),
        at=now,
    )
    with svc.store.locked():
        path = write_freezes(svc.repo, [*read_freezes(svc.repo), declared])
    svc.emit("freeze", None, [path])
    return declared


def lift(svc: Any, service: str | None) -> list[Freeze]:
    """End every freeze in force on ``service`` (None: the freezes of every service) now."""
    now = svc.now()
    name = (service or "").strip() or None
    with svc.store.locked():
        current = read_freezes(svc.repo)
        ended = [f for f in current if f.until > now and service_key(f.service) == service_key(name)]
        if not ended:
            raise InvalidInput(f"no freeze is in force on {name or 'every service'}")
        kept = [replace(f, until=now) if f in ended else f for f in current]
        path = write_freezes(svc.repo, kept)
    svc.emit("freeze", None, [path])
    return ended
