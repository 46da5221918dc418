"""Markdown rendered on the server, for every view."""

from __future__ import annotations

import solara

from ..results import md_html


@solara.component
def Md(text: str, classes: list[str] | None = None):
    """Markdown rendered on the server by :func:`results.md_html` (``solara.Markdown`` loads
    KaTeX from a CDN, which would break offline); raw HTML, links and images are defused."""
    solara.HTML(tag="div", unsafe_innerHTML=md_html(text), classes=["egov-md", *(classes or [])])
