"""A derived index of the incident files, so that reading 100,000 of them is fast.

The files are the truth; the index is a cache of what was read from them, kept
in ``.incli/`` (which git ignores, so it is never committed). For each file it
holds the file's stat key (mtime_ns, ctime_ns, size, inode) and what commands
need of it, in parts read separately:

- ``facts``: the few fields metrics and listings need (domain/metrics.Facts);
- ``json``: the incident's ``inc show --json`` text, ready to print. The texts live in a
  blob file beside the index (``index-json-TOKEN.blob``), appended to and read piece by
  piece, so a listing of 100,000 incidents streams instead of being held in memory, and
  one changed file appends one text instead of rewriting them all;
- ``complete``: what shell completion offers (``complete_row``): id, status, when it was
  declared, title, and each action item's id, status and title;
- ``check``: what ``inc validate`` found in the file (the caller passes the maker, and a
  ``salt`` naming the configuration the findings depend on);
- the ``summary``, written whenever the facts are read in full: the incidents that are not
  resolved (their facts and their whole document, as ``Incident.to_dict`` has it), the action
  items' (status, due) counts, the broken files, and the incident folder's own stat key.
  ``inc status`` (and an id left out when one incident is active) reads only the summary and
  stats the active files, whatever the number of incidents: while the folder's stat key is
  unchanged no file was added, removed or replaced (git, every incli write, and editors that
  save by renaming all change it). A resolved incident edited in place into an active one is
  seen by the next command that reads every file.

Each part is one marshal file written atomically, with a header naming its format
version, the incli and Python versions, the folder (and the salt), followed by a keyed
hash (blake2b, with a random key kept in ``.incli/index.key``) of the whole content, checked
before anything is unmarshalled: an index written by anything but incli (crafted, copied
from another clone, half-written) is rebuilt from the files. What is recorded is checked for
the types its part holds when it is made, so what is read back needs no check.

On every read the folder is scanned and every file whose stat key differs from the one
recorded (new, edited, replaced) is parsed again; entries of deleted files are dropped. A
file changed (mtime or ctime) less than two seconds ago is read but not recorded: its next
change, even in place and of the same size, could keep the same timestamps on a coarse
clock, but not once two seconds have passed. Broken files are recorded as broken, with
their stat key, so they are still reported every time. Many files to parse (a first run)
are parsed on the second core too, when the machine has one to spare.

One process writes the index at a time (``.incli/index.lock``, never waited for: a process
that finds it taken serves what it read without recording it). Readers take no lock: the
part files are replaced whole, and a blob is only appended to (its texts are fsynced before
an index names them) until a compaction writes a new blob under a new token.

Whoever changes what a payload holds (Incident.to_json, domain/metrics.Facts) or what
``inc validate`` finds in a file must bump FORMAT. Set INC_NO_INDEX=1 to read every file
every time (for comparison and debugging).
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from incli import __version__
from incli.domain import jsontext
from incli.domain.model import Incident, action_states, json_safe
from incli.errors import StorageError
from incli.storage import sealed
from incli.storage.atomic import CLOEXEC, READ_ONLY, TEMP_SUFFIX, remove_stale

FORMAT = 8  # 7: the json part's texts in a blob; the summary (patched by writes); the check part
# 8: inc validate checks tasks, links, assumed, private, public_title and source
MAGIC = "incli-index"
LOCK_NAME = "index.lock"
SUFFIX = ".yaml"
SETTLE_SECONDS = 2.0
PARTS = ("facts", "json", "complete", "check")
DOCUMENT = "document"  # not a part: what build adds for an active incident, for the summary
SUMMARY = "summary"
ENV_DISABLE = "INC_NO_INDEX"
TOKEN_SIZE = 16  # a blob starts with its token, which the json part's header names
BLOB_WINDOW = 1 << 20  # bytes read from a blob at once
BLOB_SLACK = 8 << 20  # a blob is compacted when its dead texts pass this and its live ones
PARALLEL_FROM = 400  # files to parse before a second process is worth its start

StatKey = tuple[int, int, int, int]
# (stat key, True, payload) or (stat key, False, (line, reason)) for a broken file
Entry = tuple[StatKey, bool, Any]
# A file's (ok, payload) for each part asked for; a json payload is the text itself
Made = dict[str, tuple[bool, Any]]
Build = Callable[[Path, tuple[str, ...]], Made]


def json_element(incident: Incident) -> str:
    """The incident as inside ``json.dumps([...], indent=2)``: every line indented by two; the
    characters a terminal obeys written as ``\\uXXXX`` (output.json_safe: the same JSON)."""
    return json_safe(jsontext.dumps(incident.to_json(), 2))


def complete_row(incident: Incident) -> tuple[str, str, float, str, tuple[tuple[str, str, str], ...]]:
    """What shell completion needs of an incident: (id, status, opened_at as POSIX seconds,
    title, ((action id, action status, action title), ...))."""
    actions = incident.extra.get("actions")
    items = tuple(
        (str(a.get("id")), str(a.get("status")), str(a.get("title")))
        for a in (actions if isinstance(actions, list) else [])
        if isinstance(a, dict) and a.get("id")
    )
    return (incident.id, incident.status, incident.opened_at.timestamp(), incident.title, items)


def _complete_ok(payload: Any) -> bool:
    if type(payload) is not tuple or len(payload) != 5:
        return False
    ident, status, opened, title, items = payload
    return (
        type(ident) is str
        and type(status) is str
        and type(opened) is float
        and type(title) is str
        and type(items) is tuple
        and all(type(i) is tuple and len(i) == 3 and all(type(v) is str for v in i) for i in items)
    )


def _check_ok(payload: Any) -> bool:
    """(the id the file holds or None, ((line or None, message), ...))."""
    if type(payload) is not tuple or len(payload) != 2:
        return False
    ident, findings = payload
    return (
        (ident is None or type(ident) is str)
        and type(findings) is tuple
        and all(
            type(f) is tuple and len(f) == 2 and (f[0] is None or type(f[0]) is int) and type(f[1]) is str
            for f in findings
        )
    )


# What each part holds of a parsed incident ("check" is made by its caller from the bytes).
def _facts(incident: Incident) -> tuple[Any, ...]:
    from incli.domain.metrics import facts_from_incident  # here: a write that patches the summary needs none

    return facts_from_incident(incident).to_tuple()


MAKERS: dict[str, Callable[[Incident], Any]] = {
    "facts": _facts,
    "json": json_element,
    "complete": complete_row,
}


def payload_ok(part: str, ok: Any, payload: Any) -> bool:
    """Is this what incli records for ``part``: a payload of the part's types, or a broken file's
    (line, reason)? Checked when an entry is made, never when it is read back."""
    if ok is False:
        return (
            type(payload) is tuple
            and len(payload) == 2
            and (payload[0] is None or type(payload[0]) is int)
            and type(payload[1]) is str
        )
    if ok is not True:
        return False
    if part == "facts":
        from incli.domain.metrics import facts_tuple_ok

        return facts_tuple_ok(payload)
    if part == "complete":
        return _complete_ok(payload)
    if part == "check":
        return _check_ok(payload)
    return type(payload) is str


def disabled() -> bool:
    return bool(os.environ.get(ENV_DISABLE))


def scan(folder: Path, leftovers: list[str] | None = None) -> dict[str, StatKey]:
    """Every incident file's name and stat key; the hidden temporary files of writes
    (atomic.TEMP_SUFFIX) are added to ``leftovers`` when it is given."""
    keys: dict[str, StatKey] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if not name.endswith(SUFFIX) or name.startswith("."):
                if leftovers is not None and name.startswith(".") and name.endswith(TEMP_SUFFIX):
                    leftovers.append(name)
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            keys[name] = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
    return keys


def stat_key(path: Path) -> StatKey | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


def changed_at(key: StatKey) -> int:
    """When the file last changed, in ns: its content (mtime) or its inode (ctime), the later."""
    return max(key[0], key[1])


class Damaged(StorageError):
    """The blob does not hold what the index says: the index is dropped and read again."""

    def __init__(self) -> None:
        super().__init__("the index in .incli/ was damaged and is dropped; run the command again")


# The blob's flags: appended to under the index lock (its writer seeks to the end anyway), or
# made new under a random name (nothing to truncate); module-level, which mutmut leaves alone.
_APPEND_FLAGS = os.O_WRONLY | os.O_APPEND | CLOEXEC
_NEW_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | CLOEXEC


class _Blob:
    """An open blob of json texts, read by (offset, length) through a window of BLOB_WINDOW bytes."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._start = 0  # pragma: no mutate (an empty window holds nothing, wherever it starts)
        self._window = b""
        self._last = 0

    def raw(self, ref: tuple[int, int]) -> bytes:
        offset, length = ref
        end = offset + length
        if not (self._start <= offset and end <= self._start + len(self._window)):
            # Ahead of the text when walking forwards (inc list), behind it when backwards (export).
            # Behind it: the window ends with the text, or starts with it when it is longer.
            behind = min(offset, max(0, end - BLOB_WINDOW))
            # (either start is speed only: the window read from it holds the whole text)
            start = offset if offset >= self._last else behind  # pragma: no mutate
            self._window = os.pread(self.fd, max(BLOB_WINDOW, end - start), start)
            self._start = start
        self._last = offset
        data = self._window[offset - self._start : end - self._start]
        if len(data) != length or not data.startswith(b"  {") or not data.endswith(b"}"):
            raise Damaged
        return data

    def close(self) -> None:
        if self.fd >= 0:  # pragma: no mutate (-1 is closed; a 0 left open till exit shows nowhere)
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1

    def __del__(self) -> None:
        self.close()


