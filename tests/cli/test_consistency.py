"""Issue 11, consistency between commands: one rule for each thing several commands show."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incli.errors import ExitCode
from tests.conftest import T0, Run, check_refused, inc

# -- 1. a due time that is not today shows its date ----------------------------------------


def _late_days(due: datetime) -> int:
    return (datetime.now(UTC) - due).days


def test_status_and_show_give_the_date_of_a_due_time_on_another_day(repo: Path) -> None:
    incident = inc("open", "Checkout errors", "-s", "SEV2", "--at", T0).stdout.strip()
    due = datetime(2025, 1, 15, 15, 0, tzinfo=UTC)  # declared 14:30, SEV2 updates every 30 minutes
    row = next(line for line in inc("status").stdout.splitlines() if incident in line)
    assert "2025-01-15 15:00" in row
    shown = inc("show", incident).stdout
    line = next(line for line in shown.splitlines() if "Next update" in line)
    assert "2025-01-15 15:00," in line and line.rstrip().endswith("late")
    assert f"{_late_days(due)} days" in line
    overdue = next(line for line in shown.splitlines() if "Overdue update" in line)
    assert "due 2025-01-15 15:00," in overdue


def test_a_due_time_today_is_only_its_clock(repo: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    if now.hour == 0 or now.hour >= 23:
        pytest.skip("too close to midnight for 'today' to be stable")
    opened = now - timedelta(minutes=5)
    incident = inc("open", "Slow search", "-s", "SEV2", "--at", opened.isoformat()).stdout.strip()
    due = opened + timedelta(minutes=30)
    row = next(line for line in inc("status").stdout.splitlines() if incident in line)
    assert f" {due:%H:%M} " in row and f"{due:%Y-%m-%d}" not in row
    line = next(line for line in inc("show", incident).stdout.splitlines() if "Next update" in line)
    assert line.rstrip().endswith(f"{due:%H:%M}") and "late" not in line


# -- 2. one vocabulary for the postmortem state --------------------------------------------


def _resolved(title: str = "Payments down") -> str:
    incident = inc("open", title, "-s", "SEV2", "--at", T0).stdout.strip()
    inc("resolve", incident, "--at", "2025-01-15T15:10:00+00:00")
    return incident


def test_no_postmortem_is_missing_everywhere(repo: Path, tmp_path: Path) -> None:
    incident = _resolved()
    rendered = inc("postmortem", "render", incident).stdout
    assert "**Postmortem status:** missing" in rendered
    assert "draft" not in rendered
    sre = inc("postmortem", "render", incident, "-t", "sre").stdout
    assert "**Status:** missing" in sre
    listed = inc("postmortem", "list", "--json").json
    assert [(r["incident"], r["state"]) for r in listed] == [(incident, "missing")]
    assert incident in inc("postmortem", "list", "--state", "missing").stdout
    table_row = next(line for line in inc("postmortem", "list").stdout.splitlines() if incident in line)
    assert " missing " in table_row
    shown = next(
        line
        for line in inc("show", incident).stdout.splitlines()
        if line.split()[:1] == ["Postmortem"] and "action items" not in line
    )
    assert shown.split(None, 1)[1].startswith("missing, due 2025-01-17 15:10")
    out = tmp_path / "site"
    inc("report", "-o", str(out))
    index = (out / "index.html").read_text()
    assert 'class="pm pm-missing">missing<' in index
    page = (out / "incidents" / f"{incident}.html").read_text()
    assert 'class="pm pm-missing">missing<' in page
    for word in ("not started", ">none<", "pm-none"):
        assert word not in index + page + rendered + inc("show", incident).stdout, word


def test_a_started_postmortem_reads_draft_everywhere(repo: Path, tmp_path: Path) -> None:
    incident = _resolved()
    inc("postmortem", "new", incident, "--at", "2025-01-15T16:00:00+00:00")
    assert "**Postmortem status:** draft" in inc("postmortem", "render", incident).stdout
    assert [r["state"] for r in inc("postmortem", "list", "--json").json] == ["draft"]
    shown = next(
        line
        for line in inc("show", incident).stdout.splitlines()
        if line.split()[:1] == ["Postmortem"] and "action items" not in line
    )
    assert shown.split(None, 1)[1].startswith("draft")
    out = tmp_path / "site"
    inc("report", "-o", str(out))
    assert 'class="pm pm-draft">draft<' in (out / "index.html").read_text()


# -- 3. the postmortem timeline starts where the incident did ------------------------------


def _timeline(rendered: str) -> list[str]:
    part = rendered.split("## Timeline", 1)[1].split("\n## ", 1)[0]
    return [line for line in part.splitlines() if line[:2].isdigit()]


def test_rendered_timeline_has_impact_start_and_detection_in_place(repo: Path) -> None:
    incident = inc(
        "open",
        "Checkout errors",
        "-s",
        "SEV2",
        "--at",
        "2025-01-15T14:56:00+00:00",
        "--started-at",
        "2025-01-15T14:54:00+00:00",
        "--detected-at",
        "2025-01-15T14:55:00+00:00",
    ).stdout.strip()
    inc("note", incident, "Rolled back", "--at", "2025-01-15T15:05:00+00:00")
    inc("resolve", incident, "--at", "2025-01-15T15:30:00+00:00")
    assert _timeline(inc("postmortem", "render", incident).stdout) == [
        "14:54 - Impact began",
        "14:55 - Detected",
        "14:56 - Opened as SEV2: Checkout errors",
        "15:05 - Rolled back",
        "15:30 - Resolved",
    ]
    html = inc("postmortem", "render", incident, "-f", "html").stdout
    assert html.index("<li>14:54 - Impact began</li>") < html.index("<li>14:55 - Detected</li>") < html.index("14:56")
    sre = inc("postmortem", "render", incident, "-t", "sre").stdout
    assert "- **14:54** Impact began\n- **14:55** Detected\n- **14:56** Opened" in sre


def test_assumed_milestones_are_not_timeline_lines(repo: Path) -> None:
    incident = inc("open", "Checkout errors", "-s", "SEV2", "--at", T0).stdout.strip()
    inc("resolve", incident, "--at", "2025-01-15T15:00:00+00:00")
    lines = _timeline(inc("postmortem", "render", incident).stdout)
    assert lines == ["14:30 - Opened as SEV2: Checkout errors", "15:00 - Resolved"]


def test_given_detection_alone_and_at_the_declaration(repo: Path) -> None:
    # impact start filled in from detection (assumed), detection given at the declaration minute
    incident = inc(
        "open", "Slow search", "-s", "SEV3", "--at", T0, "--detected-at", "2025-01-15T14:30:00+00:00"
    ).stdout.strip()
    lines = _timeline(inc("postmortem", "render", incident).stdout)
    assert "Impact began" not in "\n".join(lines)
    assert lines[:2] == ["14:30 - Detected", "14:30 - Opened as SEV3: Slow search"]


# -- 4. the review invitation always has an ORGANIZER --------------------------------------


def _schedule(incident: str, *extra: str) -> list[str]:
    return ["postmortem", "schedule", incident, "--at", "2025-01-17T10:00:00+00:00", *extra]


def _organizer(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("ORGANIZER")]


def test_invitation_organizer_from_the_option(repo: Path, git_home: Path) -> None:
    incident = _resolved()
    text = inc(*_schedule(incident, "--organizer", "mailto:lead@example.com")).stdout
    assert "METHOD:REQUEST" in text
    assert _organizer(text) == ["ORGANIZER:mailto:lead@example.com"]


def test_invitation_organizer_from_git_user_email(repo: Path, git_home: Path) -> None:
    incident = _resolved()
    subprocess.run(["git", "config", "--global", "user.email", "ana@example.com"], check=True)
    assert _organizer(inc(*_schedule(incident)).stdout) == ["ORGANIZER:mailto:ana@example.com"]
    # the option still wins over git
    given = inc(*_schedule(incident, "--organizer", "lead@example.com")).stdout
    assert _organizer(given) == ["ORGANIZER:mailto:lead@example.com"]


def test_invitation_without_any_organizer_is_refused(
    repo: Path, git_home: Path, tmp_path: Path, run: Run, snapshot
) -> None:
    incident = _resolved()
    before = snapshot(repo)
    target = tmp_path / "review.ics"
    result = run(*_schedule(incident, "-o", str(target)))
    check_refused(result, ExitCode.INVALID, "--organizer", "user.email")
    assert result.stdout == "" and not target.exists()
    assert snapshot(repo) == before


def test_invitation_with_a_bad_organizer_is_refused(repo: Path, git_home: Path, run: Run) -> None:
    incident = _resolved()
    check_refused(run(*_schedule(incident, "--organizer", "nobody")), ExitCode.INVALID, "--organizer", "nobody")
    subprocess.run(["git", "config", "--global", "user.email", "not an address"], check=True)
    check_refused(run(*_schedule(incident)), ExitCode.INVALID, "user.email", "--organizer")
