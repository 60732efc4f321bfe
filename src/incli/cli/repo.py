"""Commands about the repository itself: init, validate, edit."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from incli import output
from incli.cli.common import JsonOption, RequiredId, service, state
from incli.errors import Conflict, ExitCode, Problems, StorageError


def init(
    path: Annotated[Path, typer.Argument(help="Where to create it (default: here).", show_default=False)] = Path("."),
) -> None:
    """Create an incident repository (a config file and a folder for incidents).

    Safe to run again, for example in a fresh clone: it never changes existing data.
    """
    from incli.service.git import setup_git
    from incli.storage.repo import init_repository

    repo, created = init_repository(path)
    if created:
        output.info(f"Created an incident repository in {repo.root}: {', '.join(created)}")
    else:
        output.info(f"{repo.root} is already an incident repository; nothing changed")
    # In a git work tree (also a fresh clone): register the merge driver for incident files.
    for message in setup_git(repo):
        output.info(message)
    if created:
        output.info('Next: inc open "What is wrong" --severity SEV2')


def validate(ctx: typer.Context, json: JsonOption = False) -> None:
    """Check every incident file; exits non-zero on any finding (fit for CI)."""
    from incli.service.validate import validate as run_checks
    from incli.storage.repo import find_repository

    repo = find_repository(state(ctx).directory)
    count, findings = run_checks(repo)
    if json:
        output.json_out({"files": count, "findings": [f.to_json() for f in findings]})
    else:
        for finding in findings:
            output.data(str(finding))
    if findings:
        files = len({f.path for f in findings})
        output.info(
            f"{len(findings)} problem{'s' if len(findings) != 1 else ''} in {files} "
            f"file{'s' if files != 1 else ''} (of {count} checked)"
        )
        raise typer.Exit(ExitCode.PROBLEMS)
    output.info(f"{count} incident file{'s' if count != 1 else ''} checked: no problems")


def _editor() -> list[str]:
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(command)


def edit(ctx: typer.Context, incident_id: RequiredId) -> None:
    """Open an incident's file in $EDITOR; what does not validate is not saved (your text is kept)."""
    from incli.service.validate import check_file
    from incli.storage.atomic import atomic_write

    svc = service(ctx)
    store = svc.store
    target = store.resolve_id(incident_id)
    path = store.path_for(target)
    original = path.read_bytes()
    draft_dir = svc.repo.ensure_state_dir() / "drafts"
    draft_dir.mkdir(exist_ok=True)
    draft = draft_dir / path.name
    if draft.is_file() and draft.read_bytes() != original:
        # A refused edit left the user's text here: go on from it, never overwrite it.
        output.info(f"{target}: resuming your unsaved draft {draft} (delete it to start from the saved file)")
    else:
        draft.write_bytes(original)
    while True:
        try:
            subprocess.run([*_editor(), str(draft)], check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise StorageError(f"the editor failed ({exc}); your text is in {draft}") from None
        edited = draft.read_bytes()
        if edited == original:
            draft.unlink()
            output.info(f"{target}: no changes")
            return
        _id, findings = check_file(path, edited, svc.repo)
        if not findings:
            break
        for finding in findings:
            output.info(f"  {str(finding).replace(str(path), str(draft), 1)}")
        if sys.stdin.isatty() and typer.confirm("The file does not validate. Edit it again?", default=True):
            continue
        raise Problems(f"not saved: {findings[0].message}; your text is kept in {draft}")
    with store.locked():
        if path.read_bytes() != original:
            raise Conflict(f"{target} changed while you were editing; not saved. Your text is kept in {draft}")
        atomic_write(path, edited)
    draft.unlink()
    output.info(f"{target} saved")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("validate")(validate)
    app.command("edit")(edit)