@dataclass
class Snapshot:
    """What one read found: every file's name (sorted), per part a payload per name (None for
    a broken file), and the broken files (path, line, reason)."""

    names: list[str]
    values: dict[str, list[Any]]
    broken: list[tuple[Path, int | None, str]]
    blob: _Blob | None = None
    drop: Callable[[], None] = field(default=lambda: None)

    def raw(self, payload: Any) -> bytes:
        """The json text of a payload (the text itself, or its place in the blob), UTF-8."""
        if type(payload) is str:
            return payload.encode()
        try:
            if self.blob is None:
                raise Damaged
            return self.blob.raw(payload)
        except (Damaged, OSError):
            self.drop()
            raise Damaged from None

    def texts(self, payloads: Iterable[Any]) -> Iterator[str]:
        """The json texts of these payloads, one at a time."""
        for payload in payloads:
            yield payload if type(payload) is str else self.raw(payload).decode()

    def close(self) -> None:
        if self.blob is not None:
            self.blob.close()


class Summary(NamedTuple):
    """What ``inc status`` needs without reading every file (see the module docstring)."""

    # name -> (stat key, facts or None when a write recorded it, document)
    active: dict[str, tuple[StatKey, tuple[Any, ...] | None, dict[str, Any]]]
    actions: tuple[tuple[tuple[str, str | None], int], ...]  # ((status, due), how many)
    broken: tuple[tuple[str, int | None, str], ...]  # (name, line, reason)


