"""A real ``inc ingest serve`` on a loopback port receiving every source's format:
each opens, updates and mitigates the right incident with its times to the
microsecond, a repeat changes no byte, a malformed payload is 400 in the shape its
sender reads, and the token is taken as each sender sends it."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from incli.storage.repo import init_repository
from tests import localhttp
from tests import sourcepayloads as sp
from tests.conftest import take_snapshot
from tests.e2e.conftest import INC

TOKEN = "s3cret-t0ken"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CONFIG = f"""
sources:
  pagerduty:
    routing_keys: {{{sp.ROUTING_KEY}: payments}}
""" + sp.GENERIC_CONFIG.replace("sources:\n", "")


class Server:
    def __init__(self, repo: Path, proc: subprocess.Popen[str], url: str) -> None:
        self.repo, self.proc, self.url = repo, proc, url

    def post(self, path: str, body: Any, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return localhttp.post(self.url + path, data, headers, timeout=20)

    def log(self) -> str:
        assert self.proc.stderr is not None
        return self.proc.stderr.readline()


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    repo = tmp_path_factory.mktemp("serve") / "r"
    init_repository(repo)
    (repo / "incli.yaml").write_text((repo / "incli.yaml").read_text() + CONFIG)
    env = {**os.environ, "INC_INGEST_TOKEN": TOKEN, "TZ": "UTC"}
    env.pop("INC_DEBUG", None)
    proc = subprocess.Popen(
        [*INC, "--dir", str(repo), "ingest", "serve", "--port", "0"], stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert "listening on http://127.0.0.1:" in first, first
        yield Server(repo, proc, first.split()[3].rsplit("/", 1)[0])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def now() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def ns(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000 + 321  # the last 321 ns are cut


def incident(server: Server, incident_id: str) -> dict[str, Any]:
    (path,) = (server.repo / "incidents").glob(f"{incident_id}*.yaml")
    return yaml.safe_load(path.read_text())


def repeat_changes_nothing(server: Server, path: str, body: Any, headers: dict[str, str]) -> None:
    before = take_snapshot(server.repo)
    status, _reply = server.post(path, body, headers)
    assert status in (200, 202)
    assert take_snapshot(server.repo) == before


def test_grafana(server: Server) -> None:
    started = now() - timedelta(minutes=10)
    firing = sp.grafana([sp.grafana_alert("eu-1", starts=iso(started))])
    status, body = server.post("/grafana", firing, bearer())
    assert (status, body["status"], body["action"]) == (200, "ok", "opened")
    data = incident(server, body["incident"])
    assert data["started_at"] == iso(started)
    assert data["source"]["links"]["f1ngerprinteu-1"]["dashboard"] == "https://grafana.example.com/d/mem01"
    repeat_changes_nothing(server, "/grafana", firing, bearer())
    ended = now()
    resolved = sp.grafana([sp.grafana_alert("eu-1", status="resolved", starts=iso(started), ends=iso(ended))])
    status, again = server.post("/grafana", resolved, bearer())
    assert (status, again["action"], again["incident"]) == (200, "mitigated", body["incident"])
    assert incident(server, body["incident"])["mitigated_at"] == iso(ended)
    status, refused = server.post("/grafana", {**firing, "version": "4"}, bearer())
    assert status == 400 and "version 1" in refused["error"]


def test_pagerduty(server: Server) -> None:
    started = now() - timedelta(minutes=5)
    stamp = started.strftime("%Y-%m-%dT%H:%M:%S.%f+0000")
    trigger = sp.pd_trigger("pd-e2e", timestamp=stamp)
    status, body = server.post("/v2/enqueue", trigger)  # no header: the routing_key is the credential
    assert (status, body) == (202, {"status": "success", "message": "Event processed", "dedup_key": "pd-e2e"})
    (found,) = [p for p in (server.repo / "incidents").glob("*.yaml") if "pd-e2e" in p.read_text()]
    data = yaml.safe_load(found.read_text())
    assert (data["started_at"], data["service"], data["severity"]) == (iso(started), "payments", "SEV1")
    repeat_changes_nothing(server, "/v2/enqueue", trigger, {})
    assert server.post("/v2/enqueue", sp.pd_event("acknowledge", "pd-e2e"))[0] == 202
    assert server.post("/v2/enqueue", sp.pd_event("resolve", "pd-e2e"))[0] == 202
    data = yaml.safe_load(found.read_text())
    assert data["status"] == "mitigated" and data["acknowledged_at"] <= data["mitigated_at"]
    repeat_changes_nothing(server, "/v2/enqueue", sp.pd_event("resolve", "pd-e2e"), {})
    status, refused = server.post("/v2/enqueue", sp.pd_trigger("x", routing_key="unknown"))
    assert (status, refused["status"], refused["errors"]) == (400, "invalid event", ["Invalid routing key"])
    status, refused = server.post("/v2/enqueue", b"{not json")
    assert (
        status == 400 and refused["message"] == "Event object is invalid" and "malformed JSON" in refused["errors"][0]
    )
    # A change event: noted on the active incidents of the routing key's service, kept in changes/.
    server.post("/v2/enqueue", sp.pd_trigger("pd-e2e-2"))
    status, change = server.post("/v2/change/enqueue", sp.pd_change("Deploy checkout v9"))
    assert (status, change["status"]) == (202, "success")
    assert any(
        "Deploy checkout v9" in (server.repo / "changes" / n).read_text() for n in os.listdir(server.repo / "changes")
    )


def test_opsgenie_api_as_alertmanager_sends_it(server: Server) -> None:
    genie = {"Authorization": f"GenieKey {TOKEN}"}
    alias = "e2e" + sp.ALIAS[3:]
    status, body = server.post("/v2/alerts", sp.og_create(alias), genie)
    assert status == 202 and body["result"] == "Request will be processed" and body["requestId"]
    assert server.post("/v2/alerts", sp.og_create(alias), {"Authorization": "GenieKey wrong"})[0] == 401
    repeat_changes_nothing(server, "/v2/alerts", sp.og_create(alias), genie)
    (found,) = [p for p in (server.repo / "incidents").glob("*.yaml") if alias in p.read_text()]
    assert yaml.safe_load(found.read_text())["assumed"] == ["started_at"]
    status, _body = server.post(f"/v2/alerts/{alias}/close?identifierType=alias", {"source": ""}, genie)
    assert status == 202 and yaml.safe_load(found.read_text())["status"] == "mitigated"
    status, refused = server.post(f"/v2/alerts/{alias}/close?identifierType=id", {}, genie)
    assert status == 400 and "identifierType=alias" in refused["message"]


def test_opsgenie_webhook(server: Server) -> None:
    create = sp.og_webhook("Create")
    create["alert"]["alias"] = "webhook-e2e"
    status, body = server.post("/opsgenie-webhook", create, bearer())
    assert (status, body["action"]) == (200, "opened")
    assert incident(server, body["incident"])["started_at"] == "2025-01-15T14:28:03.103000+00:00"
    ended = now()
    close = sp.og_webhook("Close", updated_ns=ns(ended))
    close["alert"]["alias"] = "webhook-e2e"
    status, done = server.post("/opsgenie-webhook", close, bearer())
    assert (status, done["action"]) == (200, "mitigated")
    assert incident(server, body["incident"])["mitigated_at"] == iso(ended)
    repeat_changes_nothing(server, "/opsgenie-webhook", close, bearer())


def test_cloudwatch_with_basic_auth_as_sns_sends_it(server: Server) -> None:
    basic = {"Authorization": "Basic " + base64.b64encode(f"incli:{TOKEN}".encode()).decode()}
    started = now() - timedelta(minutes=3)
    alarm = sp.cw_alarm(changed=started.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000")
    status, body = server.post("/cloudwatch", sp.sns(alarm), basic)
    assert (status, body["action"]) == (200, "opened")
    assert incident(server, body["incident"])["started_at"] == iso(
        started.replace(microsecond=started.microsecond // 1000 * 1000)
    )
    assert server.post("/cloudwatch", sp.sns(alarm))[0] == 401
    repeat_changes_nothing(server, "/cloudwatch", sp.sns(alarm), basic)
    ended = now()
    ok = sp.cw_alarm("OK", ended.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000")
    status, done = server.post("/cloudwatch", sp.sns(ok), basic)
    assert (status, done["action"]) == (200, "mitigated")
    status, sub = server.post("/cloudwatch", sp.sns_subscription(), basic)
    assert (status, sub["action"]) == (200, "subscription")
    lines: list[str] = []
    while not lines or "not confirmed" not in lines[-1]:  # the log so far, up to the subscription's
        lines.append(server.log())
        assert len(lines) < 200 and lines[-1], lines
    assert "POST /cloudwatch 200 SNS subscription" in lines[-2]
    assert "SubscribeURL https://sns.eu-west-1.amazonaws.com/" in lines[-2]
    assert "--confirm-sns" in lines[-1]
    status, refused = server.post("/cloudwatch", {"Type": "Notification", "Message": "nope"}, basic)
    assert status == 400 and "CloudWatch alarm" in refused["error"]


def test_generic_source(server: Server) -> None:
    started = now() - timedelta(minutes=2)
    down = sp.kuma(0, started.strftime("%Y-%m-%d %H:%M:%S.%f"))
    down["monitor"]["id"] = 99
    status, body = server.post("/generic/kuma", down, bearer())
    assert (status, body["action"]) == (200, "opened")
    assert incident(server, body["incident"])["started_at"] == iso(started)
    repeat_changes_nothing(server, "/generic/kuma", down, bearer())
    ended = now()
    up = sp.kuma(1, ns(ended))
    up["monitor"]["id"] = 99
    status, done = server.post("/generic/kuma", up, bearer())
    assert (status, done["action"]) == (200, "mitigated")
    assert incident(server, body["incident"])["mitigated_at"] == iso(ended)
    status, refused = server.post("/generic/other", down, bearer())
    assert status == 400 and "no generic source 'other'" in refused["error"]


def test_unknown_paths_list_the_sources(server: Server) -> None:
    status, body = server.post("/nagios", {}, bearer())
    assert status == 404 and "/grafana" in body["error"] and "/v2/enqueue" in body["error"]
