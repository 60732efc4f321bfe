"""``inc postmortem``: start, write, review, check, render and schedule blameless postmortems."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from incli import output
from incli.cli.common import (
    AtOption,
    ByOption,
    JsonOption,
    LimitOption,
    QuietOption,
    RequiredId,
    SortOption,
    service,
)
from incli.errors import ExitCode

app = typer.Typer(
    name="postmortem",
    help="Blameless postmortems: write them next to the incident, check them, render them from templates.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

SECTION_HELP = (
    "summary, impact, root-cause, contributing-factor, went-well, could-improve, lesson "
    "(also trigger, detection, resolution, lucky)."
)


def _pms(ctx: typer.Context) -> Any:
    from incli.service.postmortems import Postmortems

    return Postmortems(service(ctx))


def _write(text: str, out: Path | None, what: str) -> None:
    if out is None:
        # A document: exact in a pipe or a file; on a terminal, nothing in it may drive the screen.
        typer.echo(output.visible(text) if sys.stdout.isatty() else text, nl=False)
        return
    from incli.service.repository import write_output

    write_output(out, text)
    output.info(f"{what} written to {out}")


@app.command("new")
def new(
    ctx: typer.Context,
    incident_id: RequiredId,
    author: Annotated[
        list[str] | None, typer.Option("--author", help="An author (default: --by); repeat for more.", metavar="NAME")
    ] = None,
    by: ByOption = None,
    at: AtOption = None,
) -> None:
    """Start a postmortem (draft) for a mitigated or resolved incident."""
    incident = _pms(ctx).start(incident_id, by=by, authors=author or [], at=at)
    output.info(f"{incident.id}: postmortem started (draft)")
    output.info(f'Next: inc postmortem add {incident.id} root-cause "..." or inc postmortem edit {incident.id}')


@app.command("edit")
def edit(ctx: typer.Context, incident_id: RequiredId) -> None:
    """Open the postmortem in $EDITOR; what does not validate is not saved (your text is kept)."""
    from incli.cli.editor import edit_draft

    pms = _pms(ctx)
    incident, original = pms.edit_text(incident_id)
    draft = pms.service.draft(f"{incident.id}.postmortem.yaml", original)
    if edit_draft(draft, lambda text: pms.replace_text(incident.id, draft.base, text), incident.id):
        output.info(f"{incident.id}: postmortem saved")


@app.command("add")
def add(
    ctx: typer.Context,
    incident_id: RequiredId,
    section: Annotated[str, typer.Argument(help=SECTION_HELP, metavar="SECTION", show_default=False)],
    text: Annotated[str, typer.Argument(help="The text, quoted.", metavar="TEXT", show_default=False)],
) -> None:
    """Append text to a section of the postmortem, without an editor."""
    incident, key = _pms(ctx).add(incident_id, section, text)
    output.info(f"{incident.id}: added to {key}")


@app.command("why")
def why(
    ctx: typer.Context,
    incident_id: RequiredId,
    answer: Annotated[
        list[str] | None,
        typer.Option(
            "--answer", "-a", help="An answer, in order; repeat for each. Without it you are asked.", metavar="TEXT"
        ),
    ] = None,
    question: Annotated[
        str | None,
        typer.Option("--question", help="The first question (default: why did the incident happen?).", metavar="TEXT"),
    ] = None,
) -> None:
    """The five whys: ask why about each answer in turn (an empty answer stops early)."""
    from incli.domain.postmortem import why_question

    pms = _pms(ctx)
    incident = pms.service.get(incident_id)
    pms._postmortem(incident)
    limit = pms.settings.whys
    given = list(answer or [])
    if len(given) > limit:
        from incli.errors import InvalidInput

        raise InvalidInput(f"{len(given)} answers given; at most {limit} (postmortem.whys in incli.yaml)")
    steps: list[tuple[str, str]] = []
    subject = incident.title
    if not given:
        output.info(f"Five whys for {incident.id}: answer each question; an empty answer stops (at most {limit}).")
    stopped = False
    for index in range(len(given) if given else limit):
        ask = question if (index == 0 and question) else why_question(subject)
        try:
            reply = (
                given[index]
                if given
                else typer.prompt(
                    f"{index + 1}. {ask}", default="", show_default=False, err=True, prompt_suffix="\n   > "
                )
            )
        except typer.Abort:  # Ctrl-C or Ctrl-D: keep what was answered, if anything
            if not steps:
                raise
            stopped = True
            break
        if not reply.strip():
            break
        steps.append((ask, reply))
        subject = reply
    pms.add_whys(incident.id, steps)
    if stopped:
        output.info("")
        output.info(f"{incident.id}: stopped; the {len(steps)} answer(s) given so far are kept")
    output.info(f"{incident.id}: five-whys chain of {len(steps)} saved")


@app.command("review")
def review(
    ctx: typer.Context,
    incident_id: RequiredId,
    state: Annotated[
        str,
        typer.Option("--state", help="draft, in-review, reviewed or published.", metavar="STATE", show_default=False),
    ],
    by: ByOption = None,
    reviewer: Annotated[
        list[str] | None, typer.Option("--reviewer", help="Add a reviewer; repeat for more.", metavar="NAME")
    ] = None,
    at: AtOption = None,
) -> None:
    """Move the postmortem's review state (recorded in the timeline)."""
    incident, old = _pms(ctx).review(incident_id, state, by=by, reviewers=reviewer or [], at=at)
    output.info(f"{incident.id}: postmortem {old} -> {incident.extra['postmortem']['state']}")


