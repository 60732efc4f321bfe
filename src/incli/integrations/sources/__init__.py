"""Alert sources: each turns one outside system's payload into incli's alert model.

A source is a module with ``NAME`` (as in ``inc ingest NAME``), ``LABEL`` (how the
timeline names it), ``PATHS`` (the HTTP paths ``inc ingest serve`` routes to it)
and ``parse(data: bytes) -> Notification`` (InvalidInput, in one line, for what it
cannot read). A source decodes JSON with ``safejson.loads`` (never ``json.loads``):
deep nesting, huge numbers and lone surrogates are then InvalidInput, not a crash.
Adding a source is one module here and one line in ``SOURCES``.
"""

from __future__ import annotations

from types import ModuleType
from typing import Protocol, cast

from incli.domain.alerts import Notification
from incli.errors import InvalidInput
from incli.integrations.sources import alertmanager


class Source(Protocol):
    NAME: str
    LABEL: str
    PATHS: tuple[str, ...]

    def parse(self, data: bytes | str) -> Notification: ...


def _source(module: ModuleType) -> Source:
    return cast(Source, module)


SOURCES: dict[str, Source] = {source.NAME: source for source in map(_source, (alertmanager,))}


def source_named(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise InvalidInput(f"unknown alert source {name!r}; one of {', '.join(SOURCES)}") from None


def source_for_path(path: str) -> Source | None:
    """The source an HTTP path is routed to (``/alertmanager``), or None."""
    for source in SOURCES.values():
        if path in source.PATHS:
            return source
    return None
