"""Small JSON files of local state in ``.incli/`` (what reminders were sent, which
rules are firing): never committed, written atomically, rebuilt from nothing if lost."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from incli.errors import StorageError
from incli.storage.atomic import atomic_write, create_new, file_lock
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
        atomic_write(path, (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode())
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


KEY_BYTES = 32


def secret(repo: Repository, name: str, create: bool) -> bytes | None:
    """This clone's random key ``.incli/NAME.key`` (made with ``create``, never committed): for a
    keyed hash over something incli wrote and must not trust when anything else did (a copied,
    crafted or half-written file). None when there is none (or ``.incli/`` cannot be written)."""
    try:
        path = (repo.ensure_state_dir() if create else repo.state_dir) / f"{name}.key"
        for _attempt in range(2):
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                if not create:
                    return None
                create_new(path, os.urandom(KEY_BYTES))  # False: another process made it first
            else:
                if len(data) == KEY_BYTES:
                    return data
                if not create:
                    return None
                atomic_write(path, os.urandom(KEY_BYTES))  # not a key incli made: a new one
            os.chmod(path, 0o600)
    except (OSError, StorageError):
        return None
    return None
