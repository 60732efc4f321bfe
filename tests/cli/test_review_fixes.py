"""Defects an independent review found after the hardening issue, each as a user would see it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import T0, inc, take_snapshot


@pytest.mark.parametrize("typed", ["-5m", "-1h", "-0m", "+30m", "-5"])
def test_a_signed_amount_is_not_read_as_a_clock_time(repo: Path, typed: str) -> None:
    incident = inc("open", "x", "-s", "SEV2", "--at", T0).stdout.strip()
    before = take_snapshot(repo)
    result = inc("note", incident, "text", "--at", typed, code=None)
    assert result.code == 4 and len(result.err_lines) == 1 and "ago" in result.stderr
    assert take_snapshot(repo) == before


@pytest.mark.parametrize("folder", [".git", ".git/incidents", ".", "incli.yaml"])
def test_incidents_dir_must_be_a_folder_of_its_own(repo: Path, folder: str) -> None:
    config = repo / "incli.yaml"
    config.write_text(config.read_text() + f"incidents_dir: '{folder}'\n")
    result = inc("open", "x", "-s", "SEV2", code=None)
    assert result.code == 4 and "incidents_dir" in result.stderr and len(result.err_lines) == 1


def test_json_never_carries_raw_c1_or_bidi_characters(repo: Path) -> None:
    title = "db \u009b2J down \u202eevil"
    incident = inc("open", title, "-s", "SEV2", "--at", T0).stdout.strip()
    for args in (("show", incident, "--json"), ("list", "--json"), ("export",)):
        out = inc(*args).stdout
        assert "\u009b" not in out and "\u202e" not in out
        assert "\\u009b" in out and "\\u202e" in out
    assert inc("show", incident, "--json").json["title"] == title


def test_validate_notices_a_registration_without_its_command(tmp_path: Path) -> None:
    root = tmp_path / "clone"
    root.mkdir()
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    inc("init", str(root))
    assert inc("validate", root=root).code == 0
    subprocess.run(["git", "config", "--unset", "merge.incli.driver"], cwd=root, check=True)
    result = inc("validate", root=root, code=6)
    assert "run inc init again" in result.stdout
    subprocess.run(["git", "config", "--remove-section", "merge.incli"], cwd=root, check=True)
    assert inc("validate", root=root).code == 0  # never registered (a CI checkout): git's line merge
