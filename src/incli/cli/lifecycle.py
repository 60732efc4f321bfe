"""Commands that drive an incident: open, ack, mitigate, resolve, reopen, note, update,
severity, assign."""

from __future__ import annotations

from typing import Annotated

import typer

from incli import output
from incli.cli import prompts
from incli.cli.common import AtOption, ByOption, IdArgument, JsonOption, NoteOption, RequiredId, service, split_id_text
from incli.domain.model import ROLES

try:  # Typer 0.2x vendors Click; older releases use click itself.
    from typer._click.exceptions import UsageError  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # pragma: no cover - depends on the installed Typer
    from click.exceptions import UsageError  # type: ignore[no-redef,import-not-found,assignment,unused-ignore]


def _done(change: object, json: bool, message: str) -> None:
    incident = change.incident  # type: ignore[attr-defined]
    if json:
        output.json_out(incident.to_json())
    else:
        output.info(message)


def open_incident(
    ctx: typer.Context,
    title: Annotated[
        str | None,
        typer.Argument(
            help="What is wrong, in a few words (asked for on a terminal when left out).",
            metavar="TITLE",
            show_default=False,
        ),
    ] = None,
    severity: Annotated[
        str | None,
        typer.Option(
            "--severity",
            "-s",
            help="SEV2, sev2, 2 or the level's name (high); required unless incli.yaml sets defaults.severity.",
            metavar="SEV",
            show_default=False,
        ),
    ] = None,
    service_name: Annotated[str | None, typer.Option("--service", help="The affected service.", metavar="NAME")] = None,
    summary: Annotated[
        str | None, typer.Option("--summary", help="A sentence or two on the impact.", metavar="TEXT")
    ] = None,
    at: AtOption = None,
    started_at: Annotated[
        str | None, typer.Option("--started-at", help="When impact began (default: --at).", metavar="TIME")
    ] = None,
    detected_at: Annotated[
        str | None, typer.Option("--detected-at", help="When it was noticed (default: --at).", metavar="TIME")
    ] = None,
    by: ByOption = None,
    commander: Annotated[
        str | None, typer.Option("--commander", help="The incident commander.", metavar="NAME")
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="A tag; repeat for more.", metavar="TAG")] = None,
    drill: Annotated[bool, typer.Option("--drill", help="A game day or exercise, left out of metrics.")] = False,
    public_title: Annotated[
        str | None,
        typer.Option(
            "--public-title",
            help="The title the status page shows (default: 'Degraded performance on SERVICE').",
            metavar="TEXT",
        ),
    ] = None,
    private: Annotated[
        bool, typer.Option("--private", help="Keep this incident off the status page entirely.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Declare an incident. Prints its id (or the incident as JSON with --json).

    On a terminal, a title or severity left out is asked for.
    """
    svc = service(ctx)
    asked = False
    if title is None:
        if not prompts.interactive():
            raise UsageError("Missing argument 'TITLE'.", ctx)
        title, asked = prompts.title(), True
    # Asked along with the title (defaults.severity, if set, is the answer to Enter); with a
    # title given, only when there is no default to fall back on.
    if severity is None and (asked or svc.config.defaults.severity is None) and prompts.interactive():
        severity = prompts.severity(svc.config)
    incident = svc.open(
        title,
        severity,
        service=service_name,
        summary=summary,
        at=at,
        started_at=started_at,
        detected_at=detected_at,
        by=by,
        commander=commander,
        tags=tag or [],
        drill=drill,
        public_title=public_title,
        private=private,
    )
    if json:
        output.json_out(incident.to_json())
    else:
        output.data(incident.id)
    if service(ctx).runbooks_in_use(incident):
        from incli.cli.runbooks import say_runbook

        say_runbook(service(ctx), incident.id)


def _transition_command(action: str, doc: str, past: str):  # type: ignore[no-untyped-def]
    def command(
        ctx: typer.Context,
        incident_id: IdArgument = None,
        at: AtOption = None,
        by: ByOption = None,
        note: NoteOption = None,
        json: JsonOption = False,
    ) -> None:
        svc = service(ctx)
        change = svc.transition(prompts.pick_incident(svc, incident_id), action, at=at, by=by, note=note)
        _done(change, json, f"{change.incident.id} {past} at {output.local(change.entry.at)}")

    command.__doc__ = doc
    return command


def reopen(
    ctx: typer.Context,
    incident_id: RequiredId,
    at: AtOption = None,
    by: ByOption = None,
    note: NoteOption = None,
    json: JsonOption = False,
) -> None:
    """Reopen a resolved incident: the problem is back."""
    change = service(ctx).transition(incident_id, "reopen", at=at, by=by, note=note)
    _done(change, json, f"{change.incident.id} reopened at {output.local(change.entry.at)}")


def _entry_command(kind: str, doc: str):  # type: ignore[no-untyped-def]
    def command(
        ctx: typer.Context,
        args: Annotated[
            list[str],
            typer.Argument(
                metavar="[ID] TEXT",
                help="The incident (optional when one is active) and the text, quoted.",
                show_default=False,
            ),
        ],
        at: AtOption = None,
        by: ByOption = None,
        json: JsonOption = False,
    ) -> None:
        query, text = split_id_text(args, kind)
        svc = service(ctx)
        change = svc.add_entry(prompts.pick_incident(svc, query), kind, text, at=at, by=by)
        _done(change, json, f"{kind} added to {change.incident.id} at {output.local(change.entry.at)}")

    command.__doc__ = doc
    return command


def update(
    ctx: typer.Context,
    args: Annotated[
        list[str],
        typer.Argument(
            metavar="[ID] TEXT",
            help="The incident (optional when one is active) and the text, quoted.",
            show_default=False,
        ),
    ],
    public: Annotated[
        bool,
        typer.Option("--public", help="This update is public: the status page and its feeds show it, as written."),
    ] = False,
    at: AtOption = None,
    by: ByOption = None,
    json: JsonOption = False,
) -> None:
    """Post a status update for stakeholders (it resets the update cadence); --public puts it on the status page."""
    query, text = split_id_text(args, "update")
    change = service(ctx).add_entry(query, "update", text, at=at, by=by, public=public)
    what = "public update" if public else "update"
    _done(change, json, f"{what} added to {change.incident.id} at {output.local(change.entry.at)}")


def severity(
    ctx: typer.Context,
    incident_id: RequiredId,
    level: Annotated[
        str, typer.Argument(help="The new severity: SEV1, 1 or critical.", metavar="SEV", show_default=False)
    ],
    at: AtOption = None,
    by: ByOption = None,
    note: NoteOption = None,
    json: JsonOption = False,
) -> None:
    """Change an incident's severity."""
    change = service(ctx).change_severity(incident_id, level, at=at, by=by, note=note)
    _done(change, json, f"{change.incident.id}: {change.entry.text}")


def assign(
    ctx: typer.Context,
    incident_id: RequiredId,
    role: Annotated[str, typer.Argument(help=f"One of: {', '.join(ROLES)}.", metavar="ROLE", show_default=False)],
    name: Annotated[str, typer.Argument(help="Who takes the role.", metavar="NAME", show_default=False)],
    at: AtOption = None,
    by: ByOption = None,
    json: JsonOption = False,
) -> None:
    """Give someone a role: commander, comms or scribe."""
    change = service(ctx).assign(incident_id, role, name, at=at, by=by)
    _done(change, json, f"{change.incident.id}: {change.entry.text}")


def register(app: typer.Typer) -> None:
    app.command("open")(open_incident)
    app.command("ack")(_transition_command("acknowledge", "Acknowledge an incident: someone is on it.", "acknowledged"))
    app.command("mitigate")(
        _transition_command("mitigate", "Mark an incident mitigated: the impact has stopped.", "mitigated")
    )
    app.command("resolve")(_transition_command("resolve", "Resolve an incident: the cause is dealt with.", "resolved"))
    app.command("reopen")(reopen)
    app.command("note")(_entry_command("note", "Add a note to the timeline."))
    app.command("update")(update)
    app.command("severity")(severity)
    app.command("assign")(assign)
