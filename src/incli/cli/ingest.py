"""``inc ingest``: alerts in, from a file, stdin, or an HTTP endpoint Alertmanager posts to."""

from __future__ import annotations

import os
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
        typer.Argument(help="A webhook notification (JSON, version 4), or - for stdin.", metavar="FILE|-"),
    ] = "-",
    json: JsonOption = False,
) -> None:
    """Ingest an Alertmanager webhook notification.

    A firing group opens an incident, or adds its new alerts to the one already
    active for the same group key; a resolved group marks it mitigated. Sending
    the same notification twice changes nothing. Prints the incident id.
    """
    from incli.service.ingest import ingest_payload

    where = "stdin" if source == "-" else source
    try:
        data = _read(source)
        result = ingest_payload(service(ctx), "alertmanager", data)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    if json:
        output.json_out(result.to_json())
        return
    output.data(result.incident_id)
    output.info(result.message)


def _check_token(token: str) -> None:
    """Refuse a token no client could send: blank, padded with spaces (HTTP trims those
    from a header), or holding control or non-ASCII characters."""
    if not token.strip():
        raise InvalidInput("--token (or INC_INGEST_TOKEN) is blank; give a secret, or leave it unset")
    if token != token.strip():
        raise InvalidInput("--token (or INC_INGEST_TOKEN) starts or ends with whitespace; no client can send that")
    if not all(" " < ch < "\x7f" for ch in token):
        raise InvalidInput("--token (or INC_INGEST_TOKEN) must be printable ASCII without spaces")


@ingest_app.command("serve")
def serve(
    ctx: typer.Context,
    bind: Annotated[str, typer.Option("--bind", help="Address to listen on.", metavar="ADDRESS")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on (0 picks a free one).", metavar="N", min=0, max=65535)
    ] = 9095,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="INC_INGEST_TOKEN",
            metavar="TOKEN",
            show_default=False,
            help="Require 'Authorization: Bearer TOKEN' (or set INC_INGEST_TOKEN, kept out of ps).",
        ),
    ] = None,
    max_bytes: Annotated[int, typer.Option("--max-bytes", help="Largest payload accepted.", metavar="N", min=1)] = 1024
    * 1024,
    escalate_every: Annotated[
        str,
        typer.Option("--escalate-every", help="Run the escalation clock this often while serving.", metavar="DURATION"),
    ] = "30s",
) -> None:
    """Serve an HTTP endpoint for Alertmanager's webhook_config.

    POST notifications to http://ADDRESS:PORT/alertmanager. Answers 200 with the
    incident, 400 for what is not a notification, 401 without the token, 413 above
    --max-bytes. Logs one line per request on stderr; stop it with Ctrl-C. While it
    runs it is also the escalation clock (as inc remind is): every --escalate-every.
    """
    import signal

    from incli.serve import IngestServer
    from incli.service.hooks import Hooks
    from incli.service.incidents import Service

    if token is None and os.environ.get("INC_INGEST_TOKEN") == "":
        token = ""  # set but empty (Click reads that as unset): meant as a secret, so refuse it
    if token is not None:
        _check_token(token)
    from incli.domain.times import parse_duration
    from incli.service.paging import Paging, run_clock

    every = parse_duration(escalate_every).total_seconds()
    if every < 1:
        raise InvalidInput("--escalate-every must be at least 1s")
    repo = service(ctx).repo

    def make_service() -> Service:
        svc = Service(repo)
        svc.listeners.append(Hooks(svc.config, repo.root, output.warn))
        svc.listeners.append(Paging(svc, output.warn))
        return svc

    try:
        server = IngestServer((bind, port), make_service, token or None, output.info, max_bytes)
    except OSError as exc:
        raise InvalidInput(f"cannot listen on {bind}:{port}: {exc.strerror or exc}") from None
    host = f"[{bind}]" if ":" in bind else bind
    output.info(f"inc: listening on http://{host}:{server.port}/alertmanager for {repo.root}")
    if not token and bind not in ("127.0.0.1", "localhost", "::1"):
        output.warn(f"listening on {bind} without --token: anyone who can reach it can open incidents")
    sys.stderr.flush()

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    import threading

    stopping = threading.Event()
    clock = threading.Thread(
        target=run_clock,
        args=(make_service, every, stopping, output.info, output.warn),
        name="inc-escalation",
        daemon=True,
    )
    clock.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        output.info("inc: stopped")
    finally:
        stopping.set()
        server.server_close()


def register(app: typer.Typer) -> None:
    app.add_typer(ingest_app)
