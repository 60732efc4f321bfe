"""Git-native teamwork with real git: a bare remote, two clones, the incli merge driver,
inc sync and auto-commit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from incli.storage import yamlio
from tests.conftest import inc
from tests.e2e.conftest import INC, commit_all, git, inc_process

pytestmark = [
    pytest.mark.skipif(
        subprocess.run(["git", "--version"], capture_output=True).returncode != 0, reason="git is not installed"
    ),
    pytest.mark.usefixtures("git_env"),
]


def load(path: Path) -> dict[str, Any]:
    data = yamlio.load(path.read_bytes())
    assert isinstance(data, dict)
    return data


def set_field(path: Path, key: str, value: str) -> None:
    """What a person does with inc edit: change one field in the file."""
    data = load(path)
    data[key] = value
    path.write_text(yamlio.dump(data))


@pytest.fixture
def clones(tmp_path: Path) -> tuple[Path, Path]:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    alice = tmp_path / "alice"
    git(tmp_path, "clone", "-q", str(remote), str(alice))
    git(alice, "checkout", "-q", "-b", "main")
    result = inc("init", str(alice))
    assert result.code == 0 and "Registered the incli merge driver" in result.stderr
    assert "Committed .gitattributes" in result.stderr
    assert (alice / ".gitattributes").read_text() == "incidents/*.yaml merge=incli\nmaintenance/*.yaml merge=incli\n"
    commit_all(alice, "incident repository")
    git(alice, "push", "-q", "-u", "origin", "main")
    bob = tmp_path / "bob"
    git(tmp_path, "clone", "-q", str(remote), str(bob))
    before = {p: p.read_bytes() for p in bob.rglob("*") if p.is_file() and ".git" not in p.parts}
    result = inc("init", str(bob))
    assert result.code == 0 and "Registered the incli merge driver" in result.stderr
    after = {p: p.read_bytes() for p in bob.rglob("*") if p.is_file() and not {".git", ".incli"} & set(p.parts)}
    assert after == {p: b for p, b in before.items() if p in after} and set(after) <= set(before)
    assert git(bob, "status", "--porcelain").stdout == ""
    assert sys.executable in git(bob, "config", "merge.incli.driver").stdout
    return alice, bob


def entries(path: Path) -> set[tuple[str, str, str]]:
    return {(e["at"], e["kind"], e["text"]) for e in load(path)["timeline"]}


def test_two_clones_change_the_same_incidents_and_merge_without_conflict(clones: tuple[Path, Path]) -> None:
    alice, bob = clones
    t0 = "2025-01-15T14:30:00+00:00"
    shared = inc("open", "Checkout errors", "-s", "SEV3", "--at", t0, "--by", "alice", root=alice).stdout.strip()
    done = inc(
        "open", "Login slow", "-s", "SEV2", "--at", "2025-01-15T10:00:00+00:00", "--by", "alice", root=alice
    ).stdout.strip()
    inc("resolve", done, "--at", "2025-01-15T11:00:00+00:00", "--by", "alice", root=alice)
    inc("postmortem", "new", done, "--by", "alice", root=alice)
    commit_all(alice, "two incidents")
    git(alice, "push", "-q")
    git(bob, "pull", "-q", "--no-rebase")

    # Alice, offline.
    inc("note", shared, "Restarted the pool", "--at", "2025-01-15T14:40:00+00:00", "--by", "alice", root=alice)
    inc("ack", shared, "--at", "2025-01-15T14:45:00+00:00", "--by", "alice", root=alice)
    inc("severity", shared, "SEV2", "--at", "2025-01-15T14:46:00+00:00", "--by", "alice", root=alice)
    set_field(alice / "incidents" / f"{shared}.yaml", "title", "Checkout 500s")
    new_a = inc("open", "Alice's new one", "-s", "SEV4", "--by", "alice", root=alice).stdout.strip()
    inc("action", "add", done, "Add a login latency alert", "--owner", "alice", "--due", "2025-02-01", root=alice)
    inc("postmortem", "add", done, "summary", "Logins took 30 s for an hour.", root=alice)
    inc("postmortem", "add", done, "root-cause", "Session store evictions", root=alice)
    # Bob, offline, on the same incidents.
    inc("note", shared, "Paged the DBA", "--at", "2025-01-15T14:35:00+00:00", "--by", "bob", root=bob)
    inc("ack", shared, "--at", "2025-01-15T14:38:00+00:00", "--by", "bob", root=bob)
    inc("severity", shared, "SEV1", "--at", "2025-01-15T14:50:00+00:00", "--by", "bob", root=bob)
    set_field(bob / "incidents" / f"{shared}.yaml", "title", "Payment provider timeouts")
    new_b = inc("open", "Bob's new one", "-s", "SEV4", "--by", "bob", root=bob).stdout.strip()
    inc("action", "add", done, "Size the session store", "--owner", "bob", "--due", "2025-02-02", root=bob)
    inc("postmortem", "add", done, "impact", "All users were slowed down.", root=bob)
    inc("postmortem", "add", done, "lesson", "Watch eviction rates", root=bob)

    files = [f"incidents/{shared}.yaml", f"incidents/{done}.yaml"]
    wrote = {clone: {f: entries(clone / f) for f in files} for clone in (alice, bob)}
    commit_all(alice, "alice's changes")
    commit_all(bob, "bob's changes")
    git(alice, "push", "-q")
    pulled = git(bob, "pull", "--no-rebase", "--no-edit")
    assert "CONFLICT" not in pulled.stdout + pulled.stderr
    git(bob, "push", "-q")
    git(alice, "pull", "-q", "--no-rebase", "--no-edit")

    for name in files:
        assert (alice / name).read_bytes() == (bob / name).read_bytes()
        merged = entries(alice / name)
        assert wrote[alice][name] | wrote[bob][name] <= merged
    assert (
        {p.name for p in (alice / "incidents").glob("*.yaml")}
        == {f"{i}.yaml" for i in (shared, done, new_a, new_b)}
        == {p.name for p in (bob / "incidents").glob("*.yaml")}
    )
    assert new_a != new_b

    incident = load(alice / files[0])
    assert incident["severity"] == "SEV1"
    assert incident["acknowledged_at"] == "2025-01-15T14:38:00+00:00" and incident["status"] == "acknowledged"
    texts = [e["text"] for e in incident["timeline"]]
    assert {"Checkout 500s", "Payment provider timeouts"} == {
        incident["title"],
        *(t.removeprefix("Merge: title was also changed to ") for t in texts if "title" in t),
    }
    postmortem = load(alice / files[1])
    assert postmortem["postmortem"]["summary"] == "Logins took 30 s for an hour."
    assert postmortem["postmortem"]["impact"] == "All users were slowed down."
    assert postmortem["postmortem"]["root_causes"] == ["Session store evictions"]
    assert postmortem["postmortem"]["lessons"] == ["Watch eviction rates"]
    assert sorted(a["title"] for a in postmortem["actions"]) == ["Add a login latency alert", "Size the session store"]
    for clone in (alice, bob):
        result = inc("validate", root=clone)
        assert result.code == 0, result.stdout
        assert git(clone, "status", "--porcelain").stdout == ""


def test_postmortem_text_edited_on_both_sides_is_kept_and_pointed_at(clones: tuple[Path, Path]) -> None:
    alice, bob = clones
    ident = inc("open", "Queue stuck", "-s", "SEV2", "--at", "2025-01-15T10:00:00+00:00", root=alice).stdout.strip()
    inc("resolve", ident, "--at", "2025-01-15T11:00:00+00:00", root=alice)
    inc("postmortem", "new", ident, root=alice)
    commit_all(alice, "incident")
    git(alice, "push", "-q")
    git(bob, "pull", "-q", "--no-rebase")
    inc("postmortem", "add", ident, "summary", "A consumer deadlocked.", root=alice)
    inc("postmortem", "add", ident, "summary", "The broker stopped delivering.", root=bob)
    commit_all(alice, "a")
    commit_all(bob, "b")
    git(alice, "push", "-q")
    pulled = git(bob, "pull", "--no-rebase", "--no-edit")
    assert "CONFLICT" not in pulled.stdout + pulled.stderr
    postmortem = load(bob / "incidents" / f"{ident}.yaml")["postmortem"]
    summary = postmortem["summary"]
    assert "A consumer deadlocked." in summary and "The broker stopped delivering." in summary
    assert postmortem["conflicts"] == ["summary"]
    validated = inc("validate", root=bob, code=None)
    assert validated.code == 6 and "postmortem.summary: a merge kept two versions" in validated.stdout
    checked = inc("postmortem", "check", ident, root=bob, code=None)
    assert checked.code != 0 and "summary: a merge kept two versions" in checked.stdout


def test_a_side_that_cannot_be_read_falls_back_to_a_git_conflict(clones: tuple[Path, Path]) -> None:
    alice, bob = clones
    ident = inc("open", "Disk full", "-s", "SEV2", root=alice).stdout.strip()
    commit_all(alice, "incident")
    git(alice, "push", "-q")
    git(bob, "pull", "-q", "--no-rebase")
    path_a, path_b = (c / "incidents" / f"{ident}.yaml" for c in (alice, bob))
    inc("note", ident, "Cleared the logs", root=alice)
    path_b.write_text(path_b.read_text().replace("title:", "title: [unclosed"))
    commit_all(alice, "a")
    commit_all(bob, "b: broken by hand")
    git(alice, "push", "-q")
    pulled = git(bob, "pull", "--no-rebase", "--no-edit", check=False)
    assert pulled.returncode != 0 and "CONFLICT" in pulled.stdout
    assert git(bob, "diff", "--name-only", "--diff-filter=U").stdout.split() == [f"incidents/{ident}.yaml"]
    text = path_b.read_text()
    assert "Cleared the logs" in text and "[unclosed" in text  # git's line merge: both sides kept
    result = inc("validate", root=bob, code=None)
    assert result.code == 6 and "not valid YAML" in result.stdout


def test_the_driver_exits_1_with_a_line_merge_on_a_corrupt_side(tmp_path: Path) -> None:
    good = (
        "schema: 1\nid: INC-20250115-abcde\ntitle: T\nseverity: SEV2\nstatus: open\n"
        "opened_at: '2025-01-15T14:30:00+00:00'\nstarted_at: '2025-01-15T14:30:00+00:00'\n"
        "detected_at: '2025-01-15T14:30:00+00:00'\ntimeline: []\n"
    )
    base, ours, theirs = (tmp_path / n for n in ("base", "ours", "theirs"))
    base.write_text(good)
    ours.write_text(good.replace("title: T", "title: Ours"))
    for bad in ("<<<<<<< HEAD\n" + good, "title: [unclosed\n", "- a list\n", "title: no id\n"):
        theirs.write_text(bad)
        result = inc_process("merge-driver", base, ours, theirs, "incidents/x.yaml", cwd=tmp_path, code=None)
        assert result.code == 1 and "incli merge driver" in result.stderr
        # git's ordinary line merge: both sides' text kept, conflict markers where they differ.
        assert "title: Ours" in ours.read_text()
        ours.write_text(good.replace("title: T", "title: Ours"))
    theirs.write_text(good.replace("severity: SEV2", "severity: SEV1"))
    ran = inc("merge-driver", str(base), str(ours), str(theirs))
    assert ran.code == 0
    merged = load(ours)
    assert merged["title"] == "Ours" and merged["severity"] == "SEV1"


def test_sync_refuses_then_pulls_and_pushes(tmp_path: Path, clones: tuple[Path, Path]) -> None:
    alice, bob = clones
    plain = tmp_path / "plain"
    assert inc("init", str(plain)).code == 0
    refused = inc("sync", root=plain, code=None)
    assert refused.code == 4 and "not in a git repository" in refused.stderr

    ident = inc("open", "Cache cold", "-s", "SEV3", root=alice).stdout.strip()
    refused = inc("sync", root=alice, code=None)
    assert refused.code == 5 and f"uncommitted incident changes (incidents/{ident}.yaml)" in refused.stderr
    (alice / "notes.txt").write_text("mine\n")
    refused = inc("sync", "--commit", root=alice, code=None)
    assert refused.code == 5 and "outside the incident repository (notes.txt)" in refused.stderr
    (alice / "notes.txt").unlink()
    synced = inc("sync", "--commit", root=alice)
    assert synced.code == 0 and "Pushed" in synced.stderr, synced.stderr
    ran = inc("sync", root=bob)
    assert ran.code == 0 and (bob / "incidents" / f"{ident}.yaml").is_file()

    # Both change the incident; alice pushes first, bob's push is merged by sync.
    inc("note", ident, "Warmed it", root=alice)
    inc("note", ident, "Checked hit rate", root=bob)
    assert inc("sync", "--commit", root=alice).code == 0
    git(bob, "commit", "-qam", "bob")
    assert git(bob, "push", "-q", check=False).returncode != 0  # rejected: alice pushed first
    ran = inc("sync", root=bob)
    assert ran.code == 0, ran.stderr
    assert inc("sync", root=alice).code == 0
    texts = {e["text"] for e in load(alice / "incidents" / f"{ident}.yaml")["timeline"]}
    assert {"Warmed it", "Checked hit rate"} <= texts

    lonely = tmp_path / "lonely"
    git(tmp_path, "init", "-q", str(lonely))
    assert inc("init", str(lonely)).code == 0
    refused = inc("sync", root=lonely, code=None)
    assert refused.code == 4 and "no remote" in refused.stderr


def test_auto_commit_commits_exactly_what_was_written(tmp_path: Path, clones: tuple[Path, Path]) -> None:
    alice, _bob = clones
    config = alice / "incli.yaml"
    config.write_text(config.read_text() + "git:\n  commit: true\n")
    commit_all(alice, "auto-commit on")
    (alice / "draft.md").write_text("not ready\n")
    git(alice, "add", "draft.md")
    ident = inc("open", "API down", "-s", "SEV1", "--by", "alice", root=alice).stdout.strip()
    inc("ack", ident, "--by", "carol", root=alice)
    log = git(alice, "log", "--format=%s", "-2").stdout.splitlines()
    assert log == [f"inc ack {ident} (carol)", f"inc open {ident} (alice)"]
    assert git(alice, "show", "--name-only", "--format=", "HEAD").stdout.split() == [f"incidents/{ident}.yaml"]
    assert git(alice, "status", "--porcelain").stdout == "A  draft.md\n"  # still staged, not committed


def test_init_in_a_subfolder_of_a_git_work_tree_adjusts_the_pattern(tmp_path: Path) -> None:
    top = tmp_path / "work"
    git(tmp_path, "init", "-q", str(top))
    (top / ".gitattributes").write_text("*.png binary")  # no final newline
    (top / "staged.txt").write_text("mine\n")
    git(top, "add", "staged.txt")
    assert inc("init", str(top / "ops" / "incidents-repo")).code == 0
    assert (top / ".gitattributes").read_text() == (
        "*.png binary\nops/incidents-repo/incidents/*.yaml merge=incli\n"
        "ops/incidents-repo/maintenance/*.yaml merge=incli\n"
    )
    assert git(top, "show", "--name-only", "--format=", "HEAD").stdout.split() == [".gitattributes"]
    assert "A  staged.txt" in git(top, "status", "--porcelain").stdout
    again = inc("init", str(top / "ops" / "incidents-repo"))
    assert again.code == 0 and ".gitattributes" not in again.stderr
    assert git(top, "rev-list", "--count", "HEAD").stdout.strip() == "1"


def test_a_burst_of_auto_committing_writers_loses_nothing(clones: tuple[Path, Path]) -> None:
    alice, _bob = clones
    config = alice / "incli.yaml"
    config.write_text(config.read_text() + "git:\n  commit: true\n")
    ident = inc("open", "Burst", "-s", "SEV3", "--by", "alice", root=alice).stdout.strip()
    commit_all(alice, "auto-commit on")
    writers = [
        subprocess.Popen(
            [*INC, "--dir", str(alice), "note", ident, f"wave {n}", "--by", "w"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(6)
    ]
    warnings = [w.communicate()[1] for w in writers]
    assert all(w.returncode == 0 for w in writers)
    assert not [line for text in warnings for line in text.splitlines() if "warning" in line]
    texts = {e["text"] for e in load(alice / "incidents" / f"{ident}.yaml")["timeline"]}
    assert {f"wave {n}" for n in range(6)} <= texts
    assert git(alice, "status", "--porcelain").stdout == ""