# A file's document (Incident.to_dict), for the summary's active incidents; None when unreadable
Document = Callable[[str], "dict[str, Any] | None"]


def make_summary(
    names: list[str],
    keys: dict[str, StatKey],
    facts: list[Any],
    broken: list[tuple[Path, int | None, str]],
    document: Document,
    old: Summary | None,
) -> Summary:
    """The summary of a full read; the documents of active files come from ``old`` while their
    stat key is the same, else from ``document``."""
    active: dict[str, tuple[StatKey, tuple[Any, ...] | None, dict[str, Any]]] = {}
    counts: Counter[tuple[str, str | None]] = Counter()
    for name, values in zip(names, facts, strict=True):  # pragma: no mutate (lengths equal)
        if values is None:
            continue
        if values[3] != "resolved":  # Facts.status: the one rule is Incident.active
            known = old.active.get(name) if old is not None else None
            doc = known[2] if known is not None and known[0] == keys[name] else document(name)
            if doc is not None:
                active[name] = (keys[name], values, doc)
        counts.update(values[10])  # Facts.actions
    return Summary(
        active=active,
        actions=tuple(sorted(counts.items(), key=lambda item: (item[0][0], item[0][1] or ""))),
        broken=tuple((path.name, line, reason) for path, line, reason in broken),
    )


