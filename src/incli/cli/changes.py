"""``inc changes``: the commits, merges and tags before impact started (and during the incident)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from incli import output
from incli.cli.common import JsonOption, RequiredId, service
from incli.domain.times import short_duration


def changes(
    ctx: typer.Context,
    incident_id: RequiredId,
    window: Annotated[
        str, typer.Option("--window", help="How far before impact started to look (a duration).", metavar="DURATION")
    ] = "24h",
    json: JsonOption = False,
) -> None:
    """What changed in the service's code in the window before impact started, newest first.

    Read with git log from the code repositories catalog.yaml names for the service (this
    repository by default, all of its paths); nothing leaves the machine."""
    from incli.service.changes import changes as find
    from incli.service.changes import window_of

    svc = service(ctx)
    incident = svc.get(incident_id)
    found = find(svc, incident, window_of(window))
    if json:
        output.json_out([c.to_json() for c in found])
        return
    rows = []
    for change in found:
        seconds = change.before_impact_seconds
        when = (
            f"{short_duration(timedelta(seconds=seconds))} before"
            if seconds >= 0
            else (f"{short_duration(timedelta(seconds=-seconds))} into it")
        )
        rows.append([output.local(change.at), when, change.repo, change.commit[:10], change.author, change.subject])
    output.table(
        ["When", "Before impact", "Repo", "Commit", "Author", "Subject"],
        rows,
        title=f"Changes for {incident.id} ({incident.service or 'this repository'}), newest first",
        empty=f"No changes in the {window} before impact started or since.",
    )


def register(app: typer.Typer) -> None:
    app.command("changes")(changes)
