"""Maintenance window files merge through the incli merge driver like incident files (issue 18)."""

from __future__ import annotations

from pathlib import Path

from incli.service.git import merge_files
from incli.storage import yamlio

BASE = {
    "schema": 1,
    "id": "MNT-20250301-abcde",
    "kind": "maintenance",
    "service": "search",
    "starts_at": "2025-03-01T22:00:00+00:00",
    "ends_at": "2025-03-01T23:00:00+00:00",
    "text": "Search results may be stale.",
    "created_at": "2025-02-20T10:00:00+00:00",
    "updated_at": None,
    "cancelled_at": None,
}


def write(path: Path, **changes: object) -> Path:
    path.write_text(yamlio.dump({**BASE, **changes}))
    return path


def test_changes_on_both_sides_merge(tmp_path: Path) -> None:
    base = write(tmp_path / "base.yaml")
    ours = write(tmp_path / "ours.yaml", ends_at="2025-03-02T00:00:00+00:00", updated_at="2025-02-21T10:00:00+00:00")
    theirs = write(tmp_path / "theirs.yaml", text="Search is read-only.", updated_at="2025-02-22T10:00:00+00:00")
    merge_files(base, ours, theirs, "maintenance/MNT-20250301-abcde.yaml")
    merged = yamlio.load(ours.read_bytes())
    assert merged["ends_at"] == "2025-03-02T00:00:00+00:00"  # only ours changed it
    assert merged["text"] == "Search is read-only."  # only theirs changed it
    assert merged["updated_at"] == "2025-02-22T10:00:00+00:00"  # both changed: the later update


def test_the_same_field_changed_on_both_sides_keeps_the_later_update(tmp_path: Path) -> None:
    base = write(tmp_path / "base.yaml")
    ours = write(tmp_path / "ours.yaml", text="ours", updated_at="2025-02-23T10:00:00+00:00")
    theirs = write(tmp_path / "theirs.yaml", text="theirs", updated_at="2025-02-22T10:00:00+00:00")
    merge_files(base, ours, theirs, None)
    assert yamlio.load(ours.read_bytes())["text"] == "ours"
