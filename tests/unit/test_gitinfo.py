"""What incli asks git (storage/gitinfo.py), against real repositories (issue 19: the mutation run found
these answers reached only through the slower e2e tests, or not at all): the work tree's status with
renames, conflicted files, the branch and its upstream, the local config file, remotes, identity,
git's reason for a failure in one line, a branch committed without touching the work tree, a line
merge, and the commits and tags a time window holds."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from incli.storage import gitinfo
from tests.conftest import commit_all, git

pytestmark = [
    pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed"),
    pytest.mark.usefixtures("git_env"),
]


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    root = tmp_path / "work"
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    (root / "a.txt").write_text("one\n")
    (root / "b.txt").write_text("two\n")
    commit_all(root, "start")
    return root


def test_status_lists_each_change_with_its_two_letter_code(clone: Path) -> None:
    assert gitinfo.status(clone) == []
    git(clone, "mv", "a.txt", "renamed.txt")
    git(clone, "mv", "b.txt", "z.txt")
    (clone / "z.txt").write_text("changed\n")
    (clone / "new dir").mkdir()
    (clone / "new dir" / "c.txt").write_text("new\n")
    (clone / "d").write_text("x")  # a one-letter name: the shortest entry git writes
    # Each rename's original name follows it (git's -z format): skipped.
    assert gitinfo.status(clone) == [("R ", "renamed.txt"), ("RM", "z.txt"), ("??", "d"), ("??", "new dir/c.txt")]
    assert gitinfo.status(clone.parent) is None  # not a repository


def test_the_branch_its_upstream_remotes_and_the_work_tree(clone: Path, tmp_path: Path) -> None:
    assert gitinfo.current_branch(clone) == "main"
    assert gitinfo.is_work_tree(clone) and not gitinfo.is_work_tree(clone / ".git")
    assert not gitinfo.is_work_tree(tmp_path)
    assert gitinfo.remotes(clone) == [] and not gitinfo.has_upstream(clone)
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(clone, "remote", "add", "origin", str(remote))
    git(clone, "remote", "add", "backup", str(remote))
    assert sorted(gitinfo.remotes(clone)) == ["backup", "origin"]
    git(clone, "push", "-q", "-u", "origin", "main")
    assert gitinfo.has_upstream(clone)
    git(clone, "checkout", "-q", "--detach")
    assert gitinfo.current_branch(clone) is None
    assert gitinfo.current_branch(tmp_path) is None and gitinfo.remotes(tmp_path) == []


def test_conflicted_files_after_a_merge_that_stops(clone: Path) -> None:
    git(clone, "checkout", "-q", "-b", "other")
    (clone / "a.txt").write_text("theirs\n")
    commit_all(clone, "theirs")
    git(clone, "checkout", "-q", "main")
    (clone / "a.txt").write_text("ours\n")
    commit_all(clone, "ours")
    assert gitinfo.conflicted(clone) == []
    assert git(clone, "merge", "-q", "other", check=False).returncode != 0
    assert gitinfo.conflicted(clone) == ["a.txt"]
    assert gitinfo.conflicted(clone.parent) == []


def test_the_local_config_file_and_its_values(clone: Path, tmp_path: Path) -> None:
    assert gitinfo.config_file(clone) == (clone / ".git" / "config").resolve()
    linked = tmp_path / "linked"
    git(clone, "worktree", "add", "-q", str(linked))
    assert gitinfo.config_file(linked) == (clone / ".git" / "config").resolve()  # shared by the worktrees
    assert gitinfo.config_file(tmp_path) == tmp_path / ".git" / "config"  # outside a repository: the usual place
    gitinfo.config_set(clone, "merge.incli.name", "incli")
    assert gitinfo.config_get(clone, "merge.incli.name") == "incli"
    assert gitinfo.config_get(clone, "merge.nothing.name") is None
    with pytest.raises(OSError, match=r"^git config bad key failed: error: [^\n]*bad key$"):
        gitinfo.config_set(clone, "bad key", "x")


def test_identity_comes_from_git_then_the_environment(clone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    git(clone, "config", "user.email", "alice@example.com")
    git(clone, "config", "user.name", "Alice")
    assert gitinfo.user_email(clone) == "alice@example.com" and gitinfo.user_name(clone) == "Alice"
    git(clone, "config", "--unset", "user.email")
    git(clone, "config", "--unset", "user.name")
    assert gitinfo.user_email(clone) is None
    monkeypatch.setenv("USER", "bob")
    assert gitinfo.user_name(clone) == "bob"
    monkeypatch.delenv("USER")
    monkeypatch.setenv("USERNAME", "carol")
    assert gitinfo.user_name(clone) == "carol"
    monkeypatch.delenv("USERNAME")
    assert gitinfo.user_name(clone) is None


def test_git_can_commit_only_with_a_whole_identity(clone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert gitinfo.has_identity(clone)  # from GIT_AUTHOR_* and GIT_COMMITTER_* (git_env)
    git(clone, "config", "user.useConfigOnly", "true")
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.delenv(f"GIT_{who}_NAME")
        monkeypatch.delenv(f"GIT_{who}_EMAIL")
    assert not gitinfo.has_identity(clone)
    git(clone, "config", "user.name", "Alice")
    assert not gitinfo.has_identity(clone)  # a name without an email is not enough
    git(clone, "config", "user.email", "alice@example.com")
    assert gitinfo.has_identity(clone)


def test_a_failing_step_says_why_in_one_line_without_hints(clone: Path, tmp_path: Path) -> None:
    assert gitinfo.run_step(clone, ["status", "--short"]) is None
    said = gitinfo.run_step(clone, ["push", "nowhere", "main"])
    assert said is not None and "nowhere" in said and "\n" not in said and not said.startswith("hint:")
    assert gitinfo.run_step(clone, ["checkout", "-q", "no-such-branch"]) == (
        "error: pathspec 'no-such-branch' did not match any file(s) known to git"
    )
    empty = gitinfo.run_step(clone, ["diff", "--quiet", "HEAD~0"])  # fails only when there is a change
    assert empty is None
    (clone / "a.txt").write_text("changed\n")
    assert gitinfo.run_step(clone, ["diff", "--quiet"]) == "git exited with 1"  # no output at all


def test_git_hints_are_left_out_of_the_reason(clone: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(clone, "remote", "add", "origin", str(remote))
    git(clone, "push", "-q", "-u", "origin", "main")
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(remote), str(other))
    commit_all_empty = ["commit", "-q", "--allow-empty", "-m"]
    git(other, *commit_all_empty, "theirs")
    git(other, "push", "-q")
    git(clone, *commit_all_empty, "ours")
    said = gitinfo.run_step(clone, ["pull", "--quiet"])  # divergent: git says how to choose in hint: lines first
    assert said == "fatal: Need to specify how to reconcile divergent branches."


def test_without_git_every_answer_says_so(clone: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(clone))  # a PATH without git
    assert gitinfo.run_step(clone, ["status"]) == "git is not installed or did not answer"
    assert gitinfo.status(clone) is None and gitinfo.toplevel(clone) is None
    with pytest.raises(OSError, match="git is not installed or did not answer"):
        gitinfo.commit_to_branch(clone, "postmortem/x", {"a.md": b"x"}, "m")
    assert gitinfo.config_file(clone) == clone / ".git" / "config"
    monkeypatch.setenv("USER", "night-owl")  # who did it: the login name, never a crash
    assert gitinfo.user_name(clone) == "night-owl" and gitinfo.user_email(clone) is None


def test_a_branch_is_committed_without_touching_the_work_tree(clone: Path) -> None:
    before = gitinfo.status(clone)
    head = git(clone, "rev-parse", "HEAD").stdout.strip()
    first = gitinfo.commit_to_branch(clone, "postmortem/inc-1", {"docs/pm.md": b"# One\n"}, "Postmortem")
    assert git(clone, "rev-parse", "postmortem/inc-1").stdout.strip() == first
    assert git(clone, "rev-parse", f"{first}^").stdout.strip() == head
    assert git(clone, "show", f"{first}:docs/pm.md").stdout == "# One\n"
    assert git(clone, "show", f"{first}:a.txt").stdout == "one\n"  # the rest of HEAD's tree
    second = gitinfo.commit_to_branch(clone, "postmortem/inc-1", {"docs/pm.md": b"# Two\n"}, "Again")
    assert git(clone, "rev-parse", f"{second}^").stdout.strip() == first  # moved forward, not reset
    assert git(clone, "log", "-1", "--format=%s", second).stdout.strip() == "Again"
    assert gitinfo.status(clone) == before and gitinfo.current_branch(clone) == "main"
    with pytest.raises(OSError, match=r"^'bad name' is not a branch name$|^git check-ref-format failed"):
        gitinfo.commit_to_branch(clone, "bad name", {"a.md": b"x"}, "m")


def test_git_s_reason_is_one_line_even_when_it_is_not_utf8(clone: Path) -> None:
    """A name from bytes that are not UTF-8 (os.fsdecode's surrogates): git echoes them back."""
    with pytest.raises(OSError, match=r"^git check-ref-format failed: fatal: .*\ufffd"):
        gitinfo.commit_to_branch(clone, "bad \udcff name", {"a.md": b"x"}, "m")


def test_a_step_that_does_not_answer_in_time_is_given_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A push to a remote that hangs: the step's own time limit ends it, with a reason."""
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "git").write_text("#!/bin/sh\nsleep 5\n")
    (fake / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    assert gitinfo.run_step(tmp_path, ["push"], timeout=0.5) == "git is not installed or did not answer"


def test_a_commit_s_subject_and_a_tag_s_name_and_subject_are_kept_whole(clone: Path) -> None:
    commit_at(clone, "x.py", "2025-01-15T12:00:00+00:00", "Support X")
    found = gitinfo.log_changes(clone, "2025-01-15T11:00:00+00:00", "2025-01-15T14:00:00+00:00", [])
    assert found is not None and [f[3] for f in found] == ["Support X"]
    env = {**os.environ, "GIT_COMMITTER_DATE": "2025-01-15T13:30:00+00:00"}
    subprocess.run(["git", "tag", "-a", "Xmas-fix-X", "-m", "Xtra fix X"], cwd=clone, env=env, check=True)
    tags = gitinfo.tags_created(clone)
    assert tags is not None and [(t[0], t[4]) for t in tags] == [("Xmas-fix-X", "Xtra fix X")]


def test_a_commit_with_a_field_separator_in_its_subject_hides_no_other(clone: Path) -> None:
    # git keeps a control character of a commit message; the record that holds one is not
    # split into the wrong fields, and the commits before and after it are listed
    commit_at(clone, "a.py", "2025-01-15T12:00:00+00:00", "First")
    commit_at(clone, "b.py", "2025-01-15T12:10:00+00:00", "Odd \x1f subject")
    commit_at(clone, "c.py", "2025-01-15T12:20:00+00:00", "Last")
    found = gitinfo.log_changes(clone, "2025-01-15T11:00:00+00:00", "2025-01-15T14:00:00+00:00", [])
    assert found is not None
    subjects = [f[3] for f in found]
    assert subjects[0] == "Last" and subjects[-1] == "First"
    assert all(len(f[0]) == 40 and f[1] == "Tester" for f in found)


def test_a_branch_needs_a_commit_to_start_from(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    git(tmp_path, "init", "-q", str(empty))
    with pytest.raises(OSError, match=r"^git rev-parse failed: fatal: "):
        gitinfo.commit_to_branch(empty, "postmortem/x", {"a.md": b"x"}, "m")


def test_a_line_merge_keeps_both_sides_between_markers(tmp_path: Path) -> None:
    base, ours, theirs = (tmp_path / n for n in ("base", "ours", "theirs"))
    base.write_text("a\nb\nc\n")
    ours.write_text("a\nB\nc\n")
    theirs.write_text("a\nb2\nc\n")
    assert gitinfo.merge_file(ours, base, theirs)
    assert ours.read_text() == "a\n<<<<<<< ours\nB\n=======\nb2\n>>>>>>> theirs\nc\n"
    ours.write_text("a\nB\nc\n")
    theirs.write_text("a\nb\nc\nd\n")
    assert gitinfo.merge_file(ours, base, theirs) and ours.read_text() == "a\nB\nc\nd\n"
    assert not gitinfo.merge_file(ours, tmp_path / "missing", theirs)


def commit_at(root: Path, name: str, at: str, message: str) -> None:
    (root / name).write_text(message)
    git(root, "add", "-A")
    env = {**os.environ, "GIT_AUTHOR_DATE": at, "GIT_COMMITTER_DATE": at}
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=root, env=env, check=True)


def test_the_commits_and_tags_of_a_window(clone: Path) -> None:
    commit_at(clone, "src.py", "2025-01-15T12:00:00+00:00", "Raise pool size")
    commit_at(clone, "docs.md", "2025-01-15T13:00:00+00:00", "Docs only")
    git(clone, "checkout", "-q", "-b", "side")
    commit_at(clone, "side.py", "2025-01-15T13:10:00+00:00", "Side work")
    git(clone, "checkout", "-q", "main")
    env = {**os.environ, "GIT_AUTHOR_DATE": "2025-01-15T13:20:00+00:00", "GIT_COMMITTER_DATE": "2025-01-15T13:20:00Z"}
    subprocess.run(["git", "merge", "-q", "--no-ff", "-m", "Merge side", "side"], cwd=clone, env=env, check=True)
    env = {**os.environ, "GIT_COMMITTER_DATE": "2025-01-15T13:30:00+00:00"}
    subprocess.run(["git", "tag", "-a", "v2", "-m", "Release 2"], cwd=clone, env=env, check=True)
    git(clone, "tag", "light")  # a lightweight tag: only a name, no creation of its own
    found = gitinfo.log_changes(clone, "2025-01-15T11:00:00+00:00", "2025-01-15T14:00:00+00:00", [])
    assert found is not None
    assert [(f[1], f[2], f[3], f[4]) for f in found] == [
        ("Tester", "2025-01-15T13:20:00+00:00", "Merge side", True),
        ("Tester", "2025-01-15T13:10:00+00:00", "Side work", False),
        ("Tester", "2025-01-15T13:00:00+00:00", "Docs only", False),
        ("Tester", "2025-01-15T12:00:00+00:00", "Raise pool size", False),
    ]
    assert all(len(f[0]) == 40 for f in found)
    only_src = gitinfo.log_changes(clone, "2025-01-15T11:00:00+00:00", "2025-01-15T14:00:00+00:00", ["src.py"])
    assert only_src is not None and [f[3] for f in only_src] == ["Raise pool size"]
    assert gitinfo.log_changes(clone.parent, "2025-01-15", "2025-01-16", []) is None
    tags = gitinfo.tags_created(clone)
    assert tags is not None and [(t[0], t[2], t[3], t[4]) for t in tags] == [
        ("v2", "2025-01-15T13:30:00+00:00", "Tester", "Release 2")
    ]
    assert tags[0][1] == git(clone, "rev-parse", "HEAD").stdout.strip()  # the commit it points to
    assert gitinfo.tags_created(clone.parent) is None
