"""Working as a team with git: the merge driver, its registration, ``inc sync`` and auto-commit.

All git calls go through storage/gitinfo.py; the merge itself is domain/merge.py.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from incli.domain.maintenance import MaintenanceFormatError, is_maintenance
from incli.domain.maintenance import merge as merge_maintenance
from incli.domain.merge import MergeError, is_schedule, merge, merge_schedule
from incli.domain.model import Incident
from incli.domain.severity import DEFAULT_SEVERITIES
from incli.errors import Conflict, InvalidInput, StorageError
from incli.storage import gitinfo, yamlio
from incli.storage.atomic import atomic_write
from incli.storage.maintenance import FOLDER as MAINTENANCE_FOLDER
from incli.storage.repo import CONFIG_NAME, STATE_DIR, Repository, load_repository
from incli.storage.schedules import FOLDER as SCHEDULES_FOLDER
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
    if is_maintenance(ours_data) or is_maintenance(theirs_data):
        try:  # a maintenance window (maintenance/*.yaml): its own three-way merge
            merged = merge_maintenance(base_data, ours_data, theirs_data)
        except MaintenanceFormatError as exc:
            raise MergeError(str(exc)) from None
        atomic_write(ours, yamlio.dump(merged).encode("utf-8"))
        return
    where = Path(name).parent if name else Path(".")
    if is_schedule(name, ours_data):
        atomic_write(ours, yamlio.dump(merge_schedule(base_data, ours_data, theirs_data)).encode("utf-8"))
        return
    merged = merge(base_data, ours_data, theirs_data, severity_order(where))
    atomic_write(ours, yamlio.dump(merged).encode("utf-8"))


# -- registering the driver -------------------------------------------------

# The launcher git runs (merge.incli.driver points at it), in the clone's .incli/ folder:
# local to the clone, like the git config that names it. It outlives a rebuilt or moved
# virtualenv: it tries the Python that ran inc init, then ``inc`` on PATH, then
# ``python3 -m incli``; a try that fails and leaves OURS untouched did not merge (it could
# not start), so the next is tried. When none merges, git's own line merge keeps both
# sides with conflict markers and exit status 1 makes git (and inc validate) report it.
LAUNCHER_NAME = "merge-driver"
LAUNCHER_MARK = f"{STATE_DIR}/{LAUNCHER_NAME}"  # in every merge.incli.driver value that runs it
LAUNCHER = """#!/bin/sh
# incli's merge driver launcher, written by inc init (local to this clone, never committed).
# git runs it as: sh .incli/merge-driver PYTHON %O %A %B %P   (merge.incli.driver)
python=$1 base=$2 ours=$3 theirs=$4 name=$5
conflict() {
    echo "incli merge driver: ${name:-$ours}: $1; left to git as an ordinary conflict (run inc init again)" >&2
    git merge-file -L ours -L base -L theirs "$ours" "$base" "$theirs"
    exit 1
}
saved="$ours.incli-before"
cp "$ours" "$saved" 2>/dev/null || conflict "cannot copy $ours"
trap 'rm -f "$saved"' EXIT
attempt() {
    "$@" merge-driver "$base" "$ours" "$theirs" "$name"
    status=$?
    if [ "$status" -eq 0 ]; then exit 0; fi
    # It failed: if it wrote OURS (incli's own fallback line merge), that is the answer.
    if ! cmp -s "$ours" "$saved"; then exit 1; fi
}
if [ -n "$python" ] && [ -x "$python" ]; then attempt "$python" -m incli; fi
if command -v inc >/dev/null 2>&1; then attempt inc; fi
if command -v python3 >/dev/null 2>&1; then attempt python3 -m incli; fi
conflict "no working incli found (tried ${python:-no recorded Python}, inc, python3 -m incli)"
"""


def launcher_path(repo: Repository) -> Path:
    return repo.state_dir / LAUNCHER_NAME


def driver_command(launcher: str = LAUNCHER_MARK, python: str | None = None) -> str:
    """The merge.incli.driver value: run the launcher (``launcher`` is relative to the work
    tree's top, where git runs drivers); without it, git's line merge and a conflict."""
    f = shlex.quote(launcher)
    py = shlex.quote(python or sys.executable)
    return (
        f'f={f}; if test -f "$f"; then exec sh "$f" {py} %O %A %B %P; fi; '
        f'echo "incli merge driver: $f is missing; left to git as an ordinary conflict (run inc init again)" >&2; '
        "git merge-file -L ours -L base -L theirs %A %O %B; exit 1"
    )


def _driver_words(command: str) -> list[str]:
    try:
        return shlex.split(command)
    except ValueError:
        return []


def recorded_python(command: str) -> str | None:
    """The interpreter a merge.incli.driver value runs first (this version's or an older one's)."""
    words = _driver_words(command)
    if "%O" in words and words.index("%O") >= 1 and LAUNCHER_MARK in command:
        return words[words.index("%O") - 1]
    if words[1:4] == ["-m", "incli", "merge-driver"]:  # registered by inc before the launcher
        return words[0]
    return None


def _can_run(program: str) -> bool:
    path = Path(program)
    return path.is_absolute() and path.is_file() and os.access(path, os.X_OK)


def driver_problem(repo: Repository) -> str | None:
    """Why the merge driver registered in this clone cannot run (None when it can, or
    when none is registered: git then does its ordinary line merge, which keeps both sides)."""
    top = gitinfo.toplevel(repo.root)
    if top is None:
        return None
    command = gitinfo.config_get(top, f"merge.{DRIVER_NAME}.driver")
    if not command:
        # A clone that never ran inc init (a CI checkout) merges with git's line merge, which
        # keeps both sides: fine. A registration left without its command makes git stop.
        registered = gitinfo.config_get(top, f"merge.{DRIVER_NAME}.name") is not None
        if registered and _attributes_ask_for_driver(top, repo):
            return (
                f"{ATTRIBUTES} asks git to merge incident files with the incli driver, but this clone has "
                f"none registered (git config merge.{DRIVER_NAME}.driver): a pull that merges one fails or "
                "conflicts; run inc init again"
            )
        return None
    python = recorded_python(command)
    if LAUNCHER_MARK in command:
        if not launcher_path(repo).is_file():
            return (
                f"the incli merge driver launcher {launcher_path(repo)} is missing: merged incident files "
                "become conflicts; run inc init again"
            )
        if python is not None and not _can_run(python):
            return (
                f"the Python recorded for the incli merge driver ({python}) is gone: merges fall back to inc "
                "on PATH; run inc init again"
            )
        return None
    if python is not None and not _can_run(python):
        return (
            f"the incli merge driver cannot run: {python} is gone (git merge.{DRIVER_NAME}.driver), so a "
            "merge keeps only our side of an incident file; run inc init again"
        )
    return None


def _attributes_ask_for_driver(top: Path, repo: Repository) -> bool:
    for folder in {top, repo.root, repo.incidents_dir}:
        try:
            text = (folder / ATTRIBUTES).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if f"merge={DRIVER_NAME}" in text:
            return True
    return False


def _write_launcher(repo: Repository) -> bool:
    """Write the launcher when it is missing or different; True when written."""
    path = launcher_path(repo)
    try:
        if path.is_file() and path.read_text() == LAUNCHER:
            return False
    except OSError:
        pass
    repo.ensure_state_dir()
    atomic_write(path, LAUNCHER.encode())
    with contextlib.suppress(OSError):
        path.chmod(0o755)
    return True


def setup_git(repo: Repository) -> list[str]:
    """In a git work tree: register the merge driver (local config) and commit the
    ``.gitattributes`` line. Returns what was done, one message a line; nothing outside git."""
    top = gitinfo.toplevel(repo.root)
    if top is None:
        return []
    messages: list[str] = []
    try:
        relative = repo.incidents_dir.resolve().relative_to(top.resolve())
        maintenance = (repo.root / MAINTENANCE_FOLDER).resolve().relative_to(top.resolve())
        launcher = launcher_path(repo).resolve().relative_to(top.resolve())
    except ValueError:
        return []
    # Incident files and maintenance windows (inc maintenance add) merge through the driver.
    patterns = [f"{folder.as_posix()}/*.yaml merge={DRIVER_NAME}" for folder in (relative, maintenance)]
    if (repo.root / SCHEDULES_FOLDER).is_dir():
        # Schedule files (oncall/*.yaml) merge with the same driver, once there are any: overrides
        # added on two clones both stay.
        schedules = (repo.root / SCHEDULES_FOLDER).resolve().relative_to(top.resolve())
        patterns.append(f"{schedules.as_posix()}/*.yaml merge={DRIVER_NAME}")
    command = driver_command(launcher.as_posix())
    try:
        written = _write_launcher(repo)
    except OSError as exc:
        messages.append(f"could not write the merge driver launcher {launcher_path(repo)}: {exc}")
        return messages
    try:
        if gitinfo.config_get(top, f"merge.{DRIVER_NAME}.driver") != command:
            gitinfo.config_set(top, f"merge.{DRIVER_NAME}.name", "incli: merge incident files")
            gitinfo.config_set(top, f"merge.{DRIVER_NAME}.driver", command)
            messages.append("Registered the incli merge driver in this clone's git config")
        elif written:
            messages.append(f"Wrote the incli merge driver launcher {launcher.as_posix()}")
    except OSError as exc:
        messages.append(f"could not register the merge driver: {exc}")
        return messages
    attributes = top / ATTRIBUTES
    try:
        current = attributes.read_text() if attributes.exists() else ""
    except OSError as exc:
        messages.append(f"could not read {attributes}: {exc.strerror or exc}")
        return messages
    present = {line.strip() for line in current.splitlines()}
    missing = [p for p in patterns if p not in present]
    if not missing:
        return messages
    pattern = ", ".join(missing)
    text = current if not current or current.endswith("\n") else current + "\n"
    atomic_write(attributes, (text + "".join(p + "\n" for p in missing)).encode())
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
    own = [
        root / CONFIG_NAME,
        repo.incidents_dir.resolve(),
        repo.templates_dir.resolve(),
        (root / MAINTENANCE_FOLDER).resolve(),
        root / SCHEDULES_FOLDER,
        top.resolve() / ATTRIBUTES,
    ]
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
    "public_title": "public-title",
    "private": "private",
    "maintenance": "maintenance add",
    "paged": "page",
    "schedule_changed": "oncall",
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
        if event == "maintenance":  # a maintenance window's file (inc maintenance add)
            message, saved = f"inc {command} {paths[0].stem}", paths[0].stem
        elif event == "schedule_changed":  # inc oncall new/override/import: the schedule file
            names = ", ".join(p.stem for p in paths)
            message, saved = f"inc oncall ({names})", f"schedule {names}"
        elif incident is None:  # a batch, e.g. inc import: one commit for every file it wrote
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
