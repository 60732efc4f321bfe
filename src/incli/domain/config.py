"""The repository's configuration, incli.yaml, read once into typed sections.

``config_from_dict`` checks every section when the repository loads (in the manner
of towncrier's ``_settings/load.py``): a wrong type or an unknown key is a
``ConfigError`` naming its dotted key, and ``storage.repo`` adds the file and line
(``incli.yaml:14: postmortem.due.SEV5: no such severity``). Nothing else reads the
raw YAML: every command takes what it needs from ``Config``.

Pure: no I/O. Each section's own parser lives with the feature that owns it
(``domain.hooks``, ``domain.rules``, ``domain.alerts``, ``domain.postmortem``,
``domain.metrics``); this module assembles them and owns the small sections
(``git``, ``report``, ``import``, the folders and the time zone).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, NamedTuple

from incli.domain.model import UNKNOWN_SEVERITY
from incli.domain.severity import DEFAULT_SEVERITIES, Severities, Severity, unknown_key
from incli.domain.times import parse_duration, zone_named
from incli.errors import ConfigError, InvalidInput

if TYPE_CHECKING:
    from incli.domain import postmortem as pm
    from incli.domain import statuspage as sp
    from incli.domain.alerts import AlertSettings
    from incli.domain.alertsources import SourceSettings
    from incli.domain.escalation import Policy
    from incli.domain.hooks import Hook
    from incli.domain.metrics import MetricDef
    from incli.domain.oncall import OncallSettings, Person
    from incli.domain.rules import Rule
    from incli.domain.runbooks import RunbookSettings

CONFIG_SCHEMA = 1

TOP_LEVEL_KEYS = (
    "schema",
    "timezone",
    "incidents_dir",
    "templates_dir",
    "severities",
    "postmortem",
    "metrics",
    "alerts",
    "sources",
    "hooks",
    "rules",
    "git",
    "report",
    "import",
    "defaults",
    "statuspage",
    "runbooks",
    "checklists",
    "people",
    "escalation",
    "oncall",
)
SEVERITY_KEYS = ("id", "name", "description", "response_time", "escalate_to", "update_every", "escalation")

DEFAULT_PAGERDUTY_PRIORITY = {"P1": "SEV1", "P2": "SEV2", "P3": "SEV3", "P4": "SEV4", "P5": "SEV4"}
DEFAULT_PAGERDUTY_URGENCY = {"high": "SEV2", "low": "SEV4"}
DEFAULT_PAGERDUTY_SEVERITY = "SEV3"
DEFAULT_OPSGENIE_PRIORITY = {"P1": "SEV1", "P2": "SEV2", "P3": "SEV3", "P4": "SEV4", "P5": "SEV4"}
DEFAULT_OPSGENIE_SEVERITY = "SEV3"
DEFAULT_CSTATE_SEVERITY = {"down": "SEV1", "disrupted": "SEV2", "notice": "SEV4"}
DEFAULT_REPORT_TITLE = "Incident report"


class GitSettings(NamedTuple):
    """``git:``: ``commit: true`` commits exactly the files each command wrote."""

    commit: bool = False


class ReportSettings(NamedTuple):
    """report: the site's title."""

    title: str = DEFAULT_REPORT_TITLE


@dataclass(frozen=True)
class PagerDutyImport:
    """``import: {pagerduty: {priority, urgency, default}}``: how PagerDuty's fields map to severities."""

    priority: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PAGERDUTY_PRIORITY))
    urgency: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PAGERDUTY_URGENCY))
    default: str = DEFAULT_PAGERDUTY_SEVERITY


class SeverityMap(NamedTuple):
    """``import: {opsgenie: {priority, default}}`` and ``import: {cstate: {severity, default}}``:
    another tool's values to severities; ``default`` (None: unknown) for any other value."""

    values: dict[str, str]
    default: str | None


class Defaults(NamedTuple):
    """``defaults: {severity: SEV3}``: what ``inc open`` uses when an option is left out
    (without it, ``inc open`` requires ``--severity``)."""

    severity: str | None = None


def _postmortem(data: dict[str, Any], scale: Severities) -> Any:
    from incli.domain import postmortem as pm

    return pm.settings_from_config(data.get("postmortem"), scale)


