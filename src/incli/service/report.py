"""``inc report``: the repository as a static HTML site.

The site is built in a temporary folder next to the target and swapped into
place when every page is written, so a failed or interrupted build leaves the
previous report as it was. A folder is only ever replaced when it is empty or
holds the marker file of an earlier report: a user's own folder is never deleted.

The build is incremental. The site holds a manifest (``MANIFEST``) of what each
incident's page was rendered from, and the next build hard-links a page of the
earlier site into the new one, instead of rendering it, when all of it is unchanged:

- the incident file's bytes (their SHA-256; read again unless the file's stat key is the one
  recorded with them, once settled as the index trusts one);
- what every page is built with (``site_key``): incli's version, every template (the
  built-in ones and the repository's), incli.yaml, the display time zone;
- what the page read of what it shares with other pages (``reportdata.Reads``): its
  neighbours in the list, the site's fields, the catalog entries it looked up;
- which of its action items are overdue today;

and only when the page does not change with the time of the build (an unresolved
incident's; one whose templates show the time: ``WATCHED``, ``reportdata.follows_the_clock``).
The manifest is signed with a key of this clone (``.incli/report.key``) and names every
page's SHA-256: when the earlier site is not exactly what its manifest says (a page edited or
removed, the manifest edited, copied from elsewhere or unsigned), none of it is reused. The
incident list, the metrics and the action items pages are written every time.

Incidents are read one at a time (the listings come from the index's facts), so memory
does not grow with the full text of every incident. With many pages (``PARALLEL_FROM``) on a
machine with a second core, forked processes (``Beside``) write half of the incident pages and,
meanwhile, the incident list and the metrics; the site and its manifest are those one process writes.

No printing here; the CLI passes a progress callback.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import shutil
import signal
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any

from incli import __version__
from incli.domain import charts, durations, reportdata
from incli.domain.config import Config
from incli.domain.metrics import Facts
from incli.domain.model import MILESTONE_LABELS, Incident
from incli.domain.times import parse_time
from incli.errors import Conflict, InvalidInput, StorageError
from incli.storage import index as derived
from incli.storage import statefile
from incli.storage.atomic import READ_ONLY, remove_stale, temp_prefix
from incli.storage.store import SUFFIX

MARKER = ".incli-report"
MARKER_TEXT = (
    "This folder was written by `inc report` and is replaced whole each time it runs.\n"
    "Do not keep your own files here.\n"
)
DEFAULT_DIR = "report"
# Written into the default report folder (inside the repository's work tree): git ignores the
# built site, so inc sync --commit is not blocked by it. A folder named with -o gets none
# (a team may commit its site, e.g. for GitHub Pages).
GITIGNORE_TEXT = "# written by inc report: the report is built from the incidents, never committed\n*\n"
DEFAULT_TITLE = "Incident report"
# The incident list is split into pages of this many rows: a browser lays out a
# 10,000-row table slowly, and nobody scrolls that far.
INDEX_PAGE_SIZE = 1000
# From this many pages to render on, a second process renders half of them (forking costs little,
# but a small site is done before it pays).
PARALLEL_FROM = 1000
MANIFEST = ".incli-report-manifest"
MANIFEST_FORMAT = 1
MAX_MANIFEST_BYTES = 1 << 30
KEY_NAME = "report"  # .incli/report.key signs the manifest
# The template variables that are the time of the build (the pages' ``now``, the postmortem's
# ``generated_at``): a page that reads one is written again every time.
WATCHED = ("now", "generated_at")

# output.progress: (label, total) -> a context yielding advance(pages just written)
ProgressBar = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@dataclass
class ReportResult:
    """What inc report built."""

    folder: Path
    index: Path
    incidents: int
    pages: int
    reused: int = 0  # incident pages taken unchanged from the earlier report


def display_zone(config: Config) -> tuple[tzinfo, str]:
    """The repository's configured time zone, else the local one."""
    configured = config.zone
    if configured is not None:
        return configured, str(config.timezone).strip()
    local = datetime.now().astimezone().tzinfo or UTC
    return local, datetime.now().astimezone().tzname() or "local time"


def index_page_name(number: int) -> str:
    return "index.html" if number == 1 else f"index-{number}.html"


