"""A derived index of the incident files, so that reading 10,000 of them is fast.

The files are the truth; the index is a cache of what was read from them, kept
in ``.incli/`` (which git ignores, so it is never committed). For each file it
holds the file's stat key (mtime_ns, ctime_ns, size, inode) and what commands
need of it, in one of two parts read separately:

- ``facts``: the few fields metrics and listings need (domain/metrics.Facts);
- ``json``: the incident's ``inc show --json`` text, ready to print;
- ``complete``: what shell completion offers (``complete_row``): id, status, when it was
  declared, title, and each action item's id, status and title.

Each part is one marshal file written atomically, with a header naming its
format version, the Python version and the folder. On every read the folder is
scanned and every file whose stat key differs from the one recorded (new,
edited, replaced) is parsed again; entries of deleted files are dropped. A
missing, unreadable, corrupt or foreign index is rebuilt from the files. A file
changed (mtime or ctime) less than two seconds ago is read but not recorded: its
next change, even in place and of the same size, could keep the same timestamps on
a coarse clock, but not once two seconds have passed. Broken files are recorded as
broken, with their stat key, so they are still reported every time.

The index cannot disagree with the files: each part file carries a keyed hash
(blake2b, with a random key kept in ``.incli/index.key``) of its whole content,
checked before anything is unmarshalled, so an index written by anything but incli
(crafted, copied from another clone, half-written) is rebuilt from the files; and
every entry is checked for the types its part holds when loaded (an entry of the
wrong shape is read again from its file).

The header also names the incli version: a new release rebuilds the index. Whoever changes
what a payload holds (Incident.to_json, domain/metrics.Facts) must bump FORMAT.

Set INC_NO_INDEX=1 to read every file every time (for comparison and debugging).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import marshal
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from incli import __version__
from incli.domain.metrics import facts_from_incident, facts_tuple_ok
from incli.domain.model import Incident
from incli.storage.atomic import TEMP_SUFFIX, remove_stale, temp_prefix

FORMAT = 4  # 4: Facts.duplicate
MAGIC = "incli-index"
DIGEST_SIZE = 32  # the keyed hash follows the marshalled (header, entries)
KEY_NAME = "index.key"
SUFFIX = ".yaml"
SETTLE_SECONDS = 2.0
PARTS = ("facts", "json", "complete")
ENV_DISABLE = "INC_NO_INDEX"

StatKey = tuple[int, int, int, int]
# (stat key, True, payload) or (stat key, False, (line, reason)) for a broken file
Entry = tuple[StatKey, bool, Any]


def json_element(incident: Incident) -> str:
    """The incident as inside ``json.dumps([...], indent=2)``: every line indented by two."""
    text = json.dumps(incident.to_json(), indent=2, ensure_ascii=False)
    return "  " + text.replace("\n", "\n  ")


def json_array(elements: list[str]) -> str:
    """Exactly ``json.dumps(list, indent=2, ensure_ascii=False)`` for the elements' incidents."""
    if not elements:
        return "[]"
    return "[\n" + ",\n".join(elements) + "\n]"


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


MAKERS: dict[str, Callable[[Incident], Any]] = {
    "facts": lambda incident: facts_from_incident(incident).to_tuple(),
    "json": json_element,
    "complete": complete_row,
}


def _payload_ok(part: str, ok: Any, payload: Any) -> bool:
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
        return facts_tuple_ok(payload)
    if part == "complete":
        return _complete_ok(payload)
    return type(payload) is str


def entry_ok(part: str, name: Any, entry: Any) -> bool:
    """Is this an entry incli writes for ``part``: (stat key of 4 ints, ok, payload of the part's types)?"""
    if type(name) is not str or not name.endswith(SUFFIX) or "/" in name or name.startswith("."):
        return False
    if type(entry) is not tuple or len(entry) != 3:
        return False
    key, ok, payload = entry
    if type(key) is not tuple or len(key) != 4 or not all(type(n) is int for n in key):
        return False
    return _payload_ok(part, ok, payload)


def disabled() -> bool:
    return bool(os.environ.get(ENV_DISABLE))


def scan(folder: Path) -> dict[str, StatKey]:
    """Every incident file's name and stat key."""
    keys: dict[str, StatKey] = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            name = entry.name
            if not name.endswith(SUFFIX) or name.startswith("."):
                continue
            try:
                st = entry.stat()
            except OSError:
                continue
            keys[name] = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
    return keys


def changed_at(key: StatKey) -> int:
    """When the file last changed, in ns: its content (mtime) or its inode (ctime), the later."""
    return max(key[0], key[1])


