"""``inc watch`` (prevention rules over metrics) and ``inc remind`` (overdue reminders)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from incli import output
from incli.cli.common import JsonOption, service
from incli.errors import InvalidInput, NotFound

DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Only report what would be done; change nothing.")]


# Dropped at narrow widths highest first (README: Tables).
WATCH_COLUMNS = (output.Column("Rule"), output.Column("Seen", output.TEXT), output.Column("Outcome", output.TEXT))
REMIND_COLUMNS = (
    output.Column("Incident", output.ID),
    output.Column("Event", drop=2),
    output.Column("Due", drop=1),
    output.Column("Overdue", output.TEXT),
    output.Column("Outcome", output.TEXT),
)


def _hooks(svc: object) -> object:
    """The hooks, checked strictly: a broken hooks: section is an error here, not a warning."""
    from incli.service.hooks import Hooks

    config = svc.config  # type: ignore[attr-defined]
    return Hooks(config, svc.repo.root, output.warn, svc.repo)  # type: ignore[attr-defined]


def watch(
    ctx: typer.Context,
    metrics: Annotated[
        str,
        typer.Option(
            "--metrics",
            "-m",
            metavar="FILE|-",
            show_default=False,
            help="Current values: Prometheus text format, or JSON {name: value}; - reads stdin.",
        ),
    ],
    dry_run: DryRunOption = False,
    json: JsonOption = False,
) -> None:
    """Apply the prevention rules (rules: in incli.yaml) to current metric values.

    Action open opens an incident (once while one for the rule is active), notify
    fires the rule_triggered hooks, run runs the rule's command. Prints one line
    per rule: what it saw and what it did.
    """
    from incli.domain.rules import parse_metrics
    from incli.service.rules import watch as run_watch

    svc = service(ctx)
    hooks = _hooks(svc)
    if metrics == "-":
        text, where = sys.stdin.read(), "stdin"
    else:
        try:
            with open(metrics, encoding="utf-8") as handle:
                text, where = handle.read(), metrics
        except FileNotFoundError:
            raise NotFound(f"no such file: {metrics}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {metrics}: {exc}") from None
    samples = parse_metrics(text, where)
    reports = run_watch(svc, hooks, samples, dry_run=dry_run)  # type: ignore[arg-type]
    if json:
        output.json_out([r.to_json() for r in reports])
        return
    rows = [[r.rule.name, r.evaluation.describe(), r.outcome] for r in reports]
    output.table(WATCH_COLUMNS, rows, empty="No rules configured (rules: in incli.yaml).")


def remind(
    ctx: typer.Context,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Run the clock at this time (default now), for tests and backfills.", metavar="TIME"),
    ] = None,
    dry_run: DryRunOption = False,
    json: JsonOption = False,
) -> None:
    """Fire hooks for overdue acknowledgements, stakeholder updates and action items,
    page the next escalation level of unacknowledged incidents, and announce handoffs.

    Events: ack_overdue, update_overdue, action_overdue, page, escalated, handoff. Each
    fires once (reminders are remembered in .incli/reminders.json, pages in the incident
    file); run it from cron every minute, on one clone per team. Hook deliveries that
    failed since the last run (.incli/pending-hooks.json) are tried again first, each to
    the hook it failed on.
    """
    from incli.domain.times import parse_time
    from incli.service.hooks import Hooks
    from incli.service.oncall import fire_handoffs
    from incli.service.paging import escalate
    from incli.service.remind import remind as run_remind

    svc = service(ctx)
    if at is not None:
        svc.set_clock(parse_time(at, svc.now()))
    hooks = _hooks(svc)
    assert isinstance(hooks, Hooks)
    if dry_run:
        waiting = len(hooks.pending())
        if waiting:
            output.info(f"would retry {waiting} failed hook deliver{'ies' if waiting != 1 else 'y'}")
    else:
        for retried in hooks.retry_pending():
            output.info(retried.line())
    pages = escalate(svc, hooks, warn=output.warn, dry_run=dry_run)
    items = run_remind(svc, hooks, dry_run=dry_run)
    turns = [] if dry_run else fire_handoffs(svc, hooks, svc.now())
    if json:
        output.json_out(
            [p.to_json() for p in pages]
            + [i.to_json() for i in items]
            + [
                {"event": "handoff", "schedule": t.schedule, "at": t.at.isoformat(), "incoming": t.incoming}
                for t in turns
            ]
        )
        return
    if not items and not pages and not turns:
        output.info("No new reminders to send.")
        return
    from incli.domain.times import parse_stored

    rows = [
        [page.incident.id, page.event, output.local(page.entry.at), page.entry.text, page.outcome] for page in pages
    ]
    rows += [
        [
            item.incident.id,
            item.event,
            item.due if len(item.due) == 10 else output.local(parse_stored(item.due)),  # a date, or a time
            item.what,
            item.outcome,
        ]
        for item in items
    ]
    if rows:
        output.table(REMIND_COLUMNS, rows)
    for turn in turns:
        output.info(
            f"handoff: {turn.schedule}: {turn.incoming or 'nobody'} takes over from {turn.outgoing or 'nobody'}"
        )


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)
    app.command("remind")(remind)
