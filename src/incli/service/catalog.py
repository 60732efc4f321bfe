"""``inc catalog`` and what other commands take from the service catalog: owners and tier
for ``inc show``, teams for ``inc metrics --by team``, and the catalog's checks in
``inc validate``."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from incli.domain.catalog import Catalog, ServiceEntry
from incli.domain.model import Incident
from incli.storage import yamlio
from incli.storage.catalog import CATALOG_NAME, catalog_path, load_catalog, read_catalog, runbook_file
from incli.storage.repo import Repository, inside

# The on-call configuration (schedules and escalation policies) the catalog's ``schedule``
# and ``escalation`` name. Checked only when that file exists.
ONCALL_NAME = "oncall.yaml"
ONCALL_SCHEDULE_KEYS = ("schedules",)
ONCALL_POLICY_KEYS = ("escalation_policies", "policies", "escalations")


def catalog_of(svc: Any) -> Catalog:
    """The repository's catalog, read once per command."""
    cached = getattr(svc, "_catalog", None)
    if cached is None:
        cached = load_catalog(svc.repo)
        svc._catalog = cached
    assert isinstance(cached, Catalog)
    return cached


def entry_for(svc: Any, incident: Incident) -> ServiceEntry | None:
    return catalog_of(svc).get(incident.service)


def teams(catalog: Catalog) -> dict[str, str]:
    """service key -> team, for ``inc metrics --by team``."""
    from incli.domain.model import service_key

    found: dict[str, str] = {}
    for item in catalog.services:
        key = service_key(item.name)
        if key is not None and item.team:
            found[key] = item.team
    return found


def listing(svc: Any) -> list[dict[str, Any]]:
    """``inc catalog --json``: every service as written, with how many incidents are active on it."""
    from incli.domain.model import service_key

    catalog = catalog_of(svc)
    active: dict[str | None, int] = {}
    for incident in svc.active():
        key = service_key(incident.service)
        active[key] = active.get(key, 0) + 1
    return [{**item.to_json(), "active_incidents": active.get(service_key(item.name), 0)} for item in catalog.services]


def _names(section: Any) -> set[str] | None:
    if isinstance(section, dict):
        return {str(k).strip().casefold() for k in section}
    if isinstance(section, list):
        return {
            str(item.get("name") if isinstance(item, dict) else item).strip().casefold()
            for item in section
            if item is not None
        }
    return None


def oncall_names(repo: Repository) -> tuple[set[str] | None, set[str] | None] | None:
    """The schedule and escalation policy names of the on-call configuration; None when the
    repository has none (the catalog's schedule/escalation names are then not checked)."""
    path = repo.root / ONCALL_NAME
    raw: Any = None
    if os.path.isfile(path) and inside(path, repo.root):
        try:
            raw = yamlio.load(path.read_bytes()[: yamlio.MAX_CONFIG_BYTES])
        except (OSError, yamlio.YamlError):
            return None
    elif isinstance(repo.config.raw.get("oncall"), dict):
        raw = repo.config.raw["oncall"]
    if not isinstance(raw, dict):
        return None
    schedules = next((_names(raw[k]) for k in ONCALL_SCHEDULE_KEYS if k in raw), None)
    policies = next((_names(raw[k]) for k in ONCALL_POLICY_KEYS if k in raw), None)
    return schedules, policies


def validate_catalog(
    repo: Repository, services: Callable[[], Iterable[tuple[Path, str | None]]]
) -> list[tuple[Path, int | None, str]]:
    """Every problem of catalog.yaml (shape, unknown dependencies, runbook files missing or
    outside the repository, unknown on-call names) and every incident naming a service the
    catalog does not have (with the nearest name). Nothing when there is no catalog."""
    path = catalog_path(repo)
    if not os.path.lexists(path):
        return []
    read = read_catalog(repo)
    catalog, line = read.catalog, read.line
    found: list[tuple[Path, int | None, str]] = [(p.path, p.line, p.message) for p in read.problems]

    for item in catalog.services:
        for index, name in enumerate(item.runbooks):
            where = line("services", item.name, "runbooks", index)
            file = repo.root / name
            if os.path.lexists(file) and not inside(file, repo.root):
                found.append((path, where, f"services.{item.name}.runbooks[{index}]: {name} is outside the repository"))
            elif not file.is_file():
                found.append((path, where, f"services.{item.name}.runbooks[{index}]: no such file {name}"))
    names = oncall_names(repo)
    if names is not None:
        schedules, policies = names
        for item in catalog.services:
            pairs = (("schedule", item.schedule, schedules), ("escalation", item.escalation, policies))
            for key, value, known in pairs:
                if value and known is not None and value.casefold() not in known:
                    message = f"services.{item.name}.{key}: no on-call {key} {value!r}"
                    found.append((path, line("services", item.name, key), message))
    if catalog.services:
        for incident_path, service in services():
            if service and catalog.get(service) is None:
                near = catalog.nearest(service)
                hint = f"; did you mean {near}?" if near else f"; add it to {CATALOG_NAME}"
                found.append((incident_path, None, f"service {service!r} is not in {CATALOG_NAME}{hint}"))
    return found


def runbook_path(svc: Any, name: str) -> Path:
    return runbook_file(svc.repo, name)


def validate_notes(repo: Repository) -> list[str]:
    """What ``inc validate`` could not check about the catalog, said once."""
    if not os.path.lexists(catalog_path(repo)):
        return []
    catalog = read_catalog(repo).catalog
    named = any(item.schedule or item.escalation for item in catalog.services)
    if named and oncall_names(repo) is None:
        return [
            f"{CATALOG_NAME}: schedule and escalation names not checked (no on-call configuration in {ONCALL_NAME})"
        ]
    return []
