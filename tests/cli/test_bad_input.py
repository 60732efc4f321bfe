"""Every bad input the core issue lists: exactly one line on stderr, the documented
non-zero exit code, and every file in the repository byte for byte unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from incli.errors import ExitCode
from tests.conftest import T0, check_refused, inc, shared, take_snapshot

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


@pytest.fixture(scope=shared)
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """Built once: two active incidents (so the id cannot be left out), one resolved, two broken files."""
    root = tmp_path_factory.mktemp("template") / "repo"
    utc = {"TZ": "UTC"}  # module scope: built before the autouse _clean_env sets it
    inc("init", root)
    ids = {}
    for name, title in (("active", "Database connection pool exhausted"), ("other", "Cache misses")):
        ids[name] = inc("open", title, "-s", "SEV2", "--at", T0, "--by", "ann", root=root, env=utc).stdout.strip()
    inc("ack", ids["active"], "--at", "2025-01-15T14:32:00+00:00", "--by", "ann", root=root, env=utc)
    ids["resolved"] = inc("open", "Old outage", "-s", "1", "--at", T0, "--by", "ann", root=root, env=utc).stdout.strip()
    inc("resolve", ids["resolved"], "--at", RESOLVED_AT, "--by", "ann", root=root, env=utc)
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
    ("a note tomorrow", ["note", "{other}", "x", "--at", "tomorrow 10:00"], ExitCode.INVALID, ["future"]),
    ("unparseable day word", ["note", "{other}", "x", "--at", "someday 10:00"], ExitCode.INVALID, ["someday 10:00"]),
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
    repo: Path, populated: dict[str, str], argv: list[str], code: ExitCode, words: list[str]
) -> None:
    argv = [a.format(**populated) for a in argv]
    words = [w.format(**populated) for w in words]
    before = take_snapshot(repo)
    result = inc(*argv, code=None)
    check_refused(result, code, *words)
    assert result.stdout == ""
    assert take_snapshot(repo) == before


def test_no_repository_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "nowhere" / "deeper"
    empty.mkdir(parents=True)
    monkeypatch.chdir(empty)
    result = inc("list", code=None)
    check_refused(result, ExitCode.NOT_FOUND, str(empty), "inc init")
    assert result.stderr == (
        f"inc: error: no incident repository found: looked for incli.yaml in {empty} and every folder above it; "
        "create one with: inc init (or point at one with --dir or INC_DIR)\n"
    )
    assert list(empty.iterdir()) == []


def test_dir_that_is_not_a_repository(tmp_path: Path) -> None:
    result = inc("--dir", str(tmp_path), "ack", code=None)
    check_refused(result, ExitCode.NOT_FOUND, str(tmp_path), "inc init")
    assert list(tmp_path.iterdir()) == []


def test_inc_dir_that_is_not_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INC_DIR", str(tmp_path / "missing"))
    result = inc("open", "x", "-s", "2", code=None)
    check_refused(result, ExitCode.NOT_FOUND, "INC_DIR", "inc init")
    assert not (tmp_path / "missing").exists()


def test_malformed_config(repo: Path) -> None:
    (repo / "incli.yaml").write_text("severities: [\n")
    before = take_snapshot(repo)
    result = inc("open", "x", "-s", "2", "--at", T0, code=None)
    check_refused(result, ExitCode.PROBLEMS, "incli.yaml")
    assert take_snapshot(repo) == before


def test_error_stays_one_line_with_a_multiline_title(repo: Path) -> None:
    first = inc("open", "first line\nsecond line", "-s", "2", "--at", T0).stdout.strip()
    second = inc("open", "other", "-s", "2", "--at", T0).stdout.strip()
    before = take_snapshot(repo)
    result = inc("ack", code=None)
    check_refused(result, ExitCode.CONFLICT, first, second, "first line second line")
    assert take_snapshot(repo) == before


def test_init_where_a_file_stands_in_the_way_says_why_in_plain_words(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("mine\n")
    result = inc("init", tmp_path / "notes" / "repo", code=None)
    check_refused(result, ExitCode.STORAGE)
    assert (
        result.stderr == f"inc: error: cannot create a repository at {tmp_path / 'notes' / 'repo'}: Not a directory\n"
    )
    assert (tmp_path / "notes").read_text() == "mine\n"
