"""``inc report``: write the repository as a static HTML site."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from incli import output
from incli.cli.common import service


def report(
    ctx: typer.Context,
    out: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="DIR",
            help="The folder to write (default: report/ in the repository). It is replaced whole, so it "
            "must be new, empty, or an earlier report.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="TIME",
            help="Only incidents whose impact started at or after TIME (as inc metrics --since), "
            "e.g. 2025-01-01 or '30d ago'.",
        ),
    ] = None,
) -> None:
    """Write a static HTML site: incidents, their timelines and postmortems, metrics charts, action items.

    Self-contained (no network, no script needed): open index.html from disk or publish the folder.
    Incremental: an incident's page whose inputs are unchanged is taken from the earlier report.
    Prints the path of index.html.
    """
    from incli.service.report import build_report

    svc = service(ctx)
    result = build_report(svc, out, since=since, progress=output.progress if sys.stderr.isatty() else None)
    reused = f" ({result.reused} unchanged from the earlier report)" if result.reused else ""
    output.info(
        f"Wrote {result.pages} pages{reused} for {result.incidents} incident{'s' if result.incidents != 1 else ''} "
        f"to {result.folder}"
    )
    output.data(str(result.index))


def register(app: typer.Typer) -> None:
    app.command("report")(report)
