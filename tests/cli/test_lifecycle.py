"""Driving incidents through their lifecycle with the CLI (in-process)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import typer
import yaml

from incli.errors import ExitCode
from tests.conftest import T0, inc

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


def open_incident(title: str = "Database connection pool exhausted", *extra: str) -> str:
    result = inc("open", title, "-s", "SEV2", "--at", T0, "--by", "ann", *extra)
    assert result.code == 0, result.stderr
    return result.stdout.strip()


def read(repo: Path, incident_id: str) -> dict:
    return yaml.safe_load((repo / "incidents" / f"{incident_id}.yaml").read_text())


def test_full_lifecycle_backfilled(repo: Path) -> None:
    opened = inc(
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

    assert inc("ack", "--at", at("14:32"), "--by", "bob").code == 0
    assert inc("note", "Pool at 100/100 connections", "--at", at("14:35"), "--by", "bob").code == 0
    assert inc("update", "Checkout degraded; restarting the pool", "--at", at("14:36"), "--by", "cy").code == 0
    assert inc("mitigate", "--note", "restarted the pool", "--at", at("14:40"), "--by", "bob").code == 0
    resolved = inc("resolve", incident_id, "--at", at("14:45"), "--by", "bob")
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

    shown = inc("show", incident_id)
    assert shown.code == 0
    assert "Time to resolve" in shown.stdout and "20 minutes" in shown.stdout
    assert "Time to acknowledge" in shown.stdout and "4 minutes" in shown.stdout


def test_show_and_list_json_keys(repo: Path) -> None:
    first = open_incident()
    inc("ack", first, "--at", at("14:32"))
    second = inc("open", "Cache misses", "-s", "3", "--at", at("15:00")).stdout.strip()
    shown = inc("show", first, "--json")
    assert shown.code == 0
    data = shown.json
    assert list(data) == [*INCIDENT_KEYS, "assumed"]  # opened without --started-at/--detected-at
    assert data["id"] == first
    assert data["acknowledged_at"] == at("14:32")
    assert data["mitigated_at"] is None and data["resolved_at"] is None
    assert data["roles"] == {} and data["tags"] == [] and data["drill"] is False
    for entry in data["timeline"]:
        assert list(entry) == ENTRY_KEYS
        assert entry["kind"] in KINDS
    listed = inc("list", "--json").json
    assert isinstance(listed, list)
    assert [i["id"] for i in listed] == [second, first]  # newest first
    for item in listed:
        assert list(item) == [*INCIDENT_KEYS, "assumed"]  # opened without --started-at/--detected-at


def test_open_json_prints_the_incident(repo: Path) -> None:
    result = inc("open", "Disk full", "-s", "4", "--at", T0, "--json", "--drill")
    assert result.code == 0
    assert list(result.json) == [*INCIDENT_KEYS, "assumed"]  # opened without --started-at/--detected-at
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
def test_severity_forms(repo: Path, given: str, stored: str) -> None:
    result = inc("open", "x", "-s", given, "--at", T0, "--json")
    assert result.code == 0, result.stderr
    assert result.json["severity"] == stored


def test_started_and_detected_default_to_declaration(repo: Path) -> None:
    data = inc("open", "x", "-s", "1", "--at", T0, "--json").json
    assert data["started_at"] == data["detected_at"] == data["opened_at"] == T0


def test_skip_forward_resolve_from_open(repo: Path) -> None:
    incident_id = open_incident()
    assert inc("resolve", "--at", at("14:50")).code == 0
    data = read(repo, incident_id)
    assert data["status"] == "resolved"
    assert data["acknowledged_at"] is None and data["mitigated_at"] is None
    assert data["resolved_at"] == at("14:50")


def test_reopen_then_resolve_again(repo: Path) -> None:
    incident_id = open_incident()
    inc("ack", "--at", at("14:32"))
    inc("mitigate", "--at", at("14:40"))
    inc("resolve", "--at", at("14:45"))
    reopened = inc("reopen", incident_id, "--note", "errors are back", "--at", at("15:10"))
    assert reopened.code == 0, reopened.stderr
    data = read(repo, incident_id)
    assert data["status"] == "reopened"
    assert data["resolved_at"] is None and data["mitigated_at"] is None
    assert data["acknowledged_at"] == at("14:32")  # the first acknowledgement stays
    assert data["timeline"][-1]["kind"] == "reopened"
    assert data["timeline"][-1]["text"] == "Reopened: errors are back"
    # active again: the id may be left out
    assert inc("ack", "--at", at("15:12")).code == 0
    refused = inc("mitigate", "--at", at("15:05"), code=None)  # before the reopening
    assert refused.code == ExitCode.CONFLICT
    assert inc("resolve", "--at", at("15:30")).code == 0
    data = read(repo, incident_id)
    assert data["status"] == "resolved" and data["resolved_at"] == at("15:30")


def test_reopen_needs_a_resolved_incident(repo: Path, snapshot) -> None:
    incident_id = open_incident()
    before = snapshot(repo)
    result = inc("reopen", incident_id, code=None)
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
def test_refused_transitions(repo: Path, snapshot, setup: list[str], command: str, words: str) -> None:
    incident_id = open_incident()
    for step in setup:
        assert inc(step, incident_id, "--at", at("14:40")).code == 0
    before = snapshot(repo)
    result = inc(command, incident_id, "--at", at("14:50"), code=None)
    assert result.code == ExitCode.CONFLICT
    assert len(result.err_lines) == 1 and words in result.stderr
    assert snapshot(repo) == before


def test_times_out_of_order_refused(repo: Path, snapshot) -> None:
    incident_id = open_incident()
    inc("ack", "--at", at("14:35"))
    before = snapshot(repo)
    for command, when in (("ack", "14:29"), ("mitigate", "14:34"), ("resolve", "14:20")):
        result = inc(command, incident_id, "--at", at(when), code=None)
        assert result.code == ExitCode.CONFLICT, (command, result.stderr)
        assert len(result.err_lines) == 1
        assert "order" in result.stderr or "already" in result.stderr
    assert snapshot(repo) == before


def test_open_with_times_out_of_order_refused(repo: Path, snapshot) -> None:
    before = snapshot(repo)
    late_start = inc("open", "x", "-s", "2", "--at", at("14:30"), "--started-at", at("14:40"), code=None)
    assert late_start.code == ExitCode.CONFLICT
    late_detect = inc("open", "x", "-s", "2", "--at", at("14:30"), "--detected-at", at("14:40"), code=None)
    assert late_detect.code == ExitCode.CONFLICT
    early_detect = inc(
        "open",
        "x",
        "-s",
        "2",
        "--at",
        at("14:30"),
        "--started-at",
        at("14:20"),
        "--detected-at",
        at("14:10"),
        code=None,
    )
    assert early_detect.code == ExitCode.CONFLICT
    assert snapshot(repo) == before


def test_future_and_unparseable_times_refused(repo: Path, snapshot) -> None:
    incident_id = open_incident()
    before = snapshot(repo)
    future = inc("ack", incident_id, "--at", "2999-01-01T00:00:00+00:00", code=None)
    assert future.code == ExitCode.INVALID
    assert "future" in future.stderr and len(future.err_lines) == 1
    garbage = inc("note", incident_id, "hello", "--at", "half past lunch", code=None)
    assert garbage.code == ExitCode.INVALID
    assert "half past lunch" in garbage.stderr and len(garbage.err_lines) == 1
    future_open = inc("open", "x", "-s", "2", "--at", "2999-01-01T00:00:00Z", code=None)
    assert future_open.code == ExitCode.INVALID
    assert snapshot(repo) == before


def test_id_omitted_with_one_active(repo: Path) -> None:
    incident_id = open_incident()
    other = open_incident("Old one")
    inc("resolve", other, "--at", at("14:40"))
    result = inc("ack", "--at", at("14:33"), "--json")
    assert result.code == 0
    assert result.json["id"] == incident_id
    assert result.json["status"] == "acknowledged"


def test_id_omitted_with_none_active(repo: Path) -> None:
    result = inc("ack", code=None)
    assert result.code == ExitCode.NOT_FOUND
    assert len(result.err_lines) == 1 and "no incident is active" in result.stderr


def test_id_omitted_with_several_active_lists_them(repo: Path, snapshot) -> None:
    first = open_incident("First")
    second = open_incident("Second")
    before = snapshot(repo)
    result = inc("note", "which one?", code=None)
    assert result.code == ExitCode.CONFLICT
    assert len(result.err_lines) == 1
    assert first in result.stderr and second in result.stderr
    assert snapshot(repo) == before


def test_id_part_unambiguous_and_ambiguous(repo: Path, snapshot) -> None:
    first = open_incident("First")
    second = open_incident("Second")
    unique = first.split("-")[-1]
    assert unique not in second
    assert inc("ack", unique, "--at", at("14:31")).code == 0
    assert read(repo, first)["status"] == "acknowledged"
    assert inc("ack", unique.upper(), "--at", at("14:31"), code=None).code == ExitCode.CONFLICT  # already; but found
    before = snapshot(repo)
    ambiguous = inc("note", "20250115", "text", code=None)
    assert ambiguous.code == ExitCode.CONFLICT
    assert len(ambiguous.err_lines) == 1 and "ambiguous" in ambiguous.stderr
    assert first in ambiguous.stderr and second in ambiguous.stderr
    unknown = inc("show", "zzzzzz", code=None)
    assert unknown.code == ExitCode.NOT_FOUND and len(unknown.err_lines) == 1
    assert snapshot(repo) == before


def test_severity_change(repo: Path) -> None:
    incident_id = open_incident()
    result = inc("severity", incident_id, "critical", "--at", at("14:33"), "--by", "ann", "--note", "spreading")
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
    same = inc("severity", incident_id, "1", code=None)
    assert same.code == ExitCode.CONFLICT and "already SEV1" in same.stderr
    unknown = inc("severity", incident_id, "SEV9", code=None)
    assert unknown.code == ExitCode.INVALID and "SEV9" in unknown.stderr


def test_assign_roles(repo: Path) -> None:
    incident_id = open_incident()
    for role, name in (("commander", "ann"), ("comms", "cy"), ("scribe", "dee"), ("Commander", "bob")):
        result = inc("assign", incident_id, role, name, "--at", at("14:34"), "--by", "ann")
        assert result.code == 0, result.stderr
    data = read(repo, incident_id)
    assert data["commander"] == "bob"
    assert data["roles"] == {"comms": "cy", "scribe": "dee"}
    assigned = [e["text"] for e in data["timeline"] if e["kind"] == "assigned"]
    assert assigned == ["ann is commander", "cy is comms", "dee is scribe", "bob is commander (was ann)"]
    bad = inc("assign", incident_id, "janitor", "eve", code=None)
    assert bad.code == ExitCode.INVALID and "commander, comms, scribe" in bad.stderr
    again = inc("assign", incident_id, "scribe", "dee", code=None)
    assert again.code == ExitCode.CONFLICT


def test_update_is_a_stakeholder_update(repo: Path) -> None:
    incident_id = open_incident()
    result = inc("update", incident_id, "We are on it", "--at", at("14:31"), "--by", "cy", "--json")
    assert result.code == 0
    assert result.json["timeline"][-1] == {"at": at("14:31"), "kind": "update", "by": "cy", "text": "We are on it"}
    empty = inc("update", incident_id, "   ", code=None)
    assert empty.code == ExitCode.INVALID


needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@needs_git
def test_by_defaults_to_git_user_name(repo: Path, git_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USER", "shell-user")
    subprocess.run(["git", "config", "--global", "user.name", "Grace Hopper"], check=True)
    incident_id = inc("open", "x", "-s", "2", "--at", T0).stdout.strip()
    assert read(repo, incident_id)["timeline"][0]["by"] == "Grace Hopper"


def test_by_falls_back_to_user(repo: Path, git_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USER", "shell-user")
    incident_id = inc("open", "x", "-s", "2", "--at", T0).stdout.strip()
    inc("note", "hello", "--at", at("14:31"))
    timeline = read(repo, incident_id)["timeline"]
    assert [e["by"] for e in timeline] == ["shell-user", "shell-user"]


def test_by_given_wins(repo: Path, git_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USER", "shell-user")
    incident_id = inc("open", "x", "-s", "2", "--at", T0, "--by", "ann").stdout.strip()
    assert read(repo, incident_id)["timeline"][0]["by"] == "ann"


def test_status_shows_active_and_overdue(repo: Path) -> None:
    first = open_incident()
    done = open_incident("Done")
    inc("resolve", done, "--at", at("14:40"))
    result = inc("status", "--json")
    assert result.code == 0
    rows = result.json
    assert [r["id"] for r in rows] == [first]
    assert {o["what"] for o in rows[0]["overdue"]} == {"acknowledgement", "update"}
    table = inc("status")
    assert first in table.stdout and done not in table.stdout


def test_list_filters(repo: Path) -> None:
    a = inc("open", "a", "-s", "1", "--service", "api", "--at", at("10:00")).stdout.strip()
    b = inc("open", "b", "-s", "3", "--service", "db", "--at", at("11:00")).stdout.strip()
    inc("resolve", b, "--at", at("11:30"))

    def ids(*args: str) -> list[str]:
        result = inc("list", "--json", *args)
        assert result.code == 0, result.stderr
        return [i["id"] for i in result.json]

    assert ids() == [b, a]
    assert ids("--status", "resolved") == [b]
    assert ids("--status", "active") == [a]
    assert ids("--severity", "critical") == [a]
    assert ids("--service", "DB") == [b]
    assert ids("--since", at("10:30")) == [b]
    assert inc("list", "--status", "bogus", code=None).code == ExitCode.INVALID


@needs_git
def test_by_uses_the_repositorys_own_git_config(repo: Path, git_home: Path, monkeypatch) -> None:
    monkeypatch.setenv("USER", "shell-user")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "config", "user.name", "Repo Person"], check=True)
    incident_id = inc("open", "x", "-s", "2", "--at", T0).stdout.strip()
    assert read(repo, incident_id)["timeline"][0]["by"] == "Repo Person"


def test_naive_times_get_the_local_offset_of_their_date(repo: Path, monkeypatch) -> None:
    import time

    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    summer = inc("open", "summer", "-s", "3", "--at", "2025-07-15 14:30", "--json").json
    winter = inc("open", "winter", "-s", "3", "--at", "2025-01-15T14:30", "--json").json
    assert summer["opened_at"] == "2025-07-15T14:30:00+02:00"
    assert winter["opened_at"] == "2025-01-15T14:30:00+01:00"
    # an ack typed with another offset is compared as an instant: 13:31Z is after 14:30+01:00
    ack = inc("ack", winter["id"], "--at", "2025-01-15T13:31:00Z", "--json")
    assert ack.code == 0, ack.stderr
    assert ack.json["acknowledged_at"] == "2025-01-15T13:31:00+00:00"
    early = inc("mitigate", winter["id"], "--at", "2025-01-15T13:30:30Z", code=None)
    assert early.code == ExitCode.CONFLICT


def test_every_command_has_working_help() -> None:
    from incli.cli.app import app

    top = inc("--help")
    assert top.code == 0
    names = list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
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
        result = inc(name, "--help")
        assert result.code == 0, (name, result.stderr)
        assert "Usage" in result.stdout and name in result.stdout
    assert inc("--version").stdout.startswith("incli ")
