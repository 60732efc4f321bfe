"""Atomic writes, leftovers and the lock (storage/atomic.py), as the mutation run (issue 19) asked:
which leftovers are stale (a dead pid, or over an hour old), what the cleanup touches, the mode a
new file gets, a create that never replaces, and the lock's time-out and its refusal."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from incli.errors import StorageError
from incli.storage import atomic


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def touch(path: Path, age: float = 0.0) -> Path:
    path.write_bytes(b"x")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def test_temporary_names_carry_the_pid() -> None:
    assert atomic.temp_prefix("INC-1.yaml") == f".INC-1.yaml.{os.getpid()}-"
    assert atomic.temp_prefix("INC-1.yaml", "new") == f".INC-1.yaml.new{os.getpid()}-"


def test_a_leftover_is_stale_when_its_process_is_gone_or_after_an_hour(tmp_path: Path) -> None:
    dead = touch(tmp_path / f".a.yaml.{dead_pid()}-k2j4.tmp")
    mine = touch(tmp_path / f".a.yaml.{os.getpid()}-k2j4.tmp")
    unnamed = touch(tmp_path / ".a.yaml.tmp")
    assert atomic.is_stale(dead)
    assert not atomic.is_stale(mine) and not atomic.is_stale(unnamed)
    made = mine.lstat().st_mtime
    assert not atomic.is_stale(mine, now=made + atomic.STALE_SECONDS)
    assert atomic.is_stale(mine, now=made + atomic.STALE_SECONDS + 1)
    assert atomic.is_stale(unnamed, now=made + atomic.STALE_SECONDS + 1)
    assert atomic.STALE_SECONDS == 3600.0
    assert not atomic.is_stale(tmp_path / ".gone.tmp")  # vanished meanwhile: leave it be
    assert atomic.is_stale(tmp_path / f".dir.{dead_pid()}-x")  # a folder leftover has no suffix


def test_the_cleanup_removes_only_stale_leftovers_of_the_kind_asked(tmp_path: Path) -> None:
    pid = dead_pid()
    stale = touch(tmp_path / f".a.yaml.{pid}-k2j4.tmp")
    old = touch(tmp_path / ".b.yaml.tmp", age=7200)
    live = touch(tmp_path / f".c.yaml.{os.getpid()}-k2j4.tmp")
    visible = touch(tmp_path / f"d.yaml.{pid}-k2j4.tmp")  # not a hidden temporary: a user's file
    other = touch(tmp_path / ".e.yaml.bak", age=7200)
    folder = tmp_path / f".f.{pid}-k2j4.tmp"
    folder.mkdir()
    (folder / "inside").write_text("x")
    assert sorted(atomic.remove_stale(tmp_path)) == sorted([stale, old])
    assert all(p.exists() for p in (live, visible, other, folder))
    assert atomic.remove_stale(tmp_path, folders=True) == [folder]
    assert not folder.exists()
    assert atomic.remove_stale(tmp_path, prefix=".e", suffix=".bak") == [other]
    assert atomic.remove_stale(tmp_path / "missing") == []


def test_a_written_file_gets_the_usual_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic.atomic_write(tmp_path / "a.yaml", b"a")
        assert atomic.create_new(tmp_path / "b.yaml", b"b")
        os.umask(0o077)
        atomic.atomic_write(tmp_path / "c.yaml", b"c")
    finally:
        os.umask(old)
    assert (tmp_path / "a.yaml").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "b.yaml").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "c.yaml").stat().st_mode & 0o777 == 0o600


def test_create_never_replaces_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "INC-1.yaml"
    assert atomic.create_new(target, b"first")
    assert not atomic.create_new(target, b"second")
    assert target.read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["INC-1.yaml"]


def test_a_held_lock_times_out_with_one_line(tmp_path: Path) -> None:
    lock = tmp_path / "state" / "lock"
    with atomic.file_lock(lock):
        started = time.monotonic()
        with pytest.raises(StorageError) as refused, atomic.file_lock(lock, timeout=0.3):
            pass
        waited = time.monotonic() - started
    assert str(refused.value) == f"another inc process has held {lock} for 0s; try again"
    assert 0.3 <= waited < 5
    with atomic.file_lock(lock, timeout=0):  # released: taken at once
        pass
    assert atomic.LOCK_TIMEOUT_SECONDS == 30.0


def test_a_lock_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    refusal = r"^cannot write .*file/lock to take the repository lock: "
    with pytest.raises(StorageError, match=refusal), atomic.file_lock(tmp_path / "file" / "lock"):
        pass


def test_checking_a_live_process_never_signals_it(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        leftover = touch(tmp_path / f".a.yaml.{child.pid}-k2j4.tmp")
        assert not atomic.is_stale(leftover)
        assert atomic.remove_stale(tmp_path) == []
        time.sleep(0.2)
        assert child.poll() is None, "the cleanup signalled a live process"
    finally:
        child.kill()
        child.wait()


def test_a_process_owned_by_someone_else_is_alive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def not_yours(_pid: int, _signal: int) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(atomic.os, "kill", not_yours)
    assert not atomic.is_stale(touch(tmp_path / ".a.yaml.1-k2j4.tmp"))


class FakeEntry:
    """A folder entry whose checks fail as on a racing delete or a read-only mount."""

    def __init__(self, path: Path, is_dir: bool | None) -> None:
        self.name, self.path, self._is_dir = path.name, str(path), is_dir

    def is_dir(self, follow_symlinks: bool = True) -> bool:
        if self._is_dir is None:
            raise OSError(5, "Input/output error")
        return self._is_dir


def test_one_leftover_that_cannot_be_checked_or_removed_does_not_stop_the_cleanup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = dead_pid()
    gone = tmp_path / "gone"
    stale = touch(tmp_path / f".b.yaml.{pid}-k2j4.tmp")
    entries = [
        FakeEntry(tmp_path / f".a.yaml.{pid}-aaaa.tmp", None),  # cannot be checked
        FakeEntry(gone / f".a.yaml.{pid}-bbbb.tmp", False),  # cannot be removed
        FakeEntry(stale, False),
    ]
    monkeypatch.setattr(atomic.os, "scandir", lambda _folder: entries)
    assert atomic.remove_stale(tmp_path) == [stale]
    assert not stale.exists()


def test_a_leftover_link_is_removed_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "keep"
    target.mkdir()
    (target / "data").write_text("x")
    link = tmp_path / f".a.yaml.{dead_pid()}-k2j4.tmp"
    link.symlink_to(target, target_is_directory=True)
    assert atomic.remove_stale(tmp_path) == [link]
    assert (target / "data").exists()


def test_the_temporary_is_hidden_beside_the_file_and_names_the_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Path] = []
    real_replace = atomic.os.replace
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (seen.append(Path(a)), real_replace(a, b))[1])
    atomic.atomic_write(tmp_path / "INC-1.yaml", b"x")
    (temp,) = seen
    assert temp.parent == tmp_path
    assert temp.name.startswith(f".INC-1.yaml.{os.getpid()}-") and temp.name.endswith(".tmp")
    assert atomic.is_stale(temp.with_name(temp.name.replace(str(os.getpid()), str(dead_pid()))))


def test_cleanup_failures_never_hide_the_writes_own_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    def stuck(*_args: object) -> None:
        raise OSError(16, "Device or resource busy")

    monkeypatch.setattr(atomic.os, "unlink", stuck)
    monkeypatch.setattr(atomic.os, "chmod", stuck)  # a file system without modes
    assert atomic.create_new(tmp_path / "new.yaml", b"n")
    atomic.atomic_write(tmp_path / "a.yaml", b"a")
    assert (tmp_path / "a.yaml").read_bytes() == b"a"
    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        atomic.atomic_write(tmp_path / "a.yaml", b"b")
    monkeypatch.setattr(atomic.os, "fsync", refuse)
    with pytest.raises(OSError, match="No space left"):
        atomic.atomic_write(tmp_path / "a.yaml", b"c")
    assert (tmp_path / "a.yaml").read_bytes() == b"a"


def test_a_folder_that_cannot_be_synced_is_no_error(tmp_path: Path) -> None:
    atomic._fsync_dir(tmp_path / "missing")