class Index:
    """The index of one repository's incident folder."""

    def __init__(self, state_dir: Callable[[], Path], folder: Path) -> None:
        self._state_dir = state_dir
        self.folder = folder
        self._secret: bytes | None = None

    def _key(self, *, create: bool) -> bytes | None:
        """This clone's index key (made on the first write); None when there is none."""
        if self._secret is not None:
            return self._secret
        try:
            path = self._state_dir() / KEY_NAME
        except Exception:  # noqa: BLE001 - the state folder cannot be made: work without an index
            return None
        with contextlib.suppress(OSError):
            secret = path.read_bytes()
            if len(secret) == DIGEST_SIZE:
                self._secret = secret
                return secret
        if not create:
            return None
        secret = os.urandom(DIGEST_SIZE)
        try:
            fd, temp = tempfile.mkstemp(prefix=f".{KEY_NAME}.", suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as handle:
                handle.write(secret)
            os.replace(temp, path)
        except OSError:
            return None
        self._secret = secret
        return secret

    @staticmethod
    def _digest(secret: bytes, blob: bytes) -> bytes:
        return hashlib.blake2b(blob, key=secret, digest_size=DIGEST_SIZE).digest()

    def _path(self, part: str) -> Path | None:
        try:
            return self._state_dir() / f"index-{part}.marshal"
        except Exception:  # the state folder cannot be made: work without an index
            return None

    def drop(self, part: str) -> None:
        """Forget one part (it is rebuilt from the files on the next read)."""
        path = self._path(part)
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    def _header(self, part: str) -> tuple[Any, ...]:
        return (MAGIC, FORMAT, __version__, tuple(sys.version_info[:2]), part, str(self.folder))

    def _read(self, part: str) -> dict[str, Entry]:
        path = self._path(part)
        if path is None:
            return {}
        try:
            data = path.read_bytes()
        except OSError:
            return {}
        secret = self._key(create=False)
        if secret is None or len(data) <= DIGEST_SIZE:
            return {}
        blob = data[:-DIGEST_SIZE]
        if not hmac.compare_digest(data[-DIGEST_SIZE:], self._digest(secret, blob)):
            return {}  # not written by incli in this clone: never trusted
        try:
            header, entries = marshal.loads(blob)
        except Exception:  # noqa: BLE001 - written by another Python
            return {}
        if header != self._header(part) or type(entries) is not dict:
            return {}
        return {name: entry for name, entry in entries.items() if entry_ok(part, name, entry)}

    def _write(self, part: str, entries: dict[str, Entry]) -> None:
        path = self._path(part)
        if path is None:
            return
        secret = self._key(create=True)
        if secret is None:
            return
        try:
            blob = marshal.dumps((self._header(part), entries))
            blob += self._digest(secret, blob)
            remove_stale(path.parent, prefix=f".{path.name}.")
            fd, temp = tempfile.mkstemp(prefix=temp_prefix(path.name), suffix=TEMP_SUFFIX, dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(blob)
                os.replace(temp, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except (OSError, ValueError):
            pass  # a read-only repository still works, just without the index

    def read(
        self, parts: tuple[str, ...], parse: Callable[[Path], Incident]
    ) -> tuple[dict[str, list[Any]], list[tuple[Path, int | None, str]]]:
        """For each part, the payloads of every readable file in name order; and the broken files.

        ``parse`` reads one file and raises an exception with a ``broken``
        attribute (path, line, reason) when it cannot.
        """
        keys = scan(self.folder)
        use_index = not disabled()
        old = {part: self._read(part) if use_index else {} for part in parts}
        try:
            return self._merge(keys, parts, old, parse, use_index)
        except (TypeError, IndexError, ValueError, KeyError, AttributeError):
            # An index that unmarshals but does not have the expected shape: rebuild it.
            return self._merge(keys, parts, {part: {} for part in parts}, parse, use_index)

    def _merge(
        self,
        keys: dict[str, StatKey],
        parts: tuple[str, ...],
        old: dict[str, dict[str, Entry]],
        parse: Callable[[Path], Incident],
        use_index: bool,
    ) -> tuple[dict[str, list[Any]], list[tuple[Path, int | None, str]]]:
        names = sorted(keys)
        # Which files must be read again: new ones, and any whose stat key changed.
        stale: dict[str, list[str]] = {}
        for part in parts:
            recorded = old[part]
            for name in names:
                entry = recorded.get(name)
                if entry is None or entry[0] != keys[name]:
                    stale.setdefault(name, []).append(part)
        parsed = {name: self._parse(self.folder / name, keys[name], wanted, parse) for name, wanted in stale.items()}
        result: dict[str, list[Any]] = {}
        broken: list[tuple[Path, int | None, str]] = []
        for index, part in enumerate(parts):
            recorded = old[part]
            values: list[Any] = []
            for name in names:
                fresh = parsed.get(name)
                entry = fresh[part] if fresh is not None and part in fresh else recorded[name]
                if entry[1]:
                    values.append(entry[2])
                elif index == 0:
                    line, reason = entry[2]
                    broken.append((self.folder / name, line, reason))
            result[part] = values
        if use_index:
            settled_before = (time.time() - SETTLE_SECONDS) * 1e9
            for part in parts:
                recorded = old[part]
                if not any(part in wanted for wanted in stale.values()) and len(recorded) == len(keys):
                    continue  # nothing changed for this part
                entries = {}
                for name in names:
                    fresh = parsed.get(name)
                    entry = fresh[part] if fresh is not None and part in fresh else recorded[name]
                    if changed_at(entry[0]) < settled_before:
                        entries[name] = entry
                self._write(part, entries)
        return result, broken

    @staticmethod
    def _parse(path: Path, key: StatKey, parts: list[str], parse: Callable[[Path], Incident]) -> dict[str, Entry]:
        try:
            incident = parse(path)
        except Exception as exc:
            broken = getattr(exc, "broken", None)
            if broken is None:
                raise
            failure: Entry = (key, False, (broken.line, broken.reason))
            return {part: failure for part in parts}
        return {part: (key, True, MAKERS[part](incident)) for part in parts}
