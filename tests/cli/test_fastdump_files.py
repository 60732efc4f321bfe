"""The files incli writes in its everyday scenarios are written by the fast writer, without
PyYAML, and hold exactly the bytes PyYAML would have written (issue 14: a write that needs
PyYAML costs ``inc ack`` a large part of its start-up).

The scenarios run the commands themselves (the lifecycle, postmortems, action items, links,
imports from PagerDuty, Opsgenie, cState and inc export, alerts from every source, checklist
tasks, paging, drills, maintenance windows, freezes, schedules) with text people type: several
lines, quotes, colons, ``#``, accents, words past the line width. Every write during a scenario
must take the fast path, and every file must read back to data PyYAML writes to the same bytes.
Text libyaml escapes (emoji, tabs, control characters) is PyYAML's, which
tests/unit/test_fastdump.py checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from incli.storage import fastdump, yamlio
from tests import alertpayloads as ap
from tests import sourcepayloads as sp
from tests.cli.test_import_cstate import folder as cstate_folder
from tests.cli.test_import_opsgenie import ALERTS as OPSGENIE_ALERTS
from tests.cli.test_import_opsgenie import INCIDENTS as OPSGENIE_INCIDENTS
from tests.cli.test_import_opsgenie import WEBHOOKS as OPSGENIE_WEBHOOKS
from tests.cli.test_import_pagerduty_logs import incident as pd_incident
from tests.cli.test_import_pagerduty_logs import log as pd_log
from tests.cli.test_lazy_commands import loaded_after
from tests.conftest import inc

T0 = "2025-01-15T14:30:00Z"

TEXTS = [
    "Pool exhausted: 40/40 connections in use # again",
    "It's \"fine\" - they said; 'no' and \"yes\" and ''",
    "Checked the runbook:\n1. restart pgbouncer\n2. watch p99\n\n  - indented bullet\n",
    "Rolled back deploy 2024-12-10.3 of payments-api; the error rate is back to its baseline and we are "
    "watching it for fifteen more minutes before we call it mitigated",
    "Unicode: é ü ß 日本語 — and a dash",
    "14:30",
    "no",
    "1e3",
    "- looks like a list item",
    "? looks like a key",
    "back\\slash \\n not a newline",
    "x" * 300,
    "line\n\n\nwith blank lines",
    "  leading spaces\nand a second line",
    "it's: quoted " * 20,
    "2024-12-10T14:30:00+00:00",
]


@pytest.fixture
def fast_writes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every document written through PyYAML during the test (none, if all goes well)."""
    slow: list[Any] = []
    pyyaml = yamlio.dump_with_pyyaml

    def recorded(data: Any) -> str:
        slow.append(data)
        return pyyaml(data)

    monkeypatch.setattr(yamlio, "dump_with_pyyaml", recorded)
    yield slow
    monkeypatch.undo()


def check_files(root: Path, folder: str = "incidents") -> list[str]:
    """Every YAML file in ``folder``: the fast writer writes its data to its very bytes, as
    PyYAML does."""
    paths = sorted((root / folder).glob("*.yaml"))
    assert paths, f"no files in {root / folder}"
    texts = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        data = yamlio.load(text)
        assert fastdump.dump(data) == text, f"{path.name}:\n{text}"
        assert yamlio.dump_with_pyyaml(data) == text, f"{path.name}:\n{text}"
        texts.append(text)
    return texts


def opened(root: Path, title: str, *more: str) -> str:
    return inc("open", title, "-s", "SEV2", "--at", T0, *more, root=root).stdout.strip()


def test_lifecycle_files(repo: Path, fast_writes: list[Any]) -> None:
    first = opened(
        repo, TEXTS[1], "--service", "checkout: eu # 1", "--summary", TEXTS[2], "--tag", "no", "--tag", "14:30"
    )
    for text in TEXTS:
        inc("note", "--by", "bob: the builder", first, "--", text, root=repo)
    inc("ack", first, "--at", "2025-01-15T14:31:00.5Z", root=repo)
    inc("assign", first, "comms", "carol #2", root=repo)
    inc("update", first, TEXTS[3], "--public", "--at", "2025-01-15T14:35:00Z", root=repo)
    inc("severity", first, "SEV1", root=repo)
    inc("mitigate", first, "--at", "2025-01-15T14:40:00Z", root=repo)
    inc("resolve", first, "--at", "2025-01-15T15:45:00.123456+01:00", root=repo)
    inc("reopen", first, root=repo)
    inc("resolve", first, root=repo)
    second = opened(repo, "y" * 200, "--private", "--drill", "--started-at", "2025-01-15T14:00:00Z")
    inc("link", second, first, "--as", "duplicate", root=repo)
    third = opened(repo, TEXTS[4], "--summary", TEXTS[13])
    inc("public-title", third, TEXTS[0], root=repo)

    assert fast_writes == []
    texts = check_files(repo)
    assert any("\n  text: |-\n    Checked the runbook:\n" in t for t in texts)  # a literal block
    assert any(re.search(r"\n  text: Rolled back .*\n    \S", t) for t in texts)  # folded, plain
    assert any(re.search(r"\n  text: 'it''s: quoted .*\n    it''s: quoted", t) for t in texts)  # and quoted