@app.command("render")
def render(
    ctx: typer.Context,
    incident_id: RequiredId,
    template: Annotated[
        str | None,
        typer.Option(
            "--template",
            "-t",
            help="A template name (postmortem, sre, or one in the repository's "
            "templates/ folder) or a path to a .j2 file.",
            metavar="NAME_OR_PATH",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="md or html.", metavar="FORMAT")] = "md",
    out: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.", metavar="FILE")
    ] = None,
) -> None:
    """Render the postmortem from a template (Markdown by default) to stdout or FILE."""
    from incli import render as renderer

    svc = service(ctx)
    incident = svc.get(incident_id)
    repo_templates = svc.repo.templates_dir
    chosen = renderer.find(template, fmt.lower(), repo_templates)
    from incli.service.around import postmortem_context

    data = {**renderer.context(incident, svc.config, svc.now()), **postmortem_context(svc, incident)}
    text = renderer.render(chosen, fmt.lower(), data, repo_templates)
    _write(text, out, "postmortem")


@app.command("pr")
def pull_request(
    ctx: typer.Context,
    incident_id: RequiredId,
    no_gh: Annotated[bool, typer.Option("--no-gh", help="Do not use the gh CLI even when installed.")] = False,
    json: JsonOption = False,
) -> None:
    """Put the postmortem up for review: a branch postmortem/ID with the incident and the rendered
    postmortem, and a pull request through gh (reviewers: the service's owners in catalog.yaml);
    without gh, the branch and a body file to open one with."""
    from incli import render as renderer
    from incli.service.around import postmortem_context
    from incli.service.review import postmortem_pr

    svc = service(ctx)
    incident = svc.get(incident_id)
    repo_templates = svc.repo.templates_dir
    chosen = renderer.find(None, "md", repo_templates)
    data = {**renderer.context(incident, svc.config, svc.now()), **postmortem_context(svc, incident)}
    text = renderer.render(chosen, "md", data, repo_templates)
    made = postmortem_pr(svc, incident.id, text, use_gh=not no_gh)
    if json:
        output.json_out(made.to_json())
        return
    if made.gh:
        output.data(made.url or made.branch)
        output.info(
            f"pull request opened from {made.branch}"
            + (f"; reviewers: {', '.join(made.reviewers)}" if made.reviewers else "")
        )
        return
    output.data(made.branch)
    output.info(f"branch {made.branch} holds the postmortem ({made.commit[:10]}); pull request body: {made.body_file}")
    reviewers = "".join(f" --reviewer {name}" for name in made.reviewers)
    output.info(
        f"push it and open the request, e.g.: git push -u origin {made.branch} && gh pr create --head {made.branch} "
        f"--body-file {made.body_file}{reviewers}"
    )


@app.command("templates")
def templates(
    ctx: typer.Context, limit: LimitOption = None, quiet: QuietOption = False, json: JsonOption = False
) -> None:
    """List the templates and where each comes from (repository ones win over built-ins)."""
    from incli import render as renderer
    from incli.cli.common import state
    from incli.service.repository import templates_folder

    every = renderer.available(templates_folder(state(ctx).directory))
    found = every[: output.row_limit(limit, json)]
    if json:
        output.json_out([t.to_json() for t in found])
        output.more(len(found), len(every))
        return
    rows = [[t.name, t.format, t.source + (" (overridden)" if t.shadowed else ""), str(t.path)] for t in found]
    output.table(TEMPLATE_COLUMNS, rows, empty="No templates found.", total=len(every), quiet=quiet)


