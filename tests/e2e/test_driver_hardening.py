"""The merge driver fails safe (issue 12, item 1): after the virtualenv that ran inc init
is moved or rebuilt, a pull that merges an incident file either merges both sides or
reports a conflict with both sides in the file; never only ours. inc validate says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Run
from tests.e2e.conftest import commit_all, git

pytestmark = [
    pytest.mark.skipif(
        subprocess.run(["git", "--version"], capture_output=True).returncode != 0, reason="git is not installed"
    ),
    pytest.mark.usefixtures("git_env"),
]

T0 = "2025-01-15T14:30:00+00:00"
GONE = "/nonexistent/venv/bin/python"


def inc(run: Run, clone: Path, *args: str) -> str:
    result = run("--dir", str(clone), *args)
    assert result.code == 0, f"inc {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


def fake_bin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripts: dict[str, str]) -> None:
    """Put small sh programs first on PATH (what a machine without incli has)."""
    folder = tmp_path / "fakebin"
    folder.mkdir(exist_ok=True)
    for name, body in scripts.items():
        path = folder / name
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}:{Path(sys.executable).parent}:/usr/bin:/bin")


NO_INCLI = {"inc": "exit 127", "python3": 'echo "python3: No module named incli" >&2; exit 1'}
WORKING_INC = {"inc": f'exec {sys.executable} -m incli "$@"', "python3": "exit 127"}


@pytest.fixture
def clones(tmp_path: Path, run: Run) -> tuple[Path, Path, str]:
    """Two clones with inc init in both and one shared incident."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    alice = tmp_path / "alice"
    git(tmp_path, "clone", "-q", str(remote), str(alice))
    git(alice, "checkout", "-q", "-b", "main")
    assert run("init", str(alice)).code == 0
    commit_all(alice, "incident repository")
    shared = inc(run, alice, "open", "Checkout errors", "-s", "SEV3", "--at", T0, "--by", "alice")
    commit_all(alice, "an incident")
    git(alice, "push", "-q", "-u", "origin", "main")
    bob = tmp_path / "bob"
    git(tmp_path, "clone", "-q", str(remote), str(bob))
    assert run("init", str(bob)).code == 0
    return alice, bob, shared


def conflicting_notes(run: Run, alice: Path, bob: Path, shared: str) -> Path:
    """A note on each side of the same incident; Alice's is pushed, Bob's committed."""
    inc(run, alice, "note", shared, "Alice restarted the pool", "--at", "2025-01-15T14:40:00+00:00", "--by", "a")
    commit_all(alice, "alice's note")
    git(alice, "push", "-q")
    inc(run, bob, "note", shared, "Bob paged the DBA", "--at", "2025-01-15T14:35:00+00:00", "--by", "b")
    commit_all(bob, "bob's note")
    return bob / "incidents" / f"{shared}.yaml"


def both_sides_kept(path: Path) -> None:
    text = path.read_text()
    assert "Alice restarted the pool" in text and "Bob paged the DBA" in text


def test_the_driver_merges_both_sides_when_the_recorded_python_is_gone_but_inc_is_on_path(
    run: Run, clones: tuple[Path, Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob, shared = clones
    driver = git(bob, "config", "merge.incli.driver").stdout.strip()
    git(bob, "config", "merge.incli.driver", driver.replace(sys.executable, GONE))
    path = conflicting_notes(run, alice, bob, shared)
    fake_bin(tmp_path, monkeypatch, WORKING_INC)
    pulled = git(bob, "pull", "-q", "--no-rebase", "--no-edit", check=False)
    assert pulled.returncode == 0, pulled.stderr
    both_sides_kept(path)
    assert "<<<<<<<" not in path.read_text()
    assert git(bob, "status", "--porcelain").stdout == ""


def test_no_incli_anywhere_is_a_conflict_with_both_sides_in_the_file(
    run: Run, clones: tuple[Path, Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob, shared = clones
    driver = git(bob, "config", "merge.incli.driver").stdout.strip()
    git(bob, "config", "merge.incli.driver", driver.replace(sys.executable, GONE))
    path = conflicting_notes(run, alice, bob, shared)
    fake_bin(tmp_path, monkeypatch, NO_INCLI)
    pulled = git(bob, "pull", "--no-rebase", "--no-edit", check=False)
    assert pulled.returncode != 0 and "CONFLICT" in pulled.stdout + pulled.stderr
    both_sides_kept(path)
    assert "<<<<<<<" in path.read_text()
    assert git(bob, "diff", "--name-only", "--diff-filter=U").stdout.split() == [f"incidents/{shared}.yaml"]
    checked = run("--dir", str(bob), "validate")
    assert checked.code != 0 and "git conflict marker" in checked.stdout
    assert "run inc init again" in checked.stdout


def test_a_missing_launcher_is_a_conflict_with_both_sides_and_validate_says_so(
    run: Run, clones: tuple[Path, Path, str]
) -> None:
    alice, bob, shared = clones
    (bob / ".incli" / "merge-driver").unlink()
    checked = run("--dir", str(bob), "validate")
    assert checked.code != 0
    assert "merge driver launcher" in checked.stdout and "run inc init again" in checked.stdout
    path = conflicting_notes(run, alice, bob, shared)
    pulled = git(bob, "pull", "--no-rebase", "--no-edit", check=False)
    assert pulled.returncode != 0 and "CONFLICT" in pulled.stdout + pulled.stderr
    both_sides_kept(path)
    assert "<<<<<<<" in path.read_text()


def test_an_old_style_registration_with_a_gone_python_is_reported_and_init_repairs_it(
    run: Run, clones: tuple[Path, Path, str]
) -> None:
    """What inc init recorded before the launcher: '<python> -m incli merge-driver ...'."""
    alice, bob, shared = clones
    git(bob, "config", "merge.incli.driver", f"{GONE} -m incli merge-driver %O %A %B %P")
    checked = run("--dir", str(bob), "validate")
    assert checked.code != 0 and GONE in checked.stdout and "run inc init again" in checked.stdout
    again = run("init", str(bob))
    assert again.code == 0 and "Registered the incli merge driver" in again.stderr
    assert run("--dir", str(bob), "validate").code == 0
    path = conflicting_notes(run, alice, bob, shared)
    pulled = git(bob, "pull", "-q", "--no-rebase", "--no-edit", check=False)
    assert pulled.returncode == 0, pulled.stderr
    both_sides_kept(path)


def test_init_records_a_launcher_and_validate_is_clean(run: Run, clones: tuple[Path, Path, str]) -> None:
    _alice, bob, _shared = clones
    driver = git(bob, "config", "merge.incli.driver").stdout
    assert ".incli/merge-driver" in driver and "%O %A %B %P" in driver and sys.executable in driver
    assert (bob / ".incli" / "merge-driver").is_file()
    assert git(bob, "status", "--porcelain").stdout == ""  # .incli/ is ignored
    checked = run("--dir", str(bob), "validate")
    assert checked.code == 0, checked.stdout
    again = run("init", str(bob))
    assert again.code == 0 and "merge driver" not in again.stderr  # nothing to redo
