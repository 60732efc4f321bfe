"""Every kind of incident file incli writes is read by the fast reader, exactly as PyYAML reads
it and without falling back (issue 14: a file that falls back costs a cold run its speed).

The files are written by the commands themselves (lifecycle, postmortems, action items, links,
imports from PagerDuty, Opsgenie and cState, alerts from every source, checklist tasks, paging,
drills), with text a person might type at 3 a.m.: several lines, quotes, colons, ``#``, emoji,
tabs and escape codes, words past the line width. The example repository is checked too.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from incli.storage import fastyaml, yamlio
from tests import alertpayloads as ap
from tests import sourcepayloads as sp
from tests.cli.test_import_cstate import folder as cstate_folder
from tests.cli.test_import_opsgenie import ALERTS as OPSGENIE_ALERTS
from tests.cli.test_import_opsgenie import INCIDENTS as OPSGENIE_INCIDENTS
from tests.cli.test_import_opsgenie import WEBHOOKS as OPSGENIE_WEBHOOKS
from tests.cli.test_import_pagerduty_logs import incident as pd_incident
from tests.cli.test_import_pagerduty_logs import log as pd_log
from tests.cli.test_import_pagerduty_logs import webhook as pd_webhook
from tests.conftest import inc
from tests.unit.test_fastyaml import same

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme"
T0 = "2025-01-15T14:30:00Z"

# Text people type, and text alerts carry: every style the dumper has.
TEXTS = [
    "Pool exhausted: 40/40 connections in use # again",
    "It's \"fine\" - they said; 'no' and \"yes\" and ''",
    "Checked the runbook:\n1. restart pgbouncer\n2. watch p99\n\n  - indented bullet\n",
    "Trailing spaces here   \nand a second line",
    "Unicode: é ü ß 日本語 😀 🏳️‍🌈 and a line\u2028separator",
    "Tab\tseparated\tvalues and a bell \x07 and \x1b[31mred\x1b[0m",
    "word " * 45 + "x" * 130 + " end",
    "  leading spaces and trailing ones  ",
    "14:30",
    "no",
    "1e3",
    "0o17",
    "- looks like a list item",
    "? looks like a key",
    "| looks like a block",
    "{ looks: like flow }",
    "back\\slash \\n not a newline",
    "x" * 300,
    "a  " * 60,
    "line\n\n\nwith blank lines\n\n",
    "\nstarts with a newline",
    "it's: quoted " * 20,
    '"double" 😀 ' * 30,
]


# An $EDITOR that rewrites the postmortem draft with flow lists and a folded block.
FLOW_EDITOR = r"""
import sys, yaml
path = sys.argv[1]
with open(path, encoding="utf-8") as handle:
    data = yaml.safe_load(handle)
data["lessons"] = ["a: b", "it's", "tab\\there", "14:30"]
text = yaml.safe_dump(data, default_flow_style=None, allow_unicode=True, width=60)
text = text.replace("\ndetection: 'no'\n", "\ndetection: >\n  folded\n  text: yes\n")
with open(path, "w", encoding="utf-8") as handle:
    handle.write(text)
