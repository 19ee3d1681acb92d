"""Contributors' Markdown to safe HTML, fast enough for 10,000 pages.

markdown-it (its Rust port, ``markdown-it-pyrs``: markdown-it-py is ten times slower and would be
most of a 10,000-initiative build) with the raw-HTML rules left out, so ``<script>`` or ``<img
onerror=...>`` written in a page is shown as text.  markdown-it already refuses ``javascript:``,
``vbscript:``, ``file:`` and ``data:`` links; on top of that every ``href`` the renderer wrote is
checked against an allow-list, images become plain links (the site must not load anything from
another host) and headings are moved two levels down, under the page's own ``<h1>``/``<h2>``.
The renderer escapes attribute values, so matching its output with regular expressions is exact.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

import markdown_it_pyrs

# CommonMark without html_block/html_inline (raw HTML stays text) and without linkify.
_RULES: list[Any] = [
    "blockquote", "code", "fence", "heading", "hr", "lheading", "list", "paragraph", "reference",
    "autolink", "backticks", "emphasis", "entity", "escape", "image", "link", "newline",
    "strikethrough", "table",
]  # fmt: skip

_HREF = re.compile(r'<a href="([^"]*)"')
_IMG = re.compile(r'<img src="([^"]*)" alt="([^"]*)"(?: title="[^"]*")? ?/?>')
_HEADING = re.compile(r"<(/?)h([1-6])>")
_BOLD = re.compile(r"\*\*([^*\n]{2,80}?)\*\*")
_MARKUP = re.compile(r"\]\([^)]*\)|[*_`#>\[\]]+")
_SAFE_SCHEMES = ("http:", "https:", "mailto:")
_SAFE_PREFIXES = ("https://", "http://", "mailto:")


@lru_cache(maxsize=1)
def _parser() -> markdown_it_pyrs.MarkdownIt:
    return markdown_it_pyrs.MarkdownIt("zero").enable_many(_RULES)


def safe_url(url: str) -> bool:
    """Whether a URL may be an ``href``: http(s), mailto, or relative without a scheme."""
    if url.startswith(_SAFE_PREFIXES):  # the usual case, decided without unescaping
        return True
    probe = html.unescape(url).strip().lower()
    probe = re.sub(r"[\x00-\x20\x7f]+", "", probe)  # browsers drop these before reading the scheme
    head = probe.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return ":" not in head or probe.startswith(_SAFE_SCHEMES)


def _check_href(match: re.Match[str]) -> str:
    return match.group(0) if safe_url(match.group(1)) else '<a href="#" data-unsafe-link'


def _image_as_link(match: re.Match[str]) -> str:
    src, alt = match.group(1), match.group(2) or "image"
    if not safe_url(src):
        return f"[{alt}]"
    return f'<a href="{src}" rel="nofollow noopener">{alt} (image)</a>'


def _shift_heading(match: re.Match[str]) -> str:
    return f"<{match.group(1)}h{min(int(match.group(2)) + 2, 6)}>"


def render_markdown(text: str) -> str:
    """HTML for one section's Markdown; safe to place in a page as it is."""
    out = _parser().render(text)
    if "<a " in out:
        out = _HREF.sub(_check_href, out)
    if "<img " in out:
        out = _IMG.sub(_image_as_link, out)
    if "<h" in out:
        out = _HEADING.sub(_shift_heading, out)
    return out


def unbold(text: str) -> str:
    """Markdown with its emphasis and code marks dropped: readable as plain text, and cheap."""
    return text.replace("**", "").replace("__", "").replace("`", "")


def keywords(text: str) -> list[str]:
    """The bold lead-ins of a section (``**Open Standards:**``): the page's own keywords."""
    return [k.strip(" :.") for k in _BOLD.findall(text) if k.strip(" :.")]


_MARKUP_CHARS = "*_`#>[]"


def plain_text(text: str, limit: int = 300) -> str:
    """A short, markup-free summary of Markdown (for meta descriptions and JSON-LD)."""
    head = text[: limit * 2]  # the head is all that is kept
    if "](" in head:
        flat = " ".join(_MARKUP.sub(" ", head).split())
    else:  # no link target to drop: each markup character becomes a space, and spaces collapse
        for char in _MARKUP_CHARS:
            if char in head:
                head = head.replace(char, " ")
        flat = " ".join(head.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0] + "…"
