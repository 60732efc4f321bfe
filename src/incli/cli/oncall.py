"""``inc oncall ...``: who is on call, schedules, overrides, calendars, the load report, handoffs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from incli import output
from incli.cli.common import ByOption, JsonOption, service
from incli.errors import InvalidInput, NotFound

oncall_app = typer.Typer(
    name="oncall",
    help="On call: who is on call now, schedules in oncall/NAME.yaml, overrides, calendars and the load on people.",
    invoke_without_command=True,
    no_args_is_help=False,
)

ScheduleArg = Annotated[str, typer.Argument(help="The schedule (oncall/NAME.yaml).", metavar="SCHEDULE")]
WhoOption = Annotated[str | None, typer.Option("--who", help="Only this person's shifts.", metavar="HANDLE")]
FromOption = Annotated[str | None, typer.Option("--from", help="From this time (default now).", metavar="TIME")]
ToOption = Annotated[str | None, typer.Option("--to", help="Up to this time (default 4 weeks on).", metavar="TIME")]


def _local(moment: Any) -> str:
    return output.local(moment, "%Y-%m-%d %H:%M %Z").strip() if moment is not None else "-"


@oncall_app.callback()
def oncall(
    ctx: typer.Context,
    schedule: Annotated[
        str | None, typer.Option("--schedule", help="Only this schedule.", metavar="NAME", show_default=False)
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Who is on call at this time (default now).", metavar="TIME")
    ] = None,
    json: JsonOption = False,
) -> None:
    """Who is on call now (or --at TIME) on each schedule, until when, and who is next."""
    if ctx.invoked_subcommand is not None:
        if schedule is not None or at is not None or json:
            raise InvalidInput("--schedule, --at and --json go after the subcommand (inc oncall shifts --json)")
        return
    from incli.service import oncall as svc_oncall

    svc = service(ctx)
    found = svc_oncall.who_is_on_call(svc, schedule, at, output.warn)
    if json:
        output.json_out([item.to_json() for item in found])
        return
    rows = []
    for item in found:
        source = "override" if item.override else (item.layer or "-")
        rows.append([item.schedule, item.on_call or "nobody", _local(item.until), item.next or "-", source])
    output.table(["Schedule", "On call", "Until", "Next", "From"], rows, title="On call")


@oncall_app.command("new")
def new(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The schedule's name (its file is oncall/NAME.yaml).", metavar="NAME")],
    rotation: Annotated[
        str, typer.Option("--rotation", help="Handles in order, comma-separated: alice,bob,carol.", metavar="HANDLES")
    ],
    every: Annotated[str, typer.Option("--every", help="Shift length: 1w, 1d, 12h, daily, weekly.", metavar="LENGTH")],
    handoff: Annotated[
        str, typer.Option("--handoff", help="Handoff time: 'mon 09:00' (weekly) or 09:00.", metavar="WHEN")
    ],
    tz: Annotated[str, typer.Option("--tz", help="Time zone of the handoff: Europe/Berlin.", metavar="ZONE")],
    start: Annotated[str, typer.Option("--start", help="Date of the first handoff (YYYY-MM-DD).", metavar="DATE")],
    layer: Annotated[
        str | None, typer.Option("--layer", help="Layer name; adds a layer to an existing schedule.", metavar="NAME")
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Restrict the layer: 'mon-fri 09:00-17:00'; repeat for more.", metavar="SPAN"),
    ] = None,
) -> None:
    """Write a schedule with one rotation layer (or add a layer to it)."""
    from incli.service import oncall as svc_oncall
    from incli.service.repository import register_schedules

    svc = service(ctx)
    schedule, path, created = svc_oncall.new(
        svc, name, rotation=rotation, every=every, handoff=handoff, tz=tz, start=start, layer=layer, only=only
    )
    for line in register_schedules(svc.repo):
        output.info(line)
    added = schedule.layers[-1]
    verb = "Wrote" if created else f"Added layer {added.name} to"
    output.info(f"{verb} {path}: {', '.join(added.rotation)}, {added.handoff.text} {added.tz}")


@oncall_app.command("shifts")
def shifts(
    ctx: typer.Context,
    schedule: ScheduleArg,
    start: FromOption = None,
    end: ToOption = None,
    who: WhoOption = None,
    json: JsonOption = False,
) -> None:
    """The resolved shifts of a schedule, overrides applied."""
    from incli.service import oncall as svc_oncall

    svc = service(ctx)
    found, items = svc_oncall.shifts(svc, schedule, start, end, who)
    if json:
        output.json_out([s.to_json(found.name) for s in items])
        return
    rows = [
        [_local(s.start), _local(s.end), s.who or "-", "override" if s.override else (s.layer or "-")] for s in items
    ]
    output.table(["From", "To", "Who", "Source"], rows, title=f"Shifts: {found.name}")


@oncall_app.command("override")
def override(
    ctx: typer.Context,
    schedule: ScheduleArg,
    who: Annotated[str, typer.Option("--who", help="Who takes the shift.", metavar="HANDLE")],
    start: Annotated[str, typer.Option("--from", help="When the override starts.", metavar="TIME")],
    end: Annotated[
        str, typer.Option("--to", help="When it ends (HH:MM: the first such time after --from).", metavar="TIME")
    ],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (a swap, cover).", metavar="TEXT")] = None,
    by: ByOption = None,
) -> None:
    """Add an override (a swap or cover); appended, so clones merge without conflict."""
    from incli.service import oncall as svc_oncall

    svc = service(ctx)
    item, path, overlaps = svc_oncall.add_override(svc, schedule, who=who, start=start, end=end, reason=reason, by=by)
    output.info(f"Override in {path}: {item.who} from {_local(item.start)} to {_local(item.end)}")
    for index in overlaps:
        output.warn(f"it overlaps overrides[{index}]; the newer one wins (inc validate reports it)")


@oncall_app.command("export")
def export(
    ctx: typer.Context,
    schedule: ScheduleArg,
    out: Annotated[Path, typer.Option("-o", "--output", help="The .ics file to write.", metavar="FILE.ics")],
    who: WhoOption = None,
    start: Annotated[
        str | None, typer.Option("--from", help="From this time (default a week ago).", metavar="TIME")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Up to this time (default 12 weeks after --from).", metavar="TIME")
    ] = None,
) -> None:
    """Write the shifts as an iCalendar (RFC 5545) file with stable UIDs, for subscribing."""
    from incli.service import oncall as svc_oncall
    from incli.service.repository import write_output

    svc = service(ctx)
    text, count = svc_oncall.export_calendar(svc, schedule, who, start, end)
    write_output(out, text)
    output.info(f"Wrote {count} shift{'s' if count != 1 else ''} to {out}")


@oncall_app.command("import")
def import_calendar(
    ctx: typer.Context,
    schedule: ScheduleArg,
    source: Annotated[Path, typer.Argument(help="An iCalendar (.ics) file of shifts.", metavar="FILE.ics")],
    layer: Annotated[
        str | None,
        typer.Option("--layer", help="Make a rotation layer of the shifts (default: overrides).", metavar="NAME"),
    ] = None,
    tz: Annotated[
        str | None,
        typer.Option("--tz", help="Zone for times without one, and of a new layer.", metavar="ZONE"),
    ] = None,
    by: ByOption = None,
) -> None:
    """Read an iCalendar file of shifts (each event: who in SUMMARY or ATTENDEE) into overrides or a layer."""
    from incli.service import oncall as svc_oncall

    try:
        if source.stat().st_size > 5 * 1024 * 1024:
            raise InvalidInput(f"{source} is over 5 MB; import a shorter range")
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFound(f"no such file: {source}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"cannot read {source}: {exc}") from None
    svc = service(ctx)
    found, path, count = svc_oncall.import_calendar(svc, schedule, text, layer=layer, tz=tz, by=by)
    what = f"layer {found.layers[-1].name}" if layer is not None else f"{count} override{'s' if count != 1 else ''}"
    output.info(f"Imported {what} into {path}")


@oncall_app.command("report")
def report(
    ctx: typer.Context,
    since: Annotated[str | None, typer.Option("--since", help="Only pages from this time.", metavar="TIME")] = None,
    json: JsonOption = False,
) -> None:
    """The load on people: pages, outside working hours, in sleep hours, acks, time to acknowledge."""
    from incli.domain.times import short_duration
    from incli.service import oncall as svc_oncall

    loads = svc_oncall.report(service(ctx), since)
    if json:
        output.json_out([item.to_json() for item in loads])
        return
    if not loads:
        output.data("No pages recorded.")
        return
    from datetime import timedelta

    def spell(seconds: float | None) -> str:
        return short_duration(timedelta(seconds=seconds)) if seconds is not None else "-"

    rows = []
    for item in loads:
        data = item.to_json()
        rows.append(
            [
                item.handle,
                str(item.pages),
                str(item.outside_working_hours),
                str(item.sleep_hours),
                str(item.acknowledged),
                spell(data["time_to_ack_median_seconds"]),
                spell(data["time_to_ack_p90_seconds"]),
            ]
        )
    output.table(["Person", "Pages", "Off hours", "Sleep", "Acks", "Ack median", "Ack p90"], rows, title="On-call load")


@oncall_app.command("handoff")
def handoff(
    ctx: typer.Context,
    schedule: Annotated[
        str | None, typer.Argument(help="The schedule (default: the default one).", metavar="[SCHEDULE]")
    ] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="The last handoff before this time (default now).", metavar="TIME")
    ] = None,
) -> None:
    """For the person coming on: what happened in the shift that ended, as Markdown."""
    from incli.service import oncall as svc_oncall

    result = svc_oncall.handoff(service(ctx), schedule, at)
    output.data(result.markdown.rstrip("\n"))


# -- inc status: the escalation block ------------------------------------------------


def escalation_json(svc: Any, incidents: list[Any]) -> Any:
    """For inc status --json: a function giving each incident's ``escalation`` key
    (``{"reached": {level, round} | null, "next": {level, round, at, who} | null}``), or
    nothing when the repository is not on call."""
    from incli.service import paging

    if not paging.in_use(svc):
        return lambda _incident: {}
    schedules = paging.load_schedules(svc)
    default = paging.default_schedule(svc, schedules)
    return lambda incident: {"escalation": paging.status_of(svc, incident, schedules, default)}


def escalation_lines(svc: Any, incidents: list[Any], now: Any) -> None:
    """For inc status: per active incident, the level reached and who is paged next, when."""
    describe = escalation_json(svc, incidents)
    lines = []
    for incident in incidents:
        state = describe(incident).get("escalation")
        if state is None:
            continue
        reached, following = state["reached"], state["next"]
        text = f"level {reached['level']}" if reached else "not paged yet"
        if following:
            from incli.domain.times import parse_iso

            who = ", ".join(following["who"]) or "nobody"
            when = output.due(parse_iso(following["at"]), now)
            text += f"; next: level {following['level']} ({who}) at {when}"
        elif incident.acknowledged_at is not None or incident.status not in ("open", "reopened"):
            text += "; stopped (acknowledged)"
        else:
            text += "; no further level"
        lines.append(f"{incident.id}  {text}")
    if lines:
        output.heading("Escalation")
        for line in lines:
            output.data(line)


def register(app: typer.Typer) -> None:
    app.add_typer(oncall_app)
