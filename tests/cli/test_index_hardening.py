"""The derived index cannot disagree with the files (issue 12, item 6; issue 19): a crafted
entry, an entry of the wrong types, or a same-size edit in place never changes what
list, metrics and export print."""

from __future__ import annotations

import json
import marshal
import os
import time
from pathlib import Path
from typing import Any

import pytest

from incli.storage import index as indexmod
from tests.conftest import Run

# Outputs hold open durations and ages: compared across runs, they must see one "now".
pytestmark = pytest.mark.usefixtures("frozen_clock")

T0 = "2025-01-15T14:30:00+00:00"


@pytest.fixture
def incidents(repo: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.delenv("INC_NO_INDEX", raising=False)
    ids = []
    for n, severity in enumerate(("SEV2", "SEV3", "SEV1"), start=1):
        result = run("open", f"Incident {n}", "-s", severity, "--service", "api", "--at", f"2025-01-0{n}T10:00:00Z")
        assert result.code == 0, result.stderr
        ids.append(result.stdout.strip())
    age(repo)
    return ids


def age(repo: Path) -> None:
    old = time.time() - 3600
    for path in (repo / "incidents").glob("*.yaml"):
        os.utime(path, (old, old))


def settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the index record every file at once (as if its last change was long ago)."""
    monkeypatch.setattr(indexmod, "SETTLE_SECONDS", -3600.0)


def outputs(run: Run) -> tuple[Any, Any, str, str]:
    listed, metrics, export, table = run("list", "--json"), run("metrics", "--json"), run("export"), run("list")
    for result in (listed, metrics, export, table):
        assert result.code == 0, result.stderr
    return listed.json, metrics.json, export.stdout, table.stdout


def truth(run: Run, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, str, str]:
    with monkeypatch.context() as m:
        m.setenv("INC_NO_INDEX", "1")
        return outputs(run)


def files_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the incident files read from now on (by any command run in this process)."""
    from incli.storage import store as storemod

    read: list[str] = []
    real = storemod.read_incident_file

    def counting(path: Path, root: Path, *args: Any, **kwargs: Any) -> bytes:
        read.append(Path(path).name)
        return real(path, root, *args, **kwargs)

    monkeypatch.setattr(storemod, "read_incident_file", counting)
    return read


def index_path(repo: Path, part: str) -> Path:
    return repo / ".incli" / f"index-{part}.marshal"


def entries_of(repo: Path, part: str) -> tuple[Any, dict[str, Any], Any]:
    header, (entries, extra) = marshal.loads(index_path(repo, part).read_bytes()[:-32])
    return header, entries, extra


def test_a_crafted_title_and_severity_for_an_existing_id_are_not_shown(
    repo: Path, run: Run, incidents: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settle(monkeypatch)
    expected = truth(run, monkeypatch)
    assert outputs(run) == expected  # the index is written
    name, other = f"{incidents[0]}.yaml", f"{incidents[1]}.yaml"
    for part in ("facts", "json"):
        header, entries, extra = entries_of(repo, part)
        key, ok, payload = entries[name]
        # the facts with another title and severity; the json pointing at another incident's text
        payload = (payload[0], "Forged title", "SEV4", *payload[3:]) if part == "facts" else entries[other][2]
        entries[name] = (key, ok, payload)
        index_path(repo, part).write_bytes(marshal.dumps((header, (entries, extra))))
    got = outputs(run)
    assert got == expected
    assert "Forged title" not in json.dumps(got)


def test_a_crafted_entry_naming_an_id_with_no_file_is_not_shown(
    repo: Path, run: Run, incidents: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settle(monkeypatch)
    expected = truth(run, monkeypatch)
    outputs(run)
    name = f"{incidents[1]}.yaml"
    for part in ("facts", "json"):
        header, entries, extra = entries_of(repo, part)
        key, ok, payload = entries[name]
        ghost = "INC-20250101-ghost"
        if part == "facts":
            payload = (ghost, *payload[1:])
        entries[name] = (key, ok, payload)
        entries["INC-20250101-ghost.yaml"] = (key, ok, payload)
        blob = marshal.dumps((header, (entries, extra)))
        index_path(repo, part).write_bytes(blob + b"\0" * 32)  # a made-up hash does not help
    got = outputs(run)
    assert got == expected and "ghost" not in json.dumps(got)


def test_the_texts_of_another_clone_or_a_damaged_blob_are_not_shown(
    repo: Path, run: Run, incidents: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The json texts live in a blob beside the index: a blob that is not the one the index
    names (copied from elsewhere), or that lost its end, is never read as the incidents."""
    settle(monkeypatch)
    expected = truth(run, monkeypatch)
    outputs(run)
    (blob,) = (repo / ".incli").glob("index-json-*.blob")
    original = blob.read_bytes()
    blob.write_bytes(b"\x01" * 16 + original[16:])  # another token
    assert outputs(run) == expected
    (blob,) = (repo / ".incli").glob("index-json-*.blob")
    blob.write_bytes(blob.read_bytes()[:-100])  # the last texts cut off
    assert outputs(run) == expected
    (blob,) = (repo / ".incli").glob("index-json-*.blob")
    data = blob.read_bytes()
    blob.write_bytes(data[:16] + b"\0" * (len(data) - 16))  # zeros where texts were (a crash)
    first = run("list", "--json")
    damaged = "inc: error: the index in .incli/ was damaged and is dropped; run the command again\n"
    assert (first.code == 7 and first.stderr == damaged) or json.loads(first.stdout) == expected[0]
    assert "\0" not in first.stdout
    assert outputs(run) == expected  # dropped and read again from the files


def test_an_index_entry_of_the_wrong_shape_is_never_recorded(
    repo: Path, run: Run, incidents: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a part records is checked when it is made: a bug that made the wrong types stops
    the command (a bug report) instead of being printed, or kept for the next command."""
    settle(monkeypatch)
    expected = truth(run, monkeypatch)
    for path in (repo / ".incli").glob("index-*"):
        path.unlink()
    real = indexmod.MAKERS["facts"]
    monkeypatch.setitem(indexmod.MAKERS, "facts", lambda incident: (incident.id, 123, *real(incident)[2:]))
    with pytest.raises(RuntimeError, match="wrong shape for facts"):  # exit 1: a bug to report
        run("list", "--json")
    assert not index_path(repo, "facts").exists()
    monkeypatch.setitem(indexmod.MAKERS, "facts", real)
    assert outputs(run) == expected


def test_a_same_size_edit_in_place_is_seen_even_on_a_coarse_clock(
    repo: Path, run: Run, incidents: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editor that keeps the inode changes SEV2 to SEV3 within the same second."""
    real_scan = indexmod.scan

    def coarse_scan(folder: Path, leftovers: list[str] | None = None) -> dict[str, tuple[int, int, int, int]]:
        second = 1_000_000_000  # a 1-second file system
        found = real_scan(folder, leftovers).items()
        return {n: (m // second * second, c // second * second, s, i) for n, (m, c, s, i) in found}

    monkeypatch.setattr(indexmod, "scan", coarse_scan)
    path = repo / "incidents" / f"{incidents[0]}.yaml"
    name = path.name
    original = path.read_bytes()
    old = time.time() - 3600
    for _attempt in range(5):  # until the edit lands in the same second as the read before it
        path.write_bytes(original)
        time.sleep(1.02 - time.time() % 1)  # the start of a second
        os.utime(path, (old, old))
        recorded = coarse_scan(path.parent)[name]
        assert run("list", "--json").code == 0  # read, and (if settled) recorded
        with open(path, "r+b") as handle:
            handle.seek(original.index(b"severity: SEV2"))
            handle.write(b"severity: SEV3")
        os.utime(path, (old, old))  # and keeps the old modification time
        if coarse_scan(path.parent)[name] == recorded:
            break
    assert coarse_scan(path.parent)[name] == recorded, "could not edit within one second"
    assert path.read_bytes() != original and len(path.read_bytes()) == len(original)
    listed, metrics, export, _table = outputs(run)
    assert {i["id"]: i["severity"] for i in listed}[incidents[0]] == "SEV3"
    assert metrics == truth(run, monkeypatch)[1]
    assert f"{incidents[0]}" in export and export == truth(run, monkeypatch)[2]


def test_the_index_is_still_used_for_unchanged_files(
    repo: Path, run: Run, incidents: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settle(monkeypatch)
    outputs(run)
    parsed: list[Path] = []
    from incli.storage.store import Store

    original = Store._parse_for_index

    def counting(self: Store, path: Path) -> Any:
        parsed.append(path)
        return original(self, path)

    monkeypatch.setattr(Store, "_parse_for_index", counting)
    outputs(run)
    assert parsed == []


COMMANDS = (("list", "--json"), ("metrics", "--json"), ("export",), ("status",), ("validate",))


@pytest.mark.parametrize("lost", ["index-facts.marshal", "index-json.marshal", "*.blob", "index-summary.marshal",
                                  "index-check.marshal", "index.key"])  # fmt: skip
def test_a_lost_index_file_is_rebuilt_once_then_used_and_never_changes_an_answer(
    repo: Path, run: Run, incidents: list[str], monkeypatch: pytest.MonkeyPatch, lost: str
) -> None:
    """Each file of .incli/ may be deleted (by hand, by git clean -x): the next commands answer
    as without an index, rebuild what was lost, and the ones after read no incident file."""
    settle(monkeypatch)
    expected = {args: run(*args) for args in COMMANDS}
    with monkeypatch.context() as m:
        m.setenv("INC_NO_INDEX", "1")
        truth_now = {args: run(*args) for args in COMMANDS}
    for args, result in expected.items():
        assert (result.code, result.stdout) == (truth_now[args].code, truth_now[args].stdout), args
    [path] = (repo / ".incli").glob(lost)
    path.unlink()
    read = files_read(monkeypatch)
    for args in COMMANDS:
        again = run(*args)
        assert (again.code, again.stdout) == (expected[args].code, expected[args].stdout), args
    read.clear()
    for args in COMMANDS:
        again = run(*args)
        assert (again.code, again.stdout) == (expected[args].code, expected[args].stdout), args
    assert read == [], f"read again after {lost} was rebuilt: {read}"


def test_a_status_after_another_file_changed_reads_only_that_file(
    repo: Path, run: Run, incidents: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary is made again from the index and the old summary: the active files it
    already holds are not read for it again (inc status reads them once, to show them)."""
    settle(monkeypatch)
    assert run("resolve", incidents[2], "--at", "2025-01-03T11:00:00Z", "--by", "t").code == 0
    age(repo)
    assert run("status").code == 0 and run("list").code == 0
    resolved = repo / "incidents" / f"{incidents[2]}.yaml"
    edited = resolved.with_name(".edit.tmp")
    edited.write_text(resolved.read_text().replace("title: Incident 3", "title: Incident three"))
    os.replace(edited, resolved)  # as an editor that saves by renaming (the folder changes)
    read = files_read(monkeypatch)
    shown = run("status")
    active = sorted(f"{i}.yaml" for i in incidents[:2])
    assert shown.code == 0 and read[0] == resolved.name and sorted(read[1:]) == active, read  # (status shows these)
    with monkeypatch.context() as m:
        m.setenv("INC_NO_INDEX", "1")
        assert run("status").stdout == shown.stdout


def test_a_dropped_part_of_the_index_is_gone_and_the_others_stay(
    repo: Path, run: Run, incidents: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from incli.storage.repo import load_repository
    from incli.storage.store import Store

    settle(monkeypatch)
    outputs(run)
    assert index_path(repo, "json").exists() and index_path(repo, "facts").exists()
    Store(load_repository(repo))._index().drop("json")
    assert not index_path(repo, "json").exists() and index_path(repo, "facts").exists()


def test_a_read_that_changes_nothing_writes_nothing_in_the_state_folder(
    repo: Path, run: Run, incidents: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settle(monkeypatch)
    outputs(run)
    assert run("status").code == 0 and run("validate").code == 0
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (repo / ".incli").iterdir()}
    outputs(run)
    assert run("status").code == 0 and run("validate").code == 0
    after = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in (repo / ".incli").iterdir()}
    assert after == before


def test_a_blob_found_damaged_while_read_drops_the_json_part(
    repo: Path, run: Run, incidents: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from incli.storage.index import Damaged
    from incli.storage.repo import load_repository
    from incli.storage.store import Store

    settle(monkeypatch)
    outputs(run)
    snapshot = Store(load_repository(repo))._indexed(("facts", "json"))
    (blob,) = (repo / ".incli").glob("index-json-*.blob")
    data = blob.read_bytes()
    blob.write_bytes(data[:16] + b"\0" * (len(data) - 16))  # damaged after the read began
    with pytest.raises(Damaged):
        list(snapshot.texts(snapshot.values["json"]))
    snapshot.close()
    assert not index_path(repo, "json").exists() and index_path(repo, "facts").exists()
    assert outputs(run) == truth(run, monkeypatch)  # read again from the files
