"""An HTTP endpoint for every alert source, on the standard library's server.

    POST /alertmanager (or /)   a webhook notification -> 200 {"status": "ok", "action": ..., "incident": ...}
    POST /grafana, /v2/enqueue, /v2/change/enqueue, /v2/alerts[/ALIAS/close|acknowledge],
         /opsgenie-webhook, /cloudwatch, /generic/NAME   (each source's path, answered as its sender expects)
    GET  /healthz               200 {"status": "ok"}

Answers 400 with a reason for malformed JSON or a payload the source cannot read,
401 without the token when one is set (``Authorization: Bearer TOKEN``, Basic with the
token as password, ``GenieKey TOKEN`` for Opsgenie, or PagerDuty's ``routing_key``),
411 without a Content-Length, 413 above the size limit (judged from Content-Length,
before reading the body), 404/405 for other paths and methods.
Every request is logged in one line, and a bad request never stops the server.

Concurrency: the listen backlog holds 1024 connections (an alert storm), and a
fixed pool of ``workers`` threads serves them; at most ``max_pending`` more wait,
accepted, for a free worker, and the rest wait in the backlog, so a storm or many
slow clients never make more threads. While every worker is busy, a connection
that asks ``GET /healthz`` is answered by a small health lane of its own.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from incli.errors import Conflict, IncError, InvalidInput, StorageError
from incli.service.incidents import Service
from incli.service.ingest import (
    Unauthorized,
    answer,
    paths,
    refusal,
    route,
    token_accepted,
    token_in_body,
)

MAX_BYTES = 1024 * 1024
HEALTH_PATH = "/healthz"
WORKERS = 16
HEADER_SECONDS = 10  # the request line and headers, overall
HOOK_ORDER_SECONDS = 30  # how long a request's hooks wait for an earlier request's to finish
MAX_PENDING = 256  # accepted connections waiting for a worker (each holds a file descriptor)
HEALTH_WORKERS = 2
HEALTH_PEEK_SECONDS = 0.2  # how long the accept loop looks for "GET /healthz" when the pool is full
_HEALTH_REQUEST = (b"GET " + HEALTH_PATH.encode() + b" ", b"GET " + HEALTH_PATH.encode() + b"?")


class IngestServer(ThreadingHTTPServer):
    request_queue_size = 1024  # the listen backlog: a storm of deliveries waits here, not reset
    # On shutdown, wait for requests in flight (and the hooks they fire) to finish.
    daemon_threads = False
    block_on_close = True

    def __init__(
        self,
        address: tuple[str, int],
        make_service: Callable[[], Service],
        token: str | None,
        log: Callable[[str], None],
        max_bytes: int = MAX_BYTES,
        workers: int = WORKERS,
        max_pending: int = MAX_PENDING,
        confirm_sns: bool = False,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.make_service = make_service
        self.token = token
        self.log = log
        self.max_bytes = max_bytes
        self.confirm_sns = confirm_sns
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="inc-ingest")
        self._slots = threading.BoundedSemaphore(workers + max_pending)
        self._health_pool = ThreadPoolExecutor(max_workers=HEALTH_WORKERS, thread_name_prefix="inc-health")
        self._health_slots = threading.BoundedSemaphore(HEALTH_WORKERS * 4)
        self._count = threading.Lock()
        self._in_pool = 0  # connections handed to the pool and not yet finished
        # Hooks fire in the order their writes were made (an incident's "opened" before its
        # "mitigated"), though each request's hooks run in its own worker after its answer.
        self._order = threading.Condition()
        self._tickets = 0  # the next ticket to hand out (taken under the repository lock)
        self._turn = 0  # the ticket whose hooks may fire now

    def ticket(self) -> int:
        with self._order:
            self._tickets += 1
            return self._tickets - 1

    @contextlib.contextmanager
    def turn(self, ticket: int) -> Iterator[None]:
        """Wait for the hooks of every earlier ticket (at most HOOK_ORDER_SECONDS: a stuck hook
        delays the next ones, never stops them), then let this ticket's fire."""
        with self._order:
            self._order.wait_for(lambda: self._turn >= ticket, timeout=HOOK_ORDER_SECONDS)
        try:
            yield
        finally:
            with self._order:
                self._turn = max(self._turn, ticket + 1)
                self._order.notify_all()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def saturated(self) -> bool:
        return self._in_pool >= self.workers

    # -- the pool (instead of ThreadingMixIn's thread per connection) ------

    def process_request(self, request: Any, client_address: Any) -> None:
        if self.saturated and self._health_slots.acquire(blocking=False):
            if _asks_for_health(request):
                self._health_pool.submit(self._serve, request, client_address, _HealthHandler, self._health_slots)
                return
            self._health_slots.release()
        self._slots.acquire()  # at the bound the accept loop waits, and new connections wait in the backlog
        with self._count:
            self._in_pool += 1
        self._pool.submit(self._serve, request, client_address, _Handler, self._slots, pooled=True)

    def _serve(
        self,
        request: Any,
        client_address: Any,
        handler: type[BaseHTTPRequestHandler],
        slot: threading.BoundedSemaphore,
        pooled: bool = False,
    ) -> None:
        try:
            handler(request, client_address, self)
        except Exception:  # one connection's failure never reaches the others
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            if pooled:
                with self._count:
                    self._in_pool -= 1
            slot.release()

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        exc = sys.exc_info()[1]
        self.log(f"connection from {client_address[0]} failed: {type(exc).__name__}: {exc}")

    def server_close(self) -> None:
        super().server_close()
        self._health_pool.shutdown(wait=True)
        self._pool.shutdown(wait=True)  # requests in flight, and their hooks, finish first


