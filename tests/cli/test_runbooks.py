"""Runbooks and response checklists (issue 17): runbooks attached by service, alert (name and
runbook_url annotation) and severity; checklist tasks with deadlines, done in the timeline,
overdue in inc status and inc remind, counted in the postmortem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incli.domain.runbooks import path_from_url
from incli.errors import ExitCode
from incli.storage import yamlio
from tests import alertpayloads as ap
from tests.conftest import check_refused, inc

CONFIG = """
runbooks:
  severity: {SEV1: [runbooks/major.md]}
  alerts: {DBConnectionPoolExhausted: [runbooks/db-pool.md]}
checklists:
  SEV1:
    - Assign a commander
    - {task: First stakeholder update within 15 minutes, within: 15m}
    - {task: Open a channel, within: 5m}
    - Page the owner
    - Post in the status channel
  default:
    - Open a channel
hooks:
  task_overdue:
    - run: [sh, -c, 'cat >> "$0"', HOOKLOG]
"""


@pytest.fixture
def books(repo: Path) -> Path:
    (repo / "runbooks").mkdir()
    for name, text in (
        ("payments", "# Payments\n\n1. Check the pool\n"),
        ("db-pool", "# DB pool\n"),
        ("major", "# Major\n"),
    ):
        (repo / "runbooks" / f"{name}.md").write_text(text)
    (repo / "catalog.yaml").write_text("services:\n  payments:\n    runbooks: [runbooks/payments.md]\n")
    log = repo.parent / "hook.log"
    with (repo / "incli.yaml").open("a") as handle:
        handle.write(CONFIG.replace("HOOKLOG", str(log)))
    return repo


def test_open_says_which_runbooks_apply_and_inc_runbook_shows_the_first(books: Path) -> None:
    opened = inc("open", "Card payments fail", "-s", "SEV1", "--service", "payments")
    ident = opened.stdout.strip()
    assert f"Runbook: runbooks/payments.md (for service payments); see inc runbook {ident}" in opened.stderr
    assert "Runbook: runbooks/major.md (for severity SEV1)" in opened.stderr
    shown = inc("runbook", ident)
    assert shown.stdout == "# Payments\n\n1. Check the pool\n"
    other = inc("open", "Slow pages", "-s", "SEV3", "--service", "web").stdout.strip()
    check_refused(inc("runbook", other, code=None), ExitCode.NOT_FOUND, "no runbook applies")


def test_an_alert_attaches_its_runbook_by_name_and_by_runbook_url(books: Path) -> None:
    payload = ap.notification([ap.alert("db-1:9187", fingerprint="a1")])
    ingested = inc("ingest", "alertmanager", "-", input=json.dumps(payload))
    ident = ingested.stdout.strip()
    assert "Runbook: runbooks/db-pool.md (for alert DBConnectionPoolExhausted)" in ingested.stderr
    assert inc("runbook", ident).stdout == "# DB pool\n"
    (books / "runbooks" / "checkout.md").write_text("# Checkout\n")
    linked = ap.alert("db-2:9187", fingerprint="b2")
    linked["annotations"]["runbook_url"] = "https://github.com/acme/incidents/blob/main/runbooks/checkout.md"
    payload = ap.notification([linked], group_key='{}:{alertname="Other"}')
    ident = inc("ingest", "alertmanager", "-", input=json.dumps(payload)).stdout.strip()
    assert inc("runbook", ident).stdout == "# Checkout\n"


def test_runbook_urls_outside_the_repository_never_count() -> None:
    assert path_from_url("runbooks/a.md") == "runbooks/a.md"
    assert path_from_url("https://gitlab.com/acme/ops/-/blob/main/runbooks/b.md") == "runbooks/b.md"
    assert path_from_url("https://wiki.example.com/runbooks/a") is None
    assert path_from_url("/etc/passwd") is None
    assert path_from_url("../../secret.md") is None
    assert path_from_url("https://github.com/a/b/blob/main/../../x.md") is None


def test_a_linked_runbook_outside_the_repository_is_not_read(books: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.md").write_text("top secret")
    (books / "runbooks" / "payments.md").unlink()
    (books / "runbooks" / "payments.md").symlink_to(tmp_path / "secret.md")
    ident = inc("open", "Card payments fail", "-s", "SEV2", "--service", "payments").stdout.strip()
    result = inc("runbook", ident, code=None)
    assert "top secret" not in result.stdout and result.code != 0


def test_checklist_tasks_deadlines_status_remind_and_postmortem(books: Path) -> None:
    ident = inc("open", "Card payments fail", "-s", "SEV1", "--service", "payments", "--at", "30m ago").stdout.strip()
    tasks = inc("task", "list", ident, "--json").json
    assert [t["title"] for t in tasks][:3] == [
        "Assign a commander",
        "First stakeholder update within 15 minutes",
        "Open a channel",
    ]
    assert [t["late"] for t in tasks] == [False, True, True, False, False]
    inc("task", "done", ident, "T1", "--by", "ann")
    inc("task", "done", ident, "open a channel", "--at", "27m ago")  # within its 5 minutes
    inc("task", "done", ident, "page", "--by", "ann")
    inc("task", "done", ident, "T5")
    shown = inc("show", ident, "--json").json
    assert shown["tasks"][0]["by"] == "ann" and shown["tasks"][0]["done_at"]
    assert "Done: Assign a commander" in [e["text"] for e in shown["timeline"]]
    status = inc("status").stdout
    assert "Overdue tasks" in status and "T2 First stakeholder update within 15 minutes" in status
    inc("remind")
    log = (books.parent / "hook.log").read_text()
    assert '"id": "' + ident + '"' in log and log.count('"kind": "opened"') == 1
    inc("remind")
    assert (books.parent / "hook.log").read_text() == log  # once per overdue task
    text = inc("postmortem", "render", ident).stdout
    assert "Response checklist: 4 of 5 done, 1 late" in text


def test_bad_task_commands_and_checklists_are_refused(books: Path) -> None:
    ident = inc("open", "Slow", "-s", "SEV3").stdout.strip()
    assert [t["title"] for t in inc("task", "list", ident, "--json").json] == ["Open a channel"]
    inc("task", "done", ident, "T1")
    check_refused(inc("task", "done", ident, "T1", code=None), ExitCode.CONFLICT, "done already")
    check_refused(inc("task", "done", ident, "T9", code=None), ExitCode.INVALID, "T1 (Open a channel)")
    config = books / "incli.yaml"
    config.write_text(config.read_text().replace("  default:", "  SEV9: [x]\n  default:"))
    check_refused(inc("task", "list", ident, code=None), ExitCode.INVALID, "checklists.SEV9")


def test_a_runbook_is_shown_up_to_its_size_limit_and_bad_bytes_do_not_stop_it(books: Path) -> None:
    ident = inc("open", "Card payments fail", "-s", "SEV2", "--service", "payments").stdout.strip()
    path = books / "runbooks" / "payments.md"
    path.write_bytes(b"# Payments \xff\n" + b"x" * (1024 * 1024 - 14) + b"\n")  # exactly 1 MiB
    shown = inc("runbook", ident).stdout
    assert shown.startswith("# Payments \ufffd\n") and len(shown) == 1024 * 1024
    path.write_bytes(b"x" * (1024 * 1024 + 1))
    check_refused(
        inc("runbook", ident, code=None),
        ExitCode.PROBLEMS,
        "runbook runbooks/payments.md: 1,048,577 bytes is over the limit of 1,048,576",
    )


@pytest.mark.usefixtures("frozen_clock")  # now: 2026-06-01 12:00:00.5 UTC
def test_tasks_as_json_and_which_are_late(books: Path) -> None:
    ident = inc("open", "Down", "-s", "SEV1", "--at", "2026-06-01T11:40:00.5Z").stdout.strip()
    inc("task", "done", ident, "t2", "--at", "2026-06-01T11:55:00.5Z", "--by", "ann")  # on its deadline
    inc("task", "done", ident, "3", "--at", "2026-06-01T11:45:00.6Z")  # a moment after its five minutes
    tasks = inc("task", "list", ident, "--json").json
    assert tasks[:3] == [
        {"id": "T1", "title": "Assign a commander", "due_at": None, "done_at": None, "by": None, "late": False},
        {
            "id": "T2",
            "title": "First stakeholder update within 15 minutes",
            "due_at": "2026-06-01T11:55:00.500000+00:00",
            "done_at": "2026-06-01T11:55:00.500000+00:00",
            "by": "ann",
            "late": False,
        },
        {
            "id": "T3",
            "title": "Open a channel",
            "due_at": "2026-06-01T11:45:00.500000+00:00",
            "done_at": "2026-06-01T11:45:00.600000+00:00",
            "by": tasks[2]["by"],
            "late": True,
        },
    ]


@pytest.mark.usefixtures("frozen_clock")
def test_tasks_are_written_into_the_incident_file(books: Path) -> None:
    ident = inc("open", "Down", "-s", "SEV1", "--at", "2026-06-01T11:40:00Z").stdout.strip()
    stored = yamlio.load((books / "incidents" / f"{ident}.yaml").read_bytes())["tasks"]
    assert stored[:2] == [
        {"id": "T1", "title": "Assign a commander", "due_at": None, "done_at": None, "by": None},
        {
            "id": "T2",
            "title": "First stakeholder update within 15 minutes",
            "due_at": "2026-06-01T11:55:00+00:00",
            "done_at": None,
            "by": None,
        },
    ]


def test_a_task_is_named_by_its_id_or_a_unique_part_of_its_title(books: Path) -> None:
    ident = inc("open", "Down", "-s", "SEV1").stdout.strip()
    assert inc("task", "done", ident, "commander").stderr == f"{ident}: T1 done (Assign a commander)\n"
    listed = (
        "T1 (Assign a commander), T2 (First stakeholder update within 15 minutes), T3 (Open a channel), "
        "T4 (Page the owner), T5 (Post in the status channel)"
    )
    check_refused(inc("task", "done", ident, "channel", code=None), ExitCode.INVALID,
                  f"'channel' names several task of {ident}; one of: {listed}")  # fmt: skip
    check_refused(inc("task", "done", ident, "pager", code=None), ExitCode.INVALID,
                  f"'pager' names no task of {ident}; one of: {listed}")  # fmt: skip
    check_refused(inc("task", "done", ident, " ", code=None), ExitCode.INVALID, "' ' names no task")
    path = books / "incidents" / f"{ident}.yaml"
    path.write_text(path.read_text().replace("- id: T4", "- idx: T4"))  # a hand edit leaves T4 without an id
    assert [t["id"] for t in inc("task", "list", ident, "--json").json] == ["T1", "T2", "T3", "T5"]
    bare = inc("open", "Other", "-s", "SEV2", "--service", "payments").stdout.strip()
    path = books / "incidents" / f"{bare}.yaml"
    path.write_text(path.read_text().split("tasks:")[0])
    check_refused(inc("task", "done", bare, "T1", code=None), ExitCode.INVALID,
                  f"{bare} has no tasks (checklists: in incli.yaml creates them)")  # fmt: skip


def test_a_task_time_without_an_offset_or_unreadable_is_no_deadline(books: Path) -> None:
    ident = inc("open", "Down", "-s", "SEV1", "--at", "1h ago").stdout.strip()
    path = books / "incidents" / f"{ident}.yaml"
    text = path.read_text()
    due = [line for line in text.splitlines() if "due_at: '" in line]
    text = text.replace(due[0], "  due_at: '2026-06-01T12:05:00'").replace(due[1], "  due_at: soon")
    path.write_text(text)
    tasks = {t["id"]: t for t in inc("task", "list", ident, "--json").json}
    assert tasks["T2"]["due_at"] is None and tasks["T3"]["due_at"] is None and not tasks["T2"]["late"]
