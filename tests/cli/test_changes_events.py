"""inc changes lists the change events inc ingest received (PagerDuty's /v2/change/enqueue) beside
the commits: the service's own, in the window, with how long before impact (issue 17)."""

from __future__ import annotations

import errno
import json
import re
from pathlib import Path

import pytest

import tests.sourcepayloads as sp
from incli.errors import ExitCode
from incli.storage import changes, yamlio
from tests.conftest import Ran, check_refused, commit_all, git, inc


def test_change_events_of_the_service_are_listed_before_impact(tmp_path: Path, git_env: None) -> None:
    root = tmp_path / "r"
    inc("init", root)
    git(root, "init", "-q")
    config = root / "incli.yaml"
    config.write_text(
        config.read_text() + f"sources:\n  pagerduty:\n    routing_keys: {{{sp.ROUTING_KEY}: payments}}\n"
    )
    commit_all(root, "start")
    ident = inc(
        "open", "Card payments fail", "-s", "SEV2", "--service", "payments", "--at", "2025-01-15T14:30:00+00:00",
        root=root,
    ).stdout.strip()  # fmt: skip
    change = json.dumps(sp.pd_change())  # at 14:20:00.250, ten minutes before impact
    inc("ingest", "pagerduty", "-", "--path", "/v2/change/enqueue", input=change, root=root)
    rows = json.loads(inc("changes", ident, "--json", root=root).stdout)
    events = [r for r in rows if r["repo"] == "change-events"]
    assert [(e["subject"], e["author"], e["at"], e["before_impact_seconds"]) for e in events] == [
        ("Deploy checkout v2.14.1", "ci-pipeline-77", "2025-01-15T14:20:00.250000+00:00", 599)
    ]
    assert set(events[0]) == {"repo", "commit", "author", "at", "subject", "before_impact_seconds"}
    # Outside the window (--window 5m), it is not listed.
    narrow = json.loads(inc("changes", ident, "--window", "5m", "--json", root=root).stdout)
    assert [r for r in narrow if r["repo"] == "change-events"] == []


@pytest.mark.parametrize("service", ["search", None])
def test_change_events_of_other_services_are_left_out(tmp_path: Path, git_env: None, service: str | None) -> None:
    root = tmp_path / "r"
    inc("init", root)
    git(root, "init", "-q")
    config = root / "incli.yaml"
    config.write_text(
        config.read_text() + f"sources:\n  pagerduty:\n    routing_keys: {{{sp.ROUTING_KEY}: payments}}\n"
    )
    commit_all(root, "start")
    args = ["--service", service] if service else []
    ident = inc("open", "Slow", "-s", "SEV3", *args, "--at", "2025-01-15T14:30:00+00:00", root=root).stdout.strip()
    inc("ingest", "pagerduty", "-", "--path", "/v2/change/enqueue", input=json.dumps(sp.pd_change()), root=root)
    rows = json.loads(inc("changes", ident, "--json", root=root).stdout)
    assert [r for r in rows if r["repo"] == "change-events"] == []


@pytest.fixture
def receiving(repo: Path, git_env: None) -> Path:
    """A git repository whose PagerDuty routing key names the service payments."""
    git(repo, "init", "-q")
    config = repo / "incli.yaml"
    keys = f"sources:\n  pagerduty:\n    routing_keys: {{{sp.ROUTING_KEY}: payments}}\n"
    config.write_text(config.read_text() + keys)
    commit_all(repo, "start")
    return repo


def send_change(code: int | None = 0) -> Ran:
    body = json.dumps(sp.pd_change())
    return inc("ingest", "pagerduty", "-", "--path", "/v2/change/enqueue", input=body, code=code)


def test_a_change_event_is_one_file_named_by_its_day_and_content_and_a_repeat_writes_nothing(receiving: Path) -> None:
    assert send_change().stderr == "change recorded\n"
    files = list((receiving / "changes").iterdir())
    assert len(files) == 1 and re.fullmatch(r"2025-01-15-[0-9a-f]{16}\.yaml", files[0].name), files
    record = yamlio.load(files[0].read_bytes())
    assert record["summary"] == "Deploy checkout v2.14.1" and record["at"] == "2025-01-15T14:20:00.250000+00:00"
    before = files[0].read_bytes()
    assert send_change().stderr == "this change is already recorded\n"
    assert list((receiving / "changes").iterdir()) == files and files[0].read_bytes() == before