def check_target(folder: Path, marker: str = MARKER, command: str = "inc report") -> None:
    """Refuse a target that is not ours to replace (``marker``: the file an earlier build left)."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise Conflict(f"{folder} exists and is not a folder; choose another -o")
    if folder.is_dir():
        try:
            entries = os.listdir(folder)
        except OSError as exc:
            raise StorageError(f"cannot read {folder}: {exc.strerror or exc}") from None
        if entries and marker not in entries:
            what = "report" if command == "inc report" else "site of " + command
            raise Conflict(
                f"{folder} is not empty and holds no {marker} file, so it is not an earlier {what}; "
                f"choose another -o ({command} replaces the whole folder)"
            )


def publish_site(
    folder: Path, write: Callable[[Path], None], what: str, marker: str = MARKER, command: str = "inc report"
) -> None:
    """Build a site into a fresh hidden folder beside ``folder`` (``write`` fills it), then swap it
    into place whole: a failure or Ctrl-C at any point leaves the earlier site as it was and no
    half-built folder behind (what a killed build left is removed once its process is gone)."""
    for kind in ("building-", "old-"):
        remove_stale(folder.parent, prefix=f".{folder.name}.{kind}", suffix="", folders=True)
    try:
        building = Path(tempfile.mkdtemp(prefix=temp_prefix(folder.name, "building-"), dir=folder.parent))
    except OSError as exc:
        raise StorageError(f"cannot write in {folder.parent}: {exc.strerror or exc}") from None
    try:
        write(building)
        swap_into_place(building, folder, marker, command)
    except OSError as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise StorageError(f"cannot write {what} to {folder}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o755 & ~_umask())


def swap_into_place(built: Path, folder: Path, marker: str = MARKER, command: str = "inc report") -> None:
    """Move the built site to ``folder``, replacing an earlier one (checked again here)."""
    check_target(folder, marker, command)
    old: Path | None = None
    if folder.is_dir():
        if os.listdir(folder):
            # A fresh empty folder to rename the earlier report onto (rename replaces an empty folder).
            old = Path(tempfile.mkdtemp(prefix=temp_prefix(folder.name, "old-"), dir=folder.parent))
            os.replace(folder, old)
        else:
            folder.rmdir()
    try:
        os.replace(built, folder)
    except BaseException:
        if old is not None:
            os.replace(old, folder)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class SiteWriter:
    """Writes the pages of one report into a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pages = 0

    def write(self, relative: str, content: str | bytes) -> None:
        path = self.folder / relative
        data = content.encode("utf-8") if isinstance(content, str) else content
        with open(path, "wb") as handle:
            handle.write(data)
        if relative.endswith(".html"):
            self.pages += 1


