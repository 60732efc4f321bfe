"""Schedules as files and what is read from them (issue 15; the mutation run of issue 19 found these
untested): every problem of a hand-edited override named by inc validate, an override's fields kept
when the file is rewritten, the edges of restricted hours (--only), and the edges of a handoff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from incli.errors import ExitCode
from incli.storage import yamlio
from tests.conftest import inc

NEW = ["oncall", "new", "primary", "--rotation", "alice,bob", "--every", "1w", "--handoff", "mon 09:00",
       "--tz", "Europe/Berlin", "--start", "2026-10-19"]  # fmt: skip
CAROL = {"from": "2026-10-21T08:00:00+00:00", "to": "2026-10-22T08:00:00+00:00", "who": "carol"}


@pytest.fixture
def primary(repo: Path) -> Path:
    inc(*NEW)
    return repo / "oncall" / "primary.yaml"


def with_overrides(path: Path, *overrides: Any) -> None:
    data = yamlio.load(path.read_bytes())
    data["overrides"] = list(overrides)
    path.write_text(yamlio.dump(data))


@pytest.mark.parametrize(
    ("override", "problem"),
    [
        ("carol", "overrides[0]: must be a mapping with from, to and who"),
        ({**CAROL, "note": "x"}, "overrides[0].note: unknown key"),
        ({"to": CAROL["to"], "who": "carol"}, "overrides[0].from: missing"),
        ({"from": CAROL["from"], "who": "carol"}, "overrides[0].to: missing"),
        ({**CAROL, "to": "tomorrow"}, "overrides[0].to: 'tomorrow' is not an ISO 8601 time"),
        ({**CAROL, "created_at": "2026-10-20"}, "overrides[0].created_at: '2026-10-20' has no offset"),
        ({**CAROL, "to": CAROL["from"]}, "overrides[0].to: must be after from"),
        ({**CAROL, "to": "2026-10-21T07:00:00+00:00"}, "overrides[0].to: must be after from"),
        ({"from": CAROL["from"], "to": CAROL["to"]}, "overrides[0].who: must be a handle such as alice"),
        ({**CAROL, "who": "Carol Smith"}, "overrides[0].who: must be a handle such as alice"),
        ({**CAROL, "who": ["carol"]}, "overrides[0].who: "),
        ({**CAROL, "by": ["alice"]}, "overrides[0].by: "),
        ({**CAROL, "reason": {"why": "x"}}, "overrides[0].reason: "),
    ],
)
def test_validate_names_the_key_of_a_bad_override(primary: Path, override: Any, problem: str) -> None:
    with_overrides(primary, CAROL, override)
    problem = problem.replace("overrides[0]", "overrides[1]")
    result = inc("validate", code=ExitCode.PROBLEMS)
    assert f"{primary}:" in result.stdout and problem in result.stdout, result.stdout


def test_a_schedule_file_linked_outside_is_named_without_a_line(primary: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.yaml"
    outside.write_bytes(primary.read_bytes())
    primary.unlink()
    primary.symlink_to(outside)
    result = inc("validate", code=ExitCode.PROBLEMS)
    assert f"{primary}: a link to {outside}, outside the repository; not read" in result.stdout


def test_a_broken_schedule_is_skipped_with_a_warning_and_the_others_answer(primary: Path) -> None:
    (primary.parent / "broken.yaml").write_text("layers: [\n")
    shown = inc("oncall", "--at", "2026-10-21T12:00Z", "--json")
    assert [row["schedule"] for row in shown.json] == ["primary"]
    assert f"skipped schedule {primary.parent}/broken.yaml:2: not valid YAML" in shown.stderr
    assert "(see inc validate)" in shown.stderr


def test_touching_overrides_do_not_overlap_and_overlapping_ones_are_named(primary: Path) -> None:
    with_overrides(primary, CAROL, {**CAROL, "who": "dave", "from": CAROL["to"], "to": "2026-10-23T08:00:00+00:00"})
    inc("validate")
    later = {**CAROL, "who": "erin", "from": "2026-10-21T20:00:00+00:00", "to": "2026-10-21T22:00:00+00:00"}
    with_overrides(primary, CAROL, later)
    found = inc("validate", code=ExitCode.PROBLEMS).stdout
    assert (
        "overrides[0] (carol, 2026-10-21T08:00:00+00:00 to 2026-10-22T08:00:00+00:00) overlaps overrides[1] " in found
    )
    adding = inc("oncall", "override", "primary", "--who", "frank", "--from", "2026-10-22T07:00Z",
                 "--to", "2026-10-22T09:00Z")  # fmt: skip
    assert "it overlaps overrides[0]; the newer one wins (inc validate reports it)" in adding.stderr
    assert "overrides[1]" not in adding.stderr  # erin's ends before frank's begins


def test_a_person_is_named_by_a_handle(primary: Path) -> None:
    refused = inc("oncall", "override", "primary", "--who", "Carol Smith", "--from", "2026-10-21T08:00Z",
                  "--to", "2026-10-22T08:00Z", code=ExitCode.INVALID)  # fmt: skip
    assert refused.stderr == (
        "inc: error: --who: 'Carol Smith' is not a handle; give one word such as alice (see people: in incli.yaml)\n"
    )


def test_an_override_keeps_its_fields_when_the_file_is_written_again(primary: Path) -> None:
    first = {**CAROL, "by": "alice", "reason": "a wedding", "created_at": "2026-10-01T10:00:00+00:00"}
    bare = {"from": "2026-10-28T08:00:00+00:00", "to": "2026-10-29T08:00:00+00:00", "who": "dave", "by": "",
            "reason": ""}  # fmt: skip
    with_overrides(primary, first, bare)
    inc("oncall", "override", "primary", "--who", "erin", "--from", "2026-11-04T08:00Z", "--to", "2026-11-05T08:00Z",
        "--by", "bob")  # fmt: skip
    written = yamlio.load(primary.read_bytes())["overrides"]
    assert written[0] == first
    assert written[1] == {k: v for k, v in bare.items() if k in ("from", "to", "who")}  # empty by and reason dropped
    assert written[2]["who"] == "erin" and written[2]["by"] == "bob" and "created_at" in written[2]
    shifts = inc("oncall", "shifts", "primary", "--from", "2026-10-21T00:00Z", "--to", "2026-10-23T00:00Z",
                 "--json").json  # fmt: skip
    assert [(s["who"], s["layer"], s["override"]) for s in shifts] == [
        ("alice", "layer-1", False),
        ("carol", None, True),
        ("alice", "layer-1", False),
    ]
    assert shifts[1] == {
        "schedule": "primary",
        "who": "carol",
        "start": "2026-10-21T08:00:00+00:00",
        "end": "2026-10-22T08:00:00+00:00",
        "layer": None,
        "override": True,
    }


def on_call(at: str) -> str | None:
    [row] = inc("oncall", "--schedule", "primary", "--at", at, "--json").json
    who: str | None = row["on_call"]
    return who


@pytest.mark.parametrize(
    ("only", "inside", "outside"),
    [
        # 2026-10-21 is a Wednesday; Europe/Berlin is UTC+2 until 2026-10-25.
        (
            "mon-fri 10:00-12:00",
            ["2026-10-21T08:00:00Z", "2026-10-21T09:59:59.9Z", "2026-10-21T08:00:30Z"],
            ["2026-10-21T07:59:59.9Z", "2026-10-21T10:00:00Z", "2026-10-24T09:00:00Z"],
        ),
        (
            "wed 22:00-06:00",
            ["2026-10-21T20:00:00Z", "2026-10-22T03:59:59Z"],
            ["2026-10-21T19:59:59Z", "2026-10-22T04:00:00Z", "2026-10-22T20:30:00Z", "2026-10-21T03:00:00Z"],
        ),
        ("sun 22:00-06:00", ["2026-10-19T03:00:00Z"], ["2026-10-20T03:00:00Z"]),  # Monday 05:00, Tuesday 05:00
    ],
)
def test_restricted_hours_start_on_their_minute_and_end_before_the_last(
    repo: Path, only: str, inside: list[str], outside: list[str]
) -> None:
    inc("oncall", "new", "primary", "--rotation", "dave", "--every", "1d", "--handoff", "09:00", "--tz",
        "Europe/Berlin", "--start", "2026-10-01", "--only", only)  # fmt: skip
    assert [on_call(at) for at in inside] == ["dave"] * len(inside)
    assert [on_call(at) for at in outside] == [None] * len(outside)


def test_the_last_handoff_is_the_one_at_or_before_the_time_asked(primary: Path) -> None:
    at_handoff = inc("oncall", "handoff", "primary", "--at", "2026-10-26T08:00:00Z").stdout
    assert "bob takes over from alice at 2026-10-26 08:00 UTC." in at_handoff
    before = inc("oncall", "handoff", "primary", "--at", "2026-10-26T07:59:59Z").stdout
    assert "alice takes over from nobody at 2026-10-19 07:00 UTC." in before
    # An override for alice inside her own shift is no handoff.
    with_overrides(primary, {**CAROL, "who": "alice"})
    during = inc("oncall", "handoff", "primary", "--at", "2026-10-21T12:00:00Z").stdout
    assert "alice takes over from nobody at 2026-10-19 07:00 UTC." in during


def test_only_the_yaml_files_of_the_oncall_folder_inside_the_repository_are_schedules(
    primary: Path, tmp_path: Path
) -> None:
    (primary.parent / ".primary.yaml").write_text(primary.read_text())  # an editor's hidden copy
    (primary.parent / "README.md").write_text("# schedules\n")
    listed = inc("oncall", "--json")
    assert [s["schedule"] for s in listed.json] == ["primary"] and listed.stderr == ""
    assert inc("validate").code == 0
    # the folder made a link to one outside the repository: its files are never read
    outside = tmp_path / "elsewhere"
    primary.parent.rename(outside)
    (primary.parent).symlink_to(outside)
    shown = inc("oncall", "--json", code=None)
    assert shown.code == ExitCode.NOT_FOUND and "primary" not in shown.stdout + shown.stderr


def test_a_comment_in_a_schedule_survives_an_override(primary: Path) -> None:
    text = primary.read_text()
    primary.write_text("# Payments primary: ask #payments before swapping\n" + text)
    inc("oncall", "override", "primary", "--who", "erin", "--from", "2026-11-04T08:00Z", "--to", "2026-11-05T08:00Z",
        "--by", "bob")  # fmt: skip
    written = primary.read_text()
    assert written.startswith("# Payments primary: ask #payments before swapping\n")
    assert yamlio.load(written.encode())["overrides"][0]["who"] == "erin"


def test_a_schedule_with_conflict_markers_is_named_with_its_line(primary: Path) -> None:
    text = primary.read_text()
    primary.write_text(text.replace("layers:\n", "<<<<<<< ours\nlayers:\n", 1))
    line = primary.read_text().splitlines().index("<<<<<<< ours") + 1
    found = inc("validate", code=ExitCode.PROBLEMS).stdout.splitlines()
    assert f"{primary}:{line}: git conflict markers; resolve the conflict, then run inc validate" in found


def test_a_schedule_with_conflict_markers_is_skipped_by_inc_oncall_naming_its_line(primary: Path) -> None:
    (primary.parent / "other.yaml").write_text("<<<<<<< ours\nlayers: []\n=======\n>>>>>>> theirs\n")
    shown = inc("oncall", "--at", "2026-10-21T12:00Z", "--json")
    assert [row["schedule"] for row in shown.json] == ["primary"]
    assert f"skipped schedule {primary.parent}/other.yaml:1: git conflict markers" in shown.stderr, shown.stderr
