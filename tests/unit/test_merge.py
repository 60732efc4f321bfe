"""The three-way merge of one incident (domain/merge.py): nothing either side wrote is lost."""

from __future__ import annotations

import contextlib
import copy
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from incli.domain import lifecycle
from incli.domain.merge import MERGE_BY, MergeError, merge
from incli.domain.model import TimelineEntry, incident_from_dict
from incli.domain.postmortem import postmortem_problems
from incli.errors import Conflict


def entry(at: str, kind: str, text: str, by: str = "alice") -> dict[str, Any]:
    return {"at": f"2025-01-15T{at}:00+00:00", "kind": kind, "by": by, "text": text}


def base_incident() -> dict[str, Any]:
    return {
        "schema": 1,
        "id": "INC-20250115-abcde",
        "title": "Checkout errors",
        "severity": "SEV3",
        "status": "open",
        "service": "checkout",
        "summary": None,
        "commander": None,
        "roles": {},
        "tags": ["payments"],
        "drill": False,
        "opened_at": "2025-01-15T14:30:00+00:00",
        "started_at": "2025-01-15T14:30:00+00:00",
        "detected_at": "2025-01-15T14:30:00+00:00",
        "acknowledged_at": None,
        "mitigated_at": None,
        "resolved_at": None,
        "timeline": [entry("14:30", "opened", "Opened")],
    }


def sides() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    base = base_incident()
    return base, copy.deepcopy(base), copy.deepcopy(base)


def check_valid(data: dict[str, Any]) -> None:
    incident = incident_from_dict(data)
    assert lifecycle.order_problems(incident) == []
    assert lifecycle.status_problems(incident) == []
    assert postmortem_problems(data.get("postmortem")) == []


def texts(data: dict[str, Any]) -> list[str]:
    return [e["text"] for e in data["timeline"]]


def test_timelines_are_united_in_time_order_with_duplicates_once() -> None:
    base, ours, theirs = sides()
    ours["timeline"].append(entry("14:40", "note", "Restarted the pool"))
    ours["timeline"].append(entry("14:50", "note", "Same on both"))
    theirs["timeline"].append(entry("14:35", "note", "Paged the DBA", by="bob"))
    theirs["timeline"].append(entry("14:50", "note", "Same on both"))
    merged = merge(base, ours, theirs)
    assert texts(merged) == ["Opened", "Paged the DBA", "Restarted the pool", "Same on both"]
    check_valid(merged)


def test_earliest_acknowledgement_and_status_derived() -> None:
    base, ours, theirs = sides()
    ours.update(status="acknowledged", acknowledged_at="2025-01-15T14:45:00+00:00")
    ours["timeline"].append(entry("14:45", "acknowledged", "Acknowledged"))
    theirs.update(
        status="mitigated", acknowledged_at="2025-01-15T14:40:00+00:00", mitigated_at="2025-01-15T15:00:00+00:00"
    )
    theirs["timeline"] += [
        entry("14:40", "acknowledged", "Acknowledged", by="bob"),
        entry("15:00", "mitigated", "Mitigated", by="bob"),
    ]
    merged = merge(base, ours, theirs)
    assert merged["acknowledged_at"] == "2025-01-15T14:40:00+00:00"
    assert merged["mitigated_at"] == "2025-01-15T15:00:00+00:00"
    assert merged["status"] == "mitigated"
    check_valid(merged)


def test_a_reopen_after_the_last_resolve_clears_resolution() -> None:
    base = base_incident()
    base.update(status="resolved", resolved_at="2025-01-15T15:00:00+00:00")
    base["timeline"].append(entry("15:00", "resolved", "Resolved"))
    ours, theirs = copy.deepcopy(base), copy.deepcopy(base)
    ours.update(status="reopened", resolved_at=None)
    ours["timeline"].append(entry("15:30", "reopened", "Reopened"))
    theirs["timeline"].append(entry("15:10", "note", "Wrote the customer update", by="bob"))
    merged = merge(base, ours, theirs)
    assert merged["status"] == "reopened" and merged["resolved_at"] is None
    assert "Wrote the customer update" in texts(merged)
    check_valid(merged)
    # Resolved again after the reopen, on the other side: resolved wins.
    theirs2 = copy.deepcopy(ours)
    theirs2.update(status="resolved", resolved_at="2025-01-15T16:00:00+00:00")
    theirs2["timeline"].append(entry("16:00", "resolved", "Resolved", by="bob"))
    merged = merge(ours, copy.deepcopy(ours) | {"title": "Checkout errors again"}, theirs2)
    assert merged["status"] == "resolved" and merged["resolved_at"] == "2025-01-15T16:00:00+00:00"
    check_valid(merged)


