"""Use cases for postmortems and action items, on top of a Service.

Every write is a read-modify-write under the repository lock (``Service._editing``);
a refused change leaves the file as it was. No printing.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from incli import __version__
from incli.domain import metrics
from incli.domain import postmortem as pm
from incli.domain.model import Incident, TimelineEntry
from incli.domain.times import parse_duration, parse_stored, parse_time, to_iso
from incli.errors import Conflict, InvalidInput, NotFound
from incli.service.incidents import Service
from incli.storage import yamlio

STATE_FILTERS = (*pm.REVIEW_STATES, pm.MISSING)
POSTMORTEM_EVENT = "postmortem"
ACTION_EVENT = "action"
SORTS = ("newest", "due")  # the orders of inc action list and inc postmortem list


@dataclass
class Overview:
    """One row of ``inc postmortem list``."""

    incident: Incident
    state: str  # pm.state_of: a review state, or pm.MISSING
    due_at: datetime | None
    published_at: datetime | None
    overdue: bool

    @property
    def on_time(self) -> bool | None:
        if self.due_at is None or self.published_at is None:
            return None
        return self.published_at <= self.due_at

    def to_json(self) -> dict[str, Any]:
        return {
            "incident": self.incident.id,
            "title": self.incident.title,
            "severity": self.incident.severity,
            "status": self.incident.status,
            "state": self.state,
            "resolved_at": to_iso(self.incident.resolved_at) if self.incident.resolved_at else None,
            "due_at": to_iso(self.due_at) if self.due_at else None,
            "published_at": to_iso(self.published_at) if self.published_at else None,
            "overdue": self.overdue,
            "on_time": self.on_time,
        }


@dataclass
class ActionRow:
    """An action item with the incident it belongs to."""

    incident: Incident
    action: dict[str, Any]
    overdue: bool

    def to_json(self) -> dict[str, Any]:
        return {**pm.ordered_action(self.action), "incident": self.incident.id, "overdue": self.overdue}


def meeting_time(text: str, now: datetime) -> datetime:
    """A meeting is in the future: ``HH:MM`` is the next such time; ``tomorrow HH:MM`` and every
    other form as ``parse_time`` reads them."""
    raw = text.strip()
    if re.fullmatch(r"\d{1,2}:\d{2}", raw):
        moment = parse_time(f"today {raw}", now)
        return moment if moment >= now else moment + timedelta(days=1)
    return parse_time(raw, now)


class Postmortems:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.store = service.store

    @property
    def settings(self) -> pm.Settings:
        return self.service.config.postmortem

    def today(self) -> date:
        """Today in the configured time zone (action items fall due by that date)."""
        return self.service.config.today(self.service.now())

    @staticmethod
    def _postmortem(incident: Incident) -> dict[str, Any]:
        current = incident.extra.get("postmortem")
        if not isinstance(current, dict):
            raise NotFound(f"{incident.id} has no postmortem yet; start one: inc postmortem new {incident.id}")
        return current

    # -- the postmortem ---------------------------------------------------

    def start(
        self, query: str, *, by: str | None = None, authors: list[str] | None = None, at: str | None = None
    ) -> Incident:
        now = self.service.when(at, self.service.now(), "--at")
        actor = self.service.actor(by)
        with self.service._editing(query, POSTMORTEM_EVENT) as incident:
            if incident.status not in ("mitigated", "resolved"):
                raise Conflict(
                    f"{incident.id} is {incident.status}: a postmortem starts once the incident is mitigated "
                    f"or resolved (inc mitigate {incident.id})"
                )
            if isinstance(incident.extra.get("postmortem"), dict):
                state = pm.state_of(incident)
                raise Conflict(f"{incident.id} already has a postmortem ({state}); change it with inc postmortem edit")
            post = pm.new_postmortem(now, None)
            names = [a.strip() for a in authors or [] if a.strip()] or ([actor] if actor else [])
            post["authors"] = list(dict.fromkeys(names))
            incident.extra["postmortem"] = post
            incident.add_entry(TimelineEntry(at=now, kind="postmortem", by=actor, text="Postmortem started (draft)"))
        return incident

    def add(self, query: str, section: str, text: str) -> tuple[Incident, str]:
        with self.service._editing(query, POSTMORTEM_EVENT) as incident:
            post = self._postmortem(incident)
            key = pm.add_to_section(post, section, text)
            incident.extra["postmortem"] = pm.ordered(post)
        return incident, key

    def add_whys(self, query: str, steps: list[tuple[str, str]]) -> Incident:
        """Save a five-whys chain of (question, answer)."""
        chain = [{"question": q.strip(), "answer": a.strip()} for q, a in steps if a.strip()]
        if not chain:
            raise InvalidInput("no answers given; nothing saved")
        with self.service._editing(query, POSTMORTEM_EVENT) as incident:
            post = self._postmortem(incident)
            post["whys"] = [*(post.get("whys") or []), chain]
            incident.extra["postmortem"] = pm.ordered(post)
        return incident

    def review(
        self,
        query: str,
        state: str,
        *,
        by: str | None = None,
        reviewers: list[str] | None = None,
        at: str | None = None,
    ) -> tuple[Incident, str]:
        now = self.service.now()
        moment = self.service.when(at, now, "--at")
        actor = self.service.actor(by)
        state = state.strip().lower()
        with self.service._editing(query, POSTMORTEM_EVENT) as incident:
            post = self._postmortem(incident)
            old = pm.move_review(post, state, moment)
            names = [r.strip() for r in reviewers or [] if r.strip()]
            if state == "reviewed" and by and actor and actor not in (post.get("authors") or []):
                names.append(actor)  # whoever marks it reviewed reviewed it
            post["reviewers"] = list(dict.fromkeys([*(post.get("reviewers") or []), *names]))
            incident.extra["postmortem"] = pm.ordered(post)
            text = f"Postmortem review: {old} -> {state}"
            if names:
                text += f" (reviewers: {', '.join(dict.fromkeys(names))})"
            incident.add_entry(TimelineEntry(at=moment, kind="postmortem", by=actor, text=text))
        return incident, old

    def edit_text(self, query: str) -> tuple[Incident, bytes]:
        """The incident and its postmortem as the text ``inc postmortem edit`` opens."""
        incident = self.service.get(query)
        return incident, self._edit_text(incident)

    def _edit_text(self, incident: Incident) -> bytes:
        text = (
            f"# Postmortem of {incident.id}: {incident.title}\n"
            "# Save and quit to keep your changes; a version that does not validate is not saved.\n"
            + yamlio.dump(self._postmortem(incident))
        )
        return text.encode("utf-8")

    def replace_text(self, query: str, base: bytes, text: bytes) -> Incident:
        """Save a postmortem edited by hand (``edit_text``'s form); refused when it does not
        validate, or when the postmortem changed since ``base`` was read."""
        try:
            edited = yamlio.load(text)
        except yamlio.YamlError as exc:
            raise InvalidInput(f"line {exc.line}: {exc}" if exc.line else str(exc)) from None
        problems = pm.postmortem_problems(edited)
        if edited is None:
            problems = [("postmortem", "is empty")]
        if problems:
            key, message = problems[0]
            raise InvalidInput(f"{key}: {message}")
        with self.service._editing(query, POSTMORTEM_EVENT) as incident:
            if self._edit_text(incident) != base:
                raise Conflict(f"the postmortem of {incident.id} changed while you were editing")
            incident.extra["postmortem"] = pm.ordered(edited)
        return incident

    def overview(self, *, state: str | None = None, overdue: bool = False, sort: str = "due") -> list[Overview]:
        """Every postmortem, and every resolved incident that owes one, with its due date:
        soonest due first, or (sort="newest") newest incident first."""
        if sort not in SORTS:
            raise InvalidInput(f"unknown order {sort!r}; one of {', '.join(SORTS)}")
        if state is not None and state not in STATE_FILTERS:
            raise InvalidInput(f"unknown state {state!r}; one of {', '.join(STATE_FILTERS)}")
        settings = self.settings
        now = self.service.now()
        rows: list[Overview] = []
        for incident in self.service.all():
            post = incident.extra.get("postmortem")
            due = pm.due_at(incident, settings)
            if not isinstance(post, dict) and (due is None or incident.drill):
                continue
            current = pm.state_of(incident)
            row = Overview(
                incident,
                current,
                due,
                pm.published_at(post if isinstance(post, dict) else None),
                pm.is_overdue(incident, settings, now),
            )
            if state is not None and row.state != state:
                continue
            if overdue and not row.overdue:
                continue
            rows.append(row)
        if sort == "newest":
            rows.sort(key=lambda r: (r.incident.opened_at, r.incident.id), reverse=True)
        else:
            far = datetime.max.replace(tzinfo=now.tzinfo)
            rows.sort(key=lambda r: (r.due_at or far, r.incident.id))
        return rows

    def check(self, query: str | None, *, every: bool = False) -> tuple[int, list[pm.Finding]]:
        """Findings for one postmortem, or for every incident that has one."""
        settings = self.settings
        if every:
            targets = [i for i in self.service.all() if isinstance(i.extra.get("postmortem"), dict)]
            targets.sort(key=lambda i: i.id)
        else:
            if not query:
                raise InvalidInput("give an incident id, or --all to check every postmortem")
            targets = [self.service.get(query)]
        findings: list[pm.Finding] = []
        for incident in targets:
            findings.extend(pm.check(incident, settings))
        return len(targets), findings

    def organizer(self, given: str | None) -> str:
        """Who sends the review invitation (RFC 5546: a METHOD:REQUEST needs an ORGANIZER):
        ``--organizer``, else git's user.email; InvalidInput asking for --organizer otherwise."""
        if given is not None:
            email = given.strip().removeprefix("mailto:")
            if not _is_email(email):
                raise InvalidInput(f"--organizer {email!r} is not an email address")
            return email
        from incli.storage import gitinfo

        found = gitinfo.user_email(self.service.repo.root)
        if found is None:
            raise InvalidInput("an invitation needs an organizer and git has no user.email: give --organizer EMAIL")
        email = found.removeprefix("mailto:")
        if not _is_email(email):
            raise InvalidInput(f"git's user.email {found!r} is not an email address: give --organizer EMAIL")
        return email

    def invitation(
        self,
        query: str,
        *,
        at: str,
        duration: str = "60m",
        attendees: list[str] | None = None,
        organizer: str | None = None,
    ) -> str:
        """An iCalendar invitation for the review meeting."""
        from incli.domain.ical import invitation

        incident = self.service.get(query)
        now = self.service.now()
        start = meeting_time(at, now)
        length = parse_duration(duration)
        if length <= timedelta(0):
            raise InvalidInput("--duration must be longer than zero")
        emails = []
        for raw in attendees or []:
            email = raw.strip().removeprefix("mailto:")
            if not _is_email(email):
                raise InvalidInput(f"{raw!r} is not an email address")
            emails.append(email)
        organizer = self.organizer(organizer)
        stamp = start.astimezone().strftime("%Y%m%dT%H%M%S")
        description = f"Postmortem review of {incident.id} ({incident.severity}): {incident.title}"
        if incident.summary:
            description += f"\n\n{incident.summary}"
        description += f"\n\nRender it with: inc postmortem render {incident.id}"
        return invitation(
            uid=f"{incident.id}-review-{stamp}@incli",
            stamp=now,
            start=start,
            end=start + length,
            summary=f"Postmortem review: {incident.title} ({incident.id})",
            description=description,
            attendees=list(dict.fromkeys(emails)),
            organizer=organizer,
            version=__version__,
        )

    # -- action items -----------------------------------------------------

    def add_action(
        self, query: str, title: str, *, owner: str | None, due: str | None, priority: str | None = None
    ) -> tuple[Incident, dict[str, Any]]:
        now = self.service.now()
        due_date = pm.parse_due(due, self.today()) if due else None
        taken = {str(a.get("id")) for i in self.service.all() for a in pm.actions_of(i)}
        action = pm.new_action(pm.new_action_id(taken), title, owner, due_date, priority, now)
        with self.service._editing(query, ACTION_EVENT) as incident:
            raw = incident.extra.get("actions")
            current = raw if isinstance(raw, list) else []
            incident.extra["actions"] = [*current, action]
        return incident, action

    def find_action(self, query: str) -> tuple[Incident, dict[str, Any]]:
        wanted = query.strip().lower()
        if not wanted:
            raise InvalidInput("give an action id, e.g. ACT-7kq2x (see inc action list)")
        pairs = [(i, a) for i in self.service.all() for a in pm.actions_of(i)]
        exact = [(i, a) for i, a in pairs if str(a.get("id", "")).lower() == wanted]
        found = exact or [(i, a) for i, a in pairs if wanted in str(a.get("id", "")).lower()]
        if not found:
            raise NotFound(f"no action item matches {query!r}; see inc action list")
        if len(found) > 1:
            shown = ", ".join(str(a.get("id")) for _i, a in found[:10])
            raise Conflict(f"{query!r} is ambiguous: it matches {shown}")
        return found[0]

    def set_action_status(self, query: str, status: str, note: str | None = None) -> tuple[Incident, dict[str, Any]]:
        owner_incident, target = self.find_action(query)
        action_id = target["id"]
        now = self.service.now()
        with self.service._editing(owner_incident.id, ACTION_EVENT) as incident:
            for action in pm.actions_of(incident):
                if action.get("id") == action_id:
                    break
            else:  # pragma: no cover - removed between the read and the lock
                raise NotFound(f"action item {action_id} is gone from {incident.id}")
            if action.get("status") == status:
                raise Conflict(f"{action_id} is already {status}")
            action["status"] = status
            action["updated_at"] = to_iso(now)
            action["done_at"] = to_iso(now) if status == "done" else None
            if note is not None and note.strip():
                action["note"] = note.strip()
            incident.extra["actions"] = [
                pm.ordered_action(a) if a.get("id") == action_id else a for a in incident.extra["actions"]
            ]
        return incident, pm.ordered_action(action)

    def actions(
        self,
        *,
        only_open: bool = False,
        overdue: bool = False,
        owner: str | None = None,
        incident: str | None = None,
        sort: str = "due",
    ) -> list[ActionRow]:
        """Action items across every incident: soonest due first, or (sort="newest") newest first."""
        if sort not in SORTS:
            raise InvalidInput(f"unknown order {sort!r}; one of {', '.join(SORTS)}")
        today = self.today()
        incident_id = self.store.resolve_id(incident) if incident else None
        rows: list[ActionRow] = []
        for item in self.service.all():
            if incident_id and item.id != incident_id:
                continue
            for action in pm.actions_of(item):
                late = pm.action_overdue(action, today)
                if only_open and action.get("status") != "open":
                    continue
                if overdue and not late:
                    continue
                if owner and str(action.get("owner") or "").lower() != owner.strip().lower():
                    continue
                rows.append(ActionRow(item, action, late))
        if sort == "newest":  # when the item was added, else when its incident was opened
            rows.sort(key=lambda r: (_added(r), r.incident.id, str(r.action.get("id"))), reverse=True)
        else:
            rows.sort(key=lambda r: (pm.action_due(r.action) or date.max, r.incident.id, str(r.action.get("id"))))
        return rows

    def action_totals(self) -> tuple[int, int]:
        """(open, overdue) action items across every incident, counted from the index (no file
        is parsed for it), by the rule ``inc metrics`` counts them with."""
        counts = metrics.action_totals(self.store.action_counts(), self.today())
        return counts["open"], counts["overdue"]

    def action_counts(self, incident: Incident) -> tuple[int, int]:
        """(open, overdue) action items of one incident."""
        today = self.today()
        actions = pm.actions_of(incident)
        return (
            sum(1 for a in actions if a.get("status") == "open"),
            sum(1 for a in actions if pm.action_overdue(a, today)),
        )


def _added(row: ActionRow) -> datetime:
    """When an action item was added (its created_at), else when its incident was opened."""
    created = row.action.get("created_at")
    if created:
        with contextlib.suppress(ValueError):
            return parse_stored(created)
    return row.incident.opened_at


def _is_email(text: str) -> bool:
    """Enough of an address for a calendar line: an @ and nothing that would break the line."""
    return "@" in text and not any(c in text for c in ' ,;:<>"\r\n')
