"""Blameless postmortems and action items: their shape, review states, due dates
and the checks a CI gate runs. Pure functions over plain data; no I/O.

The postmortem is stored in ``Incident.extra["postmortem"]`` and the action items
in ``Incident.extra["actions"]`` (see the data contract in the README).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from incli.domain import ids as idmod
from incli.domain.model import Incident
from incli.domain.severity import Severities, unknown_key
from incli.domain.times import parse_duration, parse_stored, to_iso
from incli.errors import ConfigError, Conflict, InvalidInput

REVIEW_STATES = ("draft", "in-review", "reviewed", "published")
# The state of an incident that has no postmortem: the one word for it in inc postmortem
# render, inc postmortem list (and its --state filter), inc show and the report.
MISSING = "missing"
TEXT_FIELDS = ("summary", "impact", "trigger", "detection", "resolution")
LIST_FIELDS = ("root_causes", "contributing_factors", "went_well", "could_improve", "lucky", "lessons")
PEOPLE_FIELDS = ("authors", "reviewers")
# What the status page shows of the postmortem once it is published (nothing else of it appears);
# written only when given (``inc postmortem add ID public-summary TEXT``).
PUBLIC_SUMMARY = "public_summary"
# Keys in the order they are written.
POSTMORTEM_ORDER = (
    "state",
    "created_at",
    "published_at",
    *PEOPLE_FIELDS,
    *TEXT_FIELDS,
    *LIST_FIELDS,
    "whys",
    PUBLIC_SUMMARY,
)
# What ``inc postmortem add ID SECTION TEXT`` accepts, and the key each names.
SECTIONS = {
    "summary": "summary",
    "impact": "impact",
    "trigger": "trigger",
    "detection": "detection",
    "resolution": "resolution",
    "root-cause": "root_causes",
    "contributing-factor": "contributing_factors",
    "went-well": "went_well",
    "could-improve": "could_improve",
    "lucky": "lucky",
    "lesson": "lessons",
    "public-summary": PUBLIC_SUMMARY,
}

ACTION_STATUSES = ("open", "done")
ACTION_ORDER = ("id", "title", "owner", "due", "priority", "status", "created_at", "updated_at", "done_at", "note")
ACTION_PREFIX = "ACT"

DEFAULT_DUE = {"SEV1": "48h", "SEV2": "48h", "SEV3": "5d", "SEV4": None}
DEFAULT_REQUIRED = ("summary", "impact", "root_causes", "action_items")
DEFAULT_WHYS = 5
# Blaming language: (label shown in the finding, pattern). Word boundaries keep
# "faulty" and "fault tolerance" out.
BLAME_PHRASES: tuple[tuple[str, str], ...] = (
    ("human error", r"\bhuman[\s-]+errors?\b"),
    ("should have", r"\bshould(?:\s+have|'ve)\b"),
    ("careless", r"\bcareless(?:ly|ness)?\b"),
    ("fault", r"\bfault(?:s)?\b(?![\s-]*(?:toleran|inject|domain|isolat))"),
    ("failed to", r"\bfail(?:ed|s)?\s+to\b"),
    ("forgot", r"\bforg(?:o|e)t(?:ten|ting)?\b"),
    ("blame", r"\bblam(?:e|ed|es|ing)\b"),
)


# -- settings -------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The ``postmortem:`` section of incli.yaml."""

    due: dict[str, timedelta | None] = field(default_factory=dict)
    required_sections: tuple[str, ...] = DEFAULT_REQUIRED
    whys: int = DEFAULT_WHYS
    blame_phrases: tuple[tuple[str, str], ...] = BLAME_PHRASES


