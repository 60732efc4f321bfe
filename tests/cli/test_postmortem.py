"""Blameless postmortems: start, write, five whys, review, check, list and schedule."""

from __future__ import annotations

import json
import stat
import sys
from pathlib import Path

import pytest

from tests.conftest import inc
from tests.postmortem_helpers import cloudflare_waf, load, make_repo, set_config, write_up

OUTLINE = [
    "## Incident Summary",
    "## Timeline",
    "## Root Cause Analysis",
    "## Contributing Factors",
    "## What Went Well",
    "## What Could Be Improved",
    "## Action Items",
    "## Lessons Learned",
]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_repo(tmp_path, monkeypatch)


def test_the_default_postmortem_has_every_section_in_order(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    write_up(repo, incident_id)
    inc(
        "action",
        "add",
        incident_id,
        "Limit regex backtracking in the WAF",
        "--owner",
        "dave",
        "--due",
        "2019-07-16",
        "--priority",
        "P1",
        root=repo,
    )
    text = inc("postmortem", "render", incident_id, root=repo).stdout
    lines = text.splitlines()
    positions = [lines.index(heading) for heading in OUTLINE]
    assert positions == sorted(positions)
    summary = lines[positions[0] : positions[1]]
    labels = [line.split(":**")[0] for line in summary if line.startswith("- **")][:5]
    assert labels == ["- **Incident ID", "- **Date", "- **Duration", "- **Severity", "- **Impact"]
    assert f"- **Incident ID:** {incident_id}" in lines
    assert "- **Date:** 2019-07-02" in lines
    assert "- **Duration:** 1 hour 30 minutes" in lines
    assert "- **Severity:** SEV1 (critical)" in lines
    assert "- **Impact:** Visitors to proxied domains saw 502 errors for 27 minutes; traffic dropped 82%." in lines
    timeline = [line for line in lines[positions[1] : positions[2]] if line[:2].isdigit()]
    assert timeline == [
        "13:42 - Impact began",  # issue 11: given impact start and detection are timeline lines
        "13:45 - Detected",
        "13:46 - Opened as SEV1: Global 502 errors: WAF rule exhausted CPU",
        "13:46 - alice is commander",
        "13:47 - Acknowledged",
        "14:00 - WAF identified as the cause",
        "14:07 - Global kill of WAF Managed Rules executed",
        "14:09 - Mitigated: Traffic and CPU back to normal",
        "15:12 - Resolved: WAF Managed Rules re-enabled",
    ]
    assert "- A regular expression in a new XSS rule backtracked catastrophically." in lines
    assert "- The first alert fired three minutes after the deploy." in lines
    action = [line for line in lines if "Limit regex backtracking" in line]
    assert action and "Limit regex backtracking in the WAF (Owner: dave, Due: 2019-07-16) - open" in action[0]
    assert lines[-1] == "- Emergency changes need the same staged rollout as any other."
    assert "None recorded." not in text


def test_empty_sections_say_so(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    inc("postmortem", "new", incident_id, root=repo)
    lines = inc("postmortem", "render", incident_id, root=repo).stdout.splitlines()
    for heading in OUTLINE[2:]:
        after = lines[lines.index(heading) + 1 :]
        assert next(line for line in after if line.strip()) == "None recorded.", heading
    assert "- **Impact:** None recorded." in lines


def test_a_postmortem_waits_for_mitigation(repo: Path) -> None:
    incident_id = inc("open", "Checkout slow", "-s", "SEV3", root=repo).stdout.strip()
    before = (repo / "incidents" / f"{incident_id}.yaml").read_bytes()
    result = inc("postmortem", "new", incident_id, root=repo, code=5)
    assert "mitigated or resolved" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert (repo / "incidents" / f"{incident_id}.yaml").read_bytes() == before
    inc("mitigate", incident_id, root=repo)
    inc("postmortem", "new", incident_id, "--author", "erin", root=repo)
    stored = load(repo, incident_id)["postmortem"]
    assert stored["state"] == "draft" and stored["authors"] == ["erin"]
    assert inc("postmortem", "new", incident_id, root=repo, code=5).stderr.count("already has a postmortem") == 1


def test_timeline_uses_the_repository_time_zone_and_dates_across_midnight(repo: Path) -> None:
    set_config(repo, "timezone: America/New_York\n")
    incident_id = inc(
        "open", "Nightly batch stuck", "-s", "SEV3", "--at", "2025-01-16T04:50:00+00:00", root=repo
    ).stdout
    incident_id = incident_id.strip()
    inc("resolve", incident_id, "--at", "2025-01-16T06:10:00+00:00", root=repo)
    inc("postmortem", "new", incident_id, root=repo)
    text = inc("postmortem", "render", incident_id, root=repo).stdout
    assert "2025-01-15 23:50 - Opened as SEV3: Nightly batch stuck" in text.splitlines()
    assert "2025-01-16 01:10 - Resolved" in text.splitlines()
    assert "- **Date:** 2025-01-15" in text
    assert "- **Duration:** 1 hour 20 minutes" in text
    assert "America/New_York" in text


def test_five_whys_at_a_prompt(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    inc("postmortem", "new", incident_id, root=repo)
    answers = "The WAF rule used all CPU\nIts regex backtracked\nNo test measured regex cost\n\n"
    result = inc("postmortem", "why", incident_id, input=answers, root=repo)
    assert 'Why did "Global 502 errors: WAF rule exhausted CPU" happen?' in result.stderr
    assert 'Why did "The WAF rule used all CPU" happen?' in result.stderr
    assert 'Why did "No test measured regex cost" happen?' in result.stderr  # the fourth, answered empty
    chain = load(repo, incident_id)["postmortem"]["whys"][0]
    assert [step["answer"] for step in chain] == [
        "The WAF rule used all CPU",
        "Its regex backtracked",
        "No test measured regex cost",
    ]
    assert chain[1]["question"] == 'Why did "The WAF rule used all CPU" happen?'
    rendered = inc("postmortem", "render", incident_id, root=repo).stdout
    assert "### Five whys" in rendered and "   Its regex backtracked" in rendered


def test_five_whys_stop_at_the_configured_count_and_take_answers(repo: Path) -> None:
    set_config(repo, "postmortem:\n  whys: 2\n")
    incident_id = cloudflare_waf(repo)
    inc("postmortem", "new", incident_id, root=repo)
    result = inc("postmortem", "why", incident_id, input="one\ntwo\nthree\n", root=repo)
    assert result.stderr.count("Why did") == 2
    inc("postmortem", "why", incident_id, "--answer", "A", "--answer", "B", root=repo)
    whys = load(repo, incident_id)["postmortem"]["whys"]
    assert [[s["answer"] for s in chain] for chain in whys] == [["one", "two"], ["A", "B"]]
    assert inc("postmortem", "why", incident_id, "-a", "1", "-a", "2", "-a", "3", root=repo, code=4).stderr


def test_review_states_move_and_are_recorded(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    inc("postmortem", "new", incident_id, root=repo)
    refused = inc("postmortem", "review", incident_id, "--state", "published", root=repo, code=5)
    assert "cannot move a postmortem from draft to published" in refused.stderr
    inc("postmortem", "review", incident_id, "--state", "in-review", "--reviewer", "frank", "--by", "carol", root=repo)
    inc("postmortem", "review", incident_id, "--state", "reviewed", "--by", "frank", root=repo)
    inc("postmortem", "review", incident_id, "--state", "published", "--by", "carol", root=repo)
    data = load(repo, incident_id)
    assert data["postmortem"]["state"] == "published"
    assert data["postmortem"]["reviewers"] == ["frank"]
    assert data["postmortem"]["published_at"]
    moves = [e["text"] for e in data["timeline"] if e["kind"] == "postmortem"]
    assert moves[1:] == [
        "Postmortem review: draft -> in-review (reviewers: frank)",
        "Postmortem review: in-review -> reviewed (reviewers: frank)",
        "Postmortem review: reviewed -> published",
    ]
    rendered = inc("postmortem", "render", incident_id, root=repo).stdout
    assert "Postmortem review" not in rendered  # review steps are not part of the incident's timeline
    assert inc("postmortem", "review", incident_id, "--state", "finished", root=repo, code=4).stderr


def test_review_moves_one_step_forward_or_back_to_any_earlier_state(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    inc("postmortem", "new", incident_id, root=repo)

    def review(state: str, code: int = 0) -> str:
        return inc("postmortem", "review", incident_id, "--state", state, root=repo, code=code).stderr

    assert review("draft", code=5) == "inc: error: the postmortem is already draft\n"
    assert review("reviewed", code=5) == (
        "inc: error: cannot move a postmortem from draft to reviewed; from draft: in-review\n"
    )
    assert review("finished", code=4) == (
        "inc: error: unknown review state 'finished'; one of draft, in-review, reviewed, published\n"
    )
    review("in-review")
    review("reviewed")
    review("in-review")  # back one step, to rework it
    review("reviewed")
    review("published")
    assert load(repo, incident_id)["postmortem"]["published_at"]
    assert review("draft") == f"{incident_id}: postmortem published -> draft\n"  # back to any earlier state
    assert load(repo, incident_id)["postmortem"]["published_at"] is None
    review("in-review")
    assert review("published", code=5) == (
        "inc: error: cannot move a postmortem from in-review to published; from in-review: reviewed, draft\n"
    )


def test_a_hand_written_unknown_review_state_moves_like_a_draft(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    inc("postmortem", "new", incident_id, root=repo)
    path = repo / "incidents" / f"{incident_id}.yaml"
    path.write_text(path.read_text().replace("  state: draft", "  state: limbo", 1))
    refused = inc("postmortem", "review", incident_id, "--state", "reviewed", root=repo, code=5).stderr
    assert refused == "inc: error: cannot move a postmortem from limbo to reviewed; from limbo: in-review\n"
    inc("postmortem", "review", incident_id, "--state", "in-review", root=repo)
    assert load(repo, incident_id)["postmortem"]["state"] == "in-review"


def test_why_asks_about_the_title_without_its_final_punctuation(repo: Path) -> None:
    incident_id = inc("open", "...Checkout is down?!", "-s", "SEV2", root=repo).stdout.strip()
    inc("resolve", incident_id, root=repo)
    inc("postmortem", "new", incident_id, root=repo)
    asked = inc("postmortem", "why", incident_id, input="  The pool was full?! \n\n", root=repo).stderr
    assert '1. Why did "...Checkout is down" happen?' in asked
    assert '2. Why did "The pool was full" happen?' in asked


def test_check_catches_blame_and_names(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    write_up(repo, incident_id)
    inc("action", "add", incident_id, "Staged rollout for WAF rules", "--owner", "dave", "--due", "2w", root=repo)
    inc("postmortem", "add", incident_id, "root-cause", "Bob forgot to run the regex benchmark", root=repo)
    inc(
        "postmortem", "add", incident_id, "could-improve", "The reviewer should have spotted it: human error", root=repo
    )
    result = inc("postmortem", "check", incident_id, root=repo, code=6)
    out = result.stdout
    assert f"{incident_id} root_causes: blaming language ('forgot'): \"Bob forgot to run the regex benchmark\"" in out
    assert "root_causes: names a person (bob)" in out
    assert "could_improve: blaming language ('should have')" in out
    assert "could_improve: blaming language ('human error')" in out
    report = json.loads(inc("postmortem", "check", "--all", "--json", root=repo, code=6).stdout)
    assert report["checked"] == 1 and len(report["findings"]) == len(out.strip().splitlines())
    assert {
        "incident": incident_id,
        "section": "root_causes",
        "text": "Bob forgot to run the regex benchmark",
        "message": "blaming language ('forgot')",
    } in report["findings"]


def findings(repo: Path, incident_id: str) -> list[dict[str, str]]:
    report = json.loads(inc("postmortem", "check", incident_id, "--json", root=repo, code=None).stdout)
    found: list[dict[str, str]] = report["findings"]
    return found


def test_check_without_a_postmortem_says_how_to_start_one(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    assert findings(repo, incident_id) == [
        {
            "incident": incident_id,
            "section": "postmortem",
            "text": "",
            "message": f"no postmortem yet (start one: inc postmortem new {incident_id})",
        }
    ]


def test_check_reads_every_section_and_answer_and_names_each_person_once(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)  # alice (commander) and bob (who acknowledged) are named in it
    write_up(repo, incident_id)
    inc("action", "add", incident_id, "Staged rollout for WAF rules", "--owner", "Al Smith", "--due", "2w", root=repo)
    set_config(repo, "postmortem:\n  required_sections: [summary, whys]\n")
    assert [f["section"] for f in findings(repo, incident_id)] == ["whys"]
    inc("postmortem", "why", incident_id, "-a", "Bob forgot the benchmark", "-a", "No CI step", root=repo)
    inc("postmortem", "add", incident_id, "impact", "Human error at the edge.", root=repo)
    inc("postmortem", "add", incident_id, "root-cause", "Smith and SMITH pushed it; Al said so", root=repo)
    found = [(f["section"], f["message"]) for f in findings(repo, incident_id)]
    assert found == [
        ("impact", "blaming language ('human error')"),
        ("whys", "blaming language ('forgot')"),
        ("root_causes", "names a person (Al Smith); describe the system, not who"),
    ]
    path = repo / "incidents" / f"{incident_id}.yaml"
    path.write_text(path.read_text().replace("  whys:", "  conflicts: [summary, '']\n  whys:", 1))
    conflict = [f for f in findings(repo, incident_id) if f["section"] == "summary"]
    assert conflict == [
        {
            "incident": incident_id,
            "section": "summary",
            "text": "",
            "message": "a merge kept two versions ([merge: ours] / [merge: theirs]); reconcile the text with "
            "inc postmortem edit and remove the section from postmortem.conflicts",
        }
    ]


def test_a_clean_postmortem_passes_and_empty_required_sections_fail(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    inc("postmortem", "new", incident_id, root=repo)
    found = inc("postmortem", "check", incident_id, root=repo, code=6).stdout
    for section in ("summary", "impact", "root_causes", "action_items"):
        assert f"{incident_id} {section}: required section is empty" in found
    write_up(repo, incident_id, start=False)
    inc("action", "add", incident_id, "Staged rollout for WAF rules", "--owner", "dave", "--due", "2w", root=repo)
    result = inc("postmortem", "check", "--all", root=repo)
    assert result.stdout == ""
    assert "1 postmortem checked: no findings" in result.stderr
    set_config(repo, "postmortem:\n  required_sections: [summary, lucky]\n")
    assert (
        f"{incident_id} lucky: required section is empty"
        in inc("postmortem", "check", "--all", root=repo, code=6).stdout
    )


def test_check_needs_an_id_or_all(repo: Path) -> None:
    assert "--all" in inc("postmortem", "check", root=repo, code=4).stderr


def test_list_shows_due_dates_and_what_is_overdue(repo: Path) -> None:
    late = cloudflare_waf(repo)  # SEV1 resolved 2019-07-02 15:12: due 48 hours later
    minor = inc(
        "open", "Typo on status page", "-s", "SEV4", "--at", "2019-07-03T10:00:00+00:00", root=repo
    ).stdout.strip()
    inc("resolve", minor, "--at", "2019-07-03T10:05:00+00:00", root=repo)
    rows = json.loads(inc("postmortem", "list", "--json", root=repo).stdout)
    assert [(r["incident"], r["state"], r["due_at"], r["overdue"]) for r in rows] == [
        (late, "missing", "2019-07-04T15:12:00+00:00", True)
    ]
    inc("postmortem", "new", late, root=repo)
    assert json.loads(inc("postmortem", "list", "--overdue", "--json", root=repo).stdout)[0]["state"] == "draft"
    assert json.loads(inc("postmortem", "list", "--state", "published", "--json", root=repo).stdout) == []
    for state in ("in-review", "reviewed", "published"):
        inc("postmortem", "review", late, "--state", state, "--at", "2019-07-04T10:00:00+00:00", root=repo)
    assert json.loads(inc("postmortem", "list", "--overdue", "--json", root=repo).stdout) == []
    row = json.loads(inc("postmortem", "list", "--state", "published", "--json", root=repo).stdout)[0]
    assert row["published_at"] == "2019-07-04T10:00:00+00:00" and row["on_time"] is True
    inc("postmortem", "review", late, "--state", "draft", root=repo)
    for state in ("in-review", "reviewed", "published"):
        inc("postmortem", "review", late, "--state", state, root=repo)
    row = json.loads(inc("postmortem", "list", "--state", "published", "--json", root=repo).stdout)[0]
    assert row["on_time"] is False
    assert "2019-07-04 15:12" in inc("postmortem", "list", root=repo).stdout


def test_due_allowance_is_configurable(repo: Path) -> None:
    set_config(repo, "postmortem:\n  due:\n    SEV1: 2w\n")
    incident_id = cloudflare_waf(repo)
    row = json.loads(inc("postmortem", "list", "--json", root=repo).stdout)[0]
    assert row["incident"] == incident_id and row["due_at"] == "2019-07-16T15:12:00+00:00"


def _editor(tmp_path: Path, script: str) -> str:
    path = tmp_path / "editor.py"
    path.write_text(f"import sys\nfrom pathlib import Path\np = Path(sys.argv[1])\ntext = p.read_text()\n{script}\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return f"{sys.executable} {path}"


def test_edit_saves_what_validates_and_keeps_what_does_not(repo: Path, tmp_path: Path, monkeypatch) -> None:
    incident_id = cloudflare_waf(repo)
    inc("postmortem", "new", incident_id, root=repo)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "p.write_text(text.replace('summary:\\n', 'summary: Edited\\n'))"))
    inc("postmortem", "edit", incident_id, root=repo)
    assert load(repo, incident_id)["postmortem"]["summary"] == "Edited"
    before = (repo / "incidents" / f"{incident_id}.yaml").read_bytes()
    monkeypatch.setenv("EDITOR", _editor(tmp_path, "p.write_text(text.replace('state: draft', 'state: done'))"))
    result = inc("postmortem", "edit", incident_id, root=repo, code=6)
    assert "postmortem.state" in result.stderr and "your text is kept in" in result.stderr
    assert (repo / "incidents" / f"{incident_id}.yaml").read_bytes() == before
    kept = repo / ".incli" / "drafts" / f"{incident_id}.postmortem.yaml"
    assert "state: done" in kept.read_text()


def test_validate_reports_a_malformed_postmortem(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    inc("postmortem", "new", incident_id, root=repo)
    path = repo / "incidents" / f"{incident_id}.yaml"
    path.write_text(path.read_text().replace("root_causes: []", "root_causes: just one string"))
    out = inc("validate", root=repo, code=6).stdout
    assert "postmortem.root_causes: expected a list of text" in out


def test_schedule_writes_an_invitation_that_parses(repo: Path, tmp_path: Path) -> None:
    import icalendar

    incident_id = cloudflare_waf(repo)
    target = tmp_path / "review.ics"
    inc(
        "postmortem",
        "schedule",
        incident_id,
        "--at",
        "2019-07-05T15:00:00+00:00",
        "--duration",
        "45m",
        "--attendee",
        "alice@example.com",
        "--attendee",
        "bob@example.com",
        "--organizer",
        "ic@example.com",  # not from git's user.email, which a clean machine may not have
        "-o",
        str(target),
        root=repo,
    )
    data = target.read_bytes()
    assert b"ORGANIZER:mailto:ic@example.com" in data
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["METHOD"]) == "REQUEST"
    event = next(iter(calendar.walk("VEVENT")))
    assert event["DTSTART"].dt.isoformat() == "2019-07-05T15:00:00+00:00"
    assert event["DTEND"].dt.isoformat() == "2019-07-05T15:45:00+00:00"
    assert str(event["SUMMARY"]) == f"Postmortem review: Global 502 errors: WAF rule exhausted CPU ({incident_id})"
    assert {str(a) for a in event["ATTENDEE"]} == {"mailto:alice@example.com", "mailto:bob@example.com"}
    assert b"DTSTART:20190705T150000Z" in data and b"UID:" in data and b"DTSTAMP:" in data
    assert inc(
        "postmortem", "schedule", incident_id, "--at", "2019-07-05T15:00", "--attendee", "nobody", root=repo, code=4
    ).stderr
