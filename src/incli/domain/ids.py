"""Incident ids that never collide across clones, and finding one from part of it.

An id is ``INC-YYYYMMDD-xxxxx``: the local date it was opened and five random
characters from an alphabet without look-alikes (no 0/o, 1/l/i). Nothing is
counted from local state, so two people opening incidents offline on two
branches get two ids (adr-tools issue #102 is the counter-example).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from incli.errors import Conflict, NotFound

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
RANDOM_LENGTH = 5


def random_part(length: int = RANDOM_LENGTH) -> str:
    import secrets  # here, not at the top: most commands never make an id, and it costs a TLS library

    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_id(opened_at: datetime, prefix: str = "INC") -> str:
    return f"{prefix}-{opened_at:%Y%m%d}-{random_part()}"


def short(ident: str) -> str:
    """The random part of an id (``txm67`` of ``INC-20250115-txm67``, ``7kq2x`` of ``ACT-7kq2x``):
    what a narrow table shows. ``match`` finds the id from it, as from any part."""
    return ident.rpartition("-")[2] or ident


def match(query: str, ids: Iterable[str]) -> list[str]:
    """Ids that the query names: an exact id, else every id containing it."""
    wanted = query.strip().lower()
    pool = list(ids)
    exact = [i for i in pool if i.lower() == wanted]
    if exact:
        return exact
    return sorted(i for i in pool if wanted and wanted in i.lower())


def resolve(query: str, ids: Iterable[str], aliases: Callable[[], Iterable[tuple[str, str]]] | None = None) -> str:
    """The one id ``query`` names. When no id matches, ``aliases`` (called only then, as it
    may have to read every incident) pairs other names of an incident, such as the id it
    had in the tool it was imported from, with its id; only an exact alias counts."""
    found = match(query, ids)
    if not found and aliases is not None:
        wanted = query.strip().lower()
        found = sorted({ident for alias, ident in aliases() if wanted and alias.strip().lower() == wanted})
    if not found:
        raise NotFound(f"no incident matches {query!r}; see inc list")
    if len(found) > 1:
        shown = ", ".join(found[:10]) + (f" and {len(found) - 10} more" if len(found) > 10 else "")
        raise Conflict(f"{query!r} is ambiguous: it matches {shown}")
    return found[0]
