"""The derived full-text index of the incidents: SQLite FTS5 in ``.incli/index-search.sqlite``.

Like the index of storage/index.py it is a cache of the files, never committed: on every use
the incident folder is scanned, and every file whose stat key (mtime_ns, ctime_ns, size, inode)
differs from the one recorded is indexed again, deleted files are dropped. A file changed less
than two seconds ago is indexed but recorded as unsettled, so it is read again next time (a
coarse clock could give its next change the same timestamps). A missing, corrupt or older
index (``PRAGMA user_version``) is rebuilt from the files.

When the digest of the whole scan (every name and stat key) is the one recorded at the last
refresh, and every file had settled then, nothing is compared file by file. ``inc show`` goes
further (``quick``): while the incident folder's own stat key is the one recorded then, it does
not scan at all (no file was added, removed or replaced; an edit in place shows in its related
incidents after the next full refresh, by inc search, inc related or any change to the folder).

Tables: ``files`` (name, stat key, id), ``state`` (that digest, the folder's stat key), ``meta``
(what related incidents compare: service, impact start, alert names and fingerprints), ``alert``
and ``fingerprint`` (each incident's alert names and fingerprints, indexed, so the incidents that
share one are found without reading the others) and ``docs`` (FTS5 over title, summary, timeline
and postmortem, Porter-stemmed; ranked with bm25).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from incli.domain import search as ds
from incli.domain.model import Incident, service_key
from incli.storage.index import SETTLE_SECONDS, StatKey, changed_at, scan

# SQL statements are in triple quotes: SQL ignores case, so the mutants that only change a
# statement's case would be equivalent, and the mutation run (tools/mutation.py) leaves
# triple-quoted text alone. A statement with a quoted value in it keeps ordinary quotes.
FORMAT = 4
NAME = "index-search.sqlite"
UNSET = ""  # recorded for what is not settled yet: any text no stat key or digest is
BULK = 64  # more changed files than this: read them all through the derived index
WEIGHTS = (8.0, 4.0, 1.0, 2.0)  # title, summary, timeline, postmortem (bm25 column weights)

TOKENIZE = "porter unicode61 remove_diacritics 2"
# The most documents the words of a similar-text query (inc show, inc related) may match together.
SIMILAR_POSTINGS = 5000
SCHEMA = f"""
CREATE TABLE files (name TEXT PRIMARY KEY, stat TEXT NOT NULL, id TEXT);
CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT);  -- folder: the digest of the whole scan
CREATE TABLE meta (n INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, title TEXT, service TEXT,
                   started REAL, alerts TEXT, fingerprints TEXT);
CREATE INDEX meta_service ON meta (service, started);
CREATE TABLE alert (n INTEGER NOT NULL, name TEXT NOT NULL);
CREATE INDEX alert_name ON alert (name);
CREATE TABLE fingerprint (n INTEGER NOT NULL, fp TEXT NOT NULL);
CREATE INDEX fingerprint_fp ON fingerprint (fp);
CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, summary, timeline, postmortem,
                                     tokenize = '{TOKENIZE}');
