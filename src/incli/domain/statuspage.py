"""The public status page: its settings (``statuspage:`` in incli.yaml), what of an
incident is public, the state of each component, the uptime bars, and the privacy
check that refuses to publish what looks private.

Pure: no I/O. ``service/statuspage.py`` gathers the incidents and writes the site.

Only what is marked public reaches the page: an incident's ``public_title`` (else
"Degraded performance on SERVICE"), the updates posted with ``inc update --public``
(timeline entries of kind ``update`` with ``public: true``), the lifecycle times, and a
published postmortem's ``public_summary``. An incident with ``private: true`` never
appears, and its impact only counts in the bars with ``count_private_impact: true``.
Drills never count.
"""

from __future__ import annotations

import fnmatch
import functools
import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from incli.domain import durations
from incli.domain.model import Incident, TimelineEntry, service_key
from incli.domain.severity import Severities, unknown_key
from incli.domain.times import zone_named
from incli.errors import ConfigError, InvalidInput

# The component states, in Atlassian Statuspage's words, least to most serious (the worst wins).
STATES = ("operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage")
RANK = {state: index for index, state in enumerate(STATES)}
DEFAULT_WORDING = {
    "operational": "Operational",
    "under_maintenance": "Under maintenance",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
    "all_operational": "All systems operational",
}
DEFAULT_STATES = {
    "SEV1": "major_outage",
    "SEV2": "partial_outage",
    "SEV3": "degraded_performance",
    "SEV4": "degraded_performance",
}
# A severity the mapping does not name (a team's own levels, ``unknown`` imported history).
FALLBACK_STATE = "degraded_performance"
# Statuspage's ``status.indicator`` and an incident's ``impact`` for each state.
INDICATOR = {
    "operational": "none",
    "under_maintenance": "maintenance",
    "degraded_performance": "minor",
    "partial_outage": "major",
    "major_outage": "critical",
}
# Statuspage's incident status for each incli status.
INCIDENT_STATUS = {
    "open": "investigating",
    "reopened": "investigating",
    "acknowledged": "identified",
    "mitigated": "monitoring",
    "resolved": "resolved",
}
STATUS_WORDS = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Resolved",
    "postmortem": "Postmortem",
}
DEFAULT_TITLE = "Status"
DEFAULT_DAYS = 90
MAX_DAYS = 366
MAX_TEXT = 10_000  # a public update or maintenance text, in characters
SECTION_KEYS = (
    "title",
    "logo",
    "url",
    "links",
    "timezone",
    "components",
    "states",
    "wording",
    "count_private_impact",
    "hostnames",
)


@dataclass(frozen=True)
class Component:
    """A component of the status page and the services it covers."""

    id: str
    name: str
    services: tuple[str, ...]

    def covers(self, service: str | None) -> bool:
        key = service_key(service)
        return key is not None and key in {service_key(s) for s in self.services}


@dataclass(frozen=True)
class Link:
    """A link shown on the status page."""

    name: str
    url: str


@dataclass(frozen=True)
class Settings:
    """``statuspage:`` in incli.yaml."""

    title: str = DEFAULT_TITLE
    logo: str | None = None  # an http(s) URL, or a file in the repository (copied into the site)
    url: str | None = None  # where the page is published (absolute links in the feeds)
    links: tuple[Link, ...] = ()
    timezone: str = "UTC"
    components: tuple[Component, ...] | None = None  # None: the catalog's public services
    states: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_STATES))
    wording: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_WORDING))
    count_private_impact: bool = False
    hostnames: tuple[str, ...] = ()  # glob patterns (*.internal) that must never be published

    @property
    def zone(self) -> tzinfo:
        found = zone_named(self.timezone)
        assert found is not None
        return found

    def state_for(self, severity: str) -> str:
        return self.states.get(severity, FALLBACK_STATE)

    def word(self, state: str) -> str:
        return self.wording.get(state, DEFAULT_WORDING.get(state, state))


def slug(text: str) -> str:
    """A component's id from its name: ``Public API`` -> ``public-api``."""
    found = re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")
    return found or "component"


def _http_url(value: Any, where: str) -> str:
    if not isinstance(value, str) or not re.match(r"^https?://[^\s<>\"']+$", value.strip()):
        raise ConfigError(where, "must be an http:// or https:// address")
    return value.strip()


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(where, "must be text")
    return value.strip()


