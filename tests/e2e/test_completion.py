"""Shell completion as a shell asks for it: the environment bash's (or zsh's, fish's) completion
function sets, given to the installed ``inc`` in a subprocess, and once through bash itself with
the script ``inc --install-completion`` installs. The many smaller cases run the same completion
in-process in tests/cli/test_completion.py, which is the same code without a Python start each."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.test_completion import _cword, team

__all__ = ["team"]  # the fixture, shared with the in-process tests

INSTALLED = Path(sys.executable).parent / "inc"


def complete(root: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    if not INSTALLED.exists():
        pytest.skip("inc is not installed next to this Python")
    base = {k: v for k, v in os.environ.items() if k not in ("INC_DIR", "INC_DEBUG")}
    return subprocess.run(
        [str(INSTALLED)], env={**base, **env}, cwd=root, capture_output=True, text=True, timeout=60, check=False
    )


def bash(root: Path, words: str) -> list[str]:
    ran = complete(root, {"_INC_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": _cword(words)})
    assert ran.returncode == 0 and ran.stderr == "", ran.stderr
    return ran.stdout.split()


def test_bash_offers_the_active_incidents_newest_first(team: dict) -> None:
    assert bash(team["root"], "inc ack ") == [team["active"][1], team["active"][0]]  # nothing typed: the active ones


def test_zsh_and_fish_show_each_id_with_its_status_and_title(team: dict) -> None:
    root = team["root"]
    newest = team["active"][1]
    zsh = complete(root, {"_INC_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": "inc ack "})
    assert f'"{newest}":"open\\\\: CDN"' in zsh.stdout, zsh.stdout
    fish = complete(
        root,
        {
            "_INC_COMPLETE": "complete_fish",
            "_TYPER_COMPLETE_ARGS": "inc ack ",
            "_TYPER_COMPLETE_FISH_ACTION": "get-args",
        },
    )
    assert f"{newest}\topen: CDN" in fish.stdout.splitlines(), fish.stdout


def test_outside_a_repository_a_tab_offers_nothing_and_says_nothing(tmp_path: Path) -> None:
    ran = complete(tmp_path, {"_INC_COMPLETE": "complete_bash", "COMP_WORDS": "inc ack ", "COMP_CWORD": "2"})
    assert (ran.returncode, ran.stdout.strip(), ran.stderr) == (0, "", "")


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash")
def test_through_bash_with_the_installed_script(team: dict) -> None:
    root = team["root"]
    script = complete(root, {"_INC_COMPLETE": "source_bash"}).stdout
    assert "complete -o default -F _inc_completion inc" in script
    program = (
        script + '\nCOMP_WORDS=(inc resolve ""); COMP_CWORD=2; _inc_completion inc; printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{INSTALLED.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("INC_DIR", None)
    ran = subprocess.run(
        ["bash", "--norc", "-c", program], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    assert ran.stdout.split() == [team["active"][1], team["active"][0]], ran.stderr
