"""Commands that read: list, show, status."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import typer

from incli import output
from incli.cli.common import JsonOption, LimitOption, QuietOption, RequiredId, service
from incli.domain import durations
from incli.domain.config import Config
from incli.domain.metrics import TIME_INDEX
from incli.domain.model import MILESTONE_LABELS, UNKNOWN_SEVERITY, Incident, assumed_times, is_imported
from incli.domain.times import describe_duration, short_duration, to_iso


def _styles(incident: Incident, config: Config) -> tuple[str, str]:
    return output.severity_style(config.rank(incident.severity)), output.STATUS_STYLES.get(incident.status, "")


# Each table's columns once; at narrow widths the highest ``drop`` goes first (README: Tables).
LIST_COLUMNS = (
    output.Column("ID", output.ID),
    output.Column("Opened", drop=1),
    output.Column("Sev"),
    output.Column("Status"),
    output.Column("Service", drop=3),
    output.Column("Duration", drop=2),
    output.Column("Title", output.TEXT),
)
STATUS_COLUMNS = (
    output.Column("ID", output.ID),
    output.Column("Sev"),
    output.Column("Status"),
    output.Column("Duration", drop=1),
    output.Column("Commander", drop=3),
    output.Column("Next update", drop=2),
    output.Column("Overdue", lines=True),
    output.Column("Title", output.TEXT),
)
OWED = {"acknowledgement": "ack"}
TIMELINE_COLUMNS = (
    output.Column("When"),
    output.Column("What"),
    output.Column("Who", drop=1),
    output.Column("Text", output.TEXT, wrap=True),
)


def list_incidents(
    ctx: typer.Context,
    status: Annotated[
        str | None,
        typer.Option("--status", help="open, acknowledged, mitigated, resolved, reopened or active.", metavar="STATUS"),
    ] = None,
    severity: Annotated[str | None, typer.Option("--severity", "-s", help="Only this severity.", metavar="SEV")] = None,
    service_name: Annotated[str | None, typer.Option("--service", help="Only this service.", metavar="NAME")] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Only incidents opened since TIME.", metavar="TIME")
    ] = None,
    limit: LimitOption = None,
    quiet: QuietOption = False,
    json: JsonOption = False,
) -> None:
    """List incidents, newest first."""
    svc = service(ctx)
    # From the derived index: the few fields a listing needs, and the ready --json text.
    found = svc.list_facts(status=status, severity=severity, service=service_name, since=since, with_json=json)
    shown = found[: output.row_limit(limit, json)]
    if json:
        output.json_array_out(text() for _facts, text in shown if text is not None)
        output.more(len(shown), len(found))
        return
    if quiet:
        output.table(LIST_COLUMNS, [[item.id] for item, _text in shown], total=len(found), quiet=True)
        return
    now = svc.now().timestamp()
    opened_i, started_i, resolved_i = (TIME_INDEX[n] for n in ("opened_at", "started_at", "resolved_at"))
    # Kept per distinct value (a few severities and statuses; durations repeat): the same
    # texts as computing each row's, at a fraction of the time on 100,000 rows.
    durations: dict[float, str] = {}
    severity_styles: dict[str, str] = {}
    row_styles: dict[tuple[str, str], list[str | None]] = {}
    rows, styles = [], []
    for item, _text in shown:
        times = item.times
        resolved = times[resolved_i]
        impact = max((resolved if resolved is not None else now) - (times[started_i] or 0), 0)
        duration = durations.get(impact)
        if duration is None:
            duration = durations[impact] = short_duration(timedelta(seconds=impact))
        rows.append(
            [
                item.id,
                output.local_minute(times[opened_i] or 0),
                item.severity,
                item.status,
                item.service or "-",
                duration,
                item.title + " (drill)" if item.drill else item.title,
            ]
        )
        sev_style = severity_styles.get(item.severity)
        if sev_style is None:
            sev_style = severity_styles[item.severity] = output.severity_style(svc.config.rank(item.severity))
        pair = (sev_style, output.STATUS_STYLES.get(item.status, ""))
        if pair not in row_styles:  # one list per pair of styles, shared by its rows (never changed)
            row_styles[pair] = [None, None, *pair, None, None, None]
        styles.append(row_styles[pair])
    output.table(LIST_COLUMNS, rows, styles=styles, empty="No incidents match.", total=len(found))


def show(
    ctx: typer.Context,
    incident_id: RequiredId,
    no_pager: Annotated[
        bool, typer.Option("--no-pager", help="Print straight to the terminal, not through $PAGER.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Show an incident with its timeline and the durations so far."""
    svc = service(ctx)
    incident = svc.get(incident_id)
    if json:
        output.json_out(incident.to_json())
        return
    with output.paged(not no_pager):
        _show(svc, incident)