def _metrics(data: dict[str, Any], _scale: Severities) -> Any:
    from incli.domain.metrics import metric_defs

    return metric_defs(data.get("metrics"))


def _alerts(data: dict[str, Any], scale: Severities) -> Any:
    from incli.domain.alerts import alert_settings

    return alert_settings(data.get("alerts"), scale)


def _sources(data: dict[str, Any], scale: Severities) -> Any:
    from incli.domain.alertsources import source_settings

    return source_settings(data.get("sources"), scale)


def _hooks(data: dict[str, Any], _scale: Severities) -> Any:
    from incli.domain.hooks import parse_hooks

    return parse_hooks(data.get("hooks"))


def _rules(data: dict[str, Any], scale: Severities) -> Any:
    from incli.domain.rules import parse_rules

    return parse_rules(data.get("rules"), scale)


def _statuspage(data: dict[str, Any], scale: Severities) -> Any:
    from incli.domain import statuspage as sp

    return sp.settings_from_config(data.get("statuspage"), scale)


def _runbooks(data: dict[str, Any], scale: Severities) -> Any:
    from incli.domain.runbooks import settings_from_config

    return settings_from_config(data.get("runbooks"), data.get("checklists"), scale)


def _people(data: dict[str, Any], _scale: Severities) -> Any:
    from incli.domain.oncall import parse_people

    return parse_people(data.get("people"))


def _escalation(data: dict[str, Any], scale: Severities) -> Any:
    """The escalation: policies, and every severity's escalation: naming one of them."""
    from incli.domain.escalation import parse_escalation

    policies = parse_escalation(data.get("escalation"))
    for index, level in enumerate(scale.severities):
        if level.escalation and level.escalation not in policies:
            known = ", ".join(policies) or "none defined (add an escalation: section)"
            raise ConfigError(f"severities[{index}].escalation", f"no policy {level.escalation!r}; known: {known}")
    return policies


def _oncall(data: dict[str, Any], _scale: Severities) -> Any:
    from incli.domain.oncall import parse_oncall_settings

    return parse_oncall_settings(data.get("oncall"))


# The sections whose parsers live with features most commands never use: (the top-level keys
# they are read from, the parser). A section incli.yaml has is parsed when the repository
# loads, so its errors name file, line and key as every other's; a section it does not have is
# made from nothing when first asked for, and only then is its feature's module imported (not
# even then for the ones whose absence is simply empty: EMPTY_SECTIONS).
LAZY_SECTIONS: dict[str, tuple[tuple[str, ...], Callable[[dict[str, Any], Severities], Any]]] = {
    "postmortem": (("postmortem",), _postmortem),
    "metrics": (("metrics",), _metrics),
    "alerts": (("alerts",), _alerts),
    "sources": (("sources",), _sources),
    "hooks": (("hooks",), _hooks),
    "rules": (("rules",), _rules),
    "statuspage": (("statuspage",), _statuspage),
    "runbooks": (("runbooks", "checklists"), _runbooks),
    "people": (("people",), _people),
    "escalation": (("escalation",), _escalation),
    "oncall": (("oncall",), _oncall),
}

EMPTY_SECTIONS: dict[str, Callable[[], Any]] = {"hooks": dict, "rules": list, "people": dict, "escalation": dict}


