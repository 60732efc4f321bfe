"""The repository's configuration: severity levels and the settings later features read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from incli.domain.times import format_duration_spec, parse_duration
from incli.errors import InvalidInput

CONFIG_SCHEMA = 1


@dataclass(frozen=True)
class Severity:
    id: str
    name: str
    description: str
    response_time: timedelta
    escalate_to: str
    update_every: timedelta | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "response_time": format_duration_spec(self.response_time),
            "escalate_to": self.escalate_to,
            "update_every": format_duration_spec(self.update_every) if self.update_every else None,
        }


DEFAULT_SEVERITIES = (
    Severity(
        "SEV1", "critical", "Complete service outage", timedelta(minutes=5), "VP Engineering", timedelta(minutes=15)
    ),
    Severity(
        "SEV2", "high", "Significant degradation", timedelta(minutes=15), "Engineering Manager", timedelta(minutes=30)
    ),
    Severity("SEV3", "medium", "Minor degradation", timedelta(hours=1), "Team Lead", timedelta(hours=1)),
    Severity("SEV4", "low", "Minimal impact", timedelta(hours=4), "On-call engineer", timedelta(days=1)),
)


@dataclass
class Config:
    severities: list[Severity] = field(default_factory=lambda: list(DEFAULT_SEVERITIES))
    timezone: str | None = None
    incidents_dir: str = "incidents"
    templates_dir: str = "templates"
    # Every top-level section as written, so later features read their own
    # settings and nothing a team added to the file is dropped.
    raw: dict[str, Any] = field(default_factory=dict)

    def severity(self, text: str) -> Severity:
        """Accept ``SEV2``, ``sev2``, ``2`` or the level's name (``high``)."""
        wanted = str(text).strip().lower()
        for level in self.severities:
            lid = level.id.lower()
            digits = "".join(ch for ch in lid if ch.isdigit())
            if wanted in (lid, level.name.lower()) or (wanted.isdigit() and wanted == digits):
                return level
        known = ", ".join(f"{s.id} ({s.name})" for s in self.severities)
        raise InvalidInput(f"unknown severity {text!r}; known: {known}")

    def find_severity(self, sev_id: str) -> Severity | None:
        for level in self.severities:
            if level.id == sev_id:
                return level
        return None

    def rank(self, sev_id: str) -> int:
        """Position of a severity, most severe first; unknown ones sort last."""
        for index, level in enumerate(self.severities):
            if level.id == sev_id:
                return index
        return len(self.severities)

    def section(self, name: str) -> Any:
        return self.raw.get(name)


def default_config_dict() -> dict[str, Any]:
    return {
        "schema": CONFIG_SCHEMA,
        "timezone": None,
        "severities": [s.to_dict() for s in DEFAULT_SEVERITIES],
    }


def config_from_dict(data: Any, where: str) -> Config:
    """Build a Config from the parsed YAML; InvalidInput names the file and the problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidInput(f"{where}: expected a mapping at the top level")
    levels = data.get("severities")
    severities: list[Severity] = []
    if levels is None:
        severities = list(DEFAULT_SEVERITIES)
    elif not isinstance(levels, list) or not levels:
        raise InvalidInput(f"{where}: 'severities' must be a non-empty list")
    else:
        seen: set[str] = set()
        for index, item in enumerate(levels, 1):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
                raise InvalidInput(f"{where}: severity #{index} needs an 'id' such as SEV1")
            sid = item["id"]
            if sid.lower() in seen:
                raise InvalidInput(f"{where}: severity {sid} is defined twice")
            seen.add(sid.lower())
            try:
                response = parse_duration(str(item.get("response_time", "1h")))
                update = item.get("update_every")
                update_every = parse_duration(str(update)) if update else None
            except InvalidInput as exc:
                raise InvalidInput(f"{where}: severity {sid}: {exc}") from None
            severities.append(
                Severity(
                    id=sid,
                    name=str(item.get("name") or sid.lower()),
                    description=str(item.get("description") or ""),
                    response_time=response,
                    escalate_to=str(item.get("escalate_to") or ""),
                    update_every=update_every,
                )
            )
    tz = data.get("timezone")
    if tz is not None and not isinstance(tz, str):
        raise InvalidInput(f"{where}: 'timezone' must be a name such as Europe/Berlin or UTC")
    return Config(
        severities=severities,
        timezone=tz,
        incidents_dir=str(data.get("incidents_dir") or "incidents"),
        templates_dir=str(data.get("templates_dir") or "templates"),
        raw=data,
    )
