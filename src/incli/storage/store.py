"""Incident files: reading them (skipping broken ones with a warning), and writing
them atomically under a lock."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from incli.domain import ids as idmod
from incli.domain.model import Incident, IncidentFormatError, incident_from_dict
from incli.errors import Problems, StorageError
from incli.storage import fastyaml, yamlio
from incli.storage.atomic import READ_ONLY, atomic_write, create_many, create_new, file_lock
from incli.storage.repo import LOCK_NAME, Repository, inside

if TYPE_CHECKING:
    from incli.domain.metrics import Facts
    from incli.storage.index import Index, Snapshot

ID_ATTEMPTS = 20  # fresh ids drawn before Store.create gives up
SUFFIX = ".yaml"
MAX_FILE_BYTES = 10 * 1024 * 1024  # an incident file is kilobytes; anything over this is not one
SUMMARY_FILE = "index-summary.marshal"  # in .incli/: the index's summary (storage/index.py), kept up to date by writes


class Broken(NamedTuple):
    """A file that could not be read as an incident."""

    path: Path
    line: int | None
    reason: str

    def __str__(self) -> str:
        line = f":{self.line}" if self.line else ""
        return f"{self.path}{line}: {self.reason}"


class BrokenFile(Problems):
    """A file that cannot be read (an incident, a maintenance window, freezes.yaml): the path,
    the line when known and the reason; commands skip it and never rewrite it."""

    def __init__(self, broken: Broken) -> None:
        super().__init__(str(broken))
        self.broken = broken


def load_document(data: bytes) -> Any:
    """The YAML document of one incident file: incli's own simple layout through the fast
    reader, anything else through PyYAML (yamlio.YamlError when it is not YAML)."""
    raw = fastyaml.load(data)  # None for anything outside the fast reader's subset
    return yamlio.load(data) if raw is None else raw


def parse_incident_bytes(data: bytes, path: Path) -> Incident:
    """Read one incident file's bytes; raise BrokenFile naming the file and line."""
    markers = yamlio.conflict_lines(data)
    if markers:
        raise BrokenFile(Broken(path, markers[0], "git conflict markers; resolve the conflict, then run inc validate"))
    try:
        raw = load_document(data)
    except yamlio.YamlError as exc:
        raise BrokenFile(Broken(path, exc.line, str(exc))) from None
    try:
        incident = incident_from_dict(raw)
    except IncidentFormatError as exc:
        line = yamlio.line_for(yamlio.key_lines(data), exc.problems[0][0])
        raise BrokenFile(Broken(path, line, str(exc))) from None
    if incident.id != path.stem:
        raise BrokenFile(Broken(path, None, f"holds id {incident.id}, but the file is named {path.name}"))
    return incident


