"""The page frame (head, header, footer) and small HTML helpers shared by every page.

Everything that comes from an entity goes through ``esc`` (``html.escape`` with quotes) or through
``markdown.render_markdown``; only URLs that pass ``external_href`` become links.
"""

from __future__ import annotations

from collections.abc import Iterable

from .markdown import safe_url


def esc(text: str) -> str:
    """``html.escape`` without the apostrophe: every attribute here is double-quoted (and it is
    called half a million times for 10,000 pages)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


NAV = (("index.html", "Initiatives"), ("graph.html", "Ecosystem map"), ("data.html", "Data"))


def external_href(url: str) -> str | None:
    """The URL if it may be a link from the site: absolute http(s) or mailto (a relative one
    was relative to the hub's page, not to the site)."""
    if safe_url(url) and url.strip().lower().startswith(("http://", "https://", "mailto:")):
        return url.strip()
    return None


def external_link(url: str, text: str | None = None) -> str:
    label = esc(text or url)
    href = external_href(url)
    if href is None:
        return f"<code>{label}</code>" if text is None else f"{label} (<code>{esc(url)}</code>)"
    return f'<a href="{esc(href)}" rel="noopener">{label}</a>'


def mail_link(address: str) -> str:
    address = address.strip()
    if not address or any(c in address for c in "<>\"' \t\r\n") or "@" not in address:
        return esc(address)
    return f'<a href="mailto:{esc(address)}">{esc(address)}</a>'


def plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def frame(
    *,
    title: str,
    body: str | list[str],
    root: str,
    current: str = "",
    description: str = "",
    canonical: str | None = None,
    head: Iterable[str] = (),
    scripts: Iterable[str] = (),
) -> bytes:
    """A whole HTML document, as UTF-8; ``root`` is the relative way back to the site's top (``""`` or
    ``"../"``); ``body`` may come in parts, joined here."""
    here = ' aria-current="page"'
    nav = "".join(
        f'<li><a href="{root}{href}"{here if href == current else ""}>{label}</a></li>' for href, label in NAV
    )
    extra = "".join(head)
    if canonical:
        extra = f'<link rel="canonical" href="{esc(canonical)}">' + extra
    script_tags = "".join(f'<script src="{root}{src}"></script>' for src in scripts)
    meta = f'<meta name="description" content="{esc(description)}">' if description else ""
    top = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'self'; img-src 'self' data:; "
        "style-src 'self'; script-src 'self'; connect-src 'none'; object-src 'none'; base-uri 'none'; "
        "form-action 'none'\">\n"
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{esc(title)} · LDT ecosystem catalogue</title>\n{meta}"
        f'<link rel="stylesheet" href="{root}assets/site.css">{extra}\n</head>\n<body>\n'
        '<a class="skip" href="#main">Skip to content</a>\n'
        f'<header class="site"><div class="bar"><a class="brand" href="{root}index.html">'
        "LDT ecosystem catalogue</a>"
        f'<nav aria-label="Site"><ul>{nav}</ul></nav></div></header>\n'
        '<main id="main">\n'
    )
    bottom = (
        "\n</main>\n"
        '<footer class="site"><div>Made from the LDT4SSC knowledge hub pages by ldt-catalog. '
        f'<a href="{root}data.html">Data and queries</a>.</div></footer>\n'
        f"{script_tags}</body>\n</html>\n"
    )
    # encoded apart: one "·" or "…" would otherwise make the whole page encode character by
    # character, when most of it is usually ASCII, which encodes as a copy
    parts = [body] if isinstance(body, str) else body
    return b"".join([top.encode(), *(part.encode() for part in parts), bottom.encode()])


def crumbs(root: str, trail: Iterable[tuple[str | None, str]]) -> str:
    """A breadcrumb trail; the last item is the current page (no link)."""
    items = [f'<li><a href="{root}index.html">Catalogue</a></li>']
    for href, label in trail:
        if href is None:
            items.append(f'<li aria-current="page">{esc(label)}</li>')
        else:
            items.append(f'<li><a href="{esc(href)}">{esc(label)}</a></li>')
    return f'<nav class="crumbs" aria-label="Breadcrumb"><ol>{"".join(items)}</ol></nav>'


def monogram(name: str, alt: str, colour: str) -> str:
    """A drawn stand-in for a logo the site has no local copy of (an image from elsewhere would be
    a request to another host)."""
    letters = "".join(w[0] for w in name.split()[:2] if w[:1].isalnum()).upper() or name[:2].upper()
    letters = letters[:3]
    size = 56 if len(letters) < 3 else 40
    return (
        f'<svg viewBox="0 0 128 128" role="img" aria-label="{esc(alt)}">'
        f'<rect width="128" height="128" fill="{colour}"/>'
        f'<text x="64" y="64" dy=".35em" text-anchor="middle" fill="#fff" font-size="{size}" '
        f'font-weight="700" font-family="system-ui,sans-serif">{esc(letters)}</text></svg>'
    )
