"""Opening a repository for a command: the service with its listeners, init, and
writing an output file the user asked for (``-o``).

The CLI comes through here and never touches storage itself. Every write a
command makes goes through the Service, whose listeners are wired here once:
notification hooks (only when incli.yaml has any) and git auto-commit (only with
``git: {commit: true}``), so ``inc edit``, ``inc import`` and the rest all fire
them alike.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from incli.domain.model import Incident
from incli.errors import RepositoryNotFound, StorageError
from incli.service.incidents import Service
from incli.storage.atomic import atomic_write
from incli.storage.repo import Repository, find_repository, init_repository

Warn = Callable[[str], None]


def open_service(directory: str | os.PathLike[str] | None, warn: Warn) -> Service:
    """The service for the repository found from ``directory`` (or INC_DIR, or upwards)."""
    return service_for(find_repository(directory), warn)


def service_for(repo: Repository, warn: Warn) -> Service:
    svc = Service(repo)
    if repo.config.hooks:
        from incli.service.hooks import Hooks

        # Notification hooks run after each write; a failing hook only warns.
        svc.listeners.append(Hooks(repo.config, repo.root, warn, repo))
    if repo.config.git.commit:
        from incli.service.git import AutoCommit

        # git.commit: true commits exactly the files each command wrote.
        svc.listeners.append(AutoCommit(repo, warn))

    # An incident just opened pages its escalation's level 1 (once the repository is on call);
    # service/paging.py is imported only then, so other commands do not pay for it.
    def page_on_open(event: str, incident: Incident | None, paths: list[Path]) -> None:
        if event == "opened" and svc.paging_in_use():
            from incli.service.paging import Paging

            Paging(svc, warn)(event, incident, paths)

    svc.listeners.append(page_on_open)
    return svc


def find(directory: str | os.PathLike[str] | None) -> Repository:
    return find_repository(directory)


def templates_folder(directory: str | os.PathLike[str] | None) -> Path | None:
    """The repository's own templates folder, or None outside a repository."""
    try:
        return find_repository(directory).templates_dir
    except RepositoryNotFound:
        return None


def init(path: Path) -> tuple[Repository, list[str], list[str]]:
    """Create what is missing of a repository; (repository, what was created, what git setup said)."""
    from incli.service.git import setup_git

    repo, created = init_repository(path)
    return repo, created, setup_git(repo)


def write_output(path: Path, text: str | bytes) -> None:
    """Write a file the user asked for with ``-o``, all or nothing."""
    try:
        atomic_write(path, text.encode("utf-8") if isinstance(text, str) else text)
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc.strerror or exc}") from None


def register_schedules(repo: Repository) -> list[str]:
    """In a git work tree: make sure schedule files merge with the incli driver (what
    inc init does for incident files); what was done, one message a line."""
    from incli.service.git import setup_git

    return setup_git(repo)
