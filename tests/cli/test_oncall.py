"""inc oncall: a schedule written without hand-editing YAML, who is on call at the edges of a
shift, shifts, overrides, validate, the calendar export and import, the handoff note."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import icalendar
import pytest

from incli.errors import ExitCode
from incli.storage import yamlio
from tests.conftest import Run, check_refused, inc

NEW = [
    "oncall",
    "new",
    "primary",
    "--rotation",
    "alice,bob,carol",
    "--every",
    "1w",
    "--handoff",
    "mon 09:00",
    "--tz",
    "Europe/Berlin",
    "--start",
    "2026-10-19",
]


@pytest.fixture
def primary(repo: Path) -> Path:
    inc(*NEW)
    inc(
        "oncall", "new", "primary", "--layer", "business", "--rotation", "dave", "--every", "1d",
        "--handoff", "09:00", "--tz", "Europe/Berlin", "--start", "2026-10-19", "--only", "mon-fri 10:00-12:00",
    )  # fmt: skip
    return repo


def test_new_writes_the_schedule_file_with_both_layers(primary: Path) -> None:
    data = yamlio.load((primary / "oncall" / "primary.yaml").read_bytes())
    assert data["layers"] == [
        {
            "name": "layer-1",
            "rotation": ["alice", "bob", "carol"],
            "length": "weekly",
            "handoff": "mon 09:00",
            "start": "2026-10-19",
            "tz": "Europe/Berlin",
        },
        {
            "name": "business",
            "rotation": ["dave"],
            "length": "daily",
            "handoff": "09:00",
            "start": "2026-10-19",
            "tz": "Europe/Berlin",
            "restrictions": ["mon-fri 10:00-12:00"],
        },
    ]
    assert data["overrides"] == []


@pytest.mark.parametrize(
    ("at", "on_call", "until", "following"),
    [
        # Monday 26 Oct 2026, the day after Berlin's clocks went back: 09:00 CET is 08:00 UTC.
        ("2026-10-26T08:59:59+01:00", "alice", "2026-10-26T08:00:00+00:00", "bob"),
        ("2026-10-26T09:00:00+01:00", "bob", "2026-10-26T09:00:00+00:00", "dave"),
        # A week before (summer time): 09:00 CEST is 07:00 UTC.
        ("2026-10-19T08:59:59+02:00", None, "2026-10-19T07:00:00+00:00", "alice"),
        ("2026-10-19T09:00:00+02:00", "alice", "2026-10-19T08:00:00+00:00", "dave"),
    ],
)
def test_who_is_on_call_a_second_before_and_at_a_handoff(
    primary: Path, at: str, on_call: str | None, until: str, following: str
) -> None:
    [row] = inc("oncall", "--at", at, "--json").json
    assert row == {
        "schedule": "primary",
        "on_call": on_call,
        "until": until,
        "next": following,
        "layer": "layer-1" if on_call else None,
        "override": False,
    }


def test_shifts_apply_the_restricted_layer_and_filter_by_person(primary: Path) -> None:
    got = inc("oncall", "shifts", "primary", "--from", "2026-10-26T00:00Z", "--to", "2026-10-27T00:00Z", "--json").json
    assert [(s["start"], s["end"], s["who"], s["layer"]) for s in got] == [
        ("2026-10-26T00:00:00+00:00", "2026-10-26T08:00:00+00:00", "alice", "layer-1"),
        ("2026-10-26T08:00:00+00:00", "2026-10-26T09:00:00+00:00", "bob", "layer-1"),
        ("2026-10-26T09:00:00+00:00", "2026-10-26T11:00:00+00:00", "dave", "business"),
        ("2026-10-26T11:00:00+00:00", "2026-10-27T00:00:00+00:00", "bob", "layer-1"),
    ]
    mine = inc("oncall", "shifts", "primary", "--from", "2026-10-26T00:00Z", "--to", "2026-10-27T00:00Z",
               "--who", "dave", "--json").json  # fmt: skip
    assert [s["who"] for s in mine] == ["dave"]


def test_an_override_is_appended_wins_and_overlaps_are_reported(primary: Path) -> None:
    inc("oncall", "override", "primary", "--who", "erin", "--from", "2026-10-27T00:00Z", "--to", "2026-10-28T00:00Z",
        "--reason", "swap with bob", "--by", "bob")  # fmt: skip
    [row] = inc("oncall", "--at", "2026-10-27T06:00Z", "--json").json
    assert (row["on_call"], row["override"], row["until"]) == ("erin", True, "2026-10-28T00:00:00+00:00")
    data = yamlio.load((primary / "oncall" / "primary.yaml").read_bytes())
    assert data["overrides"][0]["who"] == "erin" and data["overrides"][0]["by"] == "bob"
    assert data["overrides"][0]["reason"] == "swap with bob"
    assert inc("validate").code == 0
    second = inc("oncall", "override", "primary", "--who", "carol", "--from", "2026-10-27T12:00Z",
                 "--to", "2026-10-29T00:00Z")  # fmt: skip
    assert "overlaps overrides[0]" in second.stderr
    result = inc("validate", code=None)
    assert result.code == ExitCode.PROBLEMS
    assert (
        "oncall/primary.yaml: overrides[0] (erin" in result.stdout and "overlaps overrides[1] (carol" in result.stdout
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--start", "2026-10-20"], ["--start", "is a tue", "2026-10-19 or 2026-10-26"]),
        (["--every", "90m"], ["--every", "whole number of hours"]),
        (["--tz", "Mars/Base"], ["--tz", "unknown time zone"]),
        (["--handoff", "monday 9"], ["--handoff"]),
        (["--rotation", "alice,VP Engineering"], ["--rotation", "not a handle"]),
        (["--only", "weekdays"], ["--only"]),
    ],
)
def test_bad_new_options_are_refused_and_nothing_is_written(
    repo: Path, run: Run, snapshot: Callable[[Path], dict[str, bytes]], args: list[str], words: list[str]
) -> None:
    before = snapshot(repo)
    flags = dict(zip(NEW[3::2], NEW[4::2], strict=True))
    flags.update(dict(zip(args[::2], args[1::2], strict=True)))
    check_refused(run("oncall", "new", "primary", *[x for kv in flags.items() for x in kv]), ExitCode.INVALID, *words)
    assert snapshot(repo) == before


def test_an_override_given_bare_clock_times_ends_after_it_starts(primary: Path) -> None:
    """'--from 22:00 --to 06:00' is a night's cover, whatever hour the command runs at."""
    inc("oncall", "override", "primary", "--who", "erin", "--from", "2026-10-28T22:00Z", "--to", "06:00")
    inc("oncall", "override", "primary", "--who", "carol", "--from", "2026-10-29T10:00Z", "--to", "11:00")
    data = yamlio.load((primary / "oncall" / "primary.yaml").read_bytes())
    spans = [(o["who"], o["from"], o["to"]) for o in data["overrides"]]
    assert spans == [
        ("erin", "2026-10-28T22:00:00+00:00", "2026-10-29T06:00:00+00:00"),
        ("carol", "2026-10-29T10:00:00+00:00", "2026-10-29T11:00:00+00:00"),
    ]