def settings_from_config(raw: Any, scale: Severities | None = None) -> Settings:
    """Parse ``statuspage:``; ConfigError names the key."""
    if raw is None:
        return Settings()
    if not isinstance(raw, dict):
        raise ConfigError("statuspage", "must be a mapping such as {title: Acme status}")
    unknown_key(raw, SECTION_KEYS, "statuspage")
    where = "statuspage"
    title = _text(raw["title"], f"{where}.title") if raw.get("title") is not None else DEFAULT_TITLE
    logo = None
    if raw.get("logo") is not None:
        logo = _text(raw["logo"], f"{where}.logo")
        if ":" in logo.split("/")[0] and not logo.startswith(("http://", "https://")):
            raise ConfigError(f"{where}.logo", "must be an http(s) address or a file in the repository")
    url = _http_url(raw["url"], f"{where}.url") if raw.get("url") is not None else None
    links: list[Link] = []
    raw_links = raw.get("links") or []
    if not isinstance(raw_links, list):
        raise ConfigError(f"{where}.links", "must be a list of {name, url}")
    for index, item in enumerate(raw_links):
        at = f"{where}.links[{index}]"
        if not isinstance(item, dict):
            raise ConfigError(at, "must be a mapping {name, url}")
        unknown_key(item, ("name", "url"), at)
        links.append(Link(_text(item.get("name"), f"{at}.name"), _http_url(item.get("url"), f"{at}.url")))
    tz = raw.get("timezone", "UTC")
    if not isinstance(tz, str) or not tz.strip():
        raise ConfigError(f"{where}.timezone", "must be a name such as Europe/Berlin or UTC")
    try:
        zone_named(tz)
    except InvalidInput:
        raise ConfigError(f"{where}.timezone", f"unknown time zone {tz!r}; use an IANA name such as UTC") from None
    states = dict(DEFAULT_STATES)
    raw_states = raw.get("states") or {}
    if not isinstance(raw_states, dict):
        raise ConfigError(f"{where}.states", "must map severities to states, such as {SEV1: major_outage}")
    for sev, state in raw_states.items():
        at = f"{where}.states.{sev}"
        if scale is not None and scale.find_severity(str(sev)) is None:
            raise ConfigError(at, f"no such severity; known: {', '.join(s.id for s in scale.severities)}")
        if state not in STATES or state in ("operational", "under_maintenance"):
            raise ConfigError(at, "must be one of degraded_performance, partial_outage, major_outage")
        states[str(sev)] = state
    wording = dict(DEFAULT_WORDING)
    raw_wording = raw.get("wording") or {}
    if not isinstance(raw_wording, dict):
        raise ConfigError(f"{where}.wording", "must map states to words, such as {major_outage: Down}")
    unknown_key(raw_wording, tuple(DEFAULT_WORDING), f"{where}.wording")
    for key, words in raw_wording.items():
        wording[key] = _text(words, f"{where}.wording.{key}")
    count_private = raw.get("count_private_impact", False)
    if not isinstance(count_private, bool):
        raise ConfigError(f"{where}.count_private_impact", "must be true or false")
    hostnames = raw.get("hostnames") or []
    if not isinstance(hostnames, list) or not all(isinstance(h, str) and h.strip() for h in hostnames):
        raise ConfigError(f"{where}.hostnames", "must be a list of patterns such as '*.internal'")
    return Settings(
        title=title,
        logo=logo,
        url=url,
        links=tuple(links),
        timezone=tz.strip(),
        components=_components(raw.get("components"), f"{where}.components"),
        states=states,
        wording=wording,
        count_private_impact=count_private,
        hostnames=tuple(h.strip().lower() for h in hostnames),
    )


