"""A fitted table is written line by line (output._laid_out), not laid out by rich's Table,
which takes seconds at 10,000 rows. What a person sees must not change: these tests hold the
line-by-line text to what rich prints for the same columns, rows and styles, byte for byte,
with colour and without, at narrow and usual widths, on hostile incident text."""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from rich.console import Console

from incli import output
from tests.conftest import inc

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme"

# Pieces incident text is made of, the hostile ones included: escape sequences and control
# characters (shown as escapes), bidi overrides, tabs and line breaks, wide characters, emoji
# with joiners and variation selectors, combining marks, wide and no-break spaces, a lone
# surrogate, the ellipsis itself, and long runs.
PIECES = [
    "a",
    "Z",
    "9",
    " ",
    "  ",
    "-",
    "/",
    "\t",
    "\n",
    "\r\n",
    "\x1b[2J",
    "\x1b]8;;http://x\x1b\\",
    "\x00",
    "\x07",
    "\x7f",
    "\x9b",
    "\u202e",
    "\u2066",
    "日本",
    "語",
    "😀",
    "👩\u200d💻",
    "\u2764\ufe0f",
    "\u200d",
    "\ufe0f",
    "e\u0301",
    "\u3000",
    "\xa0",
    "…",
    "\udcff",
    "x" * 90,
    "データベース接続プール",
]
TEXT = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.text(max_size=40),
    st.text(alphabet="abcdefghij -", max_size=60),
)
STYLES = st.sampled_from([None, "", "bold", "bold red", "bold white on red", "yellow", "cyan", "dim", "green"])
KINDS = st.sampled_from([output.ID, output.FIXED, output.TEXT])
HEADERS = st.one_of(st.sampled_from(["ID", "Opened", "Sev", "Status", "Title", "日本語", "n", ""]), TEXT)


@st.composite
def tables(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(1, 6))
    columns = [
        output.Column(
            draw(HEADERS),
            kind,
            draw(st.integers(0, 3)),
            group=draw(st.booleans()) if at < 2 else False,
            cut_start=kind == output.TEXT and draw(st.booleans()),
            lines=kind == output.FIXED and draw(st.booleans()),
        )
        for at, kind in enumerate(draw(st.lists(KINDS, min_size=count, max_size=count)))
    ]
    size = draw(st.integers(1, 8))
    rows = draw(st.lists(st.lists(TEXT, min_size=count, max_size=count), min_size=size, max_size=size))
    styles = draw(st.none() | st.lists(st.lists(STYLES, min_size=count, max_size=count), min_size=size, max_size=size))
    return {"columns": columns, "rows": rows, "styles": styles, "title": draw(st.none() | TEXT)}


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., tuple[str, bool]]]:
    """What output.table prints to a console of this width and colour, and whether it was
    written line by line; ``fast=False`` leaves every table to rich."""
    monkeypatch.setenv("INC_FORCE_TTY", "1")
    laid_out = output._laid_out

    def run(table: dict[str, Any], width: int, colour: str | None, no_color: bool, fast: bool) -> tuple[str, bool]:
        screen = io.StringIO()
        out = Console(
            file=screen,
            width=width,
            color_system=colour,  # type: ignore[arg-type]
            force_terminal=colour is not None,
            no_color=no_color,
            highlight=False,
            soft_wrap=False,
        )
        taken: list[bool] = []

        def spy(*args: Any) -> str | None:
            text = laid_out(*args) if fast else None
            taken.append(text is not None)
            return text

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(output, "console", lambda stderr=False: out)
            patch.setattr(output, "_laid_out", spy)
            output.table(table["columns"], table["rows"], styles=table["styles"], title=table["title"])
        return screen.getvalue(), taken == [True]

    yield run


def _fits(table: dict[str, Any], width: int) -> bool:
    """Whether rich keeps the fitted widths (the line-by-line writer's case) and no text holds
    a joiner or a selector (whose width depends on its neighbour)."""
    texts = [c.header for c in table["columns"]] + [cell for row in table["rows"] for cell in row]
    texts += [table["title"] or ""]
    if any("\u200d" in t or "\ufe0f" in t for t in texts):
        return False
    columns: Sequence[output.Column] = table["columns"]
    if any("\t" in cell for row in table["rows"] for cell, c in zip(row, columns, strict=True) if c.lines):
        return False
    if any("\n" in output.visible(c.header) or "\t" in c.header for c in columns):
        return False
    shown = [[output.visible(cell) for cell in row] for row in table["rows"]]
    cells = [[cell if c.lines else output._flat(cell) for cell, c in zip(row, columns, strict=True)] for row in shown]
    output._blank_groups(columns, cells)
    keep, widths = output.fit(columns, cells, width)
    return bool(keep) and min(widths.values()) >= 1 and sum(widths.values()) + 2 * (len(keep) - 1) <= width


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    table=tables(),
    width=st.sampled_from([12, 20, 30, 40, 60, 80, 100, 120, 200]),
    colour=st.sampled_from([None, "standard", "256", "truecolor"]),
    no_color=st.booleans(),
)
def test_a_table_written_line_by_line_is_what_rich_prints(
    printed: Callable[..., tuple[str, bool]], table: dict[str, Any], width: int, colour: str | None, no_color: bool
) -> None:
    fast, taken = printed(table, width, colour, no_color, fast=True)
    slow, _ = printed(table, width, colour, no_color, fast=False)
    note(f"rich:\n{slow}\nline by line:\n{fast}")
    assert fast == slow
    event("line by line" if taken else "left to rich")
    if _fits(table, width):  # the writer is not simply leaving everything to rich
        assert taken