def test_the_help_example_weekend_override_works(primary: Path) -> None:
    """inc oncall override --help shows '--from 'fri 18:00' --to 'mon 09:00'': a weekend, whatever
    day it is typed on (Monday read from now came before Friday)."""
    inc("oncall", "override", "primary", "--who", "bob", "--from", "fri 18:00", "--to", "mon 09:00", "--reason", "swap")
    [item] = yamlio.load((primary / "oncall" / "primary.yaml").read_bytes())["overrides"]
    start, end = datetime.fromisoformat(item["from"]), datetime.fromisoformat(item["to"])
    assert (start.strftime("%a %H:%M"), end.strftime("%a %H:%M")) == ("Fri 18:00", "Mon 09:00")
    assert end - start == timedelta(hours=63)


def test_bad_override_is_refused(primary: Path, run: Run, snapshot: Callable[[Path], dict[str, bytes]]) -> None:
    before = snapshot(primary)
    check_refused(
        run("oncall", "override", "primary", "--who", "erin", "--from", "2026-10-28", "--to", "2026-10-27"),
        ExitCode.INVALID,
        "--to",
    )
    window = ["--from", "2026-10-28T10:00Z", "--to", "2026-10-28T11:00Z"]
    check_refused(run("oncall", "override", "nosuch", "--who", "erin", *window), ExitCode.NOT_FOUND, "nosuch")
    check_refused(run("oncall", "--schedule", "../x"), ExitCode.INVALID, "cannot name a schedule")
    assert snapshot(primary) == before


