"""Commands for working as a team with git: ``inc sync`` and the hidden ``inc merge-driver``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from incli import output
from incli.cli.common import ByOption, state


def merge_driver(
    base: Annotated[Path, typer.Argument(help="The common ancestor (git's %O).", show_default=False)],
    ours: Annotated[
        Path, typer.Argument(help="Our version (git's %A); the result is written here.", show_default=False)
    ],
    theirs: Annotated[Path, typer.Argument(help="Their version (git's %B).", show_default=False)],
    path: Annotated[str | None, typer.Argument(help="The file's path in the repository (git's %P).")] = None,
) -> None:
    """git's merge driver for incident files (registered by inc init).

    When a side cannot be read it falls back to git's ordinary line merge (conflict
    markers that inc validate points at) and exits 1, so git reports a conflict.
    """
    from incli.service.git import merge_driver as run_driver

    problem = run_driver(base, ours, theirs, path)
    if problem is not None:
        output.warn(f"incli merge driver: {path or ours}: {problem}; left to git as an ordinary conflict")
        raise typer.Exit(1)


def sync(
    ctx: typer.Context,
    commit: Annotated[bool, typer.Option("--commit", help="Commit uncommitted incident files first.")] = False,
    by: ByOption = None,
) -> None:
    """Pull (merging incident files with the incli driver) and push.

    Refuses, changing nothing, when this is not a git repository, there is no remote, or
    the work tree has uncommitted changes (incident files too, unless --commit).
    """
    from incli.service.git import sync as run_sync

    run_sync(state(ctx).repository(), commit=commit, by=by, say=output.info)


def register(app: typer.Typer) -> None:
    app.command("sync")(sync)
    app.command("merge-driver", hidden=True)(merge_driver)
