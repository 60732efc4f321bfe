"""inc changes (issue 17): the commits, merges and tags before impact, read with git log from the
code repositories of the catalog (two here, with commits before, during and after the incident)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from incli.errors import ExitCode
from tests.conftest import check_refused, git, inc

START = "2025-01-15T14:30:00+00:00"


def commit(clone: Path, path: str, at: str, message: str, author: str = "Tester") -> None:
    file = clone / path
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(file.read_text() + message + "\n" if file.exists() else message + "\n")
    git(clone, "add", "-A")
    env_at = {"GIT_AUTHOR_DATE": at, "GIT_COMMITTER_DATE": at, "GIT_AUTHOR_NAME": author}
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=clone, env={**os.environ, **env_at}, check=True)


@pytest.fixture
def world(tmp_path: Path, git_env: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path | str]:
    """An incident repository whose catalog names five services across two code repositories."""
    api, web = tmp_path / "api", tmp_path / "web"
    for clone in (api, web):
        clone.mkdir()
        git(clone, "init", "-q")
    commit(api, "src/pool.py", "2025-01-14T10:00:00+00:00", "Too early")
    commit(api, "src/pool.py", "2025-01-15T12:00:00+00:00", "Raise pool size", author="priya")
    commit(api, "docs/readme.md", "2025-01-15T13:00:00+00:00", "Docs only")
    commit(api, "src/pool.py", "2025-01-15T14:40:00+00:00", "Hotfix the pool")
    commit(api, "src/pool.py", "2025-01-15T18:00:00+00:00", "After the resolution")
    commit(web, "app/page.js", "2025-01-15T14:00:00+00:00", "Ship the new checkout page")
    env = {"GIT_COMMITTER_DATE": "2025-01-15T14:10:00+00:00"}
    subprocess.run(["git", "tag", "-a", "v2", "-m", "Release 2"], cwd=web, env={**os.environ, **env}, check=True)
    root = tmp_path / "incidents-repo"
    root.mkdir()
    git(root, "init", "-q")
    inc("init", root)
    (root / "catalog.yaml").write_text(
        "services:\n"
        "  payments:\n    code: [{repo: ../api, paths: [src/]}, {repo: ../web}]\n    depends_on: [db]\n"
        "  db: {}\n  cache: {}\n  web:\n    code: [{repo: ../web, paths: [app/]}]\n"
        "  ghost:\n    code: [{repo: ../missing}]\n"
    )
    monkeypatch.setenv("INC_DIR", str(root))
    opened = ("--at", "2025-01-15T14:35", "--started-at", START)
    ident = inc("open", "Pool exhausted", "-s", "SEV2", "--service", "payments", *opened).stdout.strip()
    inc("resolve", ident, "--at", "2025-01-15T15:00")
    return {"root": root, "id": ident}


def test_changes_lists_commits_and_tags_before_and_during_impact_newest_first(world: dict[str, Path | str]) -> None:
    found = inc("changes", world["id"], "--json").json
    assert [(c["repo"], c["subject"]) for c in found] == [
        ("../api", "Hotfix the pool"),
        ("../web", "tag v2: Release 2"),
        ("../web", "Ship the new checkout page"),
        ("../api", "Raise pool size"),
    ]
    assert set(found[0]) == {"repo", "commit", "author", "at", "subject", "before_impact_seconds"}
    assert found[0]["before_impact_seconds"] == -600  # ten minutes into the incident
    assert found[3] | {"commit": ""} == {
        "repo": "../api",
        "commit": "",
        "author": "priya",
        "at": "2025-01-15T12:00:00+00:00",
        "subject": "Raise pool size",
        "before_impact_seconds": 9000,
    }
    assert len(found[3]["commit"]) == 40
    narrow = inc("changes", world["id"], "--window", "1h", "--json").json
    assert [c["subject"] for c in narrow] == ["Hotfix the pool", "tag v2: Release 2", "Ship the new checkout page"]
    table = inc("changes", world["id"]).stdout
    assert "2h 30m before" in table and "10m into it" in table


def test_the_postmortem_shows_the_changes_before_impact(world: dict[str, Path | str]) -> None:
    text = inc("postmortem", "render", world["id"]).stdout
    section = text.split("## Changes in the 24 hours before impact\n\n")[1].split("\n\n")[0]
    assert section.splitlines()[0].startswith("- 2025-01-15 14:10 (20 minutes before impact) ../web")
    assert "Hotfix the pool" not in section and "Raise pool size" in section


def test_a_code_repository_that_does_not_exist_is_refused(world: dict[str, Path | str]) -> None:
    ident = inc("open", "Ghost", "-s", "SEV3", "--service", "ghost").stdout.strip()
    check_refused(inc("changes", ident, code=None), ExitCode.INVALID, "../missing", "does not exist")
    check_refused(inc("changes", world["id"], "--window", "soon", code=None), ExitCode.INVALID, "soon")


def test_without_a_catalog_entry_the_whole_history_of_this_repository_is_read(world: dict[str, Path | str]) -> None:
    root = Path(world["root"])
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "Describe the services")
    ident = inc("open", "Something else", "-s", "SEV3", "--service", "unlisted").stdout.strip()
    found = inc("changes", ident, "--json").json
    assert {c["repo"] for c in found} == {"."} and found[0]["subject"] == "Describe the services"
    assert found[0]["before_impact_seconds"] >= 0
