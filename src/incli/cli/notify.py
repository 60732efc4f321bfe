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


def remind(ctx: typer.Context, dry_run: DryRunOption = False, json: JsonOption = False) -> None:
    """Fire hooks for overdue acknowledgements, stakeholder updates and action items.

    Events: ack_overdue, update_overdue, action_overdue. Each overdue item fires
    once (remembered in .incli/reminders.json); run it from cron every few minutes.
    Hook deliveries that failed since the last run (.incli/pending-hooks.json) are
    tried again first, each to the hook it failed on.
    """
    from incli.service.hooks import Hooks
    from incli.service.remind import remind as run_remind

    svc = service(ctx)
    hooks = _hooks(svc)
    assert isinstance(hooks, Hooks)
    if dry_run:
        waiting = len(hooks.pending())
        if waiting:
            output.info(f"would retry {waiting} failed hook deliver{'ies' if waiting != 1 else 'y'}")
    else:
        for retried in hooks.retry_pending():
            output.info(retried.line())
    items = run_remind(svc, hooks, dry_run=dry_run)
    if json:
        output.json_out([i.to_json() for i in items])
        return
    if not items:
        output.info("No new reminders to send.")
        return
    from incli.domain.times import parse_stored

    rows = [
        [
            item.incident.id,
            item.event,
            item.due if len(item.due) == 10 else output.local(parse_stored(item.due)),  # a date, or a time
            item.what,
            item.outcome,
        ]
        for item in items
    ]
    output.table(REMIND_COLUMNS, rows)


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)
    app.command("remind")(remind)
