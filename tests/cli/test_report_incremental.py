"""inc report rebuilds incrementally: an incident's page is reused (hard-linked from the earlier
site) only when nothing it is rendered from changed, and the result is always the site a fresh
build writes."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from incli.storage import yamlio
from tests.conftest import Ran, inc

T0 = datetime(2025, 1, 21, 12, 0, tzinfo=UTC)
Clock = Callable[[datetime], None]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Set the "now" of every in-process ``inc`` (starts at T0)."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr("incli.domain.times.now_utc", lambda: moment)

    set_to(T0)
    return set_to


def edit(repo: Path, incident_id: str, **fields: object) -> None:
    path = repo / "incidents" / f"{incident_id}.yaml"
    data = yamlio.load(path.read_bytes())
    data.update(fields)
    path.write_text(yamlio.dump(data), encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path, clock: Clock) -> tuple[Path, list[str]]:
    """Five resolved incidents (oldest first), one with a postmortem and action items (one due
    on 2025-01-22, the day after T0), and one active incident (the newest)."""
    root = tmp_path / "repo"
    inc("init", str(root))
    ids = []
    for day in range(5):
        at = f"2025-01-{10 + day:02d}T09:00:00Z"
        ident = inc("open", f"Outage {day}", "-s", "SEV2", "--service", "api", "--at", at, root=root).stdout.strip()
        inc("resolve", ident, "--at", f"2025-01-{10 + day:02d}T10:30:00Z", root=root)
        ids.append(ident)
    edit(
        root,
        ids[1],
        postmortem={"state": "draft", "summary": "The pool ran dry.", "root_causes": ["No timeout"]},
        actions=[
            {"id": "ACT-aaaaa", "title": "Alert on the pool", "owner": "alice", "due": "2025-01-22", "status": "open"},
            {"id": "ACT-bbbbb", "title": "Runbook", "owner": "bob", "due": "2025-01-12", "status": "open"},
        ],
    )
    active = inc("open", "Still burning", "-s", "SEV1", "--at", "2025-01-20T08:00:00Z", root=root).stdout.strip()
    ids.append(active)
    return root, ids


def report(repo: Path, out: Path, *extra: str) -> Ran:
    result = inc("report", "-o", str(out), *extra, root=repo)
    assert Path(result.stdout.strip()) == out / "index.html"
    return result


def pages(out: Path) -> dict[str, tuple[int, bytes]]:
    """Each incident page's inode and bytes."""
    return {p.stem: (p.stat().st_ino, p.read_bytes()) for p in (out / "incidents").glob("*.html")}


