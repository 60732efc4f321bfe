"""Small readers every alert source shares: text with a bound, objects, a stable key.

Each refuses what it cannot read with InvalidInput naming the field, in one line.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from incli.errors import InvalidInput

MAX_TEXT = 10_000  # one field's text (a description, a reason); longer is cut, marked with …
MAX_KEY = 512  # a dedupe key, an alias, an alarm name


def obj(value: Any, what: str, expected: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object ({expected})")
    return value


def _text(value: Any, what: str, required: bool) -> str | None:
    """Text (numbers are written as text) without its outer blanks; None when absent or blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{what} is missing or blank")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        kind = "an object" if isinstance(value, dict) else "a list" if isinstance(value, list) else type(value).__name__
        raise InvalidInput(f"{what} must be text, not {kind}")
    return str(value).strip()


def text(value: Any, what: str, limit: int = MAX_TEXT, required: bool = False) -> str | None:
    """Text (numbers are written as text), cut at ``limit``; None when absent or blank."""
    result = _text(value, what, required)
    return result if result is None or len(result) <= limit else result[: limit - 1].rstrip() + "…"


def key(value: Any, what: str, limit: int = MAX_KEY, required: bool = False) -> str | None:
    """An identifier: text up to ``limit`` characters, refused (never cut) above it: two keys
    that differ past the limit must never become one."""
    found = _text(value, what, required)
    if found is not None and len(found) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters")
    return found


def text_map(value: Any, what: str) -> dict[str, str]:
    """An object of names to text (nested values written as compact JSON)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be an object of names to values")
    found: dict[str, str] = {}
    for name, item in value.items():
        if item is None:
            continue
        if isinstance(item, (dict, list)):
            shown = json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        elif isinstance(item, bool):
            shown = "true" if item else "false"
        else:
            shown = str(item)
        found[str(name)[:200]] = shown if len(shown) <= MAX_TEXT else shown[: MAX_TEXT - 1] + "…"
    return found


def digest(*parts: Any) -> str:
    """A stable key for what has no id of its own: the same content, the same key."""
    canonical = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def links(value: Any, what: str, limit: int = 20) -> list[dict[str, str]]:
    """PagerDuty-style ``links``/``images``: a list of objects with href (or src) and text."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInput(f"{what} must be a list of {{href, text}} objects")
    found: list[dict[str, str]] = []
    for index, item in enumerate(value[:limit]):
        where = f"{what}[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput(f"{where} must be an object with href")
        entry = {k: t for k in ("href", "src", "text", "alt") if (t := text(item.get(k), f"{where}.{k}", 2000))}
        if entry:
            found.append(entry)
    return found