def test_postmortem_and_action_item_files(repo: Path, fast_writes: list[Any]) -> None:
    ident = opened(repo, "Database connection pool exhausted", "--service", "checkout")
    inc("resolve", ident, "--at", "2025-01-15T15:00:00Z", root=repo)
    inc("postmortem", "new", ident, root=repo)
    for section, text in (
        ("summary", TEXTS[2]),
        ("impact", TEXTS[3]),
        ("root-cause", TEXTS[1]),
        ("contributing-factor", TEXTS[4]),
        ("went-well", TEXTS[13]),
        ("lesson", TEXTS[12]),
        ("trigger", "14:30"),
        ("detection", "no"),
    ):
        inc("postmortem", "add", ident, section, text, root=repo)
    inc("postmortem", "why", ident, "--question", TEXTS[1], "-a", TEXTS[0], "-a", TEXTS[2], "-a", "no", root=repo)
    first = inc("action", "add", ident, TEXTS[1], "--owner", "ann: ops", "--due", "2025-02-01", root=repo)
    inc("action", "add", ident, TEXTS[3], "--owner", "bob", "--due", "1w", "--priority", "P1", root=repo)
    inc("action", "done", first.stdout.strip(), "--note", TEXTS[0], root=repo)
    for state in ("in-review", "reviewed", "published"):
        inc("postmortem", "review", ident, "--state", state, "--by", "jonas", "--reviewer", "jonas", root=repo)

    assert fast_writes == []
    (text,) = check_files(repo)
    assert "\npostmortem:\n" in text and "\n  state: published\n" in text and "\n- id: ACT-" in text


def test_imported_files(repo: Path, tmp_path: Path, fast_writes: list[Any]) -> None:
    pages = [
        {"incidents": [pd_incident("PAAA111", "resolved", "2024-05-02T03:00:00Z", description=TEXTS[2])]},
        {
            "log_entries": [
                pd_log("trigger", "PAAA111", "2024-05-02T03:00:00Z"),
                pd_log("acknowledge", "PAAA111", "2024-05-02T03:04:30Z"),
                pd_log("annotate", "PAAA111", "2024-05-02T03:20:00Z", channel={"type": "note", "summary": TEXTS[1]}),
                pd_log("resolve", "PAAA111", "2024-05-02T04:47:15Z"),
            ]
        },
    ]
    (tmp_path / "pd.json").write_text(json.dumps(pages))
    inc("import", tmp_path / "pd.json", "--from", "pagerduty", root=repo)
    for name, payload in (("a", OPSGENIE_ALERTS), ("w", OPSGENIE_WEBHOOKS), ("i", OPSGENIE_INCIDENTS)):
        (tmp_path / f"og-{name}.json").write_text(json.dumps(payload))
        inc("import", tmp_path / f"og-{name}.json", "--from", "opsgenie", root=repo)
    inc("import", cstate_folder(tmp_path), "--from", "cstate", root=repo)
    other = tmp_path / "other"
    inc("init", other)
    opened(other, TEXTS[1], "--summary", TEXTS[2])
    (tmp_path / "export.json").write_text(inc("export", "--format", "json", root=other).stdout)
    inc("import", tmp_path / "export.json", root=repo)

    assert fast_writes == []
    texts = check_files(repo)
    assert len(texts) >= 5 and all("\nsource:\n" in t for t in texts)


