"""Notifiers: each turns an event into a message for one outside system and delivers it.

A notifier is a module with ``NAME`` and ``send(hook, delivery) -> Outcome``. The
service (``incli.service.hooks``) picks one per configured hook (``run:`` is the
command notifier; a webhook's ``format:`` names the others) and never lets a
failing one stop the next. Adding a notifier is one module here and one line in
``NOTIFIERS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, cast

from incli.domain.hooks import Hook


@dataclass(frozen=True)
class Outcome:
    """What one hook delivery did."""

    hook: Hook
    ok: bool
    detail: str


@dataclass(frozen=True)
class Delivery:
    """One event, in every form a notifier may want it."""

    event: str
    incident: dict[str, Any] | None  # the incident's --json form
    text: str  # the message for people, from the event's template (notify/EVENT.txt.j2)
    extra: Mapping[str, Any] = field(default_factory=dict)
    stdin: bytes = b""  # for commands: the JSON they read
    env: Mapping[str, str] = field(default_factory=dict)  # for commands: the whole environment
    cwd: Path = Path(".")
    headline: str = ""  # one line (domain.hooks.message): a title, a subject

    @property
    def line(self) -> str:
        """The one-line form: the headline, else the message's first line."""
        return self.headline or (self.text.splitlines() or [""])[0]

    def field(self, name: str) -> str:
        """A field of the incident as text ("" when there is no incident or no value)."""
        value = (self.incident or {}).get(name)
        return "" if value is None else str(value)

    def facts(self) -> list[tuple[str, str]]:
        """The incident's id, severity, status, service and the event, as (label, value) pairs
        for a card; those without a value are left out."""
        from incli.domain.hooks import EVENT_PHRASES

        pairs = [
            ("Incident", self.field("id")),
            ("Severity", self.field("severity")),
            ("Status", self.field("status")),
            ("Service", self.field("service")),
            ("Event", EVENT_PHRASES.get(self.event, self.event.replace("_", " "))),
        ]
        return [(label, value) for label, value in pairs if value]


class Notifier(Protocol):
    NAME: str

    def send(self, hook: Hook, delivery: Delivery) -> Outcome: ...


def _notifiers(*modules: ModuleType) -> dict[str, Notifier]:
    return {cast(Notifier, m).NAME: cast(Notifier, m) for m in modules}


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters (an ellipsis marks a cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def notifier_for(hook: Hook) -> Notifier:
    from incli.integrations.notifiers import (
        command,
        discord,
        googlechat,
        mail,
        mattermost,
        pagerduty,
        rocketchat,
        slack,
        teams,
        webhook,
    )

    known = _notifiers(command, mail, webhook, slack, mattermost, rocketchat, teams, discord, googlechat, pagerduty)
    if hook.run is not None:
        return known["command"]
    if hook.email is not None:
        return known["email"]
    return known[hook.format]
