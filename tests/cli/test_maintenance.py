"""Maintenance windows as files (issue 18; the mutation run of issue 19 found their reading, their
problems in inc validate and their three-way merge barely tested): what inc maintenance list shows
of a hand-edited file, a cancelled window off the status page, every problem inc validate names,
and the merge driver on two clones' edits of one window."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from incli.errors import ExitCode
from incli.storage import yamlio
from tests.conftest import check_refused, inc

IDENT = "MNT-20260601-abcde"
WINDOW = {
    "schema": 1,
    "id": IDENT,
    "kind": "maintenance",
    "service": "search",
    "starts_at": "2026-06-01T22:00:00+00:00",
    "ends_at": "2026-06-01T23:00:00+00:00",
    "text": "Search results may be stale.",
    "created_at": "2026-05-20T10:00:00+00:00",
    "updated_at": None,
    "cancelled_at": None,
}

pytestmark = pytest.mark.usefixtures("frozen_clock")  # now: 2026-06-01 12:00 UTC


def write_window(repo: Path, data: Any, name: str = IDENT) -> Path:
    folder = repo / "maintenance"
    folder.mkdir(exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(yamlio.dump(data))
    return path


def test_a_window_is_listed_as_written_by_hand(repo: Path) -> None:
    edited = {**WINDOW, "service": " search ", "text": " Search results may be stale. "}
    edited |= {"updated_at": "2026-05-21T10:00:00+02:00", "cancelled_at": "2026-05-22T10:00:00+00:00"}
    write_window(repo, edited)
    assert inc("maintenance", "list", "--json").json == [
        {**WINDOW, "updated_at": "2026-05-21T10:00:00+02:00", "cancelled_at": "2026-05-22T10:00:00+00:00"}
    ]
    write_window(repo, {k: v for k, v in WINDOW.items() if k not in ("updated_at", "cancelled_at", "schema")})
    assert inc("maintenance", "list", "--json").json == [WINDOW]


def test_a_cancelled_window_leaves_the_status_page(repo: Path, tmp_path: Path) -> None:
    write_window(repo, WINDOW)
    inc("statuspage", "-o", tmp_path / "page")
    summary = json.loads((tmp_path / "page/api/v2/summary.json").read_text())
    assert [m["id"] for m in summary["scheduled_maintenances"]] == [IDENT]
    assert summary["scheduled_maintenances"][0]["incident_updates"][0]["body"] == "Search results may be stale."
    write_window(repo, {**WINDOW, "cancelled_at": "2026-05-30T10:00:00+00:00"})
    inc("statuspage", "-o", tmp_path / "page")
    assert json.loads((tmp_path / "page/api/v2/summary.json").read_text())["scheduled_maintenances"] == []


def test_a_scheduled_window_in_the_statuspage_api(repo: Path, tmp_path: Path) -> None:
    """The entry of scheduled_maintenances, in Statuspage's shape, as a status page reader's client reads it."""
    config = repo / "incli.yaml"
    config.write_text(
        config.read_text() + "statuspage:\n  components: [checkout, {id: find, name: Search, services: [search]}]\n"
    )
    write_window(repo, WINDOW)
    inc("statuspage", "-o", tmp_path / "page")
    summary = json.loads((tmp_path / "page/api/v2/summary.json").read_text())
    [entry] = summary["scheduled_maintenances"]
    page_id = summary["page"]["id"]
    [search] = [c for c in summary["components"] if c["id"] == "find"]
    assert search["position"] == 2
    assert entry == {
        "id": IDENT,
        "name": "Under maintenance: Search",
        "status": "scheduled",
        "created_at": "2026-05-20T10:00:00+00:00",
        "updated_at": "2026-05-20T10:00:00+00:00",
        "monitoring_at": None,
        "resolved_at": None,
        "impact": "maintenance",
        "shortlink": entry["shortlink"],
        "started_at": "2026-06-01T22:00:00+00:00",
        "page_id": page_id,
        "incident_updates": [
            {
                "id": f"{IDENT}-u1",
                "status": "scheduled",
                "body": "Search results may be stale.",
                "incident_id": IDENT,
                "created_at": "2026-05-20T10:00:00+00:00",
                "updated_at": "2026-05-20T10:00:00+00:00",
                "display_at": "2026-05-20T10:00:00+00:00",
                "affected_components": [
                    {"code": "find", "name": "Search", "old_status": "operational", "new_status": "under_maintenance"}
                ],
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
        ],
        "components": [search],
        "scheduled_for": "2026-06-01T22:00:00+00:00",
        "scheduled_until": "2026-06-01T23:00:00+00:00",
    }
    assert entry["shortlink"].endswith("index.html")
    scheduled = json.loads((tmp_path / "page/api/v2/scheduled-maintenances.json").read_text())
    assert scheduled["scheduled_maintenances"] == [entry]


def test_a_window_is_in_progress_from_its_start_and_over_at_its_end(repo: Path, tmp_path: Path) -> None:
    now = "2026-06-01T12:00:00.500000+00:00"

    def statuses() -> list[str]:
        inc("statuspage", "-o", tmp_path / "page")
        summary = json.loads((tmp_path / "page/api/v2/summary.json").read_text())
        return [m["status"] for m in summary["scheduled_maintenances"]]

    write_window(repo, {**WINDOW, "starts_at": now})
    assert statuses() == ["in_progress"]
    write_window(repo, {**WINDOW, "starts_at": "2026-06-01T12:00:00.500001+00:00"})
    assert statuses() == ["scheduled"]
    write_window(repo, {**WINDOW, "starts_at": "2026-06-01T11:00:00+00:00", "ends_at": now})
    assert statuses() == []  # completed
    write_window(repo, {**WINDOW, "starts_at": "2026-06-01T11:00:00+00:00", "ends_at": "2026-06-01T12:00:01+00:00"})
    assert statuses() == ["in_progress"]


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (["a", "list"], "expected a mapping of maintenance fields"),
        (
            {"kind": "maintenance"},
            "id: missing; service: missing; starts_at: missing; ends_at: missing; text: missing; created_at: missing",
        ),
        ({**WINDOW, "id": 5}, "id: expected text"),
        ({**WINDOW, "service": " "}, "service: expected text"),
        ({**WINDOW, "text": ["Search"]}, "text: expected text"),
        ({**WINDOW, "ends_at": WINDOW["starts_at"]}, "ends_at: is not after starts_at"),
        ({**WINDOW, "ends_at": "2026-06-01T21:00:00+00:00"}, "ends_at: is not after starts_at"),
        ({**WINDOW, "updated_at": "soon"}, "updated_at: 'soon' is not an ISO 8601 time"),
        ({**WINDOW, "zz": 1, "aa": 2}, "zz: unknown key"),
        (
            {**WINDOW, "id": 5, "service": "", "created_at": "yesterday", "zz": 1, "ends_at": WINDOW["starts_at"]},
            "id: expected text; service: expected text; created_at: 'yesterday' is not an ISO 8601 time; "
            "zz: unknown key; ends_at: is not after starts_at",
        ),
    ],
)
def test_validate_names_every_problem_of_a_window_file(repo: Path, data: Any, problem: str) -> None:
    path = write_window(repo, data)
    result = inc("validate", code=ExitCode.PROBLEMS)
    assert f"{path}: {problem}\n" in result.stdout
    listed = inc("maintenance", "list")
    assert f"skipped {path}: {problem} (see inc validate)" in listed.stderr


def test_validate_names_a_window_whose_id_is_not_its_file_name(repo: Path) -> None:
    path = write_window(repo, WINDOW, name="MNT-20260601-zzzzz")
    result = inc("validate", code=ExitCode.PROBLEMS)
    assert f"{path}: holds id {IDENT}, but the file is named MNT-20260601-zzzzz.yaml" in result.stdout


def test_validate_points_at_the_line_of_a_conflict_or_a_yaml_error(repo: Path, tmp_path: Path) -> None:
    text = yamlio.dump(WINDOW)
    path = write_window(repo, WINDOW)
    path.write_text(text.replace("text:", "<<<<<<< HEAD\ntext: ours\n=======\ntext:", 1) + ">>>>>>> theirs\n")
    line = path.read_text().splitlines().index("<<<<<<< HEAD") + 1
    assert f"{path}:{line}: git conflict markers; resolve the conflict\n" in inc("validate", code=6).stdout
    path.write_text(text.replace("text:", "text: [unclosed\nx:", 1))
    result = inc("validate", code=6).stdout
    assert f"{path}:{line + 1}: not valid YAML" in result
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(text)
    path.unlink()
    path.symlink_to(outside)
    assert f"{path}: a link to {outside}, outside the repository; not read\n" in inc("validate", code=6).stdout
    assert inc("maintenance", "list", "--json").json == []


def test_a_new_window_makes_its_folder_and_is_read_back(repo: Path) -> None:
    ident = inc(
        "maintenance", "add", "--service", "db", "--from", "2026-06-01T14:00Z", "--to", "2026-06-01T15:00Z", "Upgrade"
    ).stdout.strip()
    path = repo / "maintenance" / f"{ident}.yaml"
    assert yamlio.load(path.read_bytes()) == {
        **WINDOW,
        "id": ident,
        "service": "db",
        "starts_at": "2026-06-01T14:00:00+00:00",
        "ends_at": "2026-06-01T15:00:00+00:00",
        "text": "Upgrade",
        "created_at": "2026-06-01T12:00:00.500000+00:00",
    }
    assert ident.startswith("MNT-20260601-")


def test_a_window_that_cannot_be_written_is_one_line(repo: Path) -> None:
    (repo / "maintenance").write_text("not a folder")
    result = inc("maintenance", "add", "--service", "db", "--from", "14:00", "--to", "15:00", "Upgrade", code=None)
    check_refused(result, ExitCode.STORAGE, f"cannot write {repo}/maintenance/MNT-", ": File exists")


def merge(tmp_path: Path, base: Any, ours: Any, theirs: Any, code: int = 0) -> Any:
    files = []
    for name, data in (("base", base), ("ours", ours), ("theirs", theirs)):
        file = tmp_path / name
        file.write_text("" if data is None else yamlio.dump(data))
        files.append(file)
    ran = inc("merge-driver", *files, f"maintenance/{IDENT}.yaml", code=code)
    return ran.stderr if code else yamlio.load(files[1].read_bytes())


UPDATED = {"updated_at": "2026-05-25T10:00:00+00:00"}


def test_a_field_changed_on_both_sides_keeps_the_side_updated_later(tmp_path: Path) -> None:
    ours = {**WINDOW, "text": "ours", **UPDATED}
    theirs = {**WINDOW, "text": "theirs", "updated_at": "2026-05-24T10:00:00+00:00"}
    assert merge(tmp_path, WINDOW, ours, theirs)["text"] == "ours"
    assert merge(tmp_path, WINDOW, theirs, ours)["text"] == "ours"
    # Without an update, the creation time decides; a tie keeps ours.
    created_later = {**WINDOW, "text": "theirs", "created_at": "2026-05-21T10:00:00+00:00"}
    assert merge(tmp_path, WINDOW, {**WINDOW, "text": "ours"}, created_later)["text"] == "theirs"
    assert merge(tmp_path, WINDOW, {**WINDOW, "text": "ours"}, {**WINDOW, "text": "theirs"})["text"] == "ours"


def test_an_unreadable_time_on_one_side_is_left_to_git_with_both_sides(tmp_path: Path) -> None:
    """It made the driver crash with a traceback, leaving only our side in the file."""
    unreadable = {**WINDOW, "text": "theirs", "updated_at": "later"}
    said = merge(tmp_path, WINDOW, {**WINDOW, "text": "ours"}, unreadable, code=1)
    assert "updated_at: 'later' is not an ISO 8601 time; left to git" in said
    assert "Traceback" not in said
    text = (tmp_path / "ours").read_text()
    assert "<<<<<<< ours\n" in text and "text: ours\n" in text and "text: theirs\n" in text
    merged = merge(tmp_path, unreadable, {**WINDOW, "text": "ours", **UPDATED}, WINDOW)
    assert merged == {**WINDOW, "text": "ours", **UPDATED}  # only the base had it: nothing to refuse
    cancelled = [{**WINDOW, "cancelled_at": value} for value in (None, "2026-05-26T10:00:00+00:00", "soon")]
    said = merge(tmp_path, *cancelled, code=1)
    assert "cancelled_at: 'soon' is not an ISO 8601 time; left to git" in said
    said = merge(tmp_path, cancelled[0], cancelled[2], cancelled[1], code=1)
    assert "cancelled_at: 'soon' is not an ISO 8601 time; left to git" in said


def test_a_field_only_one_side_has_is_kept(tmp_path: Path) -> None:
    bare = {k: v for k, v in WINDOW.items() if k not in ("updated_at", "cancelled_at")}
    assert merge(tmp_path, bare, bare, {**bare, **UPDATED}) == {**bare, **UPDATED}
    assert merge(tmp_path, bare, {**bare, **UPDATED}, bare) == {**bare, **UPDATED}
    assert list(merge(tmp_path, None, bare, bare)) == list(bare)


CANCEL_EARLY, CANCEL_LATE = "2026-05-26T10:00:00+00:00", "2026-05-27T10:00:00+00:00"


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "kept"),
    [
        (None, CANCEL_LATE, CANCEL_EARLY, CANCEL_EARLY),
        (None, CANCEL_EARLY, CANCEL_LATE, CANCEL_EARLY),
        (None, CANCEL_EARLY, "2026-05-26T11:00:00+01:00", CANCEL_EARLY),  # the same instant: ours
        ("2026-05-20T10:00:00+00:00", CANCEL_LATE, None, CANCEL_LATE),  # changed and undone: cancelled stays
        ("2026-05-20T10:00:00+00:00", None, CANCEL_LATE, CANCEL_LATE),
        (None, None, CANCEL_LATE, CANCEL_LATE),
        (CANCEL_LATE, CANCEL_LATE, None, None),  # an undone cancellation on one side only is taken
    ],
)
def test_a_cancellation_on_either_side_stays_the_earlier_one(
    tmp_path: Path, base: str | None, ours: str | None, theirs: str | None, kept: str | None
) -> None:
    sides = [{**WINDOW, "cancelled_at": value} for value in (base, ours, theirs)]
    assert merge(tmp_path, *sides)["cancelled_at"] == kept


def test_what_would_not_be_a_window_is_left_to_git(tmp_path: Path) -> None:
    said = merge(tmp_path, WINDOW, WINDOW, {**WINDOW, "id": "MNT-20260601-zzzzz"}, code=1)
    assert f"maintenance/{IDENT}.yaml: the two sides are different maintenance windows; left to git" in said
    said = merge(tmp_path, WINDOW, {**WINDOW, "note": "x"}, WINDOW, code=1)
    assert "note: unknown key" in said
    said = merge(
        tmp_path,
        WINDOW,
        {**WINDOW, "ends_at": "2026-06-01T22:30:00+00:00"},
        {**WINDOW, "starts_at": "2026-06-01T22:45:00+00:00"},
        code=1,
    )
    assert "ends_at: is not after starts_at" in said


def test_only_the_yaml_files_of_the_folder_are_windows(repo: Path) -> None:
    path = write_window(repo, WINDOW)
    (path.parent / f".{path.name}").write_text(path.read_text())  # an editor's hidden copy
    (path.parent / "README.md").write_text("# maintenance windows\n")
    ran = inc("maintenance", "list", "--json")
    assert ran.json == [WINDOW] and ran.stderr == ""
    assert inc("validate").code == 0


def test_an_incli_yaml_that_is_not_a_mapping_is_one_line_without_a_line_number(repo: Path) -> None:
    (repo / "incli.yaml").write_text("- just\n- a list\n")
    ran = inc("list", code=None)
    assert ran.code == ExitCode.INVALID
    assert ran.stderr == f"inc: error: {repo / 'incli.yaml'}: expected a mapping of settings at the top level\n"