def read_incident_file(path: Path, root: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """An incident file's bytes, read with a bound; BrokenFile (nothing read) for a symlink that
    leads outside the repository, anything that is not a regular file (a FIFO, a device such as
    /dev/zero), and a file over ``limit`` bytes. Never blocks on a FIFO, never reads unbounded."""
    try:
        if path.is_symlink() and not inside(path, root):
            real = os.path.realpath(path)
            raise BrokenFile(Broken(path, None, f"a link to {real}, outside the repository; not read"))
        fd = os.open(path, READ_ONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise BrokenFile(Broken(path, None, "no such file")) from None
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise BrokenFile(Broken(path, None, "not a regular file (a FIFO, a device or a folder); not read"))
        if info.st_size > limit:
            raise BrokenFile(Broken(path, None, f"{info.st_size:,} bytes, over the limit of {limit:,}; not read"))
        # What fstat says, and one byte more to see a file that grew (a read of the limit itself
        # would allocate the limit each time: six times slower over 10,000 small files).
        chunks = [os.read(fd, info.st_size + 1)]
        total = len(chunks[0])
        while total > info.st_size and total <= limit and chunks[-1]:
            chunks.append(os.read(fd, limit + 1 - total))
            total += len(chunks[-1])
        data = b"".join(chunks)
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew after fstat
        raise BrokenFile(Broken(path, None, f"over the limit of {limit:,} bytes; not read"))
    return data


class Store:
    def __init__(self, repo: Repository) -> None:
        self.repo = repo
        self.folder = repo.incidents_dir
        self.warnings: list[Broken] = []

    # -- reading ---------------------------------------------------------

    def paths(self) -> list[Path]:
        try:
            entries = list(os.scandir(self.folder))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StorageError(f"cannot read {self.folder}: {exc.strerror or exc}") from None
        return sorted(Path(e.path) for e in entries if e.name.endswith(SUFFIX) and not e.name.startswith("."))

    def ids(self) -> list[str]:
        return [p.stem for p in self.paths()]

    def path_for(self, incident_id: str) -> Path:
        return self.folder / f"{incident_id}{SUFFIX}"

    def resolve_id(self, query: str) -> str:
        exact = query and "/" not in query and not query.startswith(".")
        if exact and self.path_for(query).is_file():
            return query  # an exact id: no need to list the folder
        return idmod.resolve(query, self.ids(), self.source_ids)

    def source_ids(self) -> list[tuple[str, str]]:
        """(the id an incident had where it came from, ``source.id`` such as PagerDuty's
        PT4KHLK; its incli id). Reads every incident (through the index): only asked
        when an id matched nothing."""
        import json

        found: list[tuple[str, str]] = []
        for text in self.texts():
            data = json.loads(text)
            source = data.get("source")  # the index keeps each incident's JSON object
            if isinstance(source, dict) and source.get("id") is not None and isinstance(data.get("id"), str):
                found.append((str(source["id"]), data["id"]))
        return found

    def read_bytes(self, path: Path) -> bytes:
        """A file's bytes, bounded and only from inside the repository (see read_incident_file)."""
        return read_incident_file(path, self.repo.root)

    def read(self, path: Path) -> Incident:
        return parse_incident_bytes(self.read_bytes(path), path)

    def read_bytes_or_none(self, incident_id: str) -> bytes | None:
        try:
            return self.read_bytes(self.path_for(incident_id))
        except (OSError, StorageError, BrokenFile):
            return None

    def load(self, incident_id: str) -> Incident:
        return self.read(self.path_for(incident_id))

    def load_all(self) -> list[Incident]:
        """Every readable incident; unreadable files go to ``self.warnings``.

        Served from the derived index (storage/index.py) for files unchanged since
        they were last read.
        """
        return list(self.each())

    def each(self) -> Iterator[Incident]:
        """``load_all`` one incident at a time, for a caller that need not hold them all."""
        import json

        for text in self.texts():
            yield incident_from_dict(json.loads(text))

    def texts(self) -> Iterator[str]:
        """Every readable incident's ``--json`` text (a JSON array element), in file name order."""
        snapshot = self._indexed(("json",))
        yield from snapshot.texts(t for t in snapshot.values["json"] if t is not None)

    def facts(self) -> list[Facts]:
        """What metrics need of every readable incident (broken files go to ``self.warnings``)."""
        from incli.domain.metrics import Facts

        snapshot = self._indexed(("facts",))
        return [Facts._make(values) for values in snapshot.values["facts"] if values is not None]

    def active(self) -> list[tuple[Facts, Incident]]:
        """Every incident that is not resolved, with its facts, in file name order. While the
        folder is as the index's summary saw it (storage/index.py) only these are looked at (an
        unchanged file not even read), whatever the number of incidents; else every file's facts
        are read, as ``facts`` does, and the active files in full."""
        from incli.domain.metrics import Facts, facts_from_incident
        from incli.storage.index import stat_key

        summary = self._index().summary()
        if summary is None:
            found = []
            for facts in self.facts():
                if facts.status != "resolved":
                    try:
                        found.append((facts, self.load(facts.id)))
                    except BrokenFile as exc:  # changed since the facts were read
                        self._warn(exc.broken)
            return found
        active: list[tuple[Facts, Incident]] = []
        broken = [Broken(self.folder / name, line, reason) for name, line, reason in summary.broken]
        for name, (key, values, document) in sorted(summary.active.items()):
            path = self.folder / name
            try:
                if stat_key(path) == key:
                    incident = incident_from_dict(document)
                    active.append((Facts._make(values) if values else facts_from_incident(incident), incident))
                    continue
                incident = self._parse_for_index(path)
            except BrokenFile as exc:
                broken.append(exc.broken)
                continue
            if incident.active:
                active.append((facts_from_incident(incident), incident))
        for problem in sorted(broken, key=lambda b: b.path.name):  # in file order, as a full read warns
            self._warn(problem)
        return active

    def active_facts(self) -> list[Facts]:
        """The facts of every incident that is not resolved (see ``active``)."""
        return [facts for facts, _incident in self.active()]

    def action_counts(self) -> list[tuple[tuple[str, str | None], int]]:
        """Every action item's (status, due date text) across every incident, with how many
        share it: from the index's summary while the folder is unchanged, else from the facts."""
        summary = self._index().summary()
        if summary is not None:
            return list(summary.actions)
        counts: dict[tuple[str, str | None], int] = {}
        for facts in self.facts():
            for item in facts.actions:
                counts[item] = counts.get(item, 0) + 1
        return list(counts.items())

    def completion_rows(self) -> list[tuple[str, str, float, str, tuple[tuple[str, str, str], ...]]]:
        """For shell completion: each readable incident's ``storage.index.complete_row``."""
        snapshot = self._indexed(("complete",))
        return [row for row in snapshot.values["complete"] if row is not None]

    def facts_and_json(self) -> list[tuple[Facts, Callable[[], bytes]]]:
        """Every readable incident's facts, and a way to get its ``--json`` text (a JSON array
        element, UTF-8, read from the index only when asked for, so a listing streams)."""
        from functools import partial

        from incli.domain.metrics import Facts

        snapshot = self._indexed(("facts", "json"))
        text = snapshot.raw
        facts, payloads = snapshot.values["facts"], snapshot.values["json"]
        return [
            (Facts._make(values), partial(text, payload))
            for values, payload in zip(facts, payloads, strict=True)  # pragma: no mutate (lengths equal)
            if values is not None and payload is not None
        ]

    def checked(self, check: Callable[[Path, bytes | None, tuple[int | None, str] | None], Any], salt: str) -> Any:
        """``check(path, bytes or None, (line, reason) when unreadable)`` of every file, in name
        order, as (names, results): from the index for files unchanged since they were last
        checked under the same ``salt`` (what the results depend on beyond the file)."""
        snapshot = self._indexed(("check",), extra={"check": check}, salts={"check": salt})
        return snapshot.names, snapshot.values["check"]

    def _index(self, salts: dict[str, str] | None = None) -> Index:
        from incli.storage.index import Index

        return Index(self.repo.ensure_state_dir, self.folder, salts)

    def _parse_for_index(self, path: Path) -> Incident:
        try:
            return self.read(path)
        except StorageError as exc:
            if isinstance(exc, BrokenFile):
                raise
            raise BrokenFile(Broken(path, None, str(exc))) from None

    def _warn(self, broken: Broken) -> None:
        if broken not in self.warnings:
            self.warnings.append(broken)

    def _indexed(
        self,
        parts: tuple[str, ...],
        extra: dict[str, Callable[[Path, bytes | None, tuple[int | None, str] | None], Any]] | None = None,
        salts: dict[str, str] | None = None,
    ) -> Snapshot:
        from incli.storage.index import DOCUMENT, MAKERS, Snapshot, payload_ok

        own = extra or {}
        root = self.repo.root

        def build(path: Path, wanted: tuple[str, ...]) -> dict[str, tuple[bool, Any]]:
            data: bytes | None = None
            failure: tuple[int | None, str] | None = None
            try:
                data = read_incident_file(path, root)
            except BrokenFile as exc:
                failure = (exc.broken.line, exc.broken.reason)
            except StorageError as exc:
                failure = (None, str(exc))
            incident: Incident | None = None
            if data is not None and any(part not in own for part in wanted):
                try:
                    incident = parse_incident_bytes(data, path)
                except BrokenFile as exc:
                    failure = (exc.broken.line, exc.broken.reason)
            made: dict[str, tuple[bool, Any]] = {}
            for part in wanted:
                if part in own:
                    made[part] = (True, own[part](path, data, failure))
                elif incident is not None:
                    made[part] = (True, MAKERS[part](incident))
                else:
                    made[part] = (False, failure)
                if not payload_ok(part, *made[part]):
                    raise RuntimeError(f"incli made an index entry of the wrong shape for {part} of {path.name}")
            if incident is not None and "facts" in wanted and incident.active:
                made[DOCUMENT] = (True, incident.to_dict())  # for the summary, parsed once
            return made

        def document(name: str) -> dict[str, Any] | None:
            try:
                return self._parse_for_index(self.folder / name).to_dict()
            except BrokenFile:
                return None

        try:
            snapshot = self._index(salts).read(parts, build, document)
        except FileNotFoundError:
            return Snapshot([], {part: [] for part in parts}, [])
        except OSError as exc:
            raise StorageError(f"cannot read {self.folder}: {exc.strerror or exc}") from None
        for path, line, reason in snapshot.broken:
            self._warn(Broken(path, line, reason))
        return snapshot

    # -- writing ---------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the repository's write lock for a read-modify-write."""
        state = self.repo.ensure_state_dir()
        with file_lock(state / LOCK_NAME):
            # What a killed write left (.NAME.PID-XXXX.tmp) goes at the next read of every file
            # (storage/index.py), never here: a write does not list the folder.
            yield

    @staticmethod
    def serialize(incident: Incident) -> bytes:
        return yamlio.dump(incident.to_dict()).encode()

    def save(self, incident: Incident) -> Path:
        data = self.serialize(incident)
        old = self.read_bytes_or_none(incident.id)
        if old is not None and old != data:
            # Comments a person typed into the file survive the rewrite (yamlio.keep_comments:
            # a file without one costs a regex search and is written as serialize has it).
            data = yamlio.keep_comments(old, data.decode()).encode()
        return self.write_bytes(incident.id, data, incident)

    def write_bytes(self, incident_id: str, data: bytes, incident: Incident | None = None) -> Path:
        """Replace an incident's file with exactly ``data``, all or nothing (hold the lock);
        ``incident`` is what ``data`` holds, when the caller has it."""
        path = self.path_for(incident_id)
        summary = self._summary_before(path)
        try:
            atomic_write(path, data)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
        self._patch_summary(path, summary, data, incident)
        return path

    def _summary_before(self, path: Path) -> tuple[Any, Any] | None:
        """The folder's and the file's stat keys before a write, when there is a summary of
        the index to keep up to date (storage/index.py: Index.patch); None when there is none."""
        if not (self.repo.state_dir / SUMMARY_FILE).exists():  # checked before importing the index
            return None
        from incli.storage.index import stat_key

        return stat_key(self.folder), stat_key(path)

    def _patch_summary(
        self, path: Path, before: tuple[Any, Any] | None, data: bytes, incident: Incident | None
    ) -> None:
        if before is None:
            return
        try:
            written = incident if incident is not None else parse_incident_bytes(data, path)
            self._index().patch(path.name, before[0], before[1], written)
        except (BrokenFile, OSError, ValueError):
            pass  # the summary stays as it was: the next inc status reads every file's facts

    def create_many(self, incidents: list[Incident]) -> list[Path | None]:
        """Write new incident files under the ids they have, as ``create(..., fresh_id=False)``
        does one at a time, flushed to disk together (atomic.create_many): a path for each one
        written, None for an id that is taken (hold the lock). The index's summary is not kept
        up to date (the next inc status reads every file's facts once)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        items = [(self.path_for(i.id), self.serialize(i)) for i in incidents]
        try:
            made = create_many(items)
        except OSError as exc:
            raise StorageError(f"cannot write in {self.folder}: {exc.strerror or exc}") from None
        pairs = zip(
            items,
            made,
            strict=True,  # pragma: no mutate (lengths equal)
        )
        return [path if ok else None for (path, _data), ok in pairs]

    def create(self, incident: Incident, *, fresh_id: bool = True) -> Path | None:
        """Write a new incident file and return its path; it never replaces a file.

        With ``fresh_id`` (the default) the incident gets a new random id, drawn again
        on the rare collision (two clones, or two processes, in the same second).
        Without it the incident keeps the id it has, and None means that id is taken.
        """
        for _attempt in range(ID_ATTEMPTS if fresh_id else 1):
            if fresh_id:
                incident.id = idmod.new_id(incident.opened_at)
            path = self.path_for(incident.id)
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                summary = self._summary_before(path)
                data = self.serialize(incident)
                if create_new(path, data):
                    self._patch_summary(path, summary, data, incident)
                    return path
            except OSError as exc:
                raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
        if fresh_id:  # pragma: no cover - 20 collisions of 31^5 ids in one second
            raise StorageError(f"could not find a free incident id after {ID_ATTEMPTS} tries")
        return None