@pytest.mark.parametrize("no_color", [False, True])
@pytest.mark.parametrize("width", [60, 80, 120])
def test_styles_and_cuts_as_rich_prints_them(
    printed: Callable[..., tuple[str, bool]], width: int, no_color: bool
) -> None:
    columns = [
        output.Column("ID", output.ID),
        output.Column("Sev"),
        output.Column("Status"),
        output.Column("Overdue", lines=True),
        output.Column("Title", output.TEXT),
    ]
    rows = [
        ["INC-20250101-aaaaa", "SEV1", "open", "ack 3m late\nupdate 1h 2m late", "データベース接続プールが枯渇 " * 3],
        ["INC-20250102-bbbbb", "SEV4", "resolved", "-", "\x1b[2Jcleared\u202e the screen\ttab"],
    ]
    styles = [[None, "bold white on red", "bold red", "bold red", None], [None, "dim", "green", None, None]]
    table = {"columns": columns, "rows": rows, "styles": styles, "title": "2 active incidents"}
    fast, taken = printed(table, width, "truecolor", no_color, fast=True)
    assert taken and fast == printed(table, width, "truecolor", no_color, fast=False)[0]
    lines = fast.splitlines()
    assert lines[0].startswith("2 active incidents")
    assert "\x1b[1mID" in lines[1]  # the header in bold
    assert ("\x1b[1;37;41mSEV1\x1b[0m" in fast) is not no_color and ("\x1b[1mSEV1\x1b[0m" in fast) is no_color
    assert "\x1b[2J" not in fast and "\\x1b" in fast  # shown as an escape
    assert "…" in fast  # the long title is cut


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fast") / "acme"
    shutil.copytree(EXAMPLES, root)
    return root


LISTINGS = [("list",), ("status",), ("action", "list"), ("postmortem", "list"), ("postmortem", "templates")]
SCREENS = [{}, {"FORCE_COLOR": "1"}, {"FORCE_COLOR": "1", "NO_COLOR": "1"}]


@pytest.mark.parametrize("screen", SCREENS, ids=["plain", "colour", "NO_COLOR"])
@pytest.mark.parametrize("width", [60, 80])
@pytest.mark.parametrize("args", LISTINGS, ids=[" ".join(a) for a in LISTINGS])
def test_incli_listings_are_written_line_by_line_as_rich_printed_them(
    acme: Path, args: tuple[str, ...], width: int, screen: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from incli.service.incidents import Service

    env = {"INC_FORCE_TTY": "1", "COLUMNS": str(width), **screen}
    frozen = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    monkeypatch.setattr(Service, "now", lambda self: frozen)  # both runs at the same moment

    def refused(*_args: Any) -> None:
        raise AssertionError("laid out by rich")

    with monkeypatch.context() as patch:
        patch.setattr(output, "_rich_table", refused)
        fast = inc(*args, root=acme, env=env).stdout
    with monkeypatch.context() as patch:
        patch.setattr(output, "_laid_out", lambda *_args: None)
        slow = inc(*args, root=acme, env=env).stdout
    assert fast == slow
    assert len(fast.splitlines()) > 2 and ("\x1b[1m" in fast) is (screen != {})


# -- the times of inc list -----------------------------------------------------------------------

# Zones with offsets of minutes and seconds (Kathmandu +5:45, Monrovia -0:44:30 before 1972,
# Amsterdam +0:19:32 before 1937), half-hour DST (Lord Howe) and the usual DST changes.
ZONES = ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "Africa/Monrovia", "Europe/Amsterdam"]
ZONES += ["Australia/Lord_Howe", "America/Los_Angeles"]
SECONDS = st.one_of(
    st.floats(-2.5e9, 4.1e9, allow_nan=False),
    st.floats(-6.3e10, 2.6e11),  # years 1 to 9999 and beyond, where a datetime refuses
    st.integers(-2_500_000_000, 4_100_000_000).map(float),
    st.tuples(st.integers(-2_500_000_000, 4_100_000_000), st.sampled_from([0.9999995, 0.9999999, 1e-7, 0.5])).map(
        lambda pair: pair[0] + pair[1]
    ),
)


@settings(max_examples=200, deadline=None)
@given(seconds=st.lists(SECONDS, min_size=1, max_size=20))
def test_local_minute_is_the_local_time_inc_list_showed(seconds: list[float]) -> None:
    import os
    import time
    from datetime import UTC, datetime

    before = os.environ.get("TZ")
    try:
        for zone in ZONES:
            os.environ["TZ"] = zone
            time.tzset()
            for moment in seconds:
                assert _shown(output.local_minute, moment) == _shown(
                    lambda m: output.local(datetime.fromtimestamp(m, UTC)), moment
                ), (zone, moment)
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


def _shown(show: Callable[[float], str], moment: float) -> str:
    """What is shown for ``moment``, or the kind of error raised."""
    try:
        return show(moment)
    except (ValueError, OverflowError, OSError) as exc:
        return type(exc).__name__
