"""``inc runbook`` and ``inc task``; the runbook hint of ``inc open`` and ingest, and the
overdue tasks of ``inc status``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from incli import output
from incli.cli.common import AtOption, ByOption, IdArgument, JsonOption, RequiredId, service

task_app = typer.Typer(help="The response checklist's tasks of an incident.", no_args_is_help=True)


def runbook(ctx: typer.Context, incident_id: IdArgument = None) -> None:
    """Show the runbook that applies to an incident (by alert, service or severity) in the terminal."""
    from incli.service.runbooks import runbook_text

    svc = service(ctx)
    incident = svc.get(incident_id)
    path, why, text = runbook_text(svc, incident)
    output.info(f"{path} (for {why})")
    output.markdown(text)


@task_app.command("list")
def task_list(ctx: typer.Context, incident_id: IdArgument = None, json: JsonOption = False) -> None:
    """List an incident's tasks: done, open, and late (past their deadline)."""
    from incli.service.runbooks import tasks

    svc = service(ctx)
    incident = svc.get(incident_id)
    found = tasks(svc, incident)
    if json:
        output.json_out(found)
        return
    rows, styles = [], []
    for task in found:
        state = "done" if task["done_at"] else "open"
        if task["late"]:
            state += ", late"
        rows.append(
            [task["id"], state, _short(task["due_at"]), _short(task["done_at"]), task["by"] or "-", task["title"]]
        )
        styles.append([None, "bold red" if task["late"] and not task["done_at"] else None, None, None, None, None])
    output.table(
        ["Task", "State", "Due", "Done", "By", "Title"], rows, styles=styles, empty=f"{incident.id} has no tasks."
    )


def _short(iso: str | None) -> str:
    from incli.domain.times import parse_iso

    moment = parse_iso(iso) if iso else None
    return output.local(moment, "%Y-%m-%d %H:%M") if moment else "-"


@task_app.command("done")
def task_done(
    ctx: typer.Context,
    incident_id: RequiredId,
    task: Annotated[str, typer.Argument(help="The task: its id (T2) or part of its title.", metavar="TASK")],
    at: AtOption = None,
    by: ByOption = None,
) -> None:
    """Mark a task done (a timeline entry)."""
    from incli.service.runbooks import done

    incident, item = done(service(ctx), incident_id, task, at=at, by=by)
    output.info(f"{incident.id}: {item['id']} done ({item['title']})")


def say_runbook(svc: Any, incident_id: str) -> None:
    """After inc open and ingest: which runbook applies (on stderr), never failing the command."""
    from incli.errors import IncError
    from incli.service.runbooks import applicable

    try:
        found = applicable(svc, svc.get(incident_id))
    except IncError:
        return
    for path, why, exists in found[:3]:
        output.info(f"Runbook: {path} (for {why}){'' if exists else ' - missing'}; see inc runbook {incident_id}")


def status_block(svc: Any, incidents: list[Any]) -> None:
    """``inc status``: the checklist tasks past their deadline."""
    from incli.domain.runbooks import overdue_tasks
    from incli.domain.times import short_duration

    now = svc.now()
    lines = []
    for incident in incidents:
        for task in overdue_tasks(incident, now):
            assert task.due_at is not None
            lines.append(f"{incident.id}: {task.id} {task.title} ({short_duration(now - task.due_at)} late)")
    if lines:
        output.heading("Overdue tasks")
        for line in lines:
            output.data(line)


def register(app: typer.Typer) -> None:
    app.command("runbook")(runbook)
    app.add_typer(task_app, name="task")
