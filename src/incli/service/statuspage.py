"""``inc statuspage``: the public status page as a static site, and ``--check``, its privacy gate.

The page is built from what domain/statuspage.py calls public; before anything is written
the privacy check reads every public text, and one finding stops the build (nothing
written). The site is built in a temporary folder and swapped into place like the report
(service/report.py): a folder is only ever replaced when it is empty or holds the marker
of an earlier status page.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from incli.domain import statuspage as sp
from incli.domain import statusview
from incli.domain.maintenance import Maintenance
from incli.domain.merge import MERGE_BY
from incli.domain.model import Incident
from incli.domain.times import parse_duration, parse_time
from incli.errors import InvalidInput, Problems, StorageError
from incli.storage import gitinfo
from incli.storage import maintenance as maintenance_files
from incli.storage.repo import inside

MARKER = ".incli-statuspage"
MARKER_TEXT = (
    "This folder was written by `inc statuspage` and is replaced whole each time it runs.\n"
    "Do not keep your own files here.\n"
)
DEFAULT_DIR = "statuspage"
GITIGNORE_TEXT = "# written by inc statuspage: built from the incidents, never committed unless you choose to\n*\n"
COMMAND = "inc statuspage"
LOGO_SUFFIXES = (".png", ".svg", ".jpg", ".jpeg", ".gif", ".webp")
MAX_LOGO_BYTES = 1024 * 1024
# Who writes timeline entries without being a person: never looked for in public text.
NOT_PEOPLE = {MERGE_BY.casefold(), "incli", "alertmanager", "pagerduty", "inc watch"}


class PrivateText(Problems):
    """What the privacy check found: one line per finding (exit 6, nothing written)."""

    def __init__(self, findings: list[sp.Finding]) -> None:
        count = len(findings)
        super().__init__(f"{count} thing{'s' if count != 1 else ''} in the public text must not be published")
        self.findings = findings


@dataclass
class StatusPageResult:
    """What inc statuspage built."""

    folder: Path | None  # None for --check
    index: Path | None
    incidents: int
    components: int
    pages: int
    checked: int  # public texts read by the privacy check


def _days(since: str | None, now: datetime, zone: Any) -> int:
    """How many days the bars and the history cover: ``90d`` (a duration) or a date/time."""
    if since is None:
        return sp.DEFAULT_DAYS
    text = since.strip()
    try:
        span = parse_duration(text)
        days = max(1, -(-span // timedelta(days=1)))
    except InvalidInput:
        start = parse_time(text, now)
        days = (now.astimezone(zone).date() - start.astimezone(zone).date()).days + 1
    if days < 1:
        raise InvalidInput(f"--since {since!r} is in the future; give e.g. 90d or 2025-01-01")
    if days > sp.MAX_DAYS:
        raise InvalidInput(f"--since {since!r} covers {days} days; at most {sp.MAX_DAYS}")
    return int(days)


def people(incidents: list[Incident], repo_root: Path) -> list[str]:
    """Every person the repository names: commanders and roles, timeline authors, postmortem
    authors and reviewers, action owners, and git's user.name."""
    names: set[str] = set()
    for incident in incidents:
        names.update(n for n in (incident.commander, *incident.roles.values()) if n)
        names.update(e.by for e in incident.timeline if e.by)
        post = incident.extra.get("postmortem")
        if isinstance(post, dict):
            for key in ("authors", "reviewers"):
                value = post.get(key)
                if isinstance(value, list):
                    names.update(str(v) for v in value if v)
        actions = incident.extra.get("actions")
        if isinstance(actions, list):
            names.update(str(a["owner"]) for a in actions if isinstance(a, dict) and a.get("owner"))
    user = gitinfo.user_name(repo_root)
    if user:
        names.add(user)
    return sp.people_words(n for n in names if n.strip().casefold() not in NOT_PEOPLE)


def _windows(service: Any) -> list[Maintenance]:
    return [w for w in maintenance_files.load_all(service.repo, service.store.warnings) if w.cancelled_at is None]


def prepare(service: Any, since: str | None = None) -> tuple[statusview.Page, list[sp.Finding], int]:
    """The page and what the privacy check finds in it (and how many texts it read)."""
    config = service.config
    settings: sp.Settings = config.statuspage
    now: datetime = service.now()
    days = _days(since, now, settings.zone)
    incidents = service.all()
    windows = [w.window() for w in _windows(service)]
    components = settings.components
    if components is None:
        # The catalog's services marked public: true; without any, one component per service
        # seen on a public incident or a maintenance window.
        from incli.service.catalog import catalog_of

        services = [item.name for item in catalog_of(service).services if item.public]
        if not services:
            services = [i.service for i in incidents if i.service and sp.shown(i)] + [w.service for w in windows]
        components = sp.default_components(services)
    page = statusview.build(incidents, windows, components, settings, now, days)
    texts = statusview.public_texts(page)
    names = people(incidents, service.repo.root)
    findings = [f for where, text in texts for f in sp.scan(where, text, names, settings.hostnames)]
    return page, findings, len(texts)


