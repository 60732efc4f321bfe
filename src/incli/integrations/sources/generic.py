"""A JSON source defined in incli.yaml (``sources.generic.NAME``), for everything else:
Datadog's user-written webhook template, Sentry, Uptime Kuma, a home-grown script.

``POST /generic/NAME`` or ``inc ingest generic:NAME FILE``. The definition names, by
dotted paths into the payload (``alert.title``, ``tags.0.value``): the ``title``
(required), the ``dedupe_key`` (else the title), the ``status`` and its ``firing`` and
``resolved`` values (else every payload is firing), the time of the event ``start``
(the start of a firing payload, the end of a resolved one) and its ``start_unit``
(iso, s, ms, us, ns; left out, text is ISO 8601 and numbers are told apart by
magnitude; ISO without an offset is UTC), the ``severity`` (a severity id, or a value
of ``alerts.severity_map``), the ``service`` and the ``summary``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from incli.domain.alerts import Alert, Notification
from incli.domain.alertsources import GenericSource, status_text
from incli.domain.times import from_epoch
from incli.errors import InvalidInput
from incli.integrations.sources import fields, safejson
from incli.integrations.sources.alertmanager import parse_alert_time

if TYPE_CHECKING:
    from incli.integrations.sources import Context

NAME = "generic"
LABEL = "generic"
PATHS: tuple[str, ...] = ()
PATH_PATTERN = r"/generic/[a-z0-9][a-z0-9_-]{0,62}"
_MISSING = object()
_OFFSET = re.compile(r"(?:[Zz]|[+-]\d{2}:?\d{2})$")
_DIGITS = re.compile(r"^\d+(?:\.\d+)?$")


def name_in_path(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def lookup(data: Any, path: tuple[str, ...]) -> Any:
    """The value at a dotted path (list items by number), or _MISSING."""
    here = data
    for part in path:
        if isinstance(here, dict) and part in here:
            here = here[part]
        elif isinstance(here, list) and part.isdigit() and len(part) < 10 and int(part) < len(here):
            here = here[int(part)]
        else:
            return _MISSING
    return here


def _shown(path: tuple[str, ...]) -> str:
    return ".".join(path)


def _scalar(data: Any, path: tuple[str, ...], what: str, limit: int, required: bool = False) -> str | None:
    value = lookup(data, path)
    if value is _MISSING or value is None:
        if required:
            raise InvalidInput(f"{what} ({_shown(path)}) is not in the payload")
        return None
    if isinstance(value, (dict, list)):
        raise InvalidInput(f"{what} ({_shown(path)}) is an object or a list, not a value")
    return fields.text(value, f"{what} ({_shown(path)})", limit, required=required)


def event_time(value: Any, unit: str | None, what: str) -> datetime | None:
    if isinstance(value, (bool, dict, list)):
        raise InvalidInput(f"{what} is {value!r}, not a time")
    if isinstance(value, str) and unit in (None, "iso") and not _DIGITS.match(value.strip()):
        text = value.strip()
        return parse_alert_time(text if _OFFSET.search(text) else text + "Z", what)
    if unit == "iso":
        raise InvalidInput(f"{what} is {value!r}, not an ISO 8601 time (start_unit: iso)")
    return from_epoch(value, unit, what)


def parse(data: bytes | str, context: Context | None = None) -> Notification:
    from incli.integrations.sources import Context

    context = context or Context()
    name = context.name or ""
    definition = context.settings.generic.get(name)
    if definition is None:
        known = ", ".join(sorted(context.settings.generic)) or "none defined"
        raise InvalidInput(f"no generic source {name!r} in incli.yaml (sources.generic: {known})")
    return read(safejson.loads(data), definition, context)


def read(raw: Any, d: GenericSource, context: Context) -> Notification:
    title = _scalar(raw, d.title, "title", 1000, required=True)
    assert title is not None
    dedupe = _scalar(raw, d.dedupe_key, "dedupe_key", fields.MAX_KEY, required=True) if d.dedupe_key else title
    assert dedupe is not None
    status = "firing"
    if d.status is not None:
        value = lookup(raw, d.status)
        if value is _MISSING or isinstance(value, (dict, list)):
            raise InvalidInput(f"status ({_shown(d.status)}) is not in the payload")
        said = status_text(value)
        if said in d.firing:
            status = "firing"
        elif said in d.resolved:
            status = "resolved"
        else:
            raise InvalidInput(
                f"status ({_shown(d.status)}) is {value!r}; expected {' or '.join(d.firing)} (firing) "
                f"or {' or '.join(d.resolved)} (resolved)"
            )
    moment = None
    if d.start is not None:
        value = lookup(raw, d.start)
        if value is not _MISSING and value is not None and value != "":
            moment = event_time(value, d.start_unit, f"start ({_shown(d.start)})")
    severity = None
    if d.severity is not None:
        said_level = _scalar(raw, d.severity, "severity", 100)
        if said_level and context.config is not None:
            level = context.config.find_severity(said_level)
            settings = context.config.alerts
            severity = level.id if level else settings.severity_map.get(said_level.lower(), settings.default_severity)
    service = _scalar(raw, d.service, "service", 200) if d.service else None
    summary = _scalar(raw, d.summary, "summary", fields.MAX_TEXT) if d.summary else None
    labels = {"alertname": title}
    annotations = {"summary": title, **({"description": summary} if summary else {})}
    alert = Alert(
        status=status,
        labels=labels,
        annotations=annotations,
        starts_at=moment if status == "firing" else None,
        ends_at=moment if status == "resolved" else None,
        fingerprint=dedupe,
        severity=severity,
    )
    return Notification(
        status=status,
        group_key=dedupe,
        receiver="",
        alerts=[alert],
        common_labels=labels,
        common_annotations=annotations,
        source=f"{NAME}:{d.name}",
        source_label=d.name,
        service=service,
    )
