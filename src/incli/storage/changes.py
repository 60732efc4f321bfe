"""Change events (a deploy, a config push) kept for later correlation with incidents:
one YAML file per event in ``changes/`` (``2025-01-15-<hash>.yaml``), named by its
content, so a repeat writes nothing and two clones never collide."""

from __future__ import annotations

import contextlib
from datetime import datetime
from pathlib import Path
from typing import Any

from incli.errors import StorageError
from incli.storage import yamlio
from incli.storage.atomic import create_new
from incli.storage.repo import Repository, inside

CHANGES_DIR = "changes"
SUFFIX = ".yaml"
MAX_FILE_BYTES = 1024 * 1024


def folder(repo: Repository) -> Path:
    return repo.root / CHANGES_DIR


def add(repo: Repository, key: str, at: datetime, record: dict[str, Any]) -> Path | None:
    """Write the change's file; None when it is already there (the same event again)."""
    where = folder(repo)
    try:
        where.mkdir(exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create {where}: {exc.strerror or exc}") from None
    if where.is_symlink() or not inside(where, repo.root):
        raise StorageError(f"{where} is outside the repository (a symlink?); not writing there")
    path = where / f"{at.date().isoformat()}-{key[:16]}{SUFFIX}"
    try:
        return path if create_new(path, yamlio.dump(record).encode()) else None
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None


def named_changes(repo: Repository) -> list[tuple[str, dict[str, Any]]]:
    """Every readable change with its file's name (without .yaml), in the order of the names
    (a file that is not one is skipped; the caller orders them by time)."""
    found: list[tuple[str, dict[str, Any]]] = []
    where = folder(repo)
    if not where.is_dir() or where.is_symlink() or not inside(where, repo.root):
        return []
    for path in sorted(where.glob(f"*{SUFFIX}")):
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            continue
        with contextlib.suppress(OSError, yamlio.YamlError):
            data = yamlio.load(path.read_bytes())
            if isinstance(data, dict):
                found.append((path.name[: -len(SUFFIX)], data))
    return found
