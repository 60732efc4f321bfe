"""``inc validate`` finds every kind of problem (with file and line); other commands
skip a broken file with a warning, go on with the rest, and never rewrite it."""

from __future__ import annotations

from pathlib import Path

import pytest

from incli.errors import ExitCode
from tests.conftest import T0, inc, take_snapshot


@pytest.fixture
def good(repo: Path) -> tuple[str, str]:
    """An acknowledged, mitigated incident; its id and its file's text."""
    incident_id = inc("open", "Pool exhausted", "-s", "SEV2", "--at", T0, "--by", "ann").stdout.strip()
    inc("ack", "--at", "2025-01-15T14:32:00+00:00", "--by", "bob")
    inc("mitigate", "--at", "2025-01-15T14:40:00+00:00", "--by", "bob")
    return incident_id, (repo / "incidents" / f"{incident_id}.yaml").read_text()


def line_of(text: str, start: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith(start):
            return number
    raise AssertionError(start)


def drop(repo: Path, name: str, text: str) -> Path:
    path = repo / "incidents" / name
    path.write_text(text)
    return path


def validate() -> tuple[int, list[str], str]:
    result = inc("validate", code=None)
    return result.code, result.stdout.splitlines(), result.stderr


def test_clean_repository(repo: Path, good: tuple[str, str]) -> None:
    code, out, err = validate()
    assert code == 0
    assert out == []
    assert "1 incident file checked: no problems" in err


def with_id(text: str, old: str, new: str) -> str:
    return text.replace(old, new)


def test_yaml_syntax_error_with_file_and_line(repo: Path, good: tuple[str, str]) -> None:
    incident_id, text = good
    new_id = "INC-20250115-yaml2"
    broken = with_id(text, incident_id, new_id).replace("title: Pool exhausted", "title: [Pool exhausted")
    drop(repo, f"{new_id}.yaml", broken)
    code, out, _ = validate()
    assert code == ExitCode.PROBLEMS
    assert len(out) == 1
    assert out[0].startswith(f"{repo / 'incidents' / new_id}.yaml:")
    line = int(out[0].split(".yaml:")[1].split(":")[0])
    assert line_of(broken, "title:") <= line <= line_of(broken, "title:") + 2
    assert "YAML" in out[0]


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        (lambda t: t.replace("service:", "colour: red\nservice:"), "colour:", "unknown field 'colour'"),
        (lambda t: t.replace("severity: SEV2", "severity: SEV9"), "severity:", "unknown severity 'SEV9'"),
        (
            lambda t: t.replace(
                "mitigated_at: '2025-01-15T14:40:00+00:00'", "mitigated_at: '2025-01-15T14:31:00+00:00'"
            ),
            "mitigated_at:",
            "order",
        ),
        (lambda t: t.replace("status: mitigated", "status: closed"), "status:", "unknown status 'closed'"),
        (lambda t: t.replace("drill: false", "drill: maybe"), "drill:", "drill"),
        (
            lambda t: t.replace("started_at: '2025-01-15T14:30:00+00:00'", "started_at: '14:30'"),
            "started_at:",
            "started_at",
        ),
    ],
    ids=["unknown field", "unknown severity", "times out of order", "unknown status", "bad drill", "time without date"],
)
def test_finding_with_line(
    repo: Path,
    good: tuple[str, str],
    change,
    key: str,  # type: ignore[no-untyped-def]
    words: str,
) -> None:
    incident_id, text = good
    changed = change(text)
    assert changed != text, "the test's edit did not apply"
    path = drop(repo, f"{incident_id}.yaml", changed)
    code, out, _ = validate()
    assert code == ExitCode.PROBLEMS
    assert any(line.startswith(f"{path}:{line_of(changed, key)}: ") and words in line for line in out), out


def test_missing_field(repo: Path, good: tuple[str, str]) -> None:
    incident_id, text = good
    changed = "\n".join(line for line in text.splitlines() if not line.startswith("title:")) + "\n"
    path = drop(repo, f"{incident_id}.yaml", changed)
    code, out, _ = validate()
    assert code == ExitCode.PROBLEMS
    assert out == [f"{path}: title: missing"]


def test_file_name_not_matching_id(repo: Path, good: tuple[str, str]) -> None:
    incident_id, text = good
    (repo / "incidents" / f"{incident_id}.yaml").unlink()
    path = drop(repo, "INC-20250115-other.yaml", text)
    code, out, _ = validate()
    assert code == ExitCode.PROBLEMS
    assert len(out) == 1
    assert out[0].startswith(f"{path}:{line_of(text, 'id:')}: ")
    assert incident_id in out[0] and "file name" in out[0]


def test_duplicate_ids(repo: Path, good: tuple[str, str]) -> None:
    incident_id, text = good
    copy = drop(repo, "INC-20250115-copy2.yaml", text)
    code, out, _ = validate()
    assert code == ExitCode.PROBLEMS
    duplicates = [line for line in out if "duplicate id" in line]
    assert len(duplicates) == 2
    assert any(line.startswith(str(copy)) for line in duplicates)
    assert any(line.startswith(str(repo / "incidents" / f"{incident_id}.yaml")) for line in duplicates)


