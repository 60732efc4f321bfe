"""Working as a team with git: the merge driver, its registration, ``inc sync`` and auto-commit.

All git calls go through storage/gitinfo.py; the merge itself is domain/merge.py.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from incli.domain.merge import MergeError, merge
from incli.domain.model import Incident
from incli.domain.severity import DEFAULT_SEVERITIES
from incli.errors import Conflict, InvalidInput, StorageError
from incli.storage import gitinfo, yamlio
from incli.storage.atomic import atomic_write
from incli.storage.repo import CONFIG_NAME, Repository, load_repository
from incli.storage.store import Store

DRIVER_NAME = "incli"
ATTRIBUTES = ".gitattributes"


# -- the merge driver -------------------------------------------------------


def _read_side(path: Path, *, optional: bool) -> dict[str, Any] | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MergeError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not data.strip():
        if optional:
            return None
        raise MergeError(f"{path} is empty")
    if yamlio.conflict_lines(data):
        raise MergeError(f"{path} holds git conflict markers")
    try:
        raw = yamlio.load(data)
    except yamlio.YamlError as exc:
        raise MergeError(f"{path}: {exc}") from None
    if not isinstance(raw, dict):
        raise MergeError(f"{path} is not an incident")
    return raw


def severity_order(where: Path) -> list[str]:
    """The repository's severities, most severe first, found from ``where``; the default order otherwise."""
    start = where.absolute()
    for folder in (start, *start.parents):
        if (folder / CONFIG_NAME).is_file():
            try:
                return [s.id for s in load_repository(folder).config.severities]
            except Exception:  # noqa: BLE001 - a broken config must not stop a merge
                break
    return [s.id for s in DEFAULT_SEVERITIES]


def merge_driver(base: Path, ours: Path, theirs: Path, name: str | None) -> str | None:
    """git's merge driver: merge into ``ours``; on a side that cannot be read, fall back
    to git's line merge (conflict markers, both sides kept) and say why."""
    try:
        merge_files(base, ours, theirs, name)
    except (MergeError, OSError) as exc:
        gitinfo.merge_file(ours, base, theirs)
        return str(exc)
    return None


def merge_files(base: Path, ours: Path, theirs: Path, name: str | None) -> None:
    """Merge the three versions into ``ours``; MergeError (and ``ours`` untouched) when unsafe."""
    base_data = _read_side(base, optional=True)
    ours_data = _read_side(ours, optional=False)
    theirs_data = _read_side(theirs, optional=False)
    assert ours_data is not None and theirs_data is not None
    where = Path(name).parent if name else Path(".")
    merged = merge(base_data, ours_data, theirs_data, severity_order(where))
    atomic_write(ours, yamlio.dump(merged).encode("utf-8"))


# -- registering the driver -------------------------------------------------


def driver_command() -> str:
    return f"{shlex.quote(sys.executable)} -m incli merge-driver %O %A %B %P"


def setup_git(repo: Repository) -> list[str]:
    """In a git work tree: register the merge driver (local config) and commit the
    ``.gitattributes`` line. Returns what was done, one message a line; nothing outside git."""
    top = gitinfo.toplevel(repo.root)
    if top is None:
        return []
    messages: list[str] = []
    try:
        relative = repo.incidents_dir.resolve().relative_to(top.resolve())
    except ValueError:
        return []
    pattern = f"{relative.as_posix()}/*.yaml merge={DRIVER_NAME}"
    command = driver_command()
    try:
        if gitinfo.config_get(top, f"merge.{DRIVER_NAME}.driver") != command:
            gitinfo.config_set(top, f"merge.{DRIVER_NAME}.name", "incli: merge incident files")
            gitinfo.config_set(top, f"merge.{DRIVER_NAME}.driver", command)
            messages.append("Registered the incli merge driver in this clone's git config")
    except OSError as exc:
        messages.append(f"could not register the merge driver: {exc}")
        return messages
    attributes = top / ATTRIBUTES
    try:
        current = attributes.read_text() if attributes.exists() else ""
    except OSError as exc:
        messages.append(f"could not read {attributes}: {exc.strerror or exc}")
        return messages
    if pattern in (line.strip() for line in current.splitlines()):
        return messages
    text = current if not current or current.endswith("\n") else current + "\n"
    atomic_write(attributes, (text + pattern + "\n").encode())
    if not gitinfo.has_identity(top):
        messages.append(f"Added '{pattern}' to {ATTRIBUTES}; not committed (git has no user.name/email): commit it")
        return messages
    failure = gitinfo.commit_only(top, [attributes], "incli: merge incident files with the incli driver")
    if failure:
        messages.append(f"Added '{pattern}' to {ATTRIBUTES}; could not commit it: {failure}")
    else:
        messages.append(f"Committed {ATTRIBUTES}: {pattern}")
    return messages


# -- inc sync ---------------------------------------------------------------


def _inside(name: str, top: Path, repo: Repository) -> bool:
    """Is this work-tree path one of the incident repository's own files?"""
    path = (top / name).resolve()
    root = repo.root.resolve()
    own = [root / CONFIG_NAME, repo.incidents_dir.resolve(), repo.templates_dir.resolve(), top.resolve() / ATTRIBUTES]
    return any(path == p or p in path.parents for p in own)


