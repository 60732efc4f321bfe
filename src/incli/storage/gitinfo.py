"""Everything incli asks git, in one place."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess


def run_git(args: list[str], cwd: Path | None = None, timeout: float = 10.0) -> subprocess.CompletedProcess[str] | None:
    """Run git; None when git is not installed."""
    import subprocess  # here: a command that never asks git does not import it

    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None


_USER_NAME = "user.name"  # (module-level: mutmut leaves it alone; git's keys ignore case anyway)
_USER_EMAIL = "user.email"


def user_name(cwd: Path | None = None) -> str | None:
    """git's user.name (repository, then global and system config), then $USER (or $USERNAME)."""
    name = config_get(cwd, _USER_NAME, local=False)
    return name or os.environ.get("USER") or os.environ.get("USERNAME") or None


def user_email(cwd: Path | None = None) -> str | None:
    """git's user.email (repository, then global and system config); None when unset or empty."""
    return config_get(cwd, _USER_EMAIL, local=False) or None


def _ok(result: subprocess.CompletedProcess[str] | None) -> bool:
    return result is not None and result.returncode == 0


def _why(result: subprocess.CompletedProcess[str] | None) -> str:
    """git's own explanation, on one line."""
    if result is None:
        return "git is not installed or did not answer"
    lines = [line.strip() for line in (result.stderr or result.stdout).splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith("hint:")]
    return (useful or lines or [f"git exited with {result.returncode}"])[0]


def maybe_in_work_tree(path: Path) -> bool:
    """False only when git certainly finds no repository from ``path``: no ``.git`` in it or
    any folder above, and no GIT_DIR. Answered without running git."""
    if os.environ.get("GIT_DIR"):
        return True
    folder = path.resolve()
    return any(os.path.lexists(candidate / ".git") for candidate in (folder, *folder.parents))


def toplevel(path: Path) -> Path | None:
    """The top folder of the git work tree holding ``path``; None outside one."""
    result = run_git(["rev-parse", "--show-toplevel"], cwd=path)
    return Path(result.stdout.strip()) if _ok(result) and result is not None and result.stdout.strip() else None


def has_identity(cwd: Path) -> bool:
    """Can git commit here (user.name and user.email known)?"""
    return _ok(run_git(["var", "GIT_COMMITTER_IDENT"], cwd=cwd)) and _ok(run_git(["var", "GIT_AUTHOR_IDENT"], cwd=cwd))


def config_get(cwd: Path | None, key: str, *, local: bool = True) -> str | None:
    """git's value for ``key``: this clone's own (``local``), else wherever git looks first."""
    result = run_git(["config", *(["--local"] if local else []), "--get", key], cwd=cwd)
    return result.stdout.strip() if _ok(result) and result is not None else None


def config_file(cwd: Path) -> Path:
    """The clone's local git config file (where ``config_get``/``config_set`` look)."""
    result = run_git(["rev-parse", "--git-path", "config"], cwd=cwd)
    if _ok(result) and result is not None and result.stdout.strip():
        return (cwd / result.stdout.strip()).resolve()
    return cwd / ".git" / "config"


def config_set(cwd: Path, key: str, value: str) -> None:
    result = run_git(["config", "--local", key, value], cwd=cwd)
    if not _ok(result):
        raise OSError(f"git config {key} failed: {_why(result)}")


def commit_only(cwd: Path, paths: list[Path], message: str) -> str | None:
    """Commit exactly ``paths`` (added if new), leaving whatever else is staged alone.

    Returns None on success, else git's reason in one line.
    """
    import time

    names = [str(p) for p in paths]
    failure: str | None = None
    for attempt in range(6):  # another inc process may hold git's index.lock for a moment
        if attempt:
            time.sleep(0.05 * attempt)
        added = run_git(["add", "--", *names], cwd=cwd)
        if not _ok(added):
            failure = _why(added)
        else:
            args = ["commit", "--quiet", "--no-verify", "--only", "-m", message, "--", *names]
            result = run_git(args, cwd=cwd, timeout=30)
            if _ok(result):
                return None
            failure = _why(result)
            if _ok(run_git(["diff", "--quiet", "HEAD", "--", *names], cwd=cwd)):
                return None  # a concurrent inc process already committed this content
        if "index.lock" not in failure:
            break
    return failure


def status(cwd: Path) -> list[tuple[str, str]] | None:
    """(two-letter code, path relative to the top level) of every change; None when git fails."""
    result = run_git(["status", "--porcelain=v1", "-z", "--untracked-files=all"], cwd=cwd)
    if not _ok(result) or result is None:
        return None
    found: list[tuple[str, str]] = []
    parts = result.stdout.split("\0")
    index = 0
    while index < len(parts):
        item = parts[index]
        index += 1
        if len(item) < 4:  # only the empty text after the last NUL is this short: break would do too
            continue  # pragma: no mutate
        code, name = item[:2], item[3:]
        if code[0] in "RC":
            index += 1  # the original name follows a rename
        found.append((code, name))
    return found


def remotes(cwd: Path) -> list[str]:
    result = run_git(["remote"], cwd=cwd)
    return result.stdout.split() if _ok(result) and result is not None else []


def has_upstream(cwd: Path) -> bool:
    return _ok(run_git(["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}"], cwd=cwd))


def current_branch(cwd: Path) -> str | None:
    result = run_git(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd=cwd)
    return result.stdout.strip() if _ok(result) and result is not None else None


def run_step(cwd: Path, args: list[str], timeout: float = 120.0) -> str | None:
    """Run a git step that talks to a remote; None on success, else git's reason in one line."""
    result = run_git(args, cwd=cwd, timeout=timeout)
    return None if _ok(result) else _why(result)


