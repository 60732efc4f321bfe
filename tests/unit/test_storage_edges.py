"""Storage edges the sampled mutation run of issue 19 found untested: the index blob's reader
(read backwards from its start, a damaged text), the bounded reader of a file that grows while
read, text PyYAML cannot encode, the state files' layout."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from incli.errors import InvalidInput
from incli.storage import index, statefile, yamlio
from incli.storage.store import BrokenFile, read_incident_file


def _blob(tmp_path: Path, texts: list[bytes]) -> tuple[index._Blob, list[tuple[int, int]]]:
    data = b""
    places = []
    for text in texts:
        places.append((len(data), len(text)))
        data += text + b",\n"
    path = tmp_path / "blob"
    path.write_bytes(data)
    return index._Blob(os.open(path, os.O_RDONLY)), places


def test_the_blob_is_read_forwards_and_backwards_from_its_very_first_byte(tmp_path: Path) -> None:
    texts = [b'  {"id": "INC-1"}', b'  {"id": "INC-2"}', b'  {"id": "INC-3"}']
    blob, places = _blob(tmp_path, texts)
    try:
        assert [blob.raw(p) for p in places] == texts  # inc list: forwards
        # inc export: newest first, from a window that starts at the last text
        far = index._Blob(blob.fd)
        assert [far.raw(p) for p in reversed(places[1:])] == texts[:0:-1]
        assert far.raw(places[0]) == texts[0]
    finally:
        blob.close()
    assert blob.fd == -1
    blob.close()  # twice is harmless: it never closes a descriptor it no longer owns


@pytest.mark.parametrize("order", ["forwards", "backwards", "huge last"])
def test_a_text_longer_than_the_window_is_read_in_any_order(tmp_path: Path, order: str) -> None:
    """An incident's --json text may be larger than the blob's read window (a summary of a few
    megabytes): read after a text further on (inc export walks backwards), it is read whole."""
    huge = b'  {"summary": "' + b"word " * (index.BLOB_WINDOW // 4) + b'"}'
    texts = [b'  {"id": "INC-1"}', huge, b'  {"id": "INC-3"}', b'  {"id": "INC-4"}']
    blob, places = _blob(tmp_path, texts)
    try:
        picks = {"forwards": [0, 1, 2, 3], "backwards": [3, 2, 1, 0], "huge last": [3, 0, 2, 1]}[order]
        assert [blob.raw(places[n]) for n in picks] == [texts[n] for n in picks]
    finally:
        blob.close()


def test_a_snapshot_without_its_blob_says_the_index_was_dropped(tmp_path: Path) -> None:
    dropped: list[bool] = []
    snapshot = index.Snapshot(["a.yaml"], {"json": [(0, 10)]}, [], drop=lambda: dropped.append(True))
    assert snapshot.raw('  {"id": 1}') == b'  {"id": 1}'  # a text kept in the index itself
    with pytest.raises(index.Damaged) as caught:
        snapshot.raw((0, 10))
    assert str(caught.value) == "the index in .incli/ was damaged and is dropped; run the command again"
    assert dropped == [True]


@pytest.mark.parametrize("cut", ["end", "start", "length"])
def test_a_text_the_blob_does_not_hold_is_damaged_never_returned(tmp_path: Path, cut: str) -> None:
    blob, places = _blob(tmp_path, [b'  {"id": "INC-1", "title": "x"}', b'  {"id": "INC-2"}'])
    offset, length = places[0]
    ref = {"end": (offset, length - 3), "start": (offset + 2, length - 2), "length": (places[1][0], 10_000)}[cut]
    try:
        with pytest.raises(index.Damaged):
            blob.raw(ref)
    finally:
        blob.close()


def test_a_file_that_grows_while_read_is_read_whole_or_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "INC-20250101-grows.yaml"
    path.write_bytes(b"x" * 300)
    real = os.fstat

    def stale(fd: int) -> os.stat_result:  # what fstat said before an editor appended 290 bytes
        info = list(real(fd))
        info[6] = 10  # st_size
        return os.stat_result(info)

    monkeypatch.setattr(os, "fstat", stale)
    assert read_incident_file(path, tmp_path, limit=1000) == b"x" * 300
    with pytest.raises(BrokenFile, match="over the limit of 200 bytes; not read"):
        read_incident_file(path, tmp_path, limit=200)


def test_text_that_is_not_unicode_is_one_clear_error() -> None:
    with pytest.raises(InvalidInput) as caught:
        yamlio.dump_with_pyyaml({"title": "db \udcff down"})
    assert str(caught.value) == (
        "text with a character that is not valid Unicode (\\udcff) cannot be saved; "
        "was it typed in a terminal that is not UTF-8?"
    )


def test_a_state_file_is_sorted_indented_json_that_keeps_its_text(tmp_path: Path) -> None:
    path = tmp_path / "remind.json"
    statefile.save(path, {"b": {"sent": ["Zoë"]}, "a": 1})
    assert path.read_text(encoding="utf-8") == '{\n  "a": 1,\n  "b": {\n    "sent": [\n      "Zoë"\n    ]\n  }\n}\n'
    assert statefile.load(path) == {"a": 1, "b": {"sent": ["Zoë"]}}
    path.write_text(json.dumps([1, 2]))
    assert statefile.load(path) == {}  # not an object: forgotten, never a crash


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork here")
def test_a_first_build_on_two_cores_shares_the_work_and_gets_every_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The forked process builds its share and sends it back: this process builds only its own
    (a child that fails would make it build both, right but twice as slow)."""
    monkeypatch.setattr(index, "_workers", lambda: 2)
    monkeypatch.setattr(index, "PARALLEL_FROM", 2)
    built_here: list[str] = []

    def build(path: Path, parts: tuple[str, ...]) -> dict[str, tuple[bool, object]]:
        built_here.append(path.name)  # a list of this process: the child's appends stay in the child
        return {part: (True, (path.name, part, "é" * 3)) for part in parts}

    forked: list[int] = []
    real_fork = os.fork

    def fork() -> int:
        pid = real_fork()
        forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    work = [(f"INC-2025010{n}-aaaa{n}.yaml", ("facts", "json")) for n in range(1, 8)]
    done = index.build_all(tmp_path, work, build)
    assert done == {name: {p: (True, (name, p, "ééé")) for p in parts} for name, parts in work}
    assert sorted(built_here) == sorted(name for name, _parts in work[0::2])
    assert len(forked) == 1
    with pytest.raises(ChildProcessError):  # waited for: no zombie left behind
        os.waitpid(forked[0], os.WNOHANG)


