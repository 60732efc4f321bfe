"""All output goes through here: data to stdout, messages to stderr.

This is the only module that imports rich, and it does so only when a table or
a panel is drawn, so commands that print a line stay fast to start. Colour is off
when the stream is not a terminal or NO_COLOR is set (rich honours both).
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rich.console import Console

PROG = "inc"
SEVERITY_STYLES = ("bold white on red", "bold red", "yellow", "cyan", "dim")
STATUS_STYLES = {
    "open": "bold red",
    "reopened": "bold red",
    "acknowledged": "yellow",
    "mitigated": "cyan",
    "resolved": "green",
}

_consoles: dict[bool, Console] = {}


def console(stderr: bool = False) -> Console:
    if stderr not in _consoles:
        from rich.console import Console

        stream = sys.stderr if stderr else sys.stdout
        width = None if stream.isatty() else int(os.environ.get("COLUMNS", "0") or 0) or 160
        _consoles[stderr] = Console(file=stream, width=width, highlight=False, soft_wrap=False)
    return _consoles[stderr]


def data(text: str) -> None:
    """A line of data on stdout (an id, a path)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def json_out(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def info(text: str) -> None:
    """A message for the person at the terminal, on stderr."""
    sys.stderr.write(text + "\n")


def warn(text: str) -> None:
    sys.stderr.write(f"{PROG}: warning: {text}\n")


def error(text: str) -> None:
    sys.stderr.write(f"{PROG}: error: {text}\n")


def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time shown in the local time zone."""
    return moment.astimezone().strftime(fmt) if moment else "-"


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def severity_style(rank: int) -> str:
    return SEVERITY_STYLES[min(rank, len(SEVERITY_STYLES) - 1)]


def table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    styles: Sequence[Sequence[str | None]] | None = None,
    empty: str = "nothing to show",
) -> None:
    """A table on stdout; cells are plain text (never markup)."""
    from rich.table import Table
    from rich.text import Text

    if not rows:
        info(empty)
        return
    grid = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for index, row in enumerate(rows):
        row_styles = styles[index] if styles else [None] * len(row)
        grid.add_row(*(Text(cell, style=style or "") for cell, style in zip(row, row_styles, strict=False)))
    console().print(grid)


def fields(pairs: Sequence[tuple[str, str, str | None]], title: str | None = None) -> None:
    """Label/value lines, as a two-column grid."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value, style in pairs:
        grid.add_row(label, Text(value, style=style or ""))
    out = console()
    if title:
        out.print(Text(title, style="bold"))
    out.print(grid)


def heading(text: str) -> None:
    from rich.text import Text

    console().print()
    console().print(Text(text, style="bold underline"))


@contextlib.contextmanager
def progress(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (only drawn on a terminal); yields advance(n)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=console(stderr=True), transient=True)  # fmt: skip
    task = bar.add_task(label, total=total)
    with bar:
        yield lambda n: bar.advance(task, n)
