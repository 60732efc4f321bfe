"""Issue 11, consistency between commands: one rule for each thing several commands show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import T0, inc

# -- 1. a due time that is not today shows its date ----------------------------------------


def _late_days(due: datetime) -> int:
    return (datetime.now(UTC) - due).days


def test_status_and_show_give_the_date_of_a_due_time_on_another_day(repo: Path) -> None:
    incident = inc("open", "Checkout errors", "-s", "SEV2", "--at", T0).stdout.strip()
    due = datetime(2025, 1, 15, 15, 0, tzinfo=UTC)  # declared 14:30, SEV2 updates every 30 minutes
    row = next(line for line in inc("status").stdout.splitlines() if incident in line)
    assert "2025-01-15 15:00" in row
    shown = inc("show", incident).stdout
    line = next(line for line in shown.splitlines() if "Next update" in line)
    assert "2025-01-15 15:00," in line and line.rstrip().endswith("late")
    assert f"{_late_days(due)} days" in line
    overdue = next(line for line in shown.splitlines() if "Overdue update" in line)
    assert "due 2025-01-15 15:00," in overdue


def test_a_due_time_today_is_only_its_clock(repo: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    if now.hour == 0 or now.hour >= 23:
        pytest.skip("too close to midnight for 'today' to be stable")
    opened = now - timedelta(minutes=5)
    incident = inc("open", "Slow search", "-s", "SEV2", "--at", opened.isoformat()).stdout.strip()
    due = opened + timedelta(minutes=30)
    row = next(line for line in inc("status").stdout.splitlines() if incident in line)
    assert f" {due:%H:%M} " in row and f"{due:%Y-%m-%d}" not in row
    line = next(line for line in inc("show", incident).stdout.splitlines() if "Next update" in line)
    assert line.rstrip().endswith(f"{due:%H:%M}") and "late" not in line