def test_alert_files_from_every_source(repo: Path, fast_writes: list[Any]) -> None:
    (repo / "incli.yaml").write_text((repo / "incli.yaml").read_text() + sp.GENERIC_CONFIG)
    firing = ap.notification([ap.alert("db-1:9187", fingerprint="a1"), ap.alert("db-2:9187", fingerprint="b2")])
    firing["alerts"][0]["annotations"]["description"] = TEXTS[2]
    firing["alerts"][0]["labels"]["odd key: with # and 'quotes'"] = TEXTS[1]
    inc("ingest", "alertmanager", "-", input=json.dumps(firing), root=repo)
    inc("ingest", "alertmanager", "-", input=ap.dumps(ap.resolved_two()), root=repo)
    inc("ingest", "grafana", "-", input=json.dumps(sp.grafana([sp.grafana_alert("eu-1")])), root=repo)
    inc("ingest", "pagerduty", "-", input=json.dumps(sp.pd_trigger()), root=repo)
    inc("ingest", "pagerduty", "-", input=json.dumps(sp.pd_event("acknowledge")), root=repo)
    inc("ingest", "pagerduty", "-", "--path", "/v2/change/enqueue", input=json.dumps(sp.pd_change()), root=repo)
    inc("ingest", "opsgenie", "-", "--path", "/v2/alerts", input=json.dumps(sp.og_create()), root=repo)
    inc("ingest", "opsgenie-webhook", "-", input=json.dumps(sp.og_webhook("Create", note=TEXTS[3])), root=repo)
    inc("ingest", "cloudwatch", "-", input=json.dumps(sp.sns(sp.cw_alarm())), root=repo)
    inc("ingest", "generic:kuma", "-", input=json.dumps(sp.kuma(0)), root=repo)
    inc("ingest", "generic:kuma", "-", input=json.dumps(sp.kuma(1, "2025-01-15 14:40:00")), root=repo)

    assert fast_writes == []
    assert len(check_files(repo)) >= 6
    check_files(repo, "changes")


def test_tasks_paging_schedules_maintenance_and_freezes(repo: Path, fast_writes: list[Any]) -> None:
    config = repo / "incli.yaml"
    text = config.read_text().replace(
        "escalate_to: VP Engineering", "escalate_to: VP Engineering\n  escalation: critical"
    )
    config.write_text(
        text
        + "checklists:\n  SEV1:\n    - Assign a commander\n"
        + "    - {task: 'First update: within 15 minutes', within: 15m}\n"
        + "people:\n  alice: {name: Alice Doe, email: alice@example.org}\n  carol: {name: Carol Roe}\n"
        + "escalation:\n  critical:\n    levels:\n      - notify: ['schedule:primary']\n        wait: 5m\n"
        + "      - notify: ['person:carol']\n        wait: 10m\n"
    )
    inc("oncall", "new", "primary", "--rotation", "alice,bob", "--every", "1w", "--handoff", "mon 09:00",
        "--tz", "Europe/Berlin", "--start", "2024-10-21", root=repo)  # fmt: skip
    paged = inc("open", "Checkout down", "-s", "SEV1", "--at", "2025-01-15T10:00Z", root=repo).stdout.strip()
    inc("remind", "--at", "2025-01-15T10:06Z", root=repo)
    inc("task", "done", paged, "Assign a commander", "--by", "ann", root=repo, code=None)
    inc("ack", paged, root=repo)
    inc("open", "Game day: fail over the primary", "-s", "SEV3", "--drill", root=repo)
    inc("maintenance", "add", "--service", "db", "--from", "2030-01-01T10:00Z", "--to", "2030-01-01T11:00Z",
        TEXTS[3], root=repo)  # fmt: skip
    inc("freeze", "--service", "payments", "--until", "2030-01-01T10:00Z", "--reason", TEXTS[0], root=repo)

    assert fast_writes == []
    texts = check_files(repo)
    assert any("\ntasks:\n" in t for t in texts) and any("kind: paged" in t for t in texts)
    check_files(repo, "maintenance")
    check_files(repo, "oncall")
    freezes = (repo / "freezes.yaml").read_text()
    body = yamlio.load(freezes)
    assert freezes.endswith(fastdump.dump(body) or "not written fast")


def test_a_write_imports_no_pyyaml(repo: Path) -> None:
    """PyYAML is imported for neither the read nor the write of inc open, ack, note (issue 14)."""
    ident = inc("open", "Checkout errors", "-s", "SEV2").stdout.strip()
    for args in (
        ("ack", ident, "--by", "ann"),
        ("note", ident, "--by", "ann", "--", TEXTS[2]),
        ("note", ident, "--by", "ann", "--", TEXTS[3]),
        ("note", ident, "--by", "ann", "--", TEXTS[0]),  # a '#' after a space, in a text
        ("note", ident, "--by", "ann", "--", "see #ops"),  # ... and the next write reads it
        ("open", "Second: it's 14:30", "-s", "SEV3", "--by", "ann"),
    ):
        assert "yaml" not in loaded_after(*args, root=repo), args
    timeline = json.loads(inc("show", ident, "--json").stdout)["timeline"]
    assert [e["text"] for e in timeline][-4:] == [TEXTS[2].strip(), TEXTS[3], TEXTS[0], "see #ops"]
    # a file with a comment in it takes PyYAML, to keep the comment
    path = repo / "incidents" / f"{ident}.yaml"
    path.write_text(path.read_text().replace("\ntags:", "\n# why: see the ticket\ntags:"))
    assert "yaml" in loaded_after("note", ident, "pool at 100%", "--by", "ann", root=repo)
    assert "# why: see the ticket\n" in path.read_text()