def _asks_for_health(request: socket.socket) -> bool:
    """Whether a new connection's first bytes are ``GET /healthz``, looked at without reading them."""
    try:
        request.settimeout(HEALTH_PEEK_SECONDS)
        head = request.recv(len(_HEALTH_REQUEST[0]), socket.MSG_PEEK)
    except OSError:
        return False
    finally:
        with contextlib.suppress(OSError):
            request.settimeout(None)
    return head in _HEALTH_REQUEST


def _status_for(exc: IncError) -> int:
    if isinstance(exc, Unauthorized):
        return 401
    if isinstance(exc, InvalidInput):
        return 400
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, StorageError):
        return 503
    return 500


class _HeaderDeadline:
    """The request stream, with one overall deadline for the request line and headers:
    a client that sends a byte every few seconds cannot hold a worker for long (the
    per-read socket timeout restarts on every byte). The body has its own deadline."""

    def __init__(self, stream: Any, connection: socket.socket) -> None:
        self._stream = stream
        self._connection = connection
        self.deadline = time.monotonic() + HEADER_SECONDS

    def readline(self, limit: int = -1) -> bytes:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"the request headers took more than {HEADER_SECONDS}s")
        self._connection.settimeout(remaining)
        line: bytes = self._stream.readline(limit)
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Ordered(list[Any]):
    """A request's deferred hook events; the first ``extend`` (made under the repository lock)
    takes the request's ticket, so hooks fire in the order the writes were made."""

    def __init__(self, server: IngestServer) -> None:
        super().__init__()
        self.server = server
        self.ticket: int | None = None

    def extend(self, items: Iterable[Any]) -> None:
        if self.ticket is None:
            self.ticket = self.server.ticket()
        super().extend(items)


