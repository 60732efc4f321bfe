"""Notification hooks: commands and webhooks run after a write; a failing one only warns."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from incli.service.hooks import Hooks
from incli.service.incidents import Service
from incli.storage.repo import find_repository, init_repository
from tests.conftest import configure_hooks, inc
from tests.localhttp import receiver

AT = "2025-01-15T14:30:00+00:00"
EVIL = "$(touch {marker}); rm -rf ~ ; `touch {marker}` && touch {marker} | id > {marker}"

# Writes its stdin and the INC_* environment into the file named by its one argument.
RECORDER = textwrap.dedent("""
    import json, os, sys
    data = {"stdin": sys.stdin.read(), "argv": sys.argv[1:],
            "env": {k: v for k, v in os.environ.items() if k.startswith("INC_")}}
    with open(sys.argv[1], "a") as out:
        out.write(json.dumps(data) + "\\n")
""")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    init_repository(tmp_path / "r")
    return tmp_path / "r"


def incident_file(repo: Path) -> dict:
    (path,) = sorted((repo / "incidents").glob("*.yaml"))
    return yaml.safe_load(path.read_text())


def recorder(tmp_path: Path) -> tuple[list[str], Path]:
    script = tmp_path / "record.py"
    script.write_text(RECORDER)
    out = tmp_path / "hook-calls.jsonl"
    return [sys.executable, str(script), str(out)], out


def calls(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def test_webhook_json_is_posted_to_a_local_server(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")  # loopback hooks must not use it
    with receiver() as got:
        configure_hooks(repo, {"opened": [{"webhook": got.url}], "acknowledged": [{"webhook": got.url}]})
        opened = inc("open", "Database connection pool exhausted", "-s", "SEV2", "--at", AT, root=repo)
        assert opened.code == 0, opened.stderr
        assert inc("ack", "--at", "2025-01-15T14:32:00+00:00", root=repo).code == 0
    bodies = got.bodies()
    assert [b["event"] for b in bodies] == ["opened", "acknowledged"]
    assert bodies[0]["incident"]["id"] == opened.stdout.strip()
    assert bodies[0]["incident"]["title"] == "Database connection pool exhausted"
    assert bodies[1]["incident"]["acknowledged_at"] == "2025-01-15T14:32:00+00:00"
    assert got.requests[0]["headers"]["Content-Type"] == "application/json"
    assert got.requests[0]["path"] == "/hook"


def test_webhook_slack_sends_a_text_message(repo: Path) -> None:
    with receiver() as got:
        configure_hooks(repo, {"update": [{"webhook": got.url, "format": "slack"}]})
        inc("open", "Checkout <slow> & failing", "-s", "SEV1", "--service", "checkout", "--at", AT, root=repo)
        inc("update", "Pool restarted; watching error rate", root=repo)
    (body,) = got.bodies()
    assert set(body) == {"text"}
    assert "[SEV1]" in body["text"] and "status update" in body["text"]
    assert "Checkout &lt;slow&gt; &amp; failing (checkout)" in body["text"]
    assert "Pool restarted; watching error rate" in body["text"]


def test_run_hook_gets_the_incident_on_stdin_and_env(repo: Path, tmp_path: Path) -> None:
    argv, out = recorder(tmp_path)
    configure_hooks(repo, {"opened": [{"run": argv}], "severity_changed": [{"run": argv}]})
    incident_id = inc("open", "Disk full on db-1", "-s", "SEV3", "--at", AT, root=repo).stdout.strip()
    assert inc("severity", incident_id, "SEV2", root=repo).code == 0
    first, second = calls(out)
    assert json.loads(first["stdin"])["id"] == incident_id
    assert first["argv"] == [str(out)]  # exactly as configured
    assert first["env"]["INC_ID"] == incident_id
    assert first["env"]["INC_EVENT"] == "opened"
    assert first["env"]["INC_SEVERITY"] == "SEV3"
    assert first["env"]["INC_DIR"] == str(repo)
    assert second["env"]["INC_EVENT"] == "severity_changed"
    assert second["env"]["INC_SEVERITY"] == "SEV2"


def test_shell_metacharacters_in_a_title_run_nothing(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    title = EVIL.format(marker=marker)
    argv, out = recorder(tmp_path)
    with receiver() as got:
        configure_hooks(
            repo,
            {
                "opened": [
                    {"run": argv},
                    # a team's own shell script that uses the title safely, quoted
                    {"run": ["sh", "-c", 'printf "%s" "$INC_TITLE" > "$1"', "sh", str(tmp_path / "title.txt")]},
                    {"webhook": got.url, "format": "slack"},
                    {"webhook": got.url},
                ]
            },
        )
        result = inc("open", title, "-s", "SEV1", "--at", AT, root=repo)
    assert result.code == 0, result.stderr
    assert not marker.exists()
    (call,) = calls(out)
    assert call["env"]["INC_TITLE"] == title
    assert call["argv"] == [str(out)]
    assert (tmp_path / "title.txt").read_text() == title
    assert got.bodies()[1]["incident"]["title"] == title
    assert incident_file(repo)["title"] == title


def test_failing_hook_warns_and_the_incident_stays_saved(repo: Path) -> None:
    failing = "import sys; sys.stderr.write('boom\\n'); sys.exit(1)"
    configure_hooks(repo, {"acknowledged": [{"run": [sys.executable, "-c", failing]}]})
    inc("open", "API errors", "-s", "SEV2", "--at", AT, root=repo)
    result = inc("ack", "--at", "2025-01-15T14:31:00+00:00", root=repo)
    assert result.code == 0
    assert "exited with status 1: boom" in result.stderr
    assert "the incident is saved" in result.stderr
    assert result.stderr.count("warning") == 1
    assert incident_file(repo)["status"] == "acknowledged"


def test_hook_that_hangs_is_stopped_at_its_timeout(repo: Path) -> None:
    configure_hooks(repo, {"opened": [{"run": [sys.executable, "-c", "import time; time.sleep(60)"], "timeout": 0.5}]})
    result = inc("open", "Slow hook", "-s", "SEV4", "--at", AT, root=repo)
    assert result.code == 0
    assert "timed out after 0.5s" in result.stderr
    assert incident_file(repo)["title"] == "Slow hook"


def test_webhook_errors_are_warnings(repo: Path) -> None:
    with receiver(status=500) as got:
        configure_hooks(
            repo,
            {
                "opened": [
                    {"webhook": got.url},
                    {"webhook": "http://127.0.0.1:9/nothing-listens"},
                    {"run": ["no-such-command-incli-test"]},
                ]
            },
        )
        result = inc("open", "Webhook down", "-s", "SEV3", "--at", AT, root=repo)
    assert result.code == 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 3
    assert "HTTP 500" in lines[0]
    assert "unreachable" in lines[1]
    assert "command not found: no-such-command-incli-test" in lines[2]
    assert incident_file(repo)["title"] == "Webhook down"


def test_broken_hooks_config_is_refused_at_load_and_nothing_is_written(repo: Path) -> None:
    """incli.yaml is checked once, when the repository loads (not when the first hook fires)."""
    configure_hooks(repo, {"opened": [{"run": "echo $INC_TITLE"}]})
    result = inc("open", "Broken config", "-s", "SEV3", "--at", AT, root=repo, code=None)
    assert result.code == 4
    assert "incli never runs a shell" in result.stderr
    assert "incli.yaml:3: hooks.opened[0]" in result.stderr and len(result.stderr.splitlines()) == 1
    assert list((repo / "incidents").glob("*.yaml")) == []


def test_any_event_name_from_another_feature_runs_its_hooks(repo: Path, tmp_path: Path) -> None:
    argv, out = recorder(tmp_path)
    configure_hooks(repo, {"postmortem_published": [{"run": argv}]})
    svc = Service(find_repository(repo), user=lambda: "tester")
    warnings: list[str] = []
    svc.listeners.append(Hooks(svc.config, svc.repo.root, warnings.append))
    incident = svc.open("Pool exhausted", "SEV2", at=AT)
    assert calls(out) == []  # nothing configured for opened
    svc.emit("postmortem_published", incident, [])
    (call,) = calls(out)
    assert call["env"]["INC_EVENT"] == "postmortem_published"
    assert warnings == []


def test_yaml_false_in_argv_is_the_word_false(repo: Path) -> None:
    configure_hooks(repo, {"opened": [{"run": [False]}]})  # written as `run: [false]`
    result = inc("open", "Runs /bin/false", "-s", "SEV4", "--at", AT, root=repo)
    assert result.code == 0
    assert "(run false)" in result.stderr and "exited with status 1" in result.stderr
