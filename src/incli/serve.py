"""An HTTP endpoint for Alertmanager's ``webhook_config``, on the standard library's server.

    POST /alertmanager (or /)   a webhook notification -> 200 {"status": "ok", "action": ..., "incident": ...}
    GET  /healthz               200 {"status": "ok"}

Answers 400 with a reason for malformed JSON or a payload that is not an
Alertmanager notification, 401 without ``Authorization: Bearer TOKEN`` when a
token is set, 411 without a Content-Length, 413 above the size limit (judged from
Content-Length, before reading the body), 404/405 for other paths and methods.
Every request is logged in one line, and a bad request never stops the server.
"""

from __future__ import annotations

import hmac
import json
import socket
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from incli.errors import Conflict, IncError, InvalidInput, StorageError
from incli.service.incidents import Service
from incli.service.ingest import route

MAX_BYTES = 1024 * 1024
HEALTH_PATH = "/healthz"


class IngestServer(ThreadingHTTPServer):
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
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)
        self.make_service = make_service
        self.token = token
        self.log = log
        self.max_bytes = max_bytes

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def _status_for(exc: IncError) -> int:
    if isinstance(exc, InvalidInput):
        return 400
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, StorageError):
        return 503
    return 500


class _Handler(BaseHTTPRequestHandler):
    server: IngestServer
    server_version = "incli"
    timeout = 30  # seconds a client may take to send its request

    # -- answering ---------------------------------------------------------

    def _reply(self, status: int, body: dict[str, Any], note: str = "", headers: dict[str, str] | None = None) -> None:
        data = (json.dumps(body, ensure_ascii=False) + "\n").encode("utf-8")
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
            note = (note + " (client went away)").strip()
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        path = urlsplit(self.path).path
        line = f"{stamp} {self.client_address[0]} {self.command} {path} {status}"
        self.server.log(line + (f" {note}" if note else ""))

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._reply(status, {"status": "error", "error": message}, message, headers)

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
            self._error(404, f"no such endpoint {path}; POST Alertmanager notifications to /alertmanager")
            return
        allow = "GET" if path == HEALTH_PATH else "POST"
        self._error(405, f"{self.command} is not allowed on {path}; use {allow}", {"Allow": allow})

    do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _not_allowed  # noqa: N815

    def do_GET(self) -> None:  # noqa: N802
        if urlsplit(self.path).path == HEALTH_PATH:
            self._reply(200, {"status": "ok"})
        else:
            self._not_allowed()

    def _authorized(self) -> bool:
        token = self.server.token
        if not token:
            return True
        given = self.headers.get("Authorization", "")
        scheme, _, value = given.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())

    def do_POST(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if route(path) is None:
            self._not_allowed()
            return
        if not self._authorized():
            self._error(401, "missing or wrong bearer token", {"WWW-Authenticate": 'Bearer realm="incli"'})
            return
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            self._error(411, "a Content-Length header is required")
            return
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError
        except ValueError:
            self._error(400, f"bad Content-Length {length_text!r}")
            return
        if length > self.server.max_bytes:
            self._error(413, f"payload of {length} bytes is over the limit of {self.server.max_bytes} bytes")
            return
        try:
            body = self.rfile.read(length)
        except OSError as exc:
            self._error(400, f"could not read the request body: {exc}")
            return
        if len(body) < length:
            self._error(400, f"the body ended after {len(body)} of {length} bytes")
            return
        self._ingest(body)

    def _ingest(self, body: bytes) -> None:
        from incli.service.ingest import ingest_payload

        events: list[Any] = []
        source = route(urlsplit(self.path).path)
        assert source is not None  # do_POST routes only known paths here
        try:
            svc = self.server.make_service()
            result = ingest_payload(svc, source, body, deferred=events)
        except IncError as exc:
            self._error(_status_for(exc), exc.message)
            return
        except Exception as exc:  # a bug: answer 500, keep serving
            self._error(500, f"internal error: {type(exc).__name__}: {exc}")
            return
        self._reply(200, {"status": "ok", **result.to_json()}, f"{result.action} {result.incident_id}")
        # Hooks run after Alertmanager has its answer, so a slow hook never makes it retry.
        for event in events:
            try:
                svc.emit(*event)
            except Exception as exc:  # a listener's bug must not stop the server
                self.server.log(f"hooks for {event[0]} on {result.incident_id} failed: {exc}")
