"""End to end: the installed ``inc`` (``python -m incli``) in subprocesses on a temp repository."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from incli.errors import ExitCode
from tests.conftest import inc, take_snapshot
from tests.e2e.conftest import INC, inc_process

KEYS = [
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


@pytest.fixture
def root(repo: Path) -> Path:
    """Set up in-process (fast); only what is tested runs in subprocesses (INC_DIR points at it for them)."""
    return repo


def test_full_lifecycle_backfilled(root: Path) -> None:
    opened = inc_process(
        "open",
        "Database connection pool exhausted",
        "--severity",
        "SEV2",
        "--service",
        "payments-api",
        "--at",
        "2025-01-15T14:30:00+00:00",
        "--by",
        "ann",
    )
    assert opened.code == 0, opened.stderr
    incident_id = opened.stdout.strip()
    steps = [
        ("ack", "--at", "2025-01-15T14:32:00+00:00"),
        ("note", "Pool at 100/100", "--at", "2025-01-15T14:35:00+00:00"),
        ("mitigate", "--note", "restarted the pool", "--at", "2025-01-15T14:40:00+00:00"),
        ("resolve", incident_id[-5:], "--at", "2025-01-15T14:45:00+00:00"),
    ]
    for step in steps:
        result = inc_process(*step, "--by", "bob")
        assert result.code == 0, (step, result.stderr)
    shown = inc_process("show", incident_id, "--json")
    assert shown.code == 0
    data = json.loads(shown.stdout)
    # opened without --started-at/--detected-at: those two are recorded as assumed
    assert list(data) == [*KEYS, "assumed"] and data["assumed"] == ["started_at", "detected_at"]
    assert (data["status"], data["acknowledged_at"], data["mitigated_at"], data["resolved_at"]) == (
        "resolved",
        "2025-01-15T14:32:00+00:00",
        "2025-01-15T14:40:00+00:00",
        "2025-01-15T14:45:00+00:00",
    )
    assert [e["kind"] for e in data["timeline"]] == ["opened", "acknowledged", "note", "mitigated", "resolved"]
    listed = json.loads(inc_process("list", "--json").stdout)
    assert [list(i) for i in listed] == [[*KEYS, "assumed"]]
    human = inc_process("show", incident_id)
    assert "15 minutes" in human.stdout  # time to resolve, 14:30 -> 14:45
    assert inc_process("validate").code == 0


def test_twenty_concurrent_notes_all_land(root: Path) -> None:
    incident_id = inc("open", "Burst", "-s", "3", "--at", "2025-01-15T14:30:00+00:00").stdout.strip()
    env = {**os.environ, "TZ": "UTC", "INC_DIR": str(root)}
    procs = [
        subprocess.Popen(
            [
                *INC,
                "note",
                incident_id,
                f"note number {n}",
                "--by",
                f"p{n}",
                "--at",
                "2025-01-15T14:31:00+00:00",
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(20)
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    data = yaml.safe_load((root / "incidents" / f"{incident_id}.yaml").read_text())
    notes = sorted(e["text"] for e in data["timeline"] if e["kind"] == "note")
    assert notes == sorted(f"note number {n}" for n in range(20))
    assert [p.name for p in (root / "incidents").iterdir() if p.name.endswith(".tmp")] == []


def editor(tmp_path: Path, body: str) -> str:
    """An $EDITOR: a small Python script that changes the file it is given."""
    script = tmp_path / "editor.py"
    script.write_text("import sys, pathlib\npath = pathlib.Path(sys.argv[1])\ntext = path.read_text()\n" + body)
    return f"{sys.executable} {script}"


@pytest.fixture
def opened(root: Path) -> str:
    return inc("open", "Pool exhausted", "-s", "2", "--at", "2025-01-15T14:30:00+00:00").stdout.strip()


def test_edit_valid_is_saved(root: Path, tmp_path: Path, opened: str) -> None:
    ed = editor(tmp_path, "path.write_text(text.replace('title: Pool exhausted', 'title: DB pool exhausted'))\n")
    result = inc_process("edit", opened[-5:], env={"EDITOR": ed})
    assert result.code == 0, result.stderr
    data = yaml.safe_load((root / "incidents" / f"{opened}.yaml").read_text())
    assert data["title"] == "DB pool exhausted"
    assert not list((root / ".incli" / "drafts").glob("*.yaml"))


def test_edit_invalid_is_not_saved_and_text_is_kept(root: Path, tmp_path: Path, opened: str) -> None:
    marker = "my careful notes about the outage"
    ed = editor(tmp_path, f"path.write_text(text.replace('severity: SEV2', 'severity: SEV9') + '# {marker}\\n')\n")
    before = take_snapshot(root / "incidents")
    result = inc_process("edit", opened, env={"EDITOR": ed}, code=None)
    assert result.code == ExitCode.PROBLEMS
    errors = [line for line in result.stderr.splitlines() if line.startswith("inc: error:")]
    assert len(errors) == 1
    assert "not saved" in errors[0] and "SEV9" in errors[0]
    draft = Path(errors[0].rsplit(" ", 1)[-1])
    assert draft.is_file()
    assert marker in draft.read_text() and "severity: SEV9" in draft.read_text()
    assert take_snapshot(root / "incidents") == before


def test_edit_again_resumes_the_kept_draft(root: Path, tmp_path: Path, opened: str) -> None:
    """A second ``inc edit`` after a refused one must not throw the kept text away."""
    bad = editor(tmp_path, "path.write_text(text.replace('severity: SEV2', 'severity: SEV9') + '# kept words\\n')\n")
    first = inc_process("edit", opened, env={"EDITOR": bad}, code=None)
    assert first.code == ExitCode.PROBLEMS
    fix = editor(
        tmp_path,
        "assert '# kept words' in text, text\npath.write_text(text.replace('severity: SEV9', 'severity: SEV1'))\n",
    )
    second = inc_process("edit", opened, env={"EDITOR": fix})
    assert second.code == 0, second.stderr
    saved = (root / "incidents" / f"{opened}.yaml").read_text()
    assert "severity: SEV1" in saved and "# kept words" in saved


def test_edit_without_changes(root: Path, tmp_path: Path, opened: str) -> None:
    before = take_snapshot(root / "incidents")
    result = inc_process("edit", opened, env={"EDITOR": editor(tmp_path, "")})
    assert result.code == 0
    assert "no changes" in result.stderr
    assert take_snapshot(root / "incidents") == before