def test_conflict_markers(repo: Path, good: tuple[str, str]) -> None:
    incident_id, text = good
    conflicted = text.replace(
        "title: Pool exhausted\n",
        "<<<<<<< HEAD\ntitle: Pool exhausted\n=======\ntitle: DB pool exhausted\n>>>>>>> feature\n",
    )
    path = drop(repo, f"{incident_id}.yaml", conflicted)
    code, out, _ = validate()
    assert code == ExitCode.PROBLEMS
    start = line_of(conflicted, "<<<<<<<")
    assert [line.split(": ")[0] for line in out] == [f"{path}:{start}", f"{path}:{start + 2}", f"{path}:{start + 4}"]
    assert all("conflict" in line for line in out)


@pytest.mark.parametrize("left", ["=======\n", ">>>>>>> feature\n", "=======\ntitle: DB pool\n>>>>>>> feature\n"])
def test_conflict_markers_left_after_a_half_resolved_conflict(repo: Path, good: tuple[str, str], left: str) -> None:
    """The '<<<<<<<' line deleted by hand, the others left: still a conflict, named as one."""
    incident_id, text = good
    conflicted = text.replace("title: Pool exhausted\n", "title: Pool exhausted\n" + left)
    path = drop(repo, f"{incident_id}.yaml", conflicted)
    code, out, _ = validate()
    assert code == ExitCode.PROBLEMS
    first = min(line_of(conflicted, m) for m in ("=======", ">>>>>>>") if m in conflicted)
    assert out[0] == f"{path}:{first}: git conflict marker left by a merge; resolve the conflict"
    assert all("conflict" in line for line in out)


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (b"title: Pool exhausted \xe9\n", "not valid UTF-8; save the file as UTF-8"),
        (b"title: Pool exhausted \x07\n", "not valid YAML: the control character U+0007 is not allowed"),
    ],
)
def test_a_file_that_is_not_text_is_one_line_naming_where(
    repo: Path, good: tuple[str, str], spoil: bytes, message: str
) -> None:
    incident_id, text = good
    path = repo / "incidents" / f"{incident_id}.yaml"
    path.write_bytes(text.encode().replace(b"title: Pool exhausted\n", spoil))
    line = line_of(text, "title:")
    code, out, _ = validate()
    assert code == ExitCode.PROBLEMS and out == [f"{path}:{line}: {message}"]
    listed = inc("list", "--json")
    assert listed.json == [] and listed.err_lines == [
        f"inc: warning: skipped {path}:{line}: {message} (see inc validate)"
    ]


def test_validate_json(repo: Path, good: tuple[str, str]) -> None:
    drop(repo, "INC-20250115-yaml3.yaml", "id: [\n")
    result = inc("validate", "--json", code=None)
    assert result.code == ExitCode.PROBLEMS
    assert result.json["files"] == 2
    [finding] = result.json["findings"]
    assert set(finding) == {"path", "line", "message"}
    assert finding["path"].endswith("INC-20250115-yaml3.yaml")


def test_validate_never_writes(repo: Path, good: tuple[str, str]) -> None:
    drop(repo, "INC-20250115-yaml4.yaml", "title: [\n")
    before = take_snapshot(repo)
    validate()
    assert take_snapshot(repo) == before


# -- other commands with a broken file in the repository -------------------------

BROKEN = {
    "INC-20250110-synta.yaml": "id: INC-20250110-synta\ntitle: [oops\n",
    "INC-20250111-confl.yaml": "<<<<<<< HEAD\nid: INC-20250111-confl\n=======\n>>>>>>> x\n",
    "INC-20250112-field.yaml": "id: INC-20250112-field\nseverity: SEV2\n",
}


@pytest.fixture
def broken(repo: Path, good: tuple[str, str]) -> dict[str, bytes]:
    for name, text in BROKEN.items():
        drop(repo, name, text)
    return {name: (repo / "incidents" / name).read_bytes() for name in BROKEN}


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],
        ["list", "--json"],
        ["status"],
        ["status", "--json"],
        ["resolve", "--at", "2025-01-15T14:45:00+00:00"],  # the id left out: the one readable active one
        ["note", "still here", "--at", "2025-01-15T14:41:00+00:00"],
        ["open", "Another", "-s", "3", "--at", T0],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_other_commands_skip_broken_files(
    repo: Path, good: tuple[str, str], broken: dict[str, bytes], argv: list[str]
) -> None:
    result = inc(*argv)
    assert result.code == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("inc: warning: skipped")]
    if argv[0] != "open":  # open reads no other incident
        assert len(warnings) == len(BROKEN)
        for name in BROKEN:
            assert any(name in line and "inc validate" in line for line in warnings), result.stderr
    for name, data in broken.items():
        assert (repo / "incidents" / name).read_bytes() == data
    if argv == ["list", "--json"]:
        assert [i["id"] for i in result.json] == [good[0]]


