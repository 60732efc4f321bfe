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
