"""inc ingest serve: the HTTP endpoint Alertmanager posts to (on 127.0.0.1 only)."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from incli.serve import IngestServer
from incli.service.hooks import Hooks
from incli.service.incidents import Service
from incli.storage.repo import find_repository, init_repository
from tests.alertpayloads import dumps, firing_two, resolved_two
from tests.e2e.conftest import INC
from tests.localhttp import post, receiver, serving_in_thread


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    init_repository(tmp_path / "r")
    return tmp_path / "r"


CLOCK = [datetime(2025, 1, 15, 14, 30, 10, tzinfo=UTC)]


@contextmanager
def running(repo: Path, token: str | None = None, max_bytes: int = 1024 * 1024) -> Iterator[tuple[str, list[str]]]:
    lines: list[str] = []
    repository = find_repository(repo)

    def make_service() -> Service:
        svc = Service(repository, clock=lambda: CLOCK[0])
        svc.listeners.append(Hooks(svc.config, repository.root, lines.append))
        return svc

    server = IngestServer(("127.0.0.1", 0), make_service, token, lines.append, max_bytes)
    with serving_in_thread(server) as url:
        yield url, lines


def incidents(repo: Path) -> list[dict]:
    return [yaml.safe_load(p.read_text()) for p in sorted((repo / "incidents").glob("*.yaml"))]


def test_firing_then_resolved_over_http(repo: Path) -> None:
    with running(repo) as (url, lines):
        status, body = post(url + "/alertmanager", dumps(firing_two()))
        assert status == 200
        assert body["status"] == "ok" and body["action"] == "opened"
        status, again = post(url + "/alertmanager", dumps(firing_two()))
        assert (status, again["action"], again["incident"]) == (200, "unchanged", body["incident"])
        CLOCK[0] = datetime(2025, 1, 15, 14, 45, tzinfo=UTC)
        status, resolved = post(url + "/", dumps(resolved_two()))
        CLOCK[0] = datetime(2025, 1, 15, 14, 30, 10, tzinfo=UTC)
        assert (status, resolved["action"]) == (200, "mitigated")
    (incident,) = incidents(repo)
    assert incident["id"] == body["incident"]
    assert incident["started_at"] == "2025-01-15T14:27:30.100000+00:00"
    assert incident["detected_at"] == "2025-01-15T14:30:10+00:00"
    assert incident["mitigated_at"] == "2025-01-15T14:40:03.512893+00:00"
    assert len(lines) == 3
    assert lines[0].endswith(f"POST /alertmanager 200 opened {body['incident']}")


def test_bad_requests_get_a_reason_and_the_server_keeps_serving(repo: Path) -> None:
    with running(repo) as (url, lines):
        assert post(url + "/alertmanager", "{oops") == (
            400,
            {
                "status": "error",
                "error": "malformed JSON: Expecting property name enclosed in double quotes at line 1 column 2",
            },
        )
        status, body = post(url + "/alertmanager", json.dumps({"text": "hello"}))
        assert status == 400 and "not an Alertmanager notification" in body["error"]
        assert post(url + "/other", "{}")[0] == 404
        assert post(url + "/alertmanager", None, method="GET")[0] == 405  # type: ignore[arg-type]
        assert post(url + "/alertmanager", "{}", method="PUT")[0] == 405
        assert post(url + "/healthz", None, method="GET") == (200, {"status": "ok"})  # type: ignore[arg-type]
        assert post(url + "/alertmanager", dumps(firing_two()))[0] == 200
    assert len(incidents(repo)) == 1
    assert [line.split()[4] for line in lines] == ["400", "400", "404", "405", "405", "200", "200"]


def test_token_is_required_when_set(repo: Path) -> None:
    with running(repo, token="s3cret-token") as (url, _lines):
        assert post(url + "/alertmanager", dumps(firing_two()))[0] == 401
        wrong = {"Authorization": "Bearer nope"}
        assert post(url + "/alertmanager", dumps(firing_two()), wrong)[0] == 401
        assert incidents(repo) == []
        right = {"Authorization": "Bearer s3cret-token"}
        assert post(url + "/alertmanager", dumps(firing_two()), right)[0] == 200
    assert len(incidents(repo)) == 1


def test_payload_over_the_limit_is_refused_before_reading(repo: Path) -> None:
    with running(repo, max_bytes=4096) as (url, lines):
        port = int(url.rsplit(":", 1)[1])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.putrequest("POST", "/alertmanager")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(2 * 1024 * 1024))
        conn.endheaders()  # no body sent: the answer comes from the header alone
        response = conn.getresponse()
        assert response.status == 413
        assert "over the limit of 4096 bytes" in json.loads(response.read())["error"]
        conn.close()
        big = dumps(firing_two()) + " " * 5000
        assert post(url + "/alertmanager", big)[0] == 413
        assert post(url + "/alertmanager", dumps(firing_two()))[0] == 200
    assert len(incidents(repo)) == 1


def test_concurrent_deliveries_over_http_open_one_incident(repo: Path) -> None:
    with running(repo) as (url, _lines):
        results: list[int] = []
        threads = [
            threading.Thread(target=lambda: results.append(post(url + "/alertmanager", dumps(firing_two()))[0]))
            for _ in range(8)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [200] * 8
    assert len(incidents(repo)) == 1


def test_inc_ingest_serve_end_to_end(repo: Path) -> None:
    env = {**os.environ, "INC_INGEST_TOKEN": "t0ken"}
    proc = subprocess.Popen(
        [*INC, "--dir", str(repo), "ingest", "serve", "--bind", "127.0.0.1", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert "listening on http://127.0.0.1:" in first
        url = first.split()[3].rsplit("/", 1)[0]
        assert post(url + "/alertmanager", dumps(firing_two()))[0] == 401
        status, body = post(url + "/alertmanager", dumps(firing_two()), {"Authorization": "Bearer t0ken"})
        assert status == 200
        assert proc.stderr.readline().split()[4] == "401"
        assert proc.stderr.readline().split()[4:] == ["200", "opened", body["incident"]]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert [i["id"] for i in incidents(repo)] == [body["incident"]]


def test_hooks_fire_for_incidents_opened_over_http(repo: Path) -> None:
    with receiver() as got:
        config = repo / "incli.yaml"
        config.write_text(
            config.read_text() + f"hooks:\n  opened:\n    - webhook: {got.url}\n      format: slack\n"
            f"  mitigated:\n    - webhook: {got.url}\n"
        )
        with running(repo) as (url, lines):
            status, body = post(url + "/alertmanager", dumps(firing_two()))
            CLOCK[0] = datetime(2025, 1, 15, 14, 45, tzinfo=UTC)
            post(url + "/alertmanager", dumps(resolved_two()))
            CLOCK[0] = datetime(2025, 1, 15, 14, 30, 10, tzinfo=UTC)
    assert status == 200
    opened, mitigated = got.bodies()
    assert opened["text"] == f"[SEV1] {body['incident']} opened: Database connection pool exhausted (checkout)"
    assert mitigated["event"] == "mitigated"
    assert mitigated["incident"]["mitigated_at"] == "2025-01-15T14:40:03.512893+00:00"
    assert not any("failed" in line for line in lines)
