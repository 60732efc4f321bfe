"""``freezes.yaml`` at the repository root: the deploy freezes ``inc freeze`` declares
(committed, so every clone and CI job sees them; expired ones stay as history)."""

from __future__ import annotations

import os
from pathlib import Path

from incli.domain.gate import Freeze, FreezeFormatError, freezes_from_data
from incli.errors import Problems, StorageError
from incli.storage import yamlio
from incli.storage.atomic import atomic_write
from incli.storage.repo import Repository, inside

FREEZES_NAME = "freezes.yaml"
HEADER = "# Deploy freezes declared with inc freeze (inc gate refuses while one is in force).\n"


def freezes_path(repo: Repository) -> Path:
    path = repo.root / FREEZES_NAME
    if os.path.lexists(path) and not inside(path, repo.root):
        raise Problems(f"{path} is a link to {os.path.realpath(path)}, outside the repository; not read")
    return path


def read_freezes(repo: Repository) -> list[Freeze]:
    path = freezes_path(repo)
    try:
        if not path.exists():
            return []
        if path.stat().st_size > yamlio.MAX_CONFIG_BYTES:
            raise Problems(f"{path}: over the limit of {yamlio.MAX_CONFIG_BYTES:,} bytes")
        data = yamlio.load(path.read_bytes())
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yamlio.YamlError as exc:
        raise Problems(f"{path}{f':{exc.line}' if exc.line else ''}: {exc}") from None
    try:
        return freezes_from_data(data)
    except FreezeFormatError as exc:
        raise Problems(f"{path}: {exc}") from None


def write_freezes(repo: Repository, freezes: list[Freeze]) -> Path:
    path = freezes_path(repo)
    body = HEADER + yamlio.dump({"freezes": [f.to_dict() for f in freezes]})
    try:
        atomic_write(path, body.encode())
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
