"""Runbooks and response checklists: which runbook applies to an incident, and the tasks a
checklist creates with it. Pure.

incli.yaml::

    runbooks:                       # besides the catalog's runbooks of each service
      severity: {SEV1: [runbooks/major-incident.md]}
      alerts: {DBConnectionPoolExhausted: [runbooks/db-pool.md]}
    checklists:                     # tasks created with an incident, per severity (default: any)
      SEV1:
        - Assign a commander
        - {task: First stakeholder update, within: 15m}
      default:
        - {task: Open a channel, within: 10m}

Tasks live in the incident file (``tasks: [{id, title, due_at, done_at, by}]``); a task is
late when it was done after its deadline, or is still open past it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from incli.domain.catalog import relative_path
from incli.domain.model import Incident
from incli.domain.severity import Severities, unknown_key
from incli.domain.times import parse_duration, parse_iso, to_iso
from incli.errors import ConfigError, InvalidInput

DEFAULT_CHECKLIST = "default"
MAX_TASKS = 50
MAX_TITLE = 200
_BLOB = re.compile(r"/(?:-/)?(?:blob|raw|tree)/[^/]+/(?P<path>.+)$")


@dataclass(frozen=True)
class ChecklistItem:
    """One checklist task and the time it is due within."""

    task: str
    within: timedelta | None = None


@dataclass(frozen=True)
class RunbookSettings:
    """The runbooks: and checklists: sections."""

    severity: dict[str, tuple[str, ...]] = field(default_factory=dict)
    alerts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    checklists: dict[str, tuple[ChecklistItem, ...]] = field(default_factory=dict)


def _paths(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(where, "must be a list of runbook files such as [runbooks/db-pool.md]")
    for item in value:
        if not relative_path(item.strip()):
            raise ConfigError(where, f"{item!r} is outside the repository; give a path inside it")
    return tuple(v.strip() for v in value)


def settings_from_config(runbooks: Any, checklists: Any, scale: Severities) -> RunbookSettings:
    """The ``runbooks:`` and ``checklists:`` sections; ConfigError names the key."""
    severity: dict[str, tuple[str, ...]] = {}
    alerts: dict[str, tuple[str, ...]] = {}
    if runbooks is not None:
        if not isinstance(runbooks, dict):
            raise ConfigError("runbooks", "must be a mapping such as {alerts: {HighLatency: [runbooks/latency.md]}}")
        unknown_key(runbooks, ("severity", "alerts"), "runbooks")
        for key, target in (("severity", severity), ("alerts", alerts)):
            section = runbooks.get(key) or {}
            if not isinstance(section, dict):
                raise ConfigError(f"runbooks.{key}", "must map names to runbook files")
            for name, value in section.items():
                where = f"runbooks.{key}.{name}"
                if key == "severity":
                    try:
                        name = scale.severity(str(name)).id
                    except InvalidInput as exc:
                        raise ConfigError(where, str(exc)) from None
                target[str(name)] = _paths(value, where)
    found: dict[str, tuple[ChecklistItem, ...]] = {}
    if checklists is not None:
        if not isinstance(checklists, dict):
            raise ConfigError("checklists", "must map severities (or default) to lists of tasks")
        for name, items in checklists.items():
            where = f"checklists.{name}"
            if str(name) != DEFAULT_CHECKLIST:
                try:
                    name = scale.severity(str(name)).id
                except InvalidInput as exc:
                    raise ConfigError(where, f"{exc} (or default)") from None
            found[str(name)] = _items(items, where)
    return RunbookSettings(severity=severity, alerts=alerts, checklists=found)


def _items(items: Any, where: str) -> tuple[ChecklistItem, ...]:
    if not isinstance(items, list) or len(items) > MAX_TASKS:
        raise ConfigError(where, f"must be a list of up to {MAX_TASKS} tasks")
    found = []
    for index, item in enumerate(items):
        at = f"{where}[{index}]"
        if isinstance(item, str):
            item = {"task": item}
        if not isinstance(item, dict):
            raise ConfigError(at, "must be a task such as {task: Open a channel, within: 10m}")
        unknown_key(item, ("task", "within"), at)
        task = item.get("task")
        if not isinstance(task, str) or not task.strip() or len(task) > MAX_TITLE:
            raise ConfigError(f"{at}.task", f"must be text of up to {MAX_TITLE} characters")
        within = item.get("within")
        delay = None
        if within is not None:
            try:
                delay = parse_duration(str(within))
            except InvalidInput as exc:
                raise ConfigError(f"{at}.within", str(exc)) from None
        found.append(ChecklistItem(task.strip(), delay))
    return tuple(found)


def path_from_url(url: str) -> str | None:
    """The repository path a ``runbook_url`` annotation points at: a relative path as it is, or
    the path in a GitHub/GitLab ``.../blob/REF/PATH`` link; None for anything else."""
    text = url.strip()
    if not text or len(text) > 1000:
        return None
    parts = urlsplit(text)
    if not parts.scheme and not parts.netloc:
        path = unquote(parts.path)
    else:
        match = _BLOB.search(unquote(parts.path))
        if match is None:
            return None
        path = match["path"]
    path = path.removeprefix("./")
    return path if path and relative_path(path) else None


def runbooks_for(
    incident: Incident,
    service_runbooks: tuple[str, ...],
    settings: RunbookSettings,
    alert_names: list[str],
    runbook_urls: list[str],
) -> list[tuple[str, str]]:
    """(path, why) of every runbook that applies, most specific first: the alert's own link,
    the alert name's, the service's, the severity's."""
    found: dict[str, str] = {}
    for url in runbook_urls:
        path = path_from_url(url)
        if path:
            found.setdefault(path, "alert runbook_url")
    for name in alert_names:
        for path in settings.alerts.get(name, ()):
            found.setdefault(path, f"alert {name}")
    for path in service_runbooks:
        found.setdefault(path, f"service {incident.service}")
    for path in settings.severity.get(incident.severity, ()):
        found.setdefault(path, f"severity {incident.severity}")
    return list(found.items())


