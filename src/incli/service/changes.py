"""``inc changes``: what changed in the code before impact started (and during the incident),
read with ``git log`` from the repositories the service catalog names for the incident's
service (the repository holding incli.yaml by default). Nothing leaves the machine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from incli.domain.catalog import CodeRef
from incli.domain.model import Incident
from incli.domain.times import parse_duration, parse_iso, to_iso
from incli.errors import InvalidInput, Problems
from incli.storage import gitinfo
from incli.storage.catalog import CATALOG_NAME, code_repository

DEFAULT_WINDOW = "24h"
MAX_WINDOW = timedelta(days=366)
THIS_REPOSITORY = "."


@dataclass(frozen=True)
class Change:
    """A commit or change event before an incident's impact."""

    repo: str
    commit: str
    author: str
    at: datetime
    subject: str
    before_impact_seconds: int  # negative: during the incident

    def to_json(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "commit": self.commit,
            "author": self.author,
            "at": to_iso(self.at),
            "subject": self.subject,
            "before_impact_seconds": self.before_impact_seconds,
        }


def window_of(text: str | None) -> timedelta:
    window = parse_duration(text or DEFAULT_WINDOW)
    if window <= timedelta(0) or window > MAX_WINDOW:
        raise InvalidInput(f"--window {text}: give a duration from 1m to 366d, such as 24h")
    return window


def code_of(svc: Any, incident: Incident) -> list[CodeRef]:
    from incli.service.catalog import catalog_of

    entry = catalog_of(svc).get(incident.service)
    if entry is None or not entry.code:
        return [CodeRef()]
    return list(entry.code)


def changes(svc: Any, incident: Incident, window: timedelta) -> list[Change]:
    """Commits, merges and annotated tags in ``[impact start - window, end]`` (end: resolution,
    else now) that touched the service's code paths, newest first."""
    start = incident.started_at
    end = incident.resolved_at or svc.now()
    since, until = start - window, max(end, start)
    by_folder: dict[Path, tuple[str, list[str], bool]] = {}
    for ref in code_of(svc, incident):
        folder = code_repository(svc.repo, ref.repo)
        if ref.repo is None:
            folder = gitinfo.toplevel(folder) or folder
        name = ref.repo or THIS_REPOSITORY
        if not gitinfo.is_work_tree(folder):
            where = f" (code: of {incident.service} in {CATALOG_NAME})" if ref.repo else ""
            raise Problems(f"{folder} is not a git repository{where}; changes are read with git log")
        shown, paths, everything = by_folder.get(folder, (name, [], False))
        by_folder[folder] = (shown, [*paths, *ref.paths], everything or not ref.paths)
    found: dict[tuple[str, str], Change] = {}
    for folder, (name, paths, everything) in by_folder.items():
        wanted = [] if everything else list(dict.fromkeys(paths))
        commits = gitinfo.log_changes(folder, _git_time(since, 0), _git_time(until, 1), wanted)
        if commits is None:
            raise Problems(f"git log failed in {folder}")
        listed = set()
        for commit, author, at_text, subject, _merge in commits:
            at = parse_iso(at_text)
            if at is None or not since <= at <= until:
                continue
            listed.add(commit)
            found[(name, commit)] = Change(name, commit, author, at, subject, _seconds(start - at))
        for tag, target, at_text, tagger, subject in gitinfo.tags_created(folder) or []:
            at = parse_iso(at_text)
            if at is None or not since <= at <= until or (wanted and target not in listed):
                continue
            found[(name, f"tag:{tag}")] = Change(
                name, target, tagger, at, f"tag {tag}: {subject}", _seconds(start - at)
            )
    for change in received_changes(svc, incident, since, until):
        found[(change.repo, change.commit)] = change
    # Newest first; changes of the same second keep the order git log gave them (a child before
    # its parent), which a tie-break on the commit hash would shuffle.
    return sorted(found.values(), key=lambda c: c.at, reverse=True)


CHANGE_EVENTS = "change-events"  # the repo column of a change event received by ingest


def received_changes(svc: Any, incident: Incident, since: datetime, until: datetime) -> list[Change]:
    """Change events received by ``inc ingest`` (PagerDuty's /v2/change/enqueue, kept in changes/)
    on the incident's service within the window: repo ``change-events``, commit the event's
    file name, author its sender, subject its summary."""
    from incli.domain.model import service_key
    from incli.storage import changes as change_store

    wanted = service_key(incident.service)
    if wanted is None:
        return []
    found: list[Change] = []
    for name, record in change_store.named_changes(svc.repo):
        at = record.get("at")
        moment = at if isinstance(at, datetime) else parse_iso(at) if isinstance(at, str) else None
        if moment is None or moment.tzinfo is None or not since <= moment <= until:
            continue
        if service_key(record.get("service") if isinstance(record.get("service"), str) else None) != wanted:
            continue
        author = record.get("source")
        subject = record.get("summary")
        found.append(
            Change(
                CHANGE_EVENTS,
                name,
                str(author) if author is not None else "",
                moment,
                str(subject) if subject is not None else "change event",
                _seconds(incident.started_at - moment),
            )
        )
    return found


def _git_time(moment: datetime, pad: int) -> str:
    """A time git's ``--since``/``--until`` read exactly (whole seconds; ``pad`` widens the window
    by a second, the exact bounds are applied afterwards)."""
    from datetime import UTC

    return (moment.astimezone(UTC) + timedelta(seconds=pad if pad else -1)).strftime("%Y-%m-%d %H:%M:%S +0000")


def _seconds(delta: timedelta) -> int:
    return int(delta.total_seconds())


def before_impact(svc: Any, incident: Incident, window: timedelta = timedelta(hours=24)) -> list[Change]:
    """For the postmortem: the changes before impact, only for a service the catalog describes
    (a repository without a catalog renders as before); never fails the render."""
    from incli.service.catalog import catalog_of

    try:
        if catalog_of(svc).get(incident.service) is None:
            return []
        return [c for c in changes(svc, incident, window) if c.before_impact_seconds >= 0]
    except (InvalidInput, Problems):
        return []
