"""inc changes lists the change events inc ingest received (PagerDuty's /v2/change/enqueue) beside
the commits: the service's own, in the window, with how long before impact (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import tests.sourcepayloads as sp
from tests.conftest import commit_all, git, inc


def test_change_events_of_the_service_are_listed_before_impact(tmp_path: Path, git_env: None) -> None:
    root = tmp_path / "r"
    inc("init", root)
    git(root, "init", "-q")
    config = root / "incli.yaml"
    config.write_text(
        config.read_text() + f"sources:\n  pagerduty:\n    routing_keys: {{{sp.ROUTING_KEY}: payments}}\n"
    )
    commit_all(root, "start")
    ident = inc(
        "open", "Card payments fail", "-s", "SEV2", "--service", "payments", "--at", "2025-01-15T14:30:00+00:00",
        root=root,
    ).stdout.strip()  # fmt: skip
    change = json.dumps(sp.pd_change())  # at 14:20:00.250, ten minutes before impact
    inc("ingest", "pagerduty", "-", "--path", "/v2/change/enqueue", input=change, root=root)
    rows = json.loads(inc("changes", ident, "--json", root=root).stdout)
    events = [r for r in rows if r["repo"] == "change-events"]
    assert [(e["subject"], e["author"], e["at"], e["before_impact_seconds"]) for e in events] == [
        ("Deploy checkout v2.14.1", "ci-pipeline-77", "2025-01-15T14:20:00.250000+00:00", 599)
    ]
    assert set(events[0]) == {"repo", "commit", "author", "at", "subject", "before_impact_seconds"}
    # Outside the window (--window 5m), it is not listed.
    narrow = json.loads(inc("changes", ident, "--window", "5m", "--json", root=root).stdout)
    assert [r for r in narrow if r["repo"] == "change-events"] == []


@pytest.mark.parametrize("service", ["search", None])
def test_change_events_of_other_services_are_left_out(tmp_path: Path, git_env: None, service: str | None) -> None:
    root = tmp_path / "r"
    inc("init", root)
    git(root, "init", "-q")
    config = root / "incli.yaml"
    config.write_text(
        config.read_text() + f"sources:\n  pagerduty:\n    routing_keys: {{{sp.ROUTING_KEY}: payments}}\n"
    )
    commit_all(root, "start")
    args = ["--service", service] if service else []
    ident = inc("open", "Slow", "-s", "SEV3", *args, "--at", "2025-01-15T14:30:00+00:00", root=root).stdout.strip()
    inc("ingest", "pagerduty", "-", "--path", "/v2/change/enqueue", input=json.dumps(sp.pd_change()), root=root)
    rows = json.loads(inc("changes", ident, "--json", root=root).stdout)
    assert [r for r in rows if r["repo"] == "change-events"] == []
