"""inc ingest with hostile JSON, blank tokens, and text no file can hold (issue 12, items 9 and 14)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from incli.serve import IngestServer
from tests.alertpayloads import dumps, firing_two
from tests.conftest import Run

BOMBS = {
    "lone surrogate": dumps(firing_two()).replace('"db-1:9187"', '"db-1\\ud800"'),
    "100,000 deep": "[" * 100_000 + "]" * 100_000,
    "5,000 digits": dumps(firing_two()).replace('"truncatedAlerts": 0', '"truncatedAlerts": ' + "9" * 5000),
    "Infinity": dumps(firing_two()).replace('"truncatedAlerts": 0', '"truncatedAlerts": -Infinity'),
}


@pytest.mark.parametrize("name", list(BOMBS))
def test_hostile_json_is_one_line_exit_4_and_nothing_written(
    run: Run, repo: Path, tmp_path: Path, snapshot: Callable[[Path], dict[str, bytes]], name: str
) -> None:
    file = tmp_path / "alert.json"
    file.write_text(BOMBS[name])
    before = snapshot(repo)
    result = run("ingest", "alertmanager", str(file))
    assert result.code == 4, result.stderr
    (line,) = result.err_lines
    assert line.startswith(f"inc: error: {file}: ")
    assert snapshot(repo) == before


def test_a_lone_surrogate_typed_as_a_title_is_never_written(
    run: Run, repo: Path, snapshot: Callable[[Path], dict[str, bytes]]
) -> None:
    before = snapshot(repo)
    result = run("open", "bad \udcff title", "-s", "SEV2")  # what a Latin-1 terminal's byte decodes to
    assert result.code == 4
    (line,) = result.err_lines
    assert line.startswith("inc: error:") and "not valid UTF-8" in line
    assert snapshot(repo) == before


@pytest.mark.parametrize("token", [" ", "", "\t \n", " padded", "tok\x00en", "t\u00f6ken"])
@pytest.mark.parametrize("via", ["option", "env"])
def test_unusable_tokens_are_refused_before_serving(
    run: Run, repo: Path, monkeypatch: pytest.MonkeyPatch, token: str, via: str
) -> None:
    def served(self: IngestServer, *args: object) -> None:
        pytest.fail(f"served with the token {token!r}")

    monkeypatch.setattr(IngestServer, "serve_forever", served)
    if via == "option" or "\x00" in token:  # no environment can hold a NUL
        result = run("ingest", "serve", "--port", "0", "--token", token)
    else:
        result = run("ingest", "serve", "--port", "0", env={"INC_INGEST_TOKEN": token})
    assert result.code == 4, result.stderr
    (line,) = result.err_lines
    assert line.startswith("inc: error: --token (or INC_INGEST_TOKEN)")
