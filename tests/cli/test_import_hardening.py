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


@pytest.mark.parametrize("importer", ["pagerduty", "opsgenie"])
def test_an_export_with_a_lone_surrogate_is_refused_naming_the_file(
    run: Run, repo: Path, tmp_path: Path, importer: str
) -> None:
    file = tmp_path / "export.json"
    file.write_text('{"incidents": [{"id": "P1", "title": "bad \\ud800"}]}')
    result = run("import", str(file), "--from", importer)
    assert result.code == 4, (result.code, result.stderr)
    assert result.err_lines == [
        "inc: error: the file has text that is not valid Unicode (a lone surrogate \\ud800 at character 4)"
    ]
