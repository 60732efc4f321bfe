"""All output goes through here: data to stdout, messages to stderr.

This is the only module that imports rich, and it does so only when a table or
a panel is drawn, so commands that print a line stay fast to start. Colour is off
when the stream is not a terminal or NO_COLOR is set (rich honours both).

Every text meant for a person (data lines, messages, table cells, fields, headings)
passes through ``visible`` first: incident text comes from alerts and other people,
and a control character in it must not drive the terminal (``\\x1b[2J`` clears the
screen, U+202E reverses what follows). Those are shown as escapes (``\\x1b``,
``\\u202e``); tabs and newlines stay. ``--json`` output is never changed (json.dumps
escapes control characters itself), and neither are the files.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
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

_consoles: dict[tuple[bool, int], Console] = {}

# C0 controls but tab and newline, DEL, C1 controls, and the bidi embeddings, overrides and isolates.
# Lone surrogates (bytes that were not UTF-8, from the command line) show as the byte they were.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every character that would drive the terminal shown as an escape (``\\x1b``)."""
    return _UNSAFE.sub(_escaped, text)


def console(stderr: bool = False) -> Console:
    # Keyed by the stream too: tests (and embedders) swap sys.stdout between runs.
    stream = sys.stderr if stderr else sys.stdout
    key = (stderr, id(stream))
    if key not in _consoles:
        from rich.console import Console

        width = None if stream.isatty() else int(os.environ.get("COLUMNS", "0") or 0) or 160
        _consoles.clear()
        _consoles[key] = Console(file=stream, width=width, highlight=False, soft_wrap=False)
    return _consoles[key]


def data(text: str) -> None:
    """A line of data on stdout (an id, a path)."""
    sys.stdout.write(visible(text) + "\n")
    sys.stdout.flush()


# Inside JSON strings, the characters a terminal obeys that json.dumps leaves raw (DEL, C1
# controls, bidi overrides) are written as \\uXXXX: the same data, and a pipe into a terminal
# cannot be driven by them.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def json_safe(text: str) -> str:
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def json_out(value: Any) -> None:
    sys.stdout.write(json_safe(json.dumps(value, indent=2, ensure_ascii=False)) + "\n")
    sys.stdout.flush()


def json_array_out(elements: Sequence[str]) -> None:
    """Print a JSON array from ready element texts (each already indented by two spaces),
    byte for byte what json_out would print for the list; written piece by piece so a
    listing of 100,000 incidents is never held twice in memory."""
    out = sys.stdout
    if not elements:
        out.write("[]\n")
    else:
        out.write("[\n")
        last = len(elements) - 1
        for index, text in enumerate(elements):
            out.write(json_safe(text))
            out.write(",\n" if index < last else "\n]\n")
    out.flush()


def info(text: str) -> None:
    """A message for the person at the terminal, on stderr."""
    sys.stderr.write(visible(text) + "\n")


def warn(text: str) -> None:
    sys.stderr.write(f"{PROG}: warning: {visible(text)}\n")


def error(text: str) -> None:
    """One line, always: a title or a YAML message with a line break must not split it."""
    one_line = " ".join(part.strip() for part in text.splitlines() if part.strip())
    sys.stderr.write(f"{PROG}: error: {visible(one_line)}\n")


def local(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored time shown in the local time zone."""
    return moment.astimezone().strftime(fmt) if moment else "-"


def due(moment: datetime | None, now: datetime) -> str:
    """A due time in the local zone: its clock when it is today, with the date otherwise."""
    from incli.domain.times import clock_or_date

    return clock_or_date(moment, now) if moment else "-"


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)


def _text(title: str | None) -> Any:
    """A title as plain text (never markup), made visible."""
    if title is None:
        return None
    from rich.text import Text

    return Text(visible(title))


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
    grid = Table(title=_text(title), title_justify="left", header_style="bold")
    for column in columns:
        grid.add_column(Text(visible(column)), overflow="fold")
    for index, row in enumerate(rows):
        row_styles = styles[index] if styles else [None] * len(row)
        grid.add_row(*(Text(visible(cell), style=style or "") for cell, style in zip(row, row_styles, strict=False)))
    console().print(grid)


def fields(pairs: Sequence[tuple[str, str, str | None]], title: str | None = None) -> None:
    """Label/value lines, as a two-column grid."""
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for label, value, style in pairs:
        grid.add_row(Text(visible(label)), Text(visible(value), style=style or ""))
    out = console()
    if title:
        out.print(Text(visible(title), style="bold"))
    out.print(grid)


def markdown(text: str) -> None:
    """A Markdown document (a runbook) rendered for the terminal; plain text in a pipe. Control
    characters are shown as escapes and links are never made terminal hyperlinks."""
    out = console()
    if not out.is_terminal:
        sys.stdout.write(visible(text).rstrip("\n") + "\n")
        sys.stdout.flush()
        return
    from rich.markdown import Markdown

    out.print(Markdown(visible(text), hyperlinks=False))


def heading(text: str) -> None:
    from rich.text import Text

    console().print()
    console().print(Text(visible(text), style="bold underline"))


def bar_chart(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], Sequence[str]]],
    *,
    title: str | None = None,
    width: int = 28,
    empty: str = "nothing to show",
) -> None:
    """Horizontal bars on stdout: one row per label, one column per series.

    Each series is (heading, values, texts); a bar's length is its value over the
    series' largest value, and the text (e.g. "12" or "1h 5m") follows the bar.
    """
    from rich.table import Table
    from rich.text import Text

    if not labels:
        info(empty)
        return
    grid = Table(title=_text(title), title_justify="left", header_style="bold", box=None, padding=(0, 2))
    grid.add_column("")
    for heading, _values, _texts in series:
        grid.add_column(Text(visible(heading)), no_wrap=True)
    peaks = [max((v for v in values if v is not None), default=0.0) for _h, values, _t in series]
    styles = ("cyan", "magenta", "green", "yellow")
    for row, label in enumerate(labels):
        cells: list[Text] = [Text(visible(label))]
        for column, (_heading, values, texts) in enumerate(series):
            value, peak = values[row], peaks[column]
            length = 0
            if value is not None and value > 0 and peak > 0:
                length = max(1, round(width * value / peak))
            cell = Text("█" * length, style=styles[column % len(styles)])
            cell.append(" " * (width - length) + " " + visible(texts[row]))
            cells.append(cell)
        grid.add_row(*cells)
    console().print(grid)


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

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    bar = Progress(*columns, console=console(stderr=True), transient=True)
    task = bar.add_task(escape(visible(label)), total=total)
    with bar:
        yield lambda n: bar.advance(task, n)
