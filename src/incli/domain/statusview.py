"""What the status page shows, as plain data, and its machine-readable copies: the JSON of
Atlassian Statuspage's public API (``api/v2/summary.json``, ``incidents.json``), the Atom
and RSS feeds (one entry per public update) and an SVG badge per component.

Built only from what domain/statuspage.py says is public. Every text is escaped by the
format that carries it: the templates autoescape, XML is built with ElementTree, JSON
with json, the badge through xml.sax.saxutils. Pure: no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from incli.domain import statuspage as sp
from incli.domain.model import Incident
from incli.domain.times import short_duration, to_iso

ATOM_NS = "http://www.w3.org/2005/Atom"
COLOURS = {
    "operational": "#2e7d32",
    "under_maintenance": "#1565c0",
    "degraded_performance": "#b8860b",
    "partial_outage": "#e65100",
    "major_outage": "#c62828",
}
STATUS_BODIES = {
    "investigating": "We are investigating this issue.",
    "identified": "The issue has been identified and a fix is being worked on.",
    "monitoring": "A fix has been put in place and we are monitoring the results.",
    "resolved": "This incident has been resolved.",
}
MILESTONES = (
    ("opened_at", "investigating"),
    ("acknowledged_at", "identified"),
    ("mitigated_at", "monitoring"),
    ("resolved_at", "resolved"),
)
API_INCIDENTS = 50  # incidents.json holds the 50 most recent, as Statuspage's does


@dataclass
class Update:
    """A public update of an incident."""

    id: str
    at: datetime
    status: str
    body: str
    public: bool  # a public update (in the feeds), not a status change


@dataclass
class IncidentView:
    """An incident as the status page shows it."""

    id: str
    title: str
    status: str
    state: str  # the component state it causes
    started_at: datetime
    created_at: datetime
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    components: list[sp.Component]
    updates: list[Update]  # newest first
    summary: str | None  # a published postmortem's public summary
    active: bool

    @property
    def page(self) -> str:
        return f"incidents/{self.id}.html"

    @property
    def month(self) -> str:
        return f"{self.started_at:%Y-%m}"


@dataclass
class Day:
    """One day of a component's bar."""

    day: str
    state: str
    title: str  # the hover text


@dataclass
class ComponentView:
    """A component as the status page shows it."""

    component: sp.Component
    state: str
    days: list[Day]
    percent: str
    updated_at: datetime

    @property
    def id(self) -> str:
        return self.component.id

    @property
    def name(self) -> str:
        return self.component.name


@dataclass
class WindowView:
    """A maintenance window as the status page shows it."""

    window: sp.Window
    status: str
    components: list[sp.Component]

    @property
    def name(self) -> str:
        """What customers know it as: the components' names, else the service's."""
        return ", ".join(c.name for c in self.components) or self.window.service


@dataclass
class Page:
    """The whole status page as data."""

    settings: sp.Settings
    now: datetime
    days: int
    state: str
    components: list[ComponentView]
    incidents: list[IncidentView]  # every shown one in the window, newest first
    windows: list[WindowView]  # not completed: upcoming and running, soonest first
    months: list[str] = field(default_factory=list)  # YYYY-MM, newest first

    @property
    def active(self) -> list[IncidentView]:
        return [i for i in self.incidents if i.active]

    @property
    def page_id(self) -> str:
        return sp.slug(self.settings.title)

    def words(self, state: str) -> str:
        return self.settings.word(state)

    @property
    def headline(self) -> str:
        return self.settings.word("all_operational") if self.state == "operational" else self.words(self.state)

    @staticmethod
    def month_name(month: str) -> str:
        """``2025-03`` as people read it: March 2025."""
        return datetime.strptime(month, "%Y-%m").strftime("%B %Y")

    def in_month(self, month: str) -> list[IncidentView]:
        return [i for i in self.incidents if i.month == month]


def _status_at(incident: Incident, moment: datetime) -> str:
    status = "investigating"
    for name, word in MILESTONES:
        value = incident.time(name)
        if value is not None and value <= moment:
            status = word
    return status


