"""Driving incidents through their lifecycle with the CLI (in-process)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from incli.errors import ExitCode
from tests.conftest import T0, Run

INCIDENT_KEYS = [
    "id",
    "title",
    "severity",
    "status",
    "service",
    "summary",
    "commander",
    "roles",
    "tags",
    "drill",
    "opened_at",
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "timeline",
]
ENTRY_KEYS = ["at", "kind", "by", "text"]
KINDS = {
    "opened",
    "acknowledged",
    "mitigated",
    "resolved",
    "reopened",
    "note",
    "update",
    "severity_changed",
    "assigned",
}


def at(clock: str) -> str:
    """A time on the example day: at("14:32") -> 2025-01-15T14:32:00+00:00."""
    return f"2025-01-15T{clock}:00+00:00"


def open_incident(run: Run, title: str = "Database connection pool exhausted", *extra: str) -> str:
    result = run("open", title, "-s", "SEV2", "--at", T0, "--by", "ann", *extra)
    assert result.code == 0, result.stderr
    return result.stdout.strip()


def read(repo: Path, incident_id: str) -> dict:
    return yaml.safe_load((repo / "incidents" / f"{incident_id}.yaml").read_text())


def test_full_lifecycle_backfilled(repo: Path, run: Run) -> None:
    opened = run(
        "open",
        "Database connection pool exhausted",
        "-s",
        "SEV2",
        "--service",
        "payments-api",
        "--summary",
        "Checkout fails",
        "--at",
        T0,
        "--started-at",
        at("14:25"),
        "--detected-at",
        at("14:28"),
        "--by",
        "ann",
        "--commander",
        "ann",
        "--tag",
        "db",
        "--tag",
        "pool",
    )
    assert opened.code == 0, opened.stderr
    incident_id = opened.stdout.strip()
    assert opened.stdout == incident_id + "\n"  # the id alone
    assert incident_id.startswith("INC-20250115-")

    assert run("ack", "--at", at("14:32"), "--by", "bob").code == 0
    assert run("note", "Pool at 100/100 connections", "--at", at("14:35"), "--by", "bob").code == 0
    assert run("update", "Checkout degraded; restarting the pool", "--at", at("14:36"), "--by", "cy").code == 0
    assert run("mitigate", "--note", "restarted the pool", "--at", at("14:40"), "--by", "bob").code == 0
    resolved = run("resolve", incident_id, "--at", at("14:45"), "--by", "bob")
    assert resolved.code == 0, resolved.stderr
    assert resolved.stdout == ""  # messages go to stderr

    data = read(repo, incident_id)
    assert data["schema"] == 1
    assert data["status"] == "resolved"
    assert data["started_at"] == at("14:25")
    assert data["detected_at"] == at("14:28")
    assert data["opened_at"] == T0
    assert data["acknowledged_at"] == at("14:32")
    assert data["mitigated_at"] == at("14:40")
    assert data["resolved_at"] == at("14:45")
    assert data["commander"] == "ann"
    assert data["tags"] == ["db", "pool"]
    assert [e["kind"] for e in data["timeline"]] == [
        "opened",
        "assigned",
        "acknowledged",
        "note",
        "update",
        "mitigated",
        "resolved",
    ]
    assert data["timeline"][5]["text"] == "Mitigated: restarted the pool"
    assert data["timeline"][5]["by"] == "bob"
    # the keys are written in the fixed order
    text = (repo / "incidents" / f"{incident_id}.yaml").read_text()
    top = [line.split(":")[0] for line in text.splitlines() if line and not line.startswith((" ", "-"))]
    assert top == ["schema", *INCIDENT_KEYS]

    shown = run("show", incident_id)
    assert shown.code == 0
    assert "Time to resolve" in shown.stdout and "20 minutes" in shown.stdout
    assert "Time to acknowledge" in shown.stdout and "4 minutes" in shown.stdout


def test_show_and_list_json_keys(repo: Path, run: Run) -> None:
    first = open_incident(run)
    run("ack", first, "--at", at("14:32"))
    second = run("open", "Cache misses", "-s", "3", "--at", at("15:00")).stdout.strip()
    shown = run("show", first, "--json")
    assert shown.code == 0
    data = shown.json
    assert list(data) == INCIDENT_KEYS
    assert data["id"] == first
    assert data["acknowledged_at"] == at("14:32")
    assert data["mitigated_at"] is None and data["resolved_at"] is None
    assert data["roles"] == {} and data["tags"] == [] and data["drill"] is False
    for entry in data["timeline"]:
        assert list(entry) == ENTRY_KEYS
        assert entry["kind"] in KINDS
    listed = run("list", "--json").json
    assert isinstance(listed, list)
    assert [i["id"] for i in listed] == [second, first]  # newest first
    for item in listed:
        assert list(item) == INCIDENT_KEYS


def test_open_json_prints_the_incident(repo: Path, run: Run) -> None:
    result = run("open", "Disk full", "-s", "4", "--at", T0, "--json", "--drill")
    assert result.code == 0
    assert list(result.json) == INCIDENT_KEYS
    assert result.json["drill"] is True
    assert result.json["severity"] == "SEV4"


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("SEV2", "SEV2"),
        ("sev2", "SEV2"),
        ("2", "SEV2"),
        ("high", "SEV2"),
        ("HIGH", "SEV2"),
        ("critical", "SEV1"),
        ("4", "SEV4"),
    ],
)
def test_severity_forms(repo: Path, run: Run, given: str, stored: str) -> None:
    result = run("open", "x", "-s", given, "--at", T0, "--json")
    assert result.code == 0, result.stderr
    assert result.json["severity"] == stored


def test_started_and_detected_default_to_declaration(repo: Path, run: Run) -> None:
    data = run("open", "x", "-s", "1", "--at", T0, "--json").json
    assert data["started_at"] == data["detected_at"] == data["opened_at"] == T0


def test_skip_forward_resolve_from_open(repo: Path, run: Run) -> None:
    incident_id = open_incident(run)
    assert run("resolve", "--at", at("14:50")).code == 0
    data = read(repo, incident_id)
    assert data["status"] == "resolved"
    assert data["acknowledged_at"] is None and data["mitigated_at"] is None
    assert data["resolved_at"] == at("14:50")


def test_reopen_then_resolve_again(repo: Path, run: Run) -> None:
    incident_id = open_incident(run)
    run("ack", "--at", at("14:32"))
    run("mitigate", "--at", at("14:40"))
    run("resolve", "--at", at("14:45"))
    reopened = run("reopen", incident_id, "--note", "errors are back", "--at", at("15:10"))
    assert reopened.code == 0, reopened.stderr
    data = read(repo, incident_id)
    assert data["status"] == "reopened"
    assert data["resolved_at"] is None and data["mitigated_at"] is None
    assert data["acknowledged_at"] == at("14:32")  # the first acknowledgement stays
    assert data["timeline"][-1]["kind"] == "reopened"
    assert data["timeline"][-1]["text"] == "Reopened: errors are back"
    # active again: the id may be left out
    assert run("ack", "--at", at("15:12")).code == 0
    refused = run("mitigate", "--at", at("15:05"))  # before the reopening
    assert refused.code == ExitCode.CONFLICT
    assert run("resolve", "--at", at("15:30")).code == 0
    data = read(repo, incident_id)
    assert data["status"] == "resolved" and data["resolved_at"] == at("15:30")


def test_reopen_needs_a_resolved_incident(repo: Path, run: Run, snapshot) -> None:
    incident_id = open_incident(run)
    before = snapshot(repo)
    result = run("reopen", incident_id)
    assert result.code == ExitCode.CONFLICT
    assert "not resolved" in result.stderr
    assert snapshot(repo) == before


@pytest.mark.parametrize(
    ("setup", "command", "words"),
    [
        (["resolve"], "ack", "resolved"),
        (["resolve"], "mitigate", "resolved"),
        (["resolve"], "resolve", "already resolved"),
        (["ack"], "ack", "already acknowledged"),
        (["mitigate"], "ack", "already mitigated"),
        (["mitigate"], "mitigate", "already mitigated"),
    ],
)
def test_refused_transitions(repo: Path, run: Run, snapshot, setup: list[str], command: str, words: str) -> None:
    incident_id = open_incident(run)
    for step in setup:
        assert run(step, incident_id, "--at", at("14:40")).code == 0
    before = snapshot(repo)
    result = run(command, incident_id, "--at", at("14:50"))
    assert result.code == ExitCode.CONFLICT
    assert len(result.err_lines) == 1 and words in result.stderr
    assert snapshot(repo) == before


def test_times_out_of_order_refused(repo: Path, run: Run, snapshot) -> None:
    incident_id = open_incident(run)
    run("ack", "--at", at("14:35"))
    before = snapshot(repo)
    for command, when in (("ack", "14:29"), ("mitigate", "14:34"), ("resolve", "14:20")):
        result = run(command, incident_id, "--at", at(when))
        assert result.code == ExitCode.CONFLICT, (command, result.stderr)
        assert len(result.err_lines) == 1
        assert "order" in result.stderr or "already" in result.stderr
    assert snapshot(repo) == before


def test_open_with_times_out_of_order_refused(repo: Path, run: Run, snapshot) -> None:
    before = snapshot(repo)
    late_start = run("open", "x", "-s", "2", "--at", at("14:30"), "--started-at", at("14:40"))
    assert late_start.code == ExitCode.CONFLICT
    late_detect = run("open", "x", "-s", "2", "--at", at("14:30"), "--detected-at", at("14:40"))
    assert late_detect.code == ExitCode.CONFLICT
    early_detect = run(
        "open", "x", "-s", "2", "--at", at("14:30"), "--started-at", at("14:20"), "--detected-at", at("14:10")
    )
    assert early_detect.code == ExitCode.CONFLICT
    assert snapshot(repo) == before


def test_future_and_unparseable_times_refused(repo: Path, run: Run, snapshot) -> None:
    incident_id = open_incident(run)
    before = snapshot(repo)
    future = run("ack", incident_id, "--at", "2999-01-01T00:00:00+00:00")
    assert future.code == ExitCode.INVALID
    assert "future" in future.stderr and len(future.err_lines) == 1
    garbage = run("note", incident_id, "hello", "--at", "half past lunch")
    assert garbage.code == ExitCode.INVALID
    assert "half past lunch" in garbage.stderr and len(garbage.err_lines) == 1
    future_open = run("open", "x", "-s", "2", "--at", "2999-01-01T00:00:00Z")
    assert future_open.code == ExitCode.INVALID
    assert snapshot(repo) == before


def test_id_omitted_with_one_active(repo: Path, run: Run) -> None:
    incident_id = open_incident(run)
    other = open_incident(run, "Old one")
    run("resolve", other, "--at", at("14:40"))
    result = run("ack", "--at", at("14:33"), "--json")
    assert result.code == 0
    assert result.json["id"] == incident_id
    assert result.json["status"] == "acknowledged"


def test_id_omitted_with_none_active(repo: Path, run: Run) -> None:
    result = run("ack")
    assert result.code == ExitCode.NOT_FOUND
    assert len(result.err_lines) == 1 and "no incident is active" in result.stderr


def test_id_omitted_with_several_active_lists_them(repo: Path, run: Run, snapshot) -> None:
    first = open_incident(run, "First")
    second = open_incident(run, "Second")
    before = snapshot(repo)
    result = run("note", "which one?")
    assert result.code == ExitCode.CONFLICT
    assert len(result.err_lines) == 1
    assert first in result.stderr and second in result.stderr
    assert snapshot(repo) == before


def test_id_part_unambiguous_and_ambiguous(repo: Path, run: Run, snapshot) -> None:
    first = open_incident(run, "First")
    second = open_incident(run, "Second")
    unique = first.split("-")[-1]
    assert unique not in second
    assert run("ack", unique, "--at", at("14:31")).code == 0
    assert read(repo, first)["status"] == "acknowledged"
    assert run("ack", unique.upper(), "--at", at("14:31")).code == ExitCode.CONFLICT  # already; but found
    before = snapshot(repo)
    ambiguous = run("note", "20250115", "text")
    assert ambiguous.code == ExitCode.CONFLICT
    assert len(ambiguous.err_lines) == 1 and "ambiguous" in ambiguous.stderr
    assert first in ambiguous.stderr and second in ambiguous.stderr
    unknown = run("show", "zzzzzz")
    assert unknown.code == ExitCode.NOT_FOUND and len(unknown.err_lines) == 1
    assert snapshot(repo) == before


def test_severity_change(repo: Path, run: Run) -> None:
    incident_id = open_incident(run)
    result = run("severity", incident_id, "critical", "--at", at("14:33"), "--by", "ann", "--note", "spreading")
    assert result.code == 0, result.stderr
    data = read(repo, incident_id)
    assert data["severity"] == "SEV1"
    entry = data["timeline"][-1]
    assert entry == {
        "at": at("14:33"),
        "kind": "severity_changed",
        "by": "ann",
        "text": "Severity SEV2 -> SEV1: spreading",
    }
    same = run("severity", incident_id, "1")
    assert same.code == ExitCode.CONFLICT and "already SEV1" in same.stderr
    unknown = run("severity", incident_id, "SEV9")
    assert unknown.code == ExitCode.INVALID and "SEV9" in unknown.stderr


def test_assign_roles(repo: Path, run: Run) -> None:
    incident_id = open_incident(run)
    for role, name in (("commander", "ann"), ("comms", "cy"), ("scribe", "dee"), ("Commander", "bob")):
        result = run("assign", incident_id, role, name, "--at", at("14:34"), "--by", "ann")
        assert result.code == 0, result.stderr
    data = read(repo, incident_id)
    assert data["commander"] == "bob"
    assert data["roles"] == {"comms": "cy", "scribe": "dee"}
    assigned = [e["text"] for e in data["timeline"] if e["kind"] == "assigned"]
    assert assigned == ["ann is commander", "cy is comms", "dee is scribe", "bob is commander (was ann)"]
    bad = run("assign", incident_id, "janitor", "eve")
    assert bad.code == ExitCode.INVALID and "commander, comms, scribe" in bad.stderr
    again = run("assign", incident_id, "scribe", "dee")
    assert again.code == ExitCode.CONFLICT


def test_update_is_a_stakeholder_update(repo: Path, run: Run) -> None:
    incident_id = open_incident(run)
    result = run("update", incident_id, "We are on it", "--at", at("14:31"), "--by", "cy", "--json")
    assert result.code == 0
    assert result.json["timeline"][-1] == {"at": at("14:31"), "kind": "update", "by": "cy", "text": "We are on it"}
    empty = run("update", incident_id, "   ")
    assert empty.code == ExitCode.INVALID


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@needs_git
def test_by_defaults_to_git_user_name(repo: Path, run: Run, git_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USER", "shell-user")
    subprocess.run(["git", "config", "--global", "user.name", "Grace Hopper"], check=True)
    incident_id = run("open", "x", "-s", "2", "--at", T0).stdout.strip()
    assert read(repo, incident_id)["timeline"][0]["by"] == "Grace Hopper"


def test_by_falls_back_to_user(repo: Path, run: Run, git_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USER", "shell-user")
    incident_id = run("open", "x", "-s", "2", "--at", T0).stdout.strip()
    run("note", "hello", "--at", at("14:31"))
    timeline = read(repo, incident_id)["timeline"]
    assert [e["by"] for e in timeline] == ["shell-user", "shell-user"]


def test_by_given_wins(repo: Path, run: Run, git_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USER", "shell-user")
    incident_id = run("open", "x", "-s", "2", "--at", T0, "--by", "ann").stdout.strip()
    assert read(repo, incident_id)["timeline"][0]["by"] == "ann"


def test_status_shows_active_and_overdue(repo: Path, run: Run) -> None:
    first = open_incident(run)
    done = open_incident(run, "Done")
    run("resolve", done, "--at", at("14:40"))
    result = run("status", "--json")
    assert result.code == 0
    rows = result.json
    assert [r["id"] for r in rows] == [first]
    assert {o["what"] for o in rows[0]["overdue"]} == {"acknowledgement", "update"}
    table = run("status")
    assert first in table.stdout and done not in table.stdout


def test_list_filters(repo: Path, run: Run) -> None:
    a = run("open", "a", "-s", "1", "--service", "api", "--at", at("10:00")).stdout.strip()
    b = run("open", "b", "-s", "3", "--service", "db", "--at", at("11:00")).stdout.strip()
    run("resolve", b, "--at", at("11:30"))

    def ids(*args: str) -> list[str]:
        result = run("list", "--json", *args)
        assert result.code == 0, result.stderr
        return [i["id"] for i in result.json]

    assert ids() == [b, a]
    assert ids("--status", "resolved") == [b]
    assert ids("--status", "active") == [a]
    assert ids("--severity", "critical") == [a]
    assert ids("--service", "DB") == [b]
    assert ids("--since", at("10:30")) == [b]
    assert run("list", "--status", "bogus").code == ExitCode.INVALID


@needs_git
def test_by_uses_the_repositorys_own_git_config(repo: Path, run: Run, git_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USER", "shell-user")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "user.name", "Repo Person"], check=True)
    incident_id = run("open", "x", "-s", "2", "--at", T0).stdout.strip()
    assert read(repo, incident_id)["timeline"][0]["by"] == "Repo Person"


def test_naive_times_get_the_local_offset_of_their_date(repo: Path, run: Run, monkeypatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    summer = run("open", "summer", "-s", "3", "--at", "2025-07-15 14:30", "--json").json
    winter = run("open", "winter", "-s", "3", "--at", "2025-01-15T14:30", "--json").json
    assert summer["opened_at"] == "2025-07-15T14:30:00+02:00"
    assert winter["opened_at"] == "2025-01-15T14:30:00+01:00"
    # an ack typed with another offset is compared as an instant: 13:31Z is after 14:30+01:00
    ack = run("ack", winter["id"], "--at", "2025-01-15T13:31:00Z", "--json")
    assert ack.code == 0, ack.stderr
    assert ack.json["acknowledged_at"] == "2025-01-15T13:31:00+00:00"
    early = run("mitigate", winter["id"], "--at", "2025-01-15T13:30:30Z")
    assert early.code == ExitCode.CONFLICT


def test_every_command_has_working_help(run: Run) -> None:
    from incli.cli.app import app

    top = run("--help")
    assert top.code == 0
    names = [c.name for c in app.registered_commands]
    assert {
        "init",
        "open",
        "ack",
        "mitigate",
        "resolve",
        "reopen",
        "note",
        "update",
        "severity",
        "assign",
        "list",
        "show",
        "status",
        "validate",
        "edit",
    } <= set(names)
    for name in names:
        result = run(name, "--help")
        assert result.code == 0, (name, result.stderr)
        assert "Usage" in result.stdout and name in result.stdout
    assert run("--version").stdout.startswith("incli ")