def test_plain_field_changed_on_both_sides_keeps_the_later_side_and_notes_the_other() -> None:
    base, ours, theirs = sides()
    ours["title"] = "Checkout 500s"
    ours["timeline"].append(entry("14:40", "note", "ours"))
    theirs["title"] = "Payment provider timeouts"
    theirs["timeline"].append(entry("14:50", "note", "theirs", by="bob"))
    merged = merge(base, ours, theirs)
    assert merged["title"] == "Payment provider timeouts"
    notes = [e for e in merged["timeline"] if e["by"] == MERGE_BY]
    assert [n["text"] for n in notes] == ["Merge: title was also changed to Checkout 500s"]
    check_valid(merged)
    # A tie keeps ours.
    theirs["timeline"][-1]["at"] = ours["timeline"][-1]["at"]
    assert merge(base, ours, theirs)["title"] == "Checkout 500s"


def test_one_sided_change_is_taken_without_a_note() -> None:
    base, ours, theirs = sides()
    theirs["service"] = "payments"
    theirs["roles"] = {"comms": "carol"}
    merged = merge(base, ours, theirs)
    assert merged["service"] == "payments" and merged["roles"] == {"comms": "carol"}
    assert texts(merged) == ["Opened"]


def test_severity_keeps_the_more_severe_and_tags_are_united() -> None:
    base, ours, theirs = sides()
    ours["severity"], theirs["severity"] = "SEV2", "SEV1"
    ours["tags"] = ["payments", "db"]
    theirs["tags"] = ["api"]  # removed payments
    merged = merge(base, ours, theirs)
    assert merged["severity"] == "SEV1"
    assert "Merge: severity was also changed to SEV2" in texts(merged)
    assert merged["tags"] == ["db", "api"]
    custom = merge(base, ours, theirs, severity_order=["P0", "SEV2", "SEV1"])
    assert custom["severity"] == "SEV2"


def action(ident: str, title: str, updated: str, status: str = "open") -> dict[str, Any]:
    return {
        "id": ident,
        "title": title,
        "owner": "alice",
        "due": "2025-01-22",
        "priority": None,
        "status": status,
        "created_at": "2025-01-15T15:00:00+00:00",
        "updated_at": f"2025-01-15T{updated}:00+00:00",
        "done_at": None,
        "note": None,
    }


def test_actions_united_by_id_later_change_wins() -> None:
    base, ours, theirs = sides()
    base["actions"] = [action("ACT-aaaaa", "Alert on pool", "15:00"), action("ACT-ddddd", "Drop me", "15:00")]
    ours["actions"] = [action("ACT-aaaaa", "Alert on pool saturation", "15:10"), action("ACT-bbbbb", "Ours", "15:05")]
    theirs["actions"] = [
        action("ACT-aaaaa", "Alert on pool", "15:20", status="done"),
        action("ACT-ddddd", "Drop me", "15:00"),
        action("ACT-ccccc", "Theirs", "15:06"),
    ]
    merged = merge(base, ours, theirs)
    by_id = {a["id"]: a for a in merged["actions"]}
    assert sorted(by_id) == ["ACT-aaaaa", "ACT-bbbbb", "ACT-ccccc"]
    assert by_id["ACT-aaaaa"]["status"] == "done"


def postmortem(**fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "state": "draft",
        "created_at": "2025-01-16T09:00:00+00:00",
        "published_at": None,
        "authors": ["alice"],
        "reviewers": [],
        "summary": None,
        "root_causes": [],
    }
    data.update(fields)
    return data


