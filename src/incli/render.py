"""Rendering from Jinja2 templates: postmortems and the HTML report. The only module that imports jinja2.

Templates are found in this order: a ``--template`` path, the repository's own
``templates/`` folder, then the built-ins shipped with incli. A template is named
``NAME.FORMAT.j2`` (``postmortem.md.j2``, ``sre.md.j2``, ``postmortem.html.j2``).

Incident text is data, never template code: it reaches a template only as
variables, so ``{{ 7*7 }}`` in a title renders as typed. HTML output escapes
every value (autoescape); Markdown output leaves text as written.

The report's pages (``report/NAME``) are looked up in the repository's
``templates/report/`` first, then in the built-ins, so a team can restyle its
report. Every page autoescapes. Templates a repository supplies run sandboxed;
incli's own run in a plain environment (the sandbox costs a quarter of the time
on 10,000 pages). Environments are cached: building one per page is slow.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import os
import re
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

from incli.domain import durations
from incli.domain import postmortem as pm
from incli.domain.config import Config
from incli.domain.model import Incident, assumed_times
from incli.domain.times import clock_or_date, describe_duration, short_duration, to_iso
from incli.errors import InvalidInput, NotFound
from incli.storage.repo import inside

FORMATS = ("md", "html")
DEFAULT_TEMPLATE = "postmortem"
REPORT_FOLDER = "report"
SUFFIX = ".j2"
NONE_RECORDED = "None recorded."


def builtin_dir() -> Path:
    """The built-in templates: inside the installed package (a wheel), else the
    ``templates/`` folder next to ``src/`` (an editable install or a checkout)."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True)
class TemplateInfo:
    """A template: its name, format and where it comes from."""

    name: str  # postmortem, sre, ...
    format: str  # md or html
    source: str  # path, repository or built-in
    path: Path
    shadowed: bool = False  # a repository template of the same name and format wins

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "format": self.format,
            "source": self.source,
            "path": str(self.path),
            "active": not self.shadowed,
        }


def _split(filename: str) -> tuple[str, str] | None:
    if not filename.endswith(SUFFIX):
        return None
    stem = filename[: -len(SUFFIX)]
    name, dot, fmt = stem.rpartition(".")
    if not dot or fmt not in FORMATS or not name or name.startswith(("_", ".")):
        return None
    return name, fmt


def available(repo_templates: Path | None) -> list[TemplateInfo]:
    """Every template, repository ones first, with built-ins a repository one shadows marked."""
    found: list[TemplateInfo] = []
    seen: set[tuple[str, str]] = set()
    for source, folder in (("repository", repo_templates), ("built-in", builtin_dir())):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"*{SUFFIX}")):
            parts = _split(path.name)
            if parts is None:
                continue
            found.append(TemplateInfo(parts[0], parts[1], source, path, shadowed=parts in seen))
            seen.add(parts)
    return found


def find(name_or_path: str | None, fmt: str, repo_templates: Path | None) -> TemplateInfo:
    """The template to use; NotFound lists what there is."""
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    wanted = (name_or_path or DEFAULT_TEMPLATE).strip()
    as_path = Path(wanted).expanduser()
    if "/" in wanted or wanted.endswith(SUFFIX) or as_path.is_file():
        if as_path.is_file():
            parts = _split(as_path.name)
            return TemplateInfo(parts[0] if parts else as_path.name, fmt, "path", as_path.absolute())
        if "/" in wanted:
            raise NotFound(f"no template file at {as_path}")
    if wanted.endswith(SUFFIX):
        wanted = wanted[: -len(SUFFIX)]
    if wanted.endswith(tuple(f".{f}" for f in FORMATS)):
        wanted, _dot, fmt = wanted.rpartition(".")
    candidates = [t for t in available(repo_templates) if t.name == wanted and not t.shadowed]
    for template in candidates:
        if template.format == fmt:
            return template
    if fmt == "html":
        # No HTML variant: the Markdown one, escaped, inside an HTML page.
        for template in candidates:
            if template.format == "md":
                return template
    names = sorted({f"{t.name}.{t.format}" for t in available(repo_templates) if not t.shadowed})
    shown = ", ".join(names) or "none"
    raise NotFound(f"no template {wanted!r} for {fmt}; available: {shown} (see inc postmortem templates)")


