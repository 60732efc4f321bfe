"""One broken field in a hand-edited postmortem (issue 12, item 13): inc report still writes
the site and names what it left out; inc postmortem render says so in one line."""

from __future__ import annotations

from pathlib import Path

from incli.storage import yamlio
from tests.conftest import Run


def _break(repo: Path, incident_id: str, **fields: object) -> None:
    path = repo / "incidents" / f"{incident_id}.yaml"
    data = yamlio.load(path.read_bytes())
    assert isinstance(data, dict)
    data.update(fields)
    path.write_text(yamlio.dump(data))


def _two(run: Run) -> tuple[str, str]:
    bad = run("open", "Broken postmortem", "-s", "SEV2", "--at", "2025-01-15T14:30:00Z").stdout.strip()
    good = run("open", "Fine one", "-s", "SEV3", "--at", "2025-01-16T14:30:00Z").stdout.strip()
    for ident in (bad, good):
        assert run("resolve", ident, "--at", "2025-01-16T15:00:00Z").code == 0
    assert run("postmortem", "new", good).code == 0
    assert run("postmortem", "add", good, "summary", "All fine here.").code == 0
    return bad, good


def test_report_skips_and_names_a_postmortem_it_cannot_render(repo: Path, run: Run, tmp_path: Path) -> None:
    bad, good = _two(run)
    _break(repo, bad, postmortem={"state": "draft", "authors": 123, "whys": 123})
    out = tmp_path / "site"
    result = run("report", "-o", str(out))
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert bad in result.stderr and "postmortem.authors" in result.stderr
    assert (out / "index.html").is_file()
    pages = {p.name for p in (out / "incidents").glob("*.html")}
    assert pages == {f"{bad}.html", f"{good}.html"}
    assert "All fine here." in (out / "incidents" / f"{good}.html").read_text()


def test_postmortem_render_of_a_broken_postmortem_is_one_error_line(repo: Path, run: Run, snapshot) -> None:  # type: ignore[no-untyped-def]
    bad, _good = _two(run)
    _break(repo, bad, postmortem={"state": "draft", "authors": 123, "whys": 123})
    before = snapshot(repo)
    result = run("postmortem", "render", bad)
    assert result.code != 0
    assert result.err_lines and len(result.err_lines) == 1 and result.err_lines[0].startswith("inc: error: ")
    assert bad in result.stderr and "postmortem.whys" in result.stderr
    assert snapshot(repo) == before


def test_action_items_of_the_wrong_types_do_not_break_reading_commands(repo: Path, run: Run, tmp_path: Path) -> None:
    bad, good = _two(run)
    _break(repo, bad, postmortem={"state": 5, "summary": 123}, actions=[{"id": 1, "title": 2, "status": 3, "due": 4}])
    _break(repo, good, actions=123)
    for args in (("list",), ("metrics",), ("action", "list"), ("show", bad), ("export",)):
        result = run(*args)
        assert result.code == 0 and "Traceback" not in result.stderr, (args, result.stderr)
    result = run("report", "-o", str(tmp_path / "site"))
    assert result.code == 0 and bad in result.stderr, result.stderr
    assert run("postmortem", "render", bad).code != 0
