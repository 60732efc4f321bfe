"""For the end-to-end tests: ``inc`` run as the installed program, in a subprocess.

- ``inc_process("open", "Title", "-s", "SEV2")`` runs ``python -m incli ARGS`` and returns the
  same ``Ran`` as the in-process ``inc`` (``root=`` adds ``--dir ROOT``; ``code=0`` by default
  is asserted, ``code=None`` leaves it to the test). The process gets the test's environment
  (TZ=UTC, INC_DIR from the ``repo`` fixture, ...) plus ``env``, never INC_DEBUG; stdin is
  ``input`` or empty.
- ``unprivileged=True`` runs it with every capability dropped (setpriv) when the tests run as
  root, so that file modes apply to it as to anyone; the test skips where that cannot be done.
- ``INC`` is the command itself, for tests that start ``inc`` with ``subprocess.Popen``.
- ``git_env`` (a fixture), ``git`` and ``commit_all`` (from tests/conftest.py): real git for the tests with clones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.conftest import Ran, commit_all, git

__all__ = ["INC", "commit_all", "git", "inc_process"]

INC = [sys.executable, "-m", "incli"]


def _drop_privileges() -> list[str]:
    """The command prefix that makes root an ordinary user for file modes (none when not root)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file modes cannot be enforced")
    prefix = [setpriv, "--bounding-set=-all", "--inh-caps=-all", "--"]
    if subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("running as root and setpriv cannot drop capabilities here")
    return prefix


def inc_process(
    *args: object,
    root: Path | str | None = None,
    input: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    code: int | None = 0,
    unprivileged: bool = False,
) -> Ran:
    """``python -m incli ARGS`` (``--dir ROOT`` first given ``root``) in a subprocess.
    Asserts the exit code is ``code`` unless ``code`` is None."""
    argv = [str(a) for a in args]
    if root is not None:
        argv = ["--dir", str(root), *argv]
    full_env = {**os.environ, **(env or {})}
    full_env.pop("INC_DEBUG", None)
    prefix = _drop_privileges() if unprivileged else []
    result = subprocess.run(
        [*prefix, *INC, *argv],
        input=input,
        stdin=subprocess.DEVNULL if input is None else None,
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=60,
    )
    ran = Ran(result.returncode, result.stdout, result.stderr)
    if code is not None:
        assert ran.code == code, f"inc {' '.join(argv)}: exit {ran.code}, not {code}\n{ran.stdout}{ran.stderr}"
    return ran
