"""``inc catalog``: the service catalog (catalog.yaml); and the catalog block of ``inc show``."""

from __future__ import annotations

from typing import Any

import typer

from incli import output
from incli.cli.common import JsonOption, service


def catalog(ctx: typer.Context, json: JsonOption = False) -> None:
    """List the services of catalog.yaml: owners, team, tier, dependencies and runbooks."""
    from incli.service.catalog import listing

    rows = listing(service(ctx))
    if json:
        output.json_out(rows)
        return
    output.table(
        ["Service", "Tier", "Team", "Owners", "Depends on", "Runbooks", "Active"],
        [
            [
                row["name"],
                str(row["tier"]) if row["tier"] is not None else "-",
                row["team"] or "-",
                ", ".join(row["owners"]) or "-",
                ", ".join(row["depends_on"]) or "-",
                ", ".join(row["runbooks"]) or "-",
                str(row["active_incidents"]),
            ]
            for row in rows
        ],
        empty="No services: describe them in catalog.yaml (see README: Service catalog).",
    )


def show_block(svc: Any, incident: Any) -> None:
    """``inc show``: who owns the incident's service and how critical it is (from the catalog)."""
    from incli.errors import InvalidInput
    from incli.service.catalog import entry_for

    try:
        entry = entry_for(svc, incident)
    except InvalidInput as exc:  # a broken catalog never hides the incident itself
        output.warn(f"service catalog not shown: {exc.message}")
        return
    if entry is None:
        return
    pairs: list[tuple[str, str, str | None]] = [
        ("Owners", ", ".join(entry.owners) or "-", None),
        ("Team", entry.team or "-", None),
        ("Tier", str(entry.tier) if entry.tier is not None else "-", None),
    ]
    if entry.depends_on:
        pairs.append(("Depends on", ", ".join(entry.depends_on), None))
    if entry.runbooks:
        pairs.append(("Runbooks", ", ".join(entry.runbooks), None))
    output.heading(f"Service {entry.name}")
    output.fields(pairs)


def register(app: typer.Typer) -> None:
    app.command("catalog")(catalog)
