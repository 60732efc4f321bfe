"""An unwritable repository: the installed ``inc`` in a subprocess refuses in one line and
changes nothing.

Root ignores file modes, so when running as root the command runs with every capability
dropped (setpriv): then the modes apply to it as to anyone.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from incli.errors import ExitCode
from tests.conftest import T0, check_refused, inc, take_snapshot
from tests.e2e.conftest import inc_process


@pytest.fixture
def read_only(repo: Path) -> Iterator[Path]:
    folders = [repo, repo / "incidents", repo / ".incli"]
    files = [p for p in repo.rglob("*") if p.is_file()]
    for path in files:
        path.chmod(0o444)
    for folder in folders:
        folder.chmod(0o555)
    yield repo
    for folder in folders:
        folder.chmod(0o755)
    for path in files:
        path.chmod(0o644)


@pytest.fixture
def writable_first(repo: Path) -> dict[str, str]:
    incident_id = inc("open", "Pool exhausted", "-s", "2", "--at", T0).stdout.strip()
    return {"id": incident_id}


@pytest.mark.parametrize(
    "argv",
    [
        ["open", "New one", "-s", "2", "--at", T0],
        ["ack", "{id}", "--at", "2025-01-15T14:32:00+00:00"],
        ["note", "{id}", "a note", "--at", "2025-01-15T14:33:00+00:00"],
        ["resolve", "--at", "2025-01-15T14:45:00+00:00"],
    ],
    ids=["open", "ack", "note", "resolve"],
)
def test_unwritable_repository(writable_first: dict[str, str], read_only: Path, argv: list[str]) -> None:
    before = take_snapshot(read_only)
    result = inc_process(*[a.format(**writable_first) for a in argv], root=read_only, unprivileged=True, code=None)
    check_refused(result, ExitCode.STORAGE, "cannot write")
    assert take_snapshot(read_only) == before


def test_init_where_it_cannot_write(tmp_path: Path) -> None:
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        result = inc_process("init", parent / "repo", unprivileged=True, code=None)
    finally:
        parent.chmod(0o755)
    check_refused(result, ExitCode.STORAGE, "cannot create")
    assert list(parent.iterdir()) == []


def test_unwritable_incidents_folder_only(writable_first: dict[str, str], repo: Path) -> None:
    """The lock can be taken, but the incident cannot be replaced: nothing changes, no temp file."""
    folder = repo / "incidents"
    folder.chmod(0o555)
    try:
        before = take_snapshot(repo)
        result = inc_process(
            "note",
            writable_first["id"],
            "text",
            "--at",
            "2025-01-15T14:33:00+00:00",
            root=repo,
            unprivileged=True,
            code=None,
        )
        after = take_snapshot(repo)
    finally:
        folder.chmod(0o755)
    check_refused(result, ExitCode.STORAGE, "cannot write", writable_first["id"])
    assert after == before


def test_init_again_in_a_read_only_clone_still_says_nothing_changed(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(repo, clone, ignore=shutil.ignore_patterns(".incli"))
    clone.chmod(0o555)
    try:
        result = inc_process("init", clone, unprivileged=True)
    finally:
        clone.chmod(0o755)
    assert result.code == 0, result.stderr
    assert "nothing changed" in result.stderr
