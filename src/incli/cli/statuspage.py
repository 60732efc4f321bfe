"""``inc statuspage``, ``inc maintenance``, ``inc public-title`` and ``inc private``: the public
status page and what may appear on it."""

from __future__ import annotations

from typing import Annotated

import typer

from incli import output
from incli.cli.common import JsonOption, RequiredId, service
from incli.errors import ExitCode


def statuspage(
    ctx: typer.Context,
    out: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="DIR",
            help="The folder to write (default: statuspage/ in the repository). It is replaced whole, so it "
            "must be new, empty, or an earlier status page.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="TIME",
            help="How far back the uptime bars and the history go: a number of days such as 90d (the default) "
            "or a date such as 2025-01-01.",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Only run the privacy check on the public text (e-mail addresses, people's names, IP "
            "addresses, host names, secrets) and write nothing; exit 6 on any finding (a CI gate).",
        ),
    ] = False,
) -> None:
    """Write the public status page: components, uptime bars, incidents, maintenance, feeds and JSON.

    Only what is marked public appears (inc update --public, public titles); private incidents never do.
    The privacy check runs first: any finding is one line on stderr, exit 6, nothing written.
    Prints the path of index.html.
    """
    from incli.service.statuspage import PrivateText, build_statuspage
    from incli.service.statuspage import check as check_page

    svc = service(ctx)
    try:
        if check:
            result = check_page(svc, since)
            output.info(f"No private text found in {result.checked} public text{'s' if result.checked != 1 else ''}")
            return
        result = build_statuspage(svc, out, since=since)
    except PrivateText as exc:
        for finding in exc.findings:
            output.error(str(finding))
        raise typer.Exit(ExitCode.PROBLEMS) from None
    output.info(
        f"Wrote the status page: {result.components} component{'s' if result.components != 1 else ''}, "
        f"{result.incidents} incident{'s' if result.incidents != 1 else ''}, {result.pages} pages to {result.folder}"
    )
    output.data(str(result.index))


maintenance_app = typer.Typer(
    help="Scheduled maintenance windows for the status page.", no_args_is_help=True, add_completion=False
)


@maintenance_app.command("add")
def maintenance_add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What customers will notice, in public words.", show_default=False)],
    service_name: Annotated[
        str, typer.Option("--service", help="The service under maintenance.", metavar="NAME", show_default=False)
    ],
    starts: Annotated[
        str, typer.Option("--from", help="When it starts: '2025-03-01 22:00', 'tomorrow 02:00'.", metavar="TIME")
    ],
    ends: Annotated[
        str, typer.Option("--to", help="When it ends (HH:MM: the first such time after --from).", metavar="TIME")
    ],
    json: JsonOption = False,
) -> None:
    """Schedule maintenance: shown on the status page in advance, "under maintenance" while it runs.
    Prints its id."""
    from incli.service.maintenance import add

    window = add(service(ctx), service_name, starts, ends, text)
    if json:
        output.json_out(window.to_dict())
    else:
        output.data(window.id)


@maintenance_app.command("list")
def maintenance_list(
    ctx: typer.Context,
    past: Annotated[bool, typer.Option("--all", help="Include windows that have ended.")] = False,
    json: JsonOption = False,
) -> None:
    """List the maintenance windows that have not ended yet (all of them with --all)."""
    from incli.service.maintenance import listing

    windows = listing(service(ctx), include_past=past)
    if json:
        output.json_out([w.to_dict() for w in windows])
        return
    rows = [[w.id, w.service, output.local(w.starts_at), output.local(w.ends_at), w.text] for w in windows]
    columns = (  # fitted like every table (output.Column): the text flexes, Service goes first
        output.Column("ID", output.ID),
        output.Column("Service", drop=1),
        output.Column("From"),
        output.Column("To"),
        output.Column("Text", output.TEXT),
    )
    output.table(columns, rows, empty="(no maintenance scheduled)")


def public_title(
    ctx: typer.Context,
    incident_id: RequiredId,
    title: Annotated[str, typer.Argument(help="The title customers see.", metavar="TEXT", show_default=False)],
    json: JsonOption = False,
) -> None:
    """Set the title the status page shows for an incident instead of its internal one."""
    incident = service(ctx).set_public_title(incident_id, title)
    if json:
        output.json_out(incident.to_json())
    else:
        output.info(f"{incident.id}: public title set")


def private(ctx: typer.Context, incident_id: RequiredId, json: JsonOption = False) -> None:
    """Keep an incident off the status page entirely (its impact too, unless count_private_impact)."""
    incident = service(ctx).set_private(incident_id)
    if json:
        output.json_out(incident.to_json())
    else:
        output.info(f"{incident.id} is private: it never appears on the status page")


def register(app: typer.Typer) -> None:
    app.command("statuspage")(statuspage)
    app.add_typer(maintenance_app, name="maintenance")
    app.command("public-title")(public_title)
    app.command("private")(private)
