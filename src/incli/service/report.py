"""``inc report``: the repository as a static HTML site.

The site is built in a temporary folder next to the target and swapped into
place when every page is written, so a failed or interrupted build leaves the
previous report as it was. A folder is only ever replaced when it is empty or
holds the marker file of an earlier report: a user's own folder is never deleted.

No printing here; the CLI passes a progress callback.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any

from incli import __version__
from incli.domain import charts, durations, reportdata
from incli.domain.config import Config
from incli.domain.model import MILESTONE_LABELS, Incident
from incli.domain.times import parse_time
from incli.errors import Conflict, InvalidInput, StorageError
from incli.storage.atomic import remove_stale, temp_prefix

MARKER = ".incli-report"
MARKER_TEXT = (
    "This folder was written by `inc report` and is replaced whole each time it runs.\n"
    "Do not keep your own files here.\n"
)
DEFAULT_DIR = "report"
# Written into the default report folder (inside the repository's work tree): git ignores the
# built site, so inc sync --commit is not blocked by it. A folder named with -o gets none
# (a team may commit its site, e.g. for GitHub Pages).
GITIGNORE_TEXT = "# written by inc report: the report is built from the incidents, never committed\n*\n"
DEFAULT_TITLE = "Incident report"
# The incident list is split into pages of this many rows: a browser lays out a
# 10,000-row table slowly, and nobody scrolls that far.
INDEX_PAGE_SIZE = 1000

# output.progress: (label, total) -> a context yielding advance(pages just written)
ProgressBar = Callable[[str, int], AbstractContextManager[Callable[[int], None]]]


@dataclass
class ReportResult:
    """What inc report built."""

    folder: Path
    index: Path
    incidents: int
    pages: int


def display_zone(config: Config) -> tuple[tzinfo, str]:
    """The repository's configured time zone, else the local one."""
    configured = config.zone
    if configured is not None:
        return configured, str(config.timezone).strip()
    local = datetime.now().astimezone().tzinfo or UTC
    return local, datetime.now().astimezone().tzname() or "local time"


def index_page_name(number: int) -> str:
    return "index.html" if number == 1 else f"index-{number}.html"


def check_target(folder: Path, marker: str = MARKER, command: str = "inc report") -> None:
    """Refuse a target that is not ours to replace (``marker``: the file an earlier build left)."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise Conflict(f"{folder} exists and is not a folder; choose another -o")
    if folder.is_dir():
        try:
            entries = os.listdir(folder)
        except OSError as exc:
            raise StorageError(f"cannot read {folder}: {exc.strerror or exc}") from None
        if entries and marker not in entries:
            what = "report" if command == "inc report" else "site of " + command
            raise Conflict(
                f"{folder} is not empty and holds no {marker} file, so it is not an earlier {what}; "
                f"choose another -o ({command} replaces the whole folder)"
            )


def publish_site(
    folder: Path, write: Callable[[Path], None], what: str, marker: str = MARKER, command: str = "inc report"
) -> None:
    """Build a site into a fresh hidden folder beside ``folder`` (``write`` fills it), then swap it
    into place whole: a failure or Ctrl-C at any point leaves the earlier site as it was and no
    half-built folder behind (what a killed build left is removed once its process is gone)."""
    for kind in ("building-", "old-"):
        remove_stale(folder.parent, prefix=f".{folder.name}.{kind}", suffix="", folders=True)
    try:
        building = Path(tempfile.mkdtemp(prefix=temp_prefix(folder.name, "building-"), dir=folder.parent))
    except OSError as exc:
        raise StorageError(f"cannot write in {folder.parent}: {exc.strerror or exc}") from None
    try:
        write(building)
        swap_into_place(building, folder, marker, command)
    except OSError as exc:
        shutil.rmtree(building, ignore_errors=True)
        raise StorageError(f"cannot write {what} to {folder}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o755 & ~_umask())


def swap_into_place(built: Path, folder: Path, marker: str = MARKER, command: str = "inc report") -> None:
    """Move the built site to ``folder``, replacing an earlier one (checked again here)."""
    check_target(folder, marker, command)
    old: Path | None = None
    if folder.is_dir():
        if os.listdir(folder):
            # A fresh empty folder to rename the earlier report onto (rename replaces an empty folder).
            old = Path(tempfile.mkdtemp(prefix=temp_prefix(folder.name, "old-"), dir=folder.parent))
            os.replace(folder, old)
        else:
            folder.rmdir()
    try:
        os.replace(built, folder)
    except BaseException:
        if old is not None:
            os.replace(old, folder)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


class SiteWriter:
    """Writes the pages of one report into a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.pages = 0

    def write(self, relative: str, content: str | bytes) -> None:
        path = self.folder / relative
        data = content.encode("utf-8") if isinstance(content, str) else content
        with open(path, "wb") as handle:
            handle.write(data)
        if relative.endswith(".html"):
            self.pages += 1