# -- keeping templates inside their folders --------------------------------


def _real(folder: Path | str) -> str:
    return os.path.realpath(folder)


def outside_message(path: Path | str, folder: Path | str) -> str:
    return (
        f"template {path} is a link to {_real(path)}, outside {folder}; "
        "templates and what they include must be files inside the templates folder"
    )


def check_inside(path: Path | str, folders: tuple[str, ...]) -> None:
    """InvalidInput when ``path`` resolves outside every folder (a symlink to /proc/self/environ, say)."""
    if not inside(path, *folders):
        raise InvalidInput(outside_message(path, " or ".join(folders)))


@functools.lru_cache(maxsize=16)
def _contained_loader(folders: tuple[str, ...]) -> Any:
    """A FileSystemLoader over ``folders`` that refuses any template whose real path leaves them:
    a template, an include or an extended page that is (or sits in a folder that is) a symlink
    to a file outside is refused, not read."""
    import jinja2
    from jinja2.loaders import split_template_path

    roots = tuple(_real(f) for f in folders)  # resolved once per loader

    class ContainedLoader(jinja2.FileSystemLoader):
        def get_source(self, environment: Any, template: str) -> Any:
            pieces = split_template_path(template)  # TemplateNotFound for ".."
            for folder in self.searchpath:
                # Checked before reading: a link to /dev/zero or a FIFO must never be opened.
                candidate = os.path.join(folder, *pieces)
                if os.path.lexists(candidate):
                    if not inside(candidate, *roots):
                        raise InvalidInput(outside_message(candidate, folder))
                    if os.path.exists(candidate) and not os.path.isfile(candidate):
                        raise InvalidInput(f"template {candidate} is not a regular file")
                    break
            return super().get_source(environment, template)

    return ContainedLoader(list(folders))


# -- the data a template sees ---------------------------------------------


def zone(config: Config) -> tzinfo | None:
    """The repository's time zone (config ``timezone``); None means the local one."""
    return config.zone


def _local(moment: datetime, tz: tzinfo | None) -> datetime:
    return moment.astimezone(tz) if tz is not None else moment.astimezone()


# The milestones before the declaration that the outline's timeline shows as lines of their own
# when they were given (not filled in: see ``assumed_times``), by their timeline kind.
MILESTONE_LINES = (("started_at", "started", "Impact began"), ("detected_at", "detected", "Detected"))


def _timeline_with_milestones(incident: Incident) -> list[tuple[datetime, str, str, str]]:
    """The timeline a postmortem shows, as (at, kind, text, by): the incident's entries in their
    order (postmortem bookkeeping left out), with impact start and detection placed by time
    when they were given, so the outline starts where the incident did. A milestone goes before
    the first entry at or after its time (impact start before detection at the same minute)."""
    rows: list[tuple[datetime, str, str, str]] = []
    real: list[bool] = []  # which rows are the incident's own entries
    for entry in incident.timeline:
        if entry.kind != "postmortem":
            rows.append((entry.at, entry.kind, entry.text, entry.by or ""))
            real.append(True)
    assumed = assumed_times(incident.extra)
    for name, kind, text in MILESTONE_LINES:
        moment = incident.time(name)
        if moment is None or name in assumed:
            continue
        place = next(
            (i for i, row in enumerate(rows) if row[0] > moment or (real[i] and row[0] >= moment)),
            len(rows),
        )
        rows.insert(place, (moment, kind, text, ""))
        real.insert(place, False)
    return rows


