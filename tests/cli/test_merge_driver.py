"""The merge driver git runs for oncall/*.yaml (``inc merge-driver BASE OURS THEIRS PATH``), in-process
(issue 19: the mutation run found the schedule merge reached only by git in a subprocess): overrides
added on two clones are both kept in the order they were made, one removed on a side stays removed,
a change made on one side is taken, and a layer changed on both sides is left to git as a conflict."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from incli.domain.merge import MergeError, merge_schedule
from incli.storage import yamlio
from tests.conftest import inc

LAYER = {
    "name": "layer-1",
    "rotation": ["alice", "bob"],
    "length": "weekly",
    "handoff": "mon 09:00",
    "start": "2026-10-19",
    "tz": "Europe/Berlin",
}


def override(who: str, day: int, created: str | None) -> dict[str, Any]:
    item = {"from": f"2026-10-{day}T08:00:00+00:00", "to": f"2026-10-{day + 1}T08:00:00+00:00", "who": who}
    if created is not None:
        item["created_at"] = created
    return item


CAROL = override("carol", 21, "2026-10-10T10:00:00+00:00")
DAVE = override("dave", 28, "2026-10-11T10:00:00+00:00")
ERIN = override("erin", 23, "2026-10-12T10:00:00+00:00")
BASE = {"schema": 1, "layers": [LAYER], "overrides": [CAROL]}


def merge(tmp_path: Path, base: Any, ours: Any, theirs: Any, path: str = "oncall/primary.yaml", code: int = 0) -> Any:
    files = []
    for name, data in (("base", base), ("ours", ours), ("theirs", theirs)):
        file = tmp_path / name
        file.write_text("" if data is None else yamlio.dump(data))
        files.append(file)
    ran = inc("merge-driver", *files, path, code=code)
    if code:
        assert ran.stderr.startswith(f"inc: warning: incli merge driver: {path}: ")
        assert ran.stderr.endswith("; left to git as an ordinary conflict\n")
        return files[1].read_text(), ran.stderr
    return yamlio.load(files[1].read_bytes())


def with_overrides(*items: dict[str, Any], data: dict[str, Any] = BASE) -> dict[str, Any]:
    return {**copy.deepcopy(data), "overrides": list(items)}


def test_overrides_added_on_both_sides_are_kept_in_the_order_they_were_made(tmp_path: Path) -> None:
    merged = merge(tmp_path, BASE, with_overrides(CAROL, ERIN), with_overrides(CAROL, DAVE))
    assert merged == {"schema": 1, "layers": [LAYER], "overrides": [CAROL, DAVE, ERIN]}
    again = merge(tmp_path, BASE, with_overrides(CAROL, DAVE), with_overrides(CAROL, ERIN))
    assert again["overrides"] == [CAROL, DAVE, ERIN]


def test_an_override_without_a_creation_time_comes_first_and_ties_keep_their_order(tmp_path: Path) -> None:
    old = override("olga", 25, None)
    odd = override("otto", 26, "not a time")
    same = {**DAVE, "who": "dora"}
    merged = merge(tmp_path, {}, with_overrides(DAVE, odd), with_overrides(same, old, "x"))
    assert [o if isinstance(o, str) else o["who"] for o in merged["overrides"]] == ["otto", "olga", "x", "dave", "dora"]


def test_an_override_removed_on_one_side_stays_removed(tmp_path: Path) -> None:
    base = with_overrides(CAROL, DAVE)
    assert merge(tmp_path, base, with_overrides(DAVE), with_overrides(CAROL, DAVE, ERIN))["overrides"] == [DAVE, ERIN]
    assert merge(tmp_path, base, with_overrides(CAROL, DAVE, ERIN), with_overrides(CAROL))["overrides"] == [
        CAROL,
        ERIN,
    ]
    assert merge(tmp_path, base, {"schema": 1, "layers": [LAYER]}, base) == {"schema": 1, "layers": [LAYER]} | {
        "overrides": []
    }


def test_a_change_on_one_side_is_taken_from_either(tmp_path: Path) -> None:
    longer = {**LAYER, "length": "daily"}
    theirs = {**BASE, "layers": [longer], "note": "added by bob"}
    assert merge(tmp_path, BASE, BASE, theirs) == {**theirs, "overrides": [CAROL]}
    ours = {**BASE, "layers": [longer]}
    assert merge(tmp_path, BASE, ours, BASE) == ours
    same_change = merge(tmp_path, BASE, ours, copy.deepcopy(ours))
    assert same_change == ours
    dropped = {k: v for k, v in BASE.items() if k != "schema"}
    assert "schema" not in merge(tmp_path, BASE, dropped, BASE)
    assert "schema" not in merge(tmp_path, BASE, BASE, dropped)
    assert list(merge(tmp_path, None, {"layers": [LAYER]}, {"schema": 1, "layers": [LAYER]})) == [
        "layers",
        "schema",
        "overrides",
    ]


@pytest.mark.parametrize(
    ("ours", "theirs", "why"),
    [
        (
            {"layers": [{**LAYER, "length": "daily"}]},
            {"layers": [{**LAYER, "length": "monthly"}]},
            "layers was changed differently on both sides",
        ),
        ({"layers": [LAYER], "overrides": {"who": "x"}}, {"layers": [LAYER]}, "overrides is not a list"),
        ({"layers": [LAYER]}, {"layers": [LAYER], "overrides": "x"}, "overrides is not a list"),
    ],
)
def test_what_cannot_be_merged_is_left_to_git_with_both_sides(
    tmp_path: Path, ours: dict[str, Any], theirs: dict[str, Any], why: str
) -> None:
    text, said = merge(tmp_path, BASE, {**BASE, **ours}, {**BASE, **theirs}, code=1)
    assert why in said
    if why.startswith("layers"):  # git's line merge: both sides kept between conflict markers
        assert "<<<<<<< ours\n" in text and "  length: daily\n" in text and "  length: monthly\n" in text


def test_a_schedule_is_known_by_its_folder_or_its_shape(tmp_path: Path) -> None:
    ours, theirs = with_overrides(CAROL, ERIN), with_overrides(CAROL, DAVE)
    for path in ("oncall/primary.yaml", "sub\\oncall\\primary.yaml", "schedules/primary.yaml"):
        assert merge(tmp_path, BASE, ours, theirs, path=path)["overrides"] == [CAROL, DAVE, ERIN], path
    # In oncall/ (however the path is written), a file without layers is still merged as a schedule.
    for path in ("oncall/primary.yaml", "sub\\oncall\\primary.yaml"):
        merged = merge(tmp_path, {}, {"overrides": [DAVE]}, {"overrides": [ERIN]}, path=path)
        assert merged["overrides"] == [DAVE, ERIN], path
    # Elsewhere, layers with a timeline is no schedule: merged as an incident (this one is not).
    odd = {**BASE, "timeline": []}
    text, said = merge(tmp_path, odd, odd, {**odd, "overrides": [DAVE]}, path="schedules/x.yaml", code=1)
    assert "is not a valid incident" in said


def test_a_side_that_is_not_a_schedule_is_left_to_git(tmp_path: Path) -> None:
    assert "theirs is not an incident" in merge(tmp_path, BASE, BASE, ["a", "list"], code=1)[1]
    assert "base is not an incident" in merge(tmp_path, ["a", "list"], BASE, BASE, code=1)[1]


@pytest.mark.parametrize("sides", [(BASE, BASE, []), (BASE, "x", BASE), ([], BASE, BASE)])
def test_merging_anything_but_schedules_is_refused(sides: tuple[Any, Any, Any]) -> None:
    with pytest.raises(MergeError, match="a side is not a schedule"):
        merge_schedule(*sides)
