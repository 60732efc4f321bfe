"""The one $EDITOR loop, for ``inc edit`` and ``inc postmortem edit``.

The text is edited in a draft under ``.incli/drafts/`` (the service keeps it). A
version that does not validate is never saved; on a terminal the editor opens
again, otherwise the command stops and says where the text is. The draft is
deleted only once its text is saved, or when nothing changed, so quitting, a
crash, a refused save or a change on disk never loses what was typed: the next
run of the same command resumes it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import typer

from incli import output
from incli.errors import Conflict, InvalidInput, Problems, StorageError

if TYPE_CHECKING:
    from incli.service.incidents import Draft


def editor_command() -> list[str]:
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(command)


def edit_draft(draft: Draft, save: Callable[[bytes], object], what: str) -> bool:
    """Edit ``draft`` until ``save`` takes its text; True when saved,
    False when nothing changed. ``save`` raises InvalidInput for text that does not
    validate (the editor opens again on a terminal) and Conflict when the saved
    version changed meanwhile (the draft is kept)."""
    path = draft.path
    base: bytes = draft.base
    if draft.resumed:
        output.info(f"{what}: resuming your unsaved draft {path} (delete it to start from the saved version)")
    while True:
        try:
            subprocess.run([*editor_command(), str(path)], check=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise StorageError(f"the editor failed ({exc}); your text is kept in {path}") from None
        text: bytes = draft.text()
        if text == base:
            draft.discard()
            output.info(f"{what}: no changes")
            return False
        try:
            save(text)
        except InvalidInput as exc:
            output.info(f"  {path}: {exc.message}")
            if sys.stdin.isatty() and typer.confirm("It does not validate. Edit it again?", default=True):
                continue
            raise Problems(f"not saved: {exc.message}; your text is kept in {path}") from None
        except Conflict as exc:
            raise Conflict(f"{exc.message}; not saved. Your text is kept in {path}") from None
        draft.discard()
        return True
