"""Incident files: reading them (skipping broken ones with a warning), and writing
them atomically under a lock."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from incli.domain import ids as idmod
from incli.domain.metrics import Facts
from incli.domain.model import Incident, IncidentFormatError, incident_from_dict
from incli.errors import Problems, StorageError
from incli.storage import fastyaml, yamlio
from incli.storage.atomic import atomic_write, create_new, file_lock, remove_stale
from incli.storage.repo import LOCK_NAME, Repository, inside

ID_ATTEMPTS = 20  # fresh ids drawn before Store.create gives up
SUFFIX = ".yaml"
MAX_FILE_BYTES = 10 * 1024 * 1024  # an incident file is kilobytes; anything over this is not one
FACTS_FIELDS = len(Facts.__slots__)


@dataclass(frozen=True)
class Broken:
    """A file that could not be read as an incident."""

    path: Path
    line: int | None
    reason: str

    def __str__(self) -> str:
        line = f":{self.line}" if self.line else ""
        return f"{self.path}{line}: {self.reason}"


class BrokenFile(Problems):
    """An incident file that cannot be read; commands skip it and never rewrite it."""

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
        key = exc.problems[0][0].split(".")[0].split("[")[0]
        line = yamlio.key_lines(data).get(key)
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
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
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
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
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
        for text in self._indexed(("json",))["json"]:
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
        import json

        texts = self._indexed(("json",))["json"]
        return [incident_from_dict(json.loads(text)) for text in texts]

    def facts(self) -> list[Facts]:
        """What metrics need of every readable incident (broken files go to ``self.warnings``)."""
        return [Facts(*values) for values in self._indexed(("facts",))["facts"]]

    def completion_rows(self) -> list[tuple[str, str, float, str, tuple[tuple[str, str, str], ...]]]:
        """For shell completion: each readable incident's ``storage.index.complete_row``."""
        return list(self._indexed(("complete",))["complete"])

    def facts_and_json(self) -> list[tuple[Facts, str]]:
        """Every readable incident's facts and its ``--json`` text (as a JSON array element)."""
        parts = self._indexed(("facts", "json"))
        pairs = zip(parts["facts"], parts["json"], strict=True)
        return [(Facts(*values), text) for values, text in pairs]

    def _parse_for_index(self, path: Path) -> Incident:
        try:
            return self.read(path)
        except StorageError as exc:
            if isinstance(exc, BrokenFile):
                raise
            raise BrokenFile(Broken(path, None, str(exc))) from None

    def _indexed(self, parts: tuple[str, ...]) -> dict[str, list[Any]]:
        from incli.storage.index import Index

        index = Index(self.repo.ensure_state_dir, self.folder)
        try:
            result, broken = index.read(parts, self._parse_for_index)
            if "facts" in parts and not all(
                type(item) is tuple and len(item) == FACTS_FIELDS for item in result["facts"]
            ):  # an index of the right version but the wrong shape: never trust it
                index.drop("facts")
                result, broken = index.read(parts, self._parse_for_index)
        except FileNotFoundError:
            return {part: [] for part in parts}
        except OSError as exc:
            raise StorageError(f"cannot read {self.folder}: {exc.strerror or exc}") from None
        for path, line, reason in broken:
            found = Broken(path, line, reason)
            if found not in self.warnings:
                self.warnings.append(found)
        return result

    # -- writing ---------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the repository's write lock for a read-modify-write."""
        state = self.repo.ensure_state_dir()
        with file_lock(state / LOCK_NAME):
            # What a killed write left (.NAME.PID-XXXX.tmp) goes once its process is gone.
            remove_stale(self.folder)
            yield

    @staticmethod
    def serialize(incident: Incident) -> bytes:
        return yamlio.dump(incident.to_dict()).encode("utf-8")

    def save(self, incident: Incident) -> Path:
        data = self.serialize(incident)
        old = self.read_bytes_or_none(incident.id)
        if old is not None and old != data:
            # Comments a person typed into the file survive the rewrite (yamlio.keep_comments:
            # a file without one costs a regex search and is written as serialize has it).
            data = yamlio.keep_comments(old, data.decode("utf-8")).encode("utf-8")
        return self.write_bytes(incident.id, data)

    def write_bytes(self, incident_id: str, data: bytes) -> Path:
        """Replace an incident's file with exactly ``data``, all or nothing (hold the lock)."""
        path = self.path_for(incident_id)
        try:
            atomic_write(path, data)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path

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
                if create_new(path, self.serialize(incident)):
                    return path
            except OSError as exc:
                raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
        if fresh_id:  # pragma: no cover - 20 collisions of 31^5 ids in one second
            raise StorageError(f"could not find a free incident id after {ID_ATTEMPTS} tries")
        return None
