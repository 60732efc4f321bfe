"""atomic.create_many, the write of a batch import: each file whole or absent, never replacing
one, flushed to disk before any is linked into place, and no temporary left behind."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from incli.storage import atomic


def test_each_file_is_made_once_and_an_existing_one_is_kept(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_bytes(b"mine")
    made = atomic.create_many([(tmp_path / "a.yaml", b"a"), (tmp_path / "b.yaml", b"b"), (tmp_path / "c.yaml", b"c")])
    assert made == [True, False, True]
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"a.yaml": b"a", "b.yaml": b"mine", "c.yaml": b"c"}


def test_every_file_is_flushed_before_any_takes_its_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real_link, real_fsync = os.link, os.fsync
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (order.append("flush"), real_fsync(fd))[1])
    monkeypatch.setattr(atomic.os, "link", lambda a, b: (order.append("link"), real_link(a, b))[1])
    monkeypatch.setattr(atomic, "_fsync_dir", lambda folder: order.append("folder"))
    atomic.create_many([(tmp_path / f"{n}.yaml", b"x") for n in range(3)])
    assert order == ["flush"] * 3 + ["link"] * 3 + ["folder"]


def test_a_write_that_fails_writes_nothing_and_leaves_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = atomic._write_temp

    def full_disk(path: Path, data: bytes) -> Path:
        if path.name == "1.yaml":
            raise OSError(28, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(atomic, "_write_temp", full_disk)
    with pytest.raises(OSError):
        atomic.create_many([(tmp_path / f"{n}.yaml", b"x") for n in range(3)])
    assert list(tmp_path.iterdir()) == []


def test_a_failure_midway_leaves_whole_files_or_none_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_link = os.link
    calls = []

    def failing(a: str, b: str) -> None:
        calls.append(b)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_link(a, b)

    monkeypatch.setattr(atomic.os, "link", failing)
    with pytest.raises(OSError):
        atomic.create_many([(tmp_path / f"{n}.yaml", b"whole %d" % n) for n in range(3)])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == {"0.yaml": b"whole 0"}
