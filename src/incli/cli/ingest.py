"""``inc ingest``: alerts in, from a file, stdin, or an HTTP endpoint every alert source posts to."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from incli import output
from incli.cli.common import JsonOption, service
from incli.errors import InvalidInput, NotFound


class _IngestGroup(TyperGroup):
    """``inc ingest generic:NAME FILE`` is ``inc ingest generic NAME FILE``."""

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0].startswith("generic:"):
            args = ["generic", args[0].partition(":")[2], *args[1:]]
        return super().resolve_command(ctx, args)


ingest_app = typer.Typer(
    name="ingest",
    cls=_IngestGroup,
    help="Turn alerts into incidents: Alertmanager, Grafana, PagerDuty, Opsgenie, CloudWatch or your own JSON, "
    "from a file, stdin or HTTP.",
    no_args_is_help=True,
)

MAX_FILE_BYTES = 16 * 1024 * 1024  # a notification is kilobytes; a file over this is not one


def _read(source: str) -> bytes:
    if source == "-":
        data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
    else:
        try:
            with open(source, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            raise NotFound(f"no such file: {source}") from None
        except IsADirectoryError:
            raise InvalidInput(f"{source} is a folder; give a JSON file or - for stdin") from None
        except OSError as exc:
            raise InvalidInput(f"cannot read {source}: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"more than {MAX_FILE_BYTES} bytes: not an alert notification")
    return data


FileArgument = Annotated[str, typer.Argument(help="The payload (JSON), or - for stdin.", metavar="FILE|-")]
PathOption = Annotated[
    str | None,
    typer.Option(
        "--path",
        metavar="PATH",
        show_default=False,
        help="Read FILE as if POSTed to PATH (as inc ingest serve routes it).",
    ),
]


def _ingest(ctx: typer.Context, name: str, source: str, json: bool, path: str | None = None) -> None:
    from urllib.parse import parse_qs, urlsplit

    from incli.service.ingest import ingest_payload

    where = "stdin" if source == "-" else source
    parts = urlsplit(path or "")
    query = {k: v[0] for k, v in parse_qs(parts.query, max_num_fields=20).items()} if parts.query else {}
    try:
        data = _read(source)
        result = ingest_payload(service(ctx), name, data, path=parts.path, query=query)
    except InvalidInput as exc:
        raise InvalidInput(f"{where}: {exc}") from None
    if json:
        output.json_out(result.to_json())
        return
    if result.incident_id:
        output.data(result.incident_id)
    output.info(result.message)
    if result.action == "opened" and result.incident_id:
        from incli.cli.runbooks import say_runbook

        say_runbook(service(ctx), result.incident_id)


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
    _ingest(ctx, "alertmanager", source, json)


@ingest_app.command("grafana")
def grafana(ctx: typer.Context, source: FileArgument = "-", json: JsonOption = False) -> None:
    """Ingest a Grafana alerting webhook notification (version 1).

    The same rules as Alertmanager's; Grafana's links and title are kept in the
    incident's source.
    """
    _ingest(ctx, "grafana", source, json)


@ingest_app.command("pagerduty")
def pagerduty(
    ctx: typer.Context, source: FileArgument = "-", path: PathOption = None, json: JsonOption = False
) -> None:
    """Ingest a PagerDuty Events API v2 event (trigger, acknowledge, resolve).

    With --path /v2/change/enqueue, a change event: a note on the incidents active on
    its service, and a file in changes/.
    """
    _ingest(ctx, "pagerduty", source, json, path)


@ingest_app.command("opsgenie")
def opsgenie(ctx: typer.Context, source: FileArgument = "-", path: PathOption = None, json: JsonOption = False) -> None:
    """Ingest an Opsgenie alert API request (create).

    With --path /v2/alerts/ALIAS/close?identifierType=alias (or /acknowledge), the
    close or acknowledgement of that alert.
    """
    _ingest(ctx, "opsgenie", source, json, path)


@ingest_app.command("opsgenie-webhook")
def opsgenie_webhook(ctx: typer.Context, source: FileArgument = "-", json: JsonOption = False) -> None:
    """Ingest a payload of Opsgenie's outgoing webhook (Create, Close, Acknowledge, AddNote, ...)."""
    _ingest(ctx, "opsgenie-webhook", source, json)


@ingest_app.command("cloudwatch")
def cloudwatch(ctx: typer.Context, source: FileArgument = "-", json: JsonOption = False) -> None:
    """Ingest a CloudWatch alarm as SNS delivers it (ALARM, OK, INSUFFICIENT_DATA)."""
    _ingest(ctx, "cloudwatch", source, json)


@ingest_app.command("generic")
def generic(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The source's name under sources.generic in incli.yaml.", metavar="NAME")],
    source: FileArgument = "-",
    json: JsonOption = False,
) -> None:
    """Ingest JSON with a source defined in incli.yaml (also: inc ingest generic:NAME FILE).

    The definition's dotted paths say which fields are the title, dedupe key,
    status, start time, severity and service.
    """
    _ingest(ctx, f"generic:{name}", source, json)


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
    confirm_sns: Annotated[
        bool,
        typer.Option(
            "--confirm-sns",
            help="Confirm SNS subscriptions (visit their https://*.amazonaws.com SubscribeURL).",
        ),
    ] = False,
    escalate_every: Annotated[
        str,
        typer.Option("--escalate-every", help="Run the escalation clock this often while serving.", metavar="DURATION"),
    ] = "30s",
) -> None:
    """Serve an HTTP endpoint for every alert source.

    POST to /alertmanager, /grafana, /v2/enqueue (PagerDuty), /v2/alerts (Opsgenie),
    /opsgenie-webhook, /cloudwatch or /generic/NAME. Answers as each sender expects,
    400 for what is not a notification, 401 without the token, 413 above --max-bytes.
    Logs one line per request on stderr; stop it with Ctrl-C.
    While it runs it is also the escalation clock (as inc remind is): every --escalate-every.
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
        svc.listeners.append(Hooks(svc.config, repo.root, output.warn, repo))
        svc.listeners.append(Paging(svc, output.warn))
        return svc

    try:
        server = IngestServer(
            (bind, port), make_service, token or None, output.info, max_bytes, confirm_sns=confirm_sns
        )
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
