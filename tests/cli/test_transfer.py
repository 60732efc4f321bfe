"""inc export and inc import: round trips, null times, offsets, invalid rows, PagerDuty."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from tests.conftest import inc


def make_repo(path: Path) -> Path:
    inc("init", path)
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "incidents").glob("*.yaml"))}


IMPORTED_AT = re.compile(rb"\n  imported_at: '\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?\+00:00'")


def imported_aside(root: Path) -> dict[str, bytes]:
    """The snapshot with each file's ``source.imported_at`` (when it entered this repository,
    issue 11) set aside, and a ``source: {kind: import}`` that only held it with it. Every file
    must have it."""
    found = {}
    for name, data in snapshot(root).items():
        assert len(IMPORTED_AT.findall(data)) == 1, data
        found[name] = IMPORTED_AT.sub(b"", data).replace(b"source:\n  kind: import\n", b"")
    return found


def listed_aside(root: Path) -> str:
    """``inc list --json`` with ``source.imported_at`` set aside (and a source that only held it)."""
    items = json.loads(inc("list", "--json", root=root).stdout)
    for item in items:
        source = item["source"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?\+00:00", source.pop("imported_at"))
        if source == {"kind": "import"}:
            del item["source"]
    return json.dumps(items, indent=2, ensure_ascii=False) + "\n"


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


@pytest.fixture()
def source(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "source")
    a = inc(
        "open",
        "Database connection pool exhausted",
        "-s",
        "SEV2",
        "--service",
        "db",
        "--at",
        "2025-01-15T14:30:00-05:00",
        "--started-at",
        "2025-01-15T14:25:00-05:00",
        "--by",
        "ann",
        "--tag",
        "db",
        "--tag",
        "pool size",
        root=root,
    ).stdout.strip()
    inc("ack", a, "--at", "2025-01-15T14:32:00-05:00", "--by", "ann", root=root)
    inc(
        "note",
        a,
        'Restarted; "pool" at 100%\nsecond line',
        "--at",
        "2025-01-15T14:35:00-05:00",
        "--by",
        "bo",
        root=root,
    )
    inc("assign", a, "comms", "carol", "--at", "2025-01-15T14:36:00-05:00", "--by", "ann", root=root)
    inc("mitigate", a, "--at", "2025-01-15T14:40:00-05:00", "--by", "ann", root=root)
    inc("resolve", a, "--at", "2025-01-15T14:45:00-05:00", "--by", "ann", root=root)
    b = inc(
        "open",
        "Checkout latency",
        "-s",
        "3",
        "--at",
        "2025-02-01T09:00:00+01:00",
        "--by",
        "dan",
        "--commander",
        "erin",
        root=root,
    ).stdout.strip()
    inc("ack", b, "--at", "2025-02-01T09:10:00+01:00", "--by", "dan", root=root)
    inc("open", "Game day", "-s", "1", "--drill", "--at", "2025-03-01T10:00:00+00:00", "--by", "x", root=root)
    return root


@pytest.mark.parametrize("fmt", ["json", "ndjson"])
def test_export_then_import_gives_the_same_json(source: Path, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"all.{fmt}"
    inc("export", "--format", fmt, "-o", str(out), root=source)
    target = make_repo(tmp_path / "target")
    result = inc("import", str(out), root=target)
    assert "Imported 3 incidents" in result.stderr
    # the same, but for when each entered the target repository (source.imported_at, issue 11)
    assert listed_aside(target) == inc("list", "--json", root=source).stdout
    assert imported_aside(target) == snapshot(source)
    # offsets are kept, not converted
    assert "2025-01-15T14:45:00-05:00" in (out.read_text())
    shown = json.loads(inc("list", "--json", "--severity", "3", root=target).stdout)[0]
    assert shown["acknowledged_at"] == "2025-02-01T09:10:00+01:00"
    assert shown["mitigated_at"] is None and shown["resolved_at"] is None


def test_export_to_stdout_has_show_json_keys(source: Path) -> None:
    exported = json.loads(inc("export", root=source).stdout)
    listed = {i["id"]: i for i in json.loads(inc("list", "--json", root=source).stdout)}
    assert len(exported) == 3
    for item in exported:
        assert item == listed[item["id"]]
        shown = json.loads(inc("show", item["id"], "--json", root=source).stdout)
        assert list(item) == list(shown)
    lines = inc("export", "--format", "ndjson", root=source).stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [i["id"] for i in exported]


def test_csv_round_trip(source: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    inc("export", "-f", "csv", "-o", str(out), root=source)
    header = out.read_text().splitlines()[0]
    assert header.startswith("id,title,severity,status,service,summary,commander,roles,tags,drill,opened_at")
    assert "timeline" not in header
    assert "db; pool size" in out.read_text() and "comms=carol" in out.read_text()
    target = make_repo(tmp_path / "target")
    inc("import", str(out), root=target)

    def without_timeline(root: Path, aside: bool = True) -> list[dict]:
        text = listed_aside(root) if aside else inc("list", "--json", root=root).stdout
        return [{k: v for k, v in i.items() if k != "timeline"} for i in json.loads(text)]

    assert without_timeline(target) == without_timeline(source, aside=False)


def test_null_times_stay_null_and_missing_id_status(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    rows = [
        {
            "title": "Only started",
            "severity": "SEV3",
            "started_at": "2024-05-01T10:00:00+02:00",
            "acknowledged_at": None,
            "mitigated_at": None,
            "resolved_at": None,
        },
        {
            "title": "Resolved",
            "severity": "low",
            "detected_at": "2024-05-02T10:00:00Z",
            "resolved_at": "2024-05-02T11:00:00Z",
            "tags": ["x"],
        },
    ]
    path = tmp_path / "in.json"
    path.write_text(json.dumps(rows))
    result = inc("import", str(path), root=root)
    assert "detected_at was missing in 1 row: set from started_at" in result.stderr
    assert "started_at was missing in 1 row: set from detected_at" in result.stderr
    listed = {i["title"]: i for i in json.loads(inc("list", "--json", root=root).stdout)}
    first, second = listed["Only started"], listed["Resolved"]
    assert first["status"] == "open"
    assert first["started_at"] == first["detected_at"] == first["opened_at"] == "2024-05-01T10:00:00+02:00"
    assert first["acknowledged_at"] is None and first["mitigated_at"] is None and first["resolved_at"] is None
    assert first["id"].startswith("INC-20240501-")
    assert second["status"] == "resolved" and second["severity"] == "SEV4"
    assert second["resolved_at"] == "2024-05-02T11:00:00+00:00" and second["acknowledged_at"] is None
    # the filled-in times are recorded, and metrics leave them (and null times) out
    stamp = first["source"]["imported_at"]  # when it entered the repository (issue 11)
    assert first["source"] == {"kind": "import", "imported_at": stamp} and first["assumed"] == [
        "detected_at",
        "opened_at",
    ]
    assert second["source"] == {"kind": "import", "imported_at": stamp}
    assert second["assumed"] == ["opened_at", "started_at"]
    m = json.loads(inc("metrics", "--json", root=root).stdout)["metrics"]
    assert m["mttd"]["n"] == 0 and m["mtta"]["n"] == 0 and m["mttr"]["n"] == 0
    assert m["mtbf"]["n"] == 0  # the second start was filled in: MTBF leaves it out too


def test_another_tools_csv_with_map_set_ignore_unknown(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    path = tmp_path / "other.csv"
    path.write_text(
        "uuid,company,title,start_time,end_time,categories,url\n"
        "6f1c2a9e-0000-4000-8000-000000000001,Acme,Queue backlog,"
        "2021-03-01T10:00:00Z,2021-03-01T12:30:00Z,config;cascading-failure,https://example.org/a\n"
        "6f1c2a9e-0000-4000-8000-000000000002,Initech,DNS outage,"
        "2021-06-01T00:00:00Z,2021-06-01T00:45:00Z,,\n"
        "6f1c2a9e-0000-4000-8000-000000000003,Globex,Still unknown,"
        "2022-01-01T00:00:00Z,,hardware,\n"
    )
    args = [
        "import",
        str(path),
        "--map",
        "id=uuid",
        "--map",
        "service=company",
        "--map",
        "started_at=start_time",
        "--map",
        "resolved_at=end_time",
        "--map",
        "tags=categories",
        "--set",
        "severity=SEV3",
    ]
    assert "unknown field url" in inc(*args, root=root, code=4).stderr
    inc(*args, "--ignore-unknown", root=root)
    listed = {i["id"]: i for i in json.loads(inc("list", "--json", root=root).stdout)}
    first = listed["6f1c2a9e-0000-4000-8000-000000000001"]
    assert first["service"] == "Acme" and first["tags"] == ["config", "cascading-failure"]
    assert first["severity"] == "SEV3" and first["status"] == "resolved"
    assert listed["6f1c2a9e-0000-4000-8000-000000000003"]["status"] == "open"
    m = json.loads(inc("metrics", "--json", root=root).stdout)["metrics"]
    assert m["mttr"] == {
        "n": 2,
        "mean_seconds": (9000 + 2700) / 2,
        "median_seconds": (9000 + 2700) / 2,
        "p90_seconds": 9000.0,
    }
    assert m["mttd"]["n"] == 0  # detected_at was filled in from started_at: not measured
    bad = inc("import", str(path), "--map", "colour=company", root=root, code=4)
    assert "'colour' is not an incident field" in bad.stderr


def test_invalid_row_reported_and_nothing_written(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    lines = [
        {"title": "Good one", "severity": "SEV2", "opened_at": "2024-01-01T00:00:00+00:00"},
        {"title": "Bad severity", "severity": "SEV9", "opened_at": "2024-01-02T00:00:00+00:00"},
        {
            "title": "Out of order",
            "severity": "SEV2",
            "started_at": "2024-01-03T10:00:00+00:00",
            "resolved_at": "2024-01-03T09:00:00+00:00",
        },
    ]
    path = tmp_path / "in.ndjson"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    before = snapshot(root)
    result = inc("import", str(path), root=root, code=4)
    assert "row 2: unknown severity 'SEV9'" in result.stderr
    assert "row 3: resolved_at" in result.stderr
    assert "nothing imported" in result.stderr
    assert snapshot(root) == before == {}
    result = inc("import", str(path), "--skip-invalid", root=root)
    assert "Imported 1 incident" in result.stderr and "2 invalid skipped" in result.stderr
    assert [i["title"] for i in json.loads(inc("list", "--json", root=root).stdout)] == ["Good one"]


def test_csv_row_numbers_and_unknown_columns(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    path = tmp_path / "in.csv"
    path.write_text(
        "title,severity,started_at,resolved_at,tags\n"
        "Fine,SEV3,2024-03-01T10:00:00+00:00,2024-03-01T10:30:00+00:00,a; b\n"
        "No time,SEV3,,,\n"
    )
    result = inc("import", str(path), root=root, code=4)
    assert "row 2 (line 3): no time at all" in result.stderr
    assert snapshot(root) == {}
    other = tmp_path / "other.csv"
    other.write_text("title,severity,started_at,company\nX,SEV3,2024-03-01T10:00:00+00:00,Acme\n")
    assert "row 1 (line 2): unknown field company" in inc("import", str(other), root=root, code=4).stderr
    inc("import", str(path), "--skip-invalid", root=root)
    item = json.loads(inc("list", "--json", root=root).stdout)[0]
    assert item["tags"] == ["a", "b"] and item["status"] == "resolved"


def test_reimport_changes_nothing(source: Path, tmp_path: Path) -> None:
    target = make_repo(tmp_path / "target")
    exported = tmp_path / "all.json"
    inc("export", "-o", str(exported), root=source)
    idless = tmp_path / "idless.json"
    idless.write_text(json.dumps([{"title": "No id", "severity": "SEV2", "started_at": "2024-06-01T00:00:00Z"}]))
    for path in (exported, idless):
        inc("import", str(path), root=target)
    first = snapshot(target)
    assert len(first) == 4
    for path in (exported, idless):
        result = inc("import", str(path), root=target)
        assert "already present (left unchanged)" in result.stderr
    assert snapshot(target) == first


PAGERDUTY = {
    "incidents": [
        {
            "id": "PABC123",
            "type": "incident",
            "incident_number": 77,
            "title": "Checkout 500s",
            "summary": "[#77] Checkout 500s",
            "html_url": "https://acme.pagerduty.com/incidents/PABC123",
            "created_at": "2024-09-02T08:00:00Z",
            "status": "resolved",
            "service": {"id": "PS1", "type": "service_reference", "summary": "checkout-api"},
            "last_status_change_at": "2024-09-02T09:30:00Z",
            "last_status_change_by": {"id": "PU1", "type": "user_reference", "summary": "Ann Ops"},
            "priority": {"id": "PP1", "type": "priority_reference", "summary": "P1"},
            "urgency": "high",
            "acknowledgements": [
                {
                    "at": "2024-09-02T08:07:00Z",
                    "acknowledger": {"id": "PU2", "summary": "Bo Oncall"},
                },
                {"at": "2024-09-02T08:03:00Z", "acknowledger": {"id": "PU1", "summary": "Ann Ops"}},
            ],
        },
        {
            "id": "PDEF456",
            "type": "incident",
            "incident_number": 78,
            "title": "Disk filling on batch-3",
            "created_at": "2024-09-03T22:15:00-04:00",
            "status": "triggered",
            "service": {"id": "PS2", "type": "service_reference", "summary": "batch"},
            "priority": None,
            "urgency": "low",
            "acknowledgements": [],
            "resolved_at": None,
        },
        {
            "id": "PGHI789",
            "type": "incident",
            "title": "Acked through the log",
            "created_at": "2024-09-04T10:00:00Z",
            "status": "acknowledged",
            "urgency": "high",
            "service": {"summary": "search"},
            "log_entries": [
                {"type": "trigger_log_entry", "created_at": "2024-09-04T10:00:00Z"},
                {"type": "acknowledge_log_entry", "created_at": "2024-09-04T10:12:00Z"},
            ],
        },
    ],
    "limit": 25,
    "offset": 0,
    "more": False,
}


def test_pagerduty_list_response(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    path = tmp_path / "pd.json"
    path.write_text(json.dumps(PAGERDUTY))
    inc("import", str(path), "--from", "pagerduty", root=root)
    found = {i["source"]["id"]: i for i in json.loads(inc("list", "--json", root=root).stdout)}
    a = found["PABC123"]
    assert a["title"] == "Checkout 500s" and a["service"] == "checkout-api"
    assert a["severity"] == "SEV1"  # priority P1 wins over urgency
    assert a["started_at"] == a["detected_at"] == a["opened_at"] == "2024-09-02T08:00:00+00:00"
    assert a["acknowledged_at"] == "2024-09-02T08:03:00+00:00"  # the first acknowledgement
    assert a["resolved_at"] == "2024-09-02T09:30:00+00:00" and a["status"] == "resolved"
    assert a["source"] == {
        "kind": "pagerduty",
        "id": "PABC123",
        "url": "https://acme.pagerduty.com/incidents/PABC123",
        "number": 77,
        "imported_at": a["source"]["imported_at"],  # when it entered the repository (issue 11)
    }
    assert a["source"]["imported_at"] > "2025"
    assert [e["kind"] for e in a["timeline"]] == ["opened", "acknowledged", "resolved"]
    b = found["PDEF456"]
    assert b["severity"] == "SEV4" and b["status"] == "open"  # urgency low
    assert b["opened_at"] == "2024-09-03T22:15:00-04:00" and b["resolved_at"] is None
    c = found["PGHI789"]
    assert c["severity"] == "SEV2" and c["acknowledged_at"] == "2024-09-04T10:12:00+00:00"
    before = snapshot(root)
    result = inc("import", str(path), "--from", "pagerduty", root=root)
    assert "3 already present" in result.stderr and snapshot(root) == before
    m = json.loads(inc("metrics", "--json", root=root).stdout)["metrics"]
    assert m["mttr"] == {
        "n": 1,
        "mean_seconds": 5400.0,
        "median_seconds": 5400.0,
        "p90_seconds": 5400.0,
    }


def test_pagerduty_single_incident_and_config_mapping(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "r")
    config = root / "incli.yaml"
    config.write_text(
        config.read_text() + "import:\n  pagerduty:\n    priority:\n      P1: SEV2\n    urgency:\n      high: SEV3\n"
    )
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"incident": PAGERDUTY["incidents"][0]}))
    inc("import", str(single), "--from", "pagerduty", root=root)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"incident": PAGERDUTY["incidents"][2]}))
    inc("import", str(other), "--from", "pagerduty", root=root)
    severities = {i["source"]["id"]: i["severity"] for i in json.loads(inc("list", "--json", root=root).stdout)}
    assert severities == {"PABC123": "SEV2", "PGHI789": "SEV3"}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"services": []}))
    assert (
        "not a PagerDuty REST API v2 response"
        in inc("import", str(bad), "--from", "pagerduty", root=root, code=4).stderr
    )