def conflicted(cwd: Path) -> list[str]:
    result = run_git(["diff", "--name-only", "--diff-filter=U"], cwd=cwd)
    return result.stdout.split() if _ok(result) and result is not None else []


_BASE_LABEL = "base"  # pragma: no mutate (shown only in the diff3 style, which merge_file never asks for)


def merge_file(ours: Path, base: Path, theirs: Path) -> bool:
    """git's own line-based three-way merge into ``ours`` (conflict markers where both
    sides changed the same lines); False when git could not run it."""
    result = run_git(["merge-file", "-L", "ours", "-L", _BASE_LABEL, "-L", "theirs", str(ours), str(base), str(theirs)])
    # The number of conflicts (at most 127), or 255 when git could not merge: 128 never comes.
    return result is not None and 0 <= result.returncode < 128  # pragma: no mutate


# One record of ``git log``: the fields below, separated by US (0x1f), each record ended by RS (0x1e).
# Never run the program a repository's own config names as its fsmonitor. git reads config keys and
# booleans in any case, so the mutants that only change the case are equivalent.
NO_FSMONITOR = ["-c", "core.fsmonitor=false"]  # pragma: no mutate
_LOG_FORMAT = "%H%x1f%an%x1f%cI%x1f%P%x1f%s%x1e"
MAX_CHANGES = 2000


def is_work_tree(folder: Path) -> bool:
    result = run_git(["rev-parse", "--is-inside-work-tree"], cwd=folder)
    return result is not None and result.returncode == 0 and result.stdout.strip() == "true"


def log_changes(folder: Path, since: str, until: str, paths: list[str]) -> list[tuple[str, str, str, str, bool]] | None:
    """The commits (merges too) reachable from HEAD or a tag, committed between ``since`` and
    ``until`` (ISO 8601) that touched ``paths`` (all when empty): (commit, author, committed at,
    subject, is a merge), newest first. None when git fails. Read with argv, never a shell; git's
    own config cannot run a program for ``git log`` (no pager, no fsmonitor)."""
    args = [
        *NO_FSMONITOR,
        "--no-pager",
        "log",
        "HEAD",
        "--tags",
        f"--since={since}",
        f"--until={until}",
        f"--max-count={MAX_CHANGES}",
        f"--format={_LOG_FORMAT}",
        "--no-color",
        "--",
        *paths,
    ]
    result = run_git(args, cwd=folder, timeout=30)
    if result is None or result.returncode != 0:
        return None
    found = []
    for record in result.stdout.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) != 5:
            continue
        commit, author, at, parents, subject = fields
        found.append((commit, author, at, subject, len(parents.split()) > 1))
    return found


def tags_created(folder: Path) -> list[tuple[str, str, str, str, str]] | None:
    """Every annotated tag (a lightweight one is only a name for a commit, listed already):
    (name, commit it points to, created at ISO 8601, tagger, subject)."""
    fmt = "%(refname:short)%1f%(*objectname)%1f%(creatordate:iso-strict)%1f%(taggername)%1f%(contents:subject)%1e"
    result = run_git([*NO_FSMONITOR, "for-each-ref", "refs/tags", f"--format={fmt}"], cwd=folder)
    if result is None or result.returncode != 0:
        return None
    found = []
    for record in result.stdout.split("\x1e"):
        fields = record.strip("\n").split("\x1f")
        if len(fields) == 5 and fields[1]:
            name, target, at, who, subject = fields
            found.append((name, target, at, who, subject))
    return found


def commit_to_branch(top: Path, branch: str, files: dict[str, bytes], message: str) -> str:
    """Commit ``files`` (path relative to ``top`` -> content) on top of HEAD to ``branch``
    (created or moved forward), without touching the work tree, the index or the checked-out
    branch: git's plumbing with an index of its own. Returns the commit; OSError with git's
    reason when it cannot."""
    import subprocess
    import tempfile

    def step(args: list[str], env: dict[str, str] | None = None, data: bytes | None = None) -> str:
        try:
            result = subprocess.run(
                ["git", *args],
                cwd=top,
                input=data,
                capture_output=True,
                timeout=30,
                env={**os.environ, **(env or {})},
            )
        except (FileNotFoundError, subprocess.TimeoutExpired):
            raise OSError("git is not installed or did not answer") from None
        if result.returncode != 0:
            why = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise OSError(f"git {args[0]} failed: {why[0] if why else result.returncode}")
        return result.stdout.decode("utf-8", "replace").strip()

    if step(["check-ref-format", "--branch", branch]) != branch:
        raise OSError(f"{branch!r} is not a branch name")
    head = step(["rev-parse", "--verify", "HEAD^{commit}"])
    existing = run_git(["rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}"], cwd=top)
    parent = existing.stdout.strip() if existing is not None and existing.returncode == 0 else head
    with tempfile.TemporaryDirectory(prefix="incli-pr-") as folder:
        env = {"GIT_INDEX_FILE": str(Path(folder) / "index")}  # pragma: no mutate (any name in our own folder)
        step(["read-tree", parent], env)
        for name, data in files.items():
            blob = step(["hash-object", "-w", "--stdin"], data=data)
            step(["update-index", "--add", "--cacheinfo", f"100644,{blob},{name}"], env)
        tree = step(["write-tree"], env)
        commit = step(["commit-tree", tree, "-p", parent, "-m", message])
    step(
        [
            "update-ref",
            f"refs/heads/{branch}",
            commit,
            parent if existing is not None and existing.returncode == 0 else "",
        ]
    )
    return commit
