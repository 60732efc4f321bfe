"""Incident ids that never collide across clones, and finding one from part of it.

An id is ``INC-YYYYMMDD-xxxxx``: the local date it was opened and five random
characters from an alphabet without look-alikes (no 0/o, 1/l/i). Nothing is
counted from local state, so two people opening incidents offline on two
branches get two ids (adr-tools issue #102 is the counter-example).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from incli.errors import Conflict, NotFound

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RANDOM_LENGTH = 5


def random_part(length: int = RANDOM_LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_id(opened_at: datetime, prefix: str = "INC") -> str:
    return f"{prefix}-{opened_at:%Y%m%d}-{random_part()}"


def match(query: str, ids: Iterable[str]) -> list[str]:
    """Ids that the query names: an exact id, else every id containing it."""
    wanted = query.strip().lower()
    pool = list(ids)
    exact = [i for i in pool if i.lower() == wanted]
    if exact:
        return exact
    return sorted(i for i in pool if wanted and wanted in i.lower())


def resolve(query: str, ids: Iterable[str]) -> str:
    found = match(query, ids)
    if not found:
        raise NotFound(f"no incident matches {query!r}; see inc list")
    if len(found) > 1:
        shown = ", ".join(found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
        raise Conflict(f"{query!r} is ambiguous: it matches {shown}")
    return found[0]
