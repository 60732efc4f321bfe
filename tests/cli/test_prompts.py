"""Asking where a person is, never in a script. A terminal is simulated in one place: the one
tty check, ``incli.cli.prompts.interactive``; the answers are typed on stdin."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from incli.cli import prompts
from incli.errors import ExitCode
from incli.storage import yamlio
from tests.conftest import check_refused, inc, take_snapshot


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prompts, "interactive", lambda: True)


def _load(root: Path, incident_id: str) -> dict:
    return yamlio.load((root / "incidents" / f"{incident_id}.yaml").read_bytes())


def _three_active(repo: Path) -> list[str]:
    """Oldest first."""
    return [
        inc("open", title, "-s", sev, "--at", at).stdout.strip()
        for title, sev, at in (
            ("DB pool", "SEV2", "30m ago"),
            ("Search slow", "SEV3", "20m ago"),
            ("CDN", "SEV4", "5m ago"),
        )
    ]


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("stdin, stdout, expected", [(True, True, True), (True, False, False), (False, True, False)])
def test_interactive_only_when_stdin_and_stdout_are_terminals(
    monkeypatch: pytest.MonkeyPatch, stdin: bool, stdout: bool, expected: bool
) -> None:
    monkeypatch.setattr("sys.stdin", _Stream(stdin))
    monkeypatch.setattr("sys.stdout", _Stream(stdout))
    assert prompts.interactive() is expected


def test_open_asks_for_the_title_and_offers_the_severities(repo: Path, terminal: None) -> None:
    result = inc("open", input="Checkout returns 500s\n2\n")
    # The questions are on stderr; stdout has the id (after the answers, which the test runner
    # echoes there as a terminal would show them as typed).
    incident_id = result.stdout.split()[-1]
    assert incident_id.startswith("INC-") and "INC-" not in result.stderr
    assert "Title" in result.stderr
    for line in ("SEV1   critical   Complete service outage", "SEV2   high       Significant degradation"):
        assert line in result.stderr
    data = _load(repo, incident_id)
    assert (data["title"], data["severity"]) == ("Checkout returns 500s", "SEV2")


def test_open_asks_again_for_an_empty_title_and_a_severity_that_is_not_one(repo: Path, terminal: None) -> None:
    result = inc("open", input="\nLogins slow\nSEV9\nhigh\n")
    assert result.stderr.count("Title (what is wrong") == 2
    assert "unknown severity 'SEV9'" in result.stderr  # said what was wrong, then asked again
    assert result.stderr.count("Severity [1-4 or SEV1]") == 2
    data = _load(repo, result.stdout.split()[-1])
    assert (data["title"], data["severity"]) == ("Logins slow", "SEV2")


def test_open_with_a_title_but_no_severity_offers_them(repo: Path, terminal: None) -> None:
    data = _load(repo, inc("open", "Queue backlog", input="4\n").stdout.split()[-1])
    assert data["severity"] == "SEV4"


def test_with_a_default_severity_enter_takes_it_and_a_given_title_asks_nothing(repo: Path, terminal: None) -> None:
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + "\ndefaults:\n  severity: SEV3\n")
    asked = inc("open", input="Disk filling\n\n")
    assert "Severity [1-4 or SEV1] [SEV3]" in asked.stderr
    assert _load(repo, asked.stdout.split()[-1])["severity"] == "SEV3"
    quiet = inc("open", "Queue backlog", input="")
    assert "Severity" not in quiet.stderr
    assert _load(repo, quiet.stdout.strip())["severity"] == "SEV3"


def test_without_a_terminal_open_never_asks(repo: Path) -> None:
    before = take_snapshot(repo)
    check_refused(inc("open", input="A title\n2\n", code=None), ExitCode.USAGE, "Missing argument 'TITLE'")
    check_refused(inc("open", "A title", input="2\n", code=None), ExitCode.USAGE, "--severity")
    assert take_snapshot(repo) == before


def test_ack_offers_a_numbered_pick_newest_first(repo: Path, terminal: None) -> None:
    oldest, middle, newest = _three_active(repo)
    result = inc("ack", input="7\n1\n")
    menu = result.stderr
    assert menu.index(newest) < menu.index(middle) < menu.index(oldest)
    assert "1 to 3" in menu  # 7 is not on the list: asked again
    assert _load(repo, newest)["status"] == "acknowledged"
    assert _load(repo, oldest)["status"] == _load(repo, middle)["status"] == "open"


def test_mitigate_and_resolve_pick_too(repo: Path, terminal: None) -> None:
    oldest, middle, _newest = _three_active(repo)
    inc("mitigate", input="3\n")
    assert _load(repo, oldest)["status"] == "mitigated"
    inc("resolve", input="2\n")
    assert _load(repo, middle)["status"] == "resolved"


def test_note_without_an_id_picks(repo: Path, terminal: None) -> None:
    _oldest, middle, _newest = _three_active(repo)
    inc("note", "pgbouncer shows 0 free connections", input="2\n")
    texts = [entry["text"] for entry in _load(repo, middle)["timeline"]]
    assert "pgbouncer shows 0 free connections" in texts


def test_one_active_incident_needs_no_pick(repo: Path, terminal: None) -> None:
    incident_id = inc("open", "Only one", "-s", "SEV3").stdout.strip()
    result = inc("ack", input="")
    assert "Which one" not in result.stderr
    assert _load(repo, incident_id)["status"] == "acknowledged"


def test_ctrl_d_at_the_pick_writes_nothing(repo: Path, terminal: None) -> None:
    _three_active(repo)
    before = take_snapshot(repo)
    result = inc("resolve", input="", code=ExitCode.INTERRUPTED)
    assert result.stderr.rstrip().endswith("inc: error: aborted")
    assert take_snapshot(repo) == before


def test_without_a_terminal_several_active_is_the_same_one_line_error(repo: Path) -> None:
    _three_active(repo)
    before = take_snapshot(repo)
    check_refused(inc("ack", input="1\n", code=None), ExitCode.CONFLICT, "3 incidents are active")
    check_refused(inc("note", "text", input="1\n", code=None), ExitCode.CONFLICT, "3 incidents are active")
    assert take_snapshot(repo) == before


def _postmortem_started(repo: Path) -> str:
    incident_id = inc("open", "Checkout down", "-s", "SEV2", "--at", "1h ago").stdout.strip()
    inc("mitigate", incident_id)
    inc("postmortem", "new", incident_id)
    return incident_id


def test_why_keeps_the_answers_given_before_ctrl_d(repo: Path) -> None:
    incident_id = _postmortem_started(repo)
    result = inc("postmortem", "why", incident_id, input="The pool ran out\nEach request held one\n")  # then EOF
    assert "the 2 answer(s) given so far are kept" in result.stderr
    chain = _load(repo, incident_id)["postmortem"]["whys"][0]
    assert [step["answer"] for step in chain] == ["The pool ran out", "Each request held one"]


def test_why_interrupted_before_any_answer_saves_nothing(repo: Path) -> None:
    incident_id = _postmortem_started(repo)
    before = take_snapshot(repo)
    inc("postmortem", "why", incident_id, input="", code=ExitCode.INTERRUPTED)
    assert take_snapshot(repo) == before


def test_init_again_changes_nothing_and_commits_nothing(tmp_path: Path, git_home: Path) -> None:
    root = tmp_path / "team"
    root.mkdir()
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@e", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@e"}

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args],
            cwd=root,
            env={**env, "HOME": str(git_home), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    git("init", "-q")
    git("config", "user.name", "t")
    git("config", "user.email", "t@e")
    inc("init", root)
    commits = git("rev-list", "--all", "--count")
    status = git("status", "--porcelain")
    before = take_snapshot(root)
    again = inc("init", root)
    assert again.err_lines == [f"{root} is already an incident repository; nothing changed"]
    assert git("rev-list", "--all", "--count") == commits
    assert git("status", "--porcelain") == status
    assert take_snapshot(root) == before