def context(incident: Incident, config: Config, now: datetime) -> dict[str, Any]:
    """Plain data for a template: strings, lists and mappings, nothing to execute."""
    problems = pm.render_problems(incident.extra.get("postmortem"), incident.extra.get("actions"))
    if problems:
        shown = "; ".join(problems[:3]) + (f" and {len(problems) - 3} more" if len(problems) > 3 else "")
        raise InvalidInput(f"cannot render the postmortem of {incident.id}: {shown} (inc validate shows where)")
    tz = zone(config)
    post = pm.ordered(incident.extra.get("postmortem") or pm.new_postmortem(now, None))
    level = config.find_severity(incident.severity)
    start = _local(incident.started_at, tz)

    entries = _timeline_with_milestones(incident)
    days = {_local(at, tz).date() for at, _kind, _text, _by in entries}
    if incident.resolved_at:
        days.add(_local(incident.resolved_at, tz).date())
    days.add(start.date())
    spans_days = len(days) > 1
    timeline = []
    for at, kind, text, by in entries:
        local = _local(at, tz)
        stamp = local.strftime("%Y-%m-%d %H:%M" if spans_days else "%H:%M")
        timeline.append(
            {
                "time": stamp,
                "date": local.strftime("%Y-%m-%d"),
                "clock": local.strftime("%H:%M"),
                "text": text,
                "kind": kind,
                "by": by,
                "at": to_iso(at),
                "line": f"{stamp} - {text}",
            }
        )

    impact = describe_duration(durations.impact_duration(incident, now))
    to_mitigation = durations.spans(incident)["mttm"]
    if incident.resolved_at:
        duration = impact
    elif to_mitigation is not None:
        duration = f"{describe_duration(to_mitigation)} to mitigation (not resolved yet)"
    else:
        duration = f"{impact} so far (not resolved yet)"

    today = config.today(now)
    actions = []
    for action in pm.actions_of(incident):
        actions.append(
            {
                "id": str(action.get("id") or ""),
                "title": str(action.get("title") or ""),
                "owner": str(action.get("owner") or "unassigned"),
                "due": str(action.get("due") or "none"),
                "priority": str(action.get("priority") or ""),
                "status": str(action.get("status") or "open"),
                "overdue": pm.action_overdue(action, today),
                "note": str(action.get("note") or ""),
            }
        )

    whys = []
    for chain in post.get("whys") or []:
        if isinstance(chain, list):
            whys.append(
                [
                    {"question": str(s.get("question", "")), "answer": str(s.get("answer", ""))}
                    for s in chain
                    if isinstance(s, dict)
                ]
            )

    settings = config.postmortem
    due = pm.due_at(incident, settings)
    sections = {key: pm.items(post, key) for key in pm.LIST_FIELDS}
    texts = {key: str(post.get(key) or "").strip() for key in pm.TEXT_FIELDS}
    return {
        "incident": incident.to_json(),
        "id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "severity_name": level.name if level else "",
        "severity_description": level.description if level else "",
        "status": incident.status,
        "service": incident.service or "",
        "commander": incident.commander or "",
        "roles": dict(incident.roles),
        "date": start.strftime("%Y-%m-%d"),
        "started": start.strftime("%Y-%m-%d %H:%M"),
        "resolved": _local(incident.resolved_at, tz).strftime("%Y-%m-%d %H:%M") if incident.resolved_at else "",
        "duration": duration,
        "timezone": getattr(tz, "key", None) or start.strftime("%Z") or start.strftime("%z"),
        "timeline": timeline,
        "spans_days": spans_days,
        "state": pm.state_of(incident),
        "authors": [str(a) for a in post.get("authors") or []],
        "reviewers": [str(r) for r in post.get("reviewers") or []],
        "published_at": str(post.get("published_at") or ""),
        "due_at": _local(due, tz).strftime("%Y-%m-%d %H:%M") if due else "",
        "whys": whys,
        "actions": actions,
        "none_recorded": NONE_RECORDED,
        "generated_at": _local(now, tz).strftime("%Y-%m-%d %H:%M"),
        # What the repository knows around the incident (service/around.py fills them in for
        # inc postmortem render; empty elsewhere, so a template may always name them).
        "changes": [],
        "changes_window": "24 hours",
        "previous_occurrences": [],
        "checklist": None,
        **texts,
        **sections,
        "postmortem": post,
    }


# -- rendering ------------------------------------------------------------


def _item(text: Any) -> str:
    """A list item's text: continuation lines indented so Markdown keeps them in the item."""
    return "\n  ".join(str(text).strip().splitlines())


