"""`--at` with a clock time, as typed on a command (issue 19: bugs no test caught).

A fraction of a second typed on a clock time is stored; a clock time that is not a time of day
("24:00", "14:60") and a word without digits ("monday") are refused in one line with nothing
written, never a traceback nor a date dateutil guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from incli.errors import ExitCode
from incli.storage import yamlio
from tests.conftest import Run, check_refused, inc


def test_fraction_typed_on_a_clock_time_is_stored(repo: Path) -> None:
    incident = inc("open", "Disk full", "-s", "SEV2", "--at", "00:00:05.25").stdout.strip()
    stored = yamlio.load((repo / "incidents" / f"{incident}.yaml").read_text(encoding="utf-8"))
    assert stored["opened_at"].endswith("T00:00:05.250000+00:00")
    assert stored["timeline"][0]["at"] == stored["opened_at"]


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("24:00", ("'24:00' is not a time of day",)),
        ("14:60", ("'14:60' is not a time of day",)),
        ("14:32:60", ("'14:32:60' is not a time of day",)),
        ("monday", ("cannot read 'monday' as a time",)),
    ],
)
def test_impossible_clock_times_and_words_are_refused(
    repo: Path, run: Run, snapshot: Callable[[Path], dict[str, bytes]], typed: str, words: tuple[str, ...]
) -> None:
    before = snapshot(repo)
    check_refused(run("open", "Disk full", "-s", "SEV2", "--at", typed), ExitCode.INVALID, *words)
    assert snapshot(repo) == before
