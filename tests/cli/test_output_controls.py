"""Issue 12 (hardening), item 5: text from alerts and people never drives the terminal.

Control characters and bidi overrides are shown as escapes in every human-readable
output; ``--json`` and the files keep the exact text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from incli import output
from tests.conftest import Run

HOSTILE = "DB down\x1b[2J\x1b[1;1HAll clear\u202eevil\x07\x9b\x7f"
RAW = ("\x1b", "\u202e", "\x07", "\x9b", "\x7f")
SHOWN = "DB down\\x1b[2J\\x1b[1;1HAll clear\\u202eevil\\x07\\x9b\\x7f"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain", "plain"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("\x00\x1b\r\x7f", "\\x00\\x1b\\x0d\\x7f"),
        ("\x80\x9f", "\\x80\\x9f"),
        ("\u202a\u202d\u202e\u2066\u2069", "\\u202a\\u202d\\u202e\\u2066\\u2069"),
        ("é ü ✓", "é ü ✓"),
        ("bad\udc9b", "bad\\x9b"),
    ],
)
def test_visible_escapes_what_drives_a_terminal(text: str, shown: str) -> None:
    assert output.visible(text) == shown


def _clean(text: str) -> None:
    for char in RAW:
        assert char not in text, repr(text)


def test_list_show_status_show_control_characters_visibly(run: Run, repo: Path) -> None:
    opened = run("open", HOSTILE, "-s", "SEV2", "--service", "db\x1b]0;pwned\x07")
    assert opened.code == 0, opened.stderr
    incident = opened.stdout.strip()
    _clean(opened.stdout + opened.stderr)
    note = run("note", incident, "line one\nline\x1b[31m two")
    assert note.code == 0, note.stderr
    _clean(note.stdout + note.stderr)
    for args in (("list",), ("show", incident), ("status",)):
        result = run(*args)
        assert result.code == 0, result.stderr
        _clean(result.stdout + result.stderr)
        assert SHOWN in result.stdout.replace("\n", ""), (args, result.stdout)
    shown = run("show", incident).stdout
    assert "\\x1b[31m two" in shown


def test_json_and_the_file_keep_the_exact_text(run: Run, repo: Path) -> None:
    incident = run("open", HOSTILE, "-s", "SEV2").stdout.strip()
    data = run("show", incident, "--json").json
    assert data["title"] == HOSTILE
    assert [i["title"] for i in run("list", "--json").json] == [HOSTILE]
    from incli.storage import yamlio

    stored = yamlio.load((repo / "incidents" / f"{incident}.yaml").read_bytes())
    assert stored["title"] == HOSTILE


def test_error_and_warning_lines_show_control_characters_visibly(run: Run, repo: Path) -> None:
    result = run("show", "INC-\x1b[2Jnope")
    assert result.code != 0
    _clean(result.stderr)
    assert "\\x1b[2J" in result.stderr
    assert len(result.err_lines) == 1


def test_an_argument_that_is_not_utf8_is_one_error_line(run: Run, repo: Path, snapshot: object) -> None:
    before = sorted(p.name for p in (repo / "incidents").iterdir())
    result = run("open", "bad\udc9b title", "-s", "SEV2")
    assert result.code == 4
    assert result.err_lines == ["inc: error: the argument 'bad\\x9b title' is not valid UTF-8; type it again as text"]
    assert sorted(p.name for p in (repo / "incidents").iterdir()) == before


@pytest.mark.parametrize("tty", ["1", ""], ids=["terminal", "pipe"])
def test_table_and_fields_escape_cells_labels_and_titles(
    tty: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INC_FORCE_TTY", tty)  # fitted tables, or tab-separated text: both escaped
    output.table(["Col\x1b"], [["cell\x1b[2J"]], title="T\u202e")
    output.fields([("Role\x1b", "value\x9b", None)], title="id\x07")
    output.heading("head\x1b")
    output.bar_chart(["label\x1b"], [("h\x1b", [1.0], ["1\x1b"])])
    output.data("data\x1b")
    output.info("info\x1b")
    output.warn("warn\x1b")
    output.error("error\x1b")
    captured = capsys.readouterr()
    _clean(captured.out + captured.err)
    for word in ("Col", "cell", "Role", "value", "id", "head", "label", "h", "1", "data"):
        assert word in captured.out
    assert ("T\\u202e" in captured.out) == bool(tty)  # a pipe gets no title line
    for word in ("info\\x1b", "warn\\x1b", "error\\x1b"):
        assert word in captured.err
    assert json.dumps("\x1b") == '"\\u001b"'  # --json relies on json.dumps escaping
