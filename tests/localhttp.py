"""A tiny HTTP server on 127.0.0.1 that records what is POSTed to it (for hook tests)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def bodies(self) -> list[Any]:
        return [json.loads(r["body"]) for r in self.requests]


@contextmanager
def receiver(status: int = 200) -> Iterator[Received]:
    got = Received(status=status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            got.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
            self.send_response(got.status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    got.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield got
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def serving_in_thread(server: Any) -> Iterator[str]:
    """``server`` (incli.serve.IngestServer) answering on its loopback port in a thread of this
    process: its URL. Closing waits for the requests in flight."""
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def post(
    url: str, body: bytes | str, headers: dict[str, str] | None = None, method: str = "POST", timeout: float = 10
) -> tuple[int, Any]:
    """``body`` sent to ``url`` (never through a proxy: loopback); the status and the JSON answer,
    an error status included."""
    import urllib.error
    import urllib.request

    data = body.encode() if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())
