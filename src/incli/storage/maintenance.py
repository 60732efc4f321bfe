"""Maintenance window files (``maintenance/MNT-YYYYMMDD-xxxxx.yaml`` beside incli.yaml):
read bounded and from inside the repository like incident files, created without ever
replacing one."""

from __future__ import annotations

import os
from pathlib import Path

from incli.domain import ids as idmod
from incli.domain.maintenance import PREFIX, Maintenance, MaintenanceFormatError, maintenance_from_dict
from incli.errors import StorageError
from incli.storage import yamlio
from incli.storage.atomic import create_new
from incli.storage.repo import MAINTENANCE_DIR, Repository
from incli.storage.store import ID_ATTEMPTS, SUFFIX, Broken, BrokenFile, read_incident_file

FOLDER = MAINTENANCE_DIR


def folder(repo: Repository) -> Path:
    return repo.root / FOLDER


def paths(repo: Repository) -> list[Path]:
    try:
        entries = list(os.scandir(folder(repo)))
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise StorageError(f"cannot read {folder(repo)}: {exc.strerror or exc}") from None
    return sorted(Path(e.path) for e in entries if e.name.endswith(SUFFIX) and not e.name.startswith("."))


def read(path: Path, repo: Repository) -> Maintenance:
    data = read_incident_file(path, repo.root)
    if yamlio.conflict_lines(data):
        raise BrokenFile(Broken(path, yamlio.conflict_lines(data)[0], "git conflict markers; resolve the conflict"))
    try:
        window = maintenance_from_dict(yamlio.load(data))
    except yamlio.YamlError as exc:
        raise BrokenFile(Broken(path, exc.line, str(exc))) from None
    except MaintenanceFormatError as exc:
        raise BrokenFile(Broken(path, None, str(exc))) from None
    if window.id != path.stem:
        raise BrokenFile(Broken(path, None, f"holds id {window.id}, but the file is named {path.name}"))
    return window


def load_all(repo: Repository, warnings: list[Broken]) -> list[Maintenance]:
    found: list[Maintenance] = []
    for path in paths(repo):
        try:
            found.append(read(path, repo))
        except BrokenFile as exc:
            if exc.broken not in warnings:
                warnings.append(exc.broken)
    return found


def serialize(window: Maintenance) -> bytes:
    return yamlio.dump(window.to_dict()).encode()


def create(repo: Repository, window: Maintenance) -> Path:
    """Write a new window under a fresh id (hold the repository lock)."""
    target = folder(repo)
    for _attempt in range(ID_ATTEMPTS):
        window.id = idmod.new_id(window.created_at, prefix=PREFIX)
        path = target / f"{window.id}{SUFFIX}"
        try:
            target.mkdir(parents=True, exist_ok=True)  # pragma: no mutate - its parent is the repository root
            if create_new(path, serialize(window)):
                return path
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
    raise StorageError(f"could not find a free maintenance id after {ID_ATTEMPTS} tries")  # pragma: no cover
