"""The derived index: rebuilt when missing or corrupt, never trusted over the files."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from incli.errors import ExitCode
from incli.service.incidents import Service
from incli.storage import yamlio
from tests.conftest import check_refused, inc

# Outputs hold open durations and ages: compared across runs, they must see one "now".
pytestmark = pytest.mark.usefixtures("frozen_clock")


def age(root: Path, seconds: float = 3600) -> None:
    """Make every incident file look old, so the index records it (fresh files are re-read)."""
    old = time.time() - seconds
    for path in (root / "incidents").glob("*.yaml"):
        os.utime(path, (old, old))


def index_files(root: Path) -> list[Path]:
    """The incident index's files (not the parsed incli.yaml, not the search index)."""
    return sorted(p for p in (root / ".incli").glob("index-*") if p.name not in ("index-config.marshal",))


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.delenv("INC_NO_INDEX", raising=False)
    time.tzset()
    root = tmp_path / "r"
    inc("init", root)
    for day in range(1, 6):
        ident = inc(
            "open",
            f"Incident {day}",
            "-s",
            str(1 + day % 4),
            "--service",
            "api",
            "--at",
            f"2025-01-0{day}T10:00:00+00:00",
            "--by",
            "t",
            root=root,
        ).stdout.strip()
        if day % 2:
            inc("resolve", ident, "--at", f"2025-01-0{day}T11:0{day}:00+00:00", "--by", "t", root=root)
    age(root)
    return root


def outputs(root: Path) -> tuple[str, str, str, str]:
    return (
        inc("list", "--json", root=root).stdout,
        inc("metrics", "--json", root=root).stdout,
        inc("export", root=root).stdout,
        inc("list", root=root).stdout,
    )