def _template_line(exc: BaseException, filename: str) -> int | None:
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename == filename:
            return frame.lineno
    return None


# -- what a render read ------------------------------------------------------

_WATCH: contextvars.ContextVar[tuple[frozenset[str], set[str]] | None] = contextvars.ContextVar(
    "incli_watch", default=None
)


@contextlib.contextmanager
def watching(names: Iterable[str]) -> Iterator[set[str]]:
    """While inside, which of the variables ``names`` the templates rendered (the report's pages and
    the postmortem's) read: named anywhere in a template, or asked for by a filter (``due`` asks
    for ``now``). The report reuses a page only when it read nothing that changes with the time."""
    found: set[str] = set()
    token = _WATCH.set((frozenset(names), found))
    try:
        yield found
    finally:
        _WATCH.reset(token)


@functools.lru_cache(maxsize=1)
def _watched_context() -> Any:
    from jinja2.runtime import Context

    class WatchedContext(Context):
        def resolve_or_missing(self, key: str) -> Any:
            watch = _WATCH.get()
            if watch is not None and key in watch[0]:
                watch[1].add(key)
            return super().resolve_or_missing(key)

    return WatchedContext


TEMPLATE_LIMITS = (10_000, 64 * 1024 * 1024)  # files and bytes of a templates folder the fingerprint reads


