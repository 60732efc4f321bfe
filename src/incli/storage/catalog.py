"""Reading ``catalog.yaml`` (the service catalog at the repository root) and the files it
names: runbooks inside the repository, code repositories beside it.

Parsing is ``domain.catalog``; this module adds the file, the lines and the disk. A missing
catalog is an empty one: every feature works without it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from incli.domain.catalog import Catalog, KeyPath, parse_catalog
from incli.errors import InvalidInput, Problems, StorageError
from incli.storage import yamlio
from incli.storage.repo import CATALOG_FILE, Repository, inside

CATALOG_NAME = CATALOG_FILE
MAX_RUNBOOK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class CatalogProblem:
    """A problem in catalog.yaml."""

    path: Path
    line: int | None
    message: str
    shape: bool = True  # False: a problem across entries (an unknown dependency), not of the file's shape

    def __str__(self) -> str:
        return f"{self.path}{f':{self.line}' if self.line else ''}: {self.message}"


@dataclass(frozen=True)
class CatalogFile:
    """catalog.yaml as read: the catalog, every problem, and the line of each key."""

    catalog: Catalog
    problems: list[CatalogProblem]
    lines: dict[tuple[str | int, ...], int]

    def line(self, *key: str | int) -> int | None:
        return _line(key, self.lines)


def catalog_path(repo: Repository) -> Path:
    return repo.root / CATALOG_NAME


def _line(path: KeyPath, lines: dict[tuple[str | int, ...], int]) -> int | None:
    parts = list(path)
    while parts:
        if tuple(parts) in lines:
            return lines[tuple(parts)]
        parts.pop()
    return None


def read_catalog(repo: Repository) -> CatalogFile:
    """The catalog (empty when there is no catalog.yaml) and every problem of its shape,
    each with the file and line."""
    from incli.domain.catalog import dotted

    path = catalog_path(repo)
    if not os.path.lexists(path):
        return CatalogFile(Catalog(), [], {})

    def unread(line: int | None, message: str) -> CatalogFile:
        return CatalogFile(Catalog(), [CatalogProblem(path, line, message)], {})

    if not inside(path, repo.root):
        return unread(None, f"is a link to {os.path.realpath(path)}, outside the repository")
    try:
        too_large = yamlio.config_too_large(path.stat().st_size)
        if too_large:
            return unread(None, too_large)
        data, lines = yamlio.load_with_lines(path.read_bytes())
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yamlio.YamlError as exc:
        return unread(exc.line, str(exc))
    catalog, problems = parse_catalog(data)
    found = [
        CatalogProblem(path, _line(key, lines), f"{dotted(key)}: {message}" if key else message, shape)
        for shape, listed in ((True, problems), (False, catalog.problems()))
        for key, message in listed
    ]
    return CatalogFile(catalog, found, lines)


def load_catalog(repo: Repository) -> Catalog:
    """The catalog for a command that uses it; a catalog.yaml that cannot be read as one is
    one line with file, line and key (``inc validate`` lists every problem)."""
    read = read_catalog(repo)
    shape = [p for p in read.problems if p.shape]
    if shape:
        raise InvalidInput(f"{shape[0]} (inc validate lists every problem)")
    return read.catalog


def runbook_file(repo: Repository, name: str) -> Path:
    """The runbook ``name`` (relative to the repository) as a file inside it."""
    path = repo.root / name
    if os.path.lexists(path) and not inside(path, repo.root):
        raise Problems(f"runbook {name} is a link to {os.path.realpath(path)}, outside the repository; not read")
    return path


def read_runbook(repo: Repository, name: str) -> str:
    path = runbook_file(repo, name)
    try:
        size = path.stat().st_size
        if size > MAX_RUNBOOK_BYTES:
            raise Problems(f"runbook {name}: {size:,} bytes is over the limit of {MAX_RUNBOOK_BYTES:,}")
        return path.read_bytes().decode(errors="replace")  # UTF-8, str's own
    except FileNotFoundError:  # only when removed since the caller saw it
        missing = f"runbook {name} does not exist in {repo.root} (named in {CATALOG_NAME})"  # pragma: no mutate
        raise Problems(missing) from None  # pragma: no mutate
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None


def code_repository(repo: Repository, name: str | None) -> Path:
    """The folder of a code repository the catalog names (relative to the incident
    repository; None: the incident repository's own). Refused when it does not exist."""
    if name is None:
        return repo.root
    folder = Path(name).expanduser()
    if not folder.is_absolute():
        folder = repo.root / folder
    folder = Path(os.path.normpath(folder))
    if not folder.is_dir():
        raise InvalidInput(f"code repository {name} ({folder}) does not exist; fix code: in {CATALOG_NAME}")
    return folder
