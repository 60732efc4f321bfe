"""inc import with hostile JSON: one line, exit 4, nothing written (a sibling of issue 12, item 9)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import Run

DEEP = "[" * 100_000 + "]" * 100_000
HOSTILE = {
    "deep.json": DEEP,
    "digits.json": '[{"title": "x", "severity": "SEV2", "n": ' + "9" * 5000 + "}]",
    "surrogate.json": '[{"title": "bad \\ud800", "severity": "SEV2", "opened_at": "2025-01-15T14:30:00+00:00"}]',
    "deep.ndjson": DEEP + "\n",
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_json_import_is_refused_in_one_line(
    run: Run, repo: Path, tmp_path: Path, snapshot: Callable[[Path], dict[str, bytes]], name: str
) -> None:
    file = tmp_path / name
    file.write_text(HOSTILE[name])
    before = snapshot(repo)
    result = run("import", str(file))
    assert result.code == 4, (result.code, result.stderr)
    assert result.err_lines[-1].startswith("inc: error:")  # after the invalid rows, if any, one per line
    assert "Traceback" not in result.stderr
    assert snapshot(repo) == before
