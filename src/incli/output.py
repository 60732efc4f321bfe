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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from incli.domain.model import json_safe

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
    """A line of data on stdout (an id, a path). On a terminal a long line wraps between
    words, never inside an id or a time."""
    if len(text) > 40 and terminal():
        from rich.text import Text

        console().print(Text(visible(text)))
        return
    sys.stdout.write(visible(text) + "\n")
    sys.stdout.flush()


def json_out(value: Any) -> None:
    sys.stdout.write(json_safe(json.dumps(value, indent=2, ensure_ascii=False)) + "\n")
    sys.stdout.flush()


def json_array_out(elements: Iterable[bytes]) -> None:
    """Print a JSON array from ready element texts (UTF-8, each indented by two spaces and
    already json_safe, as the index keeps them), byte for byte what json_out would print for
    the list; written a megabyte at a time, so 100,000 incidents are never held in memory."""
    sys.stdout.flush()
    out = sys.stdout.buffer
    chunk: list[bytes] = []
    first, pending = True, 0
    for text in elements:
        chunk.append(b"[\n" if first else b",\n")
        chunk.append(text)
        first = False
        pending += len(text)
        if pending > 1 << 20:
            out.write(b"".join(chunk))
            chunk.clear()
            pending = 0
    chunk.append(b"[]\n" if first else b"\n]\n")
    out.write(b"".join(chunk))
    out.flush()


def note(text: str) -> None:
    """A line for the person beside a table: on stdout on a terminal, on stderr in a pipe, so
    that what a pipe reads is only the table's rows."""
    if terminal():
        data(text)
    else:
        info(text)


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


# -- tables: fitted to a terminal, tab-separated in a pipe ------------------------------
#
# A command describes its table once (a Column per column: what it holds and when it gives
# way) and hands over the rows; this decides how they look. On a terminal: the columns fitted
# to the width. No id, time, date, status, severity, duration or count ever wraps; when the
# table is too wide, ids are shown by their short form (``txm67``, which every command
# accepts), then columns go in their declared drop order (highest first), and only free text
# (a title, a note) flexes, cut with an ellipsis (or wrapped, in ``inc show``). In a pipe:
# a header line and tab-separated rows, nothing padded or cut, full ids, every column.

