"""inc init in a git repository registers the merge driver and commits .gitattributes when git
knows who is committing; without an identity it writes the file and says to commit it (issue 19:
only the subprocess tests, which a mutation run cannot use, looked at this)."""

from __future__ import annotations

from pathlib import Path

import pytest

from incli.errors import ExitCode
from tests.conftest import git, inc

ATTRIBUTES = "incidents/*.yaml merge=incli\nmaintenance/*.yaml merge=incli\n"


@pytest.mark.usefixtures("git_env")
def test_init_commits_the_attributes_when_git_knows_the_author(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    ran = inc("init", root)
    assert "Committed .gitattributes: incidents/*.yaml merge=incli, maintenance/*.yaml merge=incli" in ran.stderr
    assert (root / ".gitattributes").read_text() == ATTRIBUTES
    assert git(root, "log", "--format=%s").stdout == "incli: merge incident files with the incli driver\n"
    assert git(root, "status", "--porcelain", ".gitattributes").stdout == ""


@pytest.mark.usefixtures("git_home")
def test_init_without_a_git_identity_writes_the_attributes_and_says_to_commit_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for who in ("AUTHOR", "COMMITTER"):
        for what in ("NAME", "EMAIL"):
            monkeypatch.delenv(f"GIT_{who}_{what}", raising=False)
    monkeypatch.setenv("EMAIL", "")
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.useConfigOnly", "true")
    ran = inc("init", root)
    assert (
        "Added 'incidents/*.yaml merge=incli, maintenance/*.yaml merge=incli' to .gitattributes; "
        "not committed (git has no user.name/email): commit it"
    ) in ran.stderr
    assert (root / ".gitattributes").read_text() == ATTRIBUTES
    assert git(root, "log", check=False).returncode != 0  # no commit at all


@pytest.mark.usefixtures("git_env")
def test_validate_checks_the_merge_driver_of_a_git_dir_named_by_git_dir(tmp_path: Path) -> None:
    """A checkout whose repository is elsewhere (GIT_DIR and GIT_WORK_TREE, no .git in it or
    above): inc validate still finds that the driver git would run is missing."""
    root = tmp_path / "r"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    inc("init", root)
    (root / ".git").rename(tmp_path / "gitdir")
    (root / ".incli" / "merge-driver").unlink()
    assert inc("validate", root=root).code == 0  # no .git: git finds no repository, nothing to check
    env = {"GIT_DIR": str(tmp_path / "gitdir"), "GIT_WORK_TREE": str(root)}
    found = inc("validate", root=root, env=env, code=ExitCode.PROBLEMS).stdout
    assert f"the incli merge driver launcher {root}/.incli/merge-driver is missing" in found, found
