"""Issue 11, consistency between commands: one rule for each thing several commands show."""

from __future__ import annotations

import re
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
    assert f"\t{due:%H:%M}\t" in row and f"{due:%Y-%m-%d}" not in row  # tab-separated: not a terminal
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
    assert "\tmissing\t" in table_row
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


# -- 5. comments a person typed survive incli's next write ----------------------------------


def _file(root: Path, incident: str) -> Path:
    return next(root.glob(f"incidents/**/{incident}.yaml"))


def _twin(tmp_path: Path, repo: Path, incident: str) -> Path:
    """A second repository holding the same incident file, to see what incli writes without comments."""
    twin = tmp_path / "twin"
    inc("init", twin)
    source = _file(repo, incident)
    target = twin / source.relative_to(repo)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    return twin


def _note(root: Path, incident: str, text: str, at: str) -> None:
    inc("note", incident, text, "--at", at, "--by", "ana", root=root)


COMMENTED = {
    "schema: 1\n": "# Hand-checked by Ana after the review\nschema: 1\n",
    "title: Checkout errors\n": "title: Checkout errors   # the pager's words\n",
    "timeline:\n": "timeline:\n  # the first page came from the synthetic check\n",
    "  kind: resolved\n": "  kind: resolved # confirmed on the dashboard\n",
}


def _with_comments(text: str) -> str:
    for plain, commented in COMMENTED.items():
        assert plain in text, plain
        text = text.replace(plain, commented, 1)
    return text + "# end of file\n"


def _without_comments(text: str) -> str:
    for plain, commented in COMMENTED.items():
        text = text.replace(commented, plain, 1)
    return text.replace("# end of file\n", "")


def test_comments_survive_a_note_and_the_rest_is_byte_identical(repo: Path, tmp_path: Path) -> None:
    incident = inc("open", "Checkout errors", "-s", "SEV2", "--at", T0, "--by", "ana").stdout.strip()
    inc("resolve", incident, "--at", "2025-01-15T15:00:00+00:00", "--by", "ana")
    twin = _twin(tmp_path, repo, incident)
    path = _file(repo, incident)
    path.write_text(_with_comments(path.read_text()))
    for root in (repo, twin):
        _note(root, incident, "Cache warmed again", "2025-01-15T15:10:00+00:00")
        _note(root, incident, "Earlier: rolled back 2.14", "2025-01-15T14:45:00+00:00")
    written = path.read_text()
    for commented in COMMENTED.values():
        assert commented in written, commented
    assert written.endswith("# end of file\n")
    assert _without_comments(written) == _file(twin, incident).read_text()
    # the comment on the resolved entry stayed with it, although a note now comes before it
    assert "  kind: resolved # confirmed on the dashboard\n" in written
    assert [e["text"] for e in inc("show", incident, "--json").json["timeline"]] == [
        "Opened as SEV2: Checkout errors",
        "Earlier: rolled back 2.14",
        "Resolved",
        "Cache warmed again",
    ]
    assert "# " not in inc("show", incident).stdout.split("Timeline", 1)[1]


def test_a_hash_inside_text_is_not_a_comment(repo: Path, tmp_path: Path) -> None:
    incident = inc("open", "Errors in #checkout", "-s", "SEV2", "--at", T0, "--by", "ana").stdout.strip()
    _note(repo, incident, "see ticket #42 and 'quote # inside'", "2025-01-15T14:35:00+00:00")
    _note(repo, incident, "Steps:\n# not a comment\n  #nor this", "2025-01-15T14:36:00+00:00")
    twin = _twin(tmp_path, repo, incident)
    for root in (repo, twin):
        _note(root, incident, "More #hash text", "2025-01-15T14:40:00+00:00")
    assert _file(repo, incident).read_bytes() == _file(twin, incident).read_bytes()
    texts = [e["text"] for e in inc("show", incident, "--json").json["timeline"]]
    assert "Steps:\n# not a comment\n  #nor this" in texts and "see ticket #42 and 'quote # inside'" in texts
    # a real comment beside that text keeps both the comment and the text
    path = _file(repo, incident)
    plain = "title: 'Errors in #checkout'\n"  # PyYAML quotes it: a plain " #" would start a comment
    assert plain in path.read_text()
    path.write_text(path.read_text().replace(plain, "title: 'Errors in #checkout' # real\n"))
    _note(repo, incident, "Last", "2025-01-15T14:50:00+00:00")
    written = path.read_text()
    assert "title: 'Errors in #checkout' # real\n" in written
    shown = inc("show", incident, "--json").json
    assert shown["title"] == "Errors in #checkout"
    assert [e["text"] for e in shown["timeline"]][:5] == [*texts, "Last"]
    assert "# not a comment\n" in written


def test_a_comment_is_a_hash_after_a_space_or_a_tab_whatever_follows_it(repo: Path) -> None:
    incident = inc("open", "Checkout errors", "-s", "SEV2", "--at", T0, "--by", "ana").stdout.strip()
    path = _file(repo, incident)
    text = path.read_text()
    text = text.replace("title: Checkout errors\n", "title: Checkout errors #nospace\n", 1)
    text = text.replace("severity: SEV2\n", "severity: SEV2\t# after a tab\n", 1)
    path.write_text(text + "#eof\n")
    _note(repo, incident, "Cache warmed", "2025-01-15T14:40:00+00:00")
    written = path.read_text()
    assert "title: Checkout errors #nospace\n" in written
    assert "severity: SEV2\t# after a tab\n" in written
    assert written.endswith("#eof\n")
    assert inc("show", incident, "--json").json["title"] == "Checkout errors"


def test_a_file_without_comments_is_written_as_before(repo: Path, tmp_path: Path) -> None:
    incident = inc("open", "Checkout errors", "-s", "SEV2", "--at", T0, "--by", "ana").stdout.strip()
    twin = _twin(tmp_path, repo, incident)
    for root in (repo, twin):
        inc("ack", incident, "--at", "2025-01-15T14:32:00+00:00", "--by", "ana", root=root)
    assert _file(repo, incident).read_bytes() == _file(twin, incident).read_bytes()


def test_a_comment_after_a_value_that_now_spans_lines_moves_above_it(repo: Path) -> None:
    incident = inc("open", "Checkout errors", "-s", "SEV2", "--at", T0, "--by", "ana").stdout.strip()
    path = _file(repo, incident)
    text = path.read_text()
    assert "commander: ana\n" in text or "commander:\n" in text
    text = text.replace("title: Checkout errors\n", "title: Checkout errors # short\n")
    text = re.sub(r"(?m)^commander:.*$", lambda m: m.group(0) + " # who leads", text, count=1)
    path.write_text(text)
    long_name = " ".join(["Ana"] * 40)  # folded over two lines by the writer
    inc("assign", incident, "commander", long_name, "--by", "ana")
    written = path.read_text()
    assert "title: Checkout errors # short\n" in written
    assert "# who leads\ncommander: Ana Ana" in written
    assert inc("show", incident, "--json").json["commander"] == long_name