ID = "id"  # an incident or action id: shown short when the table is narrow
FIXED = "fixed"  # a time, date, status, severity, duration, count or name: never wraps, never cut
TEXT = "text"  # free text (title, summary, note): the one kind that flexes
DEFAULT_LIMIT = 50  # rows a listing shows on a terminal unless --limit says otherwise
FORCE_TTY = "INC_FORCE_TTY"  # set (not 0): format for a terminal even when stdout is not one
_TEXT_MIN = 12  # the narrowest a free-text column is squeezed before a column is dropped
_TEXT_EASY = 24  # free text narrower than this (and cut) is worth shortening the ids for
_GAP = 2


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``drop``: 0 is always shown; at narrow widths the column with the highest ``drop`` goes
    first. ``wrap``: free text wraps onto more lines instead of being cut (``inc show``).
    ``group``: on a terminal, left blank while it repeats the row above (a pipe repeats it).
    ``lines``: a cell's line breaks are kept, each line whole. ``cut_start``: text cut at its
    start (a path, whose end matters)."""

    header: str
    kind: str = FIXED
    drop: int = 0
    wrap: bool = False
    group: bool = False
    cut_start: bool = False  # free text whose end matters (a path): cut at the start, "…/name.j2"
    lines: bool = False  # a fixed cell of several items, one a line ("; " between them in a pipe)


def _tty() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def terminal() -> bool:
    """Whether a person reads stdout: the one place that chooses a fitted table (and the
    50-row default) over tab-separated text. ``INC_FORCE_TTY=1`` says yes without a terminal."""
    forced = os.environ.get(FORCE_TTY, "")
    return (bool(forced) and forced != "0") or _tty()


def row_limit(limit: int | None, json: bool = False) -> int | None:
    """How many rows a listing shows (None: all). ``--limit N``, where 0 is all; by default
    DEFAULT_LIMIT on a terminal, and all in a pipe or with --json."""
    if limit is not None:
        return limit or None
    return None if json or not terminal() else DEFAULT_LIMIT


def more(shown: int, total: int) -> None:
    """The line under a listing that was cut by --limit, on stderr so a pipe gets only rows."""
    if total > shown:
        info(f"{shown:,} of {total:,} shown; --limit 0 for all")


def table(
    columns: Sequence[Column | str],
    rows: Sequence[Sequence[str]],
    *,
    title: str | None = None,
    styles: Sequence[Sequence[str | None]] | None = None,
    empty: str = "nothing to show",
    total: int | None = None,
    quiet: bool = False,
) -> None:
    """A table on stdout; cells are plain text (never markup). ``total``: how many rows there
    were before --limit (the footer says so). ``quiet``: only the ids (the first ID column,
    else the first column), one a line."""
    described = [c if isinstance(c, Column) else Column(c) for c in columns]
    if quiet:
        at = next((i for i, c in enumerate(described) if c.kind == ID), 0)
        if rows:
            sys.stdout.write(visible("\n".join(_flat(row[at]) for row in rows)) + "\n")
            sys.stdout.flush()
    elif not rows:
        info(empty)
    elif terminal():
        _fitted(described, rows, styles, title)
    else:
        _tsv(described, rows)
    if total is not None:
        more(len(rows), total)


_BREAKS = re.compile("[\t\n]+")


def _flat(text: str) -> str:
    """A cell on one line: a tab or a line break in incident text would break the row."""
    return _BREAKS.sub(" ", text) if "\t" in text or "\n" in text else text


def _tsv(columns: Sequence[Column], rows: Sequence[Sequence[str]]) -> None:
    """A header line and a line per row, tab-separated: for cut, awk and sort."""
    tabs = len(columns) - 1
    lines = ["\t".join(_flat(c.header) for c in columns)]
    for row in rows:
        line = "\t".join(row)
        if line.count("\t") != tabs or "\n" in line:
            line = "\t".join(
                _flat(cell.replace("\n", "; ") if column.lines else cell)
                for cell, column in zip(row, columns, strict=False)
            )
        lines.append(line)
    # One pass of visible() over the whole text, not one per cell: a pipe may take 100,000 rows.
    sys.stdout.write(visible("\n".join(lines)) + "\n")
    sys.stdout.flush()


def _shortened(cells: list[list[str]], at: int) -> None:
    """Ids in column ``at`` in their short form, unless two different ids would then look the same."""
    from incli.domain.ids import short

    owners: dict[str, set[str]] = {}
    for row in cells:
        owners.setdefault(short(row[at]), set()).add(row[at])
    for row in cells:
        one = short(row[at])
        if len(owners[one]) == 1:
            row[at] = one


def fit(columns: Sequence[Column], cells: list[list[str]], width: int) -> tuple[list[int], dict[int, int]]:
    """Which columns a terminal ``width`` shows, and how wide each is (``cells`` may have
    their ids shortened in place): short ids first, then columns dropped in their order,
    then free text squeezed."""
    from rich.cells import cell_len

    def natural(at: int) -> int:
        if columns[at].lines:
            return max([cell_len(columns[at].header), *(cell_len(ln) for row in cells for ln in row[at].split("\n"))])
        return max([cell_len(columns[at].header), *(cell_len(row[at]) for row in cells)])

    widths = {at: natural(at) for at in range(len(columns))}
    keep = list(range(len(columns)))

    def demand(least: int = _TEXT_MIN) -> int:
        need = (min(widths[a], least) if columns[a].kind == TEXT else widths[a] for a in keep)
        return sum(need) + _GAP * (len(keep) - 1)

    if demand(_TEXT_EASY) > width:
        for at in keep:
            if columns[at].kind == ID:
                _shortened(cells, at)
                widths[at] = natural(at)
    droppable = sorted((a for a in keep if columns[a].drop), key=lambda a: -columns[a].drop)
    while demand() > width and droppable:
        keep.remove(droppable.pop(0))
    texts = sorted((a for a in keep if columns[a].kind == TEXT), key=lambda a: widths[a])
    room = width - sum(widths[a] for a in keep if columns[a].kind != TEXT) - _GAP * (len(keep) - 1)
    for count, at in enumerate(texts):  # narrowest first: what one does not need, the next gets
        widths[at] = max(1, min(widths[at], room // (len(texts) - count)))
        room -= widths[at]
    return keep, {a: widths[a] for a in keep}


def _fitted(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    styles: Sequence[Sequence[str | None]] | None,
    title: str | None,
) -> None:
    from rich.table import Table
    from rich.text import Text

    out = console()
    cells = [
        [visible(cell) if columns[i].wrap or columns[i].lines else _flat(visible(cell)) for i, cell in enumerate(row)]
        for row in rows
    ]
    groups = [i for i, c in enumerate(columns) if c.group]
    if groups:  # blank a group cell that repeats the row above (with every group cell before it)
        previous: list[str] = []
        for row in cells:
            key = [row[i] for i in groups]
            same = 0
            while same < len(key) and same < len(previous) and key[same] == previous[same]:
                same += 1
            for i in groups[:same]:
                row[i] = ""
            previous = key
    keep, widths = fit(columns, cells, out.width)
    grid = Table(
        title=_text(title),
        title_justify="left",
        header_style="bold",
        box=None,
        padding=(0, _GAP, 0, 0),
        pad_edge=False,
    )
    for at in keep:
        column = columns[at]
        wraps = column.kind == TEXT and column.wrap
        grid.add_column(
            Text(visible(column.header)),
            width=widths[at],
            no_wrap=not wraps,
            overflow="fold" if wraps else "ellipsis",
        )
    for at in keep:
        if columns[at].cut_start:
            for row in cells:
                row[at] = _cut_start(row[at], widths[at])
    for index, row in enumerate(cells):
        row_styles = styles[index] if styles else [None] * len(row)
        grid.add_row(*(Text(row[at], style=row_styles[at] or "") for at in keep))
    out.print(grid)


def _cut_start(text: str, width: int) -> str:
    """``text`` in ``width`` cells, its start replaced by an ellipsis when it is too long."""
    from rich.cells import cell_len

    if cell_len(text) <= width:
        return text
    while text and cell_len(text) > width - 1:
        text = text[1:]
    return "…" + text


def fields(pairs: Sequence[tuple[str, str, str | None]], title: str | None = None) -> None:
    """Label/value lines: a two-column grid on a terminal (the value wraps, the label never),
    ``label<TAB>value`` lines in a pipe."""
    if not terminal():
        lines = ([_flat(title)] if title else []) + [f"{_flat(label)}\t{_flat(value)}" for label, value, _s in pairs]
        sys.stdout.write(visible("\n".join(lines)) + "\n")
        sys.stdout.flush()
        return
    from rich.table import Table
    from rich.text import Text

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
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
    label_header: str = "",
    width: int = 28,
    empty: str = "nothing to show",
) -> None:
    """Horizontal bars on stdout: one row per label, one column per series.

    Each series is (heading, values, texts); a bar's length is its value over the
    series' largest value, and the text (e.g. "12" or "1h 5m") follows the bar. Bars are
    at most ``width`` long and shrink to fit the terminal; labels never wrap. In a pipe:
    the labels and texts, tab-separated, no bars."""
    if not labels:
        info(empty)
        return
    headers = [label_header or "Label", *(heading for heading, _v, _t in series)]
    if not terminal():
        _tsv(
            [Column(h) for h in headers],
            [[label, *(texts[row] for _h, _v, texts in series)] for row, label in enumerate(labels)],
        )
        return
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    out = console()
    label_width = max(cell_len(visible(label)) for label in [label_header, *labels])
    text_widths = [max(cell_len(visible(t)) for t in texts) for _h, _v, texts in series]
    room = out.width - label_width - _GAP * len(series) - sum(w + 1 for w in text_widths)
    width = max(4, min(width, room // max(len(series), 1)))
    grid = Table(
        title=_text(title), title_justify="left", header_style="bold", box=None, padding=(0, _GAP, 0, 0), pad_edge=False
    )
    grid.add_column(Text(visible(label_header)), no_wrap=True, width=label_width)
    for (heading, _values, _texts), text_width in zip(series, text_widths, strict=True):
        grid.add_column(Text(visible(heading)), no_wrap=True, overflow="ellipsis", width=width + 1 + text_width)
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
    out.print(grid)


# -- the pager -------------------------------------------------------------------------------

DEFAULT_PAGER = "less -FRX"


def _pager() -> list[str] | None:
    """$PAGER (default less -FRX) as argv, split like a shell would but never run by one;
    None when it is empty or cat."""
    import shlex

    text = os.environ.get("PAGER")
    try:
        argv = shlex.split(DEFAULT_PAGER if text is None else text)
    except ValueError:
        return None
    return argv if argv and argv != ["cat"] else None


@contextlib.contextmanager
def paged(enabled: bool = True) -> Iterator[None]:
    """What is printed inside goes through the pager when stdout is a terminal (never in a
    pipe); ``enabled=False`` is --no-pager."""
    argv = _pager() if enabled and _tty() else None
    if argv is None:
        yield
        return
    out = console()
    with out.capture() as captured:
        yield
    _page(argv, captured.get())


def _page(argv: list[str], text: str) -> None:
    import subprocess

    env = dict(os.environ)
    env.setdefault("LESS", "FRX")  # as git does: a bare PAGER=less still shows colour, quits on one screen
    try:
        pager = subprocess.Popen(argv, stdin=subprocess.PIPE, env=env)
    except OSError as exc:
        warn(f"cannot run the pager {argv[0]!r} ({exc.strerror}); set PAGER or use --no-pager")
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    assert pager.stdin is not None
    with contextlib.suppress(BrokenPipeError, KeyboardInterrupt):  # the reader quit before the end
        pager.stdin.write(text.encode("utf-8", "replace"))
    with contextlib.suppress(BrokenPipeError):
        pager.stdin.close()
    while True:
        try:
            pager.wait()
            return
        except KeyboardInterrupt:  # Ctrl-C is the pager's to handle, as in git
            continue


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
