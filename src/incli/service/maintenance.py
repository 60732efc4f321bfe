"""``inc maintenance``: scheduled maintenance windows for the status page."""

from __future__ import annotations

from typing import Any

from incli.domain import statuspage as sp
from incli.domain.maintenance import Maintenance
from incli.domain.model import service_key
from incli.domain.times import parse_span_end, parse_time
from incli.errors import Conflict, InvalidInput
from incli.storage import maintenance as files


def add(service: Any, service_name: str, starts: str, ends: str, text: str) -> Maintenance:
    """Schedule a window (its times may be in the future: it is announced in advance)."""
    name = (service_name or "").strip()
    if not name:
        raise InvalidInput("--service is empty; name the service under maintenance")
    body = text.strip()
    if not body:
        raise InvalidInput("the maintenance text is empty; say what customers will notice")
    sp.too_long(body, "maintenance text")
    now = service.now()
    starts_at = parse_time(starts, now)
    ends_at = parse_span_end(ends, starts_at, now)
    if ends_at <= starts_at:
        raise Conflict(f"--to {ends_at.isoformat()} is not after --from {starts_at.isoformat()}")
    known = service.config.statuspage.components
    if known is not None and not any(c.covers(name) for c in known):
        listed = ", ".join(s for c in known for s in c.services)
        raise InvalidInput(f"no status page component covers the service {name!r}; known: {listed}")
    window = Maintenance(id="", service=name, starts_at=starts_at, ends_at=ends_at, text=body, created_at=now)
    with service.store.locked():
        path = files.create(service.repo, window)
    service.emit("maintenance", None, [path])
    return window


def listing(service: Any, *, include_past: bool = False, service_name: str | None = None) -> list[Maintenance]:
    now = service.now()
    wanted = service_key(service_name)
    found = [
        w
        for w in files.load_all(service.repo, service.store.warnings)
        if (include_past or w.ends_at > now) and (wanted is None or service_key(w.service) == wanted)
    ]
    return sorted(found, key=lambda w: (w.starts_at, w.id))
