"""Every command and every option is documented in the README (after sqlite-utils'
``test_commands_are_documented``): the command tree of ``inc`` is walked, hidden commands left out,
and each command path (``inc postmortem render``) and each long option (``--at``) must appear in
README.md as a whole word."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from incli.cli.app import app

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def commands(command: Any, path: str) -> list[tuple[str, Any]]:
    """``(path, command)`` for the command and every visible command under it, depth first."""
    if getattr(command, "hidden", False):
        return []
    found = [(path, command)]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found += commands(sub, f"{path} {name}")
    return found


def long_options(command: Any) -> list[str]:
    """The long forms (``--at``, and ``--no-x`` of a flag pair) of the command's visible options."""
    names = set()
    for param in command.params:
        if param.param_type_name == "option" and not getattr(param, "hidden", False):
            names.update(o for o in [*param.opts, *param.secondary_opts] if o.startswith("--"))
    return sorted(names)


def documented(text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(text)}(?![\w-])", README) is not None


COMMANDS = commands(typer.main.get_command(app), "inc")


def test_the_walk_finds_the_nested_commands() -> None:
    paths = [path for path, _command in COMMANDS]
    assert {"inc", "inc open", "inc postmortem render", "inc action add", "inc ingest serve"} <= set(paths)
    assert "inc merge-driver" not in paths  # hidden: run by git, not by people
    assert "--at" in long_options(dict(COMMANDS)["inc open"])


@pytest.mark.parametrize("path, command", COMMANDS, ids=[path for path, _command in COMMANDS])
def test_commands_are_documented(path: str, command: Any) -> None:
    assert documented(path), f"{path} is not in README.md"
    missing = [option for option in long_options(command) if not documented(option)]
    assert missing == [], f"{path}: {', '.join(missing)} not in README.md"
