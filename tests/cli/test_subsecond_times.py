"""Sub-second times are kept (issue 11): stored and computed to the microsecond."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from incli.domain.model import incident_from_dict
from incli.domain.times import parse_stored, parse_time, to_iso
from incli.integrations.sources.alertmanager import parse_alert_time
from incli.storage import fastyaml, yamlio
from tests.conftest import Run

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
moments = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 12, 30), timezones=offsets)


def test_whole_seconds_are_written_as_before() -> None:
    assert to_iso(datetime(2025, 1, 15, 14, 30, tzinfo=UTC)) == "2025-01-15T14:30:00+00:00"


def test_alertmanager_nanoseconds_kept_to_the_microsecond() -> None:
    moment = parse_alert_time("2018-03-07T06:33:21.873077559-05:00")
    assert moment is not None
    assert to_iso(moment) == "2018-03-07T11:33:21.873077+00:00"


def test_typed_and_imported_milliseconds_kept() -> None:
    assert to_iso(parse_time("2025-01-15T14:30:00.250Z", NOW)) == "2025-01-15T14:30:00.250000+00:00"
    assert to_iso(parse_time("2025-01-15 14:30:00.5 +01:00", NOW)) == "2025-01-15T14:30:00.500000+01:00"


@given(moments)
def test_stored_times_read_back_exactly(moment: datetime) -> None:
    assert parse_stored(to_iso(moment)) == moment
    assert parse_stored(to_iso(moment)).utcoffset() == moment.utcoffset()
    assert parse_time(to_iso(moment), NOW) == moment


@given(moments)
def test_fast_reader_reads_what_incli_writes(moment: datetime) -> None:
    data = {"id": "INC-1", "opened_at": to_iso(moment), "timeline": [{"at": to_iso(moment), "kind": "opened"}]}
    blob = yamlio.dump(data).encode()
    assert fastyaml.load(blob) == yamlio.load(blob.decode()) == data


def test_incident_file_keeps_microseconds(repo: Path, run: Run) -> None:
    opened = run("open", "Pool exhausted", "-s", "SEV2", "--at", "2025-01-15T14:30:00.123456+00:00")
    assert opened.code == 0, opened.stderr
    incident_id = opened.stdout.strip()
    assert run("resolve", incident_id, "--at", "2025-01-15T14:33:20.623456+00:00").code == 0
    text = (repo / "incidents" / f"{incident_id}.yaml").read_text()
    assert "started_at: '2025-01-15T14:30:00.123456+00:00'" in text
    assert "resolved_at: '2025-01-15T14:33:20.623456+00:00'" in text
    shown = run("show", incident_id, "--json").json
    assert shown["resolved_at"] == "2025-01-15T14:33:20.623456+00:00"
    incident = incident_from_dict(yamlio.load(text))
    assert incident.resolved_at is not None
    assert incident.resolved_at - incident.started_at == timedelta(seconds=200, microseconds=500000)
    assert "3 minutes 20 seconds" in run("show", incident_id).stdout
