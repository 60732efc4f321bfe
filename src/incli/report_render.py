"""The Jinja2 environment of the HTML report.

Only this module (and render.py) imports jinja2.
NOTE: this folds into render.py once the postmortem templates (issue 3) land, so
that ``inc report`` and ``inc postmortem render`` share one environment.

Autoescape is on for every template: incident text is data, shown as text.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from functools import cached_property
from pathlib import Path
from typing import Any

from incli.domain.times import describe_duration, short_duration

REPORT_TEMPLATES = "report"


def templates_root() -> Path:
    """The built-in templates: inside the package in a wheel, at the top of the
    source tree in an editable install."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parents[1] / "templates"):
        if (candidate / REPORT_TEMPLATES).is_dir():
            return candidate
    raise FileNotFoundError(f"incli's built-in templates are missing (looked in {here / 'templates'})")


def markdown_to_html(text: str) -> str:
    """CommonMark to HTML with raw HTML disabled: tags in user text come out escaped."""
    from markdown_it import MarkdownIt

    return str(MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").render(text))


class ReportRenderer:
    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone

    @cached_property
    def env(self) -> Any:
        import jinja2
        from markupsafe import Markup

        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_root() / REPORT_TEMPLATES)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["when"] = self.when
        env.filters["iso"] = lambda moment: moment.isoformat() if moment else ""
        env.filters["duration"] = lambda delta: describe_duration(delta) if delta is not None else "-"
        env.filters["short"] = lambda delta: short_duration(delta) if delta is not None else "-"
        env.filters["markdown"] = lambda text: Markup(markdown_to_html(text or ""))
        # Only for SVG built by domain/charts.py, which escapes every text it places.
        env.filters["svg"] = lambda markup: Markup(markup)
        return env

    def when(self, moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return moment.astimezone(self.zone).strftime(fmt) if moment else "-"

    def render(self, name: str, **context: Any) -> str:
        return str(self.env.get_template(name).render(**context))

    def static(self, name: str) -> bytes:
        return (templates_root() / REPORT_TEMPLATES / name).read_bytes()
