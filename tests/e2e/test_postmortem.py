"""The installed ``inc`` renders a postmortem in a subprocess."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import inc
from tests.e2e.conftest import inc_process
from tests.postmortem_helpers import cloudflare_waf, make_repo


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return make_repo(tmp_path, monkeypatch)


def test_the_installed_command_renders(repo: Path) -> None:
    incident_id = cloudflare_waf(repo)
    inc("postmortem", "new", incident_id, root=repo)
    result = inc_process("postmortem", "render", incident_id, "-t", "sre", env={"INC_DIR": str(repo), "TZ": "UTC"})
    assert result.code == 0, result.stderr
    assert result.stdout.startswith("# Global 502 errors: WAF rule exhausted CPU Postmortem")