def checklist_for(settings: RunbookSettings, severity: str) -> tuple[ChecklistItem, ...]:
    return settings.checklists.get(severity) or settings.checklists.get(DEFAULT_CHECKLIST) or ()


def new_tasks(items: tuple[ChecklistItem, ...], declared: datetime) -> list[dict[str, Any]]:
    return [
        {
            "id": f"T{index}",
            "title": item.task,
            "due_at": to_iso(declared + item.within) if item.within is not None else None,
            "done_at": None,
            "by": None,
        }
        for index, item in enumerate(items, start=1)
    ]


@dataclass(frozen=True)
class Task:
    """A checklist task of an incident."""

    id: str
    title: str
    due_at: datetime | None
    done_at: datetime | None
    by: str | None

    def late(self, now: datetime) -> bool:
        if self.due_at is None:
            return False
        return (self.done_at or now) > self.due_at

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "due_at": to_iso(self.due_at) if self.due_at else None,
            "done_at": to_iso(self.done_at) if self.done_at else None,
            "by": self.by,
            "late": self.late(now),
        }


def _moment(value: Any) -> datetime | None:
    """A stored time (the YAML reader keeps every time as text); None unless it has an offset."""
    if isinstance(value, str) and value.strip():
        moment = parse_iso(value.strip())
        return moment if moment is not None and moment.tzinfo is not None else None
    return None


def task_problems(raw: Any) -> list[tuple[str, str]]:
    """What is wrong with a stored ``tasks:`` list (key, message): a task ``tasks_of`` would drop
    or read without its times."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        return [("tasks", f"expected a list of tasks {{id, title, due_at, done_at}}, found {raw!r}")]
    problems: list[tuple[str, str]] = []
    for index, item in enumerate(raw):
        where = f"tasks[{index}]"
        if not isinstance(item, dict):
            problems.append((where, f"expected a task {{id, title, due_at, done_at}}, found {item!r}"))
            continue
        for key in ("id", "title"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                problems.append((f"{where}.{key}", f"expected text, found {item.get(key)!r}"))
        for key in ("due_at", "done_at"):
            if item.get(key) is not None and _moment(item[key]) is None:
                problems.append((f"{where}.{key}", f"{item[key]!r} is not an ISO 8601 time with an offset"))
    return problems


def tasks_of(incident: Incident) -> list[Task]:
    raw = incident.extra.get("tasks")
    if not isinstance(raw, list):
        return []
    return [
        Task(
            id=str(item.get("id") or ""),
            title=str(item.get("title") or ""),
            due_at=_moment(item.get("due_at")),
            done_at=_moment(item.get("done_at")),
            by=str(item["by"]) if item.get("by") is not None else None,
        )
        for item in raw
        if isinstance(item, dict) and item.get("id")
    ]


def find_task(incident: Incident, query: str) -> int:
    """The index in ``tasks:`` of the task an id (T2, 2) or a unique part of its title names."""
    raw = incident.extra.get("tasks")
    tasks = raw if isinstance(raw, list) else []
    wanted = query.strip().casefold()
    for index, item in enumerate(tasks):
        if isinstance(item, dict) and str(item.get("id", "")).casefold() in (wanted, f"t{wanted}"):
            return index
    matches = [
        i
        for i, t in enumerate(tasks)
        if isinstance(t, dict) and wanted and wanted in str(t.get("title", "")).casefold()
    ]
    if len(matches) == 1:
        return matches[0]
    listed = ", ".join(f"{t.get('id')} ({t.get('title')})" for t in tasks if isinstance(t, dict))
    if not listed:
        raise InvalidInput(f"{incident.id} has no tasks (checklists: in incli.yaml creates them)")
    raise InvalidInput(f"{query!r} names {'several' if matches else 'no'} task of {incident.id}; one of: {listed}")


def overdue_tasks(incident: Incident, now: datetime) -> list[Task]:
    """Open tasks past their deadline, of an active incident."""
    if not incident.active:
        return []
    return [t for t in tasks_of(incident) if t.done_at is None and t.late(now)]


def checklist_summary(incident: Incident, now: datetime) -> str | None:
    """``4 of 5 done, 1 late`` (None without tasks)."""
    tasks = tasks_of(incident)
    if not tasks:
        return None
    done = sum(1 for t in tasks if t.done_at is not None)
    late = sum(1 for t in tasks if t.late(now))
    return f"{done} of {len(tasks)} done" + (f", {late} late" if late else "")