def templates_fingerprint(repo_templates: Path | None) -> str:
    """What every page of a report is rendered with besides its data: the name and text of every
    template, the built-ins and the repository's own (a link's target too), and the versions of
    Jinja2 and markdown-it. A folder over ``TEMPLATE_LIMITS`` gives a fingerprint never seen again."""
    from importlib.metadata import version  # not importing markdown-it: a rebuild may parse no Markdown

    import jinja2

    markdown = version("markdown-it-py")
    digest = hashlib.sha256(f"jinja2 {jinja2.__version__}\0markdown-it {markdown}\0".encode())
    files = size = 0
    for source, folder in (("built-in", builtin_dir()), ("repository", repo_templates)):
        if folder is None or not folder.is_dir():
            digest.update(f"{source}\0none\0".encode())
            continue
        for top, dirs, names in os.walk(folder):
            dirs.sort()
            for name in sorted(names + [d for d in dirs if os.path.islink(os.path.join(top, d))]):
                path = os.path.join(top, name)
                relative = os.path.relpath(path, folder)
                files += 1
                link = os.readlink(path) if os.path.islink(path) else ""
                try:
                    data = b"" if os.path.isdir(path) or not os.path.isfile(path) else Path(path).read_bytes()
                except OSError:
                    data = b"unreadable"
                size += len(data)
                if files > TEMPLATE_LIMITS[0] or size > TEMPLATE_LIMITS[1]:
                    return os.urandom(16).hex()
                entry = f"{source}\0{relative}\0{link}\0{hashlib.sha256(data).hexdigest()}\0"
                digest.update(entry.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


@functools.lru_cache(maxsize=16)
def _postmortem_environment(folders: tuple[str, ...], autoescape: bool, sandboxed: bool) -> Any:
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    kind = SandboxedEnvironment if sandboxed else jinja2.Environment
    env = kind(
        loader=_contained_loader(folders),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.context_class = _watched_context()
    env.filters["item"] = _item
    return env


def render(template: TemplateInfo, fmt: str, data: dict[str, Any], repo_templates: Path | None) -> str:
    """Render; a broken template gives InvalidInput naming the template and the line."""
    import jinja2

    builtin = builtin_dir()
    if template.source == "built-in":
        # incli's own template (and what it includes) comes from the built-ins only: no sandbox needed.
        folders = [builtin]
    else:
        folders = [template.path.parent]
        for extra in (repo_templates, builtin):
            if extra is not None and extra.is_dir() and extra not in folders:
                folders.append(extra)
    wrap = fmt == "html" and template.format == "md" and template.source != "path"
    env = _postmortem_environment(tuple(str(f) for f in folders), fmt == "html", template.source != "built-in")
    label = f"{template.path.name} ({template.source})"
    try:
        compiled = env.get_template(template.path.name)
        text = compiled.render(**data)
    except InvalidInput:
        raise
    except jinja2.TemplateSyntaxError as exc:
        where = f"{Path(exc.filename).name if exc.filename else template.path.name} line {exc.lineno}"
        raise InvalidInput(f"broken template {where}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise InvalidInput(f"template {label}: includes {exc.name}, which does not exist") from None
    except Exception as exc:  # noqa: BLE001 - any error inside a template is the template's
        line = _template_line(exc, str(template.path))
        where = f"{template.path.name} line {line}" if line else label
        raise InvalidInput(f"broken template {where}: {exc}") from None
    if wrap:
        from markupsafe import escape

        title = escape(f"Postmortem: {data['title']}")
        text = (
            f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{title}</title></head>\n'
            f"<body>\n<pre>\n{text}</pre>\n</body>\n</html>\n"
        )
    return text


# -- Markdown to HTML -----------------------------------------------------


# The sections of a postmortem document that the report's incident page shows on its own.
REPORT_DROPS = ("incident summary", "summary", "timeline", "action items")


@functools.lru_cache(maxsize=1)
def _markdown_parser() -> Any:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")


def markdown_to_html(text: str, shift_headings: int = 0, keep_from: int = 0, drop: tuple[str, ...] = ()) -> str:
    """CommonMark to HTML with raw HTML disabled: tags in user text come out escaped.

    ``shift_headings`` moves every heading down that many levels (a document's ``##``
    becomes ``<h3>`` inside a page that has its own ``<h1>`` and ``<h2>``). With ``keep_from``
    (a heading level), what comes before the first heading of that level is left out; a section
    at that level whose heading is in ``drop`` (compared without case) is left out whole.
    A list item that starts ``[x]`` or ``[ ]`` (a task) shows a tick box.
    """
    parser = _markdown_parser()
    if keep_from:
        tokens = _parse_sections(parser, text, keep_from, {name.lower() for name in drop})
    else:
        tokens = parser.parse(text)
    _task_boxes(tokens)
    if shift_headings:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(int(token.tag[1]) + shift_headings, 6)}"
    return str(parser.renderer.render(tokens, parser.options, {}))


def _parse_sections(parser: Any, text: str, level: int, drop: set[str]) -> list[Any]:
    """``parser.parse(text)`` cut to ``_sections``, cut before the text inside each block is
    parsed (the slower half of parsing, wasted on the sections left out). The same tokens."""
    from markdown_it.rules_core import StateCore

    state = StateCore(text, parser, {})
    for rule in parser.core.ruler.getRules(""):
        if getattr(rule, "__name__", "") == "inline":
            state.tokens = _sections(state.tokens, level, drop)
        rule(state)
    return _sections(state.tokens, level, drop)  # cut again: the same cut, if no rule was named so


def _sections(tokens: list[Any], level: int, drop: set[str]) -> list[Any]:
    """The tokens from the first heading of ``level`` on, without the sections named in ``drop``."""
    kept: list[Any] = []
    keeping = False
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and int(token.tag[1]) <= level:
            name = tokens[index + 1].content.strip().lower() if index + 1 < len(tokens) else ""
            keeping = int(token.tag[1]) == level and name not in drop
        if keeping:
            kept.append(token)
    return kept


_TASK = re.compile(r"^\[([ xX])\]\s+")


def _task_boxes(tokens: list[Any]) -> None:
    """``- [x] text`` as a ticked box (a disabled checkbox), ``- [ ] text`` as an empty one."""
    from markdown_it.token import Token

    for index, token in enumerate(tokens):
        if token.type != "inline" or index < 2 or tokens[index - 2].type != "list_item_open":
            continue
        children = token.children or []
        match = _TASK.match(children[0].content) if children and children[0].type == "text" else None
        if match is None:
            continue
        done = match.group(1) != " "
        children[0].content = children[0].content[match.end() :]
        box = Token("html_inline", "", 0)
        label = "done" if done else "open"
        box.content = f'<input type="checkbox" disabled{" checked" if done else ""} aria-label="{label}"> '
        token.children = [box, *children]
        tokens[index - 2].attrSet("class", "task")


# -- the HTML report ------------------------------------------------------


def _zone_of(context: Any) -> Any:
    """``context["zone"]`` without the lookup of every name (``_watched_context``): the pages ask
    for it for every time they show."""
    found = context.vars
    return found["zone"] if "zone" in found else context.parent["zone"]


def _when(context: Any, moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(_zone_of(context)).strftime(fmt) if moment else "-"


def _due(context: Any, moment: datetime | None) -> str:
    """A due time by the one rule of ``times.clock_or_date``: the clock when it is today (the
    page's ``now``), with the date otherwise."""
    return clock_or_date(moment, context["now"], _zone_of(context)) if moment else "-"


@functools.lru_cache(maxsize=8)
def report_environment(folders: tuple[str, ...], sandboxed: bool = True) -> Any:
    """An autoescaping environment over a template search path (one per search path);
    sandboxed when any template may come from a repository (not only from incli itself)."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment
    from markupsafe import Markup

    kind = SandboxedEnvironment if sandboxed else jinja2.Environment
    env = kind(
        loader=_contained_loader(folders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.context_class = _watched_context()
    env.filters["when"] = jinja2.pass_context(_when)
    env.filters["due"] = jinja2.pass_context(_due)
    env.filters["iso"] = lambda moment: moment.isoformat() if moment else ""
    env.filters["duration"] = lambda delta: describe_duration(delta) if isinstance(delta, timedelta) else "-"
    env.filters["short"] = lambda delta: short_duration(delta) if isinstance(delta, timedelta) else "-"
    env.filters["markdown"] = lambda text: Markup(markdown_to_html(str(text or "")))
    # Only for SVG built by domain/charts.py, which escapes every text it places.
    env.filters["svg"] = lambda markup: Markup(markup)
    return env


class ReportRenderer:
    """Renders the report's pages: ``report/NAME`` from the repository's templates, else the built-ins
    (the status page's: ``statuspage/NAME``, the same way)."""

    def __init__(self, zone: Any, repo_templates: Path | None = None, folder: str = REPORT_FOLDER) -> None:
        self.zone = zone
        self.repo_templates = repo_templates
        self.folder = folder  # report, or statuspage (inc statuspage's pages)
        found = [f for f in (repo_templates, builtin_dir()) if f is not None and (f / folder).is_dir()]
        if not found:
            raise FileNotFoundError(f"incli's built-in templates are missing (looked in {builtin_dir()})")
        self.folders = tuple(str(f) for f in found)
        self.env = report_environment(self.folders, sandboxed=self.folders != (str(builtin_dir()),))
        if self.env.cache is not None:
            # A page compiled from the built-ins stays "up to date" after the repository adds its own
            # version of it: forget compiled pages once per build (each build then compiles each page once).
            self.env.cache.clear()

    def render(self, name: str, **context: Any) -> str:
        import jinja2

        try:
            template = self.env.get_template(f"{self.folder}/{name}")
        except jinja2.TemplateSyntaxError as exc:
            raise InvalidInput(f"broken template {exc.filename or name} line {exc.lineno}: {exc.message}") from None
        except jinja2.TemplateError as exc:
            raise InvalidInput(f"template {self.folder}/{name}: {exc}") from None
        try:
            return str(template.render(zone=self.zone, **context))
        except InvalidInput:
            raise
        except jinja2.TemplateError as exc:
            raise InvalidInput(f"broken template {template.filename or name}: {exc}") from None
        except Exception as exc:  # noqa: BLE001 - any error inside a template is the template's (1 / 0)
            line = _template_line(exc, str(template.filename))
            raise InvalidInput(
                f"broken template {template.filename or name}{f' line {line}' if line else ''}: {exc}"
            ) from None

    @functools.cached_property
    def postmortem_template(self) -> TemplateInfo:
        """The template ``inc postmortem render`` uses by default (Markdown; the repository's own wins)."""
        return find(None, "md", self.repo_templates)

    def postmortem(self, incident: Incident, config: Config, now: datetime) -> Any:
        """The analysis of the incident's postmortem, from the text ``inc postmortem render``
        writes, as HTML for the report's incident page. The page shows the title, the summary
        facts, the timeline and the action items itself, so only the document's ``##``
        sections but those (``REPORT_DROPS``) are kept, and they sit below the page's
        "Postmortem" heading (``##`` becomes ``<h3>``)."""
        from markupsafe import Markup

        text = render(self.postmortem_template, "md", context(incident, config, now), self.repo_templates)
        return Markup(markdown_to_html(text, shift_headings=1, keep_from=2, drop=REPORT_DROPS))

    def static(self, name: str) -> bytes:
        for folder in self.folders:
            path = Path(folder) / self.folder / name
            if os.path.lexists(path):
                check_inside(path, (folder,))
            if path.is_file():
                return path.read_bytes()
        raise FileNotFoundError(f"no {self.folder}/{name} in {', '.join(self.folders)}")


# -- notification text ----------------------------------------------------

NOTIFY_FOLDER = "notify"
NOTIFY_DEFAULT = "default"
NOTIFY_SUFFIX = ".txt.j2"
MAX_NOTIFY_TEMPLATE = 64 * 1024  # bytes of one template file
MAX_NOTIFY_TEXT = 16 * 1024  # characters of a rendered message
_EVENT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@functools.lru_cache(maxsize=8)
def _notify_environment(folder: str) -> Any:
    """A sandboxed text environment (no autoescape: the message is text, not HTML) over one
    templates folder; a template, include or link leaving it is refused."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(
        loader=_contained_loader((folder,)),
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


def notify_template(event: str, repo_templates: Path | None) -> tuple[Path, str]:
    """The template for ``event``'s message and where it is from (repository or built-in):
    ``notify/EVENT.txt.j2``, then ``notify/default.txt.j2``, in the repository's templates
    folder first, then in the built-ins."""
    names = [f"{event}{NOTIFY_SUFFIX}"] if _EVENT_NAME.match(event) else []
    names.append(f"{NOTIFY_DEFAULT}{NOTIFY_SUFFIX}")
    for source, folder in (("repository", repo_templates), ("built-in", builtin_dir())):
        if folder is None:
            continue
        for name in names:
            path = folder / NOTIFY_FOLDER / name
            if os.path.lexists(path):
                return path, source
    raise FileNotFoundError(f"incli's built-in templates are missing (looked in {builtin_dir()})")


def notify_text(event: str, data: dict[str, Any], repo_templates: Path | None) -> str:
    """The message a notifier sends for ``event``, rendered from its template with ``data``
    (``domain.hooks.template_data``). Incident text is only ever a variable's value; the
    template runs sandboxed. InvalidInput names a broken or oversized template."""
    import jinja2

    path, source = notify_template(event, repo_templates)
    folder = path.parent.parent
    check_inside(path, (str(folder),))
    try:
        size = os.stat(path).st_size
    except OSError as exc:
        raise InvalidInput(f"cannot read template {path}: {exc.strerror or exc}") from None
    if not path.is_file():
        raise InvalidInput(f"template {path} is not a regular file")
    if size > MAX_NOTIFY_TEMPLATE:
        raise InvalidInput(f"template {path} is {size} bytes; at most {MAX_NOTIFY_TEMPLATE}")
    env = _notify_environment(str(folder))
    label = f"{NOTIFY_FOLDER}/{path.name} ({source})"
    try:
        text = str(env.get_template(f"{NOTIFY_FOLDER}/{path.name}").render(**data))
    except InvalidInput:
        raise
    except jinja2.TemplateSyntaxError as exc:
        raise InvalidInput(f"broken template {label} line {exc.lineno}: {exc.message}") from None
    except Exception as exc:  # noqa: BLE001 - any error inside a template is the template's
        line = _template_line(exc, str(path))
        raise InvalidInput(f"broken template {label}{f' line {line}' if line else ''}: {exc}") from None
    text = text.strip("\n")
    if len(text) > MAX_NOTIFY_TEXT:
        text = text[: MAX_NOTIFY_TEXT - 1] + "\u2026"
    return text
