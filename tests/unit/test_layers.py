"""The layering contract of src/incli, checked on the imports themselves.

Every module is parsed with ``ast`` and every import is read, those inside functions (the
commands' lazy imports) and under ``try`` included. ``from incli import storage`` counts as
importing ``incli.storage``, a relative import as the module it names. Each rule of the table
below is its own test, and a failure lists each offending module with the import, file and line.
"""

from __future__ import annotations

import ast
import functools
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


@dataclass(frozen=True)
class Rule:
    """The modules under ``modules`` (less those under ``exempt``) must not import anything under
    ``forbidden``; with ``only``, they may import nothing but the standard library and what is under
    ``only``. A name covers the module and everything below it: ``incli.cli`` covers ``incli.cli.app``."""

    name: str
    modules: tuple[str, ...]
    forbidden: tuple[str, ...] = ()
    only: tuple[str, ...] | None = None
    exempt: tuple[str, ...] = ()


RULES = [
    Rule("nothing imports the CLI", ("incli",), forbidden=("incli.cli",), exempt=("incli.cli", "incli.__main__")),
    Rule("the CLI does not import storage", ("incli.cli",), forbidden=("incli.storage",)),
    # dateutil is the one third-party package of the domain, and only for times (its own rule below).
    Rule("domain imports only domain and errors", ("incli.domain",), only=("incli.domain", "incli.errors", "dateutil")),
    Rule(
        "storage imports no upper layer",
        ("incli.storage",),
        forbidden=("incli.service", "incli.cli", "incli.integrations", "incli.serve"),
    ),
    Rule("service imports neither CLI nor server", ("incli.service",), forbidden=("incli.cli", "incli.serve")),
    Rule(
        "integrations import no upper layer",
        ("incli.integrations",),
        forbidden=("incli.cli", "incli.service", "incli.storage", "incli.serve"),
    ),
    Rule("only output imports rich", ("incli",), forbidden=("rich",), exempt=("incli.output",)),
    Rule("only render imports jinja2", ("incli",), forbidden=("jinja2",), exempt=("incli.render",)),
    Rule("only render imports markdown_it", ("incli",), forbidden=("markdown_it",), exempt=("incli.render",)),
    Rule("only domain.times imports dateutil", ("incli",), forbidden=("dateutil",), exempt=("incli.domain.times",)),
    # storage.fastyaml too reads YAML without PyYAML: only yamlio may import it.
    Rule("only storage.yamlio imports yaml", ("incli",), forbidden=("yaml",), exempt=("incli.storage.yamlio",)),
    # Comments in incident files are kept with PyYAML's own scanner; should a round-trip
    # library (ruamel.yaml) ever be needed, it belongs in yamlio too.
    Rule("only storage.yamlio imports ruamel", ("incli",), forbidden=("ruamel",), exempt=("incli.storage.yamlio",)),
    Rule("only the CLI imports typer", ("incli",), forbidden=("typer",), exempt=("incli.cli",)),
]


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. incli.cli.app
    target: str  # the module imported, e.g. incli.storage.repo
    where: str  # file:line
    statement: str  # the import as written


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def module_names(src: Path) -> dict[str, Path]:
    """Every module below ``src`` by its dotted name (a package by its ``__init__.py``)."""
    names = {}
    for path in sorted(src.rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


def imports(src: Path) -> list[Import]:
    """Every import of every module below ``src``, wherever in the module it is."""
    modules = module_names(src)
    found = []
    for module, path in modules.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from .x import y, from .. import z
                    anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                    base = ".".join([*anchor, *([base] if base else [])])
                # `from incli import storage` imports the module incli.storage; `from incli.errors
                # import InvalidInput` imports incli.errors.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in dict.fromkeys(targets):
                where = f"{path.relative_to(src)}:{node.lineno}"
                found.append(Import(module, target, where, ast.unparse(node)))
    return found


def is_stdlib(target: str) -> bool:
    return target.partition(".")[0] in sys.stdlib_module_names


def violations(rule: Rule, found: list[Import]) -> list[str]:
    """One line per import that breaks the rule: the module, what it imports, the file and line."""
    broken = []
    for imp in found:
        if not under(imp.module, rule.modules) or under(imp.module, rule.exempt):
            continue
        if rule.only is not None:
            bad = not is_stdlib(imp.target) and not under(imp.target, rule.only)
        else:
            bad = under(imp.target, rule.forbidden)
        if bad:
            broken.append(f"{imp.module} imports {imp.target} ({imp.statement}) at {imp.where}")
    return broken


@functools.cache
def source_imports() -> list[Import]:
    """The imports of src/incli, read once for all the rules."""
    return imports(SRC)


@pytest.mark.parametrize("rule", RULES, ids=[rule.name for rule in RULES])
def test_layering(rule: Rule) -> None:
    broken = violations(rule, source_imports())
    assert not broken, f"{rule.name}: {len(broken)} import(s) break it:\n" + "\n".join(broken)


def test_every_module_is_read() -> None:
    """The contract cannot pass by finding nothing: the scan sees the packages and their lazy imports."""
    found = source_imports()
    modules = {imp.module for imp in found}
    assert {"incli.cli.app", "incli.domain.model", "incli.storage.yamlio", "incli.__main__"} <= modules
    assert len(module_names(SRC)) >= 40
    assert any(imp.module == "incli.__main__" and imp.target == "incli.cli.app" for imp in found)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def test_the_checker_reports_what_breaks_a_rule(tmp_path: Path) -> None:
    src = write(
        tmp_path,
        {
            "incli/__init__.py": "",
            "incli/errors.py": "",
            "incli/cli/__init__.py": "",
            "incli/cli/x.py": "import json\n\n\ndef command():\n    from incli import storage\n",
            "incli/cli/y.py": "try:\n    from ..storage.repo import find\nexcept ImportError:\n    pass\n",
            "incli/cli/z.py": "from incli.errors import Oops\nimport typer\n",
            "incli/storage/__init__.py": "",
            "incli/storage/repo.py": "import os\n",
            "incli/domain/__init__.py": "",
            "incli/domain/model.py": "import re\nimport yaml\nfrom incli.errors import Oops\nfrom . import other\n",
            "incli/domain/other.py": "from incli import cli\n",
        },
    )
    found = imports(src)
    rules = {rule.name: rule for rule in RULES}
    assert violations(rules["the CLI does not import storage"], found) == [
        "incli.cli.x imports incli.storage (from incli import storage) at incli/cli/x.py:5",
        "incli.cli.y imports incli.storage.repo (from ..storage.repo import find) at incli/cli/y.py:2",
    ]
    assert violations(rules["domain imports only domain and errors"], found) == [
        "incli.domain.model imports yaml (import yaml) at incli/domain/model.py:2",
        "incli.domain.other imports incli.cli (from incli import cli) at incli/domain/other.py:1",
    ]
    assert violations(rules["only storage.yamlio imports yaml"], found) == [
        "incli.domain.model imports yaml (import yaml) at incli/domain/model.py:2"
    ]
    assert violations(rules["nothing imports the CLI"], found) == [
        "incli.domain.other imports incli.cli (from incli import cli) at incli/domain/other.py:1"
    ]
    assert violations(rules["only the CLI imports typer"], found) == []  # typer in incli.cli is allowed
    assert violations(rules["storage imports no upper layer"], found) == []
