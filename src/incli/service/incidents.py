"""The use cases: what each command does, without printing.

A Service works on one repository with a clock (so tests and backfills can
fix "now") and a way to learn who is acting. Every change is a read-modify-write
under the repository lock, validated before it is written: a refused change
leaves the file as it was.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from incli.domain import lifecycle, times
from incli.domain.model import ACTIVE_STATUSES, ROLES, Incident, TimelineEntry, service_key, set_assumed
from incli.domain.times import check_not_future, parse_time
from incli.errors import Conflict, InvalidInput, MissingOption, NotFound
from incli.storage import gitinfo
from incli.storage.repo import Repository
from incli.storage.store import Store

if TYPE_CHECKING:
    from incli.domain.metrics import Facts

STATUS_FILTERS = ("open", "acknowledged", "mitigated", "resolved", "reopened", "active")


# (event, the incident, or None for a batch such as inc import, the paths written)
Listener = Callable[[str, Incident | None, list[Path]], None]
# Each incident's facts, and a way to read its --json text (None when not asked for)
Listing = list[tuple["Facts", Callable[[], bytes] | None]]


class Draft(NamedTuple):
    """An editor draft in ``.incli/drafts/``: the text being edited, and the saved
    version it started from (so a resumed draft still notices a change made on
    disk meanwhile). A draft is only deleted once its text is saved or unchanged."""

    path: Path
    base: bytes  # the saved text the draft started from
    resumed: bool  # True: an earlier, unsaved edit is being continued

    @property
    def _base_path(self) -> Path:
        return self.path.with_name(self.path.name + ".base")

    def text(self) -> bytes:
        return self.path.read_bytes()

    def discard(self) -> None:
        for path in (self.path, self._base_path):
            path.unlink(missing_ok=True)


class Change(NamedTuple):
    """What a write did: the incident after it, and the timeline entry it added."""

    incident: Incident
    entry: TimelineEntry


class Service:
    def __init__(
        self,
        repo: Repository,
        clock: Callable[[], datetime] | None = None,
        user: Callable[[], str | None] | None = None,
    ) -> None:
        self.repo = repo
        self.config = repo.config
        self.store = Store(repo)
        # The wall clock unless one is given; looked up when called, so a test can fix it
        # for every command at once (tests/conftest.py ``frozen_clock``).
        self._clock = clock or (lambda: times.now_utc())
        self._user = user or (lambda: gitinfo.user_name(repo.root))
        # Called after every successful write with (event, incident, paths written).
        # Events are the timeline kinds (opened, acknowledged, note, ...). The CLI
        # wires notification hooks and git auto-commit here; a listener's failure
        # must never undo the write (the incident is already saved).
        self.listeners: list[Listener] = []

    def emit(self, event: str, incident: Incident | None, paths: list[Path]) -> None:
        for listener in self.listeners:
            listener(event, incident, paths)

    # -- helpers ---------------------------------------------------------

    def set_clock(self, moment: datetime) -> None:
        """Fix "now" for this command (inc remind --at: step the clock for tests and backfills)."""
        self._clock = lambda: moment

    def now(self) -> datetime:
        # Kept to the microsecond, like the alert times it is compared with (a receipt
        # cut to the second could come before the alert it announces).
        return self._clock()

    def when(self, text: str | None, now: datetime, what: str = "time") -> datetime:
        """A typed time (default now), refused when it is in the future."""
        if text is None:
            return now
        moment = parse_time(text, now)
        check_not_future(moment, now, what)
        return moment

    def actor(self, by: str | None) -> str | None:
        if by is not None:
            by = by.strip()
            if not by:
                raise InvalidInput("--by is empty; give a name")
            return by
        return self._user()

    def paging_in_use(self) -> bool:
        """Paging is in use once the repository has a schedule (``oncall/*.yaml``) or an
        ``escalation:`` policy (service/paging.py); checked without importing paging, so the
        commands of a repository that is not on call never pay for it."""
        config = self.config
        if any(s.escalation for s in config.severities) or config.escalation:
            return True
        if not self.repo.schedules_dir.is_dir():
            return False
        from incli.storage.schedules import Schedules

        return bool(Schedules(self.repo).names())

    def runbooks_in_use(self, incident: Incident) -> bool:
        """Whether a runbook could apply to this incident: the repository has a runbooks:
        section or a catalog, or the incident came from an alert (service/runbooks.py says
        which); checked without importing the runbook code."""
        from incli.storage.repo import CATALOG_FILE

        return (
            self.config.has("runbooks")
            or os.path.lexists(self.repo.root / CATALOG_FILE)
            or bool(incident.extra.get("source"))
        )

    def resolve_id(self, query: str | None) -> str:
        """An id from any unambiguous part of it, or the one active incident."""
        if query is not None and query.strip():
            return self.store.resolve_id(query)
        active = self.active()
        if len(active) == 1:
            return active[0].id
        if not active:
            raise NotFound("no incident is active; give an incident id (see inc list)")
        listed = ", ".join(f"{i.id} ({i.title})" for i in active[:10])
        raise Conflict(f"{len(active)} incidents are active; give one of: {listed}")

    @contextmanager
    def _editing(self, query: str | None, event: str) -> Iterator[Incident]:
        """Lock, read, let the caller change the incident, write it back, then emit ``event``.

        If the caller raises, nothing is written.
        """
        incident_id = self.resolve_id(query)
        with self.store.locked():
            incident = self.store.load(incident_id)
            yield incident
            path = self.store.save(incident)
        self.emit(event, incident, [path])

    # -- drafts (the $EDITOR loop of inc edit and inc postmortem edit) ------

    def draft(self, name: str, base: bytes, text: bytes | None = None) -> Draft:
        """The draft ``name``: an unsaved one left by an earlier edit is resumed, never
        overwritten; otherwise a new one holding ``text`` (default ``base``)."""
        from incli.storage.atomic import atomic_write

        folder = self.repo.ensure_state_dir() / "drafts"
        folder.mkdir(exist_ok=True)
        path = folder / name
        base_path = path.with_name(name + ".base")
        if path.is_file():
            kept = path.read_bytes()
            earlier = base_path.read_bytes() if base_path.is_file() else base
            if kept != (text if text is not None else base) or earlier != base:
                return Draft(path, earlier, resumed=True)
        atomic_write(base_path, base)
        atomic_write(path, text if text is not None else base)
        return Draft(path, base, resumed=False)

    # -- editing a file by hand (inc edit) ---------------------------------

    def file_text(self, query: str) -> tuple[str, bytes]:
        """An incident's id and its file's exact bytes."""
        incident_id = self.resolve_id(query)
        path = self.store.path_for(incident_id)
        try:
            return incident_id, self.store.read_bytes(path)
        except OSError as exc:
            raise NotFound(f"cannot read {path}: {exc.strerror or exc}") from None

    def file_problems(self, incident_id: str, data: bytes) -> list[str]:
        """What ``inc validate`` would say of this text as the incident's file (empty: fine)."""
        from incli.service.validate import check_file

        path = self.store.path_for(incident_id)
        _id, findings = check_file(path, data, self.repo)
        return [f"line {f.line}: {f.message}" if f.line else f.message for f in findings]

    def replace_file(self, incident_id: str, base: bytes, data: bytes) -> Incident:
        """Save hand-edited text as the incident's file, exactly as written. Refused when it
        does not validate, or when the file changed since ``base`` was read. Hooks and
        auto-commit see it as the event ``edited``."""
        problems = self.file_problems(incident_id, data)
        if problems:
            raise InvalidInput(problems[0])
        with self.store.locked():
            path = self.store.path_for(incident_id)
            current = self.store.read_bytes(path)
            if current != base:
                # Someone wrote meanwhile (a note from another terminal): merge the hand edit
                # into it as the git merge driver would; refuse only what cannot be merged.
                data = self._merged_edit(incident_id, base, data, current)
            self.store.write_bytes(incident_id, data)
            incident = self.store.load(incident_id)
        self.emit("edited", incident, [path])
        return incident

    def _merged_edit(self, incident_id: str, base: bytes, edited: bytes, current: bytes) -> bytes:
        from incli.domain.merge import MergeError, merge
        from incli.storage import yamlio

        try:
            merged = merge(
                yamlio.load(base), yamlio.load(edited), yamlio.load(current), [s.id for s in self.config.severities]
            )
        except (MergeError, yamlio.YamlError) as exc:
            raise Conflict(
                f"{incident_id} changed while you were editing and the two cannot be merged ({exc})"
            ) from None
        data = yamlio.dump(merged).encode("utf-8")
        problems = self.file_problems(incident_id, data)
        if problems:
            raise Conflict(
                f"{incident_id} changed while you were editing; merged, it would not validate: {problems[0]}"
            )
        return data

    # -- reading ---------------------------------------------------------

    def all(self) -> list[Incident]:
        return self.store.load_all()

    def active(self) -> list[Incident]:
        # The index says which are active; only those few files are read in full.
        return [incident for _facts, incident in self.store.active()]

    def get(self, query: str | None) -> Incident:
        return self.store.load(self.resolve_id(query))

    def list_facts(
        self,
        status: str | None = None,
        severity: str | None = None,
        service: str | None = None,
        since: str | None = None,
        *,
        with_json: bool = False,
    ) -> Listing:
        """Like ``list`` (same filters, newest first), from the index: each incident's facts,
        and its ``--json`` text when asked for. Fast on thousands of incidents."""
        if status is not None and status not in STATUS_FILTERS:
            raise InvalidInput(f"unknown status {status!r}; one of {', '.join(STATUS_FILTERS)}")
        sev_id = self.config.severity_filter(severity) if severity else None
        since_at = parse_time(since, self.now()).timestamp() if since else None
        wanted = service_key(service)
        rows: Iterable[tuple[Facts, Callable[[], bytes] | None]] = (
            self.store.facts_and_json() if with_json else ((f, None) for f in self.store.facts())
        )
        from incli.domain.metrics import TIME_INDEX

        opened = TIME_INDEX["opened_at"]
        found = []
        for facts, text in rows:
            if status == "active" and facts.status not in ACTIVE_STATUSES:
                continue
            if status not in (None, "active") and facts.status != status:
                continue
            if sev_id and facts.severity != sev_id:
                continue
            if wanted and service_key(facts.service) != wanted:
                continue
            if since_at is not None and (facts.times[opened] or 0) < since_at:
                continue
            found.append((facts, text))
        found.sort(key=lambda pair: (pair[0].times[opened] or 0, pair[0].id), reverse=True)
        return found

    # -- writing ---------------------------------------------------------

    def open(
        self,
        title: str,
        severity: str | None,
        *,
        service: str | None = None,
        summary: str | None = None,
        at: str | None = None,
        started_at: str | None = None,
        detected_at: str | None = None,
        by: str | None = None,
        commander: str | None = None,
        tags: Iterable[str] = (),
        drill: bool = False,
        public_title: str | None = None,
        private: bool = False,
    ) -> Incident:
        title = title.strip()
        if not title:
            raise InvalidInput("the title is empty; say in a few words what is wrong")
        if severity is None:
            severity = self.config.defaults.severity
        if severity is None:
            raise MissingOption(
                "missing option '--severity': give one, or set defaults: {severity: SEV3} in incli.yaml "
                "(see inc open --help)"
            )
        level = self.config.severity(severity)
        now = self.now()
        opened = self.when(at, now, "--at")
        started = self.when(started_at, now, "--started-at") if started_at else None
        detected = self.when(detected_at, now, "--detected-at") if detected_at else None
        if started is not None and started > opened:
            raise Conflict(
                f"impact started at {started.isoformat()}, after the incident was declared at {opened.isoformat()}"
            )
        detected = detected or opened
        started = started or min(detected, opened)
        if detected < started:
            raise Conflict(f"detected at {detected.isoformat()} is before impact started at {started.isoformat()}")
        if opened < detected:
            raise Conflict(f"declared at {opened.isoformat()} is before it was detected at {detected.isoformat()}")
        actor = self.actor(by)
        clean_tags = [t.strip() for t in tags if t.strip()]
        incident = Incident(
            id="",
            title=title,
            severity=level.id,
            opened_at=opened,
            started_at=started,
            detected_at=detected,
            service=(service or "").strip() or None,
            summary=(summary or "").strip() or None,
            commander=(commander or "").strip() or None,
            tags=list(dict.fromkeys(clean_tags)),
            drill=drill,
        )
        if public_title is not None:
            incident.extra["public_title"] = _public_title(public_title)
        if private:
            incident.extra["private"] = True
        # A time nobody gave is recorded as assumed: metrics leave it out (a detection
        # "at declaration" would make every time to detect zero).
        set_assumed(
            incident.extra,
            [name for name, given in (("started_at", started_at), ("detected_at", detected_at)) if not given],
        )
        if self.config.has("checklists"):
            from incli.service.runbooks import attach_checklist

            attach_checklist(incident, self.config)  # the severity's response checklist, if any
        label = "Drill opened" if drill else "Opened"
        incident.add_entry(TimelineEntry(at=opened, kind="opened", by=actor, text=f"{label} as {level.id}: {title}"))
        if incident.commander:
            incident.add_entry(
                TimelineEntry(at=opened, kind="assigned", by=actor, text=f"{incident.commander} is commander")
            )
        path = self.store.create(incident)
        assert path is not None  # a fresh id is always found or StorageError is raised
        self.emit("opened", incident, [path])
        return incident

    def transition(
        self, query: str | None, action: str, *, at: str | None = None, by: str | None = None, note: str | None = None
    ) -> Change:
        now = self.now()
        moment = self.when(at, now, "--at")
        actor = self.actor(by)
        with self._editing(query, lifecycle.TRANSITIONS[action].kind) as incident:
            entry = lifecycle.apply(incident, action, moment, now, actor, note)
        return Change(incident, entry)

    def add_entry(
        self,
        query: str | None,
        kind: str,
        text: str,
        *,
        at: str | None = None,
        by: str | None = None,
        public: bool = False,
    ) -> Change:
        """A note, or a stakeholder update (kind ``update``); ``public``: an update the status
        page shows (``public: true`` on the entry)."""
        text = text.strip()
        if not text:
            raise InvalidInput(f"the {kind} is empty; write what happened")
        if public:
            from incli.domain.statuspage import too_long

            too_long(text, "public update")
        now = self.now()
        moment = self.when(at, now, "--at")
        actor = self.actor(by)
        with self._editing(query, kind) as incident:
            entry = TimelineEntry(at=moment, kind=kind, by=actor, text=text, extra={"public": True} if public else {})
            incident.add_entry(entry)
        return Change(incident, entry)

    def set_public_title(self, query: str, title: str) -> Incident:
        """The title the status page shows instead of the internal one."""
        text = _public_title(title)
        with self._editing(query, "public_title") as incident:
            if incident.extra.get("public_title") == text:
                raise Conflict(f"{incident.id} already has that public title")
            incident.extra["public_title"] = text
        return incident

    def set_private(self, query: str) -> Incident:
        """Keep the incident off the status page (``private: true``)."""
        with self._editing(query, "private") as incident:
            if incident.extra.get("private") is True:
                raise Conflict(f"{incident.id} is already private")
            incident.extra["private"] = True
        return incident

    def change_severity(
        self, query: str, severity: str, *, at: str | None = None, by: str | None = None, note: str | None = None
    ) -> Change:
        level = self.config.severity(severity)
        now = self.now()
        moment = self.when(at, now, "--at")
        actor = self.actor(by)
        with self._editing(query, "severity_changed") as incident:
            if incident.severity == level.id:
                raise Conflict(f"{incident.id} is already {level.id}")
            text = f"Severity {incident.severity} -> {level.id}"
            if note and note.strip():
                text += f": {note.strip()}"
            incident.severity = level.id
            entry = TimelineEntry(at=moment, kind="severity_changed", by=actor, text=text)
            incident.add_entry(entry)
        return Change(incident, entry)

    def assign(self, query: str, role: str, name: str, *, at: str | None = None, by: str | None = None) -> Change:
        role = role.strip().lower()
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        name = name.strip()
        if not name:
            raise InvalidInput("the name is empty; say who takes the role")
        now = self.now()
        moment = self.when(at, now, "--at")
        actor = self.actor(by)
        with self._editing(query, "assigned") as incident:
            previous = incident.commander if role == "commander" else incident.roles.get(role)
            if previous == name:
                raise Conflict(f"{name} is already {role} of {incident.id}")
            if role == "commander":
                incident.commander = name
            else:
                incident.roles[role] = name
            text = f"{name} is {role}" + (f" (was {previous})" if previous else "")
            entry = TimelineEntry(at=moment, kind="assigned", by=actor, text=text)
            incident.add_entry(entry)
        return Change(incident, entry)


def _public_title(title: str) -> str:
    from incli.domain.statuspage import too_long

    text = " ".join(title.split())
    if not text:
        raise InvalidInput("the public title is empty; say in a few words what customers notice")
    too_long(text, "public title")
    return text
