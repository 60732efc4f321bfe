"""Reliability metrics (domain/metrics.py), as the mutation run (issue 19) asked: median and
nearest-rank p90 at the edges, the config's metrics section and its refusals, the scope's
bounds (since inclusive, until exclusive), MTBF gaps and overlaps, acknowledgement in time,
postmortems on time, overdue actions, and the cached facts a stale index may hand back."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from incli.domain.metrics import (
    DEFAULT_METRICS,
    Facts,
    Scope,
    _gaps,
    acknowledged_in_time,
    action_summary,
    duration_metrics,
    facts_from_incident,
    facts_tuple_ok,
    group_keys,
    metric_defs,
    postmortem_summary,
    report,
    summarize,
)
from incli.domain.model import TIME_FIELDS, Incident
from incli.errors import ConfigError, InvalidInput

T = datetime(2025, 1, 15, 10, 0, tzinfo=UTC).timestamp()
MIN = 60.0


def facts(
    ident: str = "INC-1",
    severity: str = "SEV2",
    status: str = "resolved",
    *,
    service: str | None = "api",
    tags: tuple[str, ...] = (),
    drill: bool = False,
    derived: tuple[str, ...] = (),
    pm: tuple[str | None, float | None] = (None, None),
    actions: tuple[tuple[str, str | None], ...] = (),
    **minutes: float | None,
) -> Facts:
    """Facts with times given in minutes after T (opened_at defaults to started_at)."""
    given = {"opened_at": minutes.get("started_at", 0), "started_at": 0, **minutes}
    times = tuple(None if given.get(n) is None else T + given[n] * MIN for n in TIME_FIELDS)  # type: ignore[operator]
    return Facts(ident, "t", severity, status, service, tags, drill, times, pm[0], pm[1], actions, derived)


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([7.0], 7.0, 7.0),
        ([4.0, 1.0], 2.5, 4.0),
        ([3.0, 1.0, 2.0], 2.0, 3.0),
        ([float(v) for v in range(1, 11)], 5.5, 9.0),
        ([float(v) for v in range(1, 12)], 6.0, 10.0),
        ([float(v) for v in range(1, 21)], 10.5, 18.0),
    ],
)
def test_median_and_nearest_rank_p90(values: list[float], median: float, p90: float) -> None:
    summary = summarize(values)
    assert summary == {
        "n": len(values),
        "mean_seconds": sum(values) / len(values),
        "median_seconds": median,
        "p90_seconds": p90,
    }


def test_no_values_no_statistics() -> None:
    assert summarize([]) == {"n": 0, "mean_seconds": None, "median_seconds": None, "p90_seconds": None}


def test_metrics_section_changes_and_adds_spans() -> None:
    assert metric_defs(None) == list(DEFAULT_METRICS)
    defs = metric_defs(
        {"mttr": {"end": "mitigated_at"}, "time_to_declare": {"start": "detected_at", "end": "opened_at"}}
    )
    by_key = {d.key: d for d in defs}
    assert list(by_key) == ["mttd", "mtta", "mttm", "mttr", "time_to_declare"]
    assert (by_key["mttr"].start, by_key["mttr"].end, by_key["mttr"].label) == (
        "started_at",
        "mitigated_at",
        "Time to resolve",
    )
    assert by_key["mttr"].what == "from started_at to mitigated_at"
    assert by_key["time_to_declare"].label == "time_to_declare"
    assert metric_defs({"mttd": {"label": "Detect"}})[0].label == "Detect"


@pytest.mark.parametrize(
    ("section", "key", "reason"),
    [
        ([1], "metrics", "must map a metric (mttr) to {start: FIELD, end: FIELD}"),
        ({"mtbf": {"start": "started_at"}}, "metrics.mtbf", "cannot be configured: it is the gap between starts"),
        ({"mttr": "resolved_at"}, "metrics.mttr", "must be {start: FIELD, end: FIELD}"),
        ({"mttr": {"end": "fixed_at"}}, "metrics.mttr.end", "is fixed_at; one of opened_at, started_at, "),
        ({"new": {"end": "resolved_at"}}, "metrics.new.start", "is missing; one of opened_at"),
        ({"new": {"start": "started_at"}}, "metrics.new.end", "is missing; one of opened_at"),
        ({"mttr": {"ends": "resolved_at"}}, "metrics.mttr.ends", "unknown key; did you mean `end`?"),
    ],
)
def test_metrics_section_refused_naming_the_key(section: Any, key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as refused:
        metric_defs(section)
    assert refused.value.key == key and refused.value.reason.startswith(reason), (
        refused.value.key,
        refused.value.reason,
    )


def test_scope_since_is_inclusive_until_exclusive_and_drills_opt_in() -> None:
    item = facts(started_at=0)
    assert Scope(since=T, until=T + 1).admits(item)
    assert not Scope(since=T + 1).admits(item)
    assert not Scope(until=T).admits(item)
    assert not Scope().admits(facts(drill=True)) and Scope(include_drills=True).admits(facts(drill=True))
    assert not Scope(severity="SEV1").admits(item) and Scope(severity="SEV2").admits(item)
    assert Scope(service=" API ").admits(item) and not Scope(service="web").admits(item)
    no_start = facts(started_at=None)
    assert Scope().admits(no_start)
    assert not Scope(since=T).admits(no_start) and not Scope(until=T).admits(no_start)


def test_mtbf_gaps_between_starts_and_overlaps() -> None:
    items = [
        facts("c", started_at=100, resolved_at=110),
        facts("a", started_at=0, mitigated_at=50, resolved_at=200),  # impact ends at mitigation
        facts("b", started_at=40, resolved_at=45),  # began during a's impact
        facts("d", started_at=105),  # during c; c's end is known
        facts("e", started_at=300, derived=("started_at",)),  # assumed start: left out
        facts("f", started_at=None),
    ]
    gaps, overlapped = _gaps(items)
    assert gaps == [40 * MIN, 60 * MIN, 5 * MIN]
    assert overlapped == 2
    # an unknown end overlaps nothing; a start equal to the latest end does not overlap
    assert _gaps([facts("a", started_at=0), facts("b", started_at=10)]) == ([10 * MIN], 0)
    assert _gaps([facts("a", started_at=0, resolved_at=10), facts("b", started_at=10)]) == ([10 * MIN], 0)


def test_duration_metrics_count_the_declaration_fallback() -> None:
    items = [
        facts("a", detected_at=5, acknowledged_at=7, resolved_at=60),
        facts("b", opened_at=3, detected_at=4, acknowledged_at=9, derived=("detected_at",)),
        facts("c", detected_at=5, acknowledged_at=4),  # out of order: left out
    ]
    result = duration_metrics(items, DEFAULT_METRICS)
    assert result["metrics"]["mtta"]["n"] == 2
    assert result["metrics"]["mtta"]["mean_seconds"] == (2 * MIN + 6 * MIN) / 2
    assert result["metrics"]["mttd"]["n"] == 2
    assert result["counted_from_declaration"] == {"mtta": 1, "mttm": 0, "mttr": 0}
    assert result["metrics"]["mtbf"]["n"] == 2 and result["overlapping"] == 2  # all three start at 10:00


def test_acknowledged_in_time_counts_only_known_outcomes() -> None:
    response = {"SEV2": 15 * MIN}
    now = T + 100 * MIN
    items = [
        facts("in", detected_at=5, acknowledged_at=20),  # exactly on time
        facts("late", detected_at=5, acknowledged_at=21),
        facts("open-late", status="open", detected_at=5),
        facts("open-waiting", status="open", detected_at=90),  # inside its window
        facts("unacked-resolved", detected_at=5, resolved_at=9),
        facts("other", severity="SEV5", detected_at=5, acknowledged_at=6),
        facts("declared", opened_at=2, detected_at=None, acknowledged_at=10, derived=("detected_at",)),
    ]
    assert acknowledged_in_time(items, response, now) == {"n": 4, "within": 2, "share": 0.5}
    assert acknowledged_in_time([], response, now) == {"n": 0, "within": 0, "share": None}
    edge = [facts("edge", status="open", detected_at=0)]
    assert acknowledged_in_time(edge, response, T + 15 * MIN)["n"] == 0
    assert acknowledged_in_time(edge, response, T + 15 * MIN + 1)["n"] == 1


def test_postmortems_on_time_late_and_pending() -> None:
    due = {"SEV2": timedelta(days=1), "SEV4": None}
    day = 1440 * MIN
    now = T + 3 * day
    items = [
        facts("active", status="open"),  # first: an incident needing none never ends the count
        facts("on-time", resolved_at=0, pm=("published", T + day)),
        facts("late", resolved_at=0, pm=("published", T + day + 1)),
        facts("overdue", resolved_at=0, pm=("draft", None)),
        facts("pending", resolved_at=3 * 1440 - 60, pm=("draft", None)),
        facts("reviewed", resolved_at=3 * 1440 - 60, pm=("in_review", T)),
        facts("not-needed", severity="SEV4", resolved_at=0, pm=("draft", None)),
    ]
    assert postmortem_summary(items, due, now) == {
        "recorded": 6,
        "required": 5,
        "published": 2,
        "on_time": 1,
        "late": 2,
        "pending": 2,
        "share_on_time": 1 / 3,
    }
    assert postmortem_summary([], due, now)["share_on_time"] is None


def test_actions_done_open_and_overdue() -> None:
    items = [
        facts(actions=(("done", "2025-01-01"), ("open", "2025-01-14"), ("open", "2025-01-15"))),
        facts(actions=(("open", None), ("wontfix", "2025-01-01"), ("done", None), ("open", "2024-12-31"))),
    ]
    assert action_summary(items, date(2025, 1, 15)) == {"total": 7, "done": 2, "open": 5, "overdue": 2}


def test_group_keys_and_their_refusal() -> None:
    item = facts(tags=("db", "eu"), service=" API ", started_at=0)
    assert group_keys(item, "severity", UTC) == ["SEV2"]
    assert group_keys(item, "tag", UTC) == ["db", "eu"]
    assert group_keys(facts(), "tag", UTC) == [None]
    assert group_keys(item, "month", UTC) == ["2025-01"]
    assert group_keys(facts(started_at=None), "month", UTC) == [None]
    new_years_eve = facts(started_at=-(14 * 1440 + 630))  # 2024-12-31 23:30 UTC, 2025-01-01 in Berlin
    assert group_keys(new_years_eve, "month", UTC) == ["2024-12"]
    assert group_keys(new_years_eve, "month", ZoneInfo("Europe/Berlin")) == ["2025-01"]
    with pytest.raises(InvalidInput, match=r"^cannot group by 'week'; one of severity, service, month, tag, team$"):
        group_keys(item, "week", UTC)
    with pytest.raises(InvalidInput, match=r"^cannot group by 'week'"):
        report([], **_report_args(), by="week")


def _report_args() -> dict[str, Any]:
    return {
        "defs": DEFAULT_METRICS,
        "scope": Scope(),
        "response": {"SEV1": 5 * MIN, "SEV2": 15 * MIN},
        "severity_order": {"SEV1": 0, "SEV2": 1}.get,
        "postmortem_due_by_severity": {},
        "now": T + 1000 * MIN,
        "today": date(2025, 1, 16),
    }


def test_report_orders_severities_and_groups() -> None:
    args = _report_args()
    args["severity_order"] = lambda s: {"SEV1": 0, "SEV2": 1}.get(s, 9)
    items = [
        facts("a", "SEV2", service="web", started_at=10),
        facts("b", "SEV1", service="API", started_at=20),
        facts("c", "P9", service=None, started_at=30),
        facts("d", "SEV2", service="api ", started_at=40),
        facts("drill", "SEV1", drill=True),
    ]
    result = report(items, **args)
    assert result["count"] == 4
    assert [s["severity"] for s in result["by_severity"]] == ["SEV1", "SEV2", "P9"]
    assert [s["count"] for s in result["by_severity"]] == [1, 2, 1]
    by_service = report(items, **args, by="service")["groups"]
    assert [(g["key"], g["count"]) for g in by_service] == [("api", 2), ("web", 1), (None, 1)]
    by_severity = report(items, **args, by="severity")["groups"]
    assert [g["key"] for g in by_severity] == ["SEV1", "SEV2", "P9"]
    assert "groups" not in result


def test_facts_of_an_incident() -> None:
    start = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)
    incident = Incident(
        "INC-1",
        "t",
        "SEV2",
        start,
        start,
        start,
        tags=["db"],
        extra={
            "postmortem": {"state": "published", "published_at": "2025-01-16T10:00:00+00:00"},
            "actions": [{"status": "done", "due": "2025-01-20"}, {"due": None}, "junk"],
            "assumed": ["detected_at"],
        },
    )
    made = facts_from_incident(incident)
    assert made.postmortem_state == "published"
    assert made.postmortem_published_at == start.timestamp() + 86400
    assert made.actions == (("done", "2025-01-20"), ("open", None))
    assert made.derived == ("detected_at",)
    assert made.measured()[TIME_FIELDS.index("detected_at")] is None
    assert made.times[TIME_FIELDS.index("detected_at")] == start.timestamp()
    assert facts_tuple_ok(made.to_tuple())
    naive = Incident("INC-2", "t", "SEV2", start, start, start, extra={"postmortem": {"published_at": "2025-01-16"}})
    assert facts_from_incident(naive).postmortem_published_at is None
    assert facts_from_incident(naive).postmortem_state == "draft"


@pytest.mark.parametrize(
    "index_value",
    [
        (0, 1),
        (1, None),
        (2, 2),
        (3, b"open"),
        (4, 5),
        (5, ["db"]),
        (5, ("db", 1)),
        (6, 1),
        (7, (1.0,)),
        (7, ("x",) * len(TIME_FIELDS)),
        (8, 1),
        (9, "soon"),
        (10, [("open", None)]),
        (10, (("open",),)),
        (10, ((1, None),)),
        (10, (("open", 5),)),
        (11, ("later_at",)),
        (11, [("detected_at")]),
    ],
)
def test_cached_facts_of_the_wrong_shape_are_not_trusted(index_value: tuple[int, Any]) -> None:
    good = facts(
        service="api", tags=("db",), pm=("draft", T), actions=(("open", "2025-01-20"),), derived=("detected_at",)
    ).to_tuple()
    assert facts_tuple_ok(good)
    assert facts_tuple_ok(facts(service=None, pm=(None, None), actions=(("open", None),)).to_tuple())
    index, value = index_value
    bad = list(good)
    bad[index] = value
    assert not facts_tuple_ok(tuple(bad))
    assert not facts_tuple_ok(list(good)) and not facts_tuple_ok(good[:-1])


def test_postmortems_are_counted_one_by_one_and_due_exactly_at_the_deadline() -> None:
    """Every on-time and every late postmortem counts (not just whether there was one), and one
    still unpublished at its deadline's very instant is pending, not late."""
    due = {"SEV2": timedelta(days=1)}
    day = 1440 * MIN
    items = [
        facts("overdue", resolved_at=0, pm=("draft", None)),
        facts("late-1", resolved_at=0, pm=("published", T + day + 1)),
        facts("late-2", resolved_at=0, pm=("published", T + 2 * day)),
        facts("on-time-1", resolved_at=0, pm=("published", T + 60)),
        facts("on-time-2", resolved_at=0, pm=("published", T + day)),
        facts("due-now", resolved_at=1440, pm=("draft", None)),
    ]
    summary = postmortem_summary(items, due, T + 2 * day)
    assert (summary["on_time"], summary["late"], summary["pending"]) == (2, 3, 1)
    assert summary["share_on_time"] == 2 / 5