def build_report(
    service: Any,
    out: str | os.PathLike[str] | None = None,
    since: str | None = None,
    progress: ProgressBar | None = None,
) -> ReportResult:
    """Write the site, with ``progress(label, total)`` advanced per page while writing."""
    from incli.render import ReportRenderer

    config: Config = service.config
    now: datetime = service.now()
    since_at = parse_time(since, now) if since else None
    folder = Path(out).expanduser() if out else service.repo.root / DEFAULT_DIR
    folder = Path(os.path.abspath(folder))
    check_target(folder)
    if not folder.parent.is_dir():
        raise StorageError(f"cannot write the report: {folder.parent} does not exist")

    # The same scope as ``inc metrics --since``: incidents whose impact started at or after TIME.
    every = [item for item, _text in service.list_facts()]
    facts: list[Facts] = [
        item for item in every if since_at is None or (item.time("started_at") or 0.0) >= since_at.timestamp()
    ]
    zone, zone_name = display_zone(config)
    today = config.today(now)  # action items are overdue by the one "today" of every command
    renderer = ReportRenderer(zone, service.repo.templates_dir)
    rows = reportdata.index_rows(facts, now, today)
    site = {
        "name": config.report.title,
        "version": __version__,
        "generated_at": now,
        "zone_name": zone_name,
        "count": len(rows),
        "since": since_at,
        "severity_rank": config.rank,
        "service_entry": _catalog_lookup(service),
    }
    # The numbers of ``inc metrics --since ... --by month --json``, computed by the same function.
    from incli.service.metrics import metrics as measure

    measured = measure(service, since=since_at.isoformat() if since_at else None, by="month", facts=every)
    del every
    inputs = site_key(service, zone, zone_name)
    key = statefile.secret(service.repo, KEY_NAME, create=False)
    earlier = read_manifest(folder, key, inputs) if key is not None and inputs is not None else {}
    index_pages = max(1, -(-len(rows) // INDEX_PAGE_SIZE))
    bar = progress("Writing report", len(rows) + 2 + index_pages) if progress else contextlib.nullcontext(_no_advance)
    build = _Build(service, renderer, rows, site, now, today)

    def write(building: Path) -> None:
        with bar as advance:
            writer = SiteWriter(building)
            (building / "incidents").mkdir()
            writer.write(MARKER, MARKER_TEXT)
            writer.write("style.css", renderer.static("style.css"))
            # The incident list and the metrics need only the index: written beside the incident
            # pages (another process) when there are many, else after them.
            listing = Beside(writer, lambda sending: build.listings(sending, facts, measured, zone), advance)
            with listing if build.many(len(rows)) else contextlib.nullcontext(None) as beside:
                build.besides = [beside] if beside is not None else []
                build.incident_pages(writer, folder, earlier, advance)
                if beside is not None:
                    beside.join()
                else:
                    build.listings(writer, facts, measured, zone, advance)
            build.actions(writer)
            advance(1)
            signing = key or statefile.secret(service.repo, KEY_NAME, create=True)  # once the pages are written
            if signing is not None and inputs is not None:
                write_manifest(building / MANIFEST, signing, inputs, build.entries)
            if folder == Path(os.path.abspath(service.repo.root / DEFAULT_DIR)):
                writer.write(".gitignore", GITIGNORE_TEXT)
            build.pages = writer.pages + build.reused

    said = len(service.store.warnings)
    try:
        publish_site(folder, write, "the report")
    except BaseException:
        del service.store.warnings[said:]  # what it said of pages never published: only the error counts
        raise
    return ReportResult(
        folder=folder, index=folder / "index.html", incidents=len(rows), pages=build.pages, reused=build.reused
    )


def _no_advance(_pages: int) -> None:
    return None


def _second_core() -> bool:
    """Can the build fork a second process onto a second core? (Linux: fork is safe there with the
    progress bar's thread, whose locks the child never takes.)"""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    return len(os.sched_getaffinity(0)) > 1


class Beside:
    """``work(writer)`` run in a forked process beside this one. What it writes through ``writer``
    comes here through a pipe and is written by this process: one writer, because a file system
    makes two processes creating files in one folder take turns (on ext4 here two writers spent
    four times the system time of one). ``pump`` writes the pages that came so far (and advances
    the progress bar), ``join`` the rest, and gives what ``work`` returned or raises what it raised.
    Leaving the ``with`` block any other way (a failure or Ctrl-C here) kills and reaps the child
    first; a child whose parent is gone stops at its next page. If no process can be forked,
    ``join`` runs ``work`` here."""

    def __init__(self, writer: SiteWriter, work: Callable[[SiteWriter], Any], advance: Callable[[int], None]) -> None:
        self.writer = writer
        self.work = work
        self.advance = advance
        self.pid = 0
        self.fd = -1
        self.buffer = bytearray()
        self.outcome: tuple[Any, ...] | None = None

    def __enter__(self) -> Beside:
        import gc

        read_end, write_end = os.pipe()
        gc.freeze()  # the child shares this memory: its collections must not touch (copy) all of it
        try:
            self.pid = os.fork()
        except OSError:
            self.pid = -1
        if self.pid == 0:
            os.close(read_end)
            self._child(write_end)  # never returns
        gc.unfreeze()
        os.close(write_end)
        if self.pid < 0:
            os.close(read_end)
        else:
            os.set_blocking(read_end, False)
            self.fd = read_end
        return self

    def _child(self, fd: int) -> None:
        import pickle

        signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it at once; the parent cleans up
        parent = os.getppid()

        def send(message: tuple[Any, ...]) -> None:
            if os.getppid() != parent:  # the parent was killed: nobody will take these pages
                os._exit(1)
            data = pickle.dumps(message)
            view = memoryview(len(data).to_bytes(8, "big") + data)
            while view:
                view = view[os.write(fd, view) :]

        try:
            try:
                message: tuple[Any, ...] = ("ok", self.work(_Sending(self.writer.folder, send)))
            except BaseException as exc:  # noqa: BLE001 - every failure goes to the parent
                message = ("error", type(exc).__name__, str(exc), exc)
            try:
                send(message)
            except Exception:  # noqa: BLE001 - an exception that cannot be sent whole: its name and text
                send((*message[:3], None))
        finally:
            os._exit(0)

    def pump(self) -> None:
        """Write the pages the child has sent so far."""
        if self.fd < 0:
            return
        while True:
            try:
                data = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                return
            if not data:
                return
            self._take(data)

    def _take(self, data: bytes) -> None:
        import pickle

        buffer = self.buffer
        buffer += data
        start = 0
        while len(buffer) - start >= 8:
            size = int.from_bytes(buffer[start : start + 8], "big")
            if len(buffer) - start - 8 < size:
                break
            message = pickle.loads(buffer[start + 8 : start + 8 + size])
            start += 8 + size
            if message[0] == "page":
                self.writer.write(message[1], message[2])
                if message[1].endswith(".html"):
                    self.advance(1)
            else:
                self.outcome = message
        del buffer[:start]

    def join(self) -> Any:
        if self.pid < 0:
            return self.work(self.writer)
        os.set_blocking(self.fd, True)
        while data := os.read(self.fd, 1 << 20):
            self._take(data)
        os.waitpid(self.pid, 0)
        self.pid = 0
        outcome = self.outcome
        if outcome is None:
            raise StorageError("cannot write the report: its second process ended before it said how")
        if outcome[0] != "ok":
            _kind, name, text, exc = outcome
            raise exc if isinstance(exc, BaseException) else StorageError(f"cannot write the report: {name}: {text}")
        return outcome[1]

    def __exit__(self, *_exc: object) -> None:
        if self.pid > 0:  # left before join: stop the child before the build folder goes
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            self.pid = 0
        if self.fd >= 0:
            with contextlib.suppress(OSError):
                os.close(self.fd)
            self.fd = -1


class _Sending(SiteWriter):
    """A ``Beside`` child's writer: each page goes to the parent, which writes it."""

    def __init__(self, folder: Path, send: Callable[[tuple[Any, ...]], None]) -> None:
        super().__init__(folder)
        self.send = send

    def write(self, relative: str, content: str | bytes) -> None:
        self.send(("page", relative, content.encode("utf-8") if isinstance(content, str) else content))
        if relative.endswith(".html"):
            self.pages += 1


class _Build:
    """One build's incident pages (rendered or reused) and the pages listing them."""

    def __init__(
        self,
        service: Any,
        renderer: Any,
        rows: list[reportdata.IncidentRow],
        site: dict[str, Any],
        now: datetime,
        today: date,
    ) -> None:
        self.service = service
        self.renderer = renderer
        self.rows = rows
        self.site = site
        self.now = now
        self.today = today
        self.entries: dict[str, Entry] = {}  # the new manifest's
        self.reading: dict[str, list[list[Any]]] = {}  # each distinct list of paths read
        self.items: dict[str, list[reportdata.ActionItem]] = {}  # each incident's action items
        self.reused = 0
        self.pages = 0
        self.besides: list[Beside] = []  # the processes writing beside this one (``pump``)

    def roots(self, position: int) -> dict[str, Any]:
        """What a page may read besides its incident (``reportdata.Reads``'s roots)."""
        rows = self.rows
        return {
            "site": self.site,
            "newer": rows[position - 1] if position > 0 else None,
            "older": rows[position + 1] if position + 1 < len(rows) else None,
        }

    def warn(self, incident_id: str, reason: str) -> None:
        """Name what the report leaves out, as every reading command does with a broken file."""
        from incli.storage.store import Broken

        found = Broken(self.service.store.path_for(incident_id), None, reason)
        if found not in self.service.store.warnings:
            self.service.store.warnings.append(found)

    def incident_pages(
        self, writer: SiteWriter, folder: Path, earlier: Manifest, advance: Callable[[int], None]
    ) -> None:
        reused = self.reuse(writer.folder, folder, earlier)
        advance(len(reused))
        todo = [position for position, row in enumerate(self.rows) if row.incident.id not in reused]
        if not self.many(len(todo)):
            for position in todo:
                self.render(writer, position, self.rows[position])
                advance(1)
            return
        half = len(todo) // 2
        with Beside(writer, lambda sending: self.render_part(sending, todo[half:]), advance) as child:
            self.besides.append(child)
            for position in todo[:half]:
                self.render(writer, position, self.rows[position])
                advance(1)
                self.pump()
            entries, items, warnings = child.join()
            self.besides.remove(child)
        self.entries.update(entries)
        self.items.update(items)
        for found in warnings:
            if found not in self.service.store.warnings:
                self.service.store.warnings.append(found)

    def render_part(self, writer: SiteWriter, positions: list[int]) -> tuple[Any, ...]:
        """The pages at ``positions``, rendered in a ``Beside`` process: what it recorded of them."""
        self.entries, self.items = {}, {}
        warnings = self.service.store.warnings
        before = len(warnings)
        for position in positions:
            self.render(writer, position, self.rows[position])
        return self.entries, self.items, warnings[before:]

    def pump(self) -> None:
        """Write what the processes beside this one have sent so far (they wait when their pipe is full)."""
        for beside in self.besides:
            beside.pump()

    def read(self, incident_id: str) -> bytes | None:
        """The incident file's bytes; None (and a warning) when it cannot be read now."""
        from incli.storage.store import BrokenFile

        try:
            return bytes(self.service.store.read_bytes(self.service.store.path_for(incident_id)))
        except BrokenFile as exc:
            self.warn(incident_id, exc.broken.reason)
        except StorageError as exc:
            self.warn(incident_id, str(exc))
        return None

    def reuse(self, building: Path, folder: Path, earlier: Manifest) -> set[str]:
        """Link into ``building`` each page of the earlier report whose inputs are unchanged;
        nothing at all when one of them is not the page its manifest names."""
        linked: list[str] = []
        kept: dict[str, Entry] = {}
        incidents = str(self.service.store.folder)
        for position, row in enumerate(self.rows):
            if position % 64 == 0:
                self.pump()
            ident = row.incident.id
            entry = earlier.get(ident)
            if entry is None or reportdata.overdue_flags(entry.actions, self.today) != entry.flags:
                continue
            if _digest(reportdata.replay(entry.reads, self.roots(position))) != entry.deps:
                continue
            key = file_key(os.path.join(incidents, ident + SUFFIX))
            if key is None or key != entry.stat:  # else the very file whose bytes it has the digest of
                data = self.read(ident)
                if data is None or _digest(data) != entry.file:
                    continue
            name = reportdata.incident_filename(ident)
            target = os.path.join(building, "incidents", name)
            if not _link_verified(os.path.join(folder, "incidents", name), target, entry.page):
                for path in [*linked, target]:
                    with contextlib.suppress(OSError):
                        os.unlink(path)
                return set()  # the earlier report is not what its manifest says: trust none of it
            linked.append(target)
            entry.stat = key if settled(key) else None
            kept[ident] = entry
        for ident, entry in kept.items():
            self.entries[ident] = entry
            if entry.actions:
                self.items[ident] = entry.actions
            for reason in entry.warnings:
                self.warn(ident, reason)
        self.reused = len(kept)
        return set(kept)

    def render(self, writer: SiteWriter, position: int, row: reportdata.IncidentRow) -> None:
        from incli import render
        from incli.storage.store import BrokenFile, parse_incident_bytes

        ident = row.incident.id
        path = self.service.store.path_for(ident)
        key = file_key(path)  # before the bytes are read: a change after it is a change of key
        data = self.read(ident)
        if data is None:
            return
        try:
            incident = parse_incident_bytes(data, path)
        except BrokenFile as exc:
            self.warn(ident, exc.broken.reason)
            return
        items = reportdata.action_items(incident)
        reads = reportdata.Reads()
        warnings: list[str] = []
        with render.watching(WATCHED) as timely:
            page = _incident_page(self, incident, row, items, self.roots(position), reads, warnings.append)
        html = page.encode("utf-8")
        writer.write(f"incidents/{reportdata.incident_filename(ident)}", html)
        for reason in warnings:
            self.warn(ident, reason)
        if items:
            self.items[ident] = items
        if timely or reportdata.follows_the_clock(incident):
            return  # changes with the time of the build: written again each time
        paths = reads.paths()
        self.entries[ident] = Entry(
            file=_digest(data),
            stat=key if settled(key) else None,
            page=_digest(html),
            reads=self.reading.setdefault(repr(paths), paths),  # one list for the pages that read the same
            deps=_digest(reads.digest_text()),
            flags=reportdata.overdue_flags(items, self.today),
            actions=items,
            warnings=warnings,
        )

    def listings(
        self,
        writer: SiteWriter,
        facts: list[Facts],
        measured: dict[str, Any],
        zone: tzinfo,
        advance: Callable[[int], None] = _no_advance,
    ) -> None:
        """The incident list (in pages of ``INDEX_PAGE_SIZE``) and the metrics."""
        renderer, rows, config = self.renderer, self.rows, self.service.config
        common = {"site": self.site}
        active = sum(1 for r in rows if r.incident.active)
        chunks = [rows[start : start + INDEX_PAGE_SIZE] for start in range(0, len(rows), INDEX_PAGE_SIZE)] or [[]]
        pages = [index_page_name(n) for n in range(1, len(chunks) + 1)]
        for number, chunk in enumerate(chunks, 1):
            writer.write(
                pages[number - 1],
                renderer.render(
                    "index.html",
                    page="index",
                    root="",
                    rows=chunk,
                    total=len(rows),
                    active=active,
                    number=number,
                    pages=pages,
                    first=(number - 1) * INDEX_PAGE_SIZE + 1,
                    **common,
                ),
            )
        advance(len(chunks))
        writer.write("metrics.html", _metrics_page(renderer, facts, measured, config, zone, common))
        advance(1)

    def actions(self, writer: SiteWriter) -> None:
        """The action items page: every incident's items, as its page (rendered or reused) has them."""
        actions = [
            action
            for row in self.rows
            if (items := self.items.get(row.incident.id))
            for action in reportdata.action_rows(items, row.incident, self.today)
        ]
        writer.write("actions.html", _actions_page(self.renderer, actions, self.today, {"site": self.site}))

    @staticmethod
    def many(pages: int) -> bool:
        """Are there pages enough to share with a second process (and a core for it)?"""
        return pages >= PARALLEL_FROM and _second_core()


def _digest(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def file_key(path: str | Path) -> list[int] | None:
    """The stat key of an incident file, as the index has it (storage.index.scan); None when it
    cannot be read."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return [info.st_mtime_ns, info.st_ctime_ns, info.st_size, info.st_ino]


def settled(key: list[int] | None) -> bool:
    """Can the stat key stand for the bytes? Only once the file has not changed for a while: a
    change on a coarse clock could keep the same times (the index's rule, storage.index)."""
    return key is not None and max(key[0], key[1]) < (time.time() - derived.SETTLE_SECONDS) * 1e9


def _link_verified(old: str, new: str, digest: str) -> bool:
    """Hard-link (else copy) the earlier page ``old`` to ``new``; is what landed there the page
    whose SHA-256 is ``digest``, and no link? (Checked after linking: the earlier site may be
    replaced meanwhile.)"""
    try:
        try:
            os.link(old, new, follow_symlinks=False)
        except FileNotFoundError:
            return False
        except OSError:  # a file system without hard links
            shutil.copyfile(old, new, follow_symlinks=False)
        fd = os.open(new, READ_ONLY | getattr(os, "O_NOFOLLOW", 0))
        try:
            return _digest(os.read(fd, os.fstat(fd).st_size + 1)) == digest
        finally:
            os.close(fd)
    except OSError:
        return False


# -- the manifest -----------------------------------------------------------------


@dataclass(slots=True)
class Entry:
    """What one incident's page was built from (see the module's docstring)."""

    file: str  # SHA-256 of the incident file's bytes
    stat: list[int] | None  # and its stat key then (storage.index: trusted once settled), else None
    page: str  # SHA-256 of the page's bytes
    reads: list[list[Any]]  # what it read of the site and its neighbours (reportdata.Reads.paths)
    deps: str  # SHA-256 of what those read (reportdata.Reads.digest_text)
    flags: str  # which action items were overdue (reportdata.overdue_flags)
    actions: list[reportdata.ActionItem]
    warnings: list[str]  # what the build said about the page (a postmortem left out)


Manifest = dict[str, Entry]  # by incident id


def site_key(service: Any, zone: tzinfo, zone_name: str) -> str | None:
    """What every incident page is built with: the manifest's format, incli's version, the
    templates, incli.yaml, the display time zone (and the local one's rules when none is
    configured). None when incli.yaml's digest is unknown (nothing is then reused)."""
    from incli.render import templates_fingerprint

    config_digest = service.repo.config_digest
    if not config_digest:
        return None
    local: Any = None
    if service.config.zone is None:
        local = [
            os.environ.get("TZ"),
            list(time.tzname),
            time.timezone,
            time.altzone,
            time.daylight,
            os.path.realpath("/etc/localtime"),
        ]
    parts = [
        MANIFEST_FORMAT,
        __version__,
        list(sys.version_info[:2]),
        templates_fingerprint(service.repo.templates_dir),
        config_digest,
        repr(zone),
        zone_name,
        local,
    ]
    return _digest(json.dumps(parts, sort_keys=True))


def write_manifest(path: Path, key: bytes, inputs: str, entries: dict[str, Entry]) -> None:
    """The manifest: JSON, then a line with its keyed hash (HMAC-SHA256, the clone's key)."""
    distinct: dict[str, int] = {}  # the lists of paths read, each once (most pages read the same)
    reading: list[list[list[Any]]] = []
    pages = {}
    for ident, entry in entries.items():
        number = distinct.setdefault(repr(entry.reads), len(distinct))
        if number == len(reading):
            reading.append(entry.reads)
        pages[ident] = [
            entry.file,
            entry.stat,
            entry.page,
            number,
            entry.deps,
            entry.flags,
            [item.to_list() for item in entry.actions],
            entry.warnings,
        ]
    doc = {
        "format": MANIFEST_FORMAT,
        "site": inputs,
        "reads": reading,
        "pages": pages,
    }
    body = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    signature = hmac.new(key, body, hashlib.sha256).hexdigest().encode("ascii")
    with open(path, "wb") as handle:
        handle.write(body + b"\n" + signature + b"\n")


def read_manifest(folder: Path, key: bytes, inputs: str) -> Manifest:
    """The earlier report's manifest; empty when there is none, it is not signed with this
    clone's key, or its pages were built with other inputs (``site_key``)."""
    path = folder / MANIFEST
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_MANIFEST_BYTES:
            return {}
        with open(path, "rb") as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)
    except OSError:
        return {}
    body, _newline, signature = data.rstrip(b"\n").rpartition(b"\n")
    if not hmac.compare_digest(signature, hmac.new(key, body, hashlib.sha256).hexdigest().encode("ascii")):
        return {}
    try:
        doc = json.loads(body)
    except ValueError:
        return {}
    if not isinstance(doc, dict) or doc.get("format") != MANIFEST_FORMAT or doc.get("site") != inputs:
        return {}
    reads, pages = doc.get("reads"), doc.get("pages")
    if not isinstance(reads, list) or not isinstance(pages, dict):
        return {}
    found: Manifest = {}
    for ident, raw in pages.items():
        with contextlib.suppress(ValueError, TypeError, IndexError):
            found[ident] = _entry(raw, reads)
    return found


def _entry(raw: Any, reads: list[Any]) -> Entry:
    """One page's entry as ``write_manifest`` wrote it; ValueError for anything else."""
    if not isinstance(raw, list) or len(raw) != 8:
        raise ValueError("not an entry")
    file, key, page, number, deps, flags, actions, warnings = raw
    if key is not None and (not isinstance(key, list) or len(key) != 4 or not all(type(n) is int for n in key)):
        raise ValueError("not an entry")
    texts = (file, page, deps, flags)
    if not all(isinstance(t, str) for t in texts) or type(number) is not int or not 0 <= number < len(reads):
        raise ValueError("not an entry")
    paths = reads[number]
    if not isinstance(paths, list) or not all(isinstance(p, list) and p for p in paths):
        raise ValueError("not an entry")
    if not isinstance(actions, list) or not isinstance(warnings, list):
        raise ValueError("not an entry")
    if not all(isinstance(w, str) for w in warnings):
        raise ValueError("not an entry")
    items = [reportdata.ActionItem.from_list(item) for item in actions]
    return Entry(file, key, page, paths, deps, flags, items, warnings)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _catalog_lookup(service: Any) -> Callable[[str | None], dict[str, Any] | None]:
    """For the incident pages: the catalog entry (owners, team, tier) of a service, or None."""
    from incli.errors import InvalidInput
    from incli.service.catalog import catalog_of

    try:
        catalog = catalog_of(service)
    except InvalidInput:  # a broken catalog.yaml leaves the report without owners (inc validate says why)
        return lambda _name: None

    def lookup(name: str | None) -> dict[str, Any] | None:
        entry = catalog.get(name)
        return entry.to_json() if entry else None

    return lookup


def _incident_page(
    build: _Build,
    incident: Incident,
    row: reportdata.IncidentRow,
    items: list[reportdata.ActionItem],
    roots: dict[str, Any],
    reads: reportdata.Reads,
    warn: Callable[[str], None],
) -> str:
    """The page of one incident. What it reads of the site and of its neighbours goes to ``reads``."""
    renderer, config, now = build.renderer, build.service.config, build.now
    spans = durations.spans(incident, config.metrics)
    state = reportdata.postmortem_state(incident)
    postmortem_html = None
    if state != reportdata.NO_POSTMORTEM:
        try:  # The same template and text as ``inc postmortem render``, as HTML.
            postmortem_html = renderer.postmortem(incident, config, now)
        except InvalidInput as exc:
            warn(f"its postmortem, left out of the report: {exc}")
    zone = renderer.zone
    days = {e.at.astimezone(zone).date() for e in incident.timeline}
    # The postmortem's own summary facts go in the page's header, once; its document shows
    # only the analysis (render.REPORT_DROPS).
    # (Only from a postmortem that rendered, that is one whose fields have their types.)
    post = incident.extra.get("postmortem") if postmortem_html is not None else None
    post = post if isinstance(post, dict) else {}
    written = {key: str(post.get(key) or "").strip() for key in ("summary", "impact")}
    people = {
        key: [str(p) for p in value if p] if isinstance(value := post.get(key), list) else []
        for key in ("authors", "reviewers")
    }
    neighbours = {}
    for name in ("newer", "older"):
        value = roots[name]
        reads.add((name,), value is not None)
        neighbours[name] = reportdata.Watched(value, (name,), reads) if value is not None else None
    site = reportdata.Watched(
        roots["site"], ("site",), reads, calls=frozenset({"service_entry"}), fixed=frozenset({"severity_rank"})
    )
    return str(
        renderer.render(
            "incident.html",
            page="incident",
            root="../",
            incident=incident,
            level=config.find_severity(incident.severity),
            milestones=[(label, incident.time(name)) for name, label in MILESTONE_LABELS],
            spans=[(metric.label, spans[metric.key]) for metric in config.metrics],
            impact=durations.impact_duration(incident, now),
            overdue=durations.overdue(incident, config, now),
            now=now,
            time_format="%Y-%m-%d %H:%M" if len(days) > 1 else "%H:%M",
            actions=reportdata.action_rows(items, row.incident, build.today),
            postmortem_state=state,
            postmortem_html=postmortem_html,
            postmortem_text=written,
            postmortem_people=people,
            site=site,
            **neighbours,
        )
    )


def _metrics_page(
    renderer: Any,
    facts: list[Facts],
    measured: dict[str, Any],
    config: Config,
    zone: tzinfo,
    common: dict[str, Any],
) -> str:
    stats = reportdata.monthly_stats(facts, config, zone)
    reportdata.with_monthly_resolve(stats, measured.get("groups", []))
    histogram = charts.histogram(stats.resolve_seconds)
    drawn: dict[str, str] = {}
    # Each chart twice: for a wide screen and for a phone (the stylesheet shows one), each
    # drawn for its width so that nothing is cut and its text stays readable.
    for suffix, width in (("", charts.WIDTH), ("_narrow", charts.NARROW_WIDTH)):
        if not stats.months:
            break
        tag = suffix.replace("_", "-")
        drawn[f"per_month{suffix}"] = charts.stacked_bars(
            f"per-month-chart{tag}",
            "Incidents per month, by severity",
            stats.months,
            [
                charts.Series(sev, charts.severity_colour(config.rank(sev)), stats.counts[sev])
                for sev in stats.severities
            ],
            width=width,
        )
        drawn[f"resolve_per_month{suffix}"] = charts.duration_lines(
            "resolve-chart" + tag,
            "Median and p90 time to resolve per month",
            stats.months,
            [
                charts.Series("median", charts.LINE_COLOURS[0], stats.median_resolve),
                charts.Series("p90", charts.LINE_COLOURS[1], stats.p90_resolve),
            ],
            width=width,
        )
        drawn[f"distribution{suffix}"] = charts.bars(
            "distribution-chart" + tag, "Distribution of time to resolve", histogram, width=width
        )
    month_totals = [sum(stats.counts[s][m] for s in stats.severities) for m in range(len(stats.months))]
    return str(
        renderer.render(
            "metrics.html",
            page="metrics",
            root="",
            stats=stats,
            charts=drawn,
            histogram=histogram,
            month_totals=month_totals,
            metrics=measured,
            seconds=lambda value: charts.short_seconds(value) if value is not None else "-",
            **common,
        )
    )


def _actions_page(renderer: Any, actions: list[reportdata.ActionRow], today: date, common: dict[str, Any]) -> str:
    open_groups, done_groups = reportdata.group_actions(actions)
    counts = {
        "open": sum(1 for a in actions if a.open),
        "overdue": sum(1 for a in actions if a.overdue),
        "done": sum(1 for a in actions if not a.open),
        "incidents": len({a.incident.id for a in actions}),
    }
    return str(
        renderer.render(
            "actions.html",
            page="actions",
            root="",
            open_groups=open_groups,
            done_groups=done_groups,
            counts=counts,
            today=today,
            **common,
        )
    )