def _show(svc: Any, incident: Incident) -> None:
    now = svc.now()
    sev_style, status_style = _styles(incident, svc.config)
    level = svc.config.find_severity(incident.severity)
    if level:
        severity = f"{incident.severity} ({level.name}: {level.description})"
    elif incident.severity == UNKNOWN_SEVERITY:
        severity = f"{UNKNOWN_SEVERITY} (not recorded where it was imported from)"
    else:
        severity = f"{incident.severity} (not in the config)"
    pairs: list[tuple[str, str, str | None]] = [
        ("Title", incident.title, "bold"),
        ("Severity", severity, sev_style),
        ("Status", incident.status + (" (drill)" if incident.drill else ""), status_style),
        ("Service", incident.service or "-", None),
        ("Commander", incident.commander or "-", None),
    ]
    for role, person in sorted(incident.roles.items()):
        pairs.append((role.capitalize(), person, None))
    if incident.tags:
        pairs.append(("Tags", ", ".join(incident.tags), None))
    if incident.summary:
        pairs.append(("Summary", incident.summary, None))
    assumed = assumed_times(incident.extra)
    for name, label in MILESTONE_LABELS:
        shown = output.local(incident.time(name), "%Y-%m-%d %H:%M:%S %z")
        if name in assumed:
            shown += f" ({_assumed_from(incident, name)})"
        pairs.append((label, shown, None))
    output.fields(pairs, title=incident.id)

    from incli.cli.catalog import show_block

    show_block(svc, incident)

    output.heading("Durations")
    spans = durations.spans(incident, svc.config.metrics)
    span_pairs: list[tuple[str, str, str | None]] = []
    for metric in svc.config.metrics:
        value = spans[metric.key]
        span_pairs.append((metric.label, describe_duration(value) if value is not None else "-", None))
    impact = durations.impact_duration(incident, now)
    span_pairs.append(("Duration so far" if incident.active else "Duration", describe_duration(impact), None))
    late = durations.overdue(incident, svc.config, now)
    due = durations.next_update_due(incident, svc.config)
    if due is not None:
        owed = next((o for o in late if o.what == "update"), None)
        shown = output.due(due, now) + (f", {describe_duration(owed.late_by)} late" if owed else "")
        span_pairs.append(("Next update", shown, "bold red" if owed else None))
    for item in late:
        span_pairs.append(
            (
                f"Overdue {item.what}",
                f"due {output.due(item.due_at, now)}, {describe_duration(item.late_by)} late",
                "bold red",
            )
        )
    output.fields(span_pairs)

    output.heading("Timeline")
    rows = [[output.local(e.at), e.kind, e.by or "-", e.text] for e in incident.timeline]
    output.table(TIMELINE_COLUMNS, rows, empty="(empty)")

    from incli.cli.search import show_block as related_block

    related_block(svc, incident)

    from incli.cli.postmortem import followups

    pairs = followups(svc, incident)
    if pairs:
        output.heading("Postmortem and action items")
        output.fields(pairs)


