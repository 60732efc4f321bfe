"""What the layout issue promised a user: one path for every write (hooks and auto-commit
for inc edit and inc postmortem edit too), one $EDITOR loop that gives a kept draft
back, and incli.yaml refused at load with the file, the line and the key."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import T0, inc, take_snapshot

# An $EDITOR that does what its mode file says: "bad" writes text that is not YAML,
# "quit" changes nothing, "fix:OLD=>NEW" replaces OLD with NEW in the draft.
EDITOR = textwrap.dedent("""
    import pathlib, sys
    mode = pathlib.Path(sys.argv[1]).read_text()
    draft = pathlib.Path(sys.argv[2])
    if mode == "bad":
        draft.write_text(draft.read_text() + "\\nthis line: is: not: yaml: [\\n")
    elif mode.startswith("fix:"):
        old, new = mode[4:].split("=>")
        draft.write_text(draft.read_text().replace("\\nthis line: is: not: yaml: [\\n", "").replace(old, new))
""")


@pytest.fixture
def editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    mode = tmp_path / "mode"
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script} {mode}")

    def set_mode(text: str) -> None:
        mode.write_text(text)

    return set_mode


def _open() -> str:
    result = inc("open", "Pool exhausted", "-s", "SEV2", "--at", T0, code=None)
    assert result.code == 0, result.stderr
    return result.stdout.strip()


def test_inc_edit_keeps_refused_text_across_runs_and_saves_it_once_fixed(repo: Path, editor) -> None:  # type: ignore[no-untyped-def]
    incident = _open()
    path = repo / "incidents" / f"{incident}.yaml"
    before = path.read_bytes()

    editor("bad")
    first = inc("edit", incident, code=None)
    assert first.code == 6
    assert "your text is kept in" in first.stderr
    assert path.read_bytes() == before  # nothing saved
    (draft,) = (repo / ".incli" / "drafts").glob(f"{incident}.yaml")
    typed = draft.read_text()
    assert "this line: is: not: yaml" in typed

    editor("quit")  # the editor is opened on the kept draft, not on the saved file
    second = inc("edit", incident, code=None)
    assert second.code == 6
    assert "resuming your unsaved draft" in second.stderr
    assert draft.read_text() == typed  # the text came back, unchanged

    editor("fix:title: Pool exhausted=>title: Pool exhausted on db-1")
    third = inc("edit", incident, code=None)
    assert third.code == 0, third.stderr
    assert "title: Pool exhausted on db-1" in path.read_text()
    assert not draft.exists()
    assert inc("show", incident, "--json", code=None).json["title"] == "Pool exhausted on db-1"


def test_postmortem_edit_keeps_refused_text_across_runs(repo: Path, editor) -> None:  # type: ignore[no-untyped-def]
    incident = _open()
    assert inc("resolve", incident, "--at", "2025-01-15T14:45:00+00:00", code=None).code == 0
    assert inc("postmortem", "new", incident, "--by", "alice", code=None).code == 0

    editor("bad")
    first = inc("postmortem", "edit", incident, code=None)
    assert first.code == 6 and "your text is kept in" in first.stderr
    (draft,) = (repo / ".incli" / "drafts").glob(f"{incident}.postmortem.yaml")
    typed = draft.read_text()

    editor("quit")
    second = inc("postmortem", "edit", incident, code=None)
    assert second.code == 6
    assert "resuming your unsaved draft" in second.stderr
    assert draft.read_text() == typed  # it used to be overwritten with the saved version

    editor("fix:summary:=>summary: The pool ran dry")
    third = inc("postmortem", "edit", incident, code=None)
    assert third.code == 0, third.stderr
    assert "The pool ran dry" in (repo / "incidents" / f"{incident}.yaml").read_text()
    assert not draft.exists()


def test_a_kept_draft_is_merged_with_a_change_made_on_disk_meanwhile(repo: Path, editor) -> None:  # type: ignore[no-untyped-def]
    """A note written from another terminal while a draft was kept is never overwritten: the
    hand edit is merged into it (as the git merge driver merges two clones)."""
    incident = _open()
    editor("bad")
    assert inc("edit", incident, code=None).code == 6
    assert inc("note", incident, "Someone else wrote this", code=None).code == 0
    editor("fix:title: Pool exhausted=>title: Mine")
    result = inc("edit", incident, code=None)
    assert result.code == 0, result.stderr
    text = (repo / "incidents" / f"{incident}.yaml").read_text()
    assert "Someone else wrote this" in text and "title: Mine" in text
    assert not (repo / ".incli" / "drafts" / f"{incident}.yaml").exists()
    assert inc("validate", code=None).code == 0


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True).stdout


def test_inc_edit_commits_and_fires_hooks(tmp_path: Path, editor, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "team"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _git(root, "config", "user.name", "Alice")
    _git(root, "config", "user.email", "alice@example.org")
    assert inc("init", str(root), code=None).code == 0
    record = tmp_path / "hook.jsonl"
    hook = tmp_path / "hook.py"
    hook.write_text(
        "import json, os, sys\n"
        f"open({str(record)!r}, 'a').write(json.dumps({{'event': os.environ['INC_EVENT'], "
        "'id': os.environ['INC_ID'], 'stdin': json.load(sys.stdin)['title']}) + '\\n')\n"
    )
    config = root / "incli.yaml"
    config.write_text(
        config.read_text() + f"git:\n  commit: true\nhooks:\n  edited:\n    - run: [{sys.executable}, {hook}]\n"
    )
    _git(root, "add", "-A")
    _git(root, "commit", "-qm", "repository")
    monkeypatch.setenv("INC_DIR", str(root))
    incident = _open()
    editor("fix:title: Pool exhausted=>title: Pool exhausted (edited)")
    result = inc("edit", incident, code=None)
    assert result.code == 0, result.stderr
    assert _git(root, "log", "-1", "--format=%s").strip() == f"inc edit {incident} (Alice)"
    assert _git(root, "status", "--porcelain") == ""
    (call,) = [json.loads(line) for line in record.read_text().splitlines()]
    assert call == {"event": "edited", "id": incident, "stdin": "Pool exhausted (edited)"}


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("postmortem:\n  du: {SEV1: 48h}\n", ":2: postmortem.du: unknown key; did you mean `due`?"),
        ("git:\n  commit: 'yes'\n", ":2: git.commit: must be true or false"),
        ("postmortem:\n  due:\n    SEV5: 48h\n", ":3: postmortem.due.SEV5: no such severity"),
        ("hooks:\n  opened:\n    - run: [x]\n      timeot: 5s\n", ":3: hooks.opened[0]: unknown key"),
        ("timezone_: UTC\n", ":1: timezone_: unknown key; did you mean `timezone`?"),
        ("incidents_dir: ../outside\n", ":1: incidents_dir: '../outside' is outside the repository"),
        ("incidents_dir: [a, b]\n", ":1: incidents_dir: must be a folder name"),
        ("report: {title: [x]}\n", ":1: report.title: must be text"),
        ("alerts:\n  severity_lable: sev\n", ":2: alerts.severity_lable: unknown key; did you mean `severity_label`?"),
    ],
)
def test_config_mistakes_are_one_line_naming_file_line_and_key(repo: Path, section: str, expected: str) -> None:
    config = repo / "incli.yaml"
    lines = config.read_text().count("\n")
    config.write_text(config.read_text() + section)
    before = take_snapshot(repo)
    result = inc("open", "x", "-s", "SEV2", code=None)
    assert result.code == 4
    (line,) = result.err_lines
    number, _, rest = expected[1:].partition(":")
    assert f"incli.yaml:{lines + int(number)}:{rest}" in line
    assert take_snapshot(repo) == before


def test_a_typo_in_a_severity_suggests_the_key(repo: Path) -> None:
    config = repo / "incli.yaml"
    text = config.read_text().replace("update_every: 15m", "update_evry: 15m", 1)
    config.write_text(text)
    lineno = text.splitlines().index("  update_evry: 15m") + 1
    result = inc("list", code=None)
    assert result.code == 4
    assert f"incli.yaml:{lineno}: severities[0].update_evry: unknown key; did you mean `update_every`?" in result.stderr


def test_yaml_aliases_in_the_config_are_refused(repo: Path) -> None:
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + "report: &r {title: A}\nx_copy: *r\n")
    result = inc("list", code=None)
    assert result.code == 6
    assert "aliases" in result.stderr and len(result.err_lines) == 1


def test_a_setting_written_twice_or_a_zero_cadence_is_refused(repo: Path) -> None:
    config = repo / "incli.yaml"
    original = config.read_text()
    config.write_text(original + "git:\n  commit: false\ngit:\n  commit: true\n")
    twice = inc("list", code=None)
    assert twice.code == 6 and "git is written twice" in twice.stderr and len(twice.err_lines) == 1
    config.write_text(original.replace("update_every: 15m", "update_every: 0m", 1))
    zero = inc("list", code=None)
    assert zero.code == 4 and "severities[0].update_every: must be more than zero" in zero.stderr


def test_show_leaves_an_assumed_time_to_detect_unknown(repo: Path) -> None:
    incident = _open()
    inc("ack", incident, "--at", "2025-01-15T14:32:00+00:00")
    shown = inc("show", incident).stdout
    detect = next(line for line in shown.splitlines() if line.startswith("Time to detect"))
    acknowledge = next(line for line in shown.splitlines() if line.startswith("Time to acknowledge"))
    assert detect.split()[-1] == "-"  # not "0 seconds": detection was assumed
    assert "2 minutes" in acknowledge  # from the declaration, as inc metrics counts it
