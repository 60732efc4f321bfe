"""Derived state in ``.incli/`` that must not be trusted unless this clone wrote it: marshal
files sealed with a keyed hash.

Each file is ``marshal((header, body))`` followed by a keyed hash (blake2b, with a random key
kept in ``.incli/index.key``, made on the first write) of those bytes, checked before anything
is unmarshalled: a file written by anything but incli in this clone (crafted, copied from
another clone, half-written, from another Python) reads as nothing, and its caller rebuilds it
from the files it derives from. Writes are atomic (a temporary beside it, then a rename) and
never fail the command: a repository that cannot be written works without its derived state.
The index (storage/index.py) and the parsed incli.yaml (storage/repo.py) are kept this way.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

from incli.storage.atomic import TEMP_SUFFIX, remove_stale, temp_prefix

try:  # the keyed hash without hashlib's OpenSSL start-up, which a listing does not need
    from _blake2 import blake2b as _blake2b
    from _operator import _compare_digest
except ImportError:  # pragma: no cover - another Python
    from hashlib import blake2b as _blake2b  # type: ignore[no-redef,unused-ignore]
    from hmac import compare_digest as _compare_digest  # type: ignore[no-redef,unused-ignore]

DIGEST_SIZE = 32  # the keyed hash follows the marshalled (header, body)
KEY_NAME = "index.key"


def key(state: Path, *, create: bool) -> bytes | None:
    """This clone's key (made on the first write when ``create``); None when there is none."""
    path = state / KEY_NAME
    with contextlib.suppress(OSError):
        secret = path.read_bytes()
        if len(secret) == DIGEST_SIZE:
            return secret
    if not create:
        return None
    secret = os.urandom(DIGEST_SIZE)
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{KEY_NAME}.", suffix=".tmp", dir=state)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secret)
        os.replace(temp, path)
    except OSError:
        return None
    return secret


def digest(secret: bytes, blob: bytes) -> bytes:
    return _blake2b(blob, key=secret, digest_size=DIGEST_SIZE).digest()


def load(path: Path, header: tuple[Any, ...]) -> Any:
    """The body sealed in ``path`` under ``header``, or None when there is none to trust."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    secret = key(path.parent, create=False)
    if secret is None or len(data) <= DIGEST_SIZE:
        return None
    blob = data[:-DIGEST_SIZE]
    if not _compare_digest(data[-DIGEST_SIZE:], digest(secret, blob)):
        return None  # not written by incli in this clone: never trusted
    try:
        found, body = marshal.loads(blob)
    except Exception:  # noqa: BLE001 - written by another Python
        return None
    return body if found == header else None


def save(path: Path, header: tuple[Any, ...], body: Any) -> None:
    """Seal ``body`` under ``header`` into ``path``, all or nothing; silently nothing when the
    state folder cannot be written (or the body holds what marshal cannot keep)."""
    secret = key(path.parent, create=True)
    if secret is None:
        return
    try:
        blob = marshal.dumps((header, body))
        blob += digest(secret, blob)
        remove_stale(path.parent, prefix=f".{path.name}.")
        fd, temp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=TEMP_SUFFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    except (OSError, ValueError):
        pass
