"""inc import --from cstate DIR: status page incidents as Markdown with YAML front matter
(cState, Hugo); severities from down/disrupted/notice; nothing outside DIR is read; durations
compared against hand arithmetic."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from tests.conftest import inc

OUTAGE = """---
title: API outage in eu-west
date: 2021-03-03 14:30:00
resolved: true
resolvedWhen: 2021-03-03 16:05:30
severity: down
affected:
  - API
  - Dashboard
section: issue
pin: false
---

*Resolved* - The database failover completed. {{< track "2021-03-03 16:05:30" >}}

*Monitoring* - A fix is rolling out. {{< track "2021-03-03 15:40:00" >}}

*Investigating* - We are looking into failing API requests. {{< track "2021-03-03 14:35:00" >}}
"""

SLOW = """---
title: Slow dashboard
date: 2021-04-10T09:00:00+02:00
resolved: true
resolvedWhen: 2021-04-10T09:45:00+02:00
severity: disrupted
affected: [Dashboard]
section: issue
---
Pages took up to 10 s to load.
"""

NOTICE = """---
title: Scheduled maintenance
date: 2021-05-01 22:00:00
resolved: false
severity: notice
section: issue
---
"""


def folder(tmp_path: Path) -> Path:
    issues = tmp_path / "site" / "content" / "issues"
    issues.mkdir(parents=True)
    (issues / "2021-03-03-api-outage.md").write_text(OUTAGE)
    (issues / "2021-04-10-slow.md").write_text(SLOW)
    (issues / "2021-05-01-maintenance.md").write_text(NOTICE)
    (issues / "_index.md").write_text("---\ntitle: Issues\ndate: 2020-01-01\n---\n")
    (tmp_path / "site" / "content" / "about.md").write_text("---\ntitle: About\n---\nNo date: not an incident.\n")
    return tmp_path / "site" / "content"


def incidents(repo: Path) -> dict[str, dict]:
    found = [yaml.safe_load(p.read_text()) for p in sorted((repo / "incidents").glob("*.yaml"))]
    return {i["title"]: i for i in found}


def test_a_status_page_folder_becomes_incidents_with_exact_times(repo: Path, tmp_path: Path) -> None:
    ran = inc("import", folder(tmp_path), "--from", "cstate", root=repo)  # TZ=UTC in the tests
    assert "Imported 3 incidents" in ran.stderr
    assert (
        "cstate severity -> severity (import.cstate.severity: down SEV1, disrupted SEV2, notice SEV4) (3 items)"
        in ran.stderr
    )
    assert "fields dropped (items holding them): pin (1)" in ran.stderr
    found = incidents(repo)
    outage = found["API outage in eu-west"]
    assert outage["severity"] == "SEV1" and outage["service"] == "API" and outage["tags"] == ["API", "Dashboard"]
    assert outage["started_at"] == "2021-03-03T14:30:00+00:00"
    assert outage["resolved_at"] == "2021-03-03T16:05:30+00:00"
    assert outage["source"] == {
        "kind": "cstate",
        "id": "issues/2021-03-03-api-outage.md",
        "imported_at": outage["source"]["imported_at"],
    }
    updates = [(e["at"], e["text"]) for e in outage["timeline"] if e["kind"] == "update"]
    assert updates == [
        ("2021-03-03T14:35:00+00:00", "*Investigating* - We are looking into failing API requests."),
        ("2021-03-03T15:40:00+00:00", "*Monitoring* - A fix is rolling out."),
        ("2021-03-03T16:05:30+00:00", "*Resolved* - The database failover completed."),
    ]
    slow = found["Slow dashboard"]
    assert slow["severity"] == "SEV2" and slow["started_at"] == "2021-04-10T09:00:00+02:00"
    assert slow["summary"] == "Pages took up to 10 s to load."
    notice = found["Scheduled maintenance"]
    assert notice["severity"] == "SEV4" and notice["resolved_at"] is None

    # 14:30:00 -> 16:05:30 is 1 h 35 min 30 s; 09:00 -> 09:45 is 45 min.
    listed = {i["title"]: i for i in inc("list", "--json", "--status", "resolved", root=repo).json}
    assert set(listed) >= {"API outage in eu-west", "Slow dashboard"}
    again = inc("import", folder(tmp_path / "again"), "--from", "cstate", root=repo)
    assert "Imported 0 incidents; 3 already present" in again.stderr


def test_times_without_offset_are_read_in_the_repository_time_zone(repo: Path, tmp_path: Path) -> None:
    config = repo / "incli.yaml"
    data = yaml.safe_load(config.read_text())
    data["timezone"] = "Europe/Berlin"
    config.write_text(yaml.safe_dump(data))
    inc("import", folder(tmp_path), "--from", "cstate", root=repo)
    outage = incidents(repo)["API outage in eu-west"]
    assert outage["started_at"] == "2021-03-03T14:30:00+01:00"
    assert outage["resolved_at"] == "2021-03-03T16:05:30+01:00"


def test_links_and_huge_files_are_never_read(repo: Path, tmp_path: Path) -> None:
    content = folder(tmp_path)
    secret = tmp_path / "secret.md"
    secret.write_text(OUTAGE.replace("API outage in eu-west", "SECRET"))
    os.symlink(secret, content / "issues" / "linked.md")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.md").write_text(OUTAGE.replace("API outage in eu-west", "ALSO SECRET"))
    os.symlink(outside, content / "issues" / "linked-folder")
    (content / "issues" / "huge.md").write_text("---\ntitle: Huge\ndate: 2021-01-01\n---\n" + "x" * (1024 * 1024))
    ran = inc("import", content, "--from", "cstate", "--skip-invalid", root=repo)
    titles = set(incidents(repo))
    assert "SECRET" not in titles and "ALSO SECRET" not in titles and "Huge" not in titles
    assert "at most 1048576" in ran.stderr and "1 invalid skipped" in ran.stderr


def test_dry_run_and_bad_input(repo: Path, tmp_path: Path) -> None:
    content = folder(tmp_path)
    dry = inc("import", content, "--from", "cstate", "--dry-run", root=repo)
    assert not list((repo / "incidents").glob("*.yaml"))
    rows = {line.split("\t")[5]: line.split("\t") for line in dry.stdout.splitlines()}
    assert rows["API outage in eu-west"][4] == "1h 35m" and rows["Slow dashboard"][4] == "45m"
    not_folder = inc("import", content / "issues" / "2021-04-10-slow.md", "--from", "cstate", root=repo, code=None)
    assert not_folder.code != 0 and "is not a folder" in not_folder.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    none = inc("import", empty, "--from", "cstate", root=repo, code=None)
    assert none.code != 0 and "no incidents here" in none.stderr
    (content / "issues" / "broken.md").write_text("---\ntitle: [unclosed\ndate: 2021-01-01\n---\n")
    broken = inc("import", content, "--from", "cstate", root=repo, code=None)
    assert broken.code != 0 and "issues/broken.md: front matter" in broken.stderr
    assert not list((repo / "incidents").glob("*.yaml"))


def test_an_import_makes_a_configured_incidents_folder_that_is_missing(repo: Path, tmp_path: Path) -> None:
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + "incidents_dir: history/imported\n")
    result = inc("import", folder(tmp_path), "--from", "cstate", root=repo)
    assert result.code == 0, result.stderr
    made = sorted(p.name for p in (repo / "history" / "imported").glob("*.yaml"))
    assert len(made) == 3 and [i["id"] + ".yaml" for i in inc("list", "--json", root=repo).json] == made[::-1]


def test_an_issue_without_a_body_is_not_counted_as_holding_one(repo: Path, tmp_path: Path) -> None:
    """The mapping's count for ``body`` is the files that have one (the maintenance notice has none)."""
    ran = inc("import", folder(tmp_path), "--from", "cstate", "--dry-run", root=repo)
    assert "cstate body -> timeline updates ({{< track >}}) or summary (2 items)" in ran.stderr


def test_an_issue_not_resolved_stays_open_whatever_other_keys_it_has(repo: Path, tmp_path: Path) -> None:
    """A stray ``null:`` key (YAML reads ``~: true`` or ``null: true`` as a key that is no text) does not
    make an issue with ``resolved: false`` resolved."""
    issues = tmp_path / "issues"
    issues.mkdir()
    (issues / "stray.md").write_text(
        "---\ntitle: Login slow\ndate: 2021-06-01 10:00:00\nresolved: false\n"
        "resolvedWhen: 2021-06-01 11:00:00\n~: true\nseverity: disrupted\n---\n"
    )
    inc("import", issues, "--from", "cstate", root=repo)
    one = incidents(repo)["Login slow"]
    assert one["status"] == "open" and one["resolved_at"] is None
