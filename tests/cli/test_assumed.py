"""Unknown stays unknown: a time nobody gave is recorded as assumed and left out of the
metrics that need it; time to acknowledge, mitigate and resolve then count from the
declaration (and say how many did); time to detect never falls back."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import inc


def _file(repo: Path, incident_id: str) -> dict:
    return yaml.safe_load((repo / "incidents" / f"{incident_id}.yaml").read_text())


def test_open_records_what_was_assumed_and_show_says_so(repo: Path) -> None:
    bare = inc("open", "Pool exhausted", "-s", "SEV2", "--at", "2025-01-15T14:30:00+00:00", code=None).stdout.strip()
    assert _file(repo, bare)["assumed"] == ["started_at", "detected_at"]
    shown = inc("show", bare, code=None).stdout
    assert "2025-01-15 14:30:00 +0000 (assumed: declared)" in shown
    assert "Declared        2025-01-15 14:30:00 +0000 (" not in shown

    given = inc(
        "open",
        "Disk full",
        "-s",
        "SEV3",
        "--started-at",
        "2025-01-16T09:00:00+00:00",
        "--detected-at",
        "2025-01-16T09:05:00+00:00",
        "--at",
        "2025-01-16T09:06:00+00:00",
        code=None,
    ).stdout.strip()
    assert "assumed" not in _file(repo, given)
    assert "assumed" not in inc("show", given, code=None).stdout

    only_start = inc(
        "open",
        "Cache",
        "-s",
        "SEV4",
        "--started-at",
        "2025-01-17T08:00:00+00:00",
        "--at",
        "2025-01-17T08:30:00+00:00",
        code=None,
    ).stdout.strip()
    assert _file(repo, only_start)["assumed"] == ["detected_at"]


def test_metrics_leave_assumed_times_out_and_count_from_the_declaration(repo: Path) -> None:
    # A: nothing but the declaration given; acknowledged 2 min, resolved 15 min after it.
    a = inc("open", "A", "-s", "SEV2", "--at", "2025-01-15T14:30:00+00:00", code=None).stdout.strip()
    inc("ack", a, "--at", "2025-01-15T14:32:00+00:00", code=None)
    inc("resolve", a, "--at", "2025-01-15T14:45:00+00:00", code=None)
    # B: impact start and detection given: 10 min to detect, 5 to acknowledge, 60 to resolve.
    b = inc(
        "open",
        "B",
        "-s",
        "SEV2",
        "--started-at",
        "2025-02-01T10:00:00+00:00",
        "--detected-at",
        "2025-02-01T10:10:00+00:00",
        "--at",
        "2025-02-01T10:12:00+00:00",
        code=None,
    ).stdout.strip()
    inc("ack", b, "--at", "2025-02-01T10:15:00+00:00", code=None)
    inc("resolve", b, "--at", "2025-02-01T11:00:00+00:00", code=None)

    result = inc("metrics", "--json", code=None).json
    m = result["metrics"]
    assert m["mttd"]["n"] == 1 and m["mttd"]["mean_seconds"] == 600.0  # A's detection is unknown, never 0
    assert m["mtta"]["n"] == 2 and m["mtta"]["mean_seconds"] == (120 + 300) / 2  # A counted from declaration
    assert m["mttr"]["n"] == 2 and m["mttr"]["mean_seconds"] == (15 * 60 + 60 * 60) / 2
    assert result["counted_from_declaration"] == {"mtta": 1, "mttm": 0, "mttr": 1}
    assert m["mtbf"]["n"] == 0  # A's start is assumed: no gap to measure
    table = inc("metrics", code=None).stdout
    assert "* MTTR n=2: 1 from impact start, 1 from declaration (impact start unknown)" in table
    assert "* MTTA n=2: 1 from detection, 1 from declaration (detection unknown)" in table


def test_mtbf_counts_overlapping_incidents(repo: Path) -> None:
    def incident(start: str, mitigated: str | None) -> None:
        created = inc(
            "open", "x", "-s", "SEV3", "--started-at", start, "--detected-at", start, "--at", start, code=None
        )
        if mitigated:
            inc("mitigate", created.stdout.strip(), "--at", mitigated, code=None)

    incident("2025-01-01T10:00:00+00:00", "2025-01-01T12:00:00+00:00")
    incident("2025-01-01T11:00:00+00:00", "2025-01-01T11:30:00+00:00")  # began during the first
    incident("2025-01-02T10:00:00+00:00", None)
    result = inc("metrics", "--json", code=None).json
    assert result["overlapping"] == 1
    assert result["metrics"]["mtbf"]["n"] == 2
    assert result["metrics"]["mtbf"]["mean_seconds"] == (3600 + 23 * 3600) / 2


def test_a_mitigated_incident_owes_no_acknowledgement_in_status(repo: Path) -> None:
    created = inc("open", "Came and went", "-s", "SEV1", "--at", "2025-01-15T14:30:00+00:00", code=None).stdout.strip()
    inc("mitigate", created, "--at", "2025-01-15T14:31:00+00:00", code=None)
    (row,) = inc("status", "--json", code=None).json
    assert [o["what"] for o in row["overdue"]] == ["update"]
