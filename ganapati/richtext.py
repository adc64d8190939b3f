"""Markdown written by staff, rendered to HTML that is safe to show on a public page.

Two locks rather than one: Python-Markdown is told not to pass raw HTML through (its HTML
block and inline-HTML handlers are removed, so `<script>` typed in an article shows as text),
and its output is then cleaned by nh3 (the Ammonia sanitizer) against a short list of tags,
attributes and URL schemes — which also removes `javascript:` links that Markdown syntax
itself can produce.
"""

from __future__ import annotations

import html

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def _markdown() -> markdown.Markdown:
    md = markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")
    # No raw HTML: it is escaped and shown as typed.
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    return md


def render_markdown(text: str) -> SafeString:
    """Markdown → cleaned HTML. Headings start at level 2: the page's title is the h1."""
    rendered = _markdown().convert(text or "")
    # A "# Titre" in an article would make a second h1 on the page.
    rendered = rendered.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    cleaned = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 - cleaned by nh3 just above


def plain_text(text: str) -> str:
    """The words of a Markdown text without its markup, for the search column."""
    return html.unescape(nh3.clean(_markdown().convert(text or ""), tags=set()))