@pytest.mark.parametrize(
    ("cores", "loadavg", "expected"),
    [
        (4, "0.50 0.40 0.30 1/300 12345\n", 4),  # only this process runs: every core is idle
        (4, "2.00 1.00 1.00 3/300 12345\n", 2),  # two others run
        (4, "9.00 9.00 9.00 12/300 12345\n", 1),  # all busy: still this process
        (2, "0.00 0.00 0.00 0/1 1\n", 2),
        (4, "garbled", 2),  # unreadable: the last minute's load, 2.5 -> two others
    ],
)
def test_the_idle_cores_are_the_cores_less_the_other_running_processes(
    monkeypatch: pytest.MonkeyPatch, cores: int, loadavg: str, expected: int
) -> None:
    import io

    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    monkeypatch.setattr(os, "getloadavg", lambda: (2.5, 1.0, 1.0))
    monkeypatch.setattr(index, "open", lambda *_a, **_k: io.StringIO(loadavg), raising=False)
    assert index._workers() == expected


@pytest.mark.parametrize(("counted", "running", "expected"), [(8, 2, 7), (None, 1, 1)])
def test_without_an_affinity_mask_the_cores_are_those_of_the_machine(
    monkeypatch: pytest.MonkeyPatch, counted: int | None, running: int, expected: int
) -> None:
    import io

    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: counted)
    loadavg = f"1.00 1.00 1.00 {running}/300 1\n"  # this process counts among those running
    monkeypatch.setattr(index, "open", lambda *_a, **_k: io.StringIO(loadavg), raising=False)
    assert index._workers() == expected  # unknown: one core


def test_the_check_part_of_the_index_takes_only_its_own_shape() -> None:
    good = ("INC-20250115-txm67", ((3, "severity: no such severity SEV9"), (None, "holds id X")))
    assert index.payload_ok("check", True, good) and index.payload_ok("check", True, (None, ()))
    for bad in (
        good[:1],
        (7, good[1]),
        (good[0], list(good[1])),  # a list where the index writes a tuple
        (good[0], ((3, "x", "y"),)),
        (good[0], (("3", "x"),)),
        (good[0], ((3, b"x"),)),
        (good[0], ([3, "x"],)),
    ):
        assert not index.payload_ok("check", True, bad), bad


def test_a_state_file_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    from incli.errors import StorageError

    folder = tmp_path / "remind.json"
    folder.mkdir()  # where the file should be: a folder
    with pytest.raises(StorageError) as caught:
        statefile.save(folder, {"a": 1})
    assert str(caught.value) == f"cannot write {folder}: Is a directory"


