"""Prometheus Alertmanager webhook notifications (version 4), read into incli's alert model.

Alertmanager writes times in RFC 3339 with up to nine fractional digits
(``2019-09-27T16:27:56.612666101Z``) and writes ``0001-01-01T00:00:00Z`` for
"no end time yet"; both are handled here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from incli.domain.alerts import Alert, Notification
from incli.domain.times import accepted
from incli.errors import InvalidInput
from incli.integrations.sources import safejson

if TYPE_CHECKING:
    from incli.integrations.sources import Context

NAME = "alertmanager"
LABEL = "Alertmanager"
PATHS = ("/alertmanager", "/")
SUPPORTED_VERSION = "4"

_RFC3339 = re.compile(
    r"^(?P<base>\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(?P<frac>\d+))?(?P<tz>[Zz]|[+-]\d{2}:?\d{2})?$"
)


def parse_alert_time(value: Any, what: str = "time") -> datetime | None:
    """An RFC 3339 time as Alertmanager writes it, in UTC; None for its zero time.

    Nanoseconds are cut to microseconds (Python keeps no more).
    """
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{what} is {value!r}, not an RFC 3339 time")
    match = _RFC3339.match(value.strip())
    if not match:
        raise InvalidInput(f"{what} {value!r} is not an RFC 3339 time")
    text = match["base"].replace("t", "T").replace(" ", "T")
    if match["frac"]:
        text += "." + match["frac"][:6].ljust(6, "0")
    tz = match["tz"]
    if tz is None:
        raise InvalidInput(f"{what} {value!r} has no offset")
    text += "+00:00" if tz in ("Z", "z") else (tz if ":" in tz else f"{tz[:3]}:{tz[3:]}")
    if text.startswith("0001-01-01"):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{what} {value!r} is not a valid date and time") from None
    try:
        accepted(moment, value)
    except InvalidInput as exc:
        raise InvalidInput(f"{what}: {exc}") from None
    return moment.astimezone(UTC)


def _text_map(value: Any, what: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be an object of names to text")
    return {str(k): "" if v is None else str(v) for k, v in value.items()}


def parse(data: bytes | str, context: Context | None = None) -> Notification:
    """Read a notification from JSON text; InvalidInput says what is wrong."""
    return parse_notification(safejson.loads(data))


def parse_notification(
    raw: Any, name: str = NAME, label: str = LABEL, version_wanted: str = SUPPORTED_VERSION
) -> Notification:
    """An Alertmanager-shaped group (Grafana's webhook is one too, as version 1)."""
    safejson.check(raw)  # decoded elsewhere too: still no lone surrogate, no absurd nesting
    if not isinstance(raw, dict):
        raise InvalidInput(f"not {_a(label)} notification: expected a JSON object")
    if "alerts" not in raw:
        raise InvalidInput(f"not {_a(label)} notification: it has no 'alerts'")
    version = raw.get("version")
    # Alertmanager always sends "4"; hand-written test payloads often leave it out.
    if version is not None and str(version) != version_wanted:
        other = " (Grafana sends version 1: inc ingest grafana, POST /grafana)" if str(version) == "1" else ""
        raise InvalidInput(
            f"{label} payload version {version!r} is not supported; incli reads version {version_wanted} here{other}"
        )
    status = raw.get("status")
    if status is not None and status not in ("firing", "resolved"):
        raise InvalidInput(f"status is {status!r}; expected firing or resolved")
    items = raw.get("alerts")
    if not isinstance(items, list) or not items:
        raise InvalidInput("'alerts' must be a non-empty list")
    alerts = [_alert(item, index, status) for index, item in enumerate(items)]
    if status is None:
        status = "firing" if any(a.status == "firing" for a in alerts) else "resolved"
    group_labels = _text_map(raw.get("groupLabels"), "groupLabels")
    common_labels = _text_map(raw.get("commonLabels"), "commonLabels")
    group_key = raw.get("groupKey")
    if group_key is None:
        # What Alertmanager would have written for a route without a parent matcher.
        labels = group_labels or common_labels or (alerts[0].labels if len(alerts) == 1 else {})
        if not labels:
            raise InvalidInput("groupKey is missing and there are no groupLabels to stand in for it")
        group_key = "{}:{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
    if not isinstance(group_key, str) or not group_key:
        raise InvalidInput("groupKey must be non-empty text")
    truncated = raw.get("truncatedAlerts") or 0
    return Notification(
        status=status,
        group_key=group_key,
        receiver=str(raw.get("receiver") or ""),
        alerts=alerts,
        group_labels=group_labels,
        common_labels=common_labels,
        common_annotations=_text_map(raw.get("commonAnnotations"), "commonAnnotations"),
        external_url=str(raw["externalURL"]) if raw.get("externalURL") else None,
        truncated_alerts=truncated if isinstance(truncated, int) and not isinstance(truncated, bool) else 0,
        source=name,
        source_label=label,
    )


def _a(label: str) -> str:
    return ("an " if label[:1].lower() in "aeiou" else "a ") + label


def _alert(item: Any, index: int, group_status: str | None) -> Alert:
    where = f"alerts[{index}]"
    if not isinstance(item, dict):
        raise InvalidInput(f"{where} must be an object")
    status = item.get("status", group_status)
    if status not in ("firing", "resolved"):
        raise InvalidInput(f"{where}.status is {status!r}; expected firing or resolved")
    labels = _text_map(item.get("labels"), f"{where}.labels")
    fingerprint = item.get("fingerprint")
    return Alert(
        status=status,
        labels=labels,
        annotations=_text_map(item.get("annotations"), f"{where}.annotations"),
        starts_at=parse_alert_time(item["startsAt"], f"{where}.startsAt") if item.get("startsAt") else None,
        ends_at=parse_alert_time(item.get("endsAt"), f"{where}.endsAt") if item.get("endsAt") else None,
        fingerprint=str(fingerprint) if fingerprint else None,
        generator_url=str(item["generatorURL"]) if item.get("generatorURL") else None,
    )
