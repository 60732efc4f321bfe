"""inc ingest serve under a storm, slow clients and malformed HTTP (issue 12, items 2, 9 and siblings).

Loopback only; every loop is bounded and every socket has a timeout.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from incli.serve import IngestServer
from incli.service.incidents import Service
from incli.storage.repo import find_repository, init_repository
from tests.alertpayloads import alert, dumps, firing_two, notification

NOW = datetime(2025, 1, 15, 14, 30, 10, tzinfo=UTC)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    init_repository(tmp_path / "r")
    return tmp_path / "r"


@contextmanager
def serving(repo: Path) -> Iterator[tuple[IngestServer, list[str]]]:
    lines: list[str] = []
    repository = find_repository(repo)
    server = IngestServer(("127.0.0.1", 0), lambda: Service(repository, clock=lambda: NOW), None, lines.append)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server, lines
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def exchange(port: int, data: bytes, half_close: bool = False) -> tuple[int, dict]:
    """Send raw bytes, read the whole answer (the server closes after an error)."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as conn:
        conn.sendall(data)
        if half_close:
            conn.shutdown(socket.SHUT_WR)
        answer = b""
        for _ in range(1000):
            chunk = conn.recv(65536)
            if not chunk:
                break
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def post(port: int, body: str | bytes, path: str = "/alertmanager") -> tuple[int, dict]:
    data = body.encode() if isinstance(body, str) else body
    request = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(data)}\r\n\r\n".encode()
    return exchange(port, request + data)


def incidents(repo: Path) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted((repo / "incidents").glob("*.yaml"))]


def test_listen_backlog_is_fit_for_a_storm(repo: Path) -> None:
    assert IngestServer.request_queue_size == 1024
    with serving(repo) as (server, _lines):
        assert server.request_queue_size == 1024


def test_storm_of_50_groups_then_50_of_one_group_all_answered_one_incident_each(repo: Path) -> None:
    def group(i: int) -> str:
        return dumps(notification([alert(f"db-{i}:9187", fingerprint=f"f{i:04d}")], group_key=f'{{}}:{{g="{i}"}}'))

    with serving(repo) as (server, _lines), ThreadPoolExecutor(max_workers=50) as clients:
        first = list(clients.map(lambda i: post(server.port, group(i)), range(50)))
        second = list(clients.map(lambda _i: post(server.port, dumps(firing_two())), range(50)))
    assert [status for status, _ in first] == [200] * 50, [b for s, b in first if s != 200][:3]
    assert [status for status, _ in second] == [200] * 50, [b for s, b in second if s != 200][:3]
    assert sorted(body["action"] for _, body in first) == ["opened"] * 50
    assert sorted(body["action"] for _, body in second) == ["opened"] + ["unchanged"] * 49
    assert len({body["incident"] for _, body in second}) == 1
    assert len(incidents(repo)) == 51


def test_slow_clients_wait_for_a_bounded_pool_and_health_is_still_answered(repo: Path) -> None:
    before = threading.active_count()
    with serving(repo) as (server, _lines), ExitStack() as stack:
        for _ in range(100):  # each sends half a request and waits
            conn = stack.enter_context(socket.create_connection(("127.0.0.1", server.port), timeout=10))
            conn.sendall(b"POST /alertmanager HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        assert exchange(server.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") == (200, {"status": "ok"})
        assert time.monotonic() - started < 5
        time.sleep(0.3)  # let the accept loop take what it will
        made = threading.active_count() - before
        assert made <= server.workers + 4, f"{made} threads for 100 slow clients"
    # the slow clients have gone; the server served the health check and nothing else
    assert incidents(repo) == []


def test_bad_content_length_values_are_400(repo: Path) -> None:
    with serving(repo) as (server, lines):
        for value in ("+5", "1_0", "-1", " 0x10", "\u0665", "99999999999999999999999"):
            head = f"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: {value}\r\n\r\n"
            status, body = exchange(server.port, head.encode("utf-8"))
            assert status == 400 and "bad Content-Length" in body["error"], (value, status, body)
        two = b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n"
        status, body = exchange(server.port, two)
        assert status == 400 and "bad Content-Length" in body["error"]
        assert post(server.port, dumps(firing_two()))[0] == 200
    assert len(incidents(repo)) == 1


def test_chunked_bodies_are_411_even_with_a_content_length(repo: Path) -> None:
    with serving(repo) as (server, _lines):
        chunked = b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        assert exchange(server.port, chunked)[0] == 411
        both = b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n"
        status, body = exchange(server.port, both)
        assert status == 411 and "Transfer-Encoding" in body["error"]
        assert post(server.port, dumps(firing_two()))[0] == 200


def test_a_body_shorter_than_declared_is_400(repo: Path) -> None:
    with serving(repo) as (server, _lines):
        head = b"POST /alertmanager HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n"
        status, body = exchange(server.port, head + b'{"alerts": [', half_close=True)
        assert status == 400 and "ended after 12 of 500 bytes" in body["error"]
        assert post(server.port, dumps(firing_two()))[0] == 200
    assert len(incidents(repo)) == 1


BOMBS = {
    "lone surrogate": dumps(firing_two()).replace('"db-1:9187"', '"db-1\\ud800"'),
    "lone low surrogate in a key": dumps(firing_two()).replace('"job"', '"j\\udfffob"'),
    "100,000 deep": "[" * 100_000 + "]" * 100_000,
    "5,000 digits": dumps({**firing_two(), "truncatedAlerts": 0}).replace(
        '"truncatedAlerts": 0', '"truncatedAlerts": ' + "9" * 5000
    ),
    "NaN": dumps(firing_two()).replace('"truncatedAlerts": 0', '"truncatedAlerts": NaN'),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_hostile_json_is_400_and_the_server_keeps_serving(repo: Path, name: str) -> None:
    with serving(repo) as (server, lines):
        status, body = post(server.port, BOMBS[name])
        assert status == 400, body
        assert "\n" not in body["error"] and "internal error" not in body["error"]
        assert incidents(repo) == []
        assert post(server.port, dumps(firing_two()))[0] == 200
    assert len(incidents(repo)) == 1
    assert [line.split()[4] for line in lines] == ["400", "200"]


def test_clients_trickling_headers_cannot_hold_every_worker(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A byte every 0.3 s restarts a per-read timeout forever; the headers have one overall
    deadline, so a real delivery is answered soon after it."""
    from incli import serve

    monkeypatch.setattr(serve, "HEADER_SECONDS", 1.0)
    with serving(repo) as (server, _lines), ExitStack() as stack:
        slow = []
        for _ in range(serve.WORKERS + 4):
            conn = stack.enter_context(socket.create_connection(("127.0.0.1", server.port), timeout=5))
            conn.sendall(b"POST /alertmanager HTTP/1.1\r\n")
            slow.append(conn)
        for _round in range(5):  # 1.5 s of trickling: past the 1 s header deadline
            for conn in slow:
                with suppress(OSError):
                    conn.sendall(b"X-a: b\r\n")
            time.sleep(0.3)
        started = time.monotonic()
        status, body = post(server.port, dumps(firing_two()))
        assert status == 200 and body["action"] == "opened"
        assert time.monotonic() - started < 10