def check(service: Any, since: str | None = None) -> StatusPageResult:
    page, findings, checked = prepare(service, since)
    if findings:
        raise PrivateText(findings)
    return StatusPageResult(None, None, len(page.incidents), len(page.components), 0, checked)


def _logo(service: Any, settings: sp.Settings) -> tuple[str | None, bytes | None, str | None]:
    """(the src the page uses, the file's bytes to copy, its name in the site)."""
    if settings.logo is None:
        return None, None, None
    if settings.logo.startswith(("http://", "https://")):
        return settings.logo, None, None
    root = service.repo.root
    path = root / settings.logo
    suffix = path.suffix.lower()
    if suffix not in LOGO_SUFFIXES:
        raise InvalidInput(f"statuspage.logo: {settings.logo} is not an image ({', '.join(LOGO_SUFFIXES)})")
    if not inside(path, root) or not path.is_file():
        raise InvalidInput(f"statuspage.logo: {settings.logo} is not a file inside the repository")
    if path.stat().st_size > MAX_LOGO_BYTES:
        raise InvalidInput(f"statuspage.logo: {settings.logo} is over {MAX_LOGO_BYTES:,} bytes")
    name = f"logo{suffix}"
    return name, path.read_bytes(), name


def build_statuspage(
    service: Any, out: str | os.PathLike[str] | None = None, since: str | None = None
) -> StatusPageResult:
    """Check, then write the site; PrivateText (and nothing written) on any finding."""
    from incli.render import ReportRenderer
    from incli.service.report import check_target, publish_site

    folder = Path(os.path.abspath(Path(out).expanduser() if out else service.repo.root / DEFAULT_DIR))
    check_target(folder, MARKER, COMMAND)
    if not folder.parent.is_dir():
        raise StorageError(f"cannot write the status page: {folder.parent} does not exist")
    page, findings, checked = prepare(service, since)
    if findings:
        raise PrivateText(findings)
    settings = page.settings
    logo_src, logo_bytes, logo_name = _logo(service, settings)
    renderer = ReportRenderer(settings.zone, service.repo.templates_dir, folder="statuspage")

    pages = 0

    def write(building: Path) -> None:
        nonlocal pages
        pages = _write_site(building, renderer, page, logo_src)
        if logo_bytes is not None and logo_name is not None:
            (building / logo_name).write_bytes(logo_bytes)
        if folder == Path(os.path.abspath(service.repo.root / DEFAULT_DIR)):
            (building / ".gitignore").write_text(GITIGNORE_TEXT, encoding="utf-8")

    publish_site(folder, write, "the status page", MARKER, COMMAND)
    return StatusPageResult(folder, folder / "index.html", len(page.incidents), len(page.components), pages, checked)


def _write_site(building: Path, renderer: Any, page: statusview.Page, logo: str | None) -> int:
    pages = 0

    def write(relative: str, content: str | bytes) -> None:
        nonlocal pages
        path = building / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        if relative.endswith(".html"):
            pages += 1

    settings = page.settings
    zone_name = settings.timezone
    site = {
        "title": settings.title,
        "logo": logo,
        "links": settings.links,
        "zone_name": zone_name,
        "generated_at": page.now,
        "words": settings.word,
        "colours": statusview.COLOURS,
        "status_words": sp.STATUS_WORDS,
    }
    common = {"site": site, "page": page}
    write(MARKER, MARKER_TEXT)
    write("style.css", renderer.static("style.css"))
    write("index.html", renderer.render("index.html", root="", **common))
    write("history/index.html", renderer.render("history.html", root="../", month=None, **common))
    for month in page.months:
        write(
            f"history/{month}.html",
            renderer.render("month.html", root="../", month=month, incidents=page.in_month(month), **common),
        )
    for view in page.incidents:
        write(view.page, renderer.render("incident.html", root="../", incident=view, **common))
    write("feed.atom", statusview.atom(page))
    write("feed.rss", statusview.rss(page))
    for name, text in statusview.api_files(page).items():
        write(f"api/v2/{name}", text)
    for row in page.components:
        write(f"badges/{row.id}.svg", statusview.badge(row.name, settings.word(row.state), row.state))
    return pages