def _grouped(changes: list[tuple[str, str]]) -> list[str]:
    """The paths to name: changed files as they are, untracked files by their top folder
    (``report/ (12 untracked files)``), so a built site is one name, not hundreds."""
    shown: list[str] = []
    untracked: dict[str, int] = {}
    for code, name in changes:
        if code == "??" and "/" in name:
            folder = name.split("/", 1)[0] + "/"
            if folder not in untracked:
                shown.append(folder)
            untracked[folder] = untracked.get(folder, 0) + 1
        else:
            shown.append(name)
    return [
        f"{name} ({untracked[name]} untracked file{'s' if untracked[name] != 1 else ''})" if name in untracked else name
        for name in shown
    ]


def sync(repo: Repository, *, commit: bool, by: str | None, say: Callable[[str], None]) -> None:
    """Pull (merging with the driver) and push. Refuses, changing nothing, when it cannot.

    ``by`` names the committer of ``--commit`` (default: git's user.name)."""
    by = by or gitinfo.user_name(repo.root)
    top = gitinfo.toplevel(repo.root)
    if top is None:
        raise InvalidInput(f"{repo.root} is not in a git repository; make one with: git init && inc init")
    if not gitinfo.remotes(top):
        raise InvalidInput("this git repository has no remote to sync with; add one: git remote add origin URL")
    if gitinfo.current_branch(top) is None:
        raise Conflict("git is not on a branch (detached HEAD); check out a branch first")
    changes = gitinfo.status(top)
    if changes is None:
        raise StorageError("git status failed; run git status to see why")
    if gitinfo.conflicted(top):
        raise Conflict("a merge is in progress with conflicts; resolve them (git status) before inc sync")
    unrelated = _grouped([(code, name) for code, name in changes if not _inside(name, top, repo)])
    if unrelated:
        shown = ", ".join(unrelated[:5]) + (f" and {len(unrelated) - 5} more" if len(unrelated) > 5 else "")
        raise Conflict(f"the work tree has changes outside the incident repository ({shown}); commit or stash them")
    own = [name for _code, name in changes]
    if own and not commit:
        shown = ", ".join(own[:5]) + (f" and {len(own) - 5} more" if len(own) > 5 else "")
        raise Conflict(f"uncommitted incident changes ({shown}); commit them or run inc sync --commit")
    if own:
        failure = gitinfo.commit_only(top, [top / name for name in own], f"inc sync ({by or 'unknown'})")
        if failure:
            raise StorageError(f"could not commit the incident changes: {failure}")
        say(f"Committed {len(own)} changed file{'s' if len(own) != 1 else ''}")
    upstream = gitinfo.has_upstream(top)
    if upstream:
        failure = gitinfo.run_step(top, ["pull", "--no-rebase", "--no-edit", "--quiet"])
        if failure:
            left = gitinfo.conflicted(top)
            if left:
                raise Conflict(f"the pull left conflicts in {', '.join(left)}; resolve them, commit, then inc sync")
            raise StorageError(f"git pull failed: {failure}")
        say("Pulled")
    failure = gitinfo.run_step(top, ["push", "--quiet"] if upstream else ["push", "--quiet", "-u", "origin", "HEAD"])
    if failure:
        if "rejected" in failure or "fetch first" in failure or "non-fast-forward" in failure:
            raise Conflict(f"the push was rejected ({failure}); run inc sync again to merge first")
        raise StorageError(f"git push failed: {failure}")
    say("Pushed")


# -- auto-commit ------------------------------------------------------------


# The command a person typed, for the commit message (events are timeline kinds).
COMMAND_OF = {
    "opened": "open",
    "edited": "edit",
    "imported": "import",
    "acknowledged": "ack",
    "mitigated": "mitigate",
    "resolved": "resolve",
    "reopened": "reopen",
    "severity_changed": "severity",
    "assigned": "assign",
}


class AutoCommit:
    """A Service listener: commit exactly the files a command wrote (config ``git: {commit: true}``)."""

    def __init__(self, repo: Repository, warn: Callable[[str], None]) -> None:
        self.repo = repo
        self.warn = warn

    def __call__(self, event: str, incident: Incident | None, paths: list[Path]) -> None:
        if not paths:
            return
        top = gitinfo.toplevel(self.repo.root)
        if top is None:
            self.warn("git.commit is on but this is not a git repository; nothing committed")
            return
        command = COMMAND_OF.get(event, event)
        if incident is None:  # a batch, e.g. inc import: one commit for every file it wrote
            count = len(paths)
            what = f"{count} incident{'s' if count != 1 else ''}"
            message, saved = f"inc {command} ({what})", what
        else:
            last = incident.timeline[-1] if incident.timeline else None
            by = last.by if last is not None and last.kind == event and last.by else gitinfo.user_name(top)
            message, saved = f"inc {command} {incident.id}" + (f" ({by})" if by else ""), incident.id
        # Under the repository lock, so no other inc writes these files between git add
        # and git commit: a concurrent writer's content is either in this commit or its
        # own, and "nothing to commit" then truly means a commit already holds it.
        with Store(self.repo).locked():
            failure = gitinfo.commit_only(top, paths, message)
        if failure:
            self.warn(f"saved {saved}, but the git commit failed: {failure}")
