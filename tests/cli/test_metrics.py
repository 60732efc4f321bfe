"""inc metrics: hand-computed statistics on a small repository, compared to --json."""

from __future__ import annotations

import csv
import io
import json
import time
from datetime import datetime
from pathlib import Path

import pytest

from incli.storage import yamlio
from tests.conftest import inc


def T(text: str) -> str:
    return f"2025-{text}:00+00:00"


def seconds(a: str, b: str) -> float:
    return (datetime.fromisoformat(T(b)) - datetime.fromisoformat(T(a))).total_seconds()


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    root = tmp_path / "r"
    inc("init", root)

    def open_(title: str, sev: str, service: str, started: str, detected: str, *extra: str) -> str:
        return inc(
            "open",
            title,
            "-s",
            sev,
            "--service",
            service,
            "--started-at",
            T(started),
            "--detected-at",
            T(detected),
            "--at",
            T(detected),
            "--by",
            "t",
            *extra,
            root=root,
        ).stdout.strip()

    a = open_("A", "SEV1", "api", "01-05T00:00", "01-05T00:10", "--tag", "db")
    inc("ack", a, "--at", T("01-05T00:15"), "--by", "t", root=root)
    inc("mitigate", a, "--at", T("01-05T00:40"), "--by", "t", root=root)
    inc("resolve", a, "--at", T("01-05T01:00"), "--by", "t", root=root)
    b = open_("B", "SEV2", "api", "01-20T10:00", "01-20T10:05", "--tag", "db", "--tag", "network")
    inc("ack", b, "--at", T("01-20T10:35"), "--by", "t", root=root)
    inc("resolve", b, "--at", T("01-20T13:00"), "--by", "t", root=root)
    c = open_("C", "SEV2", "web", "02-03T08:00", "02-03T08:00")
    inc("resolve", c, "--at", T("02-03T08:30"), "--by", "t", root=root)
    d = open_("D", "SEV3", "web", "02-10T12:00", "02-10T12:20")
    inc("ack", d, "--at", T("02-10T12:30"), "--by", "t", root=root)
    e = open_("E drill", "SEV1", "api", "02-15T09:00", "02-15T09:00", "--drill")
    inc("resolve", e, "--at", T("02-15T09:05"), "--by", "t", root=root)
    (root / "ids.json").write_text(json.dumps({"a": a, "b": b, "c": c, "d": d, "e": e}))
    return root


def ids(root: Path) -> dict[str, str]:
    return json.loads((root / "ids.json").read_text())


def metrics_json(root: Path, *args: str) -> dict:
    return json.loads(inc("metrics", "--json", *args, root=root).stdout)


def stat(n: int, mean: float | None, median: float | None, p90: float | None) -> dict:
    return {"n": n, "mean_seconds": mean, "median_seconds": median, "p90_seconds": p90}


def test_hand_computed_means_medians_p90(repo: Path) -> None:
    result = metrics_json(repo)
    assert result["count"] == 4  # the drill is left out
    m = result["metrics"]
    # time to detect: 600, 300, 0, 1200 -> sorted 0 300 600 1200
    assert m["mttd"] == stat(4, 525.0, 450.0, 1200.0)
    # time to acknowledge: A 300, B 1800, D 600 (C never acknowledged)
    assert m["mtta"] == stat(3, 900.0, 600.0, 1800.0)
    # time to mitigate: only A
    assert m["mttm"] == stat(1, 2400.0, 2400.0, 2400.0)
    # time to resolve: A 3600, B 10800, C 1800; D is active and does not count as zero
    assert m["mttr"] == stat(3, 5400.0, 3600.0, 10800.0)
    gaps = sorted(
        [
            seconds("01-05T00:00", "01-20T10:00"),
            seconds("01-20T10:00", "02-03T08:00"),
            seconds("02-03T08:00", "02-10T12:00"),
        ]
    )
    assert m["mtbf"] == stat(3, sum(gaps) / 3, gaps[1], gaps[2])
    assert set(result) >= {"count", "metrics"}
    assert "groups" not in result