-- docs.rowid is meta.n: a row is found and removed by its rowid, never by scanning docs
"""


def _stat_text(key: StatKey, settled: bool) -> str:
    return f"{key[0]},{key[1]},{key[2]},{key[3]}" if settled else UNSET


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
                version = db.execute("""PRAGMA user_version""").fetchone()[0]
                if version != FORMAT:
                    db.close()
                    raise sqlite3.DatabaseError("older format")
                db.execute("""SELECT count(*) FROM files""").fetchone()
                return db
            except sqlite3.DatabaseError:
                if attempt:
                    raise
                self._create()
        raise AssertionError("unreachable")  # pragma: no mutate

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

    def _folder_stat(self) -> str:
        try:
            st = os.stat(self.folder)
        except OSError:
            return ""
        return f"{st.st_mtime_ns},{st.st_ctime_ns},{st.st_ino}"

    def refresh(
        self,
        db: sqlite3.Connection,
        read_one: Callable[[Path], Incident | None],
        read_all: Callable[[], Iterable[Incident]],
        *,
        quick: bool = False,
    ) -> None:
        """Bring the index up to date with the incident folder (``quick``: trust it while the
        folder's own stat key is the one recorded at the last full refresh)."""
        folder = self._folder_stat()
        if quick and folder:
            row = db.execute("""SELECT value FROM state WHERE key = 'folder_stat'""").fetchone()
            if row is not None and row[0] == folder:
                return
        keys = scan(self.folder) if self.folder.is_dir() else {}
        settled_before = (time.time() - SETTLE_SECONDS) * 1e9
        # The whole folder at once: unchanged since the last refresh (every file settled then), done.
        digest = hashlib.blake2b(repr(sorted(keys.items())).encode(), digest_size=16).hexdigest()
        row = db.execute("""SELECT value FROM state WHERE key = 'folder'""").fetchone()
        if row is not None and row[0] == digest:
            return
        recorded = dict(db.execute("""SELECT name, stat FROM files""").fetchall())
        stale = [n for n, k in keys.items() if recorded.get(n) != _stat_text(k, True)]
        gone = [n for n in recorded if n not in keys]
        settled = all(changed_at(k) < settled_before for k in keys.values())
        empty = not recorded

        def record(name: str, incident: Incident | None) -> None:
            if not empty:
                self._forget(db, name)
            settled_file = changed_at(keys[name]) < settled_before
            row = (name, _stat_text(keys[name], settled_file), incident.id if incident else None)
            db.execute("""INSERT INTO files (name, stat, id) VALUES (?, ?, ?)""", row)
            if incident is not None:
                self._add(db, incident)

        with db:
            for name in gone:
                self._forget(db, name)
            wanted = set(stale)
            if len(stale) > BULK:  # one at a time through the derived index: never all of them at once
                for incident in read_all():
                    name = f"{incident.id}.yaml"
                    if name in wanted:
                        wanted.discard(name)
                        record(name, incident)
            for name in stale:
                if name in wanted:  # (a file whose id is not its name, or an unreadable one)
                    record(name, read_one(self.folder / name))
            db.execute(
                """INSERT OR REPLACE INTO state (key, value) VALUES ('folder', ?)""", (digest if settled else UNSET,)
            )
            # The folder as this refresh saw it, once it has settled (a coarse clock could hide a
            # change made within the same tick).
            st_settled = folder and settled and int(folder.split(",")[1]) < settled_before
            db.execute(
                """INSERT OR REPLACE INTO state (key, value) VALUES ('folder_stat', ?)""",
                (folder if st_settled else UNSET,),
            )

    @staticmethod
    def _drop_id(db: sqlite3.Connection, ident: str) -> None:
        row = db.execute("""SELECT n FROM meta WHERE id = ?""", (ident,)).fetchone()
        if row:
            db.execute("""DELETE FROM docs WHERE rowid = ?""", (row[0],))
            db.execute("""DELETE FROM meta WHERE n = ?""", (row[0],))
            db.execute("""DELETE FROM alert WHERE n = ?""", (row[0],))
            db.execute("""DELETE FROM fingerprint WHERE n = ?""", (row[0],))

    @classmethod
    def _forget(cls, db: sqlite3.Connection, name: str) -> None:
        row = db.execute("""SELECT id FROM files WHERE name = ?""", (name,)).fetchone()
        if row and row[0]:
            cls._drop_id(db, row[0])
        db.execute("""DELETE FROM files WHERE name = ?""", (name,))

    @classmethod
    def _add(cls, db: sqlite3.Connection, incident: Incident) -> None:
        doc = ds.document(incident)
        cls._drop_id(db, incident.id)  # the same id in two files: one row
        cursor = db.execute(
            """INSERT INTO meta (id, title, service, started, alerts, fingerprints) VALUES (?, ?, ?, ?, ?, ?)""",
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
            """INSERT INTO docs (rowid, id, title, summary, timeline, postmortem) VALUES (?, ?, ?, ?, ?, ?)""",
            (cursor.lastrowid, incident.id, *(doc[f] for f in ds.FIELDS)),
        )
        n = cursor.lastrowid
        db.executemany("""INSERT INTO alert (n, name) VALUES (?, ?)""", [(n, a) for a in set(ds.alert_names(incident))])
        db.executemany(
            """INSERT INTO fingerprint (n, fp) VALUES (?, ?)""", [(n, f) for f in set(ds.fingerprints(incident))]
        )

    @staticmethod
    def similar_query(db: sqlite3.Connection, text: str) -> str:
        """The FTS5 query for incidents whose text is like ``text``: any of its words
        (ds.similar_words), rarest first while the documents they match add up to at most
        SIMILAR_POSTINGS. A word more common than that tells little about any one incident
        (bm25 weighs it next to nothing; one in half of them, not at all), and scoring every
        incident it matches would make inc show grow with the number of incidents."""
        found = ds.similar_words(text)
        if not found:
            return ""
        db.execute("""CREATE VIRTUAL TABLE IF NOT EXISTS temp.docs_terms USING fts5vocab(main, docs, row)""")
        db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_words USING fts5(w, tokenize = '{TOKENIZE}')")
        db.execute(
            """CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_tokens USING fts5vocab(temp, query_words, instance)"""
        )
        db.execute("""DELETE FROM temp.query_words""")
        db.executemany("""INSERT INTO temp.query_words (rowid, w) VALUES (?, ?)""", enumerate(found))
        matched = dict.fromkeys(found, 0)  # a word's documents: the sum over its tokens (stemmed as stored)
        rows = db.execute(
            """SELECT q.doc, d.doc FROM temp.query_tokens q LEFT JOIN temp.docs_terms d ON d.term = q.term"""
        ).fetchall()
        for position, documents in rows:
            matched[found[position]] += documents or 0
        kept: set[str] = set()
        total = 0
        for word in sorted(found, key=lambda w: matched[w]):  # rarest first (stable: ties in text order)
            total += matched[word]
            if total > SIMILAR_POSTINGS:
                break
            kept.add(word)
        return ds.any_word_query([w for w in found if w in kept])

    @staticmethod
    def search(db: sqlite3.Connection, fts_query: str, limit: int) -> list[tuple[str, float, dict[str, str]]]:
        """(id, bm25 score: lower is better, the fields) of the best matches."""
        rows = db.execute(
            """SELECT id, bm25(docs, 0.0, ?, ?, ?, ?) AS score, title, summary, timeline, postmortem """
            """FROM docs WHERE docs MATCH ? ORDER BY score LIMIT ?""",
            (*WEIGHTS, fts_query, limit),
        ).fetchall()
        return [(row[0], float(row[1]), dict(zip(ds.FIELDS, row[2:], strict=True))) for row in rows]

    @staticmethod
    def _candidates(rows: list[tuple[object, ...]]) -> list[ds.Candidate]:
        return [
            ds.Candidate(
                id=str(row[0]),
                title=str(row[1] or ""),
                service=str(row[2]) if row[2] is not None else None,
                started=float(row[3] or 0),  # type: ignore[arg-type]
                alerts=tuple(a for a in str(row[4] or "").split("\n") if a),
                fingerprints=tuple(f for f in str(row[5] or "").split("\n") if f),
            )
            for row in rows
        ]

    COLUMNS = "meta.id, meta.title, meta.service, meta.started, meta.alerts, meta.fingerprints"

    def candidate(self, db: sqlite3.Connection, ident: str) -> ds.Candidate | None:
        rows = db.execute(f"SELECT {self.COLUMNS} FROM meta WHERE id = ?", (ident,)).fetchall()
        found = self._candidates(rows)
        return found[0] if found else None

    def sharing(self, db: sqlite3.Connection, this: ds.Candidate, ids: list[str], top: int) -> list[ds.Candidate]:
        """The incidents that could be among the ``top`` related to ``this`` (``top`` counts
        ``ids`` in): those named in ``ids`` (linked, or matched by text), the ``top`` that share
        the most alert names, fingerprints and service with it that started no later (then the
        latest), and the ``top`` latest of its service that started no later. Every other one
        scores exactly what it shares (no link, no text), so at least ``top`` rank above it:
        however many incidents share an alert, only ``top`` are read in full."""
        found: dict[str, ds.Candidate] = {}

        def add(sql: str, args: tuple[object, ...]) -> None:
            for candidate in self._candidates(db.execute(sql, args).fetchall()):
                found.setdefault(candidate.id, candidate)

        for ident in ids:
            add(f"SELECT {self.COLUMNS} FROM meta WHERE id = ?", (ident,))
        # What each incident sharing an alert name or a fingerprint shares in all (ds.related_score's
        # weights), the best ``top`` of them, counted by SQLite rather than read one by one.
        wanted = [("alert", name, ds.ALERT_WEIGHT * times) for name, times in Counter(this.alerts).items()]
        wanted += [("fingerprint", fp, 0) for fp in set(this.fingerprints)]
        if wanted:
            values = ", ".join("(?, ?, ?)" for _ in wanted)
            rows = db.execute(
                f"WITH wanted(kind, value, weight) AS (VALUES {values}), hits(n, weight, fp) AS ("
                """SELECT alert.n, wanted.weight, 0 FROM wanted JOIN alert """
                """ON wanted.kind = 'alert' AND alert.name = wanted.value """
                """UNION ALL SELECT fingerprint.n, 0, 1 FROM wanted JOIN fingerprint """
                """ON wanted.kind = 'fingerprint' AND fingerprint.fp = wanted.value) """
                """SELECT meta.n, SUM(hits.weight) + MAX(hits.fp) * ? + (meta.service IS ?) * ? AS shared """
                """FROM hits JOIN meta ON meta.n = hits.n WHERE meta.started <= ? """
                """GROUP BY meta.n ORDER BY shared DESC, meta.started DESC, meta.id LIMIT ?""",
                (*(x for item in wanted for x in item), ds.FINGERPRINT_WEIGHT, this.service,
                 ds.SERVICE_WEIGHT if this.service else 0, this.started, top),
            ).fetchall()  # fmt: skip
            chosen = [row[0] for row in rows]
            add(f"SELECT {self.COLUMNS} FROM meta WHERE n IN ({', '.join('?' * len(chosen))})", tuple(chosen))
        if this.service:
            add(f"SELECT {self.COLUMNS} FROM meta WHERE service = ? AND started <= ? ORDER BY started DESC, id LIMIT ?",
                (this.service, this.started, top))  # fmt: skip
        return list(found.values())

    @staticmethod
    def alert_counts(db: sqlite3.Connection, names: tuple[str, ...], since: float, until: float) -> dict[str, int]:
        """How many incidents with each alert name started within [since, until]."""
        return {
            name: db.execute(
                """SELECT count(*) FROM alert JOIN meta ON meta.n = alert.n """
                """WHERE alert.name = ? AND meta.started >= ? AND meta.started <= ?""",
                (name, since, until),
            ).fetchone()[0]
            for name in names
        }
