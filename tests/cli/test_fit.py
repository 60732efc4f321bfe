"""Issue 13: every table fits the terminal without splitting an id, a time or a status; in a
pipe it is tab-separated text; listings take --limit and -q; inc show goes through a pager.

A terminal is simulated with INC_FORCE_TTY=1 and COLUMNS=N (CliRunner's stdout is not one)."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incli import output
from tests.conftest import inc, shared

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "acme"
FULL_ID = re.compile(r"(?:INC|ACT)-[0-9a-z-]*")
STATUSES = ("open", "acknowledged", "mitigated", "resolved", "reopened")
SCREENS = [
    ("list",),
    ("status",),
    ("show", "txm67", "--no-pager"),
    ("metrics", "--by", "service", "--chart"),
    ("action", "list"),
    ("postmortem", "list"),
    ("postmortem", "templates"),
    ("remind", "--dry-run"),
]


@pytest.fixture(scope=shared)
def acme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fit") / "acme"
    shutil.copytree(EXAMPLES, root)
    return root


@pytest.fixture(scope=shared)
def incidents(acme: Path) -> list[dict[str, str]]:
    return json.loads(inc("list", "--json", root=acme).stdout)


def at_width(width: int, *args: str, root: Path) -> str:
    return inc(*args, root=root, env={"INC_FORCE_TTY": "1", "COLUMNS": str(width)}).stdout


def whole(word: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


@pytest.mark.parametrize("width", [60, 80, 120, 200])
@pytest.mark.parametrize("args", SCREENS, ids=[" ".join(a) for a in SCREENS])
def test_no_screen_is_wider_than_the_terminal_or_splits_an_id(acme: Path, width: int, args: tuple[str, ...]) -> None:
    shown = at_width(width, *args, root=acme)
    assert shown.strip()
    lines = shown.splitlines()
    assert max(len(line) for line in lines) <= width, "\n" + shown
    for found in FULL_ID.findall(shown):  # any id shown in full is whole: never INC-20250 / 402-5yy8a
        assert re.fullmatch(r"INC-\d{8}-[a-z0-9]{5}|ACT-[a-z0-9]{5}", found), f"{found!r} split in\n{shown}"
    for line in lines:  # no box characters and no value folded onto a second line of its cell
        assert not set("│┃━┏┗") & set(line)
        assert not re.search(r"\b20\d\d-\d?$|^\s+\d{1,2}:\d\d\b", line), line


@pytest.mark.parametrize("width", [60, 80])
def test_list_at_narrow_widths_keeps_each_id_status_and_time_on_its_row(
    acme: Path, incidents: list[dict[str, str]], width: int
) -> None:
    rows = at_width(width, "list", root=acme).splitlines()
    header, body = rows[0], rows[1:]
    assert header.split()[:1] == ["ID"] and len(body) == len(incidents)
    for row, incident in zip(body, incidents, strict=True):  # newest first, one line each
        short = incident["id"].rsplit("-", 1)[1]
        assert row.startswith(short + " ") or row.startswith(incident["id"] + " ")
        assert whole(incident["status"], row) and whole(incident["severity"], row)
        if "Opened" in header:
            assert re.search(r"\b\d{4}-\d\d-\d\d \d\d:\d\d\b", row)
    assert "Opened" in at_width(60, "list", root=acme).splitlines()[0]  # dropped after Service, Duration
    assert "Service" not in rows[0] and "Service" in at_width(120, "list", root=acme).splitlines()[0]
    assert any(row.endswith("…") for row in body)  # a title is cut, with an ellipsis
    wide = at_width(200, "list", root=acme)
    assert all(i["id"] in wide and i["title"] in wide for i in incidents)  # at 200 nothing is cut


def test_a_short_id_shown_finds_the_incident(acme: Path) -> None:
    short = at_width(60, "list", root=acme).splitlines()[1].split()[0]
    assert len(short) == 5
    assert inc("show", short, "--json", root=acme).json["id"].endswith(short)


def test_show_keeps_free_text_whole_and_wraps_it(acme: Path) -> None:
    shown = at_width(60, "show", "txm67", "--no-pager", root=acme)
    words = " ".join(shown.split())
    assert "Checkout is failing for most customers. We are restarting the connection pool." in words
    assert "…" not in shown


def test_metrics_by_group_blanks_repeats_on_a_terminal_and_repeats_them_in_a_pipe(acme: Path) -> None:
    terminal = at_width(80, "metrics", "--by", "service", root=acme).splitlines()
    first = terminal.index(next(line for line in terminal if line.startswith("auth ")))
    assert terminal[first + 1].startswith(" ") and "MTTA" in terminal[first + 1]
    piped = inc("metrics", "--by", "service", root=acme).stdout.splitlines()
    auth = [line.split("\t") for line in piped if line.startswith("auth\t")]
    assert [row[2] for row in auth] == ["MTTD", "MTTA", "MTTM", "MTTR", "MTBF"] and {row[1] for row in auth} == {"1"}


@pytest.mark.parametrize("width", [60, 80, 200])
def test_the_chart_labels_every_month_in_full(acme: Path, width: int) -> None:
    shown = at_width(width, "metrics", "--chart", root=acme)
    chart = shown[shown.index("Per month") :].splitlines()[1:]
    assert chart[0].split()[0] == "Month"
    assert [line.split()[0] for line in chart[1:]] == [
        "2024-10",
        "2024-11",
        "2024-12",
        "2025-01",
        "2025-02",
        "2025-03",
        "2025-04",
    ]
    assert all("█" in line for line in chart[1:4])


# -- in a pipe ---------------------------------------------------------------------------------


def test_a_pipe_gets_a_header_and_tab_separated_rows(acme: Path, incidents: list[dict[str, str]]) -> None:
    lines = inc("list", root=acme).stdout.splitlines()
    assert lines[0] == "ID\tOpened\tSev\tStatus\tService\tDuration\tTitle"
    assert [line.split("\t")[0] for line in lines[1:]] == [i["id"] for i in incidents]  # inc list | cut -f1
    assert all(line.count("\t") == 6 and "  " not in line for line in lines)
    assert all(not set("│┃━─") & set(line) for line in lines)
    assert [line.split("\t")[6] for line in lines[1:]][6] == "Database connection pool exhausted"
    for args in (("action", "list"), ("postmortem", "list"), ("status",), ("postmortem", "templates")):
        piped = inc(*args, root=acme).stdout.splitlines()
        widths = {line.count("\t") for line in piped}
        assert len(widths) == 1 and widths != {0}, args


def test_a_tab_or_line_break_in_a_title_stays_in_its_cell(repo: Path) -> None:
    inc("open", "one\ttwo\nthree", "-s", "SEV2")
    (header, row) = inc("list").stdout.splitlines()
    assert row.count("\t") == header.count("\t") and row.endswith("\tone two three")


def test_quiet_prints_only_full_ids(acme: Path, incidents: list[dict[str, str]]) -> None:
    for env in ({}, {"INC_FORCE_TTY": "1", "COLUMNS": "60"}):
        assert inc("list", "-q", root=acme, env=env).stdout.splitlines() == [i["id"] for i in incidents]
    active = [i["id"] for i in incidents if i["status"] != "resolved"]
    assert inc("list", "--quiet", "--status", "active", root=acme).stdout.splitlines() == active
    assert inc("status", "-q", root=acme).stdout.splitlines() == active
    assert inc("action", "list", "-q", root=acme).stdout.splitlines() == ["ACT-c9uv7", "ACT-6bm62"]
    assert "INC-20250115-txm67" in inc("postmortem", "list", "-q", root=acme).stdout.splitlines()
    assert inc("postmortem", "templates", "-q", root=acme).stdout.splitlines() == ["postmortem", "postmortem", "sre"]


def test_limit_and_its_footer(acme: Path, incidents: list[dict[str, str]], monkeypatch: pytest.MonkeyPatch) -> None:
    total = len(incidents)
    cut = inc("list", "--limit", "3", root=acme)
    assert len(cut.stdout.splitlines()) == 1 + 3
    assert cut.stderr == f"3 of {total} shown; --limit 0 for all\n"  # on stderr: the pipe reads only rows
    assert len(inc("list", "--limit", "2", "--json", root=acme).json) == 2
    monkeypatch.setattr(output, "DEFAULT_LIMIT", 4)  # the default on a terminal (50), made small
    tty = {"INC_FORCE_TTY": "1"}
    shown = inc("list", root=acme, env=tty)
    assert len(shown.stdout.splitlines()) == 1 + 4 and shown.stderr == f"4 of {total} shown; --limit 0 for all\n"
    assert len(inc("list", "--limit", "0", root=acme, env=tty).stdout.splitlines()) == 1 + total
    everything = inc("list", root=acme)  # a pipe and --json are never cut by default
    assert len(everything.stdout.splitlines()) == 1 + total and everything.stderr == ""
    assert len(inc("list", "--json", root=acme, env=tty).json) == total
    assert len(inc("action", "list", "--limit", "1", root=acme).stdout.splitlines()) == 2
    assert "1 of 7 shown" in inc("postmortem", "list", "--limit", "1", root=acme).stderr
    assert inc("list", "--limit", "-1", root=acme, code=2).stderr


def test_listings_sort_newest_first_unless_told(acme: Path) -> None:
    actions = inc("action", "list", "--json", root=acme).json
    assert [a["id"] for a in actions] == ["ACT-c9uv7", "ACT-6bm62"]  # added 2025-01-17 10:30, then 10:00
    due = inc("action", "list", "--sort", "due", "--json", root=acme).json
    assert [a["id"] for a in due] == ["ACT-6bm62", "ACT-c9uv7"]  # due 2025-01-22, then 2025-02-15
    listed = [r["incident"] for r in inc("postmortem", "list", "--json", root=acme).json]
    opened = [i["id"] for i in inc("list", "--json", root=acme).json]
    assert listed == [i for i in opened if i in listed]
    assert inc("action", "list", "--sort", "soon", root=acme, code=4).stderr.startswith("inc: error: unknown order")


# -- the pager ---------------------------------------------------------------------------------

PAGER = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(repr(sys.argv[2:]) + sys.stdin.read())"


def test_show_goes_through_the_pager_on_a_terminal_only(
    acme: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, paged = tmp_path / "pager.py", tmp_path / "paged.txt"
    script.write_text(PAGER)
    pager = f"{sys.executable} {script} {paged} 'two words' ;touch {tmp_path / 'pwned'}"
    inc("show", "txm67", root=acme, env={"PAGER": pager})
    assert not paged.exists()  # not a terminal: never a pager
    monkeypatch.setattr(output, "_tty", lambda: True)
    shown = inc("show", "txm67", root=acme, env={"PAGER": pager})
    assert shown.stdout == ""
    text = paged.read_text()
    assert text.startswith(repr(["two words", ";touch", str(tmp_path / "pwned")]))  # argv, never a shell
    assert "Database connection pool exhausted" in text and "Timeline" in text
    assert not (tmp_path / "pwned").exists()
    paged.unlink()
    assert "Timeline" in inc("show", "txm67", "--no-pager", root=acme, env={"PAGER": pager}).stdout
    assert "Timeline" in inc("show", "txm67", root=acme, env={"PAGER": "cat"}).stdout
    assert not paged.exists()
    missing = inc("show", "txm67", root=acme, env={"PAGER": str(tmp_path / "no-such-pager")})
    assert "Timeline" in missing.stdout and "cannot run the pager" in missing.stderr


# -- the fitting itself ------------------------------------------------------------------------


def test_short_ids_only_where_they_stay_distinct() -> None:
    columns = [output.Column("ID", output.ID), output.Column("Title", output.TEXT)]
    cells = [
        ["INC-20250101-aaaaa", "x" * 40],
        ["INC-20250102-aaaaa", "y"],
        ["INC-20250103-bbbbb", "z"],
        ["INC-20250103-bbbbb", "again"],
    ]
    output.fit(columns, cells, 40)
    assert [row[0] for row in cells] == ["INC-20250101-aaaaa", "INC-20250102-aaaaa", "bbbbb", "bbbbb"]


KINDS = st.sampled_from([output.ID, output.FIXED, output.TEXT])
CELL = st.text(alphabet="abcdefghij-0123456789 ", min_size=0, max_size=30)


@settings(max_examples=150, deadline=None)
@given(
    kinds=st.lists(st.tuples(KINDS, st.integers(0, 3)), min_size=1, max_size=7),
    data=st.data(),
    width=st.integers(40, 200),
)
def test_fit_never_cuts_a_fixed_cell_and_stays_in_the_width(
    kinds: list[tuple[str, int]], data: st.DataObject, width: int
) -> None:
    columns = [output.Column(f"C{i}", kind, drop) for i, (kind, drop) in enumerate(kinds)]
    rows = data.draw(st.lists(st.lists(CELL, min_size=len(columns), max_size=len(columns)), min_size=1, max_size=5))
    cells = [list(row) for row in rows]
    keep, widths = output.fit(columns, cells, width)
    assert [a for a in range(len(columns)) if columns[a].drop == 0] == [a for a in keep if columns[a].drop == 0]
    for at in keep:  # every id and fixed cell has room for all of it
        if columns[at].kind != output.TEXT:
            assert all(len(row[at]) <= widths[at] for row in cells)
            assert len(columns[at].header) <= widths[at]
    fixed = sum(widths[a] for a in keep if columns[a].kind != output.TEXT) + 2 * (len(keep) - 1)
    texts = [a for a in keep if columns[a].kind == output.TEXT]
    if fixed + 12 * len(texts) <= width:  # whenever it can fit, it does
        assert sum(widths.values()) + 2 * (len(keep) - 1) <= width
    dropped = [a for a in range(len(columns)) if a not in keep]
    if dropped:  # least important first: nothing kept may be dropped before what went
        assert min(columns[a].drop for a in dropped) >= max((columns[a].drop for a in keep), default=0)


@pytest.mark.parametrize("tty", ["1", ""], ids=["terminal", "pipe"])
def test_a_cell_of_several_items_keeps_each_whole(
    tty: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INC_FORCE_TTY", tty)
    monkeypatch.setenv("COLUMNS", "60")
    columns = [output.Column("ID", output.ID), output.Column("Overdue", lines=True), output.Column("T", output.TEXT)]
    output.table(columns, [["INC-20250101-aaaaa", "ack 740d 17h late\nupdate 740d 16h 39m late", "x" * 80]])
    shown = capsys.readouterr().out.splitlines()
    if tty:
        assert "ack 740d 17h late" in shown[1] and "update 740d 16h 39m late" in shown[2]
    else:
        assert shown[1] == "INC-20250101-aaaaa\tack 740d 17h late; update 740d 16h 39m late\t" + "x" * 80
