"""Shell completion for ``inc`` (bash, zsh, fish; ``inc --install-completion``): which
parameter completes what, in one table, attached to every command of the tree by
``cli/app.py`` (``attach``), so the command modules declare nothing for it.

A completer never raises and never prints: a TAB outside a repository offers nothing.
With nothing typed yet, an incident id offers the active incidents (every shell sorts what it
is offered, so "first" would be lost); typing the start of an id (``INC-2024``) offers them all.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

Choices = list[tuple[str, str]]
Completer = Callable[[Any, str], Choices]


def _directory(ctx: Any) -> Any:
    return ctx.find_root().params.get("directory")


def incidents(ctx: Any, incomplete: str) -> Choices:
    from incli.service.complete import incident_ids

    return incident_ids(_directory(ctx), active_only=not incomplete)


def actions(ctx: Any, incomplete: str) -> Choices:
    from incli.service.complete import action_ids

    return action_ids(_directory(ctx))


def severities(ctx: Any, incomplete: str) -> Choices:
    from incli.service.complete import severities as levels

    return levels(_directory(ctx))


def services(ctx: Any, incomplete: str) -> Choices:
    from incli.service.complete import services as catalog_services

    return catalog_services(_directory(ctx))


def roles(ctx: Any, incomplete: str) -> Choices:
    from incli.domain.model import ROLES

    return [(role, "") for role in ROLES]


def sections(ctx: Any, incomplete: str) -> Choices:
    from incli.domain.postmortem import SECTIONS

    return [(name, "") for name in SECTIONS]


def statuses(ctx: Any, incomplete: str) -> Choices:
    from incli.domain.model import STATUSES

    return [(status, "") for status in (*STATUSES, "active")]


def topics(ctx: Any, incomplete: str) -> Choices:
    from incli.cli.helptopics import TOPICS

    return [(name, what) for name, (what, _) in TOPICS.items()]


def _first_of_id_text(ctx: Any, incomplete: str) -> Choices:
    """``inc note [ID] TEXT``: an id only as the first word."""
    return [] if ctx.params.get("args") else incidents(ctx, incomplete)


# (command name or None for any, parameter name) -> what it completes
COMPLETERS: dict[tuple[str | None, str], Completer] = {
    (None, "incident_id"): incidents,
    (None, "incident"): incidents,
    (None, "action_id"): actions,
    (None, "severity"): severities,
    (None, "service"): services,
    (None, "service_name"): services,
    ("severity", "level"): severities,
    ("assign", "role"): roles,
    ("add", "section"): sections,
    ("list", "status"): statuses,
    ("help", "topic"): topics,
    ("note", "args"): _first_of_id_text,
    ("update", "args"): _first_of_id_text,
}


def _complete(completer: Completer, ctx: Any, incomplete: str) -> list[Any]:
    try:  # Typer 0.2x vendors Click; older releases use click itself.
        from typer._click.shell_completion import (  # type: ignore[import-not-found,unused-ignore]
            CompletionItem,
        )
    except ImportError:  # pragma: no cover - depends on the installed Typer
        from click.shell_completion import CompletionItem  # type: ignore[import-not-found,no-redef,assignment,unused-ignore]

    try:
        choices = completer(ctx, incomplete)
    except Exception:  # noqa: BLE001 - a TAB never shows an error
        return []
    wanted = incomplete.lower()
    return [
        CompletionItem(_safe(value), help=_safe(text) or None)
        for value, text in choices
        if value.lower().startswith(wanted)
    ]


def _safe(text: str) -> str:
    """One line without anything that drives a terminal: titles are the incident's text (hostile),
    and zsh and fish print the help beside each value."""
    from incli.output import visible

    return visible(" ".join(str(text).split()))[:200]


def attach(name: str, param: Any) -> None:
    """Give ``param`` of command ``name`` its completer, if the table has one."""
    completer = COMPLETERS.get((name, param.name)) or COMPLETERS.get((None, param.name))
    if completer is not None:
        param.shell_complete = functools.partial(_complete, completer)