def test_same_results_with_and_without_index(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One clock for the three runs: an open incident's duration runs to now, and a minute
    # ticking over between two runs (likely under a slow mutation run) changed the table.
    fixed = datetime(2026, 12, 1, 19, 52, 30, tzinfo=UTC)
    monkeypatch.setattr(Service, "now", lambda self: fixed)
    with_index = outputs(repo)
    names = [p.name for p in index_files(repo)]
    assert len(names) == 4 and names[1].startswith("index-json-") and names[1].endswith(".blob")
    assert [names[0], *names[2:]] == ["index-facts.marshal", "index-json.marshal", "index-summary.marshal"]
    assert outputs(repo) == with_index  # now served from the index
    monkeypatch.setenv("INC_NO_INDEX", "1")
    assert outputs(repo) == with_index
    # the index's JSON text is exactly what json.dumps writes for the incidents
    listed = json.loads(with_index[0])
    assert with_index[0] == json.dumps(listed, indent=2, ensure_ascii=False) + "\n"
    assert [i["title"] for i in listed] == [f"Incident {d}" for d in range(5, 0, -1)]


def test_rebuilt_when_deleted_or_corrupt(repo: Path) -> None:
    expected = outputs(repo)
    for path in index_files(repo):
        path.unlink()
    assert outputs(repo) == expected
    assert len(index_files(repo)) == 4
    for path in index_files(repo):
        path.write_bytes(b"\x00garbage" * 10)
    assert outputs(repo) == expected
    for path in index_files(repo):  # truncated
        path.write_bytes(path.read_bytes()[:-7])
    assert outputs(repo) == expected
    import marshal

    for path in index_files(repo):  # another format version
        if path.suffix == ".marshal":
            header, body = marshal.loads(path.read_bytes()[:-32])
            path.write_bytes(marshal.dumps((("incli-index", 999, *header[2:]), body)))
    assert outputs(repo) == expected


def test_file_edited_behind_its_back_is_read_again(repo: Path) -> None:
    inc("metrics", "--json", root=repo)
    inc("list", "--json", root=repo)
    target = sorted((repo / "incidents").glob("*.yaml"))[0]
    data = yamlio.load(target.read_bytes())
    stat_before = target.stat()
    data["title"] = "Renamed by hand"
    data["service"] = "web"
    target.write_text(yamlio.dump(data))
    # even with the old modification time restored, size/inode/ctime give the edit away
    os.utime(target, ns=(stat_before.st_atime_ns, stat_before.st_mtime_ns))
    titles = [i["title"] for i in json.loads(inc("list", "--json", root=repo).stdout)]
    assert "Renamed by hand" in titles
    groups = json.loads(inc("metrics", "--json", "--by", "service", root=repo).stdout)["groups"]
    assert {g["key"]: g["count"] for g in groups} == {"api": 4, "web": 1}
    # a new file and a deleted file are seen too
    target.unlink()
    assert json.loads(inc("metrics", "--json", root=repo).stdout)["count"] == 4


def test_broken_file_still_warned_about(repo: Path) -> None:
    inc("list", "--json", root=repo)
    broken = repo / "incidents" / "INC-20250101-zzzzz.yaml"
    broken.write_text("id: INC-20250101-zzzzz\ntitle: [unclosed\n")
    age(repo)
    for _ in range(2):  # the second time from the index
        for command in (["list", "--json"], ["metrics", "--json"], ["list"], ["status"]):
            result = inc(*command, root=repo)
            assert "skipped" in result.stderr and "INC-20250101-zzzzz.yaml:3" in result.stderr
        assert json.loads(inc("metrics", "--json", root=repo).stdout)["count"] == 5
    broken.unlink()
    assert "skipped" not in inc("list", "--json", root=repo).stderr


def test_active_and_ack_use_current_files(repo: Path) -> None:
    inc("status", root=repo)  # index written
    active = [i for i in json.loads(inc("list", "--json", "--status", "active", root=repo).stdout)]
    assert len(active) == 2
    inc("resolve", active[0]["id"], "--at", "2025-01-10T00:00:00+00:00", "--by", "t", root=repo)
    # only one active now: ack without an id finds it, whatever the index said before
    result = inc("ack", "--at", "2025-01-10T00:00:00+00:00", "--by", "t", root=repo)
    assert active[1]["id"] in result.stderr


def test_unwritable_state_folder_still_works(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = outputs(repo)
    state = repo / ".incli"
    for path in index_files(repo):
        path.unlink()
    state.chmod(0o500)
    try:
        if os.access(state, os.W_OK):
            pytest.skip("running as a user who can write anyway")
        assert outputs(repo) == expected
        assert index_files(repo) == []
    finally:
        state.chmod(0o700)


def test_index_of_the_wrong_shape_is_not_trusted(repo: Path) -> None:
    import marshal

    expected = outputs(repo)
    facts = repo / ".incli" / "index-facts.marshal"
    header, (entries, extra) = marshal.loads(facts.read_bytes()[:-32])
    entries = {name: (key, ok, ("only", "three", "fields")) for name, (key, ok, _payload) in entries.items()}
    facts.write_bytes(marshal.dumps((header, (entries, extra))))
    assert outputs(repo) == expected


def test_a_write_keeps_the_summary_so_status_never_reads_every_file(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """inc status reads only the summary and the active files; a write (ack, resolve, open)
    brings the summary up to date itself, so the status after it does not read every file's
    facts either, and says exactly what reading every file would."""
    from incli.storage import index as indexmod
    from incli.storage.store import Store

    monkeypatch.setattr(indexmod, "SETTLE_SECONDS", -3600.0)  # record at once (no coarse clock here)
    fixed = datetime(2026, 12, 1, 19, 52, 30, tzinfo=UTC)
    monkeypatch.setattr(Service, "now", lambda self: fixed)
    inc("list", root=repo)  # the index and its summary
    full_reads: list[tuple[str, ...]] = []
    real = Store._indexed

    def counting(self: Store, parts: tuple[str, ...], *args: object, **kwargs: object) -> object:
        full_reads.append(parts)
        return real(self, parts, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "_indexed", counting)
    active = [i["id"] for i in json.loads(inc("list", "--json", "--status", "active", root=repo).stdout)]
    full_reads.clear()

    def status() -> str:
        """inc status, checked against reading every file (whose reads are not counted)."""
        ran = inc("status", root=repo)
        shown = ran.stdout
        counted = list(full_reads)
        with monkeypatch.context() as m:
            m.setenv("INC_NO_INDEX", "1")
            every_file = inc("status", root=repo)
            assert (every_file.stdout, every_file.stderr) == (shown, ran.stderr)
        full_reads[:] = counted
        return shown

    assert active[0] in status() and full_reads == []
    inc("ack", active[0], "--at", "2025-01-10T00:00:00+00:00", "--by", "t", root=repo)
    shown = status()
    assert full_reads == [] and "acknowledged" in shown
    inc("resolve", active[0], "--at", "2025-01-10T01:00:00+00:00", "--by", "t", root=repo)
    shown = status()
    assert full_reads == [] and active[0] not in shown
    opened = inc("open", "Pool exhausted", "-s", "SEV2", "--at", "2025-01-11T00:00:00+00:00", "--by", "t",
                 root=repo).stdout.strip()  # fmt: skip
    assert opened in status() and full_reads == []
    # a change the summary cannot take exactly (a file it never read in full) leaves it to a full read
    resolved = next(p for p in (repo / "incidents").glob("*.yaml") if p.stem not in active and p.stem != opened)
    text = resolved.read_text().replace("status: resolved", "status: mitigated")
    resolved.unlink()  # as git, or an editor that saves by renaming, would
    resolved.write_text(text[: text.index("resolved_at:")] + "resolved_at:\n" + text[text.index("timeline:") :])
    assert resolved.stem in status()
    assert full_reads  # the folder changed behind incli's back: every file's facts were read


def test_a_write_counts_action_items_with_and_without_a_due_date(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An item written by hand without a due date, then one added with a date: the summary
    after the write counts both, as reading every file would."""
    from incli.storage import index as indexmod

    monkeypatch.setattr(indexmod, "SETTLE_SECONDS", -3600.0)
    active = [i["id"] for i in json.loads(inc("list", "--json", "--status", "active", root=repo).stdout)]
    path = repo / "incidents" / f"{active[0]}.yaml"
    edited = path.with_name(".edit.tmp")  # saved by an editor that renames
    edited.write_text(path.read_text() + "actions:\n- id: A1\n  title: Write the runbook\n  owner: t\n")
    os.replace(edited, path)
    assert inc("status", root=repo).code == 0  # the summary, now with the item without a date
    inc("action", "add", active[0], "Alert on saturation", "--owner", "t", "--due", "2025-02-01", root=repo)
    inc("action", "add", active[1], "Page the database team", "--owner", "t", "--due", "2025-02-03", root=repo)
    shown = inc("status", root=repo)
    every_file = inc("status", root=repo, env={"INC_NO_INDEX": "1"})
    # the counts stand beside the table (on stderr in a pipe): as reading every file says
    assert (shown.stdout, shown.stderr) == (every_file.stdout, every_file.stderr)
    assert "Action items: 3 open" in shown.stderr


def test_a_hand_edit_through_inc_edit_keeps_the_summary_true(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import sys

    from incli.storage import index as indexmod

    monkeypatch.setattr(indexmod, "SETTLE_SECONDS", -3600.0)
    active = [i["id"] for i in json.loads(inc("list", "--json", "--status", "active", root=repo).stdout)]
    assert "\tSEV1\t" in inc("status", root=repo).stdout  # the summary, with active[0] as SEV1
    script = tmp_path / "editor.py"
    script.write_text(
        "import re, sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        "p.write_text(re.sub(r'(?m)^severity: SEV1$', 'severity: SEV4', p.read_text()))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    edited = inc("edit", active[0], root=repo, code=None)
    assert edited.code == 0, edited.stderr
    shown = inc("status", root=repo).stdout
    assert shown == inc("status", root=repo, env={"INC_NO_INDEX": "1"}).stdout
    assert next(line for line in shown.splitlines() if active[0] in line).split("\t")[1] == "SEV4"


def test_status_sees_an_active_incident_edited_in_place(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The summary is trusted only with each active file's own stat key: an editor that writes
    in place (same inode, same size) is seen at once."""
    from incli.storage import index as indexmod

    monkeypatch.setattr(indexmod, "SETTLE_SECONDS", -3600.0)
    inc("status", root=repo)
    active = json.loads(inc("status", "--json", root=repo).stdout)[0]
    path = repo / "incidents" / f"{active['id']}.yaml"
    data = path.read_bytes()
    with open(path, "r+b") as handle:  # in place, the same length
        handle.write(data.replace(b"title: Incident", b"title: Incidenz", 1))
    assert json.loads(inc("status", "--json", root=repo).stdout)[0]["title"].startswith("Incidenz")


def test_status_sees_a_resolved_incident_reopened_in_place(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A resolved file edited in place back to mitigated (same inode, same size, so the folder
    itself does not change): inc list reads it again, and inc status then shows it as active."""
    from incli.storage import index as indexmod

    monkeypatch.setattr(indexmod, "SETTLE_SECONDS", -3600.0)
    inc("status", root=repo)
    resolved = [i["id"] for i in json.loads(inc("list", "--json", root=repo).stdout) if i["status"] == "resolved"]
    path = repo / "incidents" / f"{resolved[0]}.yaml"
    data = path.read_bytes()
    assert data.endswith(b"\n")
    with open(path, "r+b") as handle:  # in place, the same length (the last line break dropped)
        handle.write(data.replace(b"status: resolved", b"status: mitigated", 1)[:-1])
        handle.truncate()
    assert os.path.getsize(path) == len(data)
    inc("list", root=repo)
    shown = inc("status", root=repo).stdout
    assert resolved[0] in shown
    assert shown == inc("status", root=repo, env={"INC_NO_INDEX": "1"}).stdout


def test_the_store_names_the_summary_as_the_index_writes_it(repo: Path) -> None:
    from incli.storage import index as indexmod
    from incli.storage import store as storemod

    inc("status", root=repo)
    path = indexmod.Index(lambda: repo / ".incli", repo / "incidents")._path(indexmod.SUMMARY)
    assert path is not None and path.name == storemod.SUMMARY_FILE and path.is_file()


def test_a_first_run_on_two_cores_reads_what_one_core_reads(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A first run shares the parsing with a forked process when a core is idle: the same
    results, broken files included; and a share the other process fails to send back is
    parsed here instead."""
    from incli.storage import index as indexmod

    fixed = datetime(2026, 12, 1, 19, 52, 30, tzinfo=UTC)
    monkeypatch.setattr(Service, "now", lambda self: fixed)
    (repo / "incidents" / "INC-20250101-zzzzz.yaml").write_text("id: INC-20250101-zzzzz\ntitle: [unclosed\n")
    monkeypatch.setenv("INC_NO_INDEX", "1")
    expected = outputs(repo), inc("validate", root=repo, code=None).stdout
    monkeypatch.delenv("INC_NO_INDEX")
    monkeypatch.setattr(indexmod, "PARALLEL_FROM", 1)
    monkeypatch.setattr(indexmod, "_workers", lambda: 2)
    forks: list[int] = []
    real_fork = os.fork

    def counting_fork() -> int:
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(indexmod.os, "fork", counting_fork)
    assert (outputs(repo), inc("validate", root=repo, code=None).stdout) == expected
    assert forks  # the second process did take a share
    for path in index_files(repo):
        path.unlink()
    monkeypatch.setattr(indexmod.marshal, "dumps", lambda value: b"not marshal")  # the child's share is lost
    assert (outputs(repo), inc("validate", root=repo, code=None).stdout) == expected


def test_a_write_during_a_read_never_hides_from_status(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A summary is made from a scan of the folder; an incident opened by another process while
    that scan ran must still show in the next inc status (the summary names the folder as it was
    before the scan, so it is not trusted)."""
    from incli.storage import index as indexmod

    monkeypatch.setattr(indexmod, "SETTLE_SECONDS", -3600.0)
    inc("status", root=repo)
    source = next((repo / "incidents").glob("*.yaml"))
    late = repo / "incidents" / "INC-20250301-late1.yaml"
    real_scan = indexmod.scan

    def scan_then_someone_writes(folder: Path, leftovers: list[str] | None = None) -> dict[str, Any]:
        keys = real_scan(folder, leftovers)
        if not late.exists():  # another process opens an incident right after the scan
            text = source.read_text().replace(source.stem, late.stem).replace("status: resolved", "status: open")
            late.write_text(text.replace("Incident", "Late incident", 1))
        return keys

    monkeypatch.setattr(indexmod, "scan", scan_then_someone_writes)
    (repo / "incidents" / "touch.tmp").write_text("")  # the folder changed: the next read is a full one
    (repo / "incidents" / "touch.tmp").unlink()
    inc("list", root=repo)  # reads every file; its summary must not claim the late incident's folder
    monkeypatch.setattr(indexmod, "scan", real_scan)
    assert "INC-20250301-late1" in inc("status", root=repo).stdout


def test_status_from_the_summary_warns_of_broken_files_as_a_full_read_does(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that cannot be read is named with its line and reason, from the summary as from
    reading every file; an active file broken in place is skipped with its warning and the
    active incidents after it are still shown."""
    from incli.storage import index as indexmod

    monkeypatch.setattr(indexmod, "SETTLE_SECONDS", -3600.0)
    (repo / "incidents" / "INC-20250101-brkn1.yaml").write_text("schema: 1\nid: INC-20250101-brkn1\ntitle: [\n")
    inc("list", root=repo, code=None)  # the index and its summary, with the broken file in it

    def both() -> tuple[str, str]:
        shown = inc("status", root=repo, code=None)
        with monkeypatch.context() as m:
            m.setenv("INC_NO_INDEX", "1")
            full = inc("status", root=repo, code=None)
        assert (shown.stdout, shown.stderr) == (full.stdout, full.stderr)
        return shown.stdout, shown.stderr

    out, err = both()
    assert "warning: skipped" in err and "INC-20250101-brkn1.yaml:4: not valid YAML: did not find expected node" in err
    active = sorted(json.loads(inc("status", "--json", root=repo).stdout), key=lambda i: i["id"])
    assert len(active) == 2 and all(i["id"] in out for i in active)
    first = repo / "incidents" / f"{active[0]['id']}.yaml"
    with open(first, "r+b") as handle:  # broken in place: the same inode
        handle.write(b"schema: 1\nid: [\n")
        handle.truncate()
    out, err = both()
    assert f"{active[0]['id']}.yaml:3: not valid YAML" in err
    assert active[0]["id"] not in out and active[1]["id"] in out


def test_an_id_is_found_only_among_incident_files(repo: Path) -> None:
    """A short id names an incident file: not a temporary file (.NAME.yaml...) nor another file."""
    folder = repo / "incidents"
    real = sorted(p.stem for p in folder.glob("INC-*.yaml"))[0]
    (folder / ".INC-20250101-zzzz1.yaml").write_text("a write in progress")
    (folder / "INC-20250101-zzzz2.yml.txt").write_text("notes")
    assert inc("show", real[-5:], "--json", root=repo).json["id"] == real
    for short in ("zzzz1", "zzzz2"):
        check_refused(inc("show", short, root=repo, code=None), ExitCode.NOT_FOUND, short)


def test_an_incident_folder_that_cannot_be_read_is_one_line(repo: Path) -> None:
    folder = repo / "incidents"
    for path in folder.iterdir():
        path.unlink()
    folder.rmdir()
    folder.write_text("not a folder")
    check_refused(
        inc("show", "abcde", root=repo, code=None), ExitCode.STORAGE, f"cannot read {folder}: Not a directory"
    )


def test_the_json_blob_is_compacted_once_its_dead_texts_outgrow_the_live_ones(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each changed file appends its new text to the blob; the old one is dead. Once the dead
    texts pass both the live ones and the slack, the blob is written anew without them, so an
    incident edited all day does not grow .incli/ without bound."""
    from incli.storage import index as indexmod

    monkeypatch.setattr(indexmod, "BLOB_SLACK", 4000)
    monkeypatch.setattr(indexmod, "SETTLE_SECONDS", -3600.0)  # record at once (no coarse clock here)
    ident = json.loads(inc("list", "--json", root=repo).stdout)[0]["id"]
    sizes = []
    for n in range(40):
        inc("note", ident, f"Checked replica {n}: " + "lag " * 40, "--by", "t", root=repo)
        ran = inc("export", root=repo, code=None)
        assert ran.code == 0, (n, sizes, ran.stderr)
        listed = json.loads(ran.stdout)
        blobs = list((repo / ".incli").glob("index-json-*.blob"))
        assert len(blobs) == 1, blobs
        sizes.append(blobs[0].stat().st_size)
    live = sum(len(json.dumps(row)) for row in listed)
    assert max(sizes) < 3 * (live + 4000), sizes
    assert min(sizes[20:]) < max(sizes[:20]), sizes  # it shrank at least once
    assert [r["id"] for r in listed].count(ident) == 1
    assert listed == json.loads(inc("export", root=repo, env={"INC_NO_INDEX": "1"}).stdout)
    # every live text was carried into the new blob: nothing is read from the files again
    from tests.cli.test_index_hardening import files_read

    read = files_read(monkeypatch)
    assert json.loads(inc("export", root=repo).stdout) == listed and read == []


def test_inc_no_index_reads_every_file_and_writes_no_index(tmp_path: Path) -> None:
    root = tmp_path / "r"
    inc("init", root)
    inc("open", "Pool exhausted", "-s", "SEV2", "--at", "2025-01-15T14:30:00Z", root=root)
    for argv in (["list", "--json"], ["export"], ["validate"], ["status"]):
        inc(*argv, root=root, env={"INC_NO_INDEX": "1"})
    assert index_files(root) == []
    inc("list", "--json", root=root)
    assert index_files(root) != []


def test_the_index_files_are_the_users_alone(repo: Path) -> None:
    """The derived index copies every incident's text: its files are readable and writable by
    the user only (and never executable), like the key that seals them."""
    ident = inc("open", "Checkout errors", "-s", "SEV2", root=repo).stdout.strip()
    inc("note", ident, "pool at 100%", root=repo)
    assert ident in [row["id"] for row in inc("list", "--json", root=repo).json]
    state = repo / ".incli"
    made = sorted(p.name for p in state.iterdir() if p.name.startswith("index") and p.suffix in (".blob", ".marshal"))
    assert any(name.endswith(".blob") for name in made) and "index-facts.marshal" in made, made
    modes = {name: oct((state / name).stat().st_mode & 0o777) for name in made + ["index.key"]}
    assert set(modes.values()) == {"0o600"}, modes
