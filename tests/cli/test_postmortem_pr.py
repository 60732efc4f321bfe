"""inc postmortem pr (issue 17): a branch with the postmortem, made without touching the work tree;
a pull request through gh when it is on PATH (reviewers: the service's owners), the branch and a
body file otherwise."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import commit_all, git, inc


@pytest.fixture
def clone(tmp_path: Path, git_env: None, monkeypatch: pytest.MonkeyPatch) -> Path:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    root = tmp_path / "incidents"
    root.mkdir()
    git(root, "init", "-q")
    inc("init", root)
    (root / "catalog.yaml").write_text("services:\n  payments:\n    owners: [alice, bob]\n")
    commit_all(root, "Start")
    git(root, "remote", "add", "origin", str(remote))
    monkeypatch.setenv("INC_DIR", str(root))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    git_path = shutil.which("git")
    assert git_path is not None
    (bin_dir / "git").symlink_to(git_path)
    monkeypatch.setenv("PATH", str(bin_dir))  # git, and no gh
    return root


def open_with_postmortem(root: Path) -> str:
    ident = inc("open", "Card payments fail", "-s", "SEV2", "--service", "payments", "--by", "carol").stdout.strip()
    inc("resolve", ident)
    inc("postmortem", "new", ident)
    inc("postmortem", "add", ident, "root_causes", "The pool was too small")
    return ident


def test_without_gh_the_branch_and_the_body_file(clone: Path) -> None:
    ident = open_with_postmortem(clone)
    status_before = git(clone, "status", "--porcelain").stdout
    head_before = git(clone, "rev-parse", "HEAD").stdout
    result = inc("postmortem", "pr", ident)
    branch = f"postmortem/{ident}"
    assert result.stdout == f"{branch}\n"
    assert "pull request body:" in result.stderr and "--reviewer alice --reviewer bob" in result.stderr
    # the work tree, the index and the checked-out branch are as they were
    assert git(clone, "status", "--porcelain").stdout == status_before
    assert git(clone, "rev-parse", "HEAD").stdout == head_before
    files = git(clone, "ls-tree", "-r", "--name-only", branch).stdout.split()
    assert f"incidents/{ident}.yaml" in files and f"postmortems/{ident}.md" in files
    rendered = git(clone, "show", f"{branch}:postmortems/{ident}.md").stdout
    assert rendered.startswith("# Postmortem: Card payments fail") and "The pool was too small" in rendered
    body = clone / ".incli" / "pr" / f"{ident}.md"
    assert "The pool was too small" in body.read_text()
    commits = int(git(clone, "rev-list", "--count", branch).stdout)
    again = inc("postmortem", "pr", ident, "--json").json
    assert again["branch"] == branch and again["gh"] is False and again["reviewers"] == ["alice", "bob"]
    assert int(git(clone, "rev-list", "--count", branch).stdout) == commits + 1  # one more commit on the branch


def test_with_gh_the_branch_is_pushed_and_gh_opens_the_request(clone: Path, tmp_path: Path) -> None:
    ident = open_with_postmortem(clone)
    log = tmp_path / "gh-args"
    gh = tmp_path / "bin" / "gh"
    gh.write_text(
        f'#!/bin/sh\nfor a in "$@"; do echo "$a"; done > {log}\necho https://github.com/acme/incidents/pull/7\n'
    )
    gh.chmod(0o755)
    result = inc("postmortem", "pr", ident, env={"PATH": os.environ["PATH"] + ":/bin:/usr/bin"})
    assert result.stdout == "https://github.com/acme/incidents/pull/7\n"
    args = log.read_text().splitlines()
    assert args[:4] == ["pr", "create", "--head", f"postmortem/{ident}"]
    assert args[args.index("--title") + 1] == "Postmortem: Card payments fail"
    assert [args[i + 1] for i, a in enumerate(args) if a == "--reviewer"] == ["alice", "bob"]
    assert "The pool was too small" in Path(args[args.index("--body-file") + 1]).read_text()
    remote_branches = git(tmp_path, "--git-dir", str(tmp_path / "remote.git"), "branch").stdout
    assert f"postmortem/{ident}" in remote_branches
