"""``inc search``, ``inc related`` and ``inc link``: has this happened before?"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from incli.domain import search as ds
from incli.domain.model import Incident, TimelineEntry, service_key
from incli.errors import Conflict, InvalidInput, StorageError
from incli.storage.search import SearchIndex
from incli.storage.store import BrokenFile

MAX_LIMIT = 1000
WINDOW_DAYS = 90


@contextlib.contextmanager
def _index(svc: Any, quick: bool = False) -> Iterator[tuple[SearchIndex, sqlite3.Connection]]:
    """The search index, brought up to date with the files (``quick``: see SearchIndex.refresh)."""
    store = svc.store
    index = SearchIndex(svc.repo.ensure_state_dir(), store.folder)

    def read_one(path: Path) -> Incident | None:
        try:
            incident: Incident = store.read(path)
            return incident
        except (BrokenFile, StorageError, OSError):
            return None

    try:
        with index.connect() as db:
            index.refresh(db, read_one, store.each, quick=quick)
            yield index, db
    except sqlite3.Error as exc:
        raise StorageError(f"the search index in {index.path} cannot be used: {exc}") from None


def search(svc: Any, query: str, limit: int = 20) -> list[dict[str, Any]]:
    """The incidents matching every word of ``query`` (the whole phrase first), best first."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"--limit {limit}: give 1 to {MAX_LIMIT}")
    if len(query) > ds.MAX_QUERY:
        raise InvalidInput(f"the query is {len(query)} characters; keep it under {ds.MAX_QUERY}")
    if not ds.words(query):
        raise InvalidInput("give words to search for, e.g. inc search 'connection pool'")
    phrase, every = ds.fts_queries(query)
    found: dict[str, tuple[float, dict[str, str]]] = {}
    with _index(svc) as (index, db):
        for fts in (phrase, every):
            for ident, score, fields in index.search(db, fts, limit):
                if ident not in found:
                    found[ident] = (score, fields)
            if len(found) >= limit:
                break
    ranked = list(found.items())[:limit]
    results = []
    for ident, (score, fields) in ranked:
        field, line = ds.best_line(fields, query)
        results.append(
            {"id": ident, "title": fields["title"], "score": round(-score, 3), "match": {"field": field, "text": line}}
        )
    return results


def related(svc: Any, incident: Incident, limit: int = 10, *, quick: bool = False) -> list[dict[str, Any]]:
    """Past incidents (impact started before this one's), and any linked one, ranked by shared
    alert names, alert fingerprints, service and text, each with its reasons.

    Only the incidents that could rank are read from the search index: the linked ones, the
    text matches, those sharing an alert name or fingerprint, and the latest of the same service
    (the rest of the service score exactly what they share, the service, and rank by start), so
    the time does not grow with the number of incidents. ``quick`` (inc show): see
    SearchIndex.refresh."""
    linked = {link["id"]: link["as"] for link in ds.links(incident)}
    with _index(svc, quick=quick) as (index, db):
        text = index.similar_query(db, f"{incident.title}\n{incident.summary or ''}")
        similar = index.search(db, text, 50) if text else []
        this = index.candidate(db, incident.id) or ds.Candidate(
            incident.id,
            incident.title,
            service_key(incident.service),
            incident.started_at.timestamp(),
            tuple(ds.alert_names(incident)),
            tuple(ds.fingerprints(incident)),
        )
        named = [*linked, *(ident for ident, _score, _f in similar)]
        everyone = index.sharing(db, this, named, limit + len(named) + 1)
        since = this.started - WINDOW_DAYS * 86400
        alert_counts = index.alert_counts(db, tuple(dict.fromkeys(this.alerts)), since, this.started)
    best = min((score for ident, score, _f in similar if ident != incident.id), default=0.0)
    text_scores = {ident: (score / best if best else 0.0) for ident, score, _f in similar if ident != incident.id}
    results: list[tuple[float, float, str, dict[str, Any]]] = []
    for other in everyone:
        if other.id == incident.id or (other.started > this.started and other.id not in linked):
            continue
        score, reasons = ds.related_score(
            this,
            other,
            text_score=text_scores.get(other.id, 0.0),
            alert_counts=alert_counts,
            linked=linked.get(other.id),
            window_days=WINDOW_DAYS,
        )
        if reasons:
            row = {"id": other.id, "title": other.title, "score": score, "reasons": reasons}
            results.append((-score, -other.started, other.id, row))
    results.sort(key=lambda r: r[:3])
    return [r[3] for r in results[:limit]]


def link(svc: Any, query: str, other_query: str, kind: str, by: str | None = None) -> tuple[Incident, Incident]:
    """Link two incidents (kept on both, with a timeline note on each): ``duplicate`` (this one
    duplicates OTHER, the original; left out of metrics), ``caused-by`` or ``related``."""
    kind = kind.strip().lower()
    if kind not in ds.LINK_KINDS:
        raise InvalidInput(f"--as {kind!r}: one of {', '.join(ds.LINK_KINDS)}")
    first, second = svc.resolve_id(query), svc.resolve_id(other_query)
    if first == second:
        raise InvalidInput(f"cannot link {first} to itself")
    actor = svc.actor(by)
    now = svc.now()
    with svc.store.locked():
        one, two = svc.store.load(first), svc.store.load(second)
        if kind == "duplicate":
            if ds.duplicate_of(two) == one.id:
                raise Conflict(f"{two.id} is already a duplicate of {one.id}; a duplicate cannot be the original")
            earlier = ds.duplicate_of(one)
            if earlier not in (None, two.id):
                raise Conflict(f"{one.id} is already a duplicate of {earlier}")
        added = ds.add_link(one, two.id, kind)
        ds.add_link(two, one.id, ds.LINK_KINDS[kind])
        if not added:
            raise Conflict(f"{one.id} is already linked to {two.id} as {kind}")
        words = {"duplicate": "a duplicate of", "caused-by": "caused by", "related": "related to"}[kind]
        back = {"duplicate": "duplicated by", "caused-by": "the cause of", "related": "related to"}[kind]
        one.add_entry(TimelineEntry(at=now, kind="note", by=actor, text=f"Linked as {words} {two.id}"))
        two.add_entry(TimelineEntry(at=now, kind="note", by=actor, text=f"Linked as {back} {one.id}"))
        paths = [svc.store.save(one), svc.store.save(two)]
    svc.emit("note", one, paths)
    return one, two
