"""The Jinja2 environment of the HTML report.

Only this module (and render.py) imports jinja2.
NOTE: this folds into render.py once the postmortem templates (issue 3) land, so
that ``inc report`` and ``inc postmortem render`` share one environment.

Templates are looked up in the repository's own templates folder first, then in
the built-ins, so a team can restyle its report (``templates/report/style.css``)
or change a page. Autoescape is on for every page: incident text is data, shown
as text; templates run sandboxed.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from incli.domain.times import describe_duration, short_duration
from incli.errors import InvalidInput

REPORT_FOLDER = "report"


def builtin_dir() -> Path:
    """The built-in templates: inside the package in a wheel, at the top of the
    source tree in an editable install."""
    packaged = Path(__file__).parent / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def markdown_to_html(text: str, shift_headings: int = 0) -> str:
    """CommonMark to HTML with raw HTML disabled: tags in user text come out escaped.

    ``shift_headings`` moves every heading down that many levels (a document's ``#``
    becomes ``<h2>`` inside a page that has its own ``<h1>``).
    """
    from markdown_it import MarkdownIt

    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = parser.parse(text)
    if shift_headings:
        for token in tokens:
            if token.type in ("heading_open", "heading_close"):
                token.tag = f"h{min(int(token.tag[1]) + shift_headings, 6)}"
    return str(parser.renderer.render(tokens, parser.options, {}))


def _when(context: Any, moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(context["zone"]).strftime(fmt) if moment else "-"


def environment(folders: tuple[str, ...], sandboxed: bool = True) -> Any:
    """An autoescaping environment over a template search path; sandboxed when
    any template may come from a repository (not only from incli itself)."""
    import jinja2
    from jinja2.sandbox import SandboxedEnvironment
    from markupsafe import Markup

    kind = SandboxedEnvironment if sandboxed else jinja2.Environment
    env = kind(
        loader=jinja2.FileSystemLoader(list(folders)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["when"] = jinja2.pass_context(_when)
    env.filters["iso"] = lambda moment: moment.isoformat() if moment else ""
    env.filters["duration"] = lambda delta: describe_duration(delta) if isinstance(delta, timedelta) else "-"
    env.filters["short"] = lambda delta: short_duration(delta) if isinstance(delta, timedelta) else "-"
    env.filters["markdown"] = lambda text: Markup(markdown_to_html(str(text or "")))
    # Only for SVG built by domain/charts.py, which escapes every text it places.
    env.filters["svg"] = lambda markup: Markup(markup)
    return env


class ReportRenderer:
    """Renders the report's pages: ``report/NAME`` from the repository's templates, else the built-ins."""

    def __init__(self, zone: Any, repo_templates: Path | None = None) -> None:
        self.zone = zone
        found = [f for f in (repo_templates, builtin_dir()) if f is not None and (f / REPORT_FOLDER).is_dir()]
        if not found:
            raise FileNotFoundError(f"incli's built-in templates are missing (looked in {builtin_dir()})")
        self.folders = tuple(str(f) for f in found)

    @functools.cached_property
    def env(self) -> Any:
        # incli's own templates need no sandbox (it costs a quarter of the time on 10,000 pages).
        return environment(self.folders, sandboxed=self.folders != (str(builtin_dir()),))

    def render(self, name: str, **context: Any) -> str:
        import jinja2

        try:
            template = self.env.get_template(f"{REPORT_FOLDER}/{name}")
        except jinja2.TemplateSyntaxError as exc:
            raise InvalidInput(f"broken template {exc.filename or name} line {exc.lineno}: {exc.message}") from None
        except jinja2.TemplateError as exc:
            raise InvalidInput(f"template {REPORT_FOLDER}/{name}: {exc}") from None
        try:
            return str(template.render(zone=self.zone, **context))
        except jinja2.TemplateError as exc:
            raise InvalidInput(f"broken template {template.filename or name}: {exc}") from None

    def static(self, name: str) -> bytes:
        for folder in self.folders:
            path = Path(folder) / REPORT_FOLDER / name
            if path.is_file():
                return path.read_bytes()
        raise FileNotFoundError(f"no {REPORT_FOLDER}/{name} in {', '.join(self.folders)}")