def test_postmortem_text_changed_on_both_sides_keeps_both_marked() -> None:
    base, ours, theirs = sides()
    base["postmortem"] = postmortem(summary="Pool ran dry.")
    ours["postmortem"] = postmortem(summary="The pool ran dry.", root_causes=["Pool too small"], state="in-review")
    theirs["postmortem"] = postmortem(
        summary="Pool exhausted by retries.", root_causes=["Retry storm"], authors=["alice", "bob"]
    )
    merged = merge(base, ours, theirs)
    pm = merged["postmortem"]
    assert pm["summary"] == "[merge: ours]\nThe pool ran dry.\n[merge: theirs]\nPool exhausted by retries."
    assert pm["conflicts"] == ["summary"]
    assert pm["root_causes"] == ["Pool too small", "Retry storm"]
    assert pm["authors"] == ["alice", "bob"] and pm["state"] == "in-review"
    check_valid(merged)


def pm_merge(base: dict[str, Any] | None, ours: dict[str, Any] | None, theirs: dict[str, Any] | None) -> Any:
    sides_ = sides()
    for side, value in zip(sides_, (base, ours, theirs), strict=True):
        if value is not None:
            side["postmortem"] = value
    merged = merge(*sides_)
    check_valid(merged)
    return merged.get("postmortem")


def test_a_postmortem_deleted_on_one_side_stays_deleted_unless_the_other_changed_it() -> None:
    written = postmortem(summary="Pool ran dry.")
    assert pm_merge(written, None, written) is None
    assert pm_merge(written, written, None) is None
    changed = postmortem(summary="The pool ran dry.")
    assert pm_merge(written, None, changed) == changed
    assert pm_merge(written, changed, None) == changed
    assert pm_merge(None, None, written) == written  # added on one side
    assert pm_merge(None, written, None) == written


def test_postmortem_text_on_one_side_or_blank_on_the_other_is_taken_without_a_conflict() -> None:
    base = postmortem(summary="Old.", impact="Some.")
    ours = postmortem(summary="Ours.", impact="  ")
    theirs = postmortem(summary=" ", impact="Theirs.")
    merged = pm_merge(base, ours, theirs)
    assert (merged["summary"], merged["impact"]) == ("Ours.", "Theirs.")
    assert "conflicts" not in merged
    merged = pm_merge(base, postmortem(summary="Old."), postmortem(summary="Theirs."))
    assert merged["summary"] == "Theirs." and "conflicts" not in merged
    merged = pm_merge(base, postmortem(summary="Ours.  \n"), postmortem(summary="  Theirs.\n\n"))
    assert merged["summary"] == "[merge: ours]\nOurs.\n[merge: theirs]\n  Theirs."  # trailing space only trimmed


def test_conflicts_already_marked_are_kept_from_either_side() -> None:
    base = postmortem(summary="Old.", impact="Old.", conflicts=["trigger"])
    ours = postmortem(summary="Ours.", impact="Old.", conflicts=["trigger", "lessons"])
    theirs = postmortem(summary="Theirs.", impact="Old.", conflicts=["trigger", "detection"])
    assert pm_merge(base, ours, theirs)["conflicts"] == ["trigger", "lessons", "detection", "summary"]
    resolved = postmortem(summary="Settled.", impact="Old.")  # a person settled trigger on our side
    assert "conflicts" not in pm_merge(base, resolved, base)


def test_postmortem_lists_and_whys_are_united_and_a_plain_key_noted() -> None:
    base = postmortem(whys=[["a"]], lessons=["x"])
    ours = postmortem(whys=[["a"], ["b"]], lessons=["x", "y"], title="Ours")
    theirs = postmortem(whys=[["a"], ["c"]], lessons=[], title="Theirs")
    sides_ = sides()
    for side, value in zip(sides_, (base, ours, theirs), strict=True):
        side["postmortem"] = value
    merged = merge(*sides_)
    pm = merged["postmortem"]
    assert pm["whys"] == [["a"], ["b"], ["c"]] and pm["lessons"] == ["y"]  # theirs removed x
    assert pm["title"] == "Ours" and "Merge: postmortem.title was also changed to Theirs" in texts(merged)


