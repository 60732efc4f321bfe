"""The deploy gate: may a service be deployed now? Pure: the active incidents, the catalog's
dependencies and the declared freezes in, a decision out.

Blocking: an active incident (drills and imported history without a resolution aside) of the
threshold severity or worse, on the service, on anything it depends on (through the catalog),
or naming no service at all (it may be anywhere); and a freeze still in force on the service or
on every service. Without a service, every such incident and every freeze blocks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from incli.domain.catalog import Catalog
from incli.domain.model import Incident, is_imported, service_key
from incli.domain.times import parse_stored, to_iso

MAX_REASON = 500
MAX_FREEZES = 10_000


class FreezeFormatError(ValueError):
    def __init__(self, index: int, message: str) -> None:
        super().__init__(f"freezes[{index}]: {message}")


@dataclass(frozen=True)
class Freeze:
    """A deploy freeze (inc freeze)."""

    service: str | None  # None: every service
    until: datetime
    reason: str
    by: str | None
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "until": to_iso(self.until),
            "reason": self.reason,
            "by": self.by,
            "at": to_iso(self.at),
        }

    def applies(self, service: str | None, now: datetime) -> bool:
        if self.until <= now:
            return False
        return self.service is None or service is None or service_key(self.service) == service_key(service)


def freezes_from_data(data: Any) -> list[Freeze]:
    """``freezes.yaml`` as read; FreezeFormatError names the first bad entry."""
    if data is None:
        return []
    items = data.get("freezes") if isinstance(data, dict) else None
    if items is None:
        return []
    if not isinstance(items, list):
        raise FreezeFormatError(0, "freezes must be a list")
    found = []
    for index, item in enumerate(items[:MAX_FREEZES]):
        if not isinstance(item, dict):
            raise FreezeFormatError(index, "must be a mapping of service, until, reason")
        try:
            until, at = parse_stored(item.get("until")), parse_stored(item.get("at") or item.get("until"))
        except Exception as exc:  # noqa: BLE001 - any unreadable time is this entry's problem
            raise FreezeFormatError(index, f"unreadable time: {exc}") from None
        service = item.get("service")
        found.append(
            Freeze(
                service=str(service).strip() or None if service is not None else None,
                until=until,
                reason=str(item.get("reason") or ""),
                by=str(item["by"]) if item.get("by") is not None else None,
                at=at,
            )
        )
    return found


@dataclass(frozen=True)
class Decision:
    """The gate's answer: may this deploy go, and what blocks it."""

    ok: bool
    blocking: list[Incident]
    freeze: Freeze | None
    watched: list[str]  # the service and what it depends on

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "blocking": [{"id": i.id, "severity": i.severity, "service": i.service} for i in self.blocking],
            "freeze": self.freeze.to_dict() if self.freeze else None,
        }


def decide(
    incidents: Iterable[Incident],
    *,
    service: str | None,
    catalog: Catalog,
    freezes: Iterable[Freeze],
    worst_rank: int,
    rank: Any,
    now: datetime,
) -> Decision:
    """``worst_rank``: the rank (0 most severe) of the threshold; an incident ranked at or
    above it blocks. ``rank`` maps a severity id to its rank."""
    # Without a service nothing is watched (and a missing service has no dependencies).
    watched = [service, *catalog.dependencies(service)] if service else []  # pragma: no mutate
    keys = {service_key(name) for name in watched}
    blocking = []
    for incident in incidents:
        if not incident.active or incident.drill or (is_imported(incident.extra) and incident.resolved_at is None):
            continue
        if rank(incident.severity) > worst_rank:
            continue
        if service is None or service_key(incident.service) is None or service_key(incident.service) in keys:
            blocking.append(incident)
    blocking.sort(key=lambda i: (rank(i.severity), i.opened_at))
    in_force = [f for f in freezes if f.applies(service, now)]
    freeze = max(in_force, key=lambda f: f.until) if in_force else None
    return Decision(
        ok=not blocking and freeze is None, blocking=blocking, freeze=freeze, watched=[w for w in watched if w]
    )
