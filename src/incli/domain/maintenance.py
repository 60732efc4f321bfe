"""Scheduled maintenance windows: one YAML file each in ``maintenance/`` (like an incident
file: an id that never collides, ISO times with offsets), merged by the same git merge
driver (``kind: maintenance`` tells it which merge to use).

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from incli.domain.statuspage import Window
from incli.domain.times import parse_stored, to_iso

KIND = "maintenance"
PREFIX = "MNT"
SCHEMA = 1
ORDER = ("schema", "id", "kind", "service", "starts_at", "ends_at", "text", "created_at", "updated_at", "cancelled_at")
TIMES = ("starts_at", "ends_at", "created_at", "updated_at", "cancelled_at")
REQUIRED = ("id", "service", "starts_at", "ends_at", "text", "created_at")


@dataclass
class Maintenance:
    """A scheduled maintenance window (maintenance/*.yaml)."""

    id: str
    service: str
    starts_at: datetime
    ends_at: datetime
    text: str
    created_at: datetime
    updated_at: datetime | None = None
    cancelled_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "id": self.id,
            "kind": KIND,
            "service": self.service,
            "starts_at": to_iso(self.starts_at),
            "ends_at": to_iso(self.ends_at),
            "text": self.text,
            "created_at": to_iso(self.created_at),
            "updated_at": to_iso(self.updated_at) if self.updated_at else None,
            "cancelled_at": to_iso(self.cancelled_at) if self.cancelled_at else None,
        }

    def window(self) -> Window:
        return Window(self.id, self.service, self.starts_at, self.ends_at, self.text, self.created_at)


class MaintenanceFormatError(ValueError):
    pass


def is_maintenance(data: Any) -> bool:
    return isinstance(data, dict) and data.get("kind") == KIND


def maintenance_from_dict(data: Any) -> Maintenance:
    if not isinstance(data, dict):
        raise MaintenanceFormatError("expected a mapping of maintenance fields")
    problems: list[str] = []
    for key in REQUIRED:
        if data.get(key) is None:
            problems.append(f"{key}: missing")
    for key in ("id", "service", "text"):
        if data.get(key) is not None and (not isinstance(data[key], str) or not data[key].strip()):
            problems.append(f"{key}: expected text")
    times: dict[str, datetime | None] = {}
    for key in TIMES:
        value = data.get(key)
        try:
            times[key] = parse_stored(value) if value is not None else None
        except ValueError as exc:
            problems.append(f"{key}: {exc}")
            times[key] = None  # pragma: no mutate - a problem was recorded: the times are never used
    unknown = [k for k in data if k not in ORDER]
    if unknown:
        problems.append(f"{unknown[0]}: unknown key")
    starts, ends = times.get("starts_at"), times.get("ends_at")
    if starts and ends and ends <= starts:
        problems.append("ends_at: is not after starts_at")
    if problems:
        raise MaintenanceFormatError("; ".join(problems))
    created = times["created_at"]
    assert starts and ends and created  # pragma: no mutate - an assertion: no problems means all three were read
    return Maintenance(
        id=str(data["id"]),
        service=str(data["service"]).strip(),
        starts_at=starts,
        ends_at=ends,
        text=str(data["text"]).strip(),
        created_at=created,
        updated_at=times["updated_at"],
        cancelled_at=times["cancelled_at"],
    )


def merge(base: dict[str, Any] | None, ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """Three-way merge of a maintenance window: a field changed on one side is taken; changed
    differently on both, the side updated later wins (a tie keeps ours). A cancellation on
    either side stays (the earlier one)."""
    if ours.get("id") != theirs.get("id"):
        raise MaintenanceFormatError("the two sides are different maintenance windows")
    b = base or {}

    def stamp(side: dict[str, Any]) -> datetime:
        value = side.get("updated_at") or side.get("created_at")
        try:
            return parse_stored(value)
        except ValueError:  # unreadable: the oldest (a result keeping it is refused below)
            return datetime.min.replace(tzinfo=UTC)

    theirs_later = stamp(theirs) > stamp(ours)
    merged: dict[str, Any] = {}
    for key in [*ORDER, *sorted(k for k in {*ours, *theirs} if k not in ORDER)]:
        o, t, was = ours.get(key), theirs.get(key), b.get(key)
        if o == t or t == was:
            value = o
        elif o == was:
            value = t
        elif key == "cancelled_at":
            value = o if o is not None and (t is None or _instant(key, o) <= _instant(key, t)) else t
        else:
            value = t if theirs_later else o
        if key in ours or key in theirs:
            merged[key] = value
    maintenance_from_dict(merged)  # refuse a result that is not a window
    return merged


def _instant(key: str, value: Any) -> datetime:
    try:
        return parse_stored(value)
    except ValueError as exc:
        raise MaintenanceFormatError(f"{key}: {exc}") from None
