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
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

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
_UNSAFE_CHARS = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
_unsafe: list[re.Pattern[str]] = []  # compiled when first needed: most text is plain ASCII


def _unsafe_pattern() -> re.Pattern[str]:
    if not _unsafe:
        _unsafe.append(re.compile(_UNSAFE_CHARS))
    return _unsafe[0]


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every character that would drive the terminal shown as an escape (``\\x1b``)."""
    if text.isascii() and text.isprintable():  # the common case, without a regex pass
        return text
    return _unsafe_pattern().sub(_escaped, text)


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


MINUTE = "%Y-%m-%d %H:%M"  # how tables show a time


def local(moment: datetime | None, fmt: str = MINUTE) -> str:
    """A stored time shown in the local time zone."""
    return moment.astimezone().strftime(fmt) if moment else "-"


def local_minute(seconds: float) -> str:
    """``local(datetime.fromtimestamp(seconds, UTC))`` for a POSIX time, a few times faster (a
    listing may show 100,000): the C library's localtime() gives the fields, as it gives
    datetime.astimezone() the zone's offset at that second, and time.strftime() writes them,
    as it does for datetime.strftime()."""
    if seconds % 1 <= 0.999999:  # else the datetime rounds up to the next second: the slow way
        try:
            fields = time.localtime(seconds)
        except (OverflowError, OSError, ValueError):
            fields = None
        if fields is not None and 1 <= fields.tm_year <= 9999:  # the years a datetime has
            return time.strftime(MINUTE, fields)
    return local(datetime.fromtimestamp(seconds, UTC))


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


class Column(NamedTuple):
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


def _shortened(texts: list[str]) -> list[str]:
    """Ids in their short form, unless two different ids would then look the same."""
    from collections import Counter

    from incli.domain.ids import short

    shorts = list(map(short, texts))
    owners = Counter(dict(zip(texts, shorts, strict=True)).values())  # how many different ids each short names
    if all(count == 1 for count in owners.values()):
        return shorts
    return [one if owners[one] == 1 else ident for one, ident in zip(shorts, texts, strict=True)]


def _widest(texts: Iterable[str]) -> int:
    """The widest of ``texts`` in terminal cells (0 for none): their length when every
    character is printable ASCII (one cell each), else as rich measures them."""
    from rich.cells import cell_len

    every = texts if isinstance(texts, list) else list(texts)
    joined = "".join(every)
    if joined.isascii() and joined.isprintable():
        return max(map(len, every), default=0)
    return max(map(cell_len, every), default=0)


def fit(columns: Sequence[Column], cells: list[list[str]], width: int) -> tuple[list[int], dict[int, int]]:
    """Which columns a terminal ``width`` shows, and how wide each is (``cells`` may have
    their ids shortened in place): short ids first, then columns dropped in their order,
    then free text squeezed."""
    texts = [list(column) for column in zip(*cells, strict=True)] if cells else [[] for _c in columns]
    keep, widths = _fit(columns, texts, width)
    for at, column in enumerate(columns):
        if column.kind == ID:
            for row, text in zip(cells, texts[at], strict=True):
                row[at] = text
    return keep, widths


def _fit(
    columns: Sequence[Column], texts: list[list[str]], width: int, plain: set[int] | None = None
) -> tuple[list[int], dict[int, int]]:
    """fit() over the cells a column at a time (``texts[at]``: column ``at``'s cells; ``plain``:
    the columns whose cells are all printable ASCII, a cell a character)."""

    def natural(at: int) -> int:
        if plain and at in plain:
            return max(_widest([columns[at].header]), max(map(len, texts[at]), default=0))
        if columns[at].lines:
            return _widest([columns[at].header, *(ln for text in texts[at] for ln in text.split("\n"))])
        return _widest([columns[at].header, *texts[at]])

    widths = {at: natural(at) for at in range(len(columns))}
    keep = list(range(len(columns)))

    def demand(least: int = _TEXT_MIN) -> int:
        need = (min(widths[a], least) if columns[a].kind == TEXT else widths[a] for a in keep)
        return sum(need) + _GAP * (len(keep) - 1)

    if demand(_TEXT_EASY) > width:
        for at in keep:
            if columns[at].kind == ID:
                texts[at] = _shortened(texts[at])
                widths[at] = natural(at)
    droppable = sorted((a for a in keep if columns[a].drop), key=lambda a: -columns[a].drop)
    while demand() > width and droppable:
        keep.remove(droppable.pop(0))
    free = sorted((a for a in keep if columns[a].kind == TEXT), key=lambda a: widths[a])
    room = width - sum(widths[a] for a in keep if columns[a].kind != TEXT) - _GAP * (len(keep) - 1)
    for count, at in enumerate(free):  # narrowest first: what one does not need, the next gets
        widths[at] = max(1, min(widths[at], room // (len(free) - count)))
        room -= widths[at]
    return keep, {a: widths[a] for a in keep}


def _visible_columns(
    columns: Sequence[Column], rows: Sequence[Sequence[str]]
) -> tuple[list[list[str]], set[int]] | None:
    """The rows' cells a column at a time, made visible, each on one line unless its column
    wraps or keeps its lines, and the columns whose cells are all printable ASCII; None for
    rows that do not have a cell per column. A column's text at once (100,000 rows make
    700,000 cells): one test that nothing in it needs escaping, else one pass of visible(),
    split again at the line breaks that joined it (a flat cell has none of its own)."""
    if not columns or set(map(len, rows)) != {len(columns)}:
        return None
    shown: list[list[str]] = []
    plain: set[int] = set()
    for at, column in enumerate(columns):
        texts = list(map(itemgetter(at), rows))  # not zip(*rows): an iterator a row, for the collector to count
        every = "".join(texts)
        if every.isascii() and every.isprintable():  # no control character, tab or line break
            shown.append(texts)
            plain.add(at)
            continue
        joined = "\n".join(texts)
        if column.wrap or column.lines:
            shown.append([visible(cell) for cell in texts])
        elif "\t" in joined or joined.count("\n") != len(texts) - 1:
            shown.append([_flat(visible(cell)) for cell in texts])
        elif not (joined.isascii() and joined.isprintable()) and _unsafe_pattern().search(joined):
            shown.append(visible(joined).split("\n"))
        else:
            shown.append(texts)
    return shown, plain


def _fitted(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    styles: Sequence[Sequence[str | None]] | None,
    title: str | None,
) -> None:
    out = console()
    visible_columns = _visible_columns(columns, rows)
    if visible_columns is None:  # as rich always had them: each row's cells, as many as it has
        keeps = [c.wrap or c.lines for c in columns]
        cells = [[visible(cell) if keeps[i] else _flat(visible(cell)) for i, cell in enumerate(row)] for row in rows]
        _blank_groups(columns, cells)
        keep, widths = fit(columns, cells, out.width)
        _cut_starts(columns, keep, widths, cells)
        _rich_table(out, columns, cells, styles, title, keep, widths)
        return
    texts, plain = visible_columns
    by_row = [list(row) for row in zip(*texts, strict=True)] if any(c.group for c in columns) else None
    if by_row is not None:
        _blank_groups(columns, by_row)
        texts = [list(column) for column in zip(*by_row, strict=True)]
    keep, widths = _fit(columns, texts, out.width, plain)  # a short id is printable ASCII too
    for at in keep:
        if columns[at].cut_start:
            texts[at] = [_cut_start(text, widths[at]) for text in texts[at]]
            plain.discard(at)  # "…" is not ASCII
    text = _laid_out(out, columns, texts, styles, title, keep, widths, plain)
    if text is None:
        _rich_table(out, columns, [list(row) for row in zip(*texts, strict=True)], styles, title, keep, widths)
        return
    del texts
    from rich.segment import Segment, Segments

    # Through the console (not straight to stdout): a pager's capture, a broken pipe and a
    # quiet console behave as for any other output. The text is final: written as it is.
    out.print(Segments([Segment(text)]), crop=False)


def _blank_groups(columns: Sequence[Column], cells: list[list[str]]) -> None:
    """Blank a group cell that repeats the row above (with every group cell before it)."""
    groups = [i for i, c in enumerate(columns) if c.group]
    previous: list[str] = []
    for row in cells if groups else []:
        key = [row[i] for i in groups]
        same = 0
        while same < len(key) and same < len(previous) and key[same] == previous[same]:
            same += 1
        for i in groups[:same]:
            row[i] = ""
        previous = key


def _cut_starts(columns: Sequence[Column], keep: list[int], widths: dict[int, int], cells: list[list[str]]) -> None:
    for at in keep:
        if columns[at].cut_start:
            for row in cells:
                row[at] = _cut_start(row[at], widths[at])


def _rich_table(
    out: Console,
    columns: Sequence[Column],
    cells: list[list[str]],
    styles: Sequence[Sequence[str | None]] | None,
    title: str | None,
    keep: list[int],
    widths: dict[int, int],
) -> None:
    """The fitted table laid out by rich: for a column that wraps (inc show's timeline) and
    for what _laid_out leaves to it."""
    from rich.table import Table
    from rich.text import Text

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
    for index, row in enumerate(cells):
        row_styles = styles[index] if styles else [None] * len(row)
        grid.add_row(*(Text(row[at], style=row_styles[at] or "") for at in keep))
    out.print(grid)


# -- a fitted table written line by line -----------------------------------------------------
#
# What rich's Table prints for a fitted table when no column wraps, without its layout engine
# (which takes seconds at 10,000 rows): each cell cut with an ellipsis or padded to its width
# exactly as rich's Text does (``overflow="ellipsis"``, measured in cells by rich.cells, a wide
# character never split), two spaces between columns, the header in bold, each cell's style as
# the ANSI codes the console itself renders (so NO_COLOR, a terminal without colour and
# INC_FORCE_TTY in a pipe are as before). tests/cli/test_fast_table.py holds it to rich's
# output byte for byte; what it cannot promise (a wrapping column, a table wider than the
# terminal, a tab or a line break in a header, joiners that make a cell's width depend on its
# neighbour) it leaves to rich by returning None.


def _cell(text: str, width: int) -> str | None:
    """``text`` in exactly ``width`` cells as rich's Text truncates it (pad, or cut to width-1
    cells and "…"); None when rich would measure the result otherwise (a zero-width joiner at
    the end swallows the padding after it)."""
    from rich.cells import cell_len, set_cell_size

    length = cell_len(text)
    if length > width:
        text = set_cell_size(text, width - 1) + "…"
    elif length < width:
        text += " " * (width - length)
    return text if cell_len(text) == width else None


def _cells_fitted(texts: list[str], width: int) -> list[str] | None:
    """Each of ``texts`` as _cell fits it (None if one cannot be)."""
    joined = "".join(texts)
    if joined.isascii() and joined.isprintable():  # a cell a character: slicing is exact
        return [text.ljust(width) if len(text) <= width else text[: width - 1] + "…" for text in texts]
    fitted = []
    for text in texts:
        one = _cell(text, width)
        if one is None:
            return None
        fitted.append(one)
    return fitted


def _painter(out: Console) -> Callable[[str], tuple[str, str] | None]:
    """A style's name to the codes the console writes before and after a styled text ("" and
    "" without colour); None for what only rich may write (a link)."""
    color_system = out._color_system  # what Console._render_buffer renders segments with
    known: dict[str, tuple[str, str] | None] = {}

    def paint(name: str) -> tuple[str, str] | None:
        if name not in known:
            style = out.get_style(name)
            if out.no_color and color_system:
                style = style.without_color
            if style.link:
                known[name] = None
            elif color_system is None or not style:
                known[name] = ("", "")
            else:
                before, _mark, after = style.render("\x00", color_system=color_system).partition("\x00")
                known[name] = (before, after)
        return known[name]

    return paint


def _laid_out(
    out: Console,
    columns: Sequence[Column],
    texts: list[list[str]],
    styles: Sequence[Sequence[str | None]] | None,
    title: str | None,
    keep: list[int],
    widths: dict[int, int],
    plain: set[int],
) -> str | None:
    """The fitted table (``texts[at]``: column ``at``'s cells; ``plain``: the columns of
    printable ASCII) as the text rich's Table would print, or None to leave it to rich."""
    from rich.cells import cell_len

    if not keep or out.legacy_windows or any(columns[at].wrap or widths[at] < 1 for at in keep):
        return None
    table_width = sum(widths[at] for at in keep) + _GAP * (len(keep) - 1)
    if table_width > out.width:  # rich would squeeze the columns itself
        return None
    count = len(texts[0])
    names: dict[int, list[str | None]] = {}  # the styles of the columns that have any
    if styles:
        styles = styles[:count]
        if len(styles) < count or set(map(len, styles)) != {len(columns)}:
            return None
        distinct = dict(zip(map(id, styles), styles, strict=True)).values()  # rows may share one list
        names = {at: list(map(itemgetter(at), styles)) for at in keep if any(row[at] for row in distinct)}
    paint = _painter(out)
    bold = paint("bold")
    if bold is None:
        return None
    gap = " " * _GAP
    header: list[str] = []
    # Each row is one %-format over the columns' values: a column of printable ASCII gives its
    # texts and "%-Ns" pads them (N characters are N cells), between its codes when styled;
    # any other gives its cells ready ("%s").
    formats: list[str] = []
    values: list[list[str]] = []
    spans: list[int] = []  # how many of ``values`` each column takes
    tall: set[int] = set()  # rows with a cell of several lines
    for at in keep:
        column, width = columns[at], widths[at]
        name = visible(column.header)
        head = None if "\n" in name or "\t" in name else _cell(name, width)
        if head is None:
            return None
        header.append(bold[0] + head + bold[1])
        styled = names.get(at)
        codes: dict[str | None, tuple[str, str]] = {}
        for style in set(styled) if styled else [None]:
            code = paint(style or "")
            if code is None:
                return None
            codes[style] = code
        cells = texts[at]
        painted = bool(styled) and any(before or after for before, after in codes.values())
        fitted: list[str] | None
        if at in plain:
            # fit() gives an id or a fixed column the width of its widest cell: only free text is cut
            if column.kind == TEXT and max(map(len, cells), default=0) > width:
                cells = [text if len(text) <= width else text[: width - 1] + "…" for text in cells]
            if painted and styled:
                starts = {style: before for style, (before, _after) in codes.items()}
                ends = {style: after for style, (_before, after) in codes.items()}
                formats.append(f"%s%-{width}s%s")
                values += [list(map(starts.__getitem__, styled)), cells, list(map(ends.__getitem__, styled))]
                spans.append(3)
            else:
                formats.append(f"%-{width}s")
                values.append(cells)
                spans.append(1)
            continue
        if column.lines and any("\n" in text or "\t" in text for text in cells):
            if any("\t" in text for text in cells):
                return None
            tall.update(index for index, text in enumerate(cells) if "\n" in text)
            fitted = []
            for index, text in enumerate(cells):
                before, after = codes[styled[index] if styled else None]
                lines = _cells_fitted(text.split("\n"), width)
                if lines is None:
                    return None
                fitted.append("\n".join(before + line + after for line in lines))
        else:
            fitted = _cells_fitted(cells, width)
            if fitted is None:
                return None
            if painted and styled:
                starts = {style: before for style, (before, _after) in codes.items()}
                ends = {style: after for style, (_before, after) in codes.items()}
                fitted = [starts[style] + text + ends[style] for text, style in zip(fitted, styled, strict=True)]
        formats.append("%s")
        values.append(fitted)
        spans.append(1)
    lines = [(bold[0] + gap + bold[1]).join(header)]
    if title:
        from rich.text import Text

        shown = Text(visible(title)).wrap(out, table_width, justify="left", overflow="fold", tab_size=out.tab_size or 8)
        heading = [line.plain for line in shown]
        if any(cell_len(line) > out.width for line in heading):
            return None
        lines[:0] = heading
    rows = list(map(gap.join(formats).__mod__, zip(*values, strict=True)))
    blanks = [" " * widths[at] for at in keep]
    for index in tall:  # a cell of several lines: the row's other cells are blank below their line
        parts, taken = [], 0
        for piece, span in zip(formats, spans, strict=True):
            parts.append((piece % tuple(column[index] for column in values[taken : taken + span])).split("\n"))
            taken += span
        height = max(map(len, parts))
        rows[index] = "\n".join(
            gap.join(part[line] if line < len(part) else blank for part, blank in zip(parts, blanks, strict=True))
            for line in range(height)
        )
    del values
    lines.extend(rows)
    del rows
    return "\n".join(lines) + "\n"


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
