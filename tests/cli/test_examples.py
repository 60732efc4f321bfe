"""The example repository the README points newcomers at stays valid and tells its story."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import inc

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme"


def test_examples_validate_clean() -> None:
    result = inc("validate", root=EXAMPLES)
    assert result.code == 0, result.stderr
    assert "11 incident files checked: no problems" in result.stderr


def test_examples_read_like_a_real_team() -> None:
    result = inc("list", "--json", root=EXAMPLES)
    assert result.code == 0
    incidents = json.loads(result.stdout)
    assert 8 <= len(incidents) <= 12
    assert {i["severity"] for i in incidents} == {"SEV1", "SEV2", "SEV3", "SEV4"}
    assert len({i["service"] for i in incidents}) >= 3
    assert [i["status"] for i in incidents if i["status"] != "resolved"] == ["acknowledged"]
    months = {i["opened_at"][:7] for i in incidents}
    assert len(months) >= 4


def test_the_database_pool_case() -> None:
    listed = inc("list", "--json", root=EXAMPLES)
    pool = [i for i in json.loads(listed.stdout) if i["title"] == "Database connection pool exhausted"]
    assert len(pool) == 1
    case = pool[0]
    assert case["severity"] == "SEV2"
    assert case["opened_at"] == "2025-01-15T14:30:00+00:00"
    assert case["acknowledged_at"] == "2025-01-15T14:32:00+00:00"
    assert case["mitigated_at"] == "2025-01-15T14:40:00+00:00"
    assert case["resolved_at"] == "2025-01-15T14:45:00+00:00"
    mitigated = [e for e in case["timeline"] if e["kind"] == "mitigated"]
    assert mitigated and "restarted the pool" in mitigated[0]["text"]
