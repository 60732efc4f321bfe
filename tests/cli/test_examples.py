"""The example repository the README points newcomers at stays valid and tells its story."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from incli.cli.app import app

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme"


def _inc(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--dir", str(EXAMPLES), *args])
    return result.exit_code, result.stdout, result.stderr


def test_examples_validate_clean() -> None:
    code, _out, err = _inc("validate")
    assert code == 0, err
    assert "11 incident files checked: no problems" in err


def test_examples_read_like_a_real_team() -> None:
    code, out, _err = _inc("list", "--json")
    assert code == 0
    incidents = json.loads(out)
    assert 8 <= len(incidents) <= 12
    assert {i["severity"] for i in incidents} == {"SEV1", "SEV2", "SEV3", "SEV4"}
    assert len({i["service"] for i in incidents}) >= 3
    assert [i["status"] for i in incidents if i["status"] != "resolved"] == ["acknowledged"]
    months = {i["opened_at"][:7] for i in incidents}
    assert len(months) >= 4


def test_the_database_pool_case() -> None:
    code, out, _err = _inc("list", "--json")
    pool = [i for i in json.loads(out) if i["title"] == "Database connection pool exhausted"]
    assert len(pool) == 1
    case = pool[0]
    assert case["severity"] == "SEV2"
    assert case["opened_at"] == "2025-01-15T14:30:00+00:00"
    assert case["acknowledged_at"] == "2025-01-15T14:32:00+00:00"
    assert case["mitigated_at"] == "2025-01-15T14:40:00+00:00"
    assert case["resolved_at"] == "2025-01-15T14:45:00+00:00"
    mitigated = [e for e in case["timeline"] if e["kind"] == "mitigated"]
    assert mitigated and "restarted the pool" in mitigated[0]["text"]
