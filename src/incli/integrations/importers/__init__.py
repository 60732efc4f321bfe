"""Importers: another tool's export -> records incli can import.

An importer is a module with ``NAME``, ``objects(data) -> list`` (the items of a saved
export: its text, or for a folder importer (``FOLDER = True``) a list of
``(relative path, front matter, body)``; InvalidInput when it is not one), ``record(item,
config) -> dict`` (one item as incli's import keys; InvalidInput says why it cannot be),
``FIELDS`` (each field of the other tool's item that is read, and where it goes) and
``fields(item) -> list[str]`` (the item's own fields), from which ``inc import`` says what
it mapped and what it dropped. Registered in ``service/transfer.IMPORTERS``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from incli.domain.times import from_epoch, parse_iso, to_iso
from incli.errors import InvalidInput


def moment(value: Any, unit: str | None = None) -> datetime | None:
    """An ISO 8601 time with an offset, or (given ``unit``) a number of that unit since 1970;
    None for a missing value, a naive time or one that is not a time."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if unit is None:
            return None
        try:
            return from_epoch(value, unit)
        except InvalidInput:
            return None
    if isinstance(value, str):
        parsed = parse_iso(value.strip())
        return parsed if parsed is not None and parsed.tzinfo else None
    return None


def iso(value: datetime | None) -> str | None:
    return to_iso(value) if value is not None else None


def text(value: Any) -> str | None:
    """A display name of a value: the text itself, else an object's summary/name/username."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, dict):
        for key in ("summary", "name", "displayName", "username", "email"):
            found = value.get(key)
            if isinstance(found, str) and found.strip():
                return found.strip()
    return None


def entry(at: datetime, kind: str, words: str, by: Any = None) -> dict[str, Any]:
    return {"at": to_iso(at), "kind": kind, "by": text(by), "text": words}


def timeline(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries in time order (stable: the order they came in at the same time)."""
    return sorted(entries, key=lambda e: parse_iso(e["at"]) or datetime.min)
