"""``freezes.yaml`` at the repository root: the deploy freezes ``inc freeze`` declares
(committed, so every clone and CI job sees them; expired ones stay as history)."""

from __future__ import annotations

import os
from pathlib import Path

from incli.domain.gate import Freeze, FreezeFormatError, freezes_from_data
from incli.errors import StorageError
from incli.storage import yamlio
from incli.storage.atomic import atomic_write
from incli.storage.repo import FREEZES_FILE, Repository, inside
from incli.storage.store import Broken, BrokenFile

HEADER = "# Deploy freezes declared with inc freeze (inc gate refuses while one is in force).\n"


def freezes_path(repo: Repository) -> Path:
    path = repo.root / FREEZES_FILE
    if os.path.lexists(path) and not inside(path, repo.root):
        outside = f"a link to {os.path.realpath(path)}, outside the repository; not read"
        raise BrokenFile(Broken(path, None, outside))
    return path


def read_freezes(repo: Repository) -> list[Freeze]:
    """The freezes declared; BrokenFile (a Problems) names the file, the line when known, and
    what is wrong, for inc gate's refusal and inc validate's finding alike."""
    path = freezes_path(repo)
    try:
        if not path.exists():
            return []
        too_large = yamlio.config_too_large(path.stat().st_size)
        if too_large:
            raise BrokenFile(Broken(path, None, too_large))
        data = yamlio.load(path.read_bytes())
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yamlio.YamlError as exc:
        raise BrokenFile(Broken(path, exc.line, str(exc))) from None
    try:
        return freezes_from_data(data)
    except FreezeFormatError as exc:
        raise BrokenFile(Broken(path, None, str(exc))) from None


def write_freezes(repo: Repository, freezes: list[Freeze]) -> Path:
    path = freezes_path(repo)
    body = HEADER + yamlio.dump({"freezes": [f.to_dict() for f in freezes]})
    try:
        atomic_write(path, body.encode())
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
