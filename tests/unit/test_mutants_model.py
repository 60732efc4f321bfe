"""Reading a hand-edited incident file (domain/model.py), as the mutation run (issue 19) asked:
every problem ``inc validate`` reports names its key and says what is wrong (the YAML traps of
yes/no and numbers included), what may be left out, and what is written back and in what order."""

from __future__ import annotations

from typing import Any

import pytest

from incli.domain.model import (
    ENTRY_KINDS,
    STATUSES,
    UNKNOWN_SEVERITY,
    IncidentFormatError,
    assumed_times,
    incident_from_dict,
    service_key,
)

T = "2025-01-15T14:30:00+00:00"


def good(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schema": 1,
        "id": "INC-20250115-abcde",
        "title": "Checkout down",
        "severity": "SEV2",
        "status": "open",
        "opened_at": T,
        "started_at": T,
        "detected_at": T,
        "timeline": [{"at": T, "kind": "opened", "by": "alice", "text": "Opened"}],
    }
    for key, value in changes.items():
        if value is DROP:
            del data[key]
        else:
            data[key] = value
    return data


DROP = object()
BOOLEAN = "expected text, found {} (quote it: YAML reads yes/no/on/off as booleans)"
NUMBER = "expected text, found the number {} (quote it)"
NO_OFFSET = "'2025-01-15T14:30' has no offset; write it like 2025-01-15T14:30:00+00:00"


@pytest.mark.parametrize(
    ("changes", "problems"),
    [
        ({"schema": "1"}, [("schema", "expected a whole number, found '1'")]),
        ({"schema": True}, [("schema", "expected a whole number, found True")]),
        ({"schema": 2}, [("schema", "version 2 is newer than this incli understands (1); upgrade incli")]),
        ({"id": DROP}, [("id", "missing")]),
        ({"title": "  "}, [("title", "is empty")]),
        (
            {"title": True},
            [("title", BOOLEAN.format("true"))],
        ),
        ({"title": 12}, [("title", "expected text, found the number 12 (quote it)")]),
        ({"title": 1.5}, [("title", "expected text, found the number 1.5 (quote it)")]),
        ({"title": ["a"]}, [("title", "expected text, found list")]),
        ({"severity": DROP}, [("severity", "missing")]),
        ({"status": "done"}, [("status", f"unknown status 'done'; one of {', '.join(STATUSES)}")]),
        (
            {"service": False},
            [("service", BOOLEAN.format("false"))],
        ),
        ({"roles": ["alice"]}, [("roles", "expected a mapping of role to person")]),
        ({"roles": {"comms": 5}}, [("roles.comms", "expected a name")]),
        ({"tags": "db"}, [("tags", "expected a list")]),
        ({"tags": [True]}, [("tags", "expected text, found True")]),
        ({"tags": [{"a": 1}]}, [("tags", "expected text, found {'a': 1}")]),
        ({"drill": "yes"}, [("drill", "expected true or false, found 'yes'")]),
        ({"opened_at": DROP}, [("opened_at", "missing")]),
        (
            {"detected_at": "2025-01-15T14:30"},
            [("detected_at", NO_OFFSET)],
        ),
        ({"resolved_at": "soon"}, [("resolved_at", "'soon' is not an ISO 8601 time")]),
        ({"timeline": DROP}, [("timeline", "missing")]),
        ({"timeline": {"at": T}}, [("timeline", "expected a list of entries")]),
        ({"timeline": ["opened"]}, [("timeline[0]", "expected a mapping with at, kind, by, text")]),
        (
            {"timeline": [{"at": T, "kind": "opened"}, {"at": T, "kind": "party"}]},
            [("timeline[1].kind", f"unknown kind 'party'; one of {', '.join(ENTRY_KINDS)}")],
        ),
        ({"timeline": [{"kind": "note"}]}, [("timeline[0].at", "missing")]),
        ({"timeline": [{"at": T}]}, [("timeline[0].kind", "missing")]),
        (
            {"timeline": [{"at": T, "kind": "note", "text": 5}]},
            [("timeline[0].text", NUMBER.format(5))],
        ),
    ],
)
def test_each_problem_names_its_key(changes: dict[str, Any], problems: list[tuple[str, str]]) -> None:
    with pytest.raises(IncidentFormatError) as refused:
        incident_from_dict(good(**changes))
    assert refused.value.problems == problems
    assert str(refused.value) == "; ".join(f"{k}: {m}" for k, m in problems)


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(IncidentFormatError) as refused:
        incident_from_dict(good(title=DROP, status="x", timeline="y"))
    assert [k for k, _m in refused.value.problems] == ["title", "status", "timeline"]