def test_the_earlier_creation_and_the_further_review_state_win() -> None:
    ours = postmortem(created_at="2025-01-16T10:00:00+00:00", state="in-review")
    theirs = postmortem(created_at="2025-01-16T09:30:00+00:00", state="reviewed")
    merged = pm_merge(postmortem(), ours, theirs)
    assert (merged["created_at"], merged["state"]) == ("2025-01-16T09:30:00+00:00", "reviewed")
    merged = pm_merge(postmortem(), theirs, ours)
    assert (merged["created_at"], merged["state"]) == ("2025-01-16T09:30:00+00:00", "reviewed")
    offset = postmortem(created_at="2025-01-16T11:00:00+02:00")  # 09:00 UTC: earlier, though it sorts later
    assert pm_merge(None, theirs, offset)["created_at"] == "2025-01-16T11:00:00+02:00"
    assert pm_merge(None, postmortem(created_at=None), theirs)["created_at"] == "2025-01-16T09:30:00+00:00"
    base_, ours_, theirs_ = sides()
    ours_["postmortem"] = theirs_["postmortem"] = postmortem(created_at=None)  # hand-edited away on both
    assert merge(base_, ours_, theirs_)["postmortem"]["created_at"] is None
    # One side moved back to draft from the base's in-review: the move is taken.
    review = postmortem(state="in-review")
    assert pm_merge(review, postmortem(state="draft"), review)["state"] == "draft"
    assert pm_merge(review, review, postmortem(state="draft"))["state"] == "draft"


def test_published_keeps_its_time_and_unpublished_drops_it() -> None:
    published = postmortem(state="published", published_at="2025-01-17T10:00:00+00:00")
    reviewed = postmortem(state="reviewed")
    merged = pm_merge(reviewed, published, reviewed)
    assert (merged["state"], merged["published_at"]) == ("published", "2025-01-17T10:00:00+00:00")
    merged = pm_merge(reviewed, reviewed, published)
    assert (merged["state"], merged["published_at"]) == ("published", "2025-01-17T10:00:00+00:00")
    back = postmortem(state="draft", published_at=None)
    merged = pm_merge(published, back, published)
    assert (merged["state"], merged["published_at"]) == ("draft", None)
    merged = pm_merge(published, published, back)
    assert (merged["state"], merged["published_at"]) == ("draft", None)


def test_a_postmortem_that_is_not_a_mapping_is_refused() -> None:
    base, ours, theirs = sides()
    ours["postmortem"] = postmortem()
    theirs["postmortem"] = ["not", "a", "mapping"]
    with pytest.raises(MergeError, match="^postmortem is not a mapping on one side$"):
        merge(base, ours, theirs)
    ours["postmortem"], theirs["postmortem"] = theirs["postmortem"], ours["postmortem"]
    with pytest.raises(MergeError, match="^postmortem is not a mapping on one side$"):
        merge(base, ours, theirs)


def test_each_refusal_says_what_cannot_be_merged() -> None:
    base, ours, theirs = sides()
    for args in ((base, ours, ["x"]), (base, "x", theirs), (["x"], ours, theirs)):
        with pytest.raises(MergeError, match="^a side is not a mapping of incident fields$"):
            merge(*args)  # type: ignore[arg-type]
    with pytest.raises(MergeError, match="^base is not a valid incident: "):
        merge({"title": "no id"}, ours, theirs)
    with pytest.raises(MergeError, match="^theirs is not a valid incident: "):
        merge(base, ours, {"title": "no id"})
    theirs["id"] = "INC-20250115-zzzzz"
    with pytest.raises(
        MergeError, match=r"^the two sides are different incidents \(INC-20250115-abcde, INC-20250115-zzzzz\)$"
    ):
        merge(base, ours, theirs)
    base, ours, theirs = sides()
    theirs["actions"] = {"ACT-aaaaa": {}}
    with pytest.raises(MergeError, match="^actions is not a list on one side$"):
        merge(base, ours, theirs)
    theirs["actions"] = [{"title": "no id"}]
    with pytest.raises(MergeError, match="^an action item without an id$"):
        merge(base, ours, theirs)
    theirs["actions"] = ["just text"]
    with pytest.raises(MergeError, match="^an action item without an id$"):
        merge(base, ours, theirs)


