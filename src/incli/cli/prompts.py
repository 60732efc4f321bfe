"""Asking a person, never a script: the one place that decides whether ``inc`` may prompt.

``interactive()`` is true only when stdin and stdout are both terminals; everywhere else a
missing title or id is the same one-line error as without prompts. Prompts and menus go to
stderr, so stdout keeps only data (``id=$(inc open)`` still works on a terminal). Ctrl-C or
Ctrl-D at a prompt aborts the command (exit 130) and writes nothing.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from incli import output


def interactive() -> bool:
    """May we ask? Only a person at a terminal: stdin and stdout both a tty."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


def ask(text: str, default: str | None = None) -> str:
    """One line from the person (stderr shows the question); Ctrl-C/Ctrl-D abort."""
    return str(typer.prompt(text, default=default, show_default=default is not None, err=True)).strip()


def title() -> str:
    """The title of a new incident, asked until it is not empty."""
    while True:
        answer = ask("Title (what is wrong, in a few words)")
        if answer:
            return answer
        output.warn("a title is needed")


def severity(config: Any) -> str:
    """A severity of the repository's scale, offered with the descriptions; asked until valid."""
    from incli.errors import InvalidInput

    levels = list(config.severities)
    output.info("Severity:")
    for number, level in enumerate(levels, 1):
        output.info(f"  {number}  {level.id:<6} {level.name:<10} {level.description}")
    default = config.defaults.severity
    while True:
        answer = ask(f"Severity [1-{len(levels)} or {levels[0].id}]", default=default)
        if answer.isdigit() and 1 <= int(answer) <= len(levels):
            return str(levels[int(answer) - 1].id)
        try:
            return str(config.severity(answer).id)
        except InvalidInput as exc:
            output.warn(exc.message)


def pick_incident(svc: Any, query: str | None) -> str | None:
    """``inc ack`` with no id while several incidents are active: on a terminal, a numbered
    pick (newest first). Otherwise ``query`` as given (the service then says what is wrong)."""
    if query is not None or not interactive():
        return query
    active = sorted(svc.active(), key=lambda incident: (incident.opened_at, incident.id), reverse=True)
    if len(active) < 2:
        return query
    output.info(f"{len(active)} incidents are active:")
    for number, incident in enumerate(active, 1):
        title = " ".join(incident.title.split())
        output.info(f"  {number:>2}  {incident.id}  {incident.severity:<5} {incident.status:<12} {title}")
    while True:
        answer = ask(f"Which one? [1-{len(active)}]")
        if answer.isdigit() and 1 <= int(answer) <= len(active):
            return str(active[int(answer) - 1].id)
        output.warn(f"type a number from 1 to {len(active)} (Ctrl-C to stop)")
