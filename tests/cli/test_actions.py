"""Action items: added to an incident, closed, reopened and listed across every incident."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conftest import inc
from tests.postmortem_helpers import cloudflare_waf, load, make_repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_repo(tmp_path, monkeypatch)


def _add(root: Path, incident_id: str, title: str, owner: str, due: str, *extra: str) -> str:
    return inc("action", "add", incident_id, title, "--owner", owner, "--due", due, *extra, root=root).stdout.strip()


def test_an_action_is_stored_as_the_contract_says(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    action_id = _add(repo, incident_id, "Add a regex CPU budget", "dave", "2019-07-16", "--priority", "P1")
    assert re.fullmatch(r"ACT-[23456789abcdefghjkmnpqrstuvwxyz]{5}", action_id)
    (stored,) = load(repo, incident_id)["actions"]
    assert list(stored) == [
        "id",
        "title",
        "owner",
        "due",
        "priority",
        "status",
        "created_at",
        "updated_at",
        "done_at",
        "note",
    ]
    assert stored["id"] == action_id and stored["due"] == "2019-07-16" and stored["status"] == "open"
    assert "due: '2019-07-16'" in (repo / "incidents" / f"{incident_id}.yaml").read_text()


def test_actions_are_overdue_once_their_date_passes(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    past = _add(repo, incident_id, "Staged rollout for WAF rules", "dave", "2019-07-16")
    future = _add(repo, incident_id, "Regex benchmark in CI", "erin", "1w")
    today = _add(repo, incident_id, "Kill switch runbook", "erin", "today")
    rows = json.loads(inc("action", "list", "--sort", "due", "--json", root=repo).stdout)
    assert [r["id"] for r in rows] == [past, today, future]
    assert rows[2]["due"] == (date.today() + timedelta(days=7)).isoformat()
    overdue = json.loads(inc("action", "list", "--overdue", "--json", root=repo).stdout)
    assert [(r["id"], r["incident"], r["overdue"]) for r in overdue] == [(past, incident_id, True)]
    table = inc("action", "list", "--overdue", root=repo).stdout
    assert past in table and "open (overdue)" in table and future not in table


def test_done_and_reopen(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    action_id = _add(repo, incident_id, "Staged rollout for WAF rules", "dave", "2019-07-16")
    inc("action", "done", action_id[-3:], "--note", "Rolled out in three stages", root=repo)
    stored = load(repo, incident_id)["actions"][0]
    assert stored["status"] == "done" and stored["done_at"] and stored["note"] == "Rolled out in three stages"
    assert json.loads(inc("action", "list", "--open", "--json", root=repo).stdout) == []
    assert json.loads(inc("action", "list", "--overdue", "--json", root=repo).stdout) == []
    assert "already done" in inc("action", "done", action_id, root=repo, code=5).stderr
    inc("action", "reopen", action_id, root=repo)
    stored = load(repo, incident_id)["actions"][0]
    assert stored["status"] == "open" and stored["done_at"] is None
    assert [r["id"] for r in json.loads(inc("action", "list", "--overdue", "--json", root=repo).stdout)] == [action_id]


def test_list_filters_by_owner_and_incident_across_incidents(repo: Path) -> None:
    first = cloudflare_waf(repo)
    second = inc("open", "Login errors", "-s", "SEV3", "--at", "2025-01-10T10:00:00+00:00", root=repo).stdout.strip()
    inc("resolve", second, "--at", "2025-01-10T11:00:00+00:00", root=repo)
    a = _add(repo, first, "Staged rollout", "dave", "2019-07-16")
    b = _add(repo, second, "Retry budget for login", "Dave", "2025-02-01")
    c = _add(repo, second, "Session store alert", "erin", "2025-02-02")
    by_owner = json.loads(inc("action", "list", "--owner", "dave", "--sort", "due", "--json", root=repo).stdout)
    assert [r["id"] for r in by_owner] == [a, b]
    by_incident = json.loads(inc("action", "list", "--incident", second, "--sort", "due", "--json", root=repo).stdout)
    assert [r["id"] for r in by_incident] == [b, c]


def test_bad_input_changes_nothing(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    path = repo / "incidents" / f"{incident_id}.yaml"
    before = path.read_bytes()
    assert (
        "due date" in inc("action", "add", incident_id, "X", "--owner", "a", "--due", "soon", root=repo, code=4).stderr
    )
    assert inc("action", "add", incident_id, " ", "--owner", "a", "--due", "3d", root=repo, code=4).stderr
    assert inc("action", "add", incident_id, "X", "--due", "3d", root=repo, code=2).stderr
    assert "no action item matches" in inc("action", "done", "ACT-zzzzz", root=repo, code=3).stderr
    assert path.read_bytes() == before


def test_show_and_status_mention_open_and_overdue_actions(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    late = _add(repo, incident_id, "Staged rollout for WAF rules", "dave", "2019-07-16")
    _add(repo, incident_id, "Regex benchmark in CI", "erin", "2w")
    shown = inc("show", incident_id, root=repo).stdout
    assert late in shown and "Staged rollout for WAF rules (Owner: dave, Due: 2019-07-16) overdue" in shown
    assert "2 open, 1 overdue, 0 done" in shown
    # A note beside the table: on stderr in a pipe (CliRunner is not a terminal).
    assert "Action items: 2 open, 1 overdue" in inc("status", root=repo).stderr


def test_validate_reports_a_malformed_action(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    _add(repo, incident_id, "Staged rollout for WAF rules", "dave", "2019-07-16")
    assert "no problems" in inc("validate", root=repo).stderr
    path = repo / "incidents" / f"{incident_id}.yaml"
    path.write_text(path.read_text().replace("status: open", "status: maybe").replace("'2019-07-16'", "next week"))
    out = inc("validate", root=repo, code=6).stdout
    assert "actions[0].status: expected open or done" in out
    assert "actions[0].due: expected a date" in out


def test_check_flags_an_action_without_owner_or_due_date(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    inc("postmortem", "new", incident_id, root=repo)
    _add(repo, incident_id, "Staged rollout for WAF rules", "dave", "2019-07-16")
    path = repo / "incidents" / f"{incident_id}.yaml"
    path.write_text(path.read_text().replace("owner: dave", "owner:").replace("due: '2019-07-16'", "due:"))
    out = inc("postmortem", "check", incident_id, root=repo, code=6).stdout
    assert re.search(r'action_items: ACT-\w+ has no owner and no due date: "Staged rollout for WAF rules"', out)
    path.write_text(path.read_text().replace("owner:", "owner: dave", 1))
    out = inc("postmortem", "check", incident_id, root=repo, code=6).stdout
    assert re.search(r'action_items: ACT-\w+ has no due date: "Staged rollout for WAF rules"', out)