def _workers() -> int:
    """How many processes may parse at once: the cores this process may use that are idle now
    (the processes running this instant, from /proc/loadavg; else the last minute's load)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:  # pragma: no mutate (codec names ignore case)
            others = int(handle.read().split()[3].split("/")[0]) - 1  # this process is running too
    except (OSError, ValueError, IndexError):
        try:
            others = int(os.getloadavg()[0])
        except OSError:
            others = 0
    return max(1, min(cores, cores - max(0, others)))


def build_all(folder: Path, work: list[tuple[str, tuple[str, ...]]], build: Build) -> dict[str, Made]:
    """``build`` for each (name, parts), on the idle cores: a forked process takes a share and
    sends it back marshalled; when it fails, this process does its share itself."""
    workers = 1
    # (how many processes is speed only: any number builds the same, tests/unit/test_storage_edges.py)
    if len(work) >= PARALLEL_FROM and hasattr(os, "fork"):  # pragma: no mutate
        workers = _workers()
    if workers <= 1:  # pragma: no mutate (with one worker the loop below forks nothing either)
        return {name: build(folder / name, parts) for name, parts in work}
    shares = [work[i::workers] for i in range(workers)]
    children: list[tuple[int, int, list[tuple[str, tuple[str, ...]]]]] = []
    done: dict[str, Made] = {}
    result: Any
    try:
        for share in shares[1:]:
            read_end, write_end = os.pipe()
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child's lines run in another process
                status = 1
                try:
                    os.close(read_end)
                    result = {name: build(folder / name, parts) for name, parts in share}
                    blob = marshal.dumps(result)
                    with os.fdopen(write_end, "wb") as out:
                        out.write(blob)
                    status = 0
                finally:
                    os._exit(status)
            os.close(write_end)
            children.append((pid, read_end, share))
        done.update({name: build(folder / name, parts) for name, parts in shares[0]})
        while children:
            pid, read_end, share = children.pop(0)
            try:
                with os.fdopen(read_end, "rb") as incoming:
                    blob = incoming.read()
            finally:
                _pid, status = os.waitpid(pid, 0)
            result = None
            if status == 0:
                with contextlib.suppress(Exception):
                    result = marshal.loads(blob)
            if type(result) is not dict or len(result) != len(share):  # the child failed: do its share here
                result = {name: build(folder / name, parts) for name, parts in share}
            done.update(result)
    finally:
        for pid, read_end, _share in children:
            with contextlib.suppress(OSError):
                os.kill(pid, 9)
            with contextlib.suppress(OSError):
                os.close(read_end)
            with contextlib.suppress(OSError):
                os.waitpid(pid, 0)
    return done


def _write_all(fd: int, chunks: list[bytes]) -> None:
    """Write the chunks, all of them, as one."""
    view = memoryview(b"".join(chunks))
    while view:
        view = view[os.write(fd, view) :]


def _summary_shaped(body: Any) -> bool:
    """Has a stored summary the shape _write_summary gives it: (folder's stat key, active,
    actions, broken)? An index written by another version may hold anything."""
    return type(body) is tuple and len(body) == 4


class Index:
    """The index of one repository's incident folder."""

    def __init__(self, state_dir: Callable[[], Path], folder: Path, salts: dict[str, str] | None = None) -> None:
        self._state_dir = state_dir
        self.folder = folder
        self._salts = salts or {}
        self._scanned_folder: StatKey | None = None  # pragma: no mutate (each read sets it first)

    # -- the files -------------------------------------------------------

    def _state(self) -> Path | None:
        try:
            return self._state_dir()
        except Exception:  # noqa: BLE001 - the state folder cannot be made: work without an index
            return None

    def _path(self, part: str) -> Path | None:
        state = self._state()
        return None if state is None else state / f"index-{part}.marshal"

    def drop(self, part: str) -> None:
        """Forget one part (it is rebuilt from the files on the next read)."""
        path = self._path(part)
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    def _header(self, part: str) -> tuple[Any, ...]:
        return (MAGIC, FORMAT, __version__, tuple(sys.version_info[:2]), part, str(self.folder), self._salts.get(part))

    def _load(self, part: str) -> Any:
        """The body recorded for ``part`` (after its header), or None when there is none to trust."""
        path = self._path(part)
        return None if path is None else sealed.load(path, self._header(part))

    def _save(self, part: str, body: Any) -> None:
        path = self._path(part)
        if path is not None:
            sealed.save(path, self._header(part), body)

    @contextlib.contextmanager
    def _writer(self) -> Iterator[bool]:
        """Whether this process may write the index now (never waits for another writer)."""
        import fcntl

        state = self._state()
        fd = -1
        try:
            if state is not None:
                fd = os.open(state / LOCK_NAME, os.O_RDWR | os.O_CREAT | CLOEXEC, 0o600)
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            if fd >= 0:
                os.close(fd)
            yield False
            return
        try:
            yield fd >= 0
        finally:
            if fd >= 0:
                os.close(fd)

    def _read_part(self, part: str) -> tuple[dict[str, Entry], Any]:
        """The entries recorded for ``part`` and, for json, the token of its blob."""
        body = self._load(part)
        if type(body) is not tuple or len(body) != 2 or type(body[0]) is not dict:
            return {}, None
        return body[0], body[1]

    def _blob_path(self, token: bytes) -> Path | None:
        state = self._state()
        return None if state is None else state / f"index-json-{token.hex()}.blob"

    def _open_blob(self, token: Any, entries: dict[str, Entry]) -> _Blob | None:
        """The blob the json part names, checked to start with its token and to hold every text."""
        if type(token) is not bytes or len(token) != TOKEN_SIZE:
            return None
        path = self._blob_path(token)
        if path is None:
            return None
        try:
            fd = os.open(path, READ_ONLY)
        except OSError:
            return None
        try:
            size = os.fstat(fd).st_size
            ends = (e[2][0] + e[2][1] for e in entries.values() if e[1])
            if os.pread(fd, TOKEN_SIZE, 0) == token and max(ends, default=0) <= size:
                return _Blob(fd)
        except OSError:
            pass
        os.close(fd)
        return None

    # -- reading ---------------------------------------------------------

    def read(self, parts: tuple[str, ...], build: Build, document: Document | None = None) -> Snapshot:
        """For each part, the payload of every file in name order (None for a broken one); and
        the broken files. ``build`` reads one file and makes the parts asked for; ``document``
        one file's document for the summary (written when ``facts`` are read and it is given).
        What killed writes left in the folder goes once its process is gone (the scan sees it:
        a write itself never lists the folder, whatever its size).

        Python's cycle collector is paused meanwhile: what is read here is hundreds of thousands
        of tuples without a cycle among them, which it would otherwise walk again and again."""
        import gc

        paused = gc.isenabled()
        gc.disable()
        try:
            return self._read(parts, build, document)
        finally:
            if paused:
                gc.enable()

    def _read(self, parts: tuple[str, ...], build: Build, document: Document | None) -> Snapshot:
        leftovers: list[str] = []
        # The folder as it was before the scan: a summary made from this read is true of it (a
        # write during the scan changes the folder after, so that summary is never trusted).
        self._scanned_folder = self._folder_key()
        keys = scan(self.folder, leftovers)
        if leftovers:
            remove_stale(self.folder)
        use_index = not disabled()
        old: dict[str, dict[str, Entry]] = {}
        blob: _Blob | None = None
        token: Any = None
        for part in parts:
            old[part], extra = self._read_part(part) if use_index else ({}, None)
            if part == "json" and old[part]:
                token = extra
                blob = self._open_blob(token, old[part])
                if blob is None:
                    old[part] = {}
        try:
            snapshot = self._merge(keys, parts, old, build, use_index, token, document)
        except BaseException:
            if blob is not None:
                blob.close()
            raise
        if "json" in parts:
            snapshot.blob = snapshot.blob or blob
            if snapshot.blob is not blob and blob is not None:
                blob.close()
        return snapshot

    def _merge(
        self,
        keys: dict[str, StatKey],
        parts: tuple[str, ...],
        old: dict[str, dict[str, Entry]],
        build: Build,
        use_index: bool,
        token: Any,
        document: Document | None,
    ) -> Snapshot:
        names = sorted(keys)
        # Which files must be read again: new ones, and any whose stat key changed (the common
        # case, nothing, found by comparing whole dicts).
        stale: dict[str, list[str]] = {}
        for part in parts:
            recorded = old[part]
            if {name: entry[0] for name, entry in recorded.items()} == keys:
                continue
            for name in names:
                entry = recorded.get(name)
                if entry is None or entry[0] != keys[name]:
                    stale.setdefault(name, []).append(part)
        made = build_all(self.folder, [(name, tuple(wanted)) for name, wanted in stale.items()], build)
        fresh: dict[str, dict[str, Entry]] = {part: {} for part in parts}
        for name, results in made.items():
            for part, (ok, payload) in results.items():
                if part in fresh:
                    fresh[part][name] = (keys[name], ok, payload)
        values: dict[str, list[Any]] = {}
        broken: list[tuple[Path, int | None, str]] = []
        for index, part in enumerate(parts):
            recorded, new = old[part], fresh[part]
            if not new and all(entry[1] for entry in recorded.values()):  # nothing read again, nothing broken
                values[part] = [recorded[name][2] for name in names]
                continue
            row: list[Any] = []
            for name in names:
                entry = new.get(name) or recorded[name]
                if entry[1]:
                    row.append(entry[2])
                else:
                    row.append(None)
                    if index == 0:
                        line, reason = entry[2]
                        broken.append((self.folder / name, line, reason))
            values[part] = row
        snapshot = Snapshot(names, values, broken, drop=lambda: self.drop("json"))
        if not use_index:
            return snapshot
        settled_before = (time.time() - SETTLE_SECONDS) * 1e9
        with self._writer() as may_write:
            if not may_write:
                return snapshot
            for part in parts:
                recorded, new = old[part], fresh[part]
                if not new and len(recorded) == len(keys):
                    continue  # nothing changed for this part
                entries = {
                    name: entry
                    for name in names
                    if changed_at((entry := new.get(name) or recorded[name])[0]) < settled_before
                }
                if part == "json":
                    written = self._write_json(entries, new, token)
                    if written is not None:
                        # A compaction moved every text: the places read before it are gone.
                        snapshot.blob, placed = written
                        values["json"] = [
                            entry[2] if (entry := placed.get(name)) is not None and entry[1] else value
                            for name, value in zip(names, values["json"], strict=True)  # pragma: no mutate
                        ]
                else:
                    self._save(part, (entries, None))
            if "facts" in parts and document is not None:
                body = self._load(SUMMARY)
                changed = bool(fresh["facts"]) or len(old["facts"]) != len(keys)
                if changed or not _summary_shaped(body) or body[0] != self._scanned_folder:
                    old_summary = self._read_summary(body)
                    # The documents of active files just parsed came with them (DOCUMENT).
                    documents = {n: r[DOCUMENT][1] for n, r in made.items() if DOCUMENT in r}

                    def known(name: str) -> dict[str, Any] | None:
                        return documents.get(name) or document(name)

                    summary = make_summary(names, keys, values["facts"], broken, known, old_summary)
                    self._write_summary(summary, body)
        return snapshot

    def _write_json(
        self, entries: dict[str, Entry], new: dict[str, Entry], token: Any
    ) -> tuple[_Blob, dict[str, Entry]] | None:
        """Record the json part: the new texts appended to the blob (or every live text written
        to a new blob when the dead ones have piled up), fsynced before the index names them.
        The blob and the entries as recorded (their places in it), or None when nothing was."""
        path = self._blob_path(token) if type(token) is bytes else None
        try:
            size = os.path.getsize(path) if path is not None else 0
        except OSError:
            size, path = 0, None
        # (characters for the texts not written yet: enough to tell whether the dead ones piled up)
        live = sum(e[2][1] if type(e[2]) is tuple else len(e[2]) for e in entries.values() if e[1])
        append = path is not None and size - live <= max(live, BLOB_SLACK)
        writing = {n: e for n, e in entries.items() if e[1] and (not append or type(e[2]) is str)}
        state = self._state()
        if state is None or sealed.key(state, create=True) is None:
            return None
        places: dict[str, tuple[int, int]] = {}
        try:
            if append and path is not None:
                fd = os.open(path, _APPEND_FLAGS)
                batch: list[bytes] = []
            else:
                token = os.urandom(TOKEN_SIZE)
                path = self._blob_path(token)
                assert path is not None
                fd = os.open(path, _NEW_FLAGS, 0o600)
                batch = [token]
            try:
                # The writer holds the index lock: nobody else appends, so each text lands where
                # it is counted (checked against the size at the end).
                offset = os.lseek(fd, 0, os.SEEK_END) + sum(len(b) for b in batch)
                pending = 0
                old_blob = None if append else self._old_blob_reader()
                # Newest first, the order inc list shows, so it reads forwards; any order reads the same.
                for name in sorted(writing, reverse=True):  # pragma: no mutate
                    payload = writing[name][2]
                    data = payload.encode() if type(payload) is str else None
                    if data is None:
                        if old_blob is None:
                            continue
                        data = old_blob.raw(payload)
                    places[name] = (offset, len(data))
                    batch.append(data)
                    offset += len(data)
                    pending += len(data)
                    if pending >= BLOB_WINDOW:  # a megabyte at a time, never the whole blob in memory
                        _write_all(fd, batch)
                        batch, pending = [], 0
                if old_blob is not None:
                    old_blob.close()
                _write_all(fd, batch)
                if os.fstat(fd).st_size != offset:
                    raise OSError("the blob is not the size its texts add up to")
                os.fsync(fd)
            finally:
                os.close(fd)
        except (OSError, Damaged):
            return None
        recorded: dict[str, Entry] = {}
        for name, (key, ok, payload) in entries.items():
            if name in places:
                offset, length = places[name]
                recorded[name] = (key, ok, (offset, length))
            elif not ok or (append and type(payload) is tuple):  # a place in a blob that is kept
                recorded[name] = (key, ok, payload)
        self._save("json", (recorded, token))
        if not append:
            self._remove_blobs(keep=token)
        blob = self._open_blob(token, recorded)
        return None if blob is None else (blob, recorded)

    def _old_blob_reader(self) -> _Blob | None:
        """The blob the current json part names (for copying its live texts into a new one)."""
        recorded, token = self._read_part("json")
        return self._open_blob(token, recorded) if recorded else None

    def _remove_blobs(self, keep: bytes) -> None:
        state = self._state()
        if state is None:
            return
        kept = f"index-json-{keep.hex()}.blob"
        with contextlib.suppress(OSError), os.scandir(state) as found:
            for entry in found:
                if entry.name.startswith("index-json-") and entry.name.endswith(".blob") and entry.name != kept:
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)

    # -- the summary -----------------------------------------------------

    def _folder_key(self) -> StatKey | None:
        return stat_key(self.folder)

    def _write_summary(self, summary: Summary, old: Any) -> None:
        key = self._scanned_folder
        # A folder changed within SETTLE_SECONDS could change again within its clock's tick.
        if key is None or changed_at(key) >= (time.time() - SETTLE_SECONDS) * 1e9:
            key = None
        body = (key, summary.active, summary.actions, summary.broken)
        if old != body:
            self._save(SUMMARY, body)

    def patch(self, name: str, folder_before: StatKey | None, file_before: StatKey | None, new: Incident) -> None:
        """After a write of ``name`` under the repository lock: bring the summary up to date
        without reading every file, when it can be done exactly: the summary was true of the
        folder just before the write (its stat key then), the file was new or active with the
        stat key the summary has for it (so what was counted of it is the recorded document),
        and the folder's clock is finer than a second (a fresh stat key can be trusted). Else
        the summary is left as it is, and the folder's new stat key makes the next inc status
        read every file's facts."""
        body = self._load(SUMMARY)
        if not _summary_shaped(body) or body[0] is None or body[0] != folder_before:
            return
        _key, active, actions, broken = body
        known = active.get(name)
        if known is None and file_before is not None:  # a file the summary counted without its document
            return
        if known is not None and known[0] != file_before:  # changed since the summary saw it
            return
        folder_now, file_now = self._folder_key(), stat_key(self.folder / name)
        if folder_now is None or file_now is None or folder_now[0] % 1_000_000_000 == 0:
            return  # a clock in whole seconds: another change in this second would not show
        counts: Counter[tuple[str, str | None]] = Counter(dict(actions))
        if known is not None:
            counts.subtract(action_states(known[2]))
        counts.update(action_states(new.extra))
        active = {n: entry for n, entry in active.items() if n != name}
        if new.active:
            active[name] = (file_now, None, new.to_dict())
        ordered = sorted(((k, c) for k, c in counts.items() if c > 0), key=lambda item: (item[0][0], item[0][1] or ""))
        self._save(SUMMARY, (folder_now, active, tuple(ordered), tuple(b for b in broken if b[0] != name)))

    @staticmethod
    def _read_summary(body: Any) -> Summary | None:
        if not _summary_shaped(body):
            return None
        _key, active, actions, broken = body
        return Summary(active=active, actions=actions, broken=broken)

    def summary(self) -> Summary | None:
        """The summary, when the folder is as it was when it was written; else None."""
        if disabled():
            return None
        body = self._load(SUMMARY)
        if not _summary_shaped(body) or body[0] is None or body[0] != self._folder_key():
            return None
        return self._read_summary(body)