"""


def check_files(root: Path) -> list[str]:
    """Every incident file under ``root`` read by both readers: the same, no fall-back.
    Returns the texts, for the caller to check which shapes were written."""
    paths = sorted((root / "incidents").glob("*.yaml"))
    assert paths, f"no incident files in {root}"
    texts = []
    for path in paths:
        data = path.read_bytes()
        fast = fastyaml.load(data)
        assert fast is not None, f"{path.name} fell back to PyYAML:\n{data.decode()}"
        slow = yamlio.load(data)
        assert same(fast, slow), f"{path.name} read differently:\n{data.decode()}\n{fast}\n{slow}"
        texts.append(data.decode())
    return texts


def written(texts: list[str], pattern: str) -> bool:
    return any(re.search(pattern, text, re.MULTILINE) for text in texts)


def opened(root: Path, title: str, *more: str) -> str:
    return inc("open", title, "-s", "SEV2", "--at", T0, *more, root=root).stdout.strip()


def test_lifecycle_files_with_hostile_text(repo: Path) -> None:
    first = opened(
        repo,
        TEXTS[1],
        "--service",
        "checkout: eu # 1",
        "--summary",
        TEXTS[2],
        "--tag",
        "no",
        "--tag",
        "14:30",
        "--tag",
        "😀",
        "--commander",
        "'ann'",
        "--public-title",
        'Checkout is "slow"',
    )
    for text in TEXTS:
        inc("note", "--by", "bob: the builder", first, "--", text, root=repo)
    inc("ack", first, "--at", "2025-01-15T14:31:00.5Z", root=repo)
    inc("assign", first, "comms", "carol #2", root=repo)
    inc("assign", first, "scribe", "dave\t(tab)", root=repo)
    inc("update", first, TEXTS[3], "--public", "--at", "2025-01-15T14:35:00Z", root=repo)
    inc("update", first, TEXTS[6], "--at", "2025-01-15T14:36:00Z", root=repo)
    inc("severity", first, "SEV1", root=repo)
    inc("mitigate", first, "--at", "2025-01-15T14:40:00Z", root=repo)
    inc("resolve", first, "--at", "2025-01-15T15:45:00.123456+01:00", root=repo)
    inc("reopen", first, root=repo)
    inc("resolve", first, root=repo)

    second = opened(repo, "x" * 200, "--private", "--drill", "--started-at", "2025-01-15T14:00:00Z")
    inc("link", second, first, "--as", "duplicate", root=repo)
    third = opened(repo, TEXTS[4], "--summary", TEXTS[5])
    inc("link", third, first, "--as", "caused-by", root=repo)
    inc("public-title", third, TEXTS[0], root=repo)
    inc("private", third, root=repo)

    texts = check_files(repo)
    assert written(texts, r": \|-?$")  # literal blocks
    assert written(texts, r': "')  # double-quoted with escapes
    assert written(texts, r"\\U0001F600")
    assert written(texts, r"^ +word word")  # a plain scalar folded onto the next line
    assert written(texts, r"^  text: '.*\n    \S")  # quoted ones folded
    assert written(texts, r'^  text: ".*\n    \S')
    assert written(texts, r"^links:$")


def test_postmortem_and_action_item_files(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ident = opened(repo, "Database connection pool exhausted", "--service", "checkout")
    inc("resolve", ident, "--at", "2025-01-15T15:00:00Z", root=repo)
    inc("postmortem", "new", ident, root=repo)
    for section, text in (
        ("summary", TEXTS[2]),
        ("impact", TEXTS[6]),
        ("root-cause", TEXTS[1]),
        ("root-cause", TEXTS[3]),
        ("contributing-factor", TEXTS[4]),
        ("went-well", TEXTS[7]),
        ("could-improve", TEXTS[5]),
        ("lesson", TEXTS[19]),
        ("trigger", "14:30"),
        ("detection", "no"),
        ("resolution", TEXTS[20]),
        ("lucky", TEXTS[0]),
    ):
        inc("postmortem", "add", ident, section, text, root=repo)
    inc(
        "postmortem",
        "why",
        ident,
        "--question",
        TEXTS[1],
        "-a",
        TEXTS[0],
        "-a",
        TEXTS[2],
        "-a",
        TEXTS[6],
        "-a",
        "no",
        root=repo,
    )
    inc("postmortem", "why", ident, "-a", "Because: reasons", root=repo)
    first = inc(
        "action", "add", ident, TEXTS[1], "--owner", "ann: ops", "--due", "2025-02-01", root=repo
    ).stdout.strip()
    inc("action", "add", ident, TEXTS[6], "--owner", "😀", "--due", "1w", "--priority", "P1", root=repo)
    inc("action", "add", ident, "Alert on saturation", "--owner", "bob", "--due", "3d", root=repo)
    inc("action", "done", first, "--note", TEXTS[3], root=repo)
    # A person rewrites the draft in a style incli never writes (flow, a folded block);
    # incli writes it back in its own.
    editor = tmp_path / "editor.py"
    editor.write_text(FLOW_EDITOR)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    inc("postmortem", "edit", ident, root=repo)
    for state in ("in-review", "reviewed", "published"):
        inc("postmortem", "review", ident, "--state", state, "--by", "jonas", "--reviewer", "jonas", root=repo)

    texts = check_files(repo)
    assert written(texts, r"^  state: published\n") and written(texts, r"^  reviewers:\n  - jonas$")
    assert written(texts, r"^  whys:$") and written(texts, r"^  - - (question|answer): ")
    assert written(texts, r"^- id: ACT-")
    assert written(texts, r"^  summary: \|")
    assert written(texts, r"^  detection: \|\n    folded text: yes\n")
    assert written(texts, r"^  lessons:\n  - 'a: b'\n  - it's\n  - tab\\there\n  - '14:30'\n")


def test_imported_files(repo: Path, tmp_path: Path) -> None:
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
    data = {
        "id": "PBBB222",
        "type": "incident",
        "number": 78,
        "title": TEXTS[4],
        "status": "triggered",
        "created_at": "2024-06-10T22:15:00Z",
        "urgency": "high",
        "service": {"id": "PSVC2", "type": "service_reference", "summary": "search"},
    }
    hooks = [
        pd_webhook("triggered", data, "2024-06-10T22:15:00Z"),
        pd_webhook("resolved", {**data, "status": "resolved"}, "2024-06-10T23:59:59.500Z"),
    ]
    (tmp_path / "v3.json").write_text(json.dumps(hooks))
    inc("import", tmp_path / "v3.json", "--from", "pagerduty", root=repo)
    for name, payload in (("a", OPSGENIE_ALERTS), ("w", OPSGENIE_WEBHOOKS), ("i", OPSGENIE_INCIDENTS)):
        (tmp_path / f"og-{name}.json").write_text(json.dumps(payload))
        inc("import", tmp_path / f"og-{name}.json", "--from", "opsgenie", root=repo)
    inc("import", cstate_folder(tmp_path), "--from", "cstate", root=repo)
    # inc export, then inc import of what it wrote (the source: block of a plain import)
    other = tmp_path / "other"
    inc("init", other)
    opened(other, TEXTS[1], "--summary", TEXTS[2])
    exported = inc("export", "--format", "json", root=other).stdout
    (tmp_path / "export.json").write_text(exported)
    inc("import", tmp_path / "export.json", root=repo)

    texts = check_files(repo)
    assert written(texts, r"^source:$") and written(texts, r"^  kind: (pagerduty|opsgenie|cstate|import)$")
    assert written(texts, r"^  imported_at: ")


def test_alert_files_from_every_source(repo: Path) -> None:
    (repo / "incli.yaml").write_text((repo / "incli.yaml").read_text() + sp.GENERIC_CONFIG)
    firing = ap.notification(
        [
            ap.alert("db-1:9187", fingerprint="a1"),
            ap.alert("db-2:9187", fingerprint="b2", severity="warning"),
        ]
    )
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

    texts = check_files(repo)
    kinds = {m for t in texts for m in re.findall(r"^  kind: (\S+)$", t, re.MULTILINE)}
    assert {"alertmanager", "grafana", "pagerduty", "opsgenie", "cloudwatch"} <= kinds, kinds
    assert len(texts) >= 6


def test_checklist_task_paging_and_drill_files(repo: Path) -> None:
    config = repo / "incli.yaml"
    text = config.read_text().replace(
        "escalate_to: VP Engineering", "escalate_to: VP Engineering\n  escalation: critical"
    )
    config.write_text(
        text
        + "checklists:\n  SEV1:\n    - Assign a commander\n"
        + "    - {task: 'First update: within 15 minutes', within: 15m}\n"
        + "  default:\n    - Open a channel\n"
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

    texts = check_files(repo)
    assert written(texts, r"^tasks:$")
    assert written(texts, r"kind: (paged|escalated)$")
    assert written(texts, r"^drill: true$")


def test_the_example_repository() -> None:
    texts = check_files(EXAMPLES)
    assert written(texts, r"^postmortem:$")


def test_commands_read_the_files_through_the_fast_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first inc list --json on a copy of the example (no index yet) and inc show read every
    file without PyYAML's loader: the fast reader is the path every command takes."""
    root = tmp_path / "acme"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".incli"))
    slow: list[bytes] = []
    monkeypatch.setattr(yamlio, "load", lambda data, *a, **k: slow.append(data) or {})
    listed = inc("list", "--json", "--limit", "0", root=root)
    ids = [row["id"] for row in listed.json]
    assert len(ids) == len(list((root / "incidents").glob("*.yaml"))) and not listed.stderr
    assert inc("show", ids[0], "--json", root=root).json["id"] == ids[0]
    assert slow == []