@dataclass
class Config(Severities):
    """incli.yaml as typed sections (the feature sections parsed on first use)."""

    timezone: str | None = None
    incidents_dir: str = "incidents"
    templates_dir: str = "templates"
    git: GitSettings = field(default_factory=GitSettings)
    report: ReportSettings = field(default_factory=ReportSettings)
    pagerduty_import: PagerDutyImport = field(default_factory=PagerDutyImport)
    opsgenie_import: SeverityMap = field(
        default_factory=lambda: SeverityMap(dict(DEFAULT_OPSGENIE_PRIORITY), DEFAULT_OPSGENIE_SEVERITY)
    )
    cstate_import: SeverityMap = field(default_factory=lambda: SeverityMap(dict(DEFAULT_CSTATE_SEVERITY), None))
    defaults: Defaults = field(default_factory=Defaults)
    # The file as written, for writing it back; the lazy sections are parsed from it.
    raw: dict[str, Any] = field(default_factory=dict)
    # LAZY_SECTIONS parsed so far, by name.
    sections: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def has(self, key: str) -> bool:
        """Whether incli.yaml sets this top-level key (a feature a command can skip without it)."""
        return self.raw.get(key) is not None

    def section(self, name: str) -> Any:
        """One of LAZY_SECTIONS, parsed from ``raw`` the first time it is asked for."""
        if name not in self.sections:
            keys, parse = LAZY_SECTIONS[name]
            empty = EMPTY_SECTIONS.get(name)
            absent = all(self.raw.get(key) is None for key in keys)
            self.sections[name] = empty() if empty is not None and absent else parse(self.raw, self)
        return self.sections[name]

    @property
    def postmortem(self) -> pm.Settings:
        return self.section("postmortem")

    @property
    def metrics(self) -> list[MetricDef]:
        return self.section("metrics")

    @property
    def alerts(self) -> AlertSettings:
        return self.section("alerts")

    @property
    def sources(self) -> SourceSettings:
        """sources: (alert sources beyond the payload)"""
        return self.section("sources")

    @property
    def hooks(self) -> dict[str, list[Hook]]:
        return self.section("hooks")

    @property
    def rules(self) -> list[Rule]:
        return self.section("rules")

    @property
    def statuspage(self) -> sp.Settings:
        return self.section("statuspage")

    @property
    def runbooks(self) -> RunbookSettings:
        """runbooks: (by severity and alert name) and checklists: (domain/runbooks.py)"""
        return self.section("runbooks")

    @property
    def people(self) -> dict[str, Person]:
        """On call (domain/oncall.py): people by handle."""
        return self.section("people")

    @property
    def escalation(self) -> dict[str, Policy]:
        """Escalation policies by name (domain/escalation.py)."""
        return self.section("escalation")

    @property
    def oncall(self) -> OncallSettings:
        return self.section("oncall")

    @property
    def zone(self) -> tzinfo | None:
        """The configured display time zone; None for the local one. Checked at load."""
        return zone_named(self.timezone)

    def severity_filter(self, text: str) -> str:
        """The severity id a ``--severity`` filter names: a level, or ``unknown`` (history
        imported without one)."""
        if text.strip().lower() == UNKNOWN_SEVERITY:
            return UNKNOWN_SEVERITY
        return self.severity(text).id

    def policy_for(self, sev_id: str, default_schedule: str | None) -> Policy | None:
        """The escalation policy of a severity: the one it names, else the built-in one
        (``default_schedule`` is found by the service: oncall.default_schedule, else the only
        schedule). None for a severity the scale does not have (imported history)."""
        level = self.find_severity(sev_id)
        if level is None:
            return None
        if level.escalation:
            return self.escalation[level.escalation]
        from incli.domain.escalation import builtin_policy

        return builtin_policy(level, default_schedule)

    def today(self, now: datetime) -> date:
        """The one "today" (overdue action items, reminders, the report): the date of
        ``now`` in the configured time zone, else the local one."""
        zone = self.zone
        return (now.astimezone(zone) if zone is not None else now.astimezone()).date()


def default_config_dict() -> dict[str, Any]:
    return {
        "schema": CONFIG_SCHEMA,
        "timezone": None,
        "severities": [s.to_dict() for s in DEFAULT_SEVERITIES],
    }