def _components(raw: Any, where: str) -> tuple[Component, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise ConfigError(where, "must be a list of service names or of {id, name, services}")
    found: list[Component] = []
    for index, item in enumerate(raw):
        at = f"{where}[{index}]"
        if isinstance(item, str) and item.strip():
            found.append(Component(slug(item), item.strip(), (item.strip(),)))
            continue
        if not isinstance(item, dict):
            raise ConfigError(at, "must be a service name or a mapping {id, name, services}")
        unknown_key(item, ("id", "name", "services"), at)
        name = _text(item.get("name"), f"{at}.name")
        ident = _text(item["id"], f"{at}.id") if item.get("id") is not None else slug(name)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", ident):
            raise ConfigError(f"{at}.id", "must be letters, digits, - and _ (it names the badge file)")
        services = item.get("services", [name])
        if (
            not isinstance(services, list)
            or not services
            or not all(isinstance(s, str) and s.strip() for s in services)
        ):
            raise ConfigError(f"{at}.services", "must be a list of service names")
        found.append(Component(ident, name, tuple(s.strip() for s in services)))
    ids = [c.id for c in found]
    for ident in ids:
        if ids.count(ident) > 1:
            raise ConfigError(where, f"two components have the id {ident!r}; give each its own id")
    return tuple(found)


def default_components(services: Iterable[str]) -> tuple[Component, ...]:
    """One component per service (the services of the public incidents, by service_key)."""
    seen: dict[str, str] = {}
    for name in services:
        key = service_key(name)
        if key is not None and key not in seen:
            seen[key] = name.strip()
    found: list[Component] = []
    used: set[str] = set()
    for name in sorted(seen.values(), key=str.casefold):
        ident = slug(name)
        while ident in used:
            ident += "-2"
        used.add(ident)
        found.append(Component(ident, name, (name,)))
    return tuple(found)


# -- what of an incident is public ------------------------------------------------


def is_private(incident: Incident) -> bool:
    """``private:`` set to anything but false or nothing: fail closed (a quoted "true" is private)."""
    return incident.extra.get("private") not in (None, False)


def is_public_entry(entry: TimelineEntry) -> bool:
    return entry.kind == "update" and entry.extra.get("public") is True


def public_title(incident: Incident, settings: Settings, components: Sequence[Component] = ()) -> str:
    """The public title, else "Degraded performance on NAME": the name of the component that
    covers the incident's service (what customers know it as), else the service's."""
    given = incident.extra.get("public_title")
    if isinstance(given, str) and given.strip():
        return given.strip()
    words = settings.word("degraded_performance")
    if not incident.service:
        return words
    name = next((c.name for c in components if c.covers(incident.service)), incident.service)
    return f"{words} on {name}"


def public_updates(incident: Incident) -> list[TimelineEntry]:
    """The updates posted as public, newest first."""
    return sorted((e for e in incident.timeline if is_public_entry(e)), key=lambda e: e.at, reverse=True)


def public_summary(incident: Incident) -> str | None:
    """A published postmortem's ``public_summary`` (never any other part of it)."""
    post = incident.extra.get("postmortem")
    if not isinstance(post, dict) or post.get("state") != "published":
        return None
    text = post.get("public_summary")
    return text.strip() if isinstance(text, str) and text.strip() else None


def incident_status(incident: Incident) -> str:
    """Statuspage's status word for the incident (``postmortem`` once its summary is out)."""
    status = INCIDENT_STATUS.get(incident.status, "investigating")
    if status == "resolved" and public_summary(incident):
        return "postmortem"
    return status


def shown(incident: Incident) -> bool:
    """Does the incident appear on the page at all? (Not private, not a drill.)"""
    return not is_private(incident) and not incident.drill


def counted(incident: Incident, settings: Settings) -> bool:
    """Does the incident's impact count in the bars and the uptime?"""
    if incident.drill:
        return False
    return not is_private(incident) or settings.count_private_impact


# -- maintenance windows ----------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A maintenance window as the page sees it (domain/maintenance.py reads the file)."""

    id: str
    service: str
    starts_at: datetime
    ends_at: datetime
    text: str
    created_at: datetime

    def status(self, now: datetime) -> str:
        if now < self.starts_at:
            return "scheduled"
        if now < self.ends_at:
            return "in_progress"
        return "completed"


# -- states and uptime ------------------------------------------------------------


def worst(states: Iterable[str]) -> str:
    return max(states, key=lambda s: RANK[s], default="operational")


def affects(component: Component, incident: Incident) -> bool:
    return component.covers(incident.service)


def component_state(
    component: Component, active: Sequence[Incident], windows: Sequence[Window], settings: Settings, now: datetime
) -> str:
    """Operational, under maintenance while a window runs, else the worst state of the
    active public incidents on it (mitigated ones still count: the status says monitoring)."""
    states = [settings.state_for(i.severity) for i in active if affects(component, i) and shown(i) and i.active]
    states += ["under_maintenance" for w in windows if component.covers(w.service) and w.status(now) == "in_progress"]
    return worst(states)


def impact_windows(incident: Incident, now: datetime) -> list[tuple[datetime, datetime]]:
    return durations.impact_windows(incident, now)


@dataclass(frozen=True)
class Day:
    """A component's state on one day."""

    day: date
    state: str
    minutes: int  # minutes of incident impact that day (maintenance not counted)
    maintenance: int  # minutes under maintenance that day


@dataclass(frozen=True)
class Uptime:
    """A component's uptime over the days shown."""

    days: list[Day]
    percent: float  # 0..100, over the first day's start to now
    impact: timedelta


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """A day in the page's time zone, as [start, end) instants (a DST day is 23 or 25 hours)."""
    start = datetime.combine(day, time(0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def _union(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if end <= start:  # pragma: no mutate - an empty span adds nothing, kept or not
            continue
        if merged and start <= merged[-1][1]:  # pragma: no mutate - spans that touch add up the same, joined or not
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlap(spans: Sequence[tuple[datetime, datetime]], start: datetime, end: datetime) -> timedelta:
    total = timedelta(0)
    for a, b in spans:
        lo, hi = max(a, start), min(b, end)
        if hi > lo:  # pragma: no mutate - an empty overlap adds nothing
            total += hi - lo
    return total


def first_day(today: date, days: int) -> date:
    return today - timedelta(days=days - 1)


def uptime(
    component: Component,
    incidents: Sequence[Incident],
    windows: Sequence[Window],
    settings: Settings,
    now: datetime,
    days: int = DEFAULT_DAYS,
) -> Uptime:
    """The bar (today and the ``days - 1`` before, in the page's zone) and the uptime: the
    share of the time from the first day's start to now outside every impact window
    (impact start to mitigation: durations.impact_windows) of the incidents on the
    component. Overlapping incidents count once; maintenance is not downtime."""
    zone = settings.zone
    today = now.astimezone(zone).date()
    start_day = first_day(today, days)
    mine = [i for i in incidents if affects(component, i) and counted(i, settings)]
    spans_by_state: dict[str, list[tuple[datetime, datetime]]] = {}
    for incident in mine:
        spans_by_state.setdefault(settings.state_for(incident.severity), []).extend(impact_windows(incident, now))
    all_spans = _union(s for spans in spans_by_state.values() for s in spans)
    unions = {state: _union(spans) for state, spans in spans_by_state.items()}
    maint = _union(
        (w.starts_at, min(w.ends_at, now))
        for w in windows
        if component.covers(w.service)
        if w.starts_at < now  # pragma: no mutate - one starting now is empty
    )
    found: list[Day] = []
    for offset in range(days):
        day = start_day + timedelta(days=offset)
        lo, hi = day_bounds(day, zone)
        hi = min(hi, now)
        states = [state for state, spans in unions.items() if _overlap(spans, lo, hi) > timedelta(0)]
        maint_minutes = _overlap(maint, lo, hi)
        if maint_minutes > timedelta(0):
            states.append("under_maintenance")
        found.append(
            Day(
                day=day,
                state=worst(states),
                minutes=_ceil_minutes(_overlap(all_spans, lo, hi)),
                maintenance=_ceil_minutes(maint_minutes),
            )
        )
    begin = day_bounds(start_day, zone)[0]
    total = now - begin
    impact = _overlap(all_spans, begin, now)
    percent = 100.0 if total <= timedelta(0) else 100.0 * (1 - impact / total)
    return Uptime(days=found, percent=max(0.0, percent), impact=impact)


def _ceil_minutes(delta: timedelta) -> int:
    seconds = delta.total_seconds()
    return int(-(-seconds // 60)) if seconds > 0 else 0


def percent_text(value: float) -> str:
    """``99.95%``: rounded down to two decimals, so any impact shows below 100.00%."""
    floored = int(value * 100) / 100
    return f"{floored:.2f}%"


# -- the privacy check --------------------------------------------------------------

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?:/\d{1,2})?(?![\d.]*\d)")
IPV6_CANDIDATE = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
HOST_TOKEN = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
SECRETS = (
    ("an AWS access key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("an API key", re.compile(r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|\bsk-[A-Za-z0-9_-]{20,}")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("a JSON web token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    (
        "a credential",
        re.compile(r"(?i)\b(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth)\s*[:=]\s*[^\s,;]{4,}"),
    ),
    ("a credential in an address", re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s/:@]+:[^\s/@]+@")),
    ("a bearer token", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{16,}")),
)
# A long run of letters and digits mixing upper case, lower case and digits: what keys look like.
LONG_TOKEN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{32,}(?![A-Za-z0-9+/_=-])")


@dataclass(frozen=True)
class Finding:
    """Something the privacy check found in public text."""

    where: str  # "INC-20250101-abcde public update at 2025-01-01T10:00:00+00:00"
    what: str  # "an e-mail address"
    shown: str  # the text found, shortened for a secret

    def __str__(self) -> str:
        return f"{self.where}: {self.what} ({self.shown})"


def _hidden(text: str) -> str:
    """A secret named without showing it: its first four characters (every pattern matches eight or more)."""
    return text[:4] + "..."


def _ip_findings(text: str) -> list[str]:
    found: list[str] = []
    for match in IPV4.finditer(text):
        candidate = match.group(0).split("/")[0]
        try:
            ipaddress.IPv4Address(candidate)
        except ValueError:
            continue
        found.append(match.group(0))
    for match in IPV6_CANDIDATE.finditer(text):
        candidate = match.group(0)
        if candidate.count(":") < 2:
            continue
        try:
            ipaddress.IPv6Address(candidate)
        except ValueError:
            continue
        found.append(candidate)
    return found


@functools.lru_cache(maxsize=4)
def _people_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for every name and handle (longest first), matched as whole words."""
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(r"(?<![\w])@?(?:" + alternatives + r")(?![\w])", re.IGNORECASE)


def people_words(names: Iterable[str]) -> list[str]:
    """The names and handles to look for: each as given and, for a full name, each part of
    three letters or more; without duplicates, longest first."""
    found: set[str] = set()
    for raw in names:
        name = raw.strip().lstrip("@")
        if len(name) < 3:
            continue
        found.add(name)
        parts = re.split(r"[\s._]+", name)
        if len(parts) > 1:
            found.update(p for p in parts if len(p) >= 3 and p.isalpha())
    return sorted(found, key=lambda n: (-len(n), n.casefold()))


def scan(where: str, text: str, people: Sequence[str], hostnames: Sequence[str]) -> list[Finding]:
    """What in one public text must not be published (people: from people_words)."""
    found: list[Finding] = []
    emails = list(EMAIL.finditer(text))
    for match in emails:
        found.append(Finding(where, "an e-mail address", match.group(0)))
    for address in _ip_findings(text):
        found.append(Finding(where, "an IP address", address))
    for label, pattern in SECRETS:
        for match in pattern.finditer(text):
            found.append(Finding(where, f"what looks like {label}", _hidden(match.group(0))))
    for match in LONG_TOKEN.finditer(text):
        token = match.group(0)
        mixed = all(any(test(c) for c in token) for test in (str.isdigit, str.islower, str.isupper))
        if mixed and not any(f.shown == _hidden(token) for f in found):
            found.append(Finding(where, "what looks like a secret", _hidden(token)))
    without_emails = EMAIL.sub(" ", text)
    for match in HOST_TOKEN.finditer(without_emails):
        host = match.group(0).lower()
        for glob in hostnames:
            if fnmatch.fnmatchcase(host, glob):
                found.append(Finding(where, f"a host name matching {glob}", match.group(0)))
                break
    people_re = _people_pattern(tuple(people))
    if people_re is not None:
        reported: set[str] = set()
        for person in people_re.finditer(without_emails):
            name = person.group(0).lstrip("@").casefold()
            if name not in reported:
                reported.add(name)
                found.append(Finding(where, "the name of a person in this repository", person.group(0)))
    return found


def too_long(text: str, what: str) -> None:
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"the {what} is {len(text):,} characters; keep it under {MAX_TEXT:,}")
