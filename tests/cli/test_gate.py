"""inc gate and inc freeze in-process (issue 17; the mutation run of issue 19 found them tested only
through a deploy script in tests/e2e): which incidents block which service, which freezes are in
force, the decision's JSON, and freezes.yaml as written, read back and refused."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from incli.errors import ExitCode
from tests.conftest import check_refused, inc

CATALOG = """\
services:
  payments: {depends_on: [db]}
  db: {depends_on: [storage]}
  storage: {}
  web: {}
  search: {}
"""

# frozen_clock's "now" and times around it, as freezes.yaml stores them.
NOW = "2026-06-01T12:00:00.500000+00:00"
LATER = "2026-06-01T18:00:00+00:00"
MUCH_LATER = "2026-06-02T09:00:00+00:00"

pytestmark = pytest.mark.usefixtures("frozen_clock")


@pytest.fixture
def catalog(repo: Path) -> Path:
    (repo / "catalog.yaml").write_text(CATALOG)
    return repo


def decision(*args: str, code: int = 1) -> dict[str, Any]:
    result: dict[str, Any] = inc("gate", *args, "--json", code=code).json
    return result


def blocking_ids(*args: str) -> list[str]:
    return [b["id"] for b in decision(*args, code=None)["blocking"]]  # type: ignore[arg-type]


def open_incident(title: str, severity: str, *args: str) -> str:
    return inc("open", title, "-s", severity, *args).stdout.strip()


def write_freezes(repo: Path, *entries: dict[str, Any]) -> None:
    (repo / "freezes.yaml").write_text(json.dumps({"freezes": list(entries)}))


def test_nothing_active_lets_every_deploy_go(catalog: Path) -> None:
    assert decision("--service", "payments", code=0) == {"ok": True, "blocking": [], "freeze": None}
    ok = inc("gate", "--service", "payments").stdout
    assert ok == "ok: no SEV2 or worse incident active on payments or what it depends on; no freeze\n"
    assert inc("gate", "--service", "web").stdout == "ok: no SEV2 or worse incident active on web; no freeze\n"
    assert inc("gate").stdout == "ok: no SEV2 or worse incident active on any service; no freeze\n"


def test_an_incident_blocks_its_service_and_what_depends_on_it_only(catalog: Path) -> None:
    ident = open_incident("Disks full", "SEV1", "--service", "Storage")
    for service in ("payments", "db", "storage", "STORAGE "):
        assert blocking_ids("--service", service) == [ident], service
    for service in ("web", "search", "unknown"):
        assert decision("--service", service, code=0)["ok"] is True, service
    blocked = inc("gate", "--service", "payments", code=1).stdout
    assert blocked == f"blocked: deploying payments: active: {ident} (SEV1 on Storage, which payments depends on)\n"
    on_itself = inc("gate", "--service", "storage", code=1).stdout
    assert on_itself == f"blocked: deploying storage: active: {ident} (SEV1 on Storage)\n"
    assert inc("gate", code=1).stdout == f"blocked: deploying any service: active: {ident} (SEV1 on Storage)\n"
    assert decision("--service", "db")["blocking"] == [{"id": ident, "severity": "SEV1", "service": "Storage"}]


def test_an_incident_naming_no_service_blocks_every_service(catalog: Path) -> None:
    ident = open_incident("Everything is down", "SEV2")
    for service in ("web", "payments", "anything"):
        assert blocking_ids("--service", service) == [ident]
    assert inc("gate", "--service", "search", code=1).stdout == (
        f"blocked: deploying search: active: {ident} (SEV2 naming no service)\n"
    )


def test_the_severity_threshold_is_inclusive_and_drills_never_block(catalog: Path) -> None:
    inc("open", "Slow search", "-s", "SEV3", "--service", "db")
    inc("open", "Practice", "-s", "SEV1", "--service", "db", "--drill")
    assert decision("--service", "payments", code=0) == {"ok": True, "blocking": [], "freeze": None}
    blocked = decision("--service", "payments", "--severity", "SEV3")
    assert [b["severity"] for b in blocked["blocking"]] == ["SEV3"]
    assert decision("--service", "payments", "-s", "SEV4")["ok"] is False
    assert decision("--service", "payments", "-s", "SEV2", code=0)["ok"] is True


def test_a_drill_listed_first_does_not_hide_a_real_incident(catalog: Path) -> None:
    inc("open", "Practice", "-s", "SEV1", "--service", "db", "--drill", "--at", "2026-05-30T10:00Z")
    real = open_incident("Disks full", "SEV1", "--service", "db", "--at", "2026-06-01T10:00Z")
    assert blocking_ids("--service", "db") == [real]


def test_resolved_and_imported_unresolved_incidents_never_block(catalog: Path, tmp_path: Path) -> None:
    done = open_incident("Fixed", "SEV1", "--service", "db")
    inc("resolve", done)
    mitigated = open_incident("Mitigated", "SEV1", "--service", "web")
    inc("mitigate", mitigated)
    rows = [{"title": "Old outage", "severity": "SEV1", "service": "db", "started_at": "2024-05-01T10:00:00Z"}]
    (tmp_path / "old.json").write_text(json.dumps(rows))
    inc("import", tmp_path / "old.json")
    assert decision("--service", "db", code=0)["ok"] is True
    assert blocking_ids("--service", "web") == [mitigated]  # mitigated is still active


def test_blocking_incidents_are_listed_worst_first_then_oldest_first(catalog: Path) -> None:
    sev2_old = open_incident("a", "SEV2", "--service", "db", "--at", "2026-06-01T09:00:00Z")
    sev1_new = open_incident("b", "SEV1", "--service", "storage", "--at", "2026-06-01T11:00:00Z")
    sev2_new = open_incident("c", "SEV2", "--at", "2026-06-01T10:00:00Z")
    sev1_old = open_incident("d", "SEV1", "--service", "payments", "--at", "2026-06-01T08:00:00Z")
    assert blocking_ids("--service", "payments") == [sev1_old, sev1_new, sev2_old, sev2_new]
    line = inc("gate", "--service", "payments", code=1).stdout
    assert line == (
        f"blocked: deploying payments: active: {sev1_old} (SEV1 on payments), "
        f"{sev1_new} (SEV1 on storage, which payments depends on), "
        f"{sev2_old} (SEV2 on db, which payments depends on), {sev2_new} (SEV2 naming no service)\n"
    )


def test_a_freeze_and_an_incident_are_both_named(catalog: Path) -> None:
    ident = open_incident("Disks full", "SEV1", "--service", "db")
    inc("freeze", "--service", "payments", "--until", "18:00", "--reason", "Black Friday")
    line = inc("gate", "--service", "payments", code=1).stdout
    assert line == (
        f"blocked: deploying payments: active: {ident} (SEV1 on db, which payments depends on); "
        "frozen until 2026-06-01 18:00 (payments: Black Friday)\n"
    )


def test_a_freeze_is_written_to_freezes_yaml_and_read_back(repo: Path) -> None:
    said = inc("freeze", "--service", " payments ", "--until", "in 6h", "--reason", " Black Friday ", "--by", "alice")
    assert said.stderr == "deploys of payments frozen until 2026-06-01 18:00\n"
    text = (repo / "freezes.yaml").read_text()
    assert text.startswith("# Deploy freezes declared with inc freeze (inc gate refuses while one is in force).\n")
    assert "payments" in text
    frozen = decision("--service", "PAYMENTS")
    assert frozen == {
        "ok": False,
        "blocking": [],
        "freeze": {
            "service": "payments",
            "until": "2026-06-01T18:00:00.500000+00:00",
            "reason": "Black Friday",
            "by": "alice",
            "at": NOW,
        },
    }
    assert decision("--service", "web", code=0)["freeze"] is None
    assert decision()["freeze"]["service"] == "payments"  # without --service, every freeze counts


def test_a_freeze_of_every_service_blocks_each_and_the_latest_end_is_named(repo: Path) -> None:
    inc("freeze", "--until", "18:00", "--reason", "Release week")
    inc("freeze", "--service", "web", "--until", "2026-06-02T09:00:00Z", "--reason", "Web rewrite")
    inc("freeze", "--service", "web", "--until", "15:00", "--reason", "Short one")
    assert decision("--service", "payments")["freeze"]["reason"] == "Release week"
    assert decision("--service", "web")["freeze"]["until"] == MUCH_LATER
    assert inc("gate", "--service", "db", code=1).stdout == (
        "blocked: deploying db: frozen until 2026-06-01 18:00 (every service: Release week)\n"
    )


def test_a_freeze_ends_at_its_until(repo: Path) -> None:
    write_freezes(repo, {"service": "web", "until": NOW, "reason": "Over now"})
    assert decision("--service", "web", code=0)["ok"] is True
    write_freezes(repo, {"service": "web", "until": "2026-06-01T12:00:00.500001+00:00", "reason": "One more µs"})
    assert decision("--service", "web")["ok"] is False


def test_lifting_ends_the_freeze_now_and_keeps_it_as_history(repo: Path) -> None:
    inc("freeze", "--service", "payments", "--until", "18:00", "--reason", "Black Friday")
    inc("freeze", "--until", "18:00", "--reason", "Everything")
    lifted = inc("freeze", "--service", "payments", "--lift")
    assert lifted.stderr == "freeze on payments lifted (Black Friday)\n"
    assert decision("--service", "payments")["freeze"]["reason"] == "Everything"
    inc("freeze", "--lift")
    assert decision("--service", "payments", code=0)["ok"] is True
    text = (repo / "freezes.yaml").read_text()
    assert "Black Friday" in text and "Everything" in text and text.count(NOW) == 4  # two at, two until


def test_a_hand_written_freeze_may_leave_out_at_by_reason_and_service(repo: Path) -> None:
    write_freezes(repo, {"until": LATER}, {"service": " ", "until": MUCH_LATER, "by": 7, "at": NOW})
    frozen = decision("--service", "x")["freeze"]
    assert frozen == {"service": None, "until": MUCH_LATER, "reason": "", "by": "7", "at": NOW}
    write_freezes(repo, {"until": LATER, "service": "db"})
    assert decision("--service", "db")["freeze"] == {
        "service": "db",
        "until": LATER,
        "reason": "",
        "by": None,
        "at": LATER,
    }


@pytest.mark.parametrize("text", ["", "# nothing yet\n", "{}\n", "freezes:\n", "other: 1\n", "[1, 2]\n"])
def test_a_freezes_file_without_freezes_blocks_nothing(repo: Path, text: str) -> None:
    (repo / "freezes.yaml").write_text(text)
    assert decision(code=0)["ok"] is True


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("freezes: {service: web}\n", "freezes.yaml: freezes[0]: freezes must be a list"),
        (
            f"freezes:\n- {{until: '{LATER}'}}\n- web\n",
            "freezes.yaml: freezes[1]: must be a mapping of service, until, reason",
        ),
        (
            "freezes:\n- {until: '2026-06-01T18:00:00+00:00'}\n- {until: soon}\n",
            "freezes.yaml: freezes[1]: unreadable time",
        ),
        ("freezes:\n- {until: '2026-06-01T18:00:00+00:00', at: never}\n", "freezes.yaml: freezes[0]: unreadable time"),
        ("freezes:\n- {reason: x}\n", "freezes.yaml: freezes[0]: unreadable time"),
        ("freezes: [\n", "freezes.yaml:2: not valid YAML"),
    ],
)
def test_a_broken_freezes_file_is_refused_with_its_path_and_entry(repo: Path, text: str, words: str) -> None:
    (repo / "freezes.yaml").write_text(text)
    check_refused(inc("gate", code=None), ExitCode.PROBLEMS, f"{repo}/{words}")
    check_refused(inc("freeze", "--until", "2h", "--reason", "x", code=None), ExitCode.PROBLEMS, words)
    assert (repo / "freezes.yaml").read_text() == text


def test_a_freezes_file_too_large_or_linked_outside_is_not_read(repo: Path, tmp_path: Path) -> None:
    largest = f"freezes:\n- {{until: '{LATER}'}}\n# "
    (repo / "freezes.yaml").write_text(largest + "x" * (1024 * 1024 - len(largest) - 1) + "\n")  # 1 MiB: read
    assert decision()["freeze"]["until"] == LATER
    (repo / "freezes.yaml").write_text("# " + "x" * 1_100_000 + "\n")
    check_refused(inc("gate", code=None), ExitCode.PROBLEMS, "freezes.yaml: 1,100,003 bytes is over the limit of")
    (repo / "freezes.yaml").unlink()
    outside = tmp_path / "elsewhere.yaml"
    write_freezes(tmp_path, {"until": LATER})
    (tmp_path / "freezes.yaml").rename(outside)
    os.symlink(outside, repo / "freezes.yaml")
    refused = inc("gate", code=None)
    check_refused(refused, ExitCode.PROBLEMS, f"freezes.yaml: a link to {outside}, outside the repository; not read")
    check_refused(inc("freeze", "--until", "2h", "--reason", "x", code=None), ExitCode.PROBLEMS, "outside")
    assert json.loads(outside.read_text()) == {"freezes": [{"until": LATER}]}


def test_a_freezes_file_yaml_cannot_read_at_all_is_named_with_its_line(repo: Path) -> None:
    (repo / "freezes.yaml").write_bytes(b"freezes: []\n\x00\n")
    refused = inc("gate", code=ExitCode.PROBLEMS)
    assert refused.stderr == (
        f"inc: error: {repo}/freezes.yaml:2: not valid YAML: the control character U+0000 is not allowed\n"
    )


def test_a_freezes_file_that_cannot_be_read_or_written_is_one_line(repo: Path) -> None:
    (repo / "freezes.yaml").mkdir()  # what a bad checkout or a typo of a path leaves
    check_refused(inc("gate", code=None), ExitCode.STORAGE, f"cannot read {repo}/freezes.yaml: Is a directory")
    check_refused(inc("freeze", "--until", "2h", "--reason", "x", code=None), ExitCode.STORAGE, "cannot read")
    assert (repo / "freezes.yaml").is_dir()


def test_bad_freezes_are_refused_and_change_nothing(repo: Path) -> None:
    check_refused(inc("freeze", "--until", "2020-01-01", "--reason", "x", code=None), ExitCode.INVALID, "future")
    check_refused(inc("freeze", "--until", "2h", "--reason", " ", code=None), ExitCode.INVALID, "--reason")
    long = "x" * 501
    check_refused(inc("freeze", "--until", "2h", "--reason", long, code=None), ExitCode.INVALID, "501 characters")
    check_refused(inc("freeze", "--reason", "x", code=None), ExitCode.INVALID, "--until")
    check_refused(inc("freeze", "--lift", code=None), ExitCode.INVALID, "no freeze is in force on every service")
    check_refused(inc("freeze", "--lift", "--until", "2h", code=None), ExitCode.INVALID, "--lift takes no")
    check_refused(inc("gate", "--severity", "SEV9", code=None), ExitCode.INVALID, "SEV9")
    assert not (repo / "freezes.yaml").exists()


@pytest.mark.parametrize(
    ("text", "finding"),
    [
        ("freezes: [\n", "freezes.yaml:2: not valid YAML"),
        ("freezes:\n- {until: soon}\n", "freezes.yaml: freezes[0]: unreadable time"),
        (
            "# " + "x" * 1_100_000 + "\n",
            "freezes.yaml: 1,100,003 bytes is over the limit of 1,048,576 for a settings file",
        ),
    ],
)
def test_inc_validate_reports_the_freezes_file_inc_gate_would_refuse(repo: Path, text: str, finding: str) -> None:
    """A broken freezes.yaml is found before the deploy job's inc gate refuses (exit 6) on it."""
    assert inc("validate").code == 0
    (repo / "freezes.yaml").write_text(text)
    found = inc("validate", code=ExitCode.PROBLEMS).stdout
    assert f"{repo}/{finding}" in found, found
    check_refused(inc("gate", code=None), ExitCode.PROBLEMS, f"{repo}/{finding}")
    assert (repo / "freezes.yaml").read_text() == text


def test_inc_validate_reports_a_freezes_file_linked_outside(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("freezes: []\n")
    os.symlink(outside, repo / "freezes.yaml")
    found = inc("validate", code=ExitCode.PROBLEMS).stdout
    assert f"{repo}/freezes.yaml: a link to {outside}, outside the repository; not read" in found, found
