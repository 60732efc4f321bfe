"""``inc ingest``: alerts in, from a file, stdin, or an HTTP endpoint Alertmanager posts to."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from incli import output
from incli.cli.common import JsonOption, service
from incli.errors import InvalidInput, NotFound

ingest_app = typer.Typer(
    name="ingest",
    help="Turn alerts into incidents: Alertmanager notifications from a file, stdin or HTTP.",
    no_args_is_help=True,
)


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        with open(source, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        raise NotFound(f"no such file: {source}") from None
    except IsADirectoryError:
        raise InvalidInput(f"{source} is a folder; give a JSON file or - for stdin") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {source}: {exc.strerror or exc}") from None


@ingest_app.command("alertmanager")
def alertmanager(
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(help="A webhook notification (JSON, version 4), or - for stdin.", metavar="[FILE|-]"),
    ] = "-",
    json: JsonOption = False,
) -> None:
    """Ingest an Alertmanager webhook notification.

    A firing group opens an incident, or adds its new alerts to the one already
    active for the same group key; a resolved group marks it mitigated. Sending
    the same notification twice changes nothing. Prints the incident id.
    """
    from incli.domain.alerts import parse_json
    from incli.ingest import ingest_alertmanager

    where = "stdin" if source == "-" else source
    try:
        notification = parse_json(_read(source))
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    result = ingest_alertmanager(service(ctx), notification)
    if json:
        output.json_out(result.to_json())
        return
    output.data(result.incident_id)
    output.info(result.message)


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app)
