"""``inc action``: action items from postmortems, tracked to done across every incident."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from incli import output
from incli.cli.common import JsonOption, LimitOption, QuietOption, RequiredId, SortOption, service

app = typer.Typer(
    name="action",
    help="Action items: add them to an incident, close them, and list them across every incident.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

ActionId = Annotated[
    str,
    typer.Argument(
        help="Action id (ACT-xxxxx), or any unambiguous part of it.", metavar="ACTION_ID", show_default=False
    ),
]


def _pms(ctx: typer.Context) -> Any:
    from incli.service.postmortems import Postmortems

    return Postmortems(service(ctx))


def _print(action: dict[str, Any], incident_id: str, json: bool, message: str) -> None:
    if json:
        from incli.domain.postmortem import ordered_action

        output.json_out({**ordered_action(action), "incident": incident_id})
    else:
        output.info(message)


@app.command("add")
def add(
    ctx: typer.Context,
    incident_id: RequiredId,
    title: Annotated[str, typer.Argument(help="What will be done, quoted.", metavar="TITLE", show_default=False)],
    owner: Annotated[str, typer.Option("--owner", help="Who will do it.", metavar="NAME", show_default=False)],
    due: Annotated[
        str,
        typer.Option(
            "--due",
            help="A date (2025-01-22) or an offset from today (3d, 1w).",
            metavar="DATE_OR_OFFSET",
            show_default=False,
        ),
    ],
    priority: Annotated[
        str | None, typer.Option("--priority", help="A priority such as P1 or P2.", metavar="P")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Add an action item to an incident. Prints its id."""
    incident, action = _pms(ctx).add_action(incident_id, title, owner=owner, due=due, priority=priority)
    if json:
        _print(action, incident.id, True, "")
    else:
        output.data(action["id"])
        output.info(f"{incident.id}: action {action['id']} for {action['owner']}, due {action['due']}")


@app.command("done")
def done(
    ctx: typer.Context,
    action_id: ActionId,
    note: Annotated[str | None, typer.Option("--note", "-n", help="What was done.", metavar="TEXT")] = None,
    json: JsonOption = False,
) -> None:
    """Mark an action item done."""
    incident, action = _pms(ctx).set_action_status(action_id, "done", note)
    _print(action, incident.id, json, f"{action['id']} done ({incident.id}: {action['title']})")


@app.command("reopen")
def reopen(
    ctx: typer.Context,
    action_id: ActionId,
    note: Annotated[str | None, typer.Option("--note", "-n", help="Why it is open again.", metavar="TEXT")] = None,
    json: JsonOption = False,
) -> None:
    """Reopen an action item that was marked done."""
    incident, action = _pms(ctx).set_action_status(action_id, "open", note)
    _print(action, incident.id, json, f"{action['id']} reopened ({incident.id}: {action['title']})")


# Dropped at narrow widths highest first (README: Tables).
ACTION_COLUMNS = (
    output.Column("ID", output.ID),
    output.Column("Incident", output.ID, drop=2),
    output.Column("Owner", drop=1),
    output.Column("Due"),
    output.Column("Priority", drop=3),
    output.Column("Status"),
    output.Column("Title", output.TEXT),
)


@app.command("list")
def list_actions(
    ctx: typer.Context,
    only_open: Annotated[bool, typer.Option("--open", help="Only open items.")] = False,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open items past their due date.")] = False,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner's items.", metavar="NAME")] = None,
    incident: Annotated[
        str | None, typer.Option("--incident", help="Only this incident's items.", metavar="ID")
    ] = None,
    sort: SortOption = "newest",
    limit: LimitOption = None,
    quiet: QuietOption = False,
    json: JsonOption = False,
) -> None:
    """Action items across every incident, newest first (--sort due: soonest due first)."""
    found = _pms(ctx).actions(
        only_open=only_open, overdue=overdue, owner=owner, incident=incident, sort=sort.strip().lower()
    )
    rows = found[: output.row_limit(limit, json)]
    if json:
        output.json_out([r.to_json() for r in rows])
        output.more(len(rows), len(found))
        return
    table, styles = [], []
    for row in rows:
        action = row.action
        status = str(action.get("status")) + (" (overdue)" if row.overdue else "")
        table.append(
            [
                str(action.get("id")),
                row.incident.id,
                str(action.get("owner") or "-"),
                str(action.get("due") or "-"),
                str(action.get("priority") or "-"),
                status,
                str(action.get("title")),
            ]
        )
        styles.append(
            [
                None,
                None,
                None,
                "bold red" if row.overdue else None,
                None,
                "bold red" if row.overdue else ("green" if action.get("status") == "done" else None),
                None,
            ]
        )
    output.table(ACTION_COLUMNS, table, styles=styles, empty="No action items match.", total=len(found), quiet=quiet)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="action")
