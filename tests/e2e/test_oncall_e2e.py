"""On call with real processes: overrides added on two clones merge through the incli driver,
and an inc remind killed while its hooks run never pages the same level again."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from incli.storage import yamlio
from tests.conftest import inc
from tests.e2e.conftest import commit_all, git, inc_process

pytestmark = pytest.mark.skipif(
    subprocess.run(["git", "--version"], capture_output=True).returncode != 0, reason="git is not installed"
)

NEW = ["oncall", "new", "primary", "--rotation", "alice,bob", "--every", "1w", "--handoff", "mon 09:00",
       "--tz", "Europe/Berlin", "--start", "2026-10-19"]  # fmt: skip


@pytest.mark.usefixtures("git_env")
def test_overrides_added_on_two_clones_merge_without_conflict(tmp_path: Path) -> None:
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    git(tmp_path, "clone", "-q", str(remote), str(alice))
    git(alice, "checkout", "-q", "-b", "main")
    inc("init", alice)
    made = inc(*NEW, root=alice)
    assert "oncall/*.yaml merge=incli" in made.stderr
    assert (alice / ".gitattributes").read_text() == (
        "incidents/*.yaml merge=incli\nmaintenance/*.yaml merge=incli\noncall/*.yaml merge=incli\n"
    )
    commit_all(alice, "schedule")
    git(alice, "push", "-q", "-u", "origin", "main")
    git(tmp_path, "clone", "-q", str(remote), str(bob))
    inc("init", bob)
    inc("oncall", "override", "primary", "--who", "carol", "--from", "2026-10-21T08:00Z", "--to", "2026-10-22T08:00Z",
        "--reason", "alice at a wedding", "--by", "alice", root=alice)  # fmt: skip
    inc("oncall", "override", "primary", "--who", "dave", "--from", "2026-10-28T08:00Z", "--to", "2026-10-29T08:00Z",
        "--by", "bob", root=bob)  # fmt: skip
    commit_all(alice, "carol covers")
    git(alice, "push", "-q")
    commit_all(bob, "dave covers")
    pulled = git(bob, "pull", "-q", "--no-rebase", "--no-edit", check=False)
    assert pulled.returncode == 0, pulled.stdout + pulled.stderr
    data = yamlio.load((bob / "oncall" / "primary.yaml").read_bytes())
    assert [o["who"] for o in data["overrides"]] == ["carol", "dave"]
    assert inc("validate", root=bob).code == 0
    at = {at: inc("oncall", "--at", at, "--json", root=bob).json[0]["on_call"] for at in
          ("2026-10-21T12:00Z", "2026-10-28T12:00Z", "2026-10-23T12:00Z")}  # fmt: skip
    assert at == {"2026-10-21T12:00Z": "carol", "2026-10-28T12:00Z": "dave", "2026-10-23T12:00Z": "alice"}


def test_a_remind_killed_while_paging_never_pages_that_level_twice(repo: Path, tmp_path: Path) -> None:
    log = tmp_path / "pages.log"
    config = repo / "incli.yaml"
    config.write_text(
        config.read_text().replace("escalate_to: VP Engineering", "escalate_to: carol")
        + "hooks:\n"
        + "  escalated:\n    - run: [sh, -c, 'kill -9 $PPID']\n"  # the clock dies before the page hooks
        + f"  page:\n    - run: [sh, -c, 'echo \"$INC_PAGE_HANDLE $INC_PAGE_LEVEL\" >> {log}']\n"
    )
    inc(*NEW)
    incident = inc_process("open", "Down", "-s", "SEV1", "--at", "2026-10-20T10:00Z").stdout.strip()
    crashed = inc_process("remind", "--at", "2026-10-20T10:05Z", code=None)
    assert crashed.code == -9
    inc_process("remind", "--at", "2026-10-20T10:05Z")
    inc_process("remind", "--at", "2026-10-20T10:06Z")
    assert log.read_text() == "alice 1\n"  # level 2 was recorded, then the process died: never sent twice
    kinds = [(e["kind"], e["text"]) for e in inc("show", incident, "--json").json["timeline"]]
    assert kinds.count(("escalated", "Escalated to level 2: carol, not acknowledged within 5m")) == 1
    assert kinds.count(("paged", "Paged carol (level 2)")) == 1


def test_ingest_serve_runs_the_escalation_clock(repo: Path) -> None:
    import sys

    inc("oncall", "new", "primary", "--rotation", "alice", "--every", "1d", "--handoff", "09:00", "--tz", "UTC",
        "--start", "2025-01-06")  # fmt: skip
    incident = inc("open", "Down", "-s", "SEV1", "--at", "10m ago").stdout.strip()  # level 2 is due already
    proc = subprocess.Popen(
        [sys.executable, "-m", "incli", "--dir", str(repo), "ingest", "serve", "--port", "0", "--escalate-every", "1s"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        assert "listening on" in proc.stderr.readline()
        line = proc.stderr.readline()
        assert f"inc: escalated: {incident} Escalated to level 2: VP Engineering" in line
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    texts = [e["text"] for e in inc("show", incident, "--json").json["timeline"]]
    assert "Escalation due: VP Engineering (level 2)" in texts