def _assumed_from(incident: Incident, name: str) -> str:
    """How an assumed milestone was filled in, for inc show: "assumed: declared"."""
    moment = incident.time(name)
    for other, word in (("opened_at", "declared"), ("detected_at", "detected"), ("started_at", "impact start")):
        if other != name and other not in assumed_times(incident.extra) and incident.time(other) == moment:
            return f"assumed: {word}"
    return "assumed"


def _status_row(incident: Incident, config: Config, now: datetime) -> dict[str, Any]:
    due = durations.next_update_due(incident, config)
    return {
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "status": incident.status,
        "commander": incident.commander,
        "age_seconds": int(durations.impact_duration(incident, now).total_seconds()),
        "next_update_due": to_iso(due) if due else None,
        "overdue": [
            {"what": o.what, "due_at": to_iso(o.due_at), "late_by_seconds": int(o.late_by.total_seconds())}
            for o in durations.overdue(incident, config, now)
        ],
    }


def status(ctx: typer.Context, limit: LimitOption = None, quiet: QuietOption = False, json: JsonOption = False) -> None:
    """The active incidents at a glance: age, severity, commander and what is overdue."""
    svc = service(ctx)
    now = svc.now()
    everything = sorted(svc.active(), key=lambda i: (svc.config.rank(i.severity), i.opened_at))
    if json:
        paging: Any = lambda _incident: {}  # noqa: E731 - no escalation key when not on call
        if svc.paging_in_use():
            from incli.cli.oncall import escalation_json

            paging = escalation_json(svc, everything)
        shown = everything[: output.row_limit(limit, json)]
        output.json_out(
            [{**_status_row(i, svc.config, now), "imported": is_imported(i.extra), **paging(i)} for i in shown]
        )
        output.more(len(shown), len(everything))
        return
    from incli.cli.postmortem import action_summary

    # Imported history without an end is not an incident someone is working: listed apart.
    unresolved_imports = [i for i in everything if is_imported(i.extra) and i.resolved_at is None]
    apart = {i.id for i in unresolved_imports}
    active = [i for i in everything if i.id not in apart]
    shown = active[: output.row_limit(limit)]
    if quiet:
        output.table(STATUS_COLUMNS, [[i.id] for i in shown], total=len(active), quiet=True)
        return
    if unresolved_imports:
        count = len(unresolved_imports)
        output.note(
            f"{count} imported incident{'s have' if count != 1 else ' has'} no resolution: "
            "resolve them with inc resolve ID --at TIME"
        )
    if not active:
        output.note("No active incidents.")
        action_summary(svc)
        return
    rows, styles = [], []
    for incident in shown:
        sev_style, status_style = _styles(incident, svc.config)
        late = durations.overdue(incident, svc.config, now)
        due = durations.next_update_due(incident, svc.config)
        # One overdue item a line, "ack" for short: the durations are what must not be cut.
        owed = "\n".join(f"{OWED.get(o.what, o.what)} {short_duration(o.late_by)} late" for o in late)
        next_update = output.due(due, now)
        rows.append(
            [
                incident.id,
                incident.severity,
                incident.status,
                short_duration(durations.impact_duration(incident, now)),
                incident.commander or "-",
                next_update,
                owed or "-",
                incident.title,
            ]
        )
        styles.append([None, sev_style, status_style, None, None, None, "bold red" if late else None, None])
    output.table(
        STATUS_COLUMNS,
        rows,
        styles=styles,
        title=f"{len(active)} active incident{'s' if len(active) != 1 else ''}",
        total=len(active),
    )
    if any(i.extra.get("tasks") for i in active):  # checklist tasks (cli/runbooks.py)
        from incli.cli.runbooks import status_block

        status_block(svc, active)
    if svc.paging_in_use():
        from incli.cli.oncall import escalation_lines

        escalation_lines(svc, active, now)
    action_summary(svc)


def register(app: typer.Typer) -> None:
    app.command("list")(list_incidents)
    app.command("show")(show)
    app.command("status")(status)