def test_a_broken_schedule_file_is_one_line_with_file_and_line(primary: Path, run: Run) -> None:
    path = primary / "oncall" / "primary.yaml"
    path.write_text(path.read_text().replace("length: weekly", "length: fortnightly"))
    result = run("oncall", "--schedule", "primary")
    check_refused(result, ExitCode.PROBLEMS, "primary.yaml:", "layers[0].length")
    assert "primary.yaml" in inc("validate", code=ExitCode.PROBLEMS).stdout


def test_export_is_rfc5545_with_stable_uids_and_import_reads_it_back(primary: Path, tmp_path: Path) -> None:
    ics = tmp_path / "primary.ics"
    window = ["--from", "2026-10-19T00:00Z", "--to", "2026-11-02T12:00Z"]
    inc("oncall", "export", "primary", "-o", ics, *window)
    calendar = icalendar.Calendar.from_ical(ics.read_bytes())
    events = list(calendar.walk("VEVENT"))
    shifts = inc("oncall", "shifts", "primary", *window, "--json").json
    assert len(events) == len(shifts) == 25  # counted by hand: 11 + 11 + 3
    assert [(e["DTSTART"].dt.isoformat(), str(e["SUMMARY"])) for e in events[:2]] == [
        ("2026-10-19T07:00:00+00:00", "On call: alice (primary)"),
        ("2026-10-19T08:00:00+00:00", "On call: dave (primary)"),
    ]
    assert b"\r\n" in ics.read_bytes() and all(len(line) <= 75 for line in ics.read_bytes().split(b"\r\n"))
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    # An override elsewhere leaves the other shifts' UIDs as they were (the calendar updates).
    inc("oncall", "override", "primary", "--who", "erin", "--from", "2026-11-01T00:00Z", "--to", "2026-11-01T06:00Z")
    inc("oncall", "export", "primary", "-o", ics, *window)
    again = [str(e["UID"]) for e in icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")]
    assert again[:20] == uids[:20]
    # Only alice's shifts, imported into another schedule as overrides: the same times.
    inc("oncall", "export", "primary", "--who", "alice", "-o", ics, *window)
    inc("oncall", "new", "backup", "--rotation", "zed", "--every", "1w", "--handoff", "mon 09:00",
        "--tz", "UTC", "--start", "2026-10-19")  # fmt: skip
    inc("oncall", "import", "backup", ics)
    got = inc("oncall", "shifts", "backup", *window, "--who", "alice", "--json").json
    mine = [s for s in shifts if s["who"] == "alice"]
    assert [(s["start"], s["end"]) for s in got] == [(s["start"], s["end"]) for s in mine]


def test_an_unknown_time_zone_in_a_calendar_is_blamed_on_the_calendar(primary: Path, tmp_path: Path) -> None:
    """It was reported as incli.yaml's, which names no such zone."""
    ics = tmp_path / "mars.ics"
    ics.write_text(
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;TZID=Mars/Base:20261019T090000\r\n"
        "DTEND:20261020T090000Z\r\nSUMMARY:alice\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    refused = inc("oncall", "import", "primary", ics, code=None)
    check_refused(refused, ExitCode.INVALID, "unknown time zone in the calendar's TZID=Mars/Base")
    assert "incli.yaml" not in refused.stderr
    ics.write_text(ics.read_text().replace(";TZID=Mars/Base", ""))
    refused = inc("oncall", "import", "primary", ics, "--tz", "Mars/Base", code=None)
    check_refused(refused, ExitCode.INVALID, "unknown time zone in 'Mars/Base'")
    assert "incli.yaml" not in refused.stderr


def test_import_a_regular_rotation_as_a_layer(repo: Path, tmp_path: Path) -> None:
    ics = tmp_path / "rota.ics"
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:{i}\r\nDTSTART;TZID=Europe/Berlin:202610{5 + 7 * i:02d}T090000\r\n"
        f"DTEND;TZID=Europe/Berlin:202610{12 + 7 * i:02d}T090000\r\nSUMMARY:{who}\r\nEND:VEVENT\r\n"
        for i, who in enumerate(["ann", "ben", "ann"])
    )
    ics.write_text(f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{events}END:VCALENDAR\r\n")
    inc("oncall", "import", "rota", ics, "--layer", "weekly", "--tz", "Europe/Berlin")
    data = yamlio.load((repo / "oncall" / "rota.yaml").read_bytes())
    assert data["layers"][0] | {"name": "weekly"} == {
        "name": "weekly",
        "rotation": ["ann", "ben"],
        "length": "weekly",
        "handoff": "mon 09:00",
        "start": "2026-10-05",
        "tz": "Europe/Berlin",
    }
    [row] = inc("oncall", "--at", "2026-10-26T07:59:59Z", "--json").json  # a second before 09:00 CET
    assert (row["on_call"], row["until"], row["next"]) == ("ann", "2026-10-26T08:00:00+00:00", "ben")


def test_handoff_tells_the_incoming_person_what_happened(primary: Path) -> None:
    a = inc("open", "Checkout down", "-s", "SEV2", "--at", "2026-10-21T10:00Z").stdout.strip()
    b = inc("open", "Search slow", "-s", "SEV3", "--at", "2026-10-22T10:00Z").stdout.strip()
    inc("resolve", b, "--at", "2026-10-22T11:00Z")
    inc("postmortem", "new", b)
    inc("action", "add", b, "Add a pool alarm", "--owner", "alice", "--due", "2026-10-30")
    text = inc("oncall", "handoff", "primary", "--at", "2026-10-26T08:30Z").stdout
    assert text.startswith("# Handoff: primary\n")
    assert "bob takes over from alice at 2026-10-26 08:00" in text
    assert f"## Opened during the shift (2)\n\n- {a} [SEV2] open: Checkout down\n- {b}" in text
    assert f"## Still active (1)\n\n- {a} [SEV2] open: Checkout down\n" in text
    assert f"## Resolved during the shift (1)\n\n- {b} [SEV3] resolved: Search slow\n" in text
    assert "## Open action items of alice (1)\n\n- " in text and "Add a pool alarm, due 2026-10-30" in text
    assert "## Next shifts\n\n- 2026-10-26 08:00 UTC to 2026-10-26 09:00 UTC: bob\n" in text


@pytest.mark.parametrize(
    ("section", "words"),
    [
        ("people:\n  alice: {tz: Mars/Base}\n", ["people.alice.tz", "unknown time zone"]),
        ("people:\n  VP Engineering: {}\n", ["people.VP Engineering", "one word"]),
        ("oncall:\n  default_schedul: primary\n", ["oncall.default_schedul", "did you mean `default_schedule`"]),
        ("oncall:\n  sleep_hours: '22-7'\n", ["oncall.sleep_hours[0]", "HH:MM"]),
        ("escalation:\n  crit:\n    levels: [{notify: [team:x]}]\n", ["escalation.crit.levels[0].notify[0]"]),
        ("escalation:\n  crit:\n    levels: [{notify: [alice], wiat: 5m}]\n", ["did you mean `wait`"]),
        ("escalation:\n  crit:\n    levels: [{notify: [alice]}]\n    repeat: -1\n", ["escalation.crit.repeat"]),
    ],
)
def test_a_bad_on_call_setting_names_its_key(repo: Path, run: Run, section: str, words: list[str]) -> None:
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + section)
    check_refused(run("oncall", "--json"), ExitCode.INVALID, "incli.yaml:", *words)


def test_a_severity_naming_a_missing_policy_is_refused(repo: Path, run: Run) -> None:
    config = repo / "incli.yaml"
    config.write_text(
        config.read_text().replace("escalate_to: VP Engineering", "escalate_to: carol\n  escalation: crit")
    )
    check_refused(run("list"), ExitCode.INVALID, "severities[0].escalation", "no policy 'crit'")


def test_two_schedules_without_a_default_are_reported(primary: Path) -> None:
    inc("oncall", "new", "backup", "--rotation", "zed", "--every", "1d", "--handoff", "09:00", "--tz", "UTC",
        "--start", "2026-10-19")  # fmt: skip
    result = inc("validate", code=ExitCode.PROBLEMS)
    assert "oncall.default_schedule is not set and there are 2 schedules" in result.stdout
    config = primary / "incli.yaml"
    config.write_text(config.read_text() + "oncall:\n  default_schedule: primary\n")
    assert inc("validate").code == 0
