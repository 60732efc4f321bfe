"""Everything incli asks git, in one place."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def run_git(args: list[str], cwd: Path | None = None, timeout: float = 10.0) -> subprocess.CompletedProcess[str] | None:
    """Run git; None when git is not installed."""
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None


def user_name(cwd: Path | None = None) -> str | None:
    """git's user.name, then $USER (or $USERNAME)."""
    result = run_git(["config", "user.name"], cwd=cwd)
    if result is not None and result.returncode == 0 and result.stdout.strip():
        return result.stdout.strip()
    return os.environ.get("USER") or os.environ.get("USERNAME") or None
