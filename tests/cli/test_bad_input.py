"""Every bad input the core issue lists: exactly one line on stderr, the documented
non-zero exit code, and every file in the repository byte for byte unchanged."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from incli.errors import ExitCode
from tests.conftest import T0, Run, take_snapshot

RESOLVED_AT = "2025-01-15T14:45:00+00:00"
BROKEN_YAML = b"id: INC-20250101-brkn1\ntitle: [unclosed\nseverity: SEV2\n"
CONFLICTED = b"""schema: 1
id: INC-20250102-cnfl1
<<<<<<< HEAD
title: Checkout errors
=======
title: Checkout errors in EU
>>>>>>> theirs
severity: SEV2
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Built once: two active incidents (so the id cannot be left out), one resolved, two broken files."""
    from typer.testing import CliRunner

    from incli.cli.app import app

    root = tmp_path_factory.mktemp("template") / "repo"

    def inc(*args: str) -> str:
        result = CliRunner().invoke(app, ["--dir", str(root), *args], env={"TZ": "UTC"})
        assert result.exit_code == 0, result.output
        return result.stdout.strip()

    CliRunner().invoke(app, ["init", str(root)])
    ids = {}
    for name, title in (("active", "Database connection pool exhausted"), ("other", "Cache misses")):
        ids[name] = inc("open", title, "-s", "SEV2", "--at", T0, "--by", "ann")
    inc("ack", ids["active"], "--at", "2025-01-15T14:32:00+00:00", "--by", "ann")
    ids["resolved"] = inc("open", "Old outage", "-s", "1", "--at", T0, "--by", "ann")
    inc("resolve", ids["resolved"], "--at", RESOLVED_AT, "--by", "ann")
    (root / "incidents" / "INC-20250101-brkn1.yaml").write_bytes(BROKEN_YAML)
    (root / "incidents" / "INC-20250102-cnfl1.yaml").write_bytes(CONFLICTED)
    return root, ids


@pytest.fixture
def populated(repo: Path, template: tuple[Path, dict[str, str]]) -> dict[str, str]:
    """A copy of the template in ``repo`` (INC_DIR points at it)."""
    source, ids = template
    shutil.rmtree(repo)
    shutil.copytree(source, repo)
    return ids


def check_refused(result, code: ExitCode, *words: str) -> None:  # type: ignore[no-untyped-def]
    errors = [line for line in result.stderr.splitlines() if "warning: skipped" not in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("inc: error: "), result.stderr
    assert result.code == code, (result.code, result.stderr)
    for word in words:
        assert word in errors[0], (word, errors[0])


CASES = [
    # (name, argv with {active}/{other}/{resolved} placeholders, exit code, words in the message)
    ("unknown severity", ["open", "x", "-s", "SEV9", "--at", T0], ExitCode.INVALID, ["SEV9", "SEV1"]),
    ("unknown severity name", ["open", "x", "-s", "urgent", "--at", T0], ExitCode.INVALID, ["urgent"]),
    ("unknown severity change", ["severity", "{active}", "SEV0"], ExitCode.INVALID, ["SEV0"]),
    ("empty title", ["open", "", "-s", "SEV2", "--at", T0], ExitCode.INVALID, ["title"]),
    ("blank title", ["open", "   ", "-s", "SEV2", "--at", T0], ExitCode.INVALID, ["title"]),
    ("empty note", ["note", "{active}", ""], ExitCode.INVALID, ["empty"]),
    ("unknown id", ["ack", "INC-19990101-zzzzz"], ExitCode.NOT_FOUND, ["INC-19990101-zzzzz"]),
    ("unknown id show", ["show", "nothing-like-it"], ExitCode.NOT_FOUND, ["nothing-like-it"]),
    ("ambiguous id", ["note", "2025", "text"], ExitCode.CONFLICT, ["ambiguous", "{active}", "{other}"]),
    ("id left out, several active", ["ack"], ExitCode.CONFLICT, ["{active}", "{other}"]),
    ("ack a resolved incident", ["ack", "{resolved}"], ExitCode.CONFLICT, ["resolved", "reopen"]),
    ("mitigate a resolved incident", ["mitigate", "{resolved}"], ExitCode.CONFLICT, ["resolved"]),
    ("reopen an open incident", ["reopen", "{other}"], ExitCode.CONFLICT, ["not resolved"]),
    (
        "resolve before acknowledged",
        ["resolve", "{active}", "--at", "2025-01-15T14:31:00+00:00"],
        ExitCode.CONFLICT,
        ["order"],
    ),
    (
        "reopen before resolved",
        ["reopen", "{resolved}", "--at", "2025-01-15T14:40:00+00:00"],
        ExitCode.CONFLICT,
        ["resolved"],
    ),
    (
        "started after declared",
        ["open", "x", "-s", "2", "--at", T0, "--started-at", RESOLVED_AT],
        ExitCode.CONFLICT,
        ["started"],
    ),
    ("future --at", ["ack", "{other}", "--at", "2999-01-01T00:00:00+00:00"], ExitCode.INVALID, ["future"]),
    ("future open", ["open", "x", "-s", "2", "--at", "2999-01-01 10:00"], ExitCode.INVALID, ["future"]),
    ("unparseable day word", ["note", "{other}", "x", "--at", "tomorrow 10:00"], ExitCode.INVALID, ["tomorrow 10:00"]),
    (
        "unparseable time",
        ["mitigate", "{active}", "--at", "after lunch"],
        ExitCode.INVALID,
        ["after lunch", "ISO 8601"],
    ),
    (
        "unparseable started",
        ["open", "x", "-s", "2", "--started-at", "a while back"],
        ExitCode.INVALID,
        ["a while back"],
    ),
    ("empty --by", ["note", "{other}", "x", "--by", " "], ExitCode.INVALID, ["--by"]),
    ("empty assignee", ["assign", "{active}", "scribe", ""], ExitCode.INVALID, ["name"]),
    ("same severity", ["severity", "{active}", "high"], ExitCode.CONFLICT, ["already SEV2"]),
    ("duration as time", ["ack", "{other}", "--at", "10m"], ExitCode.INVALID, ["10m ago"]),
    ("too many words", ["note", "{other}", "two", "words"], ExitCode.INVALID, ["quotes"]),
    ("unknown role", ["assign", "{active}", "janitor", "eve"], ExitCode.INVALID, ["janitor"]),
    ("unknown status filter", ["list", "--status", "closed"], ExitCode.INVALID, ["closed"]),
    ("missing option", ["open", "x"], ExitCode.USAGE, ["--severity"]),
    ("unknown command", ["acknowledge-it"], ExitCode.USAGE, ["acknowledge-it"]),
    ("malformed incident file", ["ack", "brkn1"], ExitCode.PROBLEMS, ["INC-20250101-brkn1.yaml:3", "YAML"]),
    ("malformed file shown", ["show", "brkn1"], ExitCode.PROBLEMS, ["INC-20250101-brkn1.yaml"]),
    ("conflict-marked file", ["note", "cnfl1", "text"], ExitCode.PROBLEMS, ["INC-20250102-cnfl1.yaml:3", "conflict"]),
    ("conflict-marked file resolved", ["resolve", "cnfl1"], ExitCode.PROBLEMS, ["conflict"]),
]


@pytest.mark.parametrize(("argv", "code", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_and_changes_nothing(
    repo: Path, run: Run, populated: dict[str, str], argv: list[str], code: ExitCode, words: list[str]
) -> None:
    argv = [a.format(**populated) for a in argv]
    words = [w.format(**populated) for w in words]
    before = take_snapshot(repo)
    result = run(*argv)
    check_refused(result, code, *words)
    assert result.stdout == ""
    assert take_snapshot(repo) == before


def test_no_repository_found(tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "nowhere" / "deeper"
    empty.mkdir(parents=True)
    monkeypatch.chdir(empty)
    result = run("list")
    check_refused(result, ExitCode.NOT_FOUND, str(empty), "inc init")
    assert list(empty.iterdir()) == []


def test_dir_that_is_not_a_repository(tmp_path: Path, run: Run) -> None:
    result = run("--dir", str(tmp_path), "ack")
    check_refused(result, ExitCode.NOT_FOUND, str(tmp_path), "inc init")
    assert list(tmp_path.iterdir()) == []


def test_inc_dir_that_is_not_a_repository(tmp_path: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INC_DIR", str(tmp_path / "missing"))
    result = run("open", "x", "-s", "2")
    check_refused(result, ExitCode.NOT_FOUND, "INC_DIR", "inc init")
    assert not (tmp_path / "missing").exists()


def test_malformed_config(repo: Path, run: Run) -> None:
    (repo / "incli.yaml").write_text("severities: [\n")
    before = take_snapshot(repo)
    result = run("open", "x", "-s", "2", "--at", T0)
    check_refused(result, ExitCode.PROBLEMS, "incli.yaml")
    assert take_snapshot(repo) == before


# -- an unwritable repository ------------------------------------------------
# Root ignores file modes, so when running as root the command runs with every
# capability dropped (setpriv): then the modes apply to it as to anyone.


@pytest.fixture
def read_only(repo: Path) -> Iterator[Path]:
    folders = [repo, repo / "incidents", repo / ".incli"]
    files = [p for p in repo.rglob("*") if p.is_file()]
    for path in files:
        path.chmod(0o444)
    for folder in folders:
        folder.chmod(0o555)
    yield repo
    for folder in folders:
        folder.chmod(0o755)
    for path in files:
        path.chmod(0o644)


def inc_unprivileged(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: file modes cannot be enforced")
        prefix = [setpriv, "--bounding-set=-all", "--inh-caps=-all", "--"]
        if subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
            pytest.skip("running as root and setpriv cannot drop capabilities here")
    env = {**os.environ, "INC_DEBUG": ""}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "incli", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )


@pytest.fixture
def writable_first(repo: Path, run: Run) -> dict[str, str]:
    incident_id = run("open", "Pool exhausted", "-s", "2", "--at", T0).stdout.strip()
    return {"id": incident_id}


@pytest.mark.parametrize(
    "argv",
    [
        ["open", "New one", "-s", "2", "--at", T0],
        ["ack", "{id}", "--at", "2025-01-15T14:32:00+00:00"],
        ["note", "{id}", "a note", "--at", "2025-01-15T14:33:00+00:00"],
        ["resolve", "--at", "2025-01-15T14:45:00+00:00"],
    ],
    ids=["open", "ack", "note", "resolve"],
)
def test_unwritable_repository(writable_first: dict[str, str], read_only: Path, argv: list[str]) -> None:
    before = take_snapshot(read_only)
    result = inc_unprivileged("--dir", str(read_only), *[a.format(**writable_first) for a in argv])
    check_refused(result_as_ran(result), ExitCode.STORAGE, "cannot write")
    assert take_snapshot(read_only) == before


def test_init_where_it_cannot_write(tmp_path: Path) -> None:
    parent = tmp_path / "locked"
    parent.mkdir()
    parent.chmod(0o555)
    try:
        result = inc_unprivileged("init", str(parent / "repo"))
    finally:
        parent.chmod(0o755)
    check_refused(result_as_ran(result), ExitCode.STORAGE, "cannot create")
    assert list(parent.iterdir()) == []


def result_as_ran(result: subprocess.CompletedProcess[str]):  # type: ignore[no-untyped-def]
    from tests.conftest import Ran

    return Ran(result.returncode, result.stdout, result.stderr)


def test_unwritable_incidents_folder_only(writable_first: dict[str, str], repo: Path) -> None:
    """The lock can be taken, but the incident cannot be replaced: nothing changes, no temp file."""
    folder = repo / "incidents"
    folder.chmod(0o555)
    try:
        before = take_snapshot(repo)
        result = inc_unprivileged(
            "--dir", str(repo), "note", writable_first["id"], "text", "--at", "2025-01-15T14:33:00+00:00"
        )
        after = take_snapshot(repo)
    finally:
        folder.chmod(0o755)
    check_refused(result_as_ran(result), ExitCode.STORAGE, "cannot write", writable_first["id"])
    assert after == before


def test_error_stays_one_line_with_a_multiline_title(repo: Path, run: Run) -> None:
    first = run("open", "first line\nsecond line", "-s", "2", "--at", T0).stdout.strip()
    second = run("open", "other", "-s", "2", "--at", T0).stdout.strip()
    before = take_snapshot(repo)
    result = run("ack")
    check_refused(result, ExitCode.CONFLICT, first, second, "first line second line")
    assert take_snapshot(repo) == before


def test_init_again_in_a_read_only_clone_still_says_nothing_changed(repo: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    shutil.copytree(repo, clone, ignore=shutil.ignore_patterns(".incli"))
    clone.chmod(0o555)
    try:
        result = inc_unprivileged("init", str(clone))
    finally:
        clone.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert "nothing changed" in result.stderr