def settings_from_config(section: Any, severities: Severities | None = None) -> Settings:
    """Read the ``postmortem`` config section; ConfigError names what is wrong.

    ``due`` may name only severities the repository has (when ``severities`` is given).
    """
    raw = section or {}
    if not isinstance(raw, dict):
        raise ConfigError("postmortem", "must be a mapping (due, required_sections, whys, blame_phrases)")
    unknown_key(raw, ("due", "required_sections", "whys", "blame_phrases"), "postmortem")
    due_raw = raw.get("due")
    due_text: dict[str, Any] = dict(DEFAULT_DUE)
    if due_raw is not None:
        if not isinstance(due_raw, dict):
            raise ConfigError("postmortem.due", "must map a severity to a duration such as 48h or 5d")
        due_text.update(due_raw)
    due: dict[str, timedelta | None] = {}
    for sev, spec in due_text.items():
        given = severities is not None and due_raw is not None and sev in due_raw
        if given and severities is not None and severities.find_severity(str(sev)) is None:
            levels = ", ".join(s.id for s in severities.severities)
            raise ConfigError(f"postmortem.due.{sev}", f"no such severity; known: {levels}")
        if (spec is not None and not isinstance(spec, (str, int))) or isinstance(spec, bool):
            raise ConfigError(f"postmortem.due.{sev}", "must be a duration such as 48h or 5d, or empty for none")
        try:
            due[str(sev)] = parse_duration(str(spec)) if spec not in (None, "") else None
        except InvalidInput as exc:
            raise ConfigError(f"postmortem.due.{sev}", str(exc)) from None
    required = raw.get("required_sections", list(DEFAULT_REQUIRED))
    known = set(TEXT_FIELDS) | set(LIST_FIELDS) | {"whys", "action_items"}
    if not isinstance(required, list) or any(not isinstance(r, str) or r not in known for r in required):
        raise ConfigError("postmortem.required_sections", f"must be a list of: {', '.join(sorted(known))}")
    whys = raw.get("whys", DEFAULT_WHYS)
    if isinstance(whys, bool) or not isinstance(whys, int) or whys < 1:
        raise ConfigError("postmortem.whys", "must be a whole number of at least 1")
    extra = raw.get("blame_phrases") or []
    if not isinstance(extra, list) or not all(isinstance(p, str) and p.strip() for p in extra):
        raise ConfigError("postmortem.blame_phrases", "must be a list of phrases")
    phrases = BLAME_PHRASES + tuple((p.strip(), r"\b" + re.escape(p.strip()) + r"\b") for p in extra)
    return Settings(due=due, required_sections=tuple(required), whys=whys, blame_phrases=phrases)


# -- the postmortem -------------------------------------------------------


def new_postmortem(now: datetime, author: str | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "state": "draft",
        "created_at": to_iso(now),
        "published_at": None,
        "authors": [author] if author else [],
        "reviewers": [],
    }
    for key in TEXT_FIELDS:
        data[key] = None
    for key in LIST_FIELDS:
        data[key] = []
    data["whys"] = []
    return data


def state_of_postmortem(postmortem: Any) -> str:
    """The review state of a stored postmortem value: ``missing`` when there is none (or it
    is not a mapping), ``draft`` when it has no state yet, else its state."""
    if not isinstance(postmortem, dict):
        return MISSING
    state = postmortem.get("state")
    return str(state) if state else "draft"


def state_of(incident: Incident) -> str:
    """An incident's postmortem state, as every command and the report show it."""
    return state_of_postmortem(incident.extra.get("postmortem"))


def ordered(postmortem: dict[str, Any]) -> dict[str, Any]:
    """The postmortem with its keys in the written order; unknown keys kept at the end."""
    data = {key: postmortem.get(key) for key in POSTMORTEM_ORDER}
    for key in (*PEOPLE_FIELDS, *LIST_FIELDS, "whys"):
        if data[key] is None:
            data[key] = []
    if data[PUBLIC_SUMMARY] is None:
        del data[PUBLIC_SUMMARY]
    data.update({k: v for k, v in postmortem.items() if k not in POSTMORTEM_ORDER})
    return data


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


def postmortem_problems(raw: Any) -> list[tuple[str, str]]:
    """What is wrong with a stored postmortem: (key, message) pairs; empty when fine."""
    if raw is None:
        return []
    if not isinstance(raw, dict):
        return [("postmortem", "expected a mapping (state, summary, root_causes, ...)")]
    problems: list[tuple[str, str]] = []
    state = raw.get("state")
    if state not in REVIEW_STATES:
        problems.append(("postmortem.state", f"expected one of {', '.join(REVIEW_STATES)}, found {state!r}"))
    for key in ("created_at", "published_at"):
        value = raw.get(key)
        if value is None:
            if key == "created_at":
                problems.append((f"postmortem.{key}", "missing"))
            continue
        try:
            parse_stored(value)
        except ValueError as exc:
            problems.append((f"postmortem.{key}", str(exc)))
    if state == "published" and raw.get("published_at") is None:
        problems.append(("postmortem.published_at", "missing, though the state is published"))
    for key in (*TEXT_FIELDS, PUBLIC_SUMMARY):
        value = raw.get(key)
        if value is not None and not _is_text(value):
            problems.append((f"postmortem.{key}", f"expected text, found {type(value).__name__} (quote it)"))
    for key in (*PEOPLE_FIELDS, *LIST_FIELDS):
        value = raw.get(key)
        if value is None:
            continue
        if not isinstance(value, list):
            problems.append((f"postmortem.{key}", "expected a list of text"))
            continue
        for index, item in enumerate(value):
            if not _is_text(item):
                problems.append((f"postmortem.{key}[{index}]", f"expected text, found {item!r} (quote it)"))
    whys = raw.get("whys")
    if whys is not None:
        if not isinstance(whys, list):
            problems.append(("postmortem.whys", "expected a list of chains"))
        else:
            for c, chain in enumerate(whys):
                if not isinstance(chain, list):
                    problems.append((f"postmortem.whys[{c}]", "expected a list of {question, answer}"))
                    continue
                for s, step in enumerate(chain):
                    if (
                        not isinstance(step, dict)
                        or not _is_text(step.get("question"))
                        or not _is_text(step.get("answer"))
                    ):
                        problems.append((f"postmortem.whys[{c}][{s}]", "expected {question: text, answer: text}"))
    conflicts = raw.get("conflicts")
    if conflicts is not None and (not isinstance(conflicts, list) or not all(_is_text(c) for c in conflicts)):
        problems.append(("postmortem.conflicts", "expected a list of section names"))
    unknown = sorted(set(raw) - set(POSTMORTEM_ORDER) - {"conflicts"})
    for key in unknown:
        problems.append((f"postmortem.{key}", "unknown field"))
    return problems


