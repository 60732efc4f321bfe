"""Alert sources: each turns one outside system's payload into incli's alert model.

A source is a module with ``NAME`` (as in ``inc ingest NAME``), ``LABEL`` (how the
timeline names it), ``PATHS`` (the HTTP paths ``inc ingest serve`` routes to it)
and ``parse(data: bytes, context: Context | None) -> Notification`` (InvalidInput, in
one line, for what it cannot read). A source decodes JSON with ``safejson.loads``
(never ``json.loads``): deep nesting, huge numbers and lone surrogates are then
InvalidInput, not a crash. Adding a source is one module here and one line in
``SOURCES``.

A module may also have:

- ``PATH_PATTERN``: a regular expression for paths with a part that varies
  (``/v2/alerts/{alias}/close``);
- ``TOKEN_SCHEMES``: the ``Authorization`` schemes its senders use for the token
  (``GenieKey``), beside ``Bearer`` and ``Basic`` (the password), which every source takes;
- ``TOKEN_IN_BODY = True``: the token may come in the payload instead (PagerDuty's
  ``routing_key``, in ``Notification.credential``);
- ``success(body, key)`` and ``failure(status, message)``: the answers its senders
  expect (PagerDuty's ``202 {"status": "success", ...}``); without them, incli's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Protocol, cast

from incli.domain.alerts import Notification
from incli.domain.alertsources import SourceSettings
from incli.domain.config import Config
from incli.errors import InvalidInput
from incli.integrations.sources import (
    alertmanager,
    cloudwatch,
    generic,
    grafana,
    opsgenie,
    opsgenie_webhook,
    pagerduty,
)


@dataclass(frozen=True)
class Context:
    """What a source may need beside the body: where it was sent (the HTTP path and
    query; for a file, what ``--path`` says) and the repository's config."""

    path: str = ""
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)  # names in lower case
    config: Config | None = None
    name: str | None = None  # NAME of generic:NAME

    @property
    def settings(self) -> SourceSettings:
        """The ``sources:`` section (its defaults without a config)."""
        return self.config.sources if self.config is not None else SourceSettings()


class Source(Protocol):
    NAME: str
    LABEL: str
    PATHS: tuple[str, ...]

    def parse(self, data: bytes | str, context: Context | None = None) -> Notification: ...


def _source(module: ModuleType) -> Source:
    return cast(Source, module)


SOURCES: dict[str, Source] = {
    source.NAME: source
    for source in map(_source, (alertmanager, grafana, pagerduty, opsgenie, opsgenie_webhook, cloudwatch, generic))
}


def split_name(name: str) -> tuple[str, str | None]:
    """``generic:sentry`` -> (``generic``, ``sentry``); other names have no second part."""
    base, colon, rest = name.partition(":")
    return (base, rest) if colon else (name, None)


def source_named(name: str) -> Source:
    base, sub = split_name(name)
    source = SOURCES.get(base)
    if source is None or (base == generic.NAME) != (sub is not None):
        names = [n for n in SOURCES if n != generic.NAME] + ["generic:NAME"]
        raise InvalidInput(f"unknown alert source {name!r}; one of {', '.join(names)}")
    return source


def source_for_path(path: str) -> Source | None:
    """The source an HTTP path is routed to (``/alertmanager``), or None."""
    for source in SOURCES.values():
        if path in source.PATHS:
            return source
    for source in SOURCES.values():
        pattern = getattr(source, "PATH_PATTERN", None)
        if pattern is not None and re.fullmatch(pattern, path):
            return source
    return None


def name_for_path(path: str) -> str | None:
    """The source name a path is routed to (``generic:NAME`` for ``/generic/NAME``), or None."""
    source = source_for_path(path)
    if source is None:
        return None
    if source.NAME == generic.NAME:
        return f"{generic.NAME}:{generic.name_in_path(path)}"
    return source.NAME


def token_schemes(source: Source) -> tuple[str, ...]:
    return ("bearer", "basic", *(s.lower() for s in getattr(source, "TOKEN_SCHEMES", ())))


def token_in_body(source: Source) -> bool:
    return bool(getattr(source, "TOKEN_IN_BODY", False))


def success(source: Source, body: dict[str, Any], key: str) -> tuple[int, dict[str, Any]]:
    """The answer to a delivery the source's sender expects (incli's own by default)."""
    answer = getattr(source, "success", None)
    return answer(body, key) if answer is not None else (200, body)


def failure(source: Source | None, status: int, message: str) -> dict[str, Any]:
    answer = getattr(source, "failure", None) if source is not None else None
    return answer(status, message) if answer is not None else {"status": "error", "error": message}
