"""The derived full-text index of the incidents: SQLite FTS5 in ``.incli/index-search.sqlite``.

Like the index of storage/index.py it is a cache of the files, never committed: on every use
the incident folder is scanned, and every file whose stat key (mtime_ns, ctime_ns, size, inode)
differs from the one recorded is indexed again, deleted files are dropped. A file changed less
than two seconds ago is indexed but recorded as unsettled, so it is read again next time (a
coarse clock could give its next change the same timestamps). A missing, corrupt or older
index (``PRAGMA user_version``) is rebuilt from the files.

When the digest of the whole scan (every name and stat key) is the one recorded at the last
refresh, and every file had settled then, nothing is compared file by file.

Tables: ``files`` (name, stat key, id), ``state`` (that digest), ``meta`` (what related incidents compare: service,
impact start, alert names and fingerprints) and ``docs`` (FTS5 over title, summary, timeline
and postmortem, Porter-stemmed; ranked with bm25).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from incli.domain import search as ds
from incli.domain.model import Incident, service_key
from incli.storage.index import SETTLE_SECONDS, StatKey, changed_at, scan

FORMAT = 3
NAME = "index-search.sqlite"
BULK = 64  # more changed files than this: read them all through the derived index
WEIGHTS = (8.0, 4.0, 1.0, 2.0)  # title, summary, timeline, postmortem (bm25 column weights)

SCHEMA = """
CREATE TABLE files (name TEXT PRIMARY KEY, stat TEXT NOT NULL, id TEXT);
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT);  -- folder: the digest of the whole scan
CREATE TABLE meta (n INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, title TEXT, service TEXT,
                   started REAL, alerts TEXT, fingerprints TEXT);
CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, summary, timeline, postmortem,
                                     tokenize = 'porter unicode61 remove_diacritics 2');
-- docs.rowid is meta.n: a row is found and removed by its rowid, never by scanning docs
"""


def _stat_text(key: StatKey, settled: bool) -> str:
    return f"{key[0]},{key[1]},{key[2]},{key[3]}" if settled else "unsettled"


class SearchIndex:
    def __init__(self, state_dir: Path, folder: Path) -> None:
        self.path = state_dir / NAME
        self.folder = folder

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        db = self._open()
        try:
            yield db
        finally:
            db.close()

    def _open(self) -> sqlite3.Connection:
        for attempt in (0, 1):
            try:
                db = sqlite3.connect(self.path, timeout=10)
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version != FORMAT:
                    db.close()
                    raise sqlite3.DatabaseError("older format")
                db.execute("SELECT count(*) FROM files").fetchone()
                return db
            except sqlite3.DatabaseError:
                if attempt:
                    raise
                self._create()
        raise AssertionError("unreachable")

    def _create(self) -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(f"{self.path}{suffix}")
        temp = self.path.with_name(f".{NAME}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        db = sqlite3.connect(temp)
        try:
            db.executescript(SCHEMA)
            db.execute(f"PRAGMA user_version = {FORMAT}")
            db.commit()
        finally:
            db.close()
        os.replace(temp, self.path)

    def refresh(
        self,
        db: sqlite3.Connection,
        read_one: Callable[[Path], Incident | None],
        read_all: Callable[[], list[Incident]],
    ) -> None:
        """Bring the index up to date with the incident folder."""
        keys = scan(self.folder) if self.folder.is_dir() else {}
        settled_before = (time.time() - SETTLE_SECONDS) * 1e9
        # The whole folder at once: unchanged since the last refresh (every file settled then), done.
        digest = hashlib.blake2b(repr(sorted(keys.items())).encode(), digest_size=16).hexdigest()
        row = db.execute("SELECT value FROM state WHERE key = 'folder'").fetchone()
        if row is not None and row[0] == digest:
            return
        recorded = dict(db.execute("SELECT name, stat FROM files").fetchall())
        stale = [n for n, k in keys.items() if recorded.get(n) != _stat_text(k, True)]
        gone = [n for n in recorded if n not in keys]
        settled = all(changed_at(k) < settled_before for k in keys.values())
        incidents: dict[str, Incident | None] = {}
        if len(stale) > BULK:
            by_name = {f"{i.id}.yaml": i for i in read_all()}
            incidents = {name: by_name.get(name) for name in stale}
        for name in stale:
            if incidents.get(name) is None:
                incidents[name] = read_one(self.folder / name)
        empty = not recorded
        with db:
            for name in gone:
                self._forget(db, name)
            for name in stale:
                if not empty:
                    self._forget(db, name)
                incident = incidents.get(name)
                db.execute(
                    "INSERT INTO files (name, stat, id) VALUES (?, ?, ?)",
                    (
                        name,
                        _stat_text(keys[name], changed_at(keys[name]) < settled_before),
                        incident.id if incident else None,
                    ),
                )
                if incident is not None:
                    self._add(db, incident)
            db.execute("INSERT OR REPLACE INTO state (key, value) VALUES ('folder', ?)", (digest if settled else "",))

    @staticmethod
    def _drop_id(db: sqlite3.Connection, ident: str) -> None:
        row = db.execute("SELECT n FROM meta WHERE id = ?", (ident,)).fetchone()
        if row:
            db.execute("DELETE FROM docs WHERE rowid = ?", (row[0],))
            db.execute("DELETE FROM meta WHERE n = ?", (row[0],))

    @classmethod
    def _forget(cls, db: sqlite3.Connection, name: str) -> None:
        row = db.execute("SELECT id FROM files WHERE name = ?", (name,)).fetchone()
        if row and row[0]:
            cls._drop_id(db, row[0])
        db.execute("DELETE FROM files WHERE name = ?", (name,))

    @classmethod
    def _add(cls, db: sqlite3.Connection, incident: Incident) -> None:
        doc = ds.document(incident)
        cls._drop_id(db, incident.id)  # the same id in two files: one row
        cursor = db.execute(
            "INSERT INTO meta (id, title, service, started, alerts, fingerprints) VALUES (?, ?, ?, ?, ?, ?)",
            (
                incident.id,
                incident.title,
                service_key(incident.service),
                incident.started_at.timestamp(),
                "\n".join(ds.alert_names(incident)),
                "\n".join(ds.fingerprints(incident)),
            ),
        )
        db.execute(
            "INSERT INTO docs (rowid, id, title, summary, timeline, postmortem) VALUES (?, ?, ?, ?, ?, ?)",
            (cursor.lastrowid, incident.id, *(doc[f] for f in ds.FIELDS)),
        )

    @staticmethod
    def search(db: sqlite3.Connection, fts_query: str, limit: int) -> list[tuple[str, float, dict[str, str]]]:
        """(id, bm25 score: lower is better, the fields) of the best matches."""
        rows = db.execute(
            "SELECT id, bm25(docs, 0.0, ?, ?, ?, ?) AS score, title, summary, timeline, postmortem "
            "FROM docs WHERE docs MATCH ? ORDER BY score LIMIT ?",
            (*WEIGHTS, fts_query, limit),
        ).fetchall()
        return [(row[0], float(row[1]), dict(zip(ds.FIELDS, row[2:], strict=True))) for row in rows]

    @staticmethod
    def candidates(db: sqlite3.Connection) -> list[ds.Candidate]:
        return [
            ds.Candidate(
                id=row[0],
                title=row[1] or "",
                service=row[2],
                started=float(row[3] or 0),
                alerts=tuple(a for a in (row[4] or "").split("\n") if a),
                fingerprints=tuple(f for f in (row[5] or "").split("\n") if f),
            )
            for row in db.execute("SELECT id, title, service, started, alerts, fingerprints FROM meta")
        ]