@app.command("check")
def check(
    ctx: typer.Context,
    incident_id: Annotated[
        str | None, typer.Argument(help="The incident whose postmortem to check.", metavar="[ID]", show_default=False)
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Check every postmortem in the repository.")] = False,
    json: JsonOption = False,
) -> None:
    """Check postmortems for empty required sections, action items without owner or due date, and blame.

    Exits non-zero on any finding, so it works as a CI gate on a pull request."""
    count, findings = _pms(ctx).check(incident_id, every=every)
    if json:
        output.json_out({"checked": count, "findings": [f.to_json() for f in findings]})
    else:
        for finding in findings:
            output.data(str(finding))
    if findings:
        output.info(
            f"{len(findings)} finding{'s' if len(findings) != 1 else ''} in {count} "
            f"postmortem{'s' if count != 1 else ''}"
        )
        raise typer.Exit(ExitCode.PROBLEMS)
    output.info(f"{count} postmortem{'s' if count != 1 else ''} checked: no findings")


# Dropped at narrow widths highest first (README: Tables).
POSTMORTEM_COLUMNS = (
    output.Column("Incident", output.ID),
    output.Column("Sev", drop=2),
    output.Column("State"),
    output.Column("Due", drop=1),
    output.Column("Deadline"),
    output.Column("Title", output.TEXT),
)
TEMPLATE_COLUMNS = (
    output.Column("Name"),
    output.Column("Format"),
    output.Column("Source", drop=1),
    output.Column("Path", output.TEXT, cut_start=True),
)


@app.command("list")
def list_postmortems(
    ctx: typer.Context,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only those past their due date, not published.")] = False,
    state: Annotated[
        str | None, typer.Option("--state", help="draft, in-review, reviewed, published or missing.", metavar="STATE")
    ] = None,
    sort: SortOption = "newest",
    limit: LimitOption = None,
    quiet: QuietOption = False,
    json: JsonOption = False,
) -> None:
    """Postmortems, and resolved incidents that owe one, newest incident first (--sort due:
    soonest due first)."""
    pms = _pms(ctx)
    found = pms.overview(state=state, overdue=overdue, sort=sort.strip().lower())
    rows = found[: output.row_limit(limit, json)]
    if json:
        output.json_out([r.to_json() for r in rows])
        output.more(len(rows), len(found))
        return
    table, styles = [], []
    for row in rows:
        due = output.local(row.due_at) if row.due_at else "-"
        late = "overdue" if row.overdue else ("on time" if row.on_time else ("late" if row.on_time is False else ""))
        table.append([row.incident.id, row.incident.severity, row.state, due, late or "-", row.incident.title])
        styles.append([None, None, None, None, "bold red" if row.overdue else None, None])
    output.table(POSTMORTEM_COLUMNS, table, styles=styles, empty="No postmortems match.", total=len(found), quiet=quiet)


@app.command("schedule")
def schedule(
    ctx: typer.Context,
    incident_id: RequiredId,
    at: Annotated[
        str,
        typer.Option(
            "--at",
            help="When the review meeting starts: ISO 8601 (2025-01-17T10:00), "
            "'tomorrow 10:00', 'today 15:00' or HH:MM (the next one).",
            metavar="TIME",
            show_default=False,
        ),
    ],
    duration: Annotated[str, typer.Option("--duration", help="How long: 30m, 60m, 1h30m.", metavar="DURATION")] = "60m",
    attendee: Annotated[
        list[str] | None, typer.Option("--attendee", help="An attendee's email; repeat for more.", metavar="EMAIL")
    ] = None,
    organizer: Annotated[
        str | None,
        typer.Option("--organizer", help="The organizer's email (default: git's user.email).", metavar="EMAIL"),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.", metavar="FILE")
    ] = None,
) -> None:
    """Write an iCalendar (.ics) invitation for the postmortem review meeting."""
    text = _pms(ctx).invitation(incident_id, at=at, duration=duration, attendees=attendee or [], organizer=organizer)
    if out is None:
        import sys

        sys.stdout.buffer.write(text.encode("utf-8"))
        sys.stdout.flush()
        return
    _write(text, out, "invitation")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="postmortem")


def followups(svc: Any, incident: Any) -> list[tuple[str, str, str | None]]:
    """For ``inc show``: the postmortem's state and due date, and the open and overdue action items."""
    from incli.domain import postmortem as pm
    from incli.service.postmortems import Postmortems

    pms = Postmortems(svc)
    pairs: list[tuple[str, str, str | None]] = []
    post = incident.extra.get("postmortem")
    settings = pms.settings
    due = pm.due_at(incident, settings)
    late = pm.is_overdue(incident, settings, svc.now())
    if isinstance(post, dict) or due is not None:
        state = pm.state_of(incident)
        if due is not None:
            state += f", due {output.local(due)}" + (" (overdue)" if late else "")
        pairs.append(("Postmortem", state, "bold red" if late else None))
    today = pms.today()
    for action in pm.actions_of(incident):
        if action.get("status") != "open":
            continue
        overdue = pm.action_overdue(action, today)
        text = f"{action.get('title')} (Owner: {action.get('owner') or '-'}, Due: {action.get('due') or '-'})" + (
            " overdue" if overdue else ""
        )
        pairs.append((str(action.get("id")), text, "bold red" if overdue else None))
    opened, overdue_count = pms.action_counts(incident)
    if pm.actions_of(incident):
        pairs.append(
            (
                "Action items",
                f"{opened} open, {overdue_count} overdue, {len(pm.actions_of(incident)) - opened} done",
                None,
            )
        )
    return pairs


def action_summary(svc: Any) -> None:
    """For ``inc status``: one line on open and overdue action items across every incident."""
    from incli.service.postmortems import Postmortems

    still_open, late = Postmortems(svc).action_totals()
    if not still_open:
        return
    line = f"Action items: {still_open} open, {late} overdue"
    output.note(line + (" (inc action list --overdue)" if late else " (inc action list --open)"))
