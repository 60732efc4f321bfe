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
    hook: Hook
    ok: bool
    detail: str


@dataclass(frozen=True)
class Delivery:
    """One event, in every form a notifier may want it."""

    event: str
    incident: dict[str, Any] | None  # the incident's --json form
    text: str  # one line for people (domain.hooks.message)
    extra: Mapping[str, Any] = field(default_factory=dict)
    stdin: bytes = b""  # for commands: the JSON they read
    env: Mapping[str, str] = field(default_factory=dict)  # for commands: the whole environment
    cwd: Path = Path(".")


class Notifier(Protocol):
    NAME: str

    def send(self, hook: Hook, delivery: Delivery) -> Outcome: ...


def _notifiers(*modules: ModuleType) -> dict[str, Notifier]:
    return {cast(Notifier, m).NAME: cast(Notifier, m) for m in modules}


def notifier_for(hook: Hook) -> Notifier:
    from incli.integrations.notifiers import command, slack, webhook

    known = _notifiers(command, webhook, slack)
    return known["command"] if hook.run is not None else known[hook.format]