def test_a_file_without_comments_is_rewritten_without_looking_for_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The common write: the old file is exactly what incli writes (a '#' in it is text), so
    no comment is looked for; PyYAML's scanner is never started."""
    from incli.storage import fastdump

    old = fastdump.dump({"title": "Errors in #checkout", "severity": "SEV2"})
    assert old is not None and "#" in old

    def refuse(_text: str) -> list[tuple[int, bool, str]]:
        raise AssertionError("looked for comments in a file incli wrote")

    monkeypatch.setattr(yamlio, "_comments", refuse)
    new = "title: Errors in #checkout\nseverity: SEV1\n"
    assert yamlio.keep_comments(old.encode(), new) == new


def test_an_exact_id_is_found_without_listing_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from incli.storage.repo import init_repository
    from incli.storage.store import Store

    repo, _made = init_repository(tmp_path / "r")
    store = Store(repo)
    (repo.incidents_dir / "INC-20250101-exact.yaml").write_text("schema: 1\n")
    monkeypatch.setattr(Store, "ids", lambda self: pytest.fail("listed every incident for an exact id"))
    assert store.resolve_id("INC-20250101-exact") == "INC-20250101-exact"


def test_a_hidden_copy_or_a_path_is_never_taken_for_an_exact_id(tmp_path: Path) -> None:
    from incli.errors import NotFound
    from incli.storage.repo import init_repository
    from incli.storage.store import Store

    repo, _made = init_repository(tmp_path / "r")
    store = Store(repo)
    (repo.incidents_dir / ".INC-20250101-saved.yaml").write_text("schema: 1\n")  # an editor's copy
    (repo.incidents_dir / "sub").mkdir()
    (repo.incidents_dir / "sub" / "INC-20250101-inner.yaml").write_text("schema: 1\n")
    for query in (".INC-20250101-saved", "sub/INC-20250101-inner"):
        with pytest.raises(NotFound):
            store.resolve_id(query)


def test_a_control_character_in_text_is_named_with_its_line_as_in_bytes() -> None:
    for data in ("a: 1\nb: \x07\n", b"a: 1\nb: \x07\n"):
        with pytest.raises(yamlio.YamlError) as caught:
            yamlio.load(data)
        assert (str(caught.value), caught.value.line) == (
            "not valid YAML: the control character U+0007 is not allowed",
            2,
        )


def test_any_other_yaml_error_is_one_line() -> None:
    import yaml

    yamlio._pyyaml()
    error = yamlio._yaml_error(yaml.YAMLError("something odd\n  in <stream>"), b"")
    assert (str(error), error.line) == ("not valid YAML: something odd in <stream>", None)


def test_a_sealed_write_removes_the_stale_leftovers_of_a_killed_one(tmp_path: Path) -> None:
    from incli.storage import sealed

    state = tmp_path / ".incli"
    state.mkdir()
    path = state / "index-config.marshal"
    stale = state / ".index-config.marshal.4242-abcd.tmp"  # a write killed two hours ago
    fresh = state / f".index-config.marshal.{os.getpid()}-efgh.tmp"  # one of a process still running
    for leftover in (stale, fresh):
        leftover.write_bytes(b"half")
    old = stale.stat().st_mtime - 7200
    os.utime(stale, (old, old))
    sealed.save(path, ("h", 1), {"a": 1})
    assert sealed.load(path, ("h", 1)) == {"a": 1} and sealed.load(path, ("h", 2)) is None
    assert not stale.exists() and fresh.exists()
    assert sorted(p.name for p in state.iterdir()) == sorted([path.name, fresh.name, sealed.KEY_NAME])


def test_the_yaml_loader_and_dumper_are_made_with_incli_s_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """Made once per process (the first command that needs PyYAML): made again here."""
    import yaml

    for name in ("yaml", "Loader", "Dumper", "_PyLoader"):
        monkeypatch.setattr(yamlio, name, None)
    yamlio._pyyaml()
    assert issubclass(yamlio.Loader, getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    assert issubclass(yamlio.Dumper, getattr(yaml, "CSafeDumper", yaml.SafeDumper))
    assert yamlio._PyLoader.yaml_implicit_resolvers == yamlio.Loader.yaml_implicit_resolvers
    assert yamlio.load("on: yes\nn: 0o17\nt: 2025-01-15\nx: ~\n") == {
        "on": "yes",
        "n": "0o17",
        "t": "2025-01-15",
        "x": None,
    }
    assert yamlio.dump_with_pyyaml({"a": None, "b": "yes"}) == "a:\nb: 'yes'\n"
    assert yamlio._line_paths("a:\n  on: 1\n") == {0: (("a",), ("a",)), 1: (("a", "on"), ("a", "on"))}