def test_drills_only_when_asked(repo: Path) -> None:
    result = metrics_json(repo, "--include-drills")
    assert result["count"] == 5
    assert result["metrics"]["mttr"] == stat(4, (3600 + 10800 + 1800 + 300) / 4, (1800 + 3600) / 2, 10800.0)


def test_acknowledged_within_response_time(repo: Path) -> None:
    result = metrics_json(repo)
    # A: 5 min for SEV1 (5 min: in time); B: 30 min for SEV2 (late); D: 10 min for SEV3 (in time);
    # C was resolved without an acknowledgement: unknown, left out.
    assert result["acknowledged_in_time"] == {"n": 3, "within": 2, "share": 2 / 3}
    by_sev = {s["severity"]: s for s in result["by_severity"]}
    assert {k: v["count"] for k, v in by_sev.items()} == {"SEV1": 1, "SEV2": 2, "SEV3": 1}
    assert [s["severity"] for s in result["by_severity"]] == ["SEV1", "SEV2", "SEV3"]
    assert by_sev["SEV2"]["acknowledged_in_time"] == {"n": 1, "within": 0, "share": 0.0}


def test_groups_by_severity_service_month_tag(repo: Path) -> None:
    groups = {g["key"]: g for g in metrics_json(repo, "--by", "severity")["groups"]}
    assert list(groups) == ["SEV1", "SEV2", "SEV3"]
    assert groups["SEV2"]["count"] == 2
    assert groups["SEV2"]["metrics"]["mttr"] == stat(2, 6300.0, 6300.0, 10800.0)
    assert groups["SEV2"]["metrics"]["mtbf"]["n"] == 1

    by_service = {g["key"]: g["count"] for g in metrics_json(repo, "--by", "service")["groups"]}
    assert by_service == {"api": 2, "web": 2}
    by_month = metrics_json(repo, "--by", "month")["groups"]
    assert [(g["key"], g["count"]) for g in by_month] == [("2025-01", 2), ("2025-02", 2)]
    assert by_month[1]["metrics"]["mttr"] == stat(1, 1800.0, 1800.0, 1800.0)
    by_tag = [(g["key"], g["count"]) for g in metrics_json(repo, "--by", "tag")["groups"]]
    assert by_tag == [("db", 2), ("network", 1), (None, 2)]


def test_filters(repo: Path) -> None:
    assert metrics_json(repo, "--severity", "2")["count"] == 2
    assert metrics_json(repo, "--service", "WEB")["count"] == 2
    result = metrics_json(repo, "--since", "2025-02-01T00:00:00+00:00", "--until", "2025-02-10T12:00:00+00:00")
    assert result["count"] == 1 and result["metrics"]["mttr"]["n"] == 1
    assert metrics_json(repo, "--since", "2030-01-01T00:00:00+00:00")["metrics"]["mttr"] == stat(0, None, None, None)


def test_missing_milestone_left_out_of_that_metric_only(repo: Path) -> None:
    d = ids(repo)["d"]
    path = repo / "incidents" / f"{d}.yaml"
    data = yamlio.load(path.read_bytes())
    data["detected_at"] = data["started_at"]  # keep the file valid; then drop acknowledged_at by hand
    data["acknowledged_at"] = None
    data["status"] = "open"
    path.write_text(yamlio.dump(data))
    m = metrics_json(repo)["metrics"]
    assert m["mtta"]["n"] == 2  # D left out of time to acknowledge only
    assert m["mttd"]["n"] == 4
    assert metrics_json(repo)["count"] == 4


def test_configured_milestones(repo: Path) -> None:
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + "metrics:\n  mttr:\n    start: detected_at\n    end: resolved_at\n")
    m = metrics_json(repo)["metrics"]
    # from detection: A 3000, B 10500, C 1800
    assert m["mttr"] == stat(3, (3000 + 10500 + 1800) / 3, 3000.0, 10500.0)
    config.write_text(config.read_text().replace("end: resolved_at", "end: fixed_at"))
    result = inc("metrics", root=repo, code=None)
    assert result.code == 4 and "metrics.mttr.end" in result.stderr


