"""Rendering postmortems from templates: built-ins, repository overrides, paths, and text kept as data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import inc
from tests.postmortem_helpers import cloudflare_waf, make_repo, write_up


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_repo(tmp_path, monkeypatch)


def _hostile(root: Path) -> str:
    incident_id = inc(
        "open", "{{ 7*7 }} <script>alert(1)</script>", "-s", "SEV2", "--at", "2025-01-15T14:30:00+00:00", root=root
    ).stdout.strip()
    inc("resolve", incident_id, "--at", "2025-01-15T14:45:00+00:00", root=root)
    inc("postmortem", "new", incident_id, root=root)
    inc("postmortem", "add", incident_id, "root-cause", "{% raw %}{{ config }}{{ ''.__class__ }} & <b>", root=root)
    return incident_id


def test_incident_text_is_data_never_template_code(repo: Path) -> None:
    incident_id = _hostile(repo)
    text = inc("postmortem", "render", incident_id, root=repo).stdout
    assert "# Postmortem: {{ 7*7 }} <script>alert(1)</script>" in text
    assert "49 <script>" not in text  # evaluated, {{ 7*7 }} would read so (ids may hold "49")
    assert "- {% raw %}{{ config }}{{ ''.__class__ }} & <b>" in text
    assert "- **Duration:** 15 minutes" in text


def test_html_escapes_everything(repo: Path, tmp_path: Path) -> None:
    incident_id = _hostile(repo)
    target = tmp_path / "pm.html"
    inc("postmortem", "render", incident_id, "--format", "html", "-o", str(target), root=repo)
    html = target.read_text()
    assert html.startswith("<!DOCTYPE html>")
    assert "<script>" not in html
    assert "{{ 7*7 }} &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;" in html and "&amp;" in html
    assert (
        html.index("<h2>Timeline</h2>")
        < html.index("<h2>Root Cause Analysis</h2>")
        < html.index("<h2>Lessons Learned</h2>")
    )
    sre = inc("postmortem", "render", incident_id, "-t", "sre", "-f", "html", root=repo).stdout
    assert "<script>" not in sre and "&lt;script&gt;" in sre and "<pre>" in sre


def test_the_sre_template(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    write_up(repo, incident_id)
    inc("postmortem", "add", incident_id, "trigger", "Deploy of a new WAF rule at 13:42", root=repo)
    inc("postmortem", "add", incident_id, "detection", "Synthetic WAF tests paged at 13:45", root=repo)
    inc("postmortem", "add", incident_id, "lucky", "The kill switch still worked", root=repo)
    inc(
        "action",
        "add",
        incident_id,
        "Limit regex backtracking | CPU",
        "--owner",
        "dave",
        "--due",
        "2019-07-16",
        root=repo,
    )
    lines = inc("postmortem", "render", incident_id, "--template", "sre", root=repo).stdout.splitlines()
    assert lines[0] == f"# Global 502 errors: WAF rule exhausted CPU Postmortem ({incident_id})"
    order = [
        "**Date:** 2019-07-02",
        "**Authors:** carol",
        "**Status:** draft, action items: 1 open of 1",
        "**Summary:** A WAF rule with a backtracking regular expression exhausted CPU on every edge server.",
        "**Impact:** Visitors to proxied domains saw 502 errors for 27 minutes; traffic dropped 82%.",
        "**Root Causes:**",
        "**Trigger:** Deploy of a new WAF rule at 13:42",
        "**Resolution:** None recorded.",
        "**Detection:** Synthetic WAF tests paged at 13:45",
        "## Action Items",
        "## Lessons Learned",
        "### What went well",
        "### What went wrong",
        "### Where we got lucky",
        "- The kill switch still worked",
        "## Timeline",
        "- **13:46** Opened as SEV1: Global 502 errors: WAF rule exhausted CPU",
    ]
    positions = [lines.index(line) for line in order]
    assert positions == sorted(positions)
    assert "| Action Item | Owner | Due | Priority | Status |" in lines
    assert "| Limit regex backtracking \\| CPU | dave | 2019-07-16 | - | open (overdue) |" in lines


def test_a_repository_template_overrides_the_built_in(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    inc("postmortem", "new", incident_id, root=repo)
    folder = repo / "templates"
    folder.mkdir()
    (folder / "postmortem.md.j2").write_text("Team format for {{ id }}: {{ duration }}\n{% include 'sre.md.j2' %}")
    (folder / "brief.md.j2").write_text("{{ title }} ({{ severity }})\n")
    text = inc("postmortem", "render", incident_id, root=repo).stdout
    assert text.startswith(f"Team format for {incident_id}: 1 hour 30 minutes\n# Global 502 errors")
    assert inc("postmortem", "render", incident_id, "-t", "brief", root=repo).stdout == (
        "Global 502 errors: WAF rule exhausted CPU (SEV1)\n"
    )
    listed = json.loads(inc("postmortem", "templates", "--json", root=repo).stdout)
    where = {(t["name"], t["format"], t["source"]): t["active"] for t in listed}
    assert where[("postmortem", "md", "repository")] is True
    assert where[("postmortem", "md", "built-in")] is False
    assert where[("sre", "md", "built-in")] is True and where[("brief", "md", "repository")] is True
    table = inc("postmortem", "templates", root=repo).stdout
    assert "repository" in table and "built-in (overridden)" in table


def test_a_template_given_by_path(repo: Path, tmp_path: Path) -> None:
    incident_id = cloudflare_waf(repo)
    custom = tmp_path / "exec.md.j2"
    custom.write_text("{{ id }}: {{ timeline | length }} entries, {{ actions | length }} actions\n")
    out = inc("postmortem", "render", incident_id, "--template", str(custom), root=repo).stdout
    # 7 entries and the given impact start and detection (issue 11)
    assert out == f"{incident_id}: 9 entries, 0 actions\n"
    assert (
        "no template file"
        in inc("postmortem", "render", incident_id, "-t", "./missing.md.j2", root=repo, code=3).stderr
    )
    assert (
        "available: postmortem.html, postmortem.md, sre.md"
        in inc("postmortem", "render", incident_id, "-t", "nope", root=repo, code=3).stderr
    )


def test_a_broken_template_gives_its_name_and_line(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    folder = repo / "templates"
    folder.mkdir()
    (folder / "bad.md.j2").write_text("# {{ title }}\n\n{% for x in timeline %}\n{{ x.text }}\n")
    (folder / "typo.md.j2").write_text("# {{ title }}\n{{ summry }}\n")
    result = inc("postmortem", "render", incident_id, "-t", "bad", root=repo, code=4)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "bad.md.j2 line 4" in result.stderr or "bad.md.j2 line 5" in result.stderr
    result = inc("postmortem", "render", incident_id, "-t", "typo", root=repo, code=4)
    assert "broken template typo.md.j2 line 2: 'summry' is undefined" in result.stderr
