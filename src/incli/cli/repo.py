"""Commands about the repository itself: init, validate, edit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from incli import output
from incli.cli.common import JsonOption, RequiredId, service, state
from incli.errors import ExitCode


def init(
    path: Annotated[Path, typer.Argument(help="Where to create it (default: here).", show_default=False)] = Path("."),
) -> None:
    """Create an incident repository (a config file and a folder for incidents).

    Safe to run again, for example in a fresh clone: it never changes existing data.
    """
    from incli.service.repository import init

    repo, created, git_messages = init(path)
    if created:
        output.info(f"Created an incident repository in {repo.root}: {', '.join(created)}")
    elif git_messages:  # e.g. a fresh clone: the data is as it was, git's local setup was not
        output.info(f"{repo.root} is already an incident repository; its files are unchanged")
    else:
        output.info(f"{repo.root} is already an incident repository; nothing changed")
    # In a git work tree (also a fresh clone): register the merge driver for incident files.
    for message in git_messages:
        output.info(message)
    if created:
        output.info('Next: inc open "What is wrong" --severity SEV2')


def validate(ctx: typer.Context, json: JsonOption = False) -> None:
    """Check every incident file and catalog.yaml; exits non-zero on any finding (fit for CI)."""
    from incli.service.catalog import validate_notes
    from incli.service.validate import validate as run_checks

    repo = state(ctx).repository()
    count, findings = run_checks(repo)
    for note in validate_notes(repo):
        output.info(note)
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


def edit(ctx: typer.Context, incident_id: RequiredId) -> None:
    """Open an incident's file in $EDITOR; what does not validate is not saved (your text is kept)."""
    from incli.cli.editor import edit_draft

    svc = service(ctx)
    target, original = svc.file_text(incident_id)
    draft = svc.draft(f"{target}.yaml", original)
    if edit_draft(draft, lambda text: svc.replace_file(target, draft.base, text), target):
        output.info(f"{target} saved")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("validate")(validate)
    app.command("edit")(edit)
