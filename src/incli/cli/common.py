"""What every command shares: the service for the current repository, and the
option definitions used by many commands (defined once, reused everywhere)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from incli import output
from incli.errors import InvalidInput

AtOption = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="When it happened (default now): ISO 8601, 14:32, 'yesterday 14:32', '10m ago' (inc help times).",
        metavar="TIME",
    ),
]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who did it (default: git user.name, then $USER).", metavar="NAME"),
]
NoteOption = Annotated[
    str | None, typer.Option("--note", "-n", help="What was done, for the timeline.", metavar="TEXT")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
# Every listing: how many rows (a terminal shows 50 unless told), or only the ids.
LimitOption = Annotated[
    int | None,
    typer.Option(
        "--limit",
        min=0,
        help="Show at most N rows (default 50 on a terminal, all in a pipe or with --json; 0 = all).",
        metavar="N",
        show_default=False,
    ),
]
QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the ids, one a line.")]
SortOption = Annotated[
    str,
    typer.Option(
        "--sort",
        help="newest (newest first, as inc list) or due (soonest due first).",
        metavar="ORDER",
    ),
]
IdArgument = Annotated[
    str | None,
    typer.Argument(
        help="Incident id, or any unambiguous part of it; may be left out when one incident is active "
        "(on a terminal, pick one when several are).",
        metavar="[ID]",
        show_default=False,
    ),
]
RequiredId = Annotated[
    str, typer.Argument(help="Incident id, or any unambiguous part of it.", metavar="ID", show_default=False)
]


class State:
    """Per-invocation state kept on the Click context."""

    def __init__(self, directory: str | None) -> None:
        self.directory = directory
        self._service: Any = None

    def service(self) -> Any:
        if self._service is None:
            from incli.service.repository import open_service

            self._service = open_service(self.directory, output.warn)
        return self._service

    def repository(self) -> Any:
        """The repository alone (commands that need no service: validate, sync)."""
        from incli.service.repository import find

        return find(self.directory)

    def report_warnings(self) -> None:
        if self._service is not None:
            for broken in self._service.store.warnings:
                output.warn(f"skipped {broken} (see inc validate)")


def state(ctx: typer.Context) -> State:
    obj = ctx.find_root().obj
    assert isinstance(obj, State)
    return obj


def service(ctx: typer.Context) -> Any:
    return state(ctx).service()


def split_id_text(args: list[str], what: str) -> tuple[str | None, str]:
    """``[ID] TEXT``: one argument is the text, two are the id and the text."""
    if len(args) == 1:
        return None, args[0]
    if len(args) == 2:
        return args[0], args[1]
    if not args:
        raise InvalidInput(f'give the {what} text, e.g. inc {what} "Restarted the pool"')
    raise InvalidInput(f'too many words: put the {what} in quotes, e.g. inc {what} ID "text with spaces"')
