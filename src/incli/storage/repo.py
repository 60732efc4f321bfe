"""Finding and creating an incident repository.

A repository is a folder holding ``incli.yaml`` (the config) and an
``incidents/`` folder with one YAML file per incident. Local state that is never
committed (the lock, the derived index) lives in ``.incli/``, which ignores itself.

Commands find the repository from ``--dir``, then ``INC_DIR``, then by walking up
from the current folder, like git.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from incli.domain.config import Config, config_from_dict, default_config_dict
from incli.errors import ConfigError, InvalidInput, Problems, RepositoryNotFound, StorageError
from incli.storage import fastyaml, sealed, yamlio
from incli.storage.atomic import atomic_write

CONFIG_NAME = "incli.yaml"
STATE_DIR = ".incli"
SCHEDULES_DIR = "oncall"
MAINTENANCE_DIR = "maintenance"
CATALOG_FILE = "catalog.yaml"
FREEZES_FILE = "freezes.yaml"
LOCK_NAME = "lock"  # in STATE_DIR: the repository write lock
CONFIG_CACHE = "index-config.marshal"  # in STATE_DIR: incli.yaml as last parsed, with its bytes (sealed.py)
ENV_DIR = "INC_DIR"

CONFIG_HEADER = """\
# incli configuration (see README.md: Configuration).
# Severity levels, most severe first. A team may rename, add or remove levels.
# response_time: acknowledge within this; update_every: stakeholder update cadence.
# Durations: 90s, 15m, 1h, 4h, 1d. timezone: how postmortems show times (e.g. Europe/Berlin);
# empty means the local time zone of whoever renders.
"""

INCIDENTS_GITIGNORE = "# temporary files of interrupted writes\n.*.tmp\n"


@dataclass
class Repository:
    """A repository: its root folder and its configuration."""

    root: Path
    config: Config = field(default_factory=Config)
    # The SHA-256 of incli.yaml's bytes as loaded (what the report's pages were built with).
    config_digest: str = ""

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def incidents_dir(self) -> Path:
        return self.root / self.config.incidents_dir

    @property
    def templates_dir(self) -> Path:
        return self.root / self.config.templates_dir

    @property
    def schedules_dir(self) -> Path:
        """``oncall/``: one file per on-call schedule (storage/schedules.py)."""
        return self.root / SCHEDULES_DIR

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    def ensure_state_dir(self) -> Path:
        """Create ``.incli/`` (ignored by git) on first use, e.g. in a fresh clone."""
        state = self.state_dir
        if not state.is_dir():
            try:
                state.mkdir(exist_ok=True)
                (state / ".gitignore").write_text("# local state of incli; never committed\n*\n")
            except OSError as exc:
                raise StorageError(f"cannot write to {self.root}: {exc.strerror or exc}") from None
        return state


def load_repository(root: Path) -> Repository:
    """The repository at ``root`` with its incli.yaml read and checked, once.

    A problem in the config is one line naming the file, the line and the key
    (``/repo/incli.yaml:14: postmortem.due.SEV5: no such severity``).
    """
    path = root / CONFIG_NAME
    try:
        too_large = yamlio.config_too_large(path.stat().st_size)
        if too_large:
            raise Problems(f"{path}: {too_large}")
        text = path.read_bytes()
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror or exc}") from None
    # The document as parsed the last time the file held exactly these bytes, else through the
    # fast reader when the file is in its subset (the lines of the keys are only needed for an
    # error), else PyYAML, which also refuses a key written twice.
    cache = root / STATE_DIR / CONFIG_CACHE
    cached = sealed.load(cache, _cache_header()) if cache.parent.is_dir() else None
    lines: dict[tuple[str | int, ...], int] | None = None
    if type(cached) is tuple and len(cached) == 2 and cached[0] == text:
        data: Any = cached[1]
    else:
        data = fastyaml.load(text)
        try:
            if data is None:
                data, lines = yamlio.load_with_lines(text)
        except yamlio.YamlError as exc:
            line = f":{exc.line}" if exc.line else ""
            raise Problems(f"{path}{line}: {exc}") from None
        if cache.parent.is_dir():
            sealed.save(cache, _cache_header(), (text, data))
    try:
        config = config_from_dict(data)
    except ConfigError as exc:
        if lines is None:
            lines = yamlio.load_with_lines(text)[1]
        at = _line_of(exc.key, lines)
        # A value that cannot be used is invalid input (exit 4), like a bad --at;
        # a file that is not YAML at all is a repository problem (exit 6).
        raise InvalidInput(f"{path}{f':{at}' if at else ''}: {exc}") from None
    repo = Repository(root=root, config=config, config_digest=hashlib.sha256(text).hexdigest())
    _check_folders_inside(repo)
    return repo


def _cache_header() -> tuple[object, ...]:
    from incli import __version__

    return ("incli-config", 1, __version__, tuple(sys.version_info[:2]))


def inside(path: Path | str, *folders: Path | str) -> bool:
    """Is ``path``, every symlink followed, one of ``folders`` or below one (also followed)?
    The one containment check: incident files, the configured folders, templates."""
    real = os.path.realpath(path)
    for folder in folders:
        top = os.path.realpath(folder)
        if real == top or real.startswith(top.rstrip(os.sep) + os.sep):
            return True
    return False


def _check_folders_inside(repo: Repository) -> None:
    """The incidents and templates folders are the repository's own: a symlink from either to a
    folder outside it would let a clone's content read (and publish) any file on the machine."""
    for key, folder in (("incidents_dir", repo.incidents_dir), ("templates_dir", repo.templates_dir)):
        if os.path.lexists(folder) and not inside(folder, repo.root):
            raise Problems(
                f"{repo.config_path}: {key}: {folder} is a link to {os.path.realpath(folder)}, outside the "
                "repository; make it a folder inside the repository"
            )