def build_report(
    service: Any,
    out: str | os.PathLike[str] | None = None,
    since: str | None = None,
    progress: ProgressBar | None = None,
) -> ReportResult:
    """Write the site, with ``progress(label, total)`` advanced per page while writing."""
    from incli.render import ReportRenderer

    config: Config = service.config
    now: datetime = service.now()
    since_at = parse_time(since, now) if since else None
    folder = Path(out).expanduser() if out else service.repo.root / DEFAULT_DIR
    folder = Path(os.path.abspath(folder))
    check_target(folder)
    if not folder.parent.is_dir():
        raise StorageError(f"cannot write the report: {folder.parent} does not exist")

    title = config.report.title
    # The same scope as ``inc metrics --since``: incidents whose impact started at or after TIME.
    incidents: list[Incident] = [i for i in service.all() if since_at is None or i.started_at >= since_at]
    zone, zone_name = display_zone(config)
    today = now.astimezone().date()  # action items are overdue by the local date (the data contract)
    renderer = ReportRenderer(zone, service.repo.templates_dir)

    def warn(incident: Incident, reason: str) -> None:
        """Name what the report leaves out, as every reading command does with a broken file."""
        from incli.storage.store import Broken

        found = Broken(service.store.path_for(incident.id), None, reason)
        if found not in service.store.warnings:
            service.store.warnings.append(found)

    rows = reportdata.index_rows(incidents, now, today)
    site = {
        "name": title,
        "version": __version__,
        "generated_at": now,
        "zone_name": zone_name,
        "count": len(rows),
        "since": since_at,
        "severity_rank": config.rank,
        "service_entry": _catalog_lookup(service),
    }
    # The numbers of ``inc metrics --since ... --by month --json``, computed by the same function.
    from incli.service.metrics import metrics as measure

    measured = measure(service, since=since_at.isoformat() if since_at else None, by="month")
    total_pages = len(rows) + 2 + max(1, -(-len(rows) // INDEX_PAGE_SIZE))

    bar = progress("Writing report", total_pages) if progress else contextlib.nullcontext(lambda _n: None)

    def write(building: Path) -> None:
        with bar as advance:
            _write_site(building, renderer, rows, measured, config, now, today, zone, site, advance, warn)
            if folder == Path(os.path.abspath(service.repo.root / DEFAULT_DIR)):
                SiteWriter(building).write(".gitignore", GITIGNORE_TEXT)

    publish_site(folder, write, "the report")
    pages = sum(1 for _ in folder.rglob("*.html"))
    return ReportResult(folder=folder, index=folder / "index.html", incidents=len(rows), pages=pages)


def _write_site(
    building: Path,
    renderer: Any,
    rows: list[reportdata.IncidentRow],
    measured: dict[str, Any],
    config: Config,
    now: datetime,
    today: Any,
    zone: tzinfo,
    site: dict[str, Any],
    advance: Callable[[int], None],
    warn: Callable[[Incident, str], None],
) -> None:
    writer = SiteWriter(building)
    (building / "incidents").mkdir()
    writer.write(MARKER, MARKER_TEXT)
    writer.write("style.css", renderer.static("style.css"))
    common = {"site": site}

    active = sum(1 for r in rows if r.incident.active)
    chunks = [rows[start : start + INDEX_PAGE_SIZE] for start in range(0, len(rows), INDEX_PAGE_SIZE)] or [[]]
    pages = [index_page_name(n) for n in range(1, len(chunks) + 1)]
    for number, chunk in enumerate(chunks, 1):
        writer.write(
            pages[number - 1],
            renderer.render(
                "index.html",
                page="index",
                root="",
                rows=chunk,
                total=len(rows),
                active=active,
                number=number,
                pages=pages,
                first=(number - 1) * INDEX_PAGE_SIZE + 1,
                **common,
            ),
        )
    advance(len(chunks))

    writer.write("metrics.html", _metrics_page(renderer, rows, measured, config, zone, common))
    advance(1)

    writer.write("actions.html", _actions_page(renderer, rows, today, common))
    advance(1)

    for position, row in enumerate(rows):
        newer = rows[position - 1] if position > 0 else None
        older = rows[position + 1] if position + 1 < len(rows) else None
        writer.write(
            f"incidents/{reportdata.incident_filename(row.incident.id)}",
            _incident_page(renderer, row, config, now, today, newer, older, common, warn),
        )
        advance(1)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _catalog_lookup(service: Any) -> Callable[[str | None], dict[str, Any] | None]:
    """For the incident pages: the catalog entry (owners, team, tier) of a service, or None."""
    from incli.errors import InvalidInput
    from incli.service.catalog import catalog_of

    try:
        catalog = catalog_of(service)
    except InvalidInput:  # a broken catalog.yaml leaves the report without owners (inc validate says why)
        return lambda _name: None

    def lookup(name: str | None) -> dict[str, Any] | None:
        entry = catalog.get(name)
        return entry.to_json() if entry else None

    return lookup


def _incident_page(
    renderer: Any,
    row: reportdata.IncidentRow,
    config: Config,
    now: datetime,
    today: Any,
    newer: reportdata.IncidentRow | None,
    older: reportdata.IncidentRow | None,
    common: dict[str, Any],
    warn: Callable[[Incident, str], None],
) -> str:
    incident = row.incident
    spans = durations.spans(incident, config.metrics)
    postmortem_html = None
    if row.postmortem != reportdata.NO_POSTMORTEM:
        try:  # The same template and text as ``inc postmortem render``, as HTML.
            postmortem_html = renderer.postmortem(incident, config, now)
        except InvalidInput as exc:
            warn(incident, f"its postmortem, left out of the report: {exc}")
    zone = renderer.zone
    days = {e.at.astimezone(zone).date() for e in incident.timeline}
    # The postmortem's own summary facts go in the page's header, once; its document shows
    # only the analysis (render.REPORT_DROPS).
    # (Only from a postmortem that rendered, that is one whose fields have their types.)
    post = incident.extra.get("postmortem") if postmortem_html is not None else None
    post = post if isinstance(post, dict) else {}
    written = {key: str(post.get(key) or "").strip() for key in ("summary", "impact")}
    people = {
        key: [str(p) for p in value if p] if isinstance(value := post.get(key), list) else []
        for key in ("authors", "reviewers")
    }
    return str(
        renderer.render(
            "incident.html",
            page="incident",
            root="../",
            incident=incident,
            level=config.find_severity(incident.severity),
            milestones=[(label, incident.time(name)) for name, label in MILESTONE_LABELS],
            spans=[(metric.label, spans[metric.key]) for metric in config.metrics],
            impact=row.duration,
            overdue=durations.overdue(incident, config, now),
            now=now,
            time_format="%Y-%m-%d %H:%M" if len(days) > 1 else "%H:%M",
            actions=reportdata.actions_of(incident, today),
            postmortem_state=row.postmortem,
            postmortem_html=postmortem_html,
            postmortem_text=written,
            postmortem_people=people,
            newer=newer,
            older=older,
            **common,
        )
    )


def _metrics_page(
    renderer: Any,
    rows: list[reportdata.IncidentRow],
    measured: dict[str, Any],
    config: Config,
    zone: tzinfo,
    common: dict[str, Any],
) -> str:
    stats = reportdata.monthly_stats((r.incident for r in rows), config, zone)
    reportdata.with_monthly_resolve(stats, measured.get("groups", []))
    histogram = charts.histogram(stats.resolve_seconds)
    drawn: dict[str, str] = {}
    # Each chart twice: for a wide screen and for a phone (the stylesheet shows one), each
    # drawn for its width so that nothing is cut and its text stays readable.
    for suffix, width in (("", charts.WIDTH), ("_narrow", charts.NARROW_WIDTH)):
        if not stats.months:
            break
        tag = suffix.replace("_", "-")
        drawn[f"per_month{suffix}"] = charts.stacked_bars(
            f"per-month-chart{tag}",
            "Incidents per month, by severity",
            stats.months,
            [
                charts.Series(sev, charts.severity_colour(config.rank(sev)), stats.counts[sev])
                for sev in stats.severities
            ],
            width=width,
        )
        drawn[f"resolve_per_month{suffix}"] = charts.duration_lines(
            "resolve-chart" + tag,
            "Median and p90 time to resolve per month",
            stats.months,
            [
                charts.Series("median", charts.LINE_COLOURS[0], stats.median_resolve),
                charts.Series("p90", charts.LINE_COLOURS[1], stats.p90_resolve),
            ],
            width=width,
        )
        drawn[f"distribution{suffix}"] = charts.bars(
            "distribution-chart" + tag, "Distribution of time to resolve", histogram, width=width
        )
    month_totals = [sum(stats.counts[s][m] for s in stats.severities) for m in range(len(stats.months))]
    return str(
        renderer.render(
            "metrics.html",
            page="metrics",
            root="",
            stats=stats,
            charts=drawn,
            histogram=histogram,
            month_totals=month_totals,
            metrics=measured,
            seconds=lambda value: charts.short_seconds(value) if value is not None else "-",
            **common,
        )
    )


def _actions_page(renderer: Any, rows: list[reportdata.IncidentRow], today: Any, common: dict[str, Any]) -> str:
    actions = [a for r in rows for a in reportdata.actions_of(r.incident, today)]
    open_groups, done_groups = reportdata.group_actions(actions)
    counts = {
        "open": sum(1 for a in actions if a.open),
        "overdue": sum(1 for a in actions if a.overdue),
        "done": sum(1 for a in actions if not a.open),
        "incidents": len({a.incident.id for a in actions}),
    }
    return str(
        renderer.render(
            "actions.html",
            page="actions",
            root="",
            open_groups=open_groups,
            done_groups=done_groups,
            counts=counts,
            today=today,
            **common,
        )
    )
