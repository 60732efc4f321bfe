"""What shell completion offers (``inc ack <TAB>``): incident and action ids from the
repository's derived index (storage/index.py, never a YAML parse of every file once it is
warm), and the severities of its incli.yaml.

Completion runs on every TAB: nothing here prints, and a repository that cannot be read
offers nothing rather than an error. Even the index scans every file's stat, so what a TAB
offers is kept in ``.incli/index-completion.marshal`` (sealed like the index: storage/sealed.py)
with the incident folder's modification time: any file added, removed or replaced (every incli
write, a git checkout) changes it, and the rows are read again through the index. An edit in
place that changes a status shows on the next such change; the ids it offers are always there.
Offered text is made safe for the terminal.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from typing import Any

from incli import __version__
from incli.domain.model import ACTIVE_STATUSES
from incli.errors import StorageError
from incli.storage import sealed
from incli.storage.repo import Repository, find_repository
from incli.storage.store import Store

Choice = tuple[str, str]  # (value, help shown beside it by zsh and fish)
Row = tuple[str, str, float, str, tuple[tuple[str, str, str], ...]]
CACHE_NAME = "index-completion.marshal"
SETTLE_NS = 2_000_000_000  # as storage/index.py: a folder changed this recently may change again unseen


def _repository(directory: str | os.PathLike[str] | None) -> Repository:
    return find_repository(directory)


def _header() -> tuple[Any, ...]:
    return ("incli-completion", 1, __version__, tuple(sys.version_info[:2]))


def _cached(body: Any, key: tuple[Any, ...]) -> list[Row] | None:
    if type(body) is not tuple or len(body) != 2 or body[0] != key or type(body[1]) is not list:
        return None
    return body[1]


def _rows(directory: str | os.PathLike[str] | None) -> list[Row]:
    repo = _repository(directory)
    try:
        st = os.stat(repo.incidents_dir)
    except OSError:
        return []
    # ctime too: a restore that sets the folder's mtime back cannot set its ctime back.
    key = (st.st_mtime_ns, st.st_ctime_ns, st.st_ino, str(repo.incidents_dir))
    path = repo.state_dir / CACHE_NAME
    rows = _cached(sealed.load(path, _header()), key)
    if rows is not None:
        return rows
    rows = Store(repo).completion_rows()
    if time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) > SETTLE_NS:
        with contextlib.suppress(StorageError, OSError):
            repo.ensure_state_dir()
            sealed.save(path, _header(), (key, rows))
    return rows


def incident_ids(directory: str | os.PathLike[str] | None, *, active_only: bool = False) -> list[Choice]:
    """Every incident's id: active ones first, then the rest, each newest first. With
    ``active_only``, only the active ones when there are any."""
    rows = _rows(directory)
    rows.sort(key=lambda row: (row[1] not in ACTIVE_STATUSES, -row[2], row[0]))
    if active_only and rows and rows[0][1] in ACTIVE_STATUSES:
        rows = [row for row in rows if row[1] in ACTIVE_STATUSES]
    return [(ident, f"{status}: {title}") for ident, status, _, title, _ in rows]


def action_ids(directory: str | os.PathLike[str] | None) -> list[Choice]:
    """Every action item's id: open ones first, then by incident, newest first."""
    rows = _rows(directory)
    rows.sort(key=lambda row: (-row[2], row[0]))
    items = [
        (aid, status, f"{status}: {title} ({ident})") for ident, _, _, _, acts in rows for aid, status, title in acts
    ]
    items.sort(key=lambda item: item[1] != "open")  # stable: keeps newest first within each
    return [(aid, text) for aid, _, text in items]


def severities(directory: str | os.PathLike[str] | None) -> list[Choice]:
    """The repository's severity levels, most severe first, with their descriptions."""
    from incli.domain.severity import DEFAULT_SEVERITIES

    try:
        levels = list(_repository(directory).config.severities)
    except Exception:  # noqa: BLE001 - outside a repository (or a broken config): the built-in scale
        levels = list(DEFAULT_SEVERITIES)
    return [(level.id, f"{level.name}: {level.description}") for level in levels]


def services(directory: str | os.PathLike[str] | None) -> list[Choice]:
    """The services of catalog.yaml (with team and tier beside each); none without a catalog."""
    from incli.storage.catalog import load_catalog

    try:
        catalog = load_catalog(_repository(directory))
    except Exception:  # noqa: BLE001 - no repository, no catalog or a broken one: nothing to offer
        return []
    choices: list[Choice] = []
    for item in catalog.services:
        facts = [f"team {item.team}" if item.team else "", f"tier {item.tier}" if item.tier is not None else ""]
        choices.append((item.name, ", ".join(f for f in facts if f)))
    return choices
