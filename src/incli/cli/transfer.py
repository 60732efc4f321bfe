"""``inc export`` and ``inc import``: incidents in and out of incli."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    return None
