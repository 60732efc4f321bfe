"""Schedule files: ``oncall/<name>.yaml``, read with a bound and written atomically.

Each file is one schedule (``domain.oncall``); its name is the file name. A file that
cannot be read is a ``BrokenSchedule`` naming the file, the line and the key; the other
schedules are still read. Writes hold the repository lock (the caller takes it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from incli.domain.oncall import Schedule, check_schedule_name, schedule_from_dict
from incli.errors import ConfigError, InvalidInput, NotFound, Problems, StorageError
from incli.storage import yamlio
from incli.storage.atomic import atomic_write
from incli.storage.repo import SCHEDULES_DIR, Repository, _line_of, inside
from incli.storage.store import SUFFIX, BrokenFile, read_incident_file

FOLDER = SCHEDULES_DIR
MAX_SCHEDULE_BYTES = 2 * 1024 * 1024


class BrokenSchedule(Problems):
    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        super().__init__(f"{path}{f':{line}' if line else ''}: {reason}")
        self.path, self.line, self.reason = path, line, reason


@dataclass
class Schedules:
    """The schedule files of a repository."""

    repo: Repository

    @property
    def folder(self) -> Path:
        return self.repo.schedules_dir

    def path_for(self, name: str) -> Path:
        return self.folder / f"{check_schedule_name(name)}{SUFFIX}"

    def names(self) -> list[str]:
        if not self.folder.is_dir() or not inside(self.folder, self.repo.root):
            return []
        return sorted(p.stem for p in self.folder.glob(f"*{SUFFIX}") if not p.name.startswith("."))

    def read_bytes(self, name: str) -> bytes:
        path = self.path_for(name)
        if not path.exists():
            raise NotFound(f"no schedule {name!r} ({path} does not exist); see inc oncall new")
        try:
            return read_incident_file(path, self.repo.root, MAX_SCHEDULE_BYTES)
        except BrokenFile as exc:
            raise BrokenSchedule(path, exc.broken.line, exc.broken.reason) from None

    def load(self, name: str) -> Schedule:
        path = self.path_for(name)
        return parse_schedule(name, self.read_bytes(name), path)

    def load_all(self, warnings: list[str] | None = None) -> list[Schedule]:
        """Every readable schedule; a broken one is left out and named in ``warnings``."""
        found = []
        for name in self.names():
            try:
                found.append(self.load(name))
            except (BrokenSchedule, InvalidInput, StorageError) as exc:
                if warnings is None:
                    raise
                warnings.append(str(exc))
        return found

    def save(self, schedule: Schedule) -> Path:
        path = self.path_for(schedule.name)
        old = path.read_bytes() if path.is_file() else None
        text = yamlio.dump(schedule.to_dict())
        if old is not None:
            text = yamlio.keep_comments(old, text)
        try:
            self.folder.mkdir(exist_ok=True)
            if not inside(self.folder, self.repo.root):
                raise StorageError(f"{self.folder} leads outside the repository; make it a folder inside it")
            atomic_write(path, text.encode())
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None
        return path


def parse_schedule(name: str, data: bytes, path: Path) -> Schedule:
    markers = yamlio.conflict_lines(data)
    if markers:
        raise BrokenSchedule(path, markers[0], "git conflict markers; resolve the conflict, then run inc validate")
    try:
        raw, lines = yamlio.load_with_lines(data)
    except yamlio.YamlError as exc:
        raise BrokenSchedule(path, exc.line, str(exc)) from None
    try:
        return schedule_from_dict(name, raw)
    except ConfigError as exc:
        raise BrokenSchedule(path, _line_of(exc.key, lines), str(exc)) from None
