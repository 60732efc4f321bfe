"""The GitHub CLI (``gh``): opening a pull request, run as argv (never a shell)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

TIMEOUT = 120.0


def installed() -> str | None:
    """The path of ``gh`` on PATH, or None."""
    return shutil.which("gh")


def create_pull_request(
    gh: str, cwd: Path, *, head: str, title: str, body_file: Path, reviewers: list[str]
) -> tuple[bool, str]:
    """(ok, the request's URL or gh's reason in one line)."""
    args = [gh, "pr", "create", "--head", head, "--title", title, "--body-file", str(body_file)]
    for name in reviewers:
        args += ["--reviewer", name]
    try:
        done = subprocess.run(
            args, cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False, env=os.environ
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"gh did not run: {exc}"
    if done.returncode != 0:
        why = (done.stderr or done.stdout).strip().splitlines()
        return False, why[0] if why else f"gh exited with {done.returncode}"
    lines = done.stdout.strip().splitlines()
    return True, lines[-1] if lines else ""
