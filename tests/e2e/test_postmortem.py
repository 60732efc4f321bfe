"""The installed ``inc`` renders a postmortem in a subprocess."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.postmortem_helpers import cloudflare_waf, inc, make_repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_repo(tmp_path, monkeypatch)


def test_the_installed_command_renders(repo: Path) -> None:
    import subprocess

    incident_id = cloudflare_waf(repo)
    inc(repo, "postmortem", "new", incident_id)
    env = {**os.environ, "INC_DIR": str(repo), "TZ": "UTC"}
    result = subprocess.run(
        [sys.executable, "-m", "incli", "postmortem", "render", incident_id, "-t", "sre"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Global 502 errors: WAF rule exhausted CPU Postmortem")