def incident_view(incident: Incident, components: list[sp.Component], settings: sp.Settings) -> IncidentView:
    updates: list[Update] = []
    for name, word in MILESTONES:
        moment = incident.time(name)
        if moment is not None:
            updates.append(Update(f"{incident.id}-{name}", moment, word, STATUS_BODIES[word], public=False))
    for number, entry in enumerate(sorted(sp.public_updates(incident), key=lambda e: e.at), 1):
        updates.append(Update(f"{incident.id}-u{number}", entry.at, _status_at(incident, entry.at), entry.text, True))
    updates.sort(key=lambda u: (u.at, u.public), reverse=True)
    return IncidentView(
        id=incident.id,
        title=sp.public_title(incident, settings, components),
        status=sp.incident_status(incident),
        state=settings.state_for(incident.severity),
        started_at=incident.started_at,
        created_at=incident.opened_at,
        updated_at=updates[0].at if updates else incident.opened_at,
        monitoring_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        components=[c for c in components if sp.affects(c, incident)],
        updates=updates,
        summary=sp.public_summary(incident),
        active=incident.active,
    )


def _day_title(day: sp.Day, words: str) -> str:
    parts = [f"{day.day:%Y-%m-%d}: {words}"]
    if day.minutes:
        parts.append(f"{day.minutes} minute{'s' if day.minutes != 1 else ''} of impact")
    if day.maintenance:
        parts.append(f"{short_duration(timedelta(minutes=day.maintenance))} of maintenance")
    return ", ".join(parts)


def build(
    incidents: list[Incident],
    windows: list[sp.Window],
    components: tuple[sp.Component, ...],
    settings: sp.Settings,
    now: datetime,
    days: int = sp.DEFAULT_DAYS,
) -> Page:
    """The page: incidents are every incident in the repository (private ones and drills are
    left out here, private impact counted only as settings say)."""
    zone = settings.zone
    start = sp.day_bounds(sp.first_day(now.astimezone(zone).date(), days), zone)[0]
    relevant = [i for i in incidents if i.active or sp.impact_windows(i, now)[-1][1] >= start]
    shown = [i for i in relevant if sp.shown(i)]
    comps = list(components)
    views = [incident_view(i, comps, settings) for i in shown]
    views.sort(key=lambda v: (v.started_at, v.id), reverse=True)
    running = [w for w in windows if w.status(now) != "completed"]
    running.sort(key=lambda w: w.starts_at)
    rows: list[ComponentView] = []
    for component in comps:
        bar = sp.uptime(component, relevant, windows, settings, now, days)
        state = sp.component_state(component, shown, windows, settings, now)
        touched = [v.updated_at for v in views if component in v.components]
        rows.append(
            ComponentView(
                component=component,
                state=state,
                days=[Day(f"{d.day:%Y-%m-%d}", d.state, _day_title(d, settings.word(d.state))) for d in bar.days],
                percent=sp.percent_text(bar.percent),
                updated_at=max(touched, default=now),
            )
        )
    # An active incident on no component still shows in the overall state.
    unmapped = [settings.state_for(i.severity) for i in shown if i.active and not any(sp.affects(c, i) for c in comps)]
    state = sp.worst([r.state for r in rows] + unmapped)
    months: list[str] = []
    cursor = now.astimezone(zone).date().replace(day=1)
    first = start.date().replace(day=1)
    while cursor >= first:
        months.append(f"{cursor:%Y-%m}")
        cursor = (cursor - timedelta(days=1)).replace(day=1)
    return Page(
        settings=settings,
        now=now,
        days=days,
        state=state,
        components=rows,
        incidents=views,
        windows=[WindowView(w, w.status(now), [c for c in comps if c.covers(w.service)]) for w in running],
        months=months,
    )


# -- texts the privacy check reads ---------------------------------------------------


def public_texts(page: Page) -> list[tuple[str, str]]:
    """(where, text) of everything a person wrote that the page publishes."""
    found: list[tuple[str, str]] = []
    for view in page.incidents:
        found.append((f"{view.id} public title", view.title))
        for update in view.updates:
            if update.public:
                found.append((f"{view.id} public update at {to_iso(update.at)}", update.body))
        if view.summary:
            found.append((f"{view.id} public postmortem summary", view.summary))
    for window in page.windows:
        found.append((f"{window.window.id} maintenance text", window.window.text))
        found.append((f"{window.window.id} maintenance service", window.window.service))
    for component in page.components:
        found.append((f"component {component.id}", component.name))
    return found