def config_from_dict(data: Any) -> Config:
    """Build a Config from the parsed YAML; ConfigError names the key and the problem."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("", "expected a mapping of settings at the top level")
    unknown_key(data, TOP_LEVEL_KEYS, "")
    schema = data.get("schema", CONFIG_SCHEMA)
    if schema != CONFIG_SCHEMA:
        raise ConfigError("schema", f"is {schema!r}; this incli reads schema {CONFIG_SCHEMA}")
    scale = Severities(_severities(data.get("severities")))
    tz = data.get("timezone")
    if tz is not None:
        if not isinstance(tz, str):
            raise ConfigError("timezone", "must be a name such as Europe/Berlin or UTC")
        try:
            zone_named(tz)
        except InvalidInput:
            raise ConfigError(
                "timezone", f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin or UTC"
            ) from None
    config = Config(
        severities=scale.severities,
        timezone=tz.strip() or None if isinstance(tz, str) else None,
        incidents_dir=_folder(data, "incidents_dir", "incidents"),
        templates_dir=_folder(data, "templates_dir", "templates"),
        git=_git(data.get("git")),
        report=_report(data.get("report")),
        pagerduty_import=_pagerduty_import(data.get("import"), scale),
        opsgenie_import=_severity_map(
            data.get("import"), "opsgenie", "priority", DEFAULT_OPSGENIE_PRIORITY, DEFAULT_OPSGENIE_SEVERITY, scale
        ),
        cstate_import=_severity_map(data.get("import"), "cstate", "severity", DEFAULT_CSTATE_SEVERITY, None, scale),
        defaults=_defaults(data.get("defaults"), scale),
        raw=data,
    )
    for name, (keys, parse) in LAZY_SECTIONS.items():
        # What the file says is checked now; escalation also checks the severities naming a policy.
        if any(data.get(key) is not None for key in keys) or (
            name == "escalation" and any(level.escalation for level in scale.severities)
        ):
            config.sections[name] = parse(data, config)
    return config


def _severities(levels: Any) -> list[Severity]:
    if levels is None:
        return list(DEFAULT_SEVERITIES)
    if not isinstance(levels, list) or not levels:
        raise ConfigError("severities", "must be a non-empty list")
    found: list[Severity] = []
    seen: set[str] = set()
    for index, item in enumerate(levels):
        where = f"severities[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"].strip():
            raise ConfigError(where, "needs an 'id' such as SEV1")
        unknown_key(item, SEVERITY_KEYS, where)
        sid = item["id"].strip()
        if sid.lower() == UNKNOWN_SEVERITY:
            raise ConfigError(
                f"{where}.id", f"{sid!r} is kept for incidents whose severity is not known; choose another id"
            )
        if sid.lower() in seen:
            raise ConfigError(f"{where}.id", f"severity {sid} is defined twice")
        seen.add(sid.lower())
        for key in ("name", "description", "escalate_to", "escalation"):
            if item.get(key) is not None and not isinstance(item[key], str):
                raise ConfigError(f"{where}.{key}", "must be text")
        response = _duration(item.get("response_time", "1h"), f"{where}.response_time")
        update = item.get("update_every")
        found.append(
            Severity(
                id=sid,
                name=str(item.get("name") or sid.lower()),
                description=str(item.get("description") or ""),
                response_time=response,
                escalate_to=str(item.get("escalate_to") or ""),
                update_every=_duration(update, f"{where}.update_every") if update else None,
                escalation=str(item.get("escalation") or "").strip() or None,
            )
        )
    return found


def _duration(value: Any, where: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError(where, "must be a duration such as 15m, 4h or 1d")
    try:
        duration = parse_duration(str(value))
    except InvalidInput as exc:
        raise ConfigError(where, str(exc)) from None
    if duration <= timedelta(0):
        raise ConfigError(where, "must be more than zero, such as 15m")
    return duration


def _folder(data: dict[str, Any], key: str, default: str) -> str:
    """A folder inside the repository, as a relative path without ``..``."""
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(key, "must be a folder name inside the repository, such as incidents")
    text = value.strip()
    posix, windows = PurePosixPath(text), PureWindowsPath(text)
    if posix.is_absolute() or windows.is_absolute() or windows.drive or ".." in posix.parts or ".." in windows.parts:
        raise ConfigError(key, f"{text!r} is outside the repository; give a folder inside it, such as {default}")
    if not posix.parts or posix.as_posix() in ("incli.yaml",):
        raise ConfigError(key, f"must be a folder of its own inside the repository, such as {default}")
    if posix.parts[0] in (".incli", ".git"):
        raise ConfigError(key, f"cannot be inside {posix.parts[0]}/ (never committed)")
    return posix.as_posix()


def _git(raw: Any) -> GitSettings:
    if raw is None:
        return GitSettings()
    if not isinstance(raw, dict):
        raise ConfigError("git", "must be a mapping such as {commit: true}")
    unknown_key(raw, ("commit",), "git")
    commit = raw.get("commit", False)
    if not isinstance(commit, bool):
        raise ConfigError("git.commit", "must be true or false")
    return GitSettings(commit=commit)


def _report(raw: Any) -> ReportSettings:
    if raw is None:
        return ReportSettings()
    if not isinstance(raw, dict):
        raise ConfigError("report", "must be a mapping such as {title: Acme incidents}")
    unknown_key(raw, ("title",), "report")
    title = raw.get("title")
    if title is not None and not isinstance(title, str):
        raise ConfigError("report.title", "must be text")
    return ReportSettings(title=title.strip() if title and title.strip() else DEFAULT_REPORT_TITLE)


def _defaults(raw: Any, scale: Severities) -> Defaults:
    if raw is None:
        return Defaults()
    if not isinstance(raw, dict):
        raise ConfigError("defaults", "must be a mapping such as {severity: SEV3}")
    unknown_key(raw, ("severity",), "defaults")
    value = raw.get("severity")
    if value is None:
        return Defaults()
    if isinstance(value, bool) or not isinstance(value, (str, int)) or not str(value).strip():
        raise ConfigError("defaults.severity", "must be a severity such as SEV3")
    try:
        return Defaults(severity=scale.severity(str(value)).id)
    except InvalidInput as exc:
        raise ConfigError("defaults.severity", str(exc)) from None


def _severity_map(
    raw: Any, name: str, key: str, values: dict[str, str], default: str | None, scale: Severities
) -> SeverityMap:
    """``import.NAME: {KEY: {value: severity}, default: severity}``, each severity checked
    against the scale; the values given are added to (or replace) the defaults."""
    section = raw.get(name) if isinstance(raw, dict) else None  # the section itself: _pagerduty_import
    if section is None:
        return SeverityMap(dict(values), default)
    where = f"import.{name}"
    if not isinstance(section, dict):
        raise ConfigError(where, f"must be a mapping of {key} and default")
    unknown_key(section, (key, "default"), where)

    def level(value: Any, at: str) -> str:
        try:
            return scale.severity(str(value)).id
        except InvalidInput as exc:
            raise ConfigError(at, str(exc)) from None

    given = section.get(key) or {}
    if not isinstance(given, dict):
        raise ConfigError(f"{where}.{key}", f"must map {name}'s {key} values to severities")
    merged = {**values, **{str(k): level(v, f"{where}.{key}.{k}") for k, v in given.items()}}
    chosen = section.get("default", default)
    return SeverityMap(merged, level(chosen, f"{where}.default") if chosen is not None else None)


def _pagerduty_import(raw: Any, scale: Severities) -> PagerDutyImport:
    if raw is None:
        return PagerDutyImport()
    if not isinstance(raw, dict):
        raise ConfigError("import", "must be a mapping such as {pagerduty: {priority: {P1: SEV1}}}")
    unknown_key(raw, ("pagerduty", "opsgenie", "cstate"), "import")
    section = raw.get("pagerduty")
    if section is None:
        return PagerDutyImport()
    if not isinstance(section, dict):
        raise ConfigError("import.pagerduty", "must be a mapping of priority, urgency and default")
    unknown_key(section, ("priority", "urgency", "default"), "import.pagerduty")

    def level(value: Any, where: str) -> str:
        try:
            return scale.severity(str(value)).id
        except InvalidInput as exc:
            raise ConfigError(where, str(exc)) from None

    maps: dict[str, dict[str, str]] = {}
    for key, defaults in (("priority", DEFAULT_PAGERDUTY_PRIORITY), ("urgency", DEFAULT_PAGERDUTY_URGENCY)):
        given = section.get(key) or {}
        if not isinstance(given, dict):
            raise ConfigError(f"import.pagerduty.{key}", f"must map PagerDuty's {key} values to severities")
        maps[key] = {**defaults, **{str(k): level(v, f"import.pagerduty.{key}.{k}") for k, v in given.items()}}
    default = section.get("default")
    return PagerDutyImport(
        priority=maps["priority"],
        urgency=maps["urgency"],
        default=level(default, "import.pagerduty.default") if default is not None else DEFAULT_PAGERDUTY_SEVERITY,
    )
