"""Text that YAML 1.1 would turn into numbers, booleans or dates survives ``inc open`` and
``inc note``, read back by our loader and by plain ``yaml.safe_load``."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from incli.storage import yamlio
from tests.conftest import T0, inc


@pytest.mark.parametrize(
    "text",
    [
        "14:30",
        "no",
        "yes",
        "on",
        "null",
        "1e3",
        "0x10",
        "2025-01-15",
        "line one\nline two",
        "Datenbank überlastet — 数据库 🔥",
    ],
)
def test_title_and_note_round_trip_through_the_cli(repo: Path, text: str) -> None:
    opened = inc("open", text, "-s", "SEV3", "--at", T0, "--summary", text, "--service", text, "--by", text)
    assert opened.code == 0, opened.stderr
    incident_id = opened.stdout.strip()
    noted = inc("note", incident_id, text, "--at", "2025-01-15T14:31:00+00:00", "--by", "x")
    assert noted.code == 0, noted.stderr

    path = repo / "incidents" / f"{incident_id}.yaml"
    raw = path.read_bytes()
    for data in (yamlio.load(raw), yaml.safe_load(raw)):
        assert data["title"] == text
        assert data["summary"] == text
        assert data["service"] == text
        assert data["timeline"][0]["by"] == text
        assert data["timeline"][-1]["text"] == text
    shown = inc("show", incident_id, "--json").json
    assert shown["title"] == text
    assert shown["timeline"][-1]["text"] == text


def test_written_file_reads_the_same_with_safe_load(repo: Path) -> None:
    incident_id = inc("open", "DB pool", "-s", "2", "--at", T0, "--tag", "no", "--tag", "14:30").stdout.strip()
    inc("ack", "--at", "2025-01-15T14:32:00+00:00", "--by", "ann")
    path = repo / "incidents" / f"{incident_id}.yaml"
    ours = yamlio.load(path.read_bytes())
    theirs = yaml.safe_load(path.read_bytes())

    # safe_load turns timestamps into datetimes; compare after normalising those.
    def norm(value: object) -> object:
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        if isinstance(value, list):
            return [norm(v) for v in value]
        if hasattr(value, "isoformat"):
            return value.isoformat()  # type: ignore[union-attr]
        return value

    assert norm(theirs) == norm(ours)
    assert ours["tags"] == ["no", "14:30"]
    assert ours["acknowledged_at"] == "2025-01-15T14:32:00+00:00"
