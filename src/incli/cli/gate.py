"""``inc gate`` (for CI/CD pipelines: exit 0 to deploy, 1 not to) and ``inc freeze``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from incli import output
from incli.cli.common import ByOption, JsonOption, service
from incli.errors import ExitCode, InvalidInput

ServiceOption = Annotated[str | None, typer.Option("--service", help="The service being deployed.", metavar="NAME")]


def gate(
    ctx: typer.Context,
    service_name: ServiceOption = None,
    severity: Annotated[
        str,
        typer.Option("--severity", "-s", help="Block on incidents of this severity or worse.", metavar="SEV"),
    ] = "SEV2",
    json: JsonOption = False,
) -> None:
    """May we deploy? Exit 0 when yes; 1, with one line naming why, when an incident of --severity
    or worse is active on the service or anything it depends on (catalog.yaml), or a freeze holds."""
    from incli.service.gate import gate as decide

    svc = service(ctx)
    decision = decide(svc, service_name, severity)
    if json:
        output.json_out(decision.to_json())
    else:
        what = service_name or "any service"
        if decision.ok:
            scope = f"{what} or what it depends on" if decision.watched[1:] else what
            output.data(f"ok: no {svc.config.severity(severity).id} or worse incident active on {scope}; no freeze")
        else:
            reasons = []
            if decision.blocking:
                listed = ", ".join(_why(i, service_name) for i in decision.blocking)
                reasons.append(f"active: {listed}")
            if decision.freeze:
                f = decision.freeze
                reasons.append(f"frozen until {output.local(f.until)} ({f.service or 'every service'}: {f.reason})")
            output.data(f"blocked: deploying {what}: {'; '.join(reasons)}")
    if not decision.ok:
        raise typer.Exit(ExitCode.ERROR)


def _why(incident: Any, service_name: str | None) -> str:
    """``INC-1 (SEV1 on db, which payments depends on)``."""
    from incli.domain.model import service_key

    if not incident.service:
        where = "naming no service"
    elif service_name is None or service_key(incident.service) == service_key(service_name):
        where = f"on {incident.service}"
    else:
        where = f"on {incident.service}, which {service_name} depends on"
    return f"{incident.id} ({incident.severity} {where})"


def freeze(
    ctx: typer.Context,
    service_name: Annotated[
        str | None, typer.Option("--service", help="The service to freeze (default: every service).", metavar="NAME")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option("--until", help="When the freeze ends: 18:00, 'in 4h', 3d, an ISO time.", metavar="TIME"),
    ] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why deploys are frozen.", metavar="TEXT")] = None,
    lift: Annotated[bool, typer.Option("--lift", help="End the freeze in force on --service now.")] = False,
    by: ByOption = None,
) -> None:
    """Declare a deploy freeze (kept in freezes.yaml, so CI sees it): inc gate refuses until it ends."""
    from incli.service import gate as gates

    svc = service(ctx)
    if lift:
        if until or reason:
            raise InvalidInput("--lift takes no --until or --reason")
        for ended in gates.lift(svc, service_name):
            output.info(f"freeze on {ended.service or 'every service'} lifted ({ended.reason})")
        return
    if until is None or reason is None:
        raise InvalidInput(
            "give --until and --reason, e.g. inc freeze --service payments --until 18:00 --reason 'SEV1'"
        )
    declared = gates.freeze(svc, service_name, until, reason, by)
    output.info(f"deploys of {declared.service or 'every service'} frozen until {output.local(declared.until)}")


def register(app: typer.Typer) -> None:
    app.command("gate")(gate)
    app.command("freeze")(freeze)
