"""The README's first command, run as the installed ``inc`` on the example repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.e2e.conftest import INC

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme"


def test_readme_first_command_runs_on_the_examples() -> None:
    # The README's first command ends in `inc --dir examples/acme list`: run it as a process
    # with an empty PATH and nothing inherited from the test's environment (so not inc_process).
    result = subprocess.run(
        [*INC, "--dir", str(EXAMPLES), "list"],
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "", "TZ": "UTC", "COLUMNS": "200"},
    )
    assert result.returncode == 0, result.stderr
    assert "Database connection pool exhausted" in result.stdout
    readme = (EXAMPLES.parents[1] / "README.md").read_text()
    assert "inc --dir examples/acme list" in readme
    assert (
        (EXAMPLES.parents[1] / ".ci" / "run")
        .read_text()
        .strip()
        .endswith("python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]' && pytest")
    )
    assert "pip install -e '.[test]' && pytest" in readme
