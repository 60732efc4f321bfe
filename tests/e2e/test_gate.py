"""inc gate and inc freeze (issue 17): a deploy script stops on an active SEV1 on a dependency,
and on a freeze; goes on when neither holds. The rules themselves are tested in-process in
tests/cli/test_gate.py."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_gate import CATALOG
from tests.conftest import inc


@pytest.fixture
def deploy(repo: Path) -> Path:
    (repo / "catalog.yaml").write_text(CATALOG)
    script = repo.parent / "deploy.sh"
    inc_cmd = " ".join(shlex.quote(part) for part in (sys.executable, "-m", "incli"))
    script.write_text(f'#!/bin/sh\nset -e\n{inc_cmd} gate --service "$1"\necho "deploying $1"\n')
    script.chmod(0o755)
    return script


def run_script(script: Path, service: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(script), service], capture_output=True, text=True, env=os.environ.copy(), timeout=60)


def test_a_deploy_script_stops_on_an_active_sev1_of_a_dependency(repo: Path, deploy: Path) -> None:
    assert run_script(deploy, "payments").stdout.endswith("deploying payments\n")
    ident = inc("open", "Disks full", "-s", "SEV1", "--service", "storage").stdout.strip()
    stopped = run_script(deploy, "payments")
    assert stopped.returncode == 1 and "deploying payments\n" not in stopped.stdout
    why = f"{ident} (SEV1 on storage, which payments depends on)"
    assert stopped.stdout == f"blocked: deploying payments: active: {why}\n"
    assert run_script(deploy, "web").returncode == 0
    decision = inc("gate", "--service", "db", "--json", code=1).json
    assert decision == {
        "ok": False,
        "blocking": [{"id": ident, "severity": "SEV1", "service": "storage"}],
        "freeze": None,
    }
    inc("resolve", ident)
    assert run_script(deploy, "payments").returncode == 0


def test_a_freeze_blocks_until_it_ends_or_is_lifted(repo: Path, deploy: Path) -> None:
    inc("freeze", "--service", "payments", "--until", "in 2h", "--reason", "Black Friday", "--by", "alice")
    assert "frozen" in run_script(deploy, "payments").stdout and run_script(deploy, "payments").returncode == 1
    assert run_script(deploy, "web").returncode == 0
    decision = inc("gate", "--service", "PAYMENTS", "--json", code=1).json
    assert decision["ok"] is False and decision["blocking"] == []
    assert decision["freeze"]["reason"] == "Black Friday" and decision["freeze"]["by"] == "alice"
    assert "Black Friday" in (repo / "freezes.yaml").read_text()
    inc("freeze", "--service", "payments", "--lift")
    assert run_script(deploy, "payments").returncode == 0
    inc("freeze", "--until", "3d", "--reason", "Holidays")
    assert inc("gate", "--service", "web", code=1).stdout.startswith("blocked: deploying web: frozen until")
