"""Severity levels: the scale every command ranks and names incidents by. Pure.

Also the small helper every config section uses to refuse an unknown key with the
nearest known one.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, NamedTuple

from incli.domain.times import format_duration_spec
from incli.errors import ConfigError, InvalidInput


class Severity(NamedTuple):
    """One level of the severity scale."""

    id: str
    name: str
    description: str
    response_time: timedelta
    escalate_to: str
    update_every: timedelta | None
    escalation: str | None = None  # the escalation: policy it names (None: the built-in one)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "response_time": format_duration_spec(self.response_time),
            "escalate_to": self.escalate_to,
            "update_every": format_duration_spec(self.update_every) if self.update_every else None,
        }
        if self.escalation:
            data["escalation"] = self.escalation
        return data


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
class Severities:
    """The repository's levels, most severe first."""

    severities: list[Severity] = field(default_factory=lambda: list(DEFAULT_SEVERITIES))

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

    def rank(self, sev_id: str | None) -> int:
        """Position of a severity, most severe first; unknown ones sort last."""
        for index, level in enumerate(self.severities):
            if level.id == sev_id:
                return index
        return len(self.severities)


def unknown_key(section: Mapping[Any, Any], known: Iterable[str], where: str) -> None:
    """ConfigError for the first key of ``section`` not in ``known``, suggesting the nearest."""
    names = list(known)
    for key in section:
        if key not in names:
            near = difflib.get_close_matches(str(key), names, n=1, cutoff=0.6)
            hint = f"did you mean `{near[0]}`?" if near else f"known: {', '.join(names)}"
            raise ConfigError(f"{where}.{key}" if where else str(key), f"unknown key; {hint}")