def test_postmortems_and_actions(repo: Path) -> None:
    result = metrics_json(repo)
    assert result["postmortems"]["recorded"] == 0
    assert result["actions"] == {"total": 0, "done": 0, "open": 0, "overdue": 0}
    out = inc("metrics", root=repo).stdout
    assert "Postmortems: none recorded yet" in out and "Action items: none yet." in out

    def extend(key: str, extra: dict) -> None:
        path = repo / "incidents" / f"{ids(repo)[key]}.yaml"
        data = yamlio.load(path.read_bytes())
        data.update(extra)
        path.write_text(yamlio.dump(data))

    extend(
        "a",
        {
            "postmortem": {"state": "published", "published_at": T("01-06T12:00")},
            "actions": [
                {"id": "ACT-22222", "title": "x", "status": "done", "due": "2025-01-10"},
                {"id": "ACT-33333", "title": "y", "status": "open", "due": "2025-01-10"},
                {"id": "ACT-44444", "title": "z", "status": "open", "due": "2999-01-01"},
            ],
        },
    )
    extend("b", {"postmortem": {"state": "draft"}})
    result = metrics_json(repo)
    pm = result["postmortems"]
    # A published 35 h after resolution (due 48 h): on time; B a draft long past due: late;
    # C (SEV2) has none and is past due: late. D is active and SEV3: not yet required.
    assert (pm["recorded"], pm["required"], pm["on_time"], pm["late"]) == (2, 3, 1, 2)
    assert pm["share_on_time"] == pytest.approx(1 / 3)
    assert result["actions"] == {"total": 3, "done": 1, "open": 2, "overdue": 1}


def test_csv_and_tables(repo: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(inc("metrics", "--csv", "--by", "severity", root=repo).stdout)))
    overall = {r["metric"]: r for r in rows if r["by"] == "all"}
    assert overall["mttr"]["n"] == "3" and overall["mttr"]["median_seconds"] == "3600"
    sev2 = {r["metric"]: r for r in rows if r["key"] == "SEV2"}
    assert sev2["mttr"]["mean_seconds"] == "6300" and sev2["mttr"]["count"] == "2"
    table = inc("metrics", "--by", "month", "--chart", root=repo, env={"INC_FORCE_TTY": "1"}).stdout
    for word in ("Metric", "n", "Mean", "Median", "p90", "MTTR", "1h", "2025-02", "█"):
        assert word in table
    piped = inc("metrics", "--by", "month", "--chart", root=repo).stdout  # tab-separated: no bars
    assert "Month\tIncidents\tMedian time to resolve" in piped and "█" not in piped


def test_bad_options(repo: Path) -> None:
    result = inc("metrics", "--by", "colour", root=repo, code=None)
    assert result.code == 4 and "severity, service, month, tag" in result.stderr
    result = inc("metrics", "--json", "--csv", root=repo, code=None)
    assert result.code == 4


def test_the_json_says_how_each_number_is_defined(repo: Path) -> None:
    """``definitions`` in inc metrics --json is what a reader of the numbers quotes: each span's
    start and end, and the rules behind MTBF, overlaps, p90 and incidents counted from the
    declaration, word for word."""
    definitions = inc("metrics", "--json", root=repo).json["definitions"]
    assert definitions == {
        "mttd": {"label": "Time to detect", "start": "started_at", "end": "detected_at"},
        "mtta": {"label": "Time to acknowledge", "start": "detected_at", "end": "acknowledged_at"},
        "mttm": {"label": "Time to mitigate", "start": "started_at", "end": "mitigated_at"},
        "mttr": {"label": "Time to resolve", "start": "started_at", "end": "resolved_at"},
        "mtbf": {"label": "Time between failures", "start": "started_at", "end": "next incident's started_at"},
        "counted_from_declaration": "incidents whose detection or impact start is unknown (assumed): time to "
        "acknowledge, mitigate and resolve count from the declaration for them, as PagerDuty counts from the "
        "trigger; time to detect never does",
        "overlapping": "incidents that began while an earlier one's impact had not ended (MTBF still counts "
        "start to next start)",
        "p90": "nearest rank: the ceil(0.9 * n)-th smallest value",
    }