MERGE_CONFLICT_HINT = (
    "a merge kept two versions ([merge: ours] / [merge: theirs]); reconcile the text with "
    "inc postmortem edit and remove the section from postmortem.conflicts"
)


def merge_conflicts(postmortem: Any) -> list[str]:
    """The sections a merge left with two versions for a human to reconcile."""
    if not isinstance(postmortem, dict) or not isinstance(postmortem.get("conflicts"), list):
        return []
    return [str(c) for c in postmortem["conflicts"] if c]


def items(postmortem: dict[str, Any], key: str) -> list[str]:
    """A list section's non-empty entries."""
    value = postmortem.get(key) or []
    return [str(v) for v in value if str(v).strip()] if isinstance(value, list) else []


def add_to_section(postmortem: dict[str, Any], section: str, text: str) -> str:
    """Append ``text`` to a section named as the user types it; return the key."""
    key = SECTIONS.get(section.strip().lower().replace("_", "-"))
    if key is None:
        key = section if section in SECTIONS.values() else None
    if key is None:
        raise InvalidInput(f"unknown section {section!r}; one of {', '.join(SECTIONS)}")
    text = text.strip()
    if not text:
        raise InvalidInput(f"the text for {section} is empty")
    if key in TEXT_FIELDS or key == PUBLIC_SUMMARY:
        current = (postmortem.get(key) or "").rstrip()
        postmortem[key] = f"{current}\n\n{text}" if current else text
    else:
        postmortem[key] = [*items(postmortem, key), text]
    return key


def next_review_states(state: str) -> tuple[str, ...]:
    """Forward one step, or back to any earlier state (to rework it)."""
    index = REVIEW_STATES.index(state) if state in REVIEW_STATES else 0
    forward = REVIEW_STATES[index + 1 : index + 2]
    return (*forward, *REVIEW_STATES[:index])


def move_review(postmortem: dict[str, Any], state: str, now: datetime) -> str:
    """Change the review state; return the old one. Conflict when the move is not allowed."""
    if state not in REVIEW_STATES:
        raise InvalidInput(f"unknown review state {state!r}; one of {', '.join(REVIEW_STATES)}")
    old = state_of_postmortem(postmortem)
    if state == old:
        raise Conflict(f"the postmortem is already {state}")
    allowed = next_review_states(old)
    if state not in allowed:
        raise Conflict(f"cannot move a postmortem from {old} to {state}; from {old}: {', '.join(allowed)}")
    postmortem["state"] = state
    if state == "published":
        postmortem["published_at"] = to_iso(now)
    elif old == "published":
        postmortem["published_at"] = None
    return old


def why_question(subject: str) -> str:
    """``Why did "the pool was exhausted" happen?``"""
    return f'Why did "{subject.strip().rstrip(".?!")}" happen?'


# -- timeliness -----------------------------------------------------------


def due_at(incident: Incident, settings: Settings) -> datetime | None:
    """When the postmortem should be published: resolution + the severity's allowance."""
    if incident.resolved_at is None:
        return None
    allowance = settings.due.get(incident.severity)
    return incident.resolved_at + allowance if allowance is not None else None


def published_at(postmortem: dict[str, Any] | None) -> datetime | None:
    if not postmortem or not postmortem.get("published_at"):
        return None
    try:
        return parse_stored(postmortem["published_at"])
    except ValueError:
        return None


