"""``inc validate``: every problem in every incident file, with file and line.

Finds what hand edits and merges leave behind: YAML errors, git conflict
markers, missing or unknown fields, unknown severities, times out of order, a
status its times contradict, a file named differently from the id inside it,
the same id in two files, a maintenance window file that cannot be read, a registered
merge driver that cannot run, and schedule files (oncall/*.yaml) that cannot be read or hold
overlapping overrides.
"""

from __future__ import annotations

import functools
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from incli.domain import lifecycle
from incli.domain.model import (
    EXTENSION_ORDER,
    UNKNOWN_SEVERITY,
    IncidentFormatError,
    extension_problems,
    incident_from_dict,
)
from incli.domain.postmortem import MERGE_CONFLICT_HINT, action_problems, merge_conflicts, postmortem_problems
from incli.domain.runbooks import task_problems
from incli.domain.search import link_problems
from incli.errors import StorageError
from incli.storage import gitinfo, yamlio
from incli.storage.repo import CATALOG_FILE, FREEZES_FILE, MAINTENANCE_DIR, Repository
from incli.storage.store import SUFFIX, BrokenFile, Store, load_document


@dataclass(frozen=True)
class Finding:
    """A problem inc validate found: the file, the line and what is wrong."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        line = f":{self.line}" if self.line else ""
        return f"{self.path}{line}: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {"path": str(self.path), "line": self.line, "message": self.message}


def check_file(path: Path, data: bytes, repo: Repository) -> tuple[str | None, list[Finding]]:
    """The findings for one file, and the id it holds (None when unreadable)."""
    findings: list[Finding] = []
    markers = yamlio.conflict_lines(data)
    for line in markers:
        findings.append(Finding(path, line, "git conflict marker left by a merge; resolve the conflict"))
    if markers:
        return None, findings
    try:
        raw = load_document(data)
    except yamlio.YamlError as exc:
        return None, [Finding(path, exc.line, str(exc))]
    found_lines: list[dict[str, int]] = []

    def at(key: str) -> int | None:
        if not found_lines:  # parsed for lines only when a finding needs one: most files have none
            found_lines.append(yamlio.key_lines(data))
        return yamlio.line_for(found_lines[0], key)

    try:
        incident = incident_from_dict(raw)
    except IncidentFormatError as exc:
        return (raw.get("id") if isinstance(raw, dict) else None), [
            Finding(path, at(key), f"{key}: {message}" if key else message) for key, message in exc.problems
        ]
    for key in incident.extra:
        if key not in EXTENSION_ORDER:
            findings.append(Finding(path, at(key), f"unknown field {key!r}"))
    for key, message in (
        postmortem_problems(incident.extra.get("postmortem"))
        + action_problems(incident.extra.get("actions"))
        + extension_problems(incident.extra)
        + link_problems(incident.extra.get("links"))
        + task_problems(incident.extra.get("tasks"))
    ):
        findings.append(Finding(path, at(key), f"{key}: {message}"))
    for key in merge_conflicts(incident.extra.get("postmortem")):
        findings.append(Finding(path, at("postmortem"), f"postmortem.{key}: {MERGE_CONFLICT_HINT}"))
    if incident.severity != UNKNOWN_SEVERITY and repo.config.find_severity(incident.severity) is None:
        known = ", ".join(s.id for s in repo.config.severities)
        findings.append(Finding(path, at("severity"), f"unknown severity {incident.severity!r}; known: {known}"))
    for key, message in lifecycle.order_problems(incident) + lifecycle.status_problems(incident):
        findings.append(Finding(path, at(key), f"{key}: {message}"))
    if incident.id != path.stem:
        findings.append(
            Finding(
                path, at("id"), f"the id {incident.id} does not match the file name; rename it {incident.id}{SUFFIX}"
            )
        )
    return incident.id, findings


def validate(repo: Repository) -> tuple[int, list[Finding]]:
    """Check every incident file; return how many files were read and what was found.

    What one file holds is checked once per change of the file (the index's ``check`` part,
    storage/index.py): a file whose stat key and the severities it is checked against are as
    they were is not read again. Whatever spans files (the same id twice, the catalog, the
    schedules, the merge driver) is checked every time."""
    store = Store(repo)
    findings: list[Finding] = []
    holders: dict[str, list[Path]] = defaultdict(list)

    def check(path: Path, data: bytes | None, failure: tuple[int | None, str] | None) -> Any:
        if data is None:
            line, reason = failure or (None, "cannot be read")
            return None, ((line, reason),)
        incident_id, found = check_file(path, data, repo)
        return (
            str(incident_id) if incident_id else None,
            tuple((finding.line, finding.message) for finding in found),
        )

    # The findings depend on the file and on the severities it names being known.
    salt = repr([level.id for level in repo.config.severities])
    names, results = store.checked(check, salt)
    folder = repo.incidents_dir
    for name, (incident_id, found) in zip(names, results, strict=True):
        path = folder / name
        findings.extend(Finding(path, line, message) for line, message in found)
        if incident_id:
            holders[incident_id].append(path)
    paths = names
    for incident_id, where in sorted(holders.items()):
        if len(where) > 1:
            names = ", ".join(p.name for p in where)
            for path in where:
                findings.append(Finding(path, None, f"duplicate id {incident_id}: also in {names}"))
    folder = repo.incidents_dir
    if folder.is_dir():
        for stray in sorted(folder.glob("*.yml")):
            findings.append(Finding(stray, None, f"not read: incident files end in {SUFFIX}"))
    # The checks of other files import their features only when the repository has them.
    if (repo.root / MAINTENANCE_DIR).is_dir():
        findings.extend(_maintenance_findings(repo))
    if os.path.lexists(repo.root / FREEZES_FILE):
        findings.extend(_freezes_findings(repo))
    if os.path.lexists(repo.root / CATALOG_FILE):
        # The service catalog: its own problems, and every incident naming a service it does not have.
        from incli.service.catalog import validate_catalog

        def services() -> list[tuple[Path, str | None]]:
            return [(store.path_for(f.id), f.service) for f in store.facts()]

        for file, line, message in validate_catalog(repo, services):
            findings.append(Finding(file, line, message))
    config = repo.config
    on_call = ("oncall", "escalation", "people")
    if repo.schedules_dir.is_dir() or any(config.raw.get(key) for key in on_call):
        from incli.service.oncall import check as check_schedules

        findings.extend(Finding(f.path, f.line, f.message) for f in check_schedules(repo))
    if gitinfo.maybe_in_work_tree(repo.root):
        from incli.service.git import driver_problem

        problem = driver_problem(repo)
        if problem is not None:
            top = gitinfo.toplevel(repo.root) or repo.root
            findings.append(Finding(gitinfo.config_file(top), None, problem))
    return len(paths), findings


def _unreadable(path: Path, read: Callable[[], object]) -> list[Finding]:
    """What keeps ``read`` from reading ``path`` (a file beside the incidents), as a finding."""
    try:
        read()
    except BrokenFile as exc:
        return [Finding(path, exc.broken.line, exc.broken.reason)]
    except StorageError as exc:
        return [Finding(path, None, str(exc))]
    return []


def _freezes_findings(repo: Repository) -> list[Finding]:
    """freezes.yaml (inc freeze) when inc gate could not read it."""
    from incli.storage.freezes import read_freezes

    return _unreadable(repo.root / FREEZES_FILE, functools.partial(read_freezes, repo))


def _maintenance_findings(repo: Repository) -> list[Finding]:
    """Maintenance window files (inc maintenance add) that cannot be read."""
    from incli.storage import maintenance

    found: list[Finding] = []
    for path in maintenance.paths(repo):
        found.extend(_unreadable(path, functools.partial(maintenance.read, path, repo)))
    return found
