"""The ``inc metrics`` use case: choose the incidents in scope and measure them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from incli.domain import metrics as m
from incli.domain.times import parse_time
from incli.errors import InvalidInput


def metrics(
    svc: Any,
    *,
    since: str | None = None,
    until: str | None = None,
    by: str | None = None,
    severity: str | None = None,
    service: str | None = None,
    include_drills: bool = False,
    facts: Sequence[m.Facts] | None = None,
) -> dict[str, Any]:
    """The metrics report (the ``--json`` shape) for a Service (of ``facts``, every incident's,
    when the caller has read them already)."""
    config = svc.config
    now: datetime = svc.now()
    since_at = parse_time(since, now) if since else None
    until_at = parse_time(until, now) if until else None
    if since_at and until_at and until_at <= since_at:
        raise InvalidInput(f"--until {until_at.isoformat()} is not after --since {since_at.isoformat()}")
    if by is not None and by not in m.GROUP_BY:
        raise InvalidInput(f"cannot group by {by!r}; one of {', '.join(m.GROUP_BY)}")
    scope = m.Scope(
        since=since_at.timestamp() if since_at else None,
        until=until_at.timestamp() if until_at else None,
        severity=config.severity_filter(severity) if severity else None,
        service=service.strip() if service and service.strip() else None,
        include_drills=include_drills,
    )
    defs = config.metrics
    due = config.postmortem.due
    response = {level.id: level.response_time.total_seconds() for level in config.severities}
    zone = config.zone
    teams = None
    if by == "team":  # the owning team of each service, from the service catalog
        from incli.service.catalog import catalog_of
        from incli.service.catalog import teams as teams_of

        teams = teams_of(catalog_of(svc))
    result = m.report(
        svc.store.facts() if facts is None else facts,
        defs=defs,
        scope=scope,
        response=response,
        severity_order=config.rank,
        postmortem_due_by_severity=due,
        now=now.timestamp(),
        today=config.today(now),
        by=by,
        zone=zone,
        teams=teams,
    )
    result["scope"] = {
        "since": since_at.isoformat() if since_at else None,
        "until": until_at.isoformat() if until_at else None,
        "severity": scope.severity,
        "service": scope.service,
        "include_drills": include_drills,
    }
    return result
