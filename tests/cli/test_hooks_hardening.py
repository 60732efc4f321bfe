"""Hooks with text the OS refuses in an environment (issue 12, item 3, and siblings)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import yaml

from incli.service.hooks import hook_env
from tests.alertpayloads import dumps, firing_two
from tests.conftest import Run

MAX_ENV_CHARS = 4096

RECORDER = textwrap.dedent("""
    import json, os, sys
    data = {"stdin": sys.stdin.read(), "env": {k: v for k, v in os.environ.items() if k.startswith("INC_")}}
    with open(sys.argv[1], "a") as out:
        out.write(json.dumps(data) + "\\n")
""")


def configure(repo: Path, tmp_path: Path, broken_first: bool = False) -> Path:
    script = tmp_path / "record.py"
    script.write_text(RECORDER)
    out = tmp_path / "calls.jsonl"
    hooks = [{"run": [sys.executable, str(script), str(out)]}]
    if broken_first:  # an argv the OS refuses: Popen raises ValueError
        hooks.insert(0, {"run": [sys.executable, "-c", "print('never')\x00"]})
    path = repo / "incli.yaml"
    data = yaml.safe_load(path.read_text())
    data["hooks"] = {"opened": hooks}
    path.write_text(yaml.safe_dump(data))
    return out


def calls(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def test_nul_in_a_title_still_runs_the_hook_with_the_exact_title_on_stdin(run: Run, repo: Path, tmp_path: Path) -> None:
    out = configure(repo, tmp_path)
    title = "DB down\x00 \x1b[31mred\x1b[0m\nsecond line"
    result = run("open", title, "-s", "SEV2")
    assert result.code == 0, result.stderr
    incident_id = result.stdout.strip()
    assert incident_id.startswith("INC-")
    (call,) = calls(out)
    assert json.loads(call["stdin"])["title"] == title
    assert call["env"]["INC_TITLE"] == "DB down   [31mred [0m second line"
    assert call["env"]["INC_ID"] == incident_id
    assert "Traceback" not in result.stderr


def test_a_hook_that_cannot_start_is_one_warning_and_the_next_hook_runs(run: Run, repo: Path, tmp_path: Path) -> None:
    out = configure(repo, tmp_path, broken_first=True)
    result = run("open", "Disk full", "-s", "SEV3")
    assert result.code == 0, result.stderr
    warnings = [line for line in result.err_lines if "failed" in line]
    assert len(warnings) == 1 and "cannot run" in warnings[0]
    assert len(calls(out)) == 1


def test_nul_in_an_ingested_alert_runs_the_hook(run: Run, repo: Path, tmp_path: Path) -> None:
    out = configure(repo, tmp_path)
    payload = firing_two()
    payload["commonAnnotations"]["summary"] = "Pool\x00 exhausted"
    file = tmp_path / "alert.json"
    file.write_text(dumps(payload))
    result = run("ingest", "alertmanager", str(file))
    assert result.code == 0, result.stderr
    assert result.stdout.strip().startswith("INC-")
    (call,) = calls(out)
    assert "Pool\x00 exhausted" in json.loads(call["stdin"])["title"]
    assert "\x00" not in call["env"]["INC_TITLE"] and "Pool  exhausted" in call["env"]["INC_TITLE"]


def test_env_values_are_bounded_and_safe(tmp_path: Path) -> None:
    env = hook_env("rule_triggered", None, tmp_path, {"INC_RULE": "a\x00b\x7f\ud800" + "x" * 10_000, "BAD=NAME": "v"})
    assert env["INC_RULE"].startswith("a b \ufffd")
    assert len(env["INC_RULE"]) == MAX_ENV_CHARS
    assert "BAD=NAME" not in env
    for value in env.values():
        value.encode("utf-8")  # nothing the OS or a UTF-8 hook would refuse
        assert "\x00" not in value
