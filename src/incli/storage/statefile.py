"""Small JSON files of local state in ``.incli/`` (what reminders were sent, which
rules are firing): never committed, written atomically, rebuilt from nothing if lost."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from incli.errors import StorageError
from incli.storage.atomic import atomic_write, file_lock
from incli.storage.repo import Repository


def load(path: Path) -> dict[str, Any]:
    """The file's object; empty when it is missing or unreadable (it is only a memory)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(path: Path, data: dict[str, Any]) -> None:
    try:
        atomic_write(path, (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8"))
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None


@contextlib.contextmanager
def held(repo: Repository, name: str) -> Iterator[Path]:
    """Hold ``.incli/NAME.lock`` and give the path of ``.incli/NAME.json``.

    A lock of its own (not the repository's), so hooks run while it is held may
    call inc without waiting for it.
    """
    state = repo.ensure_state_dir()
    with file_lock(state / f"{name}.lock"):
        yield state / f"{name}.json"