def is_overdue(incident: Incident, settings: Settings, now: datetime) -> bool:
    """Due, not published, and the due time has passed (a missing postmortem counts)."""
    due = due_at(incident, settings)
    if due is None or incident.drill:
        return False
    postmortem = incident.extra.get("postmortem")
    if isinstance(postmortem, dict) and postmortem.get("state") == "published":
        return False
    return now > due


# -- action items ---------------------------------------------------------


def new_action_id(taken: Iterable[str]) -> str:
    used = set(taken)
    for _attempt in range(100):
        candidate = f"{ACTION_PREFIX}-{idmod.random_part()}"
        if candidate not in used:
            return candidate
    raise Conflict("could not find a free action id")  # pragma: no cover


def parse_due(text: str, today: date) -> date:
    """``2025-01-22``, ``today``, ``tomorrow`` or an offset from today: ``3d``, ``1w``, ``2w3d``."""
    raw = str(text).strip().lower()
    if raw == "today":
        return today
    if raw == "tomorrow":
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    if raw.startswith("+"):
        raw = raw[1:]
    try:
        offset = parse_duration(raw)
    except InvalidInput:
        raise InvalidInput(f"cannot read {text!r} as a due date; use YYYY-MM-DD or an offset like 3d or 1w") from None
    days = -(-int(offset.total_seconds()) // 86400)
    return today + timedelta(days=days)


def new_action(
    action_id: str, title: str, owner: str | None, due: date | None, priority: str | None, now: datetime
) -> dict[str, Any]:
    title = title.strip()
    if not title:
        raise InvalidInput("the action item's title is empty; say what will be done")
    return {
        "id": action_id,
        "title": title,
        "owner": (owner or "").strip() or None,
        "due": due.isoformat() if due else None,
        "priority": (priority or "").strip() or None,
        "status": "open",
        "created_at": to_iso(now),
        "updated_at": to_iso(now),
        "done_at": None,
        "note": None,
    }


def action_due(action: dict[str, Any]) -> date | None:
    value = action.get("due")
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def action_overdue(action: dict[str, Any], today: date) -> bool:
    """Open and its due date has passed."""
    due = action_due(action)
    return action.get("status") == "open" and due is not None and due < today


def actions_of(incident: Incident) -> list[dict[str, Any]]:
    raw = incident.extra.get("actions")
    return [a for a in raw if isinstance(a, dict)] if isinstance(raw, list) else []


def action_problems(raw: Any) -> list[tuple[str, str]]:
    """What is wrong with a stored action list: (key, message) pairs."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        return [("actions", "expected a list of action items")]
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for index, action in enumerate(raw):
        where = f"actions[{index}]"
        if not isinstance(action, dict):
            problems.append((where, "expected a mapping with id, title, owner, due, status"))
            continue
        ident = action.get("id")
        if not isinstance(ident, str) or not ident.strip():
            problems.append((f"{where}.id", "missing"))
        elif ident in seen:
            problems.append((f"{where}.id", f"duplicate action id {ident}"))
        else:
            seen.add(ident)
        title = action.get("title")
        if not isinstance(title, str) or not title.strip():
            problems.append((f"{where}.title", "missing or not text"))
        for key in ("owner", "priority", "note"):
            value = action.get(key)
            if value is not None and not isinstance(value, str):
                problems.append((f"{where}.{key}", f"expected text, found {value!r} (quote it)"))
        due = action.get("due")
        if due is not None and action_due(action) is None:
            problems.append((f"{where}.due", f"expected a date like '2025-01-22', found {due!r}"))
        if action.get("status") not in ACTION_STATUSES:
            problems.append((f"{where}.status", f"expected open or done, found {action.get('status')!r}"))
        for key in ("created_at", "updated_at", "done_at"):
            value = action.get(key)
            if value is None:
                continue
            try:
                parse_stored(value)
            except ValueError as exc:
                problems.append((f"{where}.{key}", str(exc)))
        for key in sorted(set(action) - set(ACTION_ORDER)):
            problems.append((f"{where}.{key}", "unknown field"))
    return problems


def render_problems(raw_postmortem: Any, raw_actions: Any) -> list[str]:
    """What a postmortem render cannot show: the wrong types among ``postmortem_problems``
    and ``action_problems`` (a missing time, an unknown field or state is still rendered)."""
    found = []
    for key, message in postmortem_problems(raw_postmortem) + action_problems(raw_actions):
        if message.startswith(("missing", "duplicate")) or message == "unknown field":
            continue
        if key == "postmortem.state" and (raw_postmortem.get("state") is None or _is_text(raw_postmortem["state"])):
            continue
        if key.startswith("actions[") and key.endswith((".status", ".due")):
            continue  # shown as written
        found.append(f"{key}: {message}")
    return found


def ordered_action(action: dict[str, Any]) -> dict[str, Any]:
    data = {key: action.get(key) for key in ACTION_ORDER}
    data.update({k: v for k, v in action.items() if k not in ACTION_ORDER})
    return data


# -- checks ---------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One thing ``inc postmortem check`` objects to."""

    incident_id: str
    section: str
    text: str
    message: str

    def __str__(self) -> str:
        quoted = f': "{self.text}"' if self.text else ""
        return f"{self.incident_id} {self.section}: {self.message}{quoted}"

    def to_json(self) -> dict[str, str]:
        return {"incident": self.incident_id, "section": self.section, "text": self.text, "message": self.message}


def people(incident: Incident) -> set[str]:
    """Everyone the incident names: commander, roles, timeline authors, postmortem
    authors and reviewers, action owners."""
    found: set[str] = set()
    found.update(p for p in (incident.commander, *incident.roles.values()) if p)
    found.update(e.by for e in incident.timeline if e.by)
    postmortem = incident.extra.get("postmortem")
    if isinstance(postmortem, dict):
        for key in PEOPLE_FIELDS:
            found.update(str(p) for p in postmortem.get(key) or [] if p)
    found.update(str(a["owner"]) for a in actions_of(incident) if a.get("owner"))
    return {p.strip() for p in found if p and p.strip()}


def _name_patterns(names: Iterable[str]) -> list[tuple[str, re.Pattern[str]]]:
    """A pattern for each name and each part of it of three letters or more ("Alice" of "Alice
    Smith"), in order: a text is blamed on the first name that matches."""
    patterns: list[tuple[str, re.Pattern[str]]] = []
    for name in sorted(names):
        for part in [name, *name.split()]:
            if len(part) >= 3:
                patterns.append((name, re.compile(r"(?<!\w)" + re.escape(part) + r"(?!\w)", re.IGNORECASE)))
    return patterns


def _texts(postmortem: dict[str, Any]) -> list[tuple[str, str]]:
    """(section, text) for every piece of prose in the postmortem."""
    found: list[tuple[str, str]] = []
    for key in TEXT_FIELDS:
        value = postmortem.get(key)
        if isinstance(value, str) and value.strip():
            found.append((key, value))
    for key in LIST_FIELDS:
        found.extend((key, text) for text in items(postmortem, key))
    whys = postmortem.get("whys")
    if isinstance(whys, list):
        for chain in whys:
            if isinstance(chain, list):
                found.extend(
                    ("whys", str(step.get("answer"))) for step in chain if isinstance(step, dict) and step.get("answer")
                )
    return found


def check(incident: Incident, settings: Settings) -> list[Finding]:
    """Required sections empty, action items without owner or due date, blaming language."""
    findings: list[Finding] = []
    postmortem = incident.extra.get("postmortem")
    if not isinstance(postmortem, dict):
        hint = f"no postmortem yet (start one: inc postmortem new {incident.id})"
        return [Finding(incident.id, "postmortem", "", hint)]
    actions = actions_of(incident)
    for key in merge_conflicts(postmortem):
        findings.append(Finding(incident.id, key, "", MERGE_CONFLICT_HINT))
    for key in settings.required_sections:
        if key == "action_items":
            empty = not actions
        elif key == "whys":
            empty = not postmortem.get("whys")
        elif key in LIST_FIELDS:
            empty = not items(postmortem, key)
        else:
            empty = not str(postmortem.get(key) or "").strip()
        if empty:
            findings.append(Finding(incident.id, key, "", "required section is empty"))
    for action in actions:
        missing = [k for k in ("owner", "due") if not action.get(k)]
        if missing:
            what = " and no ".join("owner" if k == "owner" else "due date" for k in missing)
            title = str(action.get("title") or "")
            findings.append(Finding(incident.id, "action_items", title, f"{action.get('id')} has no {what}"))
    compiled = [(label, re.compile(pattern, re.IGNORECASE)) for label, pattern in settings.blame_phrases]
    for section, text in _texts(postmortem):
        for label, pattern in compiled:
            if pattern.search(text):
                findings.append(Finding(incident.id, section, text, f"blaming language ({label!r})"))
    names = _name_patterns(people(incident))
    for text in items(postmortem, "root_causes"):
        for name, pattern in names:
            if pattern.search(text):
                findings.append(
                    Finding(incident.id, "root_causes", text, f"names a person ({name}); describe the system, not who")
                )
                break
    return findings
