"""Issue 11, imports that cannot mislead: a --map typo is refused, imported history pages
nobody, a source id finds its incident, one rule for what one service is, an unknown severity."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Run, check_refused, inc, take_snapshot

CSV = "title,severity,begin,end\nDisk full,SEV2,2024-05-01T10:00:00Z,2024-05-01T11:00:00Z\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# -- 1. a --map naming a column no row has is refused -----------------------------


def test_map_with_a_missing_csv_column_is_refused(repo: Path, tmp_path: Path, run: Run) -> None:
    path = write(tmp_path, "in.csv", CSV)
    before = take_snapshot(repo)
    result = run("import", path, "--map", "started_at=begn", "--map", "resolved_at=end")
    check_refused(result, 4, "begn", "title, severity, begin, end")
    assert take_snapshot(repo) == before


def test_map_with_a_missing_json_key_is_refused(repo: Path, tmp_path: Path, run: Run) -> None:
    rows = [{"title": "A", "severity": "SEV2", "begin": "2024-05-01T10:00:00Z", "end": "2024-05-01T11:00:00Z"}]
    for name, text in (("in.json", json.dumps(rows)), ("in.ndjson", json.dumps(rows[0]) + "\n")):
        path = write(tmp_path, name, text)
        before = take_snapshot(repo)
        result = run("import", path, "--map", "started_at=begn", "--map", "resolved_at=end")
        check_refused(result, 4, "'begn'", "begin")
        assert take_snapshot(repo) == before


def test_map_with_present_columns_still_imports(repo: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "in.csv", CSV)
    inc("import", path, "--map", "started_at=begin", "--map", "resolved_at=end")
    (item,) = inc("list", "--json").json
    assert item["started_at"] == "2024-05-01T10:00:00+00:00" and item["resolved_at"] == "2024-05-01T11:00:00+00:00"


# -- 3. an imported incident keeps its source id, and that id finds it -------------

PD = {
    "incidents": [
        {
            "id": "PT4KHLK",
            "type": "incident",
            "title": "Checkout 500s",
            "created_at": "2024-09-02T08:00:00Z",
            "status": "resolved",
            "resolved_at": "2024-09-02T09:00:00Z",
            "urgency": "high",
            "service": {"summary": "checkout"},
        },
        {
            "id": "PQ2ZZZZ",
            "type": "incident",
            "title": "Still open in PagerDuty",
            "created_at": "2024-09-03T08:00:00Z",
            "status": "triggered",
            "urgency": "high",
            "service": {"summary": "search"},
        },
    ]
}


def test_show_finds_an_incident_by_its_pagerduty_id(repo: Path, tmp_path: Path, run: Run) -> None:
    inc("import", write(tmp_path, "pd.json", json.dumps(PD)), "--from", "pagerduty")
    shown = inc("show", "PT4KHLK", "--json").json
    assert shown["title"] == "Checkout 500s" and shown["source"]["id"] == "PT4KHLK"
    assert shown["id"].startswith("INC-20240902-")
    assert inc("show", "pt4khlk", "--json").json["id"] == shown["id"]  # ids are matched without case
    assert "Checkout 500s" in inc("show", "PT4KHLK").stdout
    assert inc("show", shown["id"], "--json").json == shown  # the incli id still works
    # a source id is matched whole, never as part of one
    check_refused(run("show", "PT4KH"), 3, "PT4KH")


# -- 4. one rule for what one service is ------------------------------------------


def test_service_is_one_service_whatever_its_case(repo: Path) -> None:
    for title, service, at in (
        ("old", "checkout", "2025-01-01T10:00:00Z"),
        ("mid", "CheckOut", "2025-01-05T10:00:00Z"),
        ("new", "Checkout", "2025-01-09T10:00:00Z"),
        ("other", "search", "2025-01-07T10:00:00Z"),
    ):
        inc("open", title, "-s", "SEV2", "--service", service, "--at", at)
    listed = {i["title"] for i in inc("list", "--service", "CHECKOUT", "--json").json}
    assert listed == {"old", "mid", "new"}
    assert inc("metrics", "--service", "checkout", "--json").json["count"] == 3
    groups = inc("metrics", "--by", "service", "--json").json["groups"]
    assert [(g["key"], g["count"]) for g in groups] == [("Checkout", 3), ("search", 1)]
    assert "Checkout" in inc("metrics", "--by", "service").stdout


# -- 5. the severity may be unknown for imported history ----------------------------

UNKNOWN_ROWS = [
    {
        "title": "Old outage",
        "severity": None,
        "started_at": "2024-03-01T10:00:00Z",
        "resolved_at": "2024-03-01T12:00:00Z",
    },
    {
        "title": "Known one",
        "severity": "SEV2",
        "started_at": "2024-03-02T10:00:00Z",
        "resolved_at": "2024-03-02T11:00:00Z",
    },
]


def test_a_null_severity_imports_as_unknown(repo: Path, tmp_path: Path) -> None:
    inc("import", write(tmp_path, "in.json", json.dumps(UNKNOWN_ROWS)))
    listed = {i["title"]: i for i in inc("list", "--json").json}
    old = listed["Old outage"]
    assert old["severity"] is None and listed["Known one"]["severity"] == "SEV2"
    assert "\nseverity:\n" in (repo / "incidents" / f"{old['id']}.yaml").read_text()  # null, like service
    table = inc("list").stdout
    assert "unknown" in table and "Old outage" in table
    assert "unknown" in inc("show", old["id"]).stdout
    assert [i["title"] for i in inc("list", "--severity", "unknown", "--json").json] == ["Old outage"]
    groups = inc("metrics", "--by", "severity", "--json").json["groups"]
    assert [(g["key"], g["count"]) for g in groups] == [("SEV2", 1), ("unknown", 1)]
    assert inc("metrics", "--severity", "unknown", "--json").json["count"] == 1
    inc("metrics")
    inc("metrics", "--by", "severity")
    inc("status")
    inc("validate")
    inc("report", "-o", tmp_path / "site")
    # exported and imported again: still unknown, nothing changes
    out = tmp_path / "out.csv"
    inc("export", "-f", "csv", "-o", out)
    other = tmp_path / "other"
    inc("init", other)
    inc("import", out, root=other)
    assert without_imported_at(inc("list", "--json", root=other).json) == without_imported_at(
        inc("list", "--json").json
    )


def without_imported_at(items: list[dict[str, object]]) -> list[dict[str, object]]:
    """The incidents with ``source.imported_at`` (when each entered its repository) set aside."""
    result = []
    for item in items:
        source = item.get("source")
        assert isinstance(source, dict) and "imported_at" in source
        result.append({**item, "source": {k: v for k, v in source.items() if k != "imported_at"}})
    return result


def test_a_missing_or_bad_severity_is_still_refused(repo: Path, tmp_path: Path, run: Run) -> None:
    before = take_snapshot(repo)
    rows = [{"title": "No severity key", "started_at": "2024-03-01T10:00:00Z"}]
    result = run("import", write(tmp_path, "a.json", json.dumps(rows)))
    assert result.code == 4 and "row 1: severity: missing" in result.stderr and "nothing imported" in result.stderr
    rows = [{"title": "Bad", "severity": "SEV9", "started_at": "2024-03-01T10:00:00Z"}]
    result = run("import", write(tmp_path, "b.json", json.dumps(rows)))
    assert result.code == 4 and "row 1: unknown severity 'SEV9'" in result.stderr
    assert take_snapshot(repo) == before


def test_open_requires_a_severity_unless_a_default_is_set(repo: Path, run: Run) -> None:
    before = take_snapshot(repo)
    check_refused(run("open", "No severity"), 2, "--severity", "defaults")
    assert take_snapshot(repo) == before
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + "defaults:\n  severity: sev3\n")
    incident_id = inc("open", "Uses the default").stdout.strip()
    assert inc("show", incident_id, "--json").json["severity"] == "SEV3"
    assert inc("show", inc("open", "Given", "-s", "1").stdout.strip(), "--json").json["severity"] == "SEV1"


def test_defaults_section_is_checked(repo: Path, run: Run) -> None:
    config = repo / "incli.yaml"
    original = config.read_text()
    for text, words in (
        ("defaults:\n  severity: SEV9\n", ["defaults.severity", "SEV9"]),
        ("defaults:\n  sevrity: SEV3\n", ["defaults", "sevrity"]),
        ("defaults: SEV3\n", ["defaults"]),
    ):
        config.write_text(original + text)
        check_refused(run("open", "x"), 4, *words)
    config.write_text(original.replace("id: SEV4", "id: unknown", 1))
    check_refused(run("list"), 4, "unknown")


# -- 2. imported history pages nobody -------------------------------------------------


def test_remind_skips_lapses_that_were_history_when_imported(repo: Path, tmp_path: Path) -> None:
    inc("import", write(tmp_path, "pd.json", json.dumps(PD)), "--from", "pagerduty")
    opened = inc("open", "Opened by hand long ago", "-s", "SEV2", "--at", "2024-09-03T08:00:00Z").stdout.strip()
    imported = inc("show", "PQ2ZZZZ", "--json").json
    assert imported["status"] == "open" and imported["severity"] == "SEV2"
    stamp = imported["source"]["imported_at"]
    assert stamp > "2025" and imported["source"]["kind"] == "pagerduty"
    due = {(r["incident"], r["event"]) for r in inc("remind", "--dry-run", "--json").json}
    assert due == {(opened, "ack_overdue"), (opened, "update_overdue")}  # the imported one pages nobody
    # had it been imported before its deadlines, those lapses would remind as usual
    path = repo / "incidents" / f"{imported['id']}.yaml"
    path.write_text(path.read_text().replace(stamp, "2024-09-03T08:10:00+00:00"))
    due = {(r["incident"], r["event"]) for r in inc("remind", "--dry-run", "--json").json}
    assert (imported["id"], "ack_overdue") in due and (imported["id"], "update_overdue") in due


def test_reimport_still_changes_nothing_and_keeps_imported_at(repo: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "pd.json", json.dumps(PD))
    inc("import", path, "--from", "pagerduty")
    before = take_snapshot(repo)
    result = inc("import", path, "--from", "pagerduty")
    assert "2 already present (left unchanged)" in result.stderr and "differ" not in result.stderr
    assert take_snapshot(repo) == before


def test_status_lists_unresolved_imports_apart(repo: Path, tmp_path: Path) -> None:
    inc("import", write(tmp_path, "pd.json", json.dumps(PD)), "--from", "pagerduty")
    open_import = inc("show", "PQ2ZZZZ", "--json").json["id"]
    resolved_import = inc("show", "PT4KHLK", "--json").json["id"]
    tty = {"INC_FORCE_TTY": "1"}  # as a person sees it: the notes and the table's title
    shown = inc("status", env=tty).stdout
    assert "1 imported incident has no resolution: resolve them with inc resolve ID --at TIME" in shown
    assert open_import not in shown and resolved_import not in shown and "No active incidents." in shown
    mine = inc("open", "Live one", "-s", "SEV2").stdout.strip()
    shown = inc("status", env=tty).stdout
    assert mine in shown and open_import not in shown and "1 active incident" in shown
    rows = {r["id"]: r["imported"] for r in inc("status", "--json").json}
    assert rows == {mine: False, open_import: True}
    inc("resolve", open_import, "--at", "2024-09-03T09:00:00Z")
    assert "imported incident" not in inc("status", env=tty).stdout
