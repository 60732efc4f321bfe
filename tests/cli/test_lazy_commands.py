"""The lazy command group: a command imports only its own module (issue 14), while help,
completion and the full listing still see every command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import typer

from incli.cli import commands
from incli.cli.app import app
from tests.conftest import inc

PROBE = """
import json, sys
sys.argv = ["inc", *sys.argv[1:]]
from incli.cli.app import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.startswith("incli.cli."))), file=sys.stderr)
"""


def modules_after(*args: str, root: Path | None = None) -> set[str]:
    argv = [*(["--dir", str(root)] if root else []), *args]
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60, check=False)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_a_command_imports_only_its_own_module(repo: Path) -> None:
    ident = inc("open", "Checkout errors", "-s", "SEV2").stdout.strip()
    loaded = modules_after("ack", ident, "--by", "ann", root=repo)
    assert "incli.cli.lifecycle" in loaded
    others = {f"incli.cli.{m}" for m in commands.modules()} - {"incli.cli.lifecycle"}
    assert not loaded & others, loaded & others
    # ... and the command ran: the file records the acknowledgement.
    assert json.loads(inc("show", ident, "--json").stdout)["acknowledged_at"]


def test_a_group_loads_its_module_and_help_loads_every_one() -> None:
    assert "incli.cli.postmortem" in modules_after("postmortem", "--help")
    assert "incli.cli.report" not in modules_after("postmortem", "--help")
    every = modules_after("--help")
    assert {f"incli.cli.{m}" for m in commands.modules()} <= every


def test_the_full_listing_is_the_table_and_each_name_loads_on_its_own() -> None:
    group: Any = typer.main.get_command(app)
    assert group.commands.loaded() == []
    assert group.get_command(None, "gate") is not None
    assert group.commands.loaded() == ["gate"]  # freeze and gate, from one module
    assert "freeze" in group.commands and group.commands.loaded() == ["gate"]
    assert group.get_command(None, "no-such-command") is None
    assert list(group.commands) == list(commands.COMMANDS) or set(group.commands) == set(commands.COMMANDS)
    assert group.commands.loaded() == sorted(commands.modules())


def test_an_unknown_command_is_one_line_and_the_examples_still_end_each_help() -> None:
    result = inc("frobnicate", code=None)
    assert result.code == 2 and len(result.err_lines) == 1 and "frobnicate" in result.stderr
    assert "$ inc ack txm67 --at 14:32" in inc("ack", "--help").stdout
