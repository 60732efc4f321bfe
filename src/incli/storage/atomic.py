"""Writes that are all or nothing, and a lock for read-modify-write.

A write goes to a temporary file in the same folder, is flushed to disk, and
is renamed over the old file: a process killed at any moment leaves either the
old file or the new one. A new file is linked into place, so two processes can
never create the same file.

A temporary file is named ``.NAME.PID-XXXX.tmp``: a process killed mid-write (SIGKILL, a
power cut) leaves one behind, and the next write in that folder removes those whose process
is gone or that are over an hour old (``remove_stale``).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from incli.errors import StorageError

TEMP_SUFFIX = ".tmp"
# A descriptor incli opens is never inherited by a program it runs (a hook, git). No test can see
# the flag, so its mutants are equivalent.
CLOEXEC: int = getattr(os, "O_CLOEXEC", 0)  # pragma: no mutate
READ_ONLY = os.O_RDONLY | CLOEXEC  # pragma: no mutate
LOCK_TIMEOUT_SECONDS = 30.0
STALE_SECONDS = 3600.0  # a leftover older than this is stale even if its pid was reused
_PID = re.compile(r"(?:^|[.-])(\d+)-[^.]*$")


def temp_prefix(name: str, kind: str = "") -> str:
    """The start of a temporary name for ``name`` that embeds this process's id."""
    return f".{name}.{kind}{os.getpid()}-"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by someone else
        return True
    return True


def is_stale(path: Path, now: float | None = None) -> bool:
    """A leftover whose process is gone (the pid in its name) or that is over an hour old."""
    stem = path.name[: -len(TEMP_SUFFIX)] if path.name.endswith(TEMP_SUFFIX) else path.name
    match = _PID.search(stem)
    if match is not None and not _alive(int(match.group(1))):
        return True
    try:
        age = (time.time() if now is None else now) - path.lstat().st_mtime
    except OSError:
        return False
    return age > STALE_SECONDS


def remove_stale(folder: Path, prefix: str = ".", suffix: str = TEMP_SUFFIX, folders: bool = False) -> list[Path]:
    """Remove the stale leftovers in ``folder`` named ``prefix...suffix`` (files, or with
    ``folders`` folders); what was removed. Best effort: a failure leaves the leftover."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(suffix)):
            continue
        path = Path(entry.path)
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            continue
        if is_dir != folders or not is_stale(path):
            continue
        try:
            if is_dir:
                import shutil

                shutil.rmtree(path)
            else:
                path.unlink()
        except OSError:
            continue
        removed.append(path)
    return removed


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write_temp(path: Path, data: bytes) -> Path:
    fd, name = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            os.chmod(name, 0o644 & ~_umask())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
    return Path(name)


def _umask() -> int:
    # Reading the umask means setting one for an instant (any value: it is put back at once).
    mask = os.umask(0)  # pragma: no mutate
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically."""
    temp = _write_temp(path, data)
    try:
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    _fsync_dir(path.parent)


def create_new(path: Path, data: bytes) -> bool:
    """Create ``path`` with ``data`` unless it exists; False when it already did."""
    temp = _write_temp(path, data)
    try:
        os.link(temp, path)
    except FileExistsError:
        return False
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temp)
    _fsync_dir(path.parent)
    return True


SYNC_THREADS = 16  # temporaries written and flushed at once: the file system's journal commits them together


def create_many(items: Sequence[tuple[Path, bytes]]) -> list[bool]:
    """``create_new`` for many files, as durable, with their flushes to disk made together
    (an import of 100,000 incidents would otherwise wait for 200,000 flushes one by one): every
    temporary is written and flushed by a pool of threads, whose flushes the file system's
    journal commits as one, then each is linked into place (a file that exists is left alone:
    False) and each folder's entries flushed once. A crash leaves each file whole or absent."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=SYNC_THREADS) as pool:
        futures = [pool.submit(_write_temp, path, data) for path, data in items]
    temps = [f.result() for f in futures if f.exception() is None]
    try:
        failed = next((f.exception() for f in futures if f.exception() is not None), None)
        if failed is not None:
            raise failed
        made = []
        for (path, _data), temp in zip(items, temps, strict=True):  # pragma: no mutate (lengths equal)
            try:
                os.link(temp, path)
                made.append(True)
            except FileExistsError:
                made.append(False)
        for folder in {path.parent for path, _data in items}:
            _fsync_dir(folder)
        return made
    finally:
        for temp in temps:
            with contextlib.suppress(OSError):
                os.unlink(temp)


@contextlib.contextmanager
def file_lock(lock_path: Path, timeout: float = LOCK_TIMEOUT_SECONDS) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if missing)."""
    import fcntl

    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StorageError(f"cannot write {lock_path} to take the repository lock: {exc.strerror or exc}") from None
    try:
        deadline = time.monotonic() + timeout
        delay = 0.002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() > deadline:
                    raise StorageError(
                        f"another inc process has held {lock_path} for {timeout:.0f}s; try again"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
