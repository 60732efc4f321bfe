"""The lazy command group: a command imports only its own module (issue 14), while help,
completion and the full listing still see every command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
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
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("incli.", "yaml")))), file=sys.stderr)
"""


def loaded_after(*args: str, root: Path | None = None) -> set[str]:
    """Every incli module (and PyYAML) a fresh ``inc ARGS`` process imported."""
    argv = [*(["--dir", str(root)] if root else []), *args]
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=60, check=False)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def modules_after(*args: str, root: Path | None = None) -> set[str]:
    """The command modules (incli.cli.*) a fresh ``inc ARGS`` process imported."""
    return {m for m in loaded_after(*args, root=root) if m.startswith("incli.cli.")}


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


# What a repository without hooks, auto-commit, schedules or escalation never needs on a write.
FEATURES = {
    "incli.service.hooks",
    "incli.domain.hooks",
    "incli.service.git",
    "incli.service.paging",
    "incli.domain.escalation",
    "incli.domain.oncall",
    "incli.domain.statuspage",
    "incli.domain.alerts",
    "incli.domain.rules",
    "incli.domain.runbooks",
    "incli.storage.index",
    "incli.domain.metrics",
}


def test_a_write_imports_no_feature_the_repository_does_not_use(repo: Path) -> None:
    ident = inc("open", "Checkout errors", "-s", "SEV2").stdout.strip()
    for args in (("ack", ident, "--by", "ann"), ("note", ident, "pool at 100%", "--by", "ann")):
        loaded = loaded_after(*args, root=repo)
        assert not loaded & FEATURES, (args, loaded & FEATURES)
    assert loaded_after("open", "Second", "-s", "SEV3", "--by", "ann", root=repo).isdisjoint(FEATURES)
    timeline = json.loads(inc("show", ident, "--json").stdout)["timeline"]
    assert [e["kind"] for e in timeline] == ["opened", "acknowledged", "note"]


def test_a_feature_the_repository_uses_is_imported_and_works(repo: Path, tmp_path: Path) -> None:
    """The lazy path itself: with hooks, auto-commit and a schedule configured, the same write
    loads them and they run."""
    from tests.conftest import configure_hooks

    out = tmp_path / "hook.txt"
    configure_hooks(repo, {"acknowledged": [{"run": [sys.executable, "-c", f"open({str(out)!r}, 'w').write('ran')"]}]})
    ident = inc("open", "Checkout errors", "-s", "SEV2").stdout.strip()
    loaded = loaded_after("ack", ident, "--by", "ann", root=repo)
    assert {"incli.service.hooks", "incli.domain.hooks"} <= loaded
    assert out.read_text() == "ran"
    (repo / "incli.yaml").write_text(
        (repo / "incli.yaml").read_text() + "escalation:\n  crit:\n    levels:\n    - notify: [ann]\n"
    )
    status = loaded_after("status", root=repo)
    assert "incli.service.paging" in status


def test_every_dataclass_has_a_docstring() -> None:
    """A dataclass without one computes its signature for a docstring when its module is
    imported: milliseconds of every command's start, for nothing."""
    import ast

    missing = []
    for path in sorted(Path(__file__).resolve().parents[2].joinpath("src", "incli").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            is_dataclass = isinstance(node, ast.ClassDef) and any(
                "dataclass" in ast.unparse(d) for d in node.decorator_list
            )
            if is_dataclass and not ast.get_docstring(node):
                missing.append(f"{path.name}:{node.lineno} {node.name}")
    assert missing == []


GC_PROBE = """
import gc, sys
sys.argv = ["inc", *sys.argv[1:]]
from incli.cli.app import main
try:
    main()
except SystemExit:
    pass
print("collector", gc.isenabled(), file=sys.stderr)
"""


def test_short_commands_pause_the_cycle_collector_and_long_ones_keep_it(repo: Path) -> None:
    """A listing of a large repository reads hundreds of thousands of tuples that Python's cycle
    collector would walk again and again; a server or a site build keeps it (cli/commands.py)."""

    def collector_after(*args: str) -> bool:
        argv = ["--dir", str(repo), *args]
        done = subprocess.run([sys.executable, "-c", GC_PROBE, *argv], capture_output=True, text=True, timeout=60)
        return done.stderr.strip().splitlines()[-1] == "collector True"

    assert not collector_after("list")
    assert not collector_after("status")
    assert collector_after("report", "-o", str(repo / "site"))
    assert collector_after("statuspage", "-o", str(repo / "status"))
    assert set(commands.KEEP_COLLECTOR) <= set(commands.COMMANDS)


def test_the_everyday_commands_never_use_pyyaml_on_files_incli_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyYAML costs about 25 ms to import and more to run: incident files and a plain incli.yaml
    are read and written by the fast reader and writer, so no everyday command asks for it
    (``yamlio._pyyaml``, the one way to PyYAML). Each command here starts without .incli/ (the
    caches), so incli.yaml is read each time too; inc init's has comments, which the fast reader
    leaves to PyYAML (and the cache then keeps the parsed config), so they are taken out here.
    In-process, so that a mutation test can fail it; the fresh process is checked too."""
    import shutil

    from incli.storage import yamlio

    root = tmp_path / "r"
    inc("init", root)
    config = root / "incli.yaml"
    config.write_text("".join(line for line in config.read_text().splitlines(True) if not line.startswith("#")))
    ident = inc("open", "Checkout errors", "-s", "SEV2", root=root).stdout.strip()
    asked: list[tuple[str, ...]] = []
    real = yamlio._pyyaml
    for args in (
        ("open", "Second", "-s", "SEV3", "--by", "ann"),
        ("ack", ident, "--by", "ann"),
        ("note", ident, "pool at 100%: yes", "--by", "ann"),
        ("mitigate", ident),
        ("resolve", ident),
        ("list",),
        ("show", ident),
        ("status",),
    ):
        shutil.rmtree(root / ".incli", ignore_errors=True)
        monkeypatch.setattr(yamlio, "_pyyaml", lambda args=args: asked.append(args) or real())
        inc(*args, root=root)
    assert asked == []
    shutil.rmtree(root / ".incli", ignore_errors=True)
    assert "yaml" not in loaded_after("ack", ident, "--by", "bo", root=root)
    timeline = json.loads(inc("show", ident, "--json", root=root).stdout)["timeline"]
    assert sorted(e["kind"] for e in timeline) == ["acknowledged", "mitigated", "note", "opened", "resolved"]
