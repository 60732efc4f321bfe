"""What the repository knows around an incident, for its rendered postmortem: the changes
before impact (``changes``), previous occurrences (``previous_occurrences``) and the response
checklist (``checklist``). Template variables, so a team's own template may drop them;
``render.context`` gives them empty, which is what the report and a repository without a
catalog get."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from incli.domain.model import Incident
from incli.domain.times import describe_duration

WINDOW = timedelta(hours=24)


def _local(moment: datetime, zone: Any) -> datetime:
    return moment.astimezone(zone) if zone is not None else moment.astimezone()


def postmortem_context(svc: Any, incident: Incident) -> dict[str, Any]:
    from incli.service.changes import before_impact

    zone = svc.config.zone
    found = before_impact(svc, incident, WINDOW)
    from incli.errors import IncError
    from incli.service.search import related

    previous = []
    try:
        like = related(svc, incident, 5)
    except IncError:  # the search index is a cache (e.g. a read-only clone): render without it
        like = []
    for other in like:
        if other["score"] >= 1:  # a shared alert, fingerprint, service or link; not text alone
            started = svc.store.load(other["id"]).started_at
            previous.append({**other, "date": _local(started, zone).strftime("%Y-%m-%d")})
    from incli.domain.runbooks import checklist_summary

    summary = checklist_summary(incident, svc.now())
    return {
        "checklist": {"summary": summary} if summary else None,
        "previous_occurrences": previous,
        "changes": [
            {
                **change.to_json(),
                "short": change.commit[:10],
                "time": _local(change.at, zone).strftime("%Y-%m-%d %H:%M"),
                "before": describe_duration(timedelta(seconds=change.before_impact_seconds)),
            }
            for change in found
        ],
        "changes_window": "24 hours",
    }
