"""The all-or-nothing promise of the atomic write, a lock left by a dead process, and ids
that two processes never share, each tested on its own (issue 19)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from incli.domain import ids
from incli.storage import atomic
from tests.conftest import inc

OLD = b"old: " + b"o" * 200_000 + b"\n"
NEW = b"new: " + b"n" * 300_000 + b"\n"

# A child that replaces TARGET with NEW and dies (as kill -9 would) at the named step.
CHILD = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from incli.storage import atomic

    target, step = Path(sys.argv[1]), sys.argv[2]
    die = lambda *a, **k: os._exit(9)
    if step == "before-fsync":
        atomic.os.fsync = die
    elif step == "before-rename":
        atomic.os.replace = die
    elif step == "after-rename":
        atomic._fsync_dir = die
    atomic.atomic_write(target, b"new: " + b"n" * 300_000 + b"\\n")
""")


@pytest.mark.parametrize("step", ["before-fsync", "before-rename", "after-rename", "never"])
def test_a_write_killed_at_any_step_leaves_the_old_file_or_the_new_one(tmp_path: Path, step: str) -> None:
    target = tmp_path / "INC-20250115-abcde.yaml"
    target.write_bytes(OLD)
    child = subprocess.run([sys.executable, "-c", CHILD, str(target), step], capture_output=True, timeout=60)
    assert child.returncode == (0 if step == "never" else 9), child.stderr
    assert target.read_bytes() == (OLD if step in ("before-fsync", "before-rename") else NEW)
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".yaml"] == [target.name]


def test_the_data_reaches_the_disk_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the fsync a crash after the rename can leave an empty file under the name."""
    calls: list[str] = []
    real_fsync, real_replace = atomic.os.fsync, atomic.os.replace
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    target = tmp_path / "f.yaml"
    atomic.atomic_write(target, NEW)
    assert target.read_bytes() == NEW
    assert calls.index("fsync") < calls.index("replace")


def test_a_refused_rename_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "f.yaml"
    target.write_bytes(OLD)

    def refuse(_a: object, _b: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError):
        atomic.atomic_write(target, NEW)
    assert target.read_bytes() == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["f.yaml"]


def test_a_lock_held_by_a_dead_process_does_not_block_the_next_command(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    holder = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from incli.storage.atomic import file_lock
        with file_lock(Path({str(lock)!r})):
            os._exit(9)
    """)
    assert subprocess.run([sys.executable, "-c", holder], timeout=60).returncode == 9
    started = time.monotonic()
    with atomic.file_lock(lock, timeout=5):
        pass
    assert time.monotonic() - started < 1


def test_a_command_killed_holding_the_repository_lock_never_blocks_the_next(tmp_path: Path) -> None:
    """The next inc note goes through at once, and what the killed write left is cleaned up."""
    from tests.conftest import inc

    root = tmp_path / "repo"
    inc("init", root)
    ident = inc("open", "Disk full", "-s", "SEV2", root=root).stdout.strip()
    killed = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from incli.storage.repo import find_repository
        from incli.storage.store import Store
        store = Store(find_repository(Path({str(root)!r})))
        with store.locked():
            (store.folder / ".{ident}.yaml.999999999-abcd.tmp").write_text("half a write")
            os._exit(9)
    """)
    assert subprocess.run([sys.executable, "-c", killed], timeout=60).returncode == 9
    started = time.monotonic()
    inc("note", ident, "Cleared the logs", root=root)
    assert time.monotonic() - started < 5
    assert "Cleared the logs" in (root / "incidents" / f"{ident}.yaml").read_text()
    inc("list", root=root)  # a write never lists the folder; the next read of every file clears it
    assert sorted(p.name for p in (root / "incidents").iterdir()) == [".gitignore", f"{ident}.yaml"]


def test_two_processes_opening_in_the_same_second_draw_different_ids() -> None:
    """A generator seeded the same way in every process (or clone) would draw the same ids."""
    script = (
        "import json; from datetime import datetime, UTC; from incli.domain.ids import new_id; "
        "at = datetime(2025, 1, 15, 14, 30, tzinfo=UTC); print(json.dumps([new_id(at) for _ in range(60)]))"
    )
    runs = [subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60) for _ in "ab"]
    first, second = (set(json.loads(run.stdout)) for run in runs)
    assert len(first) > 55 and len(second) > 55
    assert len(first & second) <= 2  # by chance about 1 in 8,000 runs shares one


def test_an_id_already_taken_is_drawn_again_and_the_file_there_is_kept(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clones can draw the same id in the same second: the second open draws again instead of
    failing or writing over the other's file."""
    first = inc("open", "First", "-s", "SEV2", "--at", "2025-01-15T14:30:00Z").stdout.strip()
    kept = (repo / "incidents" / f"{first}.yaml").read_bytes()
    draws = iter([first, "INC-20250115-zzzzz"])
    monkeypatch.setattr(ids, "new_id", lambda *args, **kwargs: next(draws))
    second = inc("open", "Second", "-s", "SEV2", "--at", "2025-01-15T14:30:00Z").stdout.strip()
    assert second == "INC-20250115-zzzzz"
    assert (repo / "incidents" / f"{first}.yaml").read_bytes() == kept
