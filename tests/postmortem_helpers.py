"""Shared by the postmortem, action item and rendering tests: a repository and a postmortem typed in."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from incli.storage import yamlio
from tests.conftest import inc


def make_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh repository; times in UTC and tables wide enough to read whole."""
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("COLUMNS", "200")
    time.tzset()
    monkeypatch.delenv("INC_DIR", raising=False)
    root = tmp_path / "repo"
    inc("init", root)
    return root


def load(root: Path, incident_id: str) -> dict:
    return yamlio.load((root / "incidents" / f"{incident_id}.yaml").read_bytes())


def set_config(root: Path, text: str) -> None:
    """Append top-level settings to incli.yaml (replacing a key already there)."""
    config = root / "incli.yaml"
    body = config.read_text()
    for key in re.findall(r"^(\w+):", text, flags=re.MULTILINE):
        body = re.sub(rf"^{key}:.*$", "", body, flags=re.MULTILINE)
    config.write_text(body + "\n" + text)


def cloudflare_waf(root: Path) -> str:
    """Cloudflare's 2 July 2019 outage (a WAF rule with a backtracking regex), typed in as it happened."""
    incident_id = inc(
        "open",
        "Global 502 errors: WAF rule exhausted CPU",
        "-s",
        "SEV1",
        "--service",
        "edge",
        "--started-at",
        "2019-07-02T13:42:00+00:00",
        "--detected-at",
        "2019-07-02T13:45:00+00:00",
        "--at",
        "2019-07-02T13:46:00+00:00",
        "--by",
        "alice",
        "--commander",
        "alice",
        root=root,
    ).stdout.strip()
    inc("ack", incident_id, "--at", "2019-07-02T13:47:00+00:00", "--by", "bob", root=root)
    inc(
        "note",
        incident_id,
        "WAF identified as the cause",
        "--at",
        "2019-07-02T14:00:00+00:00",
        "--by",
        "bob",
        root=root,
    )
    inc(
        "note", incident_id, "Global kill of WAF Managed Rules executed", "--at", "2019-07-02T14:07:00+00:00", root=root
    )
    inc(
        "mitigate",
        incident_id,
        "--note",
        "Traffic and CPU back to normal",
        "--at",
        "2019-07-02T14:09:00+00:00",
        root=root,
    )
    inc(
        "resolve", incident_id, "--note", "WAF Managed Rules re-enabled", "--at", "2019-07-02T15:12:00+00:00", root=root
    )
    return incident_id


def write_up(root: Path, incident_id: str, start: bool = True) -> None:
    """The postmortem's content, as the team would type it."""
    if start:
        inc("postmortem", "new", incident_id, "--by", "carol", root=root)
    for section, text in (
        ("summary", "A WAF rule with a backtracking regular expression exhausted CPU on every edge server."),
        ("impact", "Visitors to proxied domains saw 502 errors for 27 minutes; traffic dropped 82%."),
        ("root-cause", "A regular expression in a new XSS rule backtracked catastrophically."),
        ("root-cause", "The WAF rule deployment went globally at once, with no staged rollout."),
        ("contributing-factor", "A CPU protection for runaway regular expressions had been removed weeks earlier."),
        ("went-well", "The first alert fired three minutes after the deploy."),
        ("could-improve", "The global kill switch took twenty minutes to reach."),
        ("lesson", "Emergency changes need the same staged rollout as any other."),
    ):
        inc("postmortem", "add", incident_id, section, text, root=root)
