"""The state machine and its time order (domain/lifecycle.py), as the mutation run (issue 19)
asked: each milestone checked against every earlier one (not only its neighbour), equal times
allowed, a status its times contradict, the status derived after a reopen, the floor each move
must not precede (named in the refusal), the first acknowledgement kept, and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incli.domain.lifecycle import ORDER_HINT, apply, derive_status, order_problems, status_problems
from incli.domain.model import Incident, TimelineEntry
from incli.errors import Conflict, InvalidInput

T = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T + timedelta(minutes=minutes)


def incident(**times: datetime | None) -> Incident:
    started = times.pop("started_at", None) or T
    return Incident(
        id="INC-20250115-abcde",
        title="Checkout down",
        severity="SEV2",
        opened_at=times.pop("opened_at", None) or started,
        started_at=started,
        detected_at=times.pop("detected_at", None) or started,
        **times,  # type: ignore[arg-type]
    )


NOW = at(600)


def test_each_milestone_is_checked_against_every_earlier_one() -> None:
    # acknowledged before detected; mitigated after acknowledged but still before detected
    case = incident(detected_at=at(5), acknowledged_at=at(3), mitigated_at=at(4), resolved_at=at(6))
    assert order_problems(case) == [
        ("acknowledged_at", f"{at(3).isoformat()} is before detected_at {at(5).isoformat()}; {ORDER_HINT}"),
        ("mitigated_at", f"{at(4).isoformat()} is before detected_at {at(5).isoformat()}; {ORDER_HINT}"),
    ]


def test_equal_and_missing_milestones_are_in_order() -> None:
    assert order_problems(incident(detected_at=T, acknowledged_at=T, resolved_at=T)) == []
    assert order_problems(incident(detected_at=at(5), resolved_at=at(9))) == []
    assert order_problems(incident(detected_at=at(5), resolved_at=at(4))) == [
        ("resolved_at", f"{at(4).isoformat()} is before detected_at {at(5).isoformat()}; {ORDER_HINT}")
    ]


def test_declared_before_the_impact_started_is_reported() -> None:
    assert order_problems(incident(started_at=at(2), opened_at=at(2))) == []
    assert order_problems(incident(started_at=at(2), detected_at=at(2), opened_at=at(1))) == [
        ("opened_at", f"{at(1).isoformat()} is before started_at {at(2).isoformat()}")
    ]


@pytest.mark.parametrize(
    ("status", "times", "problems"),
    [
        ("resolved", {}, [("status", "is resolved but resolved_at is empty")]),
        (
            "mitigated",
            {"mitigated_at": at(4), "resolved_at": at(5)},
            [("resolved_at", "is set but the status is mitigated")],
        ),
        ("mitigated", {}, [("status", "is mitigated but mitigated_at is empty")]),
        ("acknowledged", {}, [("status", "is acknowledged but acknowledged_at is empty")]),
        ("resolved", {"resolved_at": at(5)}, []),
        ("mitigated", {"mitigated_at": at(5)}, []),
        ("acknowledged", {"acknowledged_at": at(5)}, []),
        ("open", {"acknowledged_at": at(5), "mitigated_at": at(6)}, []),
    ],
)
def test_a_status_its_times_contradict(status: str, times: dict[str, datetime], problems: list[object]) -> None:
    case = incident(**times)
    case.status = status
    assert status_problems(case) == problems


def entries(*kinds_at: tuple[str, int]) -> list[TimelineEntry]:
    return [TimelineEntry(at=at(m), kind=k, text=k) for k, m in kinds_at]


@pytest.mark.parametrize(
    ("times", "timeline", "status"),
    [
        ({}, [], "open"),
        ({"acknowledged_at": at(1)}, [], "acknowledged"),
        ({"acknowledged_at": at(1), "mitigated_at": at(2)}, [], "mitigated"),
        ({"mitigated_at": at(2), "resolved_at": at(3)}, [], "resolved"),
        ({"acknowledged_at": at(1)}, [("acknowledged", 1), ("reopened", 5)], "reopened"),
        ({"acknowledged_at": at(1)}, [("reopened", 5), ("acknowledged", 5)], "acknowledged"),
        ({"acknowledged_at": at(1)}, [("reopened", 5), ("acknowledged", 7)], "acknowledged"),
        ({"mitigated_at": at(8)}, [("reopened", 5)], "mitigated"),
    ],
)
def test_status_derived_from_the_times_and_the_timeline(
    times: dict[str, datetime], timeline: list[tuple[str, int]], status: str
) -> None:
    case = incident(**times)
    case.timeline = entries(*timeline)
    assert derive_status(case) == status


@pytest.mark.parametrize(
    ("status", "times", "action", "when", "floor"),
    [
        ("open", {"detected_at": at(5)}, "acknowledge", 4, "detected"),
        ("acknowledged", {"acknowledged_at": at(5)}, "mitigate", 4, "acknowledged"),
        ("mitigated", {"acknowledged_at": at(3), "mitigated_at": at(5)}, "resolve", 4, "mitigated"),
        ("resolved", {"resolved_at": at(5)}, "reopen", 4, "resolved"),
    ],
)
def test_a_move_before_its_floor_is_refused_naming_it(
    status: str, times: dict[str, datetime], action: str, when: int, floor: str
) -> None:
    case = incident(**times)
    case.status = status
    before = case.to_dict()
    with pytest.raises(Conflict) as refused:
        apply(case, action, at(when), NOW, "alice")
    assert str(refused.value) == (
        f"cannot {action} {case.id} at {at(when).isoformat()}: it was {floor} at {at(5).isoformat()}; {ORDER_HINT}"
    )
    assert case.to_dict() == before
    apply(case, action, at(5), NOW, "alice")  # at the floor itself: fine


def test_acknowledge_is_not_held_to_a_later_mitigation_nor_a_later_resolution() -> None:
    case = incident(detected_at=at(1))
    apply(case, "mitigate", at(9), NOW, None)
    assert case.status == "mitigated"
    apply(case, "resolve", at(9), NOW, None)
    apply(case, "reopen", at(20), NOW, None)
    with pytest.raises(Conflict, match=r"it was reopened at "):
        apply(case, "acknowledge", at(19), NOW, None)
    apply(case, "acknowledge", at(20), NOW, None)


def test_reopen_clears_mitigation_and_resolution_and_keeps_the_first_acknowledgement() -> None:
    case = incident()
    apply(case, "acknowledge", at(1), NOW, "alice")
    apply(case, "mitigate", at(2), NOW, "alice")
    apply(case, "resolve", at(3), NOW, "alice", note="  rolled back  ")
    entry = apply(case, "reopen", at(4), NOW, "bob", note="   ")
    assert (case.status, case.mitigated_at, case.resolved_at) == ("reopened", None, None)
    assert (entry.kind, entry.text, entry.by, entry.at) == ("reopened", "Reopened", "bob", at(4))
    apply(case, "acknowledge", at(5), NOW, "bob")
    assert case.acknowledged_at == at(1) and case.status == "acknowledged"
    assert [(e.kind, e.text) for e in case.timeline] == [
        ("acknowledged", "Acknowledged"),
        ("mitigated", "Mitigated"),
        ("resolved", "Resolved: rolled back"),
        ("reopened", "Reopened"),
        ("acknowledged", "Acknowledged"),
    ]
    apply(case, "mitigate", at(6), NOW, None)
    assert case.mitigated_at == at(6)


def test_a_future_move_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"^resolve time .* is in the future"):
        apply(incident(), "resolve", NOW + timedelta(minutes=5), NOW, None)


@pytest.mark.parametrize(
    ("status", "action", "message"),
    [
        ("acknowledged", "acknowledge", "INC-20250115-abcde is already acknowledged"),
        ("resolved", "resolve", "INC-20250115-abcde is already resolved"),
        ("resolved", "mitigate", "cannot mitigate INC-20250115-abcde: it is resolved; reopen it first (inc reopen "),
        ("open", "reopen", "cannot reopen INC-20250115-abcde: it is open, not resolved"),
        ("mitigated", "acknowledge", "cannot acknowledge INC-20250115-abcde: it is already mitigated"),
        ("mitigated", "mitigate", "INC-20250115-abcde is already mitigated"),
    ],
)
def test_refused_moves_say_why(status: str, action: str, message: str) -> None:
    case = incident(acknowledged_at=at(1), mitigated_at=at(2), resolved_at=at(3))
    case.status = status
    with pytest.raises(Conflict) as refused:
        apply(case, action, at(4), NOW, None)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize(
    ("status", "action", "new"),
    [
        ("reopened", "acknowledge", "acknowledged"),
        ("reopened", "mitigate", "mitigated"),
        ("reopened", "resolve", "resolved"),
        ("open", "resolve", "resolved"),
        ("acknowledged", "resolve", "resolved"),
        ("mitigated", "resolve", "resolved"),
        ("open", "mitigate", "mitigated"),
    ],
)
def test_skipping_forward_is_allowed(status: str, action: str, new: str) -> None:
    case = incident()
    case.status = status
    apply(case, action, at(4), NOW, None)
    assert case.status == new and case.time(f"{new}_at") == at(4)


def test_an_early_milestone_names_the_latest_of_equal_earlier_ones() -> None:
    # started and detected at 10:00: an acknowledgement at 09:59 is before detection.
    case = incident(detected_at=T, acknowledged_at=at(-1))
    assert order_problems(case) == [
        ("acknowledged_at", f"{at(-1).isoformat()} is before detected_at {T.isoformat()}; {ORDER_HINT}")
    ]


def test_the_impact_start_and_a_reopening_are_floors_too() -> None:
    # an impact start later than the detection (a backfilled start): acknowledging before it is refused
    case = incident(started_at=at(5), detected_at=at(2))
    case.status = "open"
    with pytest.raises(Conflict, match=r"it was started at 2025-01-15T10:05:00\+00:00"):
        apply(case, "acknowledge", at(4), NOW, "alice")
    # after a reopening, nothing moves to before it: the reopening is named
    case = incident(acknowledged_at=at(1), mitigated_at=at(2), resolved_at=at(3))
    case.status = "resolved"
    apply(case, "reopen", at(30), NOW, "alice")
    with pytest.raises(Conflict, match=r"it was reopened at 2025-01-15T10:30:00\+00:00"):
        apply(case, "mitigate", at(20), NOW, "alice")
    apply(case, "mitigate", at(30), NOW, "alice")
    # a second reopening is held to the resolution after the first, not to the first reopening
    apply(case, "resolve", at(40), NOW, "alice")
    with pytest.raises(Conflict, match=r"it was resolved at 2025-01-15T10:40:00\+00:00"):
        apply(case, "reopen", at(35), NOW, "alice")


def test_a_resolved_incident_without_its_time_can_be_reopened() -> None:
    """Hand-written or imported history may say resolved without a resolved_at."""
    case = incident()
    case.status = "resolved"
    apply(case, "reopen", at(30), NOW, "alice")
    assert case.status == "reopened"