_KEY_PART = re.compile(r"\[(\d+)\]|([^.\[\]]+)")


def _line_of(key: str, lines: dict[tuple[str | int, ...], int]) -> int | None:
    """The line of the longest prefix of a dotted key (``hooks.opened[0].run``) the file has."""
    path: list[str | int] = []
    for index, name in _KEY_PART.findall(key.split(" (")[0]):
        path.append(int(index) if index else name)
    while path:
        if tuple(path) in lines:
            return lines[tuple(path)]
        path.pop()
    return None


def find_root(explicit: str | os.PathLike[str] | None = None, cwd: Path | None = None) -> Path:
    """The repository root, or RepositoryNotFound saying where we looked."""
    for source, value in (("--dir", explicit), (ENV_DIR, os.environ.get(ENV_DIR) or None)):
        if value:
            root = Path(value).expanduser().absolute()
            if (root / CONFIG_NAME).is_file():
                return root
            raise RepositoryNotFound(
                f"no incident repository at {root} (from {source}: no {CONFIG_NAME}); create one with: inc init {value}"
            )
    start = (cwd or Path.cwd()).absolute()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise RepositoryNotFound(
        f"no incident repository found: looked for {CONFIG_NAME} in {start} and every folder above it; "
        "create one with: inc init (or point at one with --dir or INC_DIR)"
    )


def find_repository(explicit: str | os.PathLike[str] | None = None) -> Repository:
    return load_repository(find_root(explicit))


def init_repository(path: Path) -> tuple[Repository, list[str]]:
    """Create what is missing of a repository at ``path``; never touch existing data.

    Returns the repository and what was created (empty when it already existed).
    """
    root = path.expanduser().absolute()
    created: list[str] = []
    try:
        root.mkdir(parents=True, exist_ok=True)
        config_path = root / CONFIG_NAME
        if not config_path.exists():
            body = CONFIG_HEADER + yamlio.dump(default_config_dict())
            atomic_write(config_path, body.encode())
            created.append(CONFIG_NAME)
        repo = load_repository(root)
        incidents = repo.incidents_dir
        if not incidents.is_dir():
            incidents.mkdir(parents=True)
            created.append(f"{repo.config.incidents_dir}/")
        ignore = incidents / ".gitignore"
        if not ignore.exists():
            ignore.write_text(INCIDENTS_GITIGNORE)
            created.append(f"{repo.config.incidents_dir}/.gitignore")
        # Local state (ignored by git, so not reported): made now, so that the
        # first command, even a refused one, adds no file to the repository.
        # Best effort: a read-only clone is still a repository to read.
        with contextlib.suppress(StorageError, OSError):
            lock = repo.ensure_state_dir() / LOCK_NAME
            if not lock.exists():
                lock.touch()
    except OSError as exc:
        raise StorageError(f"cannot create a repository at {root}: {exc.strerror or exc}") from None
    return repo, created
