"""How long things took and what is overdue (domain/durations.py), as the mutation run (issue 19)
asked: each span from its own milestones, never negative, assumed milestones unknown (counting
from the declaration where the metrics do), the impact duration, and the acknowledgement and
update an active incident owes, each exactly at its due time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from incli.domain.config import Config
from incli.domain.durations import Overdue, impact_duration, next_update_due, overdue, spans
from incli.domain.metrics import MetricDef
from incli.domain.model import Incident, TimelineEntry

T = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
CONFIG = Config()  # SEV2: acknowledge within 15m, update every 30m


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def incident(status: str = "open", extra: dict[str, Any] | None = None, **times: datetime | None) -> Incident:
    return Incident(
        id="INC-20250115-abcde",
        title="Checkout down",
        severity="SEV2",
        opened_at=times.pop("opened_at", None) or at(6),
        started_at=times.pop("started_at", None) or T,
        detected_at=times.pop("detected_at", None) or at(5),
        status=status,
        extra=extra or {},
        **times,  # type: ignore[arg-type]
    )


def minutes(*values: float | None) -> list[timedelta | None]:
    return [None if v is None else timedelta(minutes=v) for v in values]


def test_each_span_from_its_own_milestones() -> None:
    case = incident(acknowledged_at=at(7), mitigated_at=at(30), resolved_at=at(60))
    assert list(spans(case).values()) == minutes(5, 2, 30, 60)
    assert list(spans(case)) == ["mttd", "mtta", "mttm", "mttr"]


def test_unknown_or_reversed_ends_give_no_span_and_equal_ends_zero() -> None:
    case = incident(detected_at=T, acknowledged_at=T, resolved_at=at(-1))
    assert list(spans(case).values()) == minutes(0, 0, None, None)


def test_assumed_milestones_are_unknown_and_responses_count_from_the_declaration() -> None:
    case = incident(extra={"assumed": ["started_at", "detected_at"]}, acknowledged_at=at(7), resolved_at=at(60))
    assert spans(case) == dict(zip(["mttd", "mtta", "mttm", "mttr"], minutes(None, 1, None, 54), strict=True))
    declared_too = incident(extra={"assumed": ["detected_at", "opened_at"]}, acknowledged_at=at(7))
    assert spans(declared_too)["mtta"] is None
    assumed_end = incident(extra={"assumed": ["resolved_at"]}, resolved_at=at(60))
    assert spans(assumed_end)["mttr"] is None


def test_configured_spans_that_never_fall_back() -> None:
    custom = (MetricDef("declare", "Time to declare", "detected_at", "opened_at", "from detected_at to opened_at"),)
    assert spans(incident(), custom) == {"declare": timedelta(minutes=1)}
    assert spans(incident(extra={"assumed": ["detected_at"]}), custom) == {"declare": None}


def test_impact_runs_to_resolution_or_now_and_is_never_negative() -> None:
    assert impact_duration(incident(resolved_at=at(60)), at(500)) == timedelta(minutes=60)
    assert impact_duration(incident(), at(90)) == timedelta(minutes=90)
    assert impact_duration(incident(), at(-5)) == timedelta(0)


def test_next_update_is_due_a_cadence_after_the_last_update_or_the_declaration() -> None:
    case = incident()
    assert next_update_due(case, CONFIG) == at(36)
    case.timeline = [TimelineEntry(at(20), "update", "still down"), TimelineEntry(at(25), "note", "n")]
    assert next_update_due(case, CONFIG) == at(50)
    case.timeline = [TimelineEntry(at(2), "update", "backfilled before the declaration")]
    assert next_update_due(case, CONFIG) == at(36)
    assert next_update_due(incident("resolved", resolved_at=at(9)), CONFIG) is None
    unknown = incident()
    unknown.severity = "P1"
    assert next_update_due(unknown, CONFIG) is None
    assert next_update_due(incident(), Config(severities=[])) is None


def test_acknowledgement_is_owed_a_response_time_after_detection() -> None:
    case = incident()
    assert overdue(case, CONFIG, at(20)) == []  # due at 10:20 exactly: not late yet
    assert overdue(case, CONFIG, at(21)) == [Overdue("acknowledgement", at(20), timedelta(minutes=1))]
    assert overdue(incident(acknowledged_at=at(8)), CONFIG, at(21)) == []
    assert overdue(incident(mitigated_at=at(8)), CONFIG, at(21)) == []


def test_update_owed_after_its_cadence_and_nothing_once_resolved() -> None:
    case = incident(acknowledged_at=at(8))
    assert overdue(case, CONFIG, at(36)) == []
    assert overdue(case, CONFIG, at(40)) == [Overdue("update", at(36), timedelta(minutes=4))]
    unacked = overdue(incident(), CONFIG, at(40))
    assert [o.what for o in unacked] == ["acknowledgement", "update"]
    assert overdue(incident("resolved", resolved_at=at(9)), CONFIG, at(400)) == []


@pytest.mark.parametrize("severity", ["P1", "SEV9"])
def test_unknown_severity_owes_nothing(severity: str) -> None:
    case = incident()
    case.severity = severity
    assert overdue(case, CONFIG, at(400)) == []


def reopened(*entries: tuple[float, str], **times: datetime | None) -> Incident:
    """An incident whose timeline has these (minutes after T, kind) entries, reopened at least once."""
    case = incident(**times)
    case.timeline = [TimelineEntry(at(m), kind, kind) for m, kind in entries]
    return case


def test_a_reopened_incident_hurt_from_each_reopening_to_the_end_after_it() -> None:
    from incli.domain.durations import impact_windows

    # mitigated, resolved, reopened, then resolved without a mitigation: two windows
    case = reopened((30, "mitigated"), (60, "resolved"), (120, "reopened"), (165, "resolved"),
                    mitigated_at=at(30), resolved_at=at(165))  # fmt: skip
    assert impact_windows(case, at(500)) == [(T, at(30)), (at(120), at(165))]
    # reopened and still open: the second window runs to now
    case = reopened((60, "resolved"), (120, "reopened"))
    assert impact_windows(case, at(200)) == [(T, at(60)), (at(120), at(200))]
    # reopened, then mitigated (not yet resolved): to the mitigation
    case = reopened((60, "resolved"), (120, "reopened"), (150, "mitigated"), mitigated_at=at(150))
    assert impact_windows(case, at(200)) == [(T, at(60)), (at(120), at(150))]
    # a closing entry before the impact started (backfilled): an empty window, never a negative one
    case = reopened((-10, "mitigated"), (120, "reopened"), (100, "resolved"), resolved_at=at(100))
    assert impact_windows(case, at(200)) == [(T, T), (at(120), at(120))]
