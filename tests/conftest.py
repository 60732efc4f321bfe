"""Shared by every test folder (unit/, cli/, e2e/): keep this small and generic.

- Every test runs with TZ=UTC, COLUMNS=200 and without INC_DIR/INC_DEBUG/EDITOR from the
  developer's shell (autouse ``_clean_env``).
- ``inc("open", "Title", "-s", "SEV2")`` runs ``inc`` in-process (``root=`` adds ``--dir ROOT``),
  asserts the exit code (``code=0`` by default; ``code=None`` leaves it to the test) and
  returns a ``Ran`` with ``code``, ``stdout`` and ``stderr`` kept apart. A plain function, so
  module-scoped fixtures and helper modules use it too; ``tests/e2e/conftest.py`` has its
  subprocess twin, ``inc_process``.
- ``run`` is the same ``inc`` as a fixture, leaving the exit code to the test (``Run`` types it).
- ``repo`` is a fresh repository made by ``inc init`` (INC_DIR points at it).
- ``snapshot(path)`` maps every file under ``path`` to its bytes, to assert that a
  refused command changed nothing; ``check_refused`` checks the one-line refusal.
- ``shared`` is the scope of a fixture several tests of a module read (``@pytest.fixture(scope=shared)``):
  module-wide, but per test under the mutation run, which learns what each test reaches.
- ``git_home`` gives git an empty HOME (no user.name) so ``--by`` defaults can be tested;
  ``git_env`` adds a fixed author, for tests with real clones; ``git(cwd, ARGS)`` and
  ``commit_all(clone, message)`` run real git.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from incli.cli.app import app
from incli.errors import ExitCode

# A fixed time for backfilled incidents (the example case of issue 2).
T0 = "2025-01-15T14:30:00+00:00"


def shared(fixture_name: str, config: pytest.Config) -> str:
    """The scope of a fixture that several tests of a module read: built once per module, but once
    per test under the mutation run (tools/mutation.py; mutmut sets MUTANT_UNDER_TEST). mutmut
    learns which tests reach which code by watching each test run, so a module fixture's work would
    count for the first test alone, and a mutant in that code would be tried against it alone."""
    return "function" if "MUTANT_UNDER_TEST" in os.environ else "module"


@dataclass
class Ran:
    """One run of ``inc``: the exit code, and stdout and stderr kept apart."""

    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def err_lines(self) -> list[str]:
        return self.stderr.splitlines()


def _runner() -> CliRunner:
    try:  # Click < 8.2 mixes stderr into stdout unless told not to.
        return CliRunner(mix_stderr=False)  # type: ignore[call-arg]
    except TypeError:
        return CliRunner()


def inc(
    *args: object,
    root: Path | str | None = None,
    input: str | None = None,
    env: Mapping[str, str | None] | None = None,
    code: int | None = 0,
) -> Ran:
    """``inc ARGS`` in-process (``inc --dir ROOT ARGS`` given ``root``), with ``input`` on stdin and
    ``env`` set for the run. Asserts the exit code is ``code`` unless ``code`` is None."""
    argv = [str(a) for a in args]
    if root is not None:
        argv = ["--dir", str(root), *argv]
    result = _runner().invoke(app, argv, input=input, env=env, catch_exceptions=False)
    ran = Ran(result.exit_code, result.stdout, result.stderr)
    if code is not None:
        assert ran.code == code, f"inc {' '.join(argv)}: exit {ran.code}, not {code}\n{ran.stdout}{ran.stderr}"
    return ran


Run = Callable[..., Ran]


@pytest.fixture
def run() -> Run:
    """``inc`` as a fixture, without the exit-code check: the test looks at ``.code`` itself."""
    return functools.partial(inc, code=None)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("INC_DIR", "INC_DEBUG", "EDITOR", "VISUAL", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("COLUMNS", "200")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh repository made by ``inc init``; INC_DIR points at it."""
    root = tmp_path / "repo"
    inc("init", root)
    monkeypatch.setenv("INC_DIR", str(root))
    return root


def take_snapshot(root: Path) -> dict[str, bytes]:
    """Every file the user owns and its bytes. The derived index in .incli/ is left out:
    it is a cache any read may refresh, never data (the lock and .gitignore there are kept)."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not (p.parent.name == ".incli" and p.name.startswith("index"))
    }


def check_refused(result: Ran, code: ExitCode, *words: str) -> None:
    """A refused command: exactly one ``inc: error:`` line on stderr (skipped-file warnings aside)
    naming every word, and the exit code."""
    errors = [line for line in result.stderr.splitlines() if "warning: skipped" not in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith("inc: error: "), result.stderr
    assert result.code == code, (result.code, result.stderr)
    for word in words:
        assert word in errors[0], (word, errors[0])


@pytest.fixture
def snapshot() -> Callable[[Path], dict[str, bytes]]:
    """``snapshot(root)``: every file under root and its bytes."""
    return take_snapshot


@pytest.fixture
def git_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty HOME and no system git config: git has no user.name."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.delenv("GIT_CONFIG_GLOBAL", raising=False)
    return home


@pytest.fixture
def git_env(git_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git with an empty HOME, no system config and a fixed author, for tests with real clones."""
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Tester")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "tester@example.com")


def git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check:
        assert result.returncode == 0, f"git {' '.join(args)}: {result.stdout}{result.stderr}"
    return result


def commit_all(clone: Path, message: str) -> None:
    git(clone, "add", "-A")
    git(clone, "commit", "-q", "-m", message)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """Every in-process ``inc`` sees the same "now" (2026-06-01 12:00:00.5 UTC), so outputs holding
    ages and open durations compare equal however slowly the test runs (a minute boundary
    passing between two runs once made such a comparison fail under load)."""
    moment = datetime(2026, 6, 1, 12, 0, 0, 500000, tzinfo=UTC)
    monkeypatch.setattr("incli.domain.times.now_utc", lambda: moment)
    return moment


def configure_hooks(repo: Path, hooks: dict[str, Any]) -> None:
    """Set incli.yaml's ``hooks:`` section to ``hooks`` (written without YAML aliases, which
    incli refuses)."""
    import yaml

    path = repo / "incli.yaml"
    data = yaml.safe_load(path.read_text())
    data["hooks"] = hooks
    path.write_text(yaml.safe_dump(json.loads(json.dumps(data))))