def test_a_changes_folder_outside_the_repository_or_not_a_folder_is_refused(receiving: Path, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (receiving / "changes").symlink_to(tmp_path / "elsewhere")
    outside = f"{receiving}/changes is outside the repository (a symlink?)"
    check_refused(send_change(code=None), ExitCode.STORAGE, outside)
    assert list((tmp_path / "elsewhere").iterdir()) == []
    (receiving / "changes").unlink()
    (receiving / "changes").write_text("")
    check_refused(send_change(code=None), ExitCode.STORAGE, f"cannot create {receiving}/changes: File exists")
    (receiving / "changes").unlink()
    (receiving / "elsewhere").mkdir()  # a link to a folder inside the repository is refused too
    (receiving / "changes").symlink_to(receiving / "elsewhere")
    check_refused(send_change(code=None), ExitCode.STORAGE, outside)


def test_change_events_behind_a_link_are_not_read(receiving: Path) -> None:
    ident = inc("open", "Slow", "-s", "SEV3", "--service", "payments", "--at", "2025-01-15T14:30:00+00:00").stdout
    (receiving / "elsewhere").mkdir()
    (receiving / "elsewhere" / "a.yaml").write_text(
        yamlio.dump({"at": "2025-01-15T14:10:00+00:00", "service": "payments", "summary": "behind a link"})
    )
    (receiving / "changes").symlink_to(receiving / "elsewhere")
    rows = inc("changes", ident.strip(), "--json").json
    assert [r for r in rows if r["repo"] == "change-events"] == []


def test_change_events_are_listed_newest_first_and_what_is_not_one_is_skipped(receiving: Path, tmp_path: Path) -> None:
    ident = inc("open", "Slow", "-s", "SEV3", "--service", "payments", "--at", "2025-01-15T14:30:00+00:00").stdout
    folder = receiving / "changes"
    folder.mkdir()

    def change(name: str, at: object, summary: str) -> None:
        (folder / name).write_text(yamlio.dump({"at": at, "service": "payments", "summary": summary}))

    change("a.yaml", "2025-01-15T14:10:00+00:00", "second")
    change("b.yaml", "2025-01-15T14:05:00+01:00", "first, in another zone")  # 13:05 UTC
    (folder / "c.yaml").write_text("at: 2025-01-15T14:20:00Z\nservice: payments\nsummary: unquoted\n")
    change("d.yaml", "2025-01-15T14:10:00+00:00", "same time: by file name")
    change("e.yaml", "2025-01-15T14:15:00", "no offset: never listed")
    change("f.yaml", "soon", "unreadable time: never listed")
    (folder / "g.yaml").write_text("[unclosed\n")
    (folder / "h.yaml").write_text("- a list\n")
    big = "at: '2025-01-15T14:12:00+00:00'\nservice: payments\nsummary: the largest read\n# "
    (folder / "i.yaml").write_text(big + "x" * (1_048_576 - len(big) - 1) + "\n")  # 1 MiB: read
    (folder / "i2.yaml").write_text(big.replace("largest", "too large") + "x" * 1_048_576 + "\n")
    (folder / "j.yaml").mkdir()
    (tmp_path / "k.yaml").write_text(yamlio.dump({"at": "2025-01-15T14:11:00+00:00", "service": "payments"}))
    (folder / "k.yaml").symlink_to(tmp_path / "k.yaml")
    change("l.txt", "2025-01-15T14:11:00+00:00", "not .yaml")
    change("m.yaml", "2025-01-15T14:14:00+00:00", "after the skipped files")
    rows = inc("changes", ident.strip(), "--json").json
    events = [(r["commit"], r["subject"]) for r in rows if r["repo"] == "change-events"]
    assert events == [("c", "unquoted"), ("m", "after the skipped files"), ("i", "the largest read"), ("a", "second"),
                      ("d", "same time: by file name"),
                      ("b", "first, in another zone")]  # fmt: skip


def test_a_change_that_cannot_be_written_is_one_line_naming_the_file(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(path: Path, data: bytes) -> bool:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(changes, "create_new", full)
    ran = inc("ingest", "pagerduty", "-", "--path", "/v2/change/enqueue", input=json.dumps(sp.pd_change()), code=None)
    assert ran.code == ExitCode.STORAGE
    assert re.fullmatch(
        r"inc: error: cannot write \S+/changes/2025-01-15-[0-9a-f]{16}\.yaml: No space left on device\n", ran.stderr
    ), ran.stderr
    assert list((repo / "changes").iterdir()) == []