class _Handler(BaseHTTPRequestHandler):
    server: IngestServer
    server_version = "incli"
    timeout = 30  # seconds a client may take to send its request

    def setup(self) -> None:
        super().setup()
        self.rfile = _HeaderDeadline(self.rfile, self.connection)  # type: ignore[assignment]

    def handle_one_request(self) -> None:
        if isinstance(self.rfile, _HeaderDeadline):  # each request on a connection gets its own
            self.rfile.deadline = time.monotonic() + HEADER_SECONDS
        super().handle_one_request()

    # -- answering ---------------------------------------------------------

    def _reply(self, status: int, body: dict[str, Any], note: str = "", headers: dict[str, str] | None = None) -> None:
        data = (json.dumps(body, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace")
        # The line is logged before the answer goes out, so that a client's requests one after
        # another are logged in their order (logged after, the next request's worker could log first).
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        line = f"{stamp} {self.client_address[0]} {self.command} {urlsplit(self.path).path} {status}"
        self.server.log(line + (f" {note}" if note else ""))
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if status >= 400:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client went away; nothing to tell it
            self.server.log(f"{line} (client went away before the answer)")

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._reply(status, refusal(route(urlsplit(self.path).path), status, message), message, headers)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - our own line per request instead
        pass

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    # -- routing -----------------------------------------------------------

    def _known(self, path: str) -> bool:
        return route(path) is not None or path == HEALTH_PATH

    def _not_allowed(self) -> None:
        path = urlsplit(self.path).path
        if not self._known(path):
            self._error(404, f"no such endpoint {path}; POST alerts to one of {', '.join(paths())}")
            return
        allow = "GET" if path == HEALTH_PATH else "POST"
        self._error(405, f"{self.command} is not allowed on {path}; use {allow}", {"Allow": allow})

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _not_allowed  # noqa: N815

    def do_GET(self) -> None:  # noqa: N802
        if urlsplit(self.path).path == HEALTH_PATH:
            self._reply(200, {"status": "ok"})
        else:
            self._not_allowed()

    def _authorized(self, source: str) -> bool:
        token = self.server.token
        if not token:
            return True
        return token_accepted(source, self.headers.get("Authorization", ""), token)

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        source = route(path)
        if source is None:
            self._not_allowed()
            return
        authorized = self._authorized(source)
        if not authorized and not token_in_body(source):
            self._error(401, "missing or wrong bearer token", {"WWW-Authenticate": 'Bearer realm="incli"'})
            return
        if self.headers.get("Transfer-Encoding") is not None:
            # A chunked body (or one with both headers, a smuggling trick) is refused, not guessed at.
            self._error(411, "Transfer-Encoding is not accepted; send the body with a Content-Length")
            return
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            self._error(411, "a Content-Length header is required")
            return
        length_text = lengths[0].strip()
        # Only plain decimal digits: int() would also take "+5", "1_000" and other scripts' digits.
        if len(set(lengths)) > 1 or not (length_text.isascii() and length_text.isdigit()) or len(length_text) > 18:
            self._error(400, f"bad Content-Length {', '.join(lengths)!r}")
            return
        length = int(length_text)
        if length > self.server.max_bytes:
            self._error(413, f"payload of {length} bytes is over the limit of {self.server.max_bytes} bytes")
            return
        try:
            body = self._read_body(length)
        except OSError as exc:
            self._error(400, f"could not read the request body: {exc}")
            return
        if len(body) < length:
            self._error(400, f"the body ended after {len(body)} of {length} bytes")
            return
        self._ingest(body, authorized)

    def _read_body(self, length: int) -> bytes:
        """The body, in at most ``timeout`` seconds overall: a client that sends a byte now
        and then cannot keep a worker for longer. Short if the client closed early."""
        deadline = time.monotonic() + self.timeout
        chunks: list[bytes] = []
        left = length
        while left > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {self.timeout}s")
            self.connection.settimeout(remaining)
            chunk = self.rfile.read1(min(left, 65536))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def _ingest(self, body: bytes, authorized: bool) -> None:
        from incli.service.ingest import ingest_payload

        events = _Ordered(self.server)
        parts = urlsplit(self.path)
        source = route(parts.path)
        assert source is not None  # do_POST routes only known paths here
        query = {name: values[0] for name, values in parse_qs(parts.query, max_num_fields=20).items()}
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            svc = self.server.make_service()
            result = ingest_payload(
                svc,
                source,
                body,
                deferred=events,
                path=parts.path,
                query=query,
                headers=headers,
                token=self.server.token,
                authorized=authorized,
            )
        except IncError as exc:
            self._error(_status_for(exc), exc.message)
            return
        except ValueError as exc:  # parse_qs: too many fields
            self._error(400, f"bad query string: {exc}")
            return
        except Exception as exc:  # a bug: answer 500, keep serving
            self._error(500, f"internal error: {type(exc).__name__}: {exc}")
            return
        try:
            if self.server.saturated:  # others wait for a worker: do not keep this one for a next request
                self.close_connection = True
            note = f"{result.action} {result.incident_id}".strip()
            if result.action == "subscription":
                note = result.message
            status, reply = answer(source, result)
            self._reply(status, reply, note)
            if result.subscribe_url:
                self._confirm(result.subscribe_url)
        finally:
            # Hooks run after the sender has its answer, so a slow hook never makes it retry; in
            # the order of the writes, whichever worker answered first.
            self._fire(svc, events, result.incident_id)

    def _fire(self, svc: Service, events: _Ordered, incident_id: str | None) -> None:
        if events.ticket is None:
            return
        with self.server.turn(events.ticket):
            for event in events:
                try:
                    svc.emit(*event)
                except Exception as exc:  # a listener's bug must not stop the server
                    self.server.log(f"hooks for {event[0]} on {incident_id} failed: {exc}")

    def _confirm(self, url: str) -> None:
        """With --confirm-sns, visit the SubscribeURL (after answering SNS)."""
        from incli.service.ingest import confirm_subscription

        if not self.server.confirm_sns:
            self.server.log("SNS subscription not confirmed (inc ingest serve --confirm-sns does, or visit the URL)")
            return
        try:
            status = confirm_subscription(url)
        except IncError as exc:
            self.server.log(f"SNS subscription not confirmed: {exc.message}")
            return
        self.server.log(f"SNS subscription confirmed (HTTP {status})")


class _HealthHandler(_Handler):
    """The health lane: one request per connection, and never an ingest."""

    timeout = 5

    def handle(self) -> None:
        self.close_connection = True
        self.handle_one_request()

    def do_POST(self) -> None:  # noqa: N802 - cannot happen (the lane takes GET /healthz only); refuse anyway
        self._error(503, "the server is busy; try again")