def test_broken_files_never_rewritten_by_the_whole_lifecycle(
    repo: Path, good: tuple[str, str], broken: dict[str, bytes]
) -> None:
    for argv in (
        ["note", "n", "--at", "2025-01-15T14:41:00+00:00"],
        ["resolve", "--at", "2025-01-15T14:45:00+00:00"],
        ["reopen", good[0], "--at", "2025-01-15T14:50:00+00:00"],
        ["severity", good[0], "1", "--at", "2025-01-15T14:51:00+00:00"],
        ["assign", good[0], "scribe", "dee", "--at", "2025-01-15T14:52:00+00:00"],
    ):
        assert inc(*argv).code == 0
    for name, data in broken.items():
        assert (repo / "incidents" / name).read_bytes() == data
    for argv in (["ack", "synta"], ["note", "confl", "x"], ["show", "field"], ["resolve", "field"]):
        result = inc(*argv, code=None)
        assert result.code == ExitCode.PROBLEMS
        assert len(result.stderr.splitlines()) == 1
    for name, data in broken.items():
        assert (repo / "incidents" / name).read_bytes() == data


def test_edit_repairs_a_conflicted_file(
    repo: Path, good: tuple[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    incident_id, text = good
    conflicted = text.replace(
        "title: Pool exhausted\n",
        "<<<<<<< HEAD\ntitle: Pool exhausted\n=======\ntitle: DB pool exhausted\n>>>>>>> feature\n",
    )
    drop(repo, f"{incident_id}.yaml", conflicted)
    script = tmp_path / "resolve_conflict.py"
    script.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
        "lines = p.read_text().splitlines(keepends=True)\n"
        "keep = [l for l in lines if not l.startswith(('<<<<<<<', '=======', '>>>>>>>', 'title: Pool'))]\n"
        "p.write_text(''.join(keep))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    result = inc("edit", incident_id)
    assert result.code == 0, result.stderr
    assert validate()[0] == 0
    assert inc("show", incident_id, "--json").json["title"] == "DB pool exhausted"


def test_a_file_checked_before_is_checked_again_against_another_severity_scale(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The findings inc validate keeps per file are valid for one scale only: drop SEV4 from
    incli.yaml and the unchanged SEV4 incident is reported at once."""
    from incli.storage import index as indexmod

    monkeypatch.setattr(indexmod, "SETTLE_SECONDS", -3600.0)  # trust a file at once (no coarse clock here)
    ident = inc("open", "Typo in the footer", "-s", "SEV4").stdout.strip()
    assert inc("validate").code == 0
    config = repo / "incli.yaml"
    text = config.read_text()
    start = text.index("- id: SEV4")
    end = next(
        (i for i in range(start + 1, len(text)) if text[i - 1] == "\n" and not text[i].isspace() and text[i] != "-"),
        len(text),
    )
    config.write_text(text[:start] + text[end:])
    result = inc("validate", code=None)
    assert result.code == ExitCode.PROBLEMS
    assert f"{ident}.yaml:4: unknown severity 'SEV4'; known: SEV1, SEV2, SEV3" in result.stdout


@pytest.mark.parametrize("argv", [["validate"], ["list"], ["show", "{id}"]])
def test_a_bad_timeline_entry_is_pointed_at_by_its_own_line_everywhere(
    repo: Path, good: tuple[str, str], argv: list[str]
) -> None:
    """inc validate and the warning of any other command name the same line: the entry's, not
    the line of ``timeline:`` (they used to differ)."""
    incident_id, text = good
    lines = text.splitlines(keepends=True)
    entry = max(n for n, line in enumerate(lines) if line.startswith("- at: "))  # the last entry
    kind = next(n for n in range(entry, len(lines)) if lines[n].startswith("  kind: "))
    lines[kind] = "  kind: bogus\n"
    path = drop(repo, f"{incident_id}.yaml", "".join(lines))
    ran = inc(*[a.replace("{id}", incident_id) for a in argv], code=None)
    said = [line for line in (ran.stdout + ran.stderr).splitlines() if "unknown kind 'bogus'" in line]
    assert said and all(f"{path}:{entry + 1}: timeline[" in line for line in said), ran.stdout + ran.stderr


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("private: 'no'", "private: expected true or false, found 'no'"),
        ("assumed: started_at", "assumed: expected a list of times such as [started_at], found 'started_at'"),
        ("links: [{id: INC-20250101-aaaaa, as: dup}]", "links[0].as: expected one of duplicate, caused-by, related"),
        ("tasks: [{id: T1, title: Page, due_at: '14:40'}]", "tasks[0].due_at: '14:40' is not an ISO 8601 time"),
    ],
)
def test_a_hand_edited_extension_key_the_commands_would_misread_is_found(
    repo: Path, good: tuple[str, str], line: str, said: str
) -> None:
    """A value incli would read as something else (a string for private is private to the status
    page; an assumed time not in a list counts as a real one in inc metrics) is a finding."""
    incident_id, text = good
    path = drop(repo, f"{incident_id}.yaml", text + line + "\n")
    code, out, _ = validate()
    assert code == ExitCode.PROBLEMS
    assert [o for o in out if o.startswith(f"{path}:{len(text.splitlines()) + 1}: ") and said in o], out