@pytest.mark.parametrize("data", [None, [], "INC-1"])
def test_not_a_mapping(data: Any) -> None:
    with pytest.raises(IncidentFormatError) as refused:
        incident_from_dict(data)
    assert str(refused.value) == "expected a mapping of incident fields at the top level"


def test_what_may_be_left_out_or_empty() -> None:
    incident = incident_from_dict(
        good(
            schema=DROP,
            service="",
            roles={"scribe": None, "comms": "bob"},
            tags=[1, 2.5, "db"],
            drill=None,
            timeline=[
                {"at": "2025-01-15T15:00:00+00:00", "kind": "note", "text": None, "channel": "#inc"},
                {"at": T, "kind": "opened"},
            ],
            severity=None,
        )
    )
    assert incident.schema == 1 and incident.service == "" and incident.drill is False
    assert incident.roles == {"comms": "bob"}
    assert incident.tags == ["1", "2.5", "db"]
    assert [e.kind for e in incident.timeline] == ["opened", "note"]
    assert incident.timeline[1].text == "" and incident.timeline[1].extra == {"channel": "#inc"}
    assert incident.severity == UNKNOWN_SEVERITY
    assert incident.to_dict()["severity"] is None
    assert incident_from_dict(good(roles=None, tags=None)).roles == {}


def test_written_back_in_order_with_unknown_keys_last_and_kept() -> None:
    data = good(zeta=1, assumed=["detected_at"], alpha={"x": 1}, postmortem={"state": "draft"}, actions=[])
    incident = incident_from_dict(data)
    written = incident.to_dict()
    assert list(written)[-6:] == ["timeline", "postmortem", "actions", "assumed", "alpha", "zeta"]
    assert list(written)[:3] == ["schema", "id", "title"]
    assert written["acknowledged_at"] is None and written["opened_at"] == T
    assert written["timeline"] == [{"at": T, "kind": "opened", "by": "alice", "text": "Opened"}]
    assert "schema" not in incident.to_json() and incident.to_json()["id"] == "INC-20250115-abcde"
    assert incident_from_dict(written).to_dict() == written


def test_assumed_milestones_and_service_names() -> None:
    extra = {"assumed": ["detected_at", "bogus", "started_at"], "source": {"derived": ["opened_at"]}}
    assert assumed_times(extra) == ("opened_at", "started_at", "detected_at")
    assert assumed_times({"assumed": "detected_at", "source": "pd"}) == ()
    assert service_key("  Checkout-API ") == service_key("checkout-api")
    assert service_key(None) is None and service_key("  ") is None


def test_several_problems_are_one_line_joined_by_semicolons() -> None:
    with pytest.raises(IncidentFormatError) as refused:
        incident_from_dict(good(title=DROP, status="x", timeline="y"))
    assert str(refused.value) == (
        "title: missing; status: unknown status 'x'; one of open, acknowledged, mitigated, resolved, reopened; "
        "timeline: expected a list of entries"
    )


def test_when_an_import_entered_the_repository_and_what_counts_as_imported() -> None:
    from datetime import UTC, datetime

    from incli.domain.model import imported_at, is_imported

    aware = datetime(2025, 1, 15, 14, 30, tzinfo=UTC)
    assert imported_at({"source": {"imported_at": aware}}) == aware
    assert imported_at({"source": {"imported_at": aware.replace(tzinfo=None)}}) is None  # no offset: unknown
    assert imported_at({"source": {"imported_at": " 2025-01-15T14:30:00+00:00 "}}) == aware
    assert imported_at({"source": {"imported_at": "2025-01-15T14:30:00"}}) is None
    assert imported_at({"source": {"imported_at": "soon"}}) is None
    assert imported_at({"source": {"imported_at": 1736951400}}) is None
    assert imported_at({"source": "pagerduty"}) is None
    assert is_imported({"source": {"kind": "pagerduty"}})
    assert is_imported({"source": {"imported_at": T}})  # an importer of another kind
    assert not is_imported({"source": {"kind": "alertmanager"}})
    assert not is_imported({"source": {"kind": "alertmanager", "IMPORTED_AT": T}})
    assert not is_imported({})


def test_a_timeline_entry_is_the_same_entry_with_or_without_an_author_left_empty() -> None:
    from datetime import UTC, datetime

    from incli.domain.model import TimelineEntry

    at = datetime(2025, 1, 15, 14, 30, tzinfo=UTC)
    assert TimelineEntry(at, "note", "x").key() == ("2025-01-15T14:30:00+00:00", "note", "", "x")
    assert TimelineEntry(at, "note", "x", by="ann").key() == ("2025-01-15T14:30:00+00:00", "note", "ann", "x")
    assert TimelineEntry(at, "note", "x", by="").key() == TimelineEntry(at, "note", "x").key()