# -- Atlassian Statuspage's public API (v2) -----------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return to_iso(moment) if moment is not None else None


def _link(page: Page, relative: str) -> str:
    base = page.settings.url
    return (base.rstrip("/") + "/" + relative) if base else relative


def _page_json(page: Page) -> dict[str, Any]:
    return {
        "id": page.page_id,
        "name": page.settings.title,
        "url": page.settings.url or "",
        "time_zone": page.settings.timezone,
        "updated_at": to_iso(page.now),
    }


def _component_json(page: Page, row: ComponentView, position: int) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "status": row.state,
        "created_at": to_iso(page.now),
        "updated_at": to_iso(row.updated_at),
        "position": position,
        "description": None,
        "showcase": True,
        "start_date": None,
        "group_id": None,
        "page_id": page.page_id,
        "group": False,
        "only_show_if_degraded": False,
    }


def _affected(components: list[sp.Component], state: str) -> list[dict[str, Any]]:
    return [{"code": c.id, "name": c.name, "old_status": "operational", "new_status": state} for c in components]


def _incident_json(page: Page, view: IncidentView) -> dict[str, Any]:
    rows = {r.id: r for r in page.components}
    position = {r.id: n for n, r in enumerate(page.components, 1)}
    return {
        "id": view.id,
        "name": view.title,
        "status": view.status,
        "created_at": to_iso(view.created_at),
        "updated_at": to_iso(view.updated_at),
        "monitoring_at": _iso(view.monitoring_at),
        "resolved_at": _iso(view.resolved_at),
        "impact": sp.INDICATOR[view.state],
        "shortlink": _link(page, view.page),
        "started_at": to_iso(view.started_at),
        "page_id": page.page_id,
        "incident_updates": [
            {
                "id": u.id,
                "status": u.status,
                "body": u.body,
                "incident_id": view.id,
                "created_at": to_iso(u.at),
                "updated_at": to_iso(u.at),
                "display_at": to_iso(u.at),
                "affected_components": _affected(view.components, view.state),
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
            for u in view.updates
        ],
        "components": [_component_json(page, rows[c.id], position[c.id]) for c in view.components if c.id in rows],
    }


def _maintenance_json(page: Page, view: WindowView) -> dict[str, Any]:
    window = view.window
    status = view.status
    rows = {r.id: r for r in page.components}
    position = {r.id: n for n, r in enumerate(page.components, 1)}
    return {
        "id": window.id,
        "name": f"{page.words('under_maintenance')}: {view.name}",
        "status": status,
        "created_at": to_iso(window.created_at),
        "updated_at": to_iso(window.created_at),
        "monitoring_at": None,
        "resolved_at": None,
        "impact": "maintenance",
        "shortlink": _link(page, "index.html"),
        "started_at": to_iso(window.starts_at),
        "page_id": page.page_id,
        "incident_updates": [
            {
                "id": f"{window.id}-u1",
                "status": "scheduled",
                "body": window.text,
                "incident_id": window.id,
                "created_at": to_iso(window.created_at),
                "updated_at": to_iso(window.created_at),
                "display_at": to_iso(window.created_at),
                "affected_components": _affected(view.components, "under_maintenance"),
                "deliver_notifications": True,
                "custom_tweet": None,
                "tweet_id": None,
            }
        ],
        "components": [_component_json(page, rows[c.id], position[c.id]) for c in view.components if c.id in rows],
        "scheduled_for": to_iso(window.starts_at),
        "scheduled_until": to_iso(window.ends_at),
    }


def status_json(page: Page) -> dict[str, Any]:
    return {"indicator": sp.INDICATOR[page.state], "description": page.headline}


def summary_json(page: Page) -> dict[str, Any]:
    return {
        "page": _page_json(page),
        "components": [_component_json(page, row, n) for n, row in enumerate(page.components, 1)],
        "incidents": [_incident_json(page, v) for v in page.active],
        "scheduled_maintenances": [_maintenance_json(page, w) for w in page.windows],
        "status": status_json(page),
    }


def incidents_json(page: Page) -> dict[str, Any]:
    recent = sorted(page.incidents, key=lambda v: (v.created_at, v.id), reverse=True)[:API_INCIDENTS]
    return {"page": _page_json(page), "incidents": [_incident_json(page, v) for v in recent]}


def api_files(page: Page) -> dict[str, str]:
    """The files under api/v2/, as text."""
    summary = summary_json(page)
    files = {
        "summary.json": summary,
        "status.json": {"page": summary["page"], "status": summary["status"]},
        "components.json": {"page": summary["page"], "components": summary["components"]},
        "incidents.json": incidents_json(page),
        "incidents/unresolved.json": {"page": summary["page"], "incidents": summary["incidents"]},
        "scheduled-maintenances.json": {
            "page": summary["page"],
            "scheduled_maintenances": summary["scheduled_maintenances"],
        },
    }
    return {name: json.dumps(data, indent=2, ensure_ascii=False) + "\n" for name, data in files.items()}


# -- feeds --------------------------------------------------------------------------


def _feed_entries(page: Page) -> list[tuple[IncidentView, Update]]:
    pairs = [(v, u) for v in page.incidents for u in v.updates if u.public]
    pairs.sort(key=lambda p: (p[1].at, p[1].id), reverse=True)
    return pairs


def _tag(page: Page, what: str) -> str:
    return f"tag:incli.statuspage,{page.now:%Y}:{page.page_id}/{what}"


def atom(page: Page) -> str:
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    entries = _feed_entries(page)
    sub(feed, "id", page.settings.url or _tag(page, "feed"))
    sub(feed, "title", page.settings.title)
    sub(feed, "updated", to_iso(entries[0][1].at if entries else page.now))
    sub(feed, "link", href=_link(page, "index.html"), rel="alternate", type="text/html")
    sub(feed, "link", href=_link(page, "feed.atom"), rel="self", type="application/atom+xml")
    author = sub(feed, "author")
    sub(author, "name", page.settings.title)
    for view, update in entries:
        entry = sub(feed, "entry")
        sub(entry, "id", _tag(page, update.id))
        sub(entry, "title", f"{view.title}: {sp.STATUS_WORDS.get(update.status, update.status)}")
        sub(entry, "updated", to_iso(update.at))
        sub(entry, "published", to_iso(update.at))
        sub(entry, "link", href=_link(page, view.page), rel="alternate", type="text/html")
        sub(entry, "content", update.body, type="text")
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def rss(page: Page) -> str:
    root = ET.Element("rss", {"version": "2.0"})
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = page.settings.title
    ET.SubElement(channel, "link").text = _link(page, "index.html")
    ET.SubElement(channel, "description").text = f"Status updates from {page.settings.title}"
    ET.SubElement(channel, "lastBuildDate").text = format_datetime(page.now)
    for view, update in _feed_entries(page):
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = f"{view.title}: {sp.STATUS_WORDS.get(update.status, update.status)}"
        ET.SubElement(item, "link").text = _link(page, view.page)
        ET.SubElement(item, "description").text = update.body
        ET.SubElement(item, "pubDate").text = format_datetime(update.at)
        ET.SubElement(item, "guid", {"isPermaLink": "false"}).text = _tag(page, update.id)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# -- badges -------------------------------------------------------------------------


def _text_width(text: str) -> int:
    return 12 + int(6.5 * len(text))


def badge(name: str, words: str, state: str) -> str:
    """A flat badge: the component's name on grey, its state on the state's colour."""
    left, right = _text_width(name), _text_width(words)
    total = left + right
    colour = COLOURS.get(state, "#555")
    label = f"{name}: {words}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f"aria-label={quoteattr(label)}>\n"
        f"<title>{escape(label)}</title>\n"
        f'<rect width="{left}" height="20" fill="#555"/>\n'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>\n'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">\n'
        f'<text x="6" y="14">{escape(name)}</text>\n'
        f'<text x="{left + 6}" y="14">{escape(words)}</text>\n'
        "</g>\n</svg>\n"
    )