def site(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def reused(out: Path, before: dict[str, tuple[int, bytes]]) -> set[str]:
    """The pages of ``before`` that are the very same files in ``out`` now (not written again)."""
    now = pages(out)
    return {ident for ident, (inode, _data) in before.items() if ident in now and now[ident][0] == inode}


def same_as_a_fresh_build(repo: Path, out: Path, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    shutil.rmtree(fresh, ignore_errors=True)
    report(repo, fresh)
    assert site(out).keys() - {".incli-report-manifest"} == site(fresh).keys() - {".incli-report-manifest"}
    for name, data in site(fresh).items():
        if name != ".incli-report-manifest":
            assert site(out)[name] == data, name


def test_a_rebuild_after_one_change_writes_that_page_and_the_listings(
    repo: tuple[Path, list[str]], tmp_path: Path
) -> None:
    root, ids = repo
    out = tmp_path / "site"
    first = report(root, out)
    assert "unchanged" not in first.stderr
    before = pages(out)
    index_inode = (out / "index.html").stat().st_ino

    again = report(root, out)
    # Nothing changed: every resolved incident's page is the same file; the active one's is written
    # again (its impact so far grows), and so are the listings.
    assert reused(out, before) == set(ids[:5])
    assert "Wrote 9 pages (5 unchanged from the earlier report) for 6 incidents" in again.stderr
    assert (out / "index.html").stat().st_ino != index_inode

    inc("note", ids[2], "Found the <b>bad</b> deploy", "--at", "2025-01-12T09:30:00Z", root=root)
    before = pages(out)
    report(root, out)
    assert reused(out, before) == {ids[0], ids[1], ids[3], ids[4]}
    assert "Found the &lt;b&gt;bad&lt;/b&gt; deploy" in (out / "incidents" / f"{ids[2]}.html").read_text()
    same_as_a_fresh_build(root, out, tmp_path)

    # A new title shows on the pages of its neighbours in the list ("Newer: ...", "Older: ..."):
    # they are written again, the others are not.
    edit(root, ids[2], title="Outage two, retitled")
    before = pages(out)
    report(root, out)
    assert reused(out, before) == {ids[0], ids[4]}
    assert "Older: Outage two, retitled" in (out / "incidents" / f"{ids[3]}.html").read_text()
    assert "Outage two, retitled" in (out / "index.html").read_text()
    same_as_a_fresh_build(root, out, tmp_path)


def test_a_new_incident_or_one_removed_rewrites_only_its_neighbours(
    repo: tuple[Path, list[str]], tmp_path: Path
) -> None:
    root, ids = repo
    out = tmp_path / "site"
    report(root, out)
    inc("open", "Between", "-s", "SEV3", "--at", "2025-01-12T12:00:00Z", root=root)
    before = pages(out)
    report(root, out)
    assert reused(out, before) == {ids[0], ids[1], ids[4]}  # ids[2] and ids[3] have a new neighbour
    same_as_a_fresh_build(root, out, tmp_path)

    (root / "incidents" / f"{ids[0]}.yaml").unlink()
    before = pages(out)
    report(root, out)
    assert ids[0] not in pages(out)
    assert reused(out, before) == {ids[2], ids[3], ids[4]}  # ids[1] lost its older neighbour
    same_as_a_fresh_build(root, out, tmp_path)


def test_pages_follow_the_clock_exactly(repo: tuple[Path, list[str]], tmp_path: Path, clock: Clock) -> None:
    root, ids = repo
    out = tmp_path / "site"
    report(root, out)
    page = out / "incidents" / f"{ids[1]}.html"
    assert page.read_text().count("<strong>overdue</strong>") == 1  # ACT-bbbbb; ACT-aaaaa is due tomorrow

    clock(T0 + timedelta(hours=3))  # the same day: only the active incident's page changes
    before = pages(out)
    report(root, out)
    assert reused(out, before) == set(ids[:5])
    same_as_a_fresh_build(root, out, tmp_path)

    clock(T0 + timedelta(days=2))  # ACT-aaaaa is overdue now: its incident's page is written again
    before = pages(out)
    report(root, out)
    assert reused(out, before) == {ids[0], ids[2], ids[3], ids[4]}
    assert page.read_text().count("<strong>overdue</strong>") == 2
    same_as_a_fresh_build(root, out, tmp_path)

    clock(T0 + timedelta(days=30))  # both overdue already: nothing more changes
    before = pages(out)
    report(root, out)
    assert reused(out, before) == set(ids[:5])
    same_as_a_fresh_build(root, out, tmp_path)


def _template(root: Path) -> None:
    own = root / "templates" / "report"
    own.mkdir(parents=True, exist_ok=True)
    (own / "_macros.html").write_text(
        (Path(__file__).resolve().parents[2] / "templates" / "report" / "_macros.html").read_text() + "\n"
    )


def _config(root: Path) -> None:
    path = root / "incli.yaml"
    path.write_text(path.read_text() + "# a comment is a change too\n")


def _zone(root: Path) -> None:
    path = root / "incli.yaml"
    path.write_text(path.read_text().replace("\ntimezone:\n", "\ntimezone: Europe/Berlin\n"))


def _local_zone(_root: Path) -> None:
    os.environ["TZ"] = "Asia/Tokyo"  # put back by the autouse fixture
    time.tzset()


def _version(_root: Path) -> None:
    import incli.service.report

    incli.service.report.__version__ = "99.0"  # type: ignore[attr-defined]


@pytest.mark.parametrize("change", [_template, _config, _zone, _local_zone, _version])
def test_what_every_page_is_built_with_rebuilds_every_page(
    repo: tuple[Path, list[str]], tmp_path: Path, change: Callable[[Path], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    import incli.service.report

    monkeypatch.setattr(incli.service.report, "__version__", incli.service.report.__version__)
    root, _ids = repo
    out = tmp_path / "site"
    report(root, out)
    change(root)
    before = pages(out)
    result = report(root, out)
    assert reused(out, before) == set()
    assert "unchanged" not in result.stderr
    same_as_a_fresh_build(root, out, tmp_path)
    again = report(root, out)  # and the next build reuses what this one wrote
    assert "(5 unchanged from the earlier report)" in again.stderr


def _edit_manifest(out: Path) -> None:
    path = out / ".incli-report-manifest"
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"site":"', b'"site":"0', 1))


def _resign_manifest_elsewhere(out: Path) -> None:
    """A manifest signed by another clone (copied along with its site)."""
    path = out / ".incli-report-manifest"
    body = path.read_bytes().rstrip(b"\n").rpartition(b"\n")[0]
    import hashlib
    import hmac

    path.write_bytes(body + b"\n" + hmac.new(b"k" * 32, body, hashlib.sha256).hexdigest().encode() + b"\n")


def _edit_page(out: Path) -> None:
    page = sorted((out / "incidents").glob("*.html"))[0]  # the oldest incident's, resolved
    page.write_text(page.read_text().replace("Outage", "Tampered"))


def _remove_page(out: Path) -> None:
    sorted((out / "incidents").glob("*.html"))[0].unlink()


def _link_page(out: Path) -> None:
    page = sorted((out / "incidents").glob("*.html"))[0]
    (out / "elsewhere.html").write_bytes(page.read_bytes())
    page.unlink()
    page.symlink_to(out / "elsewhere.html")


@pytest.mark.parametrize("tamper", [_edit_manifest, _resign_manifest_elsewhere, _edit_page, _remove_page, _link_page])
def test_an_earlier_site_that_is_not_what_its_manifest_says_is_not_reused(
    repo: tuple[Path, list[str]], tmp_path: Path, tamper: Callable[[Path], None]
) -> None:
    root, _ids = repo
    out = tmp_path / "site"
    report(root, out)
    tamper(out)
    before = pages(out)
    result = report(root, out)
    assert reused(out, before) == set()
    assert "unchanged" not in result.stderr
    assert "Tampered" not in (out / "index.html").read_text()
    same_as_a_fresh_build(root, out, tmp_path)


def test_a_signing_key_incli_did_not_make_is_replaced_and_nothing_it_signed_is_reused(
    repo: tuple[Path, list[str]], tmp_path: Path
) -> None:
    root, ids = repo
    out = tmp_path / "site"
    report(root, out)
    key = root / ".incli" / "report.key"
    assert len(key.read_bytes()) == 32
    key.write_bytes(b"short")  # cut, or copied in from elsewhere
    before = pages(out)
    report(root, out)
    assert reused(out, before) == set()  # the manifest is not trusted without its key
    assert len(key.read_bytes()) == 32 and key.read_bytes() != b"short"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    same_as_a_fresh_build(root, out, tmp_path)
    again = pages(out)
    report(root, out)
    assert reused(out, again) >= set(ids[:5])  # signed with the new key: the resolved ones are reused


def test_an_interrupted_rebuild_leaves_the_earlier_report(
    repo: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, ids = repo
    out = tmp_path / "site"
    report(root, out)
    before = site(out)
    inc("note", ids[3], "Another note", "--at", "2025-01-13T09:40:00Z", root=root)

    from incli.service import report as service

    def interrupted(*_args: object, **_kwargs: object) -> str:
        raise KeyboardInterrupt

    with monkeypatch.context() as patched:
        patched.setattr(service, "_incident_page", interrupted)
        assert inc("report", "-o", str(out), root=root, code=None).code == 130  # as Ctrl-C
    assert site(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo", "site"]  # no half-built folder
    pages_before = pages(out)
    report(root, out)  # the earlier report is still one to build on
    assert reused(out, pages_before) == {ids[0], ids[1], ids[2], ids[4]}
    same_as_a_fresh_build(root, out, tmp_path)


def test_a_template_that_shows_the_build_or_the_whole_list_is_followed(
    repo: tuple[Path, list[str]], tmp_path: Path, clock: Clock
) -> None:
    root, ids = repo
    own = root / "templates" / "report"
    own.mkdir(parents=True)
    (own / "incident.html").write_text(
        "{{ incident.title }} of {{ site.count }}{% if incident.id == '" + ids[0] + "' %} at {{ now }}{% endif %}\n"
    )
    out = tmp_path / "site"
    report(root, out)
    before = pages(out)
    report(root, out)
    # Each page names "now" (in a branch or not: a template that names it follows the clock).
    assert reused(out, before) == set()
    (own / "incident.html").write_text("{{ incident.title }} of {{ site.count }} in {{ site.zone_name }}\n")
    report(root, out)
    before = pages(out)
    clock(T0 + timedelta(minutes=5))
    report(root, out)
    assert reused(out, before) == set(ids[:5])
    inc("open", "One more", "-s", "SEV3", "--at", "2025-01-21T11:00:00Z", root=root)
    before = pages(out)
    report(root, out)
    assert reused(out, before) == set()  # "of 7" now, on every page
    assert (out / "incidents" / f"{ids[0]}.html").read_text() == "Outage 0 of 7 in UTC\n"
    same_as_a_fresh_build(root, out, tmp_path)


def test_a_catalog_change_rewrites_the_pages_of_that_service(repo: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, ids = repo
    edit(root, ids[0], service="payments")
    catalog = root / "catalog.yaml"
    catalog.write_text("services:\n  payments:\n    owners: [alice]\n  api:\n    owners: [bob]\n")
    out = tmp_path / "site"
    report(root, out)
    catalog.write_text("services:\n  payments:\n    owners: [alice, carol]\n  api:\n    owners: [bob]\n")
    before = pages(out)
    report(root, out)
    assert reused(out, before) == set(ids[1:5])
    assert "alice, carol" in (out / "incidents" / f"{ids[0]}.html").read_text()
    same_as_a_fresh_build(root, out, tmp_path)


def test_a_postmortem_left_out_is_named_on_every_build(repo: tuple[Path, list[str]], tmp_path: Path) -> None:
    root, ids = repo
    edit(root, ids[3], postmortem={"state": "draft", "authors": 123})
    out = tmp_path / "site"
    first = report(root, out)
    again = report(root, out)
    for result in (first, again):
        assert ids[3] in result.stderr and "postmortem.authors" in result.stderr
    assert "(5 unchanged from the earlier report)" in again.stderr


def test_a_file_trusted_by_its_stat_key_is_still_seen_to_change(
    repo: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a file has settled, the rebuild takes its digest from the manifest while its stat key is
    unchanged; an edit of the same size, with its time stamp put back, changes the key all the same."""
    monkeypatch.setattr("incli.storage.index.SETTLE_SECONDS", -60.0)  # every file counts as settled
    root, ids = repo
    out = tmp_path / "site"
    report(root, out)
    before = pages(out)
    report(root, out)
    assert reused(out, before) == set(ids[:5])
    path = root / "incidents" / f"{ids[2]}.yaml"
    info = path.stat()
    path.write_bytes(path.read_bytes().replace(b"Outage 2", b"Outage X"))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert path.stat().st_size == info.st_size and path.stat().st_mtime_ns == info.st_mtime_ns
    before = pages(out)
    report(root, out)
    assert reused(out, before) == {ids[0], ids[4]}  # ids[1] and ids[3] show its title
    assert "Outage X" in (out / "incidents" / f"{ids[2]}.html").read_text()
    same_as_a_fresh_build(root, out, tmp_path)


def test_two_processes_write_the_site_one_writes(
    repo: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From PARALLEL_FROM pages on, a second process renders half of them (on a machine with a
    second core): the same pages, the same manifest, the same warnings, the same errors."""
    from incli.service import report as service

    if not service._second_core():
        pytest.skip("one core: the pages are never split")
    root, ids = repo
    edit(root, ids[0], postmortem={"state": "draft", "authors": 123})  # a warning from the child's half
    single = tmp_path / "single"
    monkeypatch.setattr(service, "PARALLEL_FROM", 10**9)
    one = report(root, single)
    monkeypatch.setattr(service, "PARALLEL_FROM", 2)
    out = tmp_path / "site"
    two = report(root, out)
    assert site(out).keys() == site(single).keys()
    for name, data in site(single).items():
        if name != ".incli-report-manifest":
            assert site(out)[name] == data, name
    assert one.stderr.replace(str(single), str(out)) == two.stderr
    assert ids[0] in two.stderr and "postmortem.authors" in two.stderr
    before = pages(out)
    assert "(5 unchanged from the earlier report)" in report(root, out).stderr  # its manifest is whole
    assert reused(out, before) == set(ids[:5])

    own = root / "templates" / "report"
    own.mkdir(parents=True)
    earlier = site(out)
    # A page of the second process's half, one of the first's, and the incident list (a process of its own).
    for name, broken in (("incident.html", ids[0]), ("incident.html", ids[4]), ("index.html", "")):
        (own / name).write_text(
            "{% if incident is not defined or incident.id == '" + broken + "' %}{{ 1 / 0 }}{% endif %}ok\n"
        )
        failed = inc("report", "-o", str(out), root=root, code=None)
        assert failed.code == 4 and "broken template" in failed.stderr and "division by zero" in failed.stderr
        assert f"{name} line 1" in failed.stderr and len(failed.err_lines) == 1
        (own / name).unlink()
        assert site(out) == earlier
        assert sorted(p.name for p in tmp_path.iterdir()) == ["repo", "single", "site"]
