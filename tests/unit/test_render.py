"""Rendering without the CLI: the built-in templates are found, and Markdown keeps raw HTML as text."""

from __future__ import annotations

from incli import render
from incli.render import markdown_to_html


def test_markdown_keeps_raw_html_as_text() -> None:
    html = markdown_to_html("# Root cause\n\n- pool <script>alert(1)</script> exhausted\n")
    assert "<h1>Root cause</h1>" in html and "<li>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html


def test_built_in_templates_are_found() -> None:
    names = {(t.name, t.format) for t in render.available(None)}
    assert {("postmortem", "md"), ("postmortem", "html"), ("sre", "md")} <= names