def test_a_plain_field_changed_on_both_sides_is_shown_as_it_was_written() -> None:
    base, ours, theirs = sides()
    ours["drill"], theirs["drill"] = True, False
    base["drill"] = None
    ours["summary"], theirs["summary"] = "Ours", ""
    base["summary"] = "Base"
    ours["x_meta"], theirs["x_meta"] = {"b": 1, "a": 2}, {"z": [1], "a": 1}
    merged = merge(base, ours, theirs)
    notes = texts(merged)
    assert "Merge: drill was also changed to false" in notes
    assert "Merge: summary was also changed to (empty)" in notes
    assert 'Merge: x_meta was also changed to {"a": 1, "z": [1]}' in notes
    ours["drill"], theirs["drill"] = False, True
    assert "Merge: drill was also changed to true" in texts(merge(base, ours, theirs))
    ours["x_meta"], theirs["x_meta"] = [1], []
    assert "Merge: x_meta was also changed to (empty)" in texts(merge(base, ours, theirs))
    del theirs["x_meta"]
    base["x_meta"] = [0]
    assert "Merge: x_meta was also changed to (empty)" in texts(merge(base, ours, theirs))  # removed on theirs


def test_the_more_severe_severity_wins_and_a_one_sided_change_is_taken() -> None:
    base, ours, theirs = sides()
    theirs["severity"] = "SEV1"
    assert merge(base, ours, theirs)["severity"] == "SEV1"
    ours["severity"], theirs["severity"] = "SEV2", "SEV3"
    merged = merge(base, ours, theirs)  # base SEV3: theirs unchanged
    assert merged["severity"] == "SEV2" and not [t for t in texts(merged) if "severity" in t]
    ours["severity"], theirs["severity"] = "SEV4", "SEV2"
    merged = merge(base, ours, theirs)
    assert merged["severity"] == "SEV2" and "Merge: severity was also changed to SEV4" in texts(merged)
    ours["severity"], theirs["severity"] = "CRIT", "SEV4"  # a name the scale does not have ranks last
    merged = merge(base, ours, theirs)
    assert merged["severity"] == "SEV4" and "Merge: severity was also changed to CRIT" in texts(merged)


def test_actions_from_one_side_only_and_the_later_edit_of_both() -> None:
    base, ours, theirs = sides()
    theirs["actions"] = [action("ACT-aaaaa", "Theirs only", "15:00")]
    assert [a["title"] for a in merge(base, ours, theirs)["actions"]] == ["Theirs only"]
    assert [a["title"] for a in merge(base, theirs, ours)["actions"]] == ["Theirs only"]
    base["actions"] = [action("ACT-aaaaa", "Base", "15:00")]
    ours["actions"] = [action("ACT-aaaaa", "Base", "15:00")]
    theirs["actions"] = [action("ACT-aaaaa", "Changed", "15:10")]
    assert merge(base, ours, theirs)["actions"][0]["title"] == "Changed"
    assert merge(base, theirs, ours)["actions"][0]["title"] == "Changed"
    created = action("ACT-aaaaa", "Created later", "15:00")
    del created["updated_at"]
    created["created_at"] = "2025-01-15T15:30:00+00:00"
    ours["actions"] = [action("ACT-aaaaa", "Updated earlier", "15:20")]
    theirs["actions"] = [created]
    assert merge(base, ours, theirs)["actions"][0]["title"] == "Created later"  # no update: its creation counts
    ours["actions"] = [action("ACT-aaaaa", "Same time ours", "15:20")]
    theirs["actions"] = [action("ACT-aaaaa", "Same time theirs", "15:20")]
    assert merge(base, ours, theirs)["actions"][0]["title"] == "Same time ours"
    unreadable = action("ACT-aaaaa", "Unreadable time", "15:20")
    unreadable["updated_at"] = "soon"
    theirs["actions"] = [unreadable]
    assert merge(base, ours, theirs)["actions"][0]["title"] == "Same time ours"


def test_an_unknown_key_changed_or_added_on_one_side_is_taken_without_a_note() -> None:
    base, ours, theirs = sides()
    base["x_team"] = ours["x_team"] = theirs["x_team"] = "core"
    ours["x_team"] = "payments"
    ours["x_new"] = "ours"
    theirs["x_other"] = "theirs"
    merged = merge(base, ours, theirs)
    assert (merged["x_team"], merged["x_new"], merged["x_other"]) == ("payments", "ours", "theirs")
    assert not [t for t in texts(merged) if t.startswith("Merge:")]
    merged = merge(base, theirs, ours)
    assert (merged["x_team"], merged["x_new"], merged["x_other"]) == ("payments", "ours", "theirs")
    assert not [t for t in texts(merged) if t.startswith("Merge:")]


