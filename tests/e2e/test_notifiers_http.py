"""Each notifier, run by the installed ``inc``, against a loopback server of its kind: the request
must have the shape the receiving service documents (Teams Workflows, Mattermost, Rocket.Chat,
Discord, Google Chat, PagerDuty Events API v2), and the e-mail must reach an SMTP server."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from incli.storage.repo import init_repository
from tests.conftest import configure_hooks
from tests.e2e.conftest import inc_process
from tests.localhttp import receiver
from tests.localsmtp import smtp_server

AT = "2025-01-15T14:30:00.250000+00:00"
TITLE = "Checkout <b>down</b> @channel [login](http://evil.example) {{ 7*7 }}"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    init_repository(tmp_path / "r")
    return tmp_path / "r"


def by_path(got) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def]
    found: dict[str, list[dict]] = {}
    for request in got.requests:
        found.setdefault(request["path"].rsplit("/", 1)[-1], []).append(json.loads(request["body"]))
    return found


def test_every_chat_and_pager_format_sends_its_documented_shape(repo: Path) -> None:
    with receiver(status=202) as got:
        chats = ["teams", "mattermost", "rocketchat", "discord", "googlechat"]
        pager = {
            "webhook": f"{got.url}/pagerduty",
            "format": "pagerduty",
            "routing_key": "R0UTINGKEY0000000000000000000000",
        }
        configure_hooks(
            repo,
            {
                "opened": [{"webhook": f"{got.url}/{name}", "format": name} for name in chats] + [pager],
                "acknowledged": [pager],
                "resolved": [pager],
            },
        )
        ident = inc_process("open", TITLE, "-s", "SEV1", "--service", "checkout", "--at", AT, root=repo).stdout.strip()
        inc_process("ack", ident, "--at", "2025-01-15T14:31:00+00:00", root=repo)
        done = inc_process("resolve", ident, "--at", "2025-01-15T15:00:00+00:00", root=repo)
        assert "failed" not in done.stderr
    sent = by_path(got)
    assert sorted(sent) == sorted([*chats, "pagerduty"])
    assert all(r["headers"]["Content-Type"] == "application/json" for r in got.requests)

    (teams,) = sent["teams"]
    assert teams["type"] == "message"
    (attachment,) = teams["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] and card["$schema"].startswith("http://adaptivecards.io/")
    texts = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    assert "{{ 7*7 }}" in texts[0] and "49" not in texts[0]  # the title as typed, never run
    assert "](http" not in texts[0]  # no link under the title's words
    (facts,) = [b["facts"] for b in card["body"] if b["type"] == "FactSet"]
    assert {f["title"]: f["value"] for f in facts} == {
        "Incident": ident,
        "Severity": "SEV1",
        "Status": "open",
        "Service": "checkout",
        "Event": "opened",
    }

    for name in ("mattermost", "rocketchat"):
        (body,) = sent[name]
        assert set(body) == {"text"}
        assert f"[SEV1] {ident} opened: Checkout &lt;b&gt;down&lt;/b&gt;" in body["text"]
        assert "@channel" not in body["text"] and "@\u200bchannel" in body["text"]

    (discord,) = sent["discord"]
    assert discord["content"].startswith(f"[SEV1] {ident} opened:") and len(discord["content"]) <= 2000
    assert discord["allowed_mentions"] == {"parse": []}
    (embed,) = discord["embeds"]
    assert embed["title"] == TITLE
    assert {f["name"]: f["value"] for f in embed["fields"]}["Incident"] == ident
    assert isinstance(embed["color"], int)

    (chat,) = sent["googlechat"]
    assert chat["text"].startswith(f"[SEV1] {ident} opened:") and "<b>" not in chat["text"]
    (card_v2,) = chat["cardsV2"]
    assert card_v2["cardId"] == f"incli-{ident}"
    assert card_v2["card"]["header"]["title"] == TITLE
    widgets = card_v2["card"]["sections"][0]["widgets"]
    labels = {w["decoratedText"]["topLabel"]: w["decoratedText"]["text"] for w in widgets if "decoratedText" in w}
    assert labels["Incident"] == ident and labels["Severity"] == "SEV1"
    paragraph = next(w["textParagraph"]["text"] for w in widgets if "textParagraph" in w)
    assert "&lt;b&gt;down&lt;/b&gt;" in paragraph  # card text reads HTML: escaped

    trigger, ack, resolve = sent["pagerduty"]
    assert [e["event_action"] for e in (trigger, ack, resolve)] == ["trigger", "acknowledge", "resolve"]
    assert {e["dedup_key"] for e in (trigger, ack, resolve)} == {ident}
    assert {e["routing_key"] for e in (trigger, ack, resolve)} == {"R0UTINGKEY0000000000000000000000"}
    payload = trigger["payload"]
    assert payload["severity"] == "critical" and payload["source"] == "checkout"
    assert payload["summary"].startswith(f"[SEV1] {ident} opened:") and len(payload["summary"]) <= 1024
    assert payload["timestamp"] == AT  # sub-second kept
    assert "payload" not in ack and "payload" not in resolve


def test_pagerduty_routing_key_from_the_environment_and_a_400_is_one_warning(repo: Path) -> None:
    with receiver(status=400) as got:
        configure_hooks(
            repo,
            {
                "opened": [
                    {"webhook": f"{got.url}/pd", "format": "pagerduty"},
                    {"webhook": f"{got.url}/json"},
                ]
            },
        )
        ran = inc_process("open", "Disk full", "-s", "SEV3", root=repo, env={"INC_PAGERDUTY_ROUTING_KEY": "ENVKEY"})
    assert json.loads(got.requests[0]["body"])["routing_key"] == "ENVKEY"
    assert json.loads(got.requests[0]["body"])["payload"]["severity"] == "warning"
    assert len(got.requests) == 2  # the failing one did not stop the next hook
    warnings = [line for line in ran.stderr.splitlines() if "failed" in line]
    assert len(warnings) == 2 and all("HTTP 400" in w for w in warnings)


def test_email_over_smtp_one_message_with_the_incident_as_text(repo: Path) -> None:
    with smtp_server() as box:
        smtp = {"host": "127.0.0.1", "port": box.port, "security": "none", "from": "incli@example.com"}
        configure_hooks(repo, {"opened": [{"email": ["oncall@example.com", "lead@example.com"], "smtp": smtp}]})
        ident = inc_process("open", TITLE + "\r\nBcc: victim@example.com", "-s", "SEV2", root=repo).stdout.strip()
    (sent,) = box.messages
    assert sent["sender"] == "incli@example.com"
    assert sent["recipients"] == ["oncall@example.com", "lead@example.com"]
    assert sent["login"] == ""  # no credentials in the environment: no login
    (mail,) = box.parsed()
    assert mail["To"] == "oncall@example.com, lead@example.com"
    assert mail["Bcc"] is None  # a newline in the title never makes a header
    assert mail["Subject"].startswith(f"[SEV2] {ident} opened: Checkout <b>down</b>")
    body = mail.get_content()
    assert f"Id:          {ident}" in body and "Severity:    SEV2" in body and "Timeline:" in body


def _self_signed(tmp_path: Path) -> Path:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate for the STARTTLS test")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    return cert


def test_email_starttls_logs_in_with_credentials_from_the_environment(repo: Path, tmp_path: Path) -> None:
    cert = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, tmp_path / "key.pem")
    with smtp_server(tls=context) as box:
        smtp = {"host": "127.0.0.1", "port": box.port, "security": "starttls", "from": "incli@example.com"}
        configure_hooks(repo, {"opened": [{"email": "oncall@example.com", "smtp": smtp}]})
        env = {"INC_SMTP_USERNAME": "alice", "INC_SMTP_PASSWORD": "s3cret", "SSL_CERT_FILE": str(cert)}
        ran = inc_process("open", "Queue backlog", "-s", "SEV2", root=repo, env=env)
    assert "failed" not in ran.stderr
    (sent,) = box.messages
    assert sent["tls"] is True and sent["login"] == "alice"
    assert box.logins == [("alice", "s3cret")]
    assert "s3cret" not in (repo / "incli.yaml").read_text()
