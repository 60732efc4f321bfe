"""Incident files: reading them (skipping broken ones with a warning), and writing
them atomically under a lock."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from incli.domain import ids as idmod
from incli.domain.metrics import Facts, facts_from_incident
from incli.domain.model import Incident, IncidentFormatError, incident_from_dict
from incli.errors import Problems, StorageError
from incli.storage import yamlio
from incli.storage.atomic import atomic_write, create_new, file_lock
from incli.storage.repo import Repository

SUFFIX = ".yaml"


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


def parse_incident_bytes(data: bytes, path: Path) -> Incident:
    """Read one incident file's bytes; raise BrokenFile naming the file and line."""
    markers = yamlio.conflict_lines(data)
    if markers:
        raise BrokenFile(
            Broken(path, markers[0], "git conflict markers; resolve the conflict, then run inc validate")
        )
    try:
        raw = yamlio.load(data)
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
        return sorted(
            Path(e.path) for e in entries if e.name.endswith(SUFFIX) and not e.name.startswith(".")
        )

    def ids(self) -> list[str]:
        return [p.stem for p in self.paths()]

    def path_for(self, incident_id: str) -> Path:
        return self.folder / f"{incident_id}{SUFFIX}"

    def resolve_id(self, query: str) -> str:
        return idmod.resolve(query, self.ids())

    def read(self, path: Path) -> Incident:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BrokenFile(Broken(path, None, "no such file")) from None
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None
        return parse_incident_bytes(data, path)

    def read_bytes_or_none(self, incident_id: str) -> bytes | None:
        try:
            return self.path_for(incident_id).read_bytes()
        except OSError:
            return None

    def load(self, incident_id: str) -> Incident:
        return self.read(self.path_for(incident_id))

    def load_all(self) -> list[Incident]:
        """Every readable incident; unreadable files go to ``self.warnings``."""
        incidents: list[Incident] = []
        for path in self.paths():
            try:
                incidents.append(self.read(path))
            except BrokenFile as exc:
                self.warnings.append(exc.broken)
            except StorageError as exc:
                self.warnings.append(Broken(path, None, str(exc)))
        return incidents

    def facts(self) -> list[Facts]:
        """What metrics need of every readable incident (broken files go to ``self.warnings``)."""
        return [facts_from_incident(incident) for incident in self.load_all()]

    # -- writing ---------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the repository's write lock for a read-modify-write."""
        state = self.repo.ensure_state_dir()
        with file_lock(state / "lock"):
            yield

    @staticmethod
    def serialize(incident: Incident) -> bytes:
        return yamlio.dump(incident.to_dict()).encode("utf-8")

    def save(self, incident: Incident) -> Path:
        path = self.path_for(incident.id)
        try:
            atomic_write(path, self.serialize(incident))
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path

    def create(self, incident: Incident) -> bool:
        """Write a new incident file; False if its id is taken (the caller picks another)."""
        path = self.path_for(incident.id)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            return create_new(path, self.serialize(incident))
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
