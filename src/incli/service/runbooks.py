"""``inc runbook`` and ``inc task``: which runbook applies to an incident, and its response
checklist (tasks created with the incident, done with a timeline entry)."""

from __future__ import annotations

from typing import Any

from incli.domain import runbooks as rb
from incli.domain import search as ds
from incli.domain.model import Incident, TimelineEntry
from incli.errors import Conflict, InvalidInput, NotFound, Problems
from incli.storage.catalog import read_runbook, runbook_file

MAX_URLS = 10


def attach_checklist(incident: Incident, config: Any) -> None:
    """Give a new incident the tasks of its severity's checklist (the default one otherwise)."""
    items = rb.checklist_for(config.runbooks, incident.severity)
    if items and "tasks" not in incident.extra:
        incident.extra["tasks"] = rb.new_tasks(items, incident.opened_at)


def runbook_urls(incident: Incident) -> list[str]:
    source = incident.extra.get("source")
    urls = source.get("runbook_urls") if isinstance(source, dict) else None
    return [str(u) for u in urls[:MAX_URLS]] if isinstance(urls, list) else []


def applicable(svc: Any, incident: Incident) -> list[tuple[str, str, bool]]:
    """(path, why, whether the file exists inside the repository) of each runbook that applies."""
    from incli.service.catalog import catalog_of

    entry = catalog_of(svc).get(incident.service)
    found = rb.runbooks_for(
        incident,
        entry.runbooks if entry else (),
        svc.config.runbooks,
        ds.alert_names(incident),
        runbook_urls(incident),
    )
    result = []
    for path, why in found:
        try:
            exists = runbook_file(svc.repo, path).is_file()
        except Problems:
            exists = False
        result.append((path, why, exists))
    return result


def runbook_text(svc: Any, incident: Incident) -> tuple[str, str, str]:
    """(path, why, Markdown) of the first runbook that applies and exists."""
    found = applicable(svc, incident)
    for path, why, exists in found:
        if exists:
            return path, why, read_runbook(svc.repo, path)
    if found:
        missing = ", ".join(path for path, _why, _e in found)
        raise NotFound(f"the runbooks for {incident.id} do not exist in the repository: {missing}")
    raise NotFound(
        f"no runbook applies to {incident.id}: name one under runbooks: of its service in catalog.yaml, "
        "or under runbooks: in incli.yaml (by alert or severity)"
    )


def tasks(svc: Any, incident: Incident) -> list[dict[str, Any]]:
    now = svc.now()
    return [task.to_json(now) for task in rb.tasks_of(incident)]


def done(
    svc: Any, query: str, task: str, *, at: str | None = None, by: str | None = None
) -> tuple[Incident, dict[str, Any]]:
    """Mark a task done (at ``at``, default now), with a timeline entry."""
    now = svc.now()
    moment = svc.when(at, now, "--at")
    actor = svc.actor(by)
    incident_id = svc.resolve_id(query)
    with svc.store.locked():
        incident = svc.store.load(incident_id)
        index = rb.find_task(incident, task)
        item = incident.extra["tasks"][index]
        if item.get("done_at"):
            raise Conflict(f"{incident.id} task {item.get('id')} ({item.get('title')}) was done already")
        if moment < incident.opened_at:
            raise InvalidInput(f"--at {moment.isoformat()} is before {incident.id} was declared")
        from incli.domain.times import to_iso

        item["done_at"] = to_iso(moment)
        item["by"] = actor
        incident.add_entry(TimelineEntry(at=moment, kind="note", by=actor, text=f"Done: {item.get('title')}"))
        path = svc.store.save(incident)
    svc.emit("note", incident, [path])
    return incident, dict(item)