def test_an_incident_without_a_timeline_still_merges() -> None:
    base, ours, theirs = sides()
    for side in (base, ours, theirs):
        side["timeline"] = []
    ours["summary"], theirs["summary"] = "Ours", "Theirs"
    merged = merge(base, ours, theirs)
    assert merged["summary"] == "Ours"
    [note] = merged["timeline"]
    assert note["at"] == "2025-01-15T14:30:00+00:00" and note["text"] == "Merge: summary was also changed to Theirs"


def test_unknown_keys_merge_by_key_and_ours_wins_with_a_note() -> None:
    base, ours, theirs = sides()
    base["source"] = {"alert": "a"}
    ours["source"] = {"alert": "b"}
    theirs["source"] = {"alert": "c"}
    theirs["x_team"] = "core"
    merged = merge(base, ours, theirs)
    assert merged["source"] == {"alert": "b"} and merged["x_team"] == "core"
    assert 'Merge: source was also changed to {"alert": "c"}' in texts(merged)


def test_add_add_without_base_and_a_rerun_is_stable() -> None:
    _base, ours, theirs = sides()
    ours["summary"] = "From ours"
    theirs["summary"] = "From theirs"
    merged = merge(None, ours, theirs)
    assert merged["summary"] == "From ours" and "Merge: summary was also changed to From theirs" in texts(merged)
    assert merge(None, merged, merged) == merged  # merging again adds nothing


def test_not_an_incident_or_different_ids_refuse() -> None:
    base, ours, theirs = sides()
    with pytest.raises(MergeError):
        merge(base, ours, {"title": "nope"})
    theirs["id"] = "INC-20250115-zzzzz"
    with pytest.raises(MergeError):
        merge(base, ours, theirs)


def _evolve(data: dict[str, Any], rng: random.Random, start: datetime, steps: int) -> tuple[dict[str, Any], datetime]:
    """What people do on one clone: lifecycle moves and notes at increasing times."""
    incident = incident_from_dict(copy.deepcopy(data))
    moment = start
    for _ in range(steps):
        moment += timedelta(minutes=rng.randint(1, 30))
        action = rng.choice(["acknowledge", "mitigate", "resolve", "reopen", "note"])
        if action == "note":
            incident.add_entry(TimelineEntry(at=moment, kind="note", text=f"note {moment:%H:%M}", by="x"))
            continue
        with contextlib.suppress(Conflict):
            lifecycle.apply(incident, action, moment, moment + timedelta(days=1), "x")
    return incident.to_dict(), moment


def test_random_lifecycles_on_both_sides_always_merge_to_a_valid_incident() -> None:
    start = datetime(2025, 1, 15, 14, 30, tzinfo=UTC)
    for seed in range(300):
        rng = random.Random(seed)
        base, moment = _evolve(base_incident(), rng, start, rng.randint(0, 4))
        ours, _ = _evolve(base, rng, moment, rng.randint(0, 5))
        theirs, _ = _evolve(base, rng, moment + timedelta(minutes=rng.randint(-20, 20)), rng.randint(0, 5))
        merged = merge(base, ours, theirs)
        check_valid(merged)
        keys = {(e["at"], e["kind"], e["text"]) for e in merged["timeline"]}
        for side in (ours, theirs):
            assert {(e["at"], e["kind"], e["text"]) for e in side["timeline"]} <= keys, seed


def test_a_start_time_corrected_on_one_side_is_kept() -> None:
    base, ours, theirs = sides()
    base["detected_at"] = ours["detected_at"] = theirs["detected_at"] = "2025-01-15T14:40:00+00:00"
    base["opened_at"] = ours["opened_at"] = theirs["opened_at"] = "2025-01-15T14:40:00+00:00"
    ours["started_at"] = "2025-01-15T14:35:00+00:00"  # a later correction would be lost by "earliest"
    base["started_at"] = theirs["started_at"] = "2025-01-15T14:20:00+00:00"
    theirs["timeline"].append(entry("14:50", "note", "theirs"))
    merged = merge(base, ours, theirs)
    assert merged["started_at"] == "2025-01-15T14:35:00+00:00"
    check_valid(merged)
