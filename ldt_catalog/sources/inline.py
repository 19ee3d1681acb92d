"""Inline markdown of one line: links, e-mail addresses, images and headings.

Pure and forgiving: this module finds things and says what it could not understand (the
``leftover`` text); it never judges them.  The model validates every URL and address found.

Headings (``split_heading``), in this order:

1. ``Name <dash> Full title``: split at the first en or em dash with a space (or the heading's
   end) on both sides; failing that at the first `` - ``.  A hyphen inside a word (``Gaia-X``)
   or an en dash inside a range of years never splits.  name = left, full_title = right.
2. ``Full Name (ACR)``: a trailing parenthesised word without spaces, at most 15 characters,
   with at least two capitals or digits (``DS4SSCC``, ``FIWARE``) is an acronym:
   name = ``Full Name``, acronym = ``ACR`` (the id is made from it), no separate full title.
3. Otherwise the whole heading is the name.

Bold markers and a trailing attribute list (``{#anchor}``) are markup, not part of any name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

TokenKind = Literal["image", "link", "autolink", "bare", "email"]

_TOKEN = re.compile(
    r"""
    (?P<image>!\[(?P<ialt>[^\]]*)\]\((?P<iurl>[^()]*)\)(?:[ \t]*\{(?P<iattr>[^}]*)\})?)
  | (?P<link>\[(?P<ltitle>[^\[\]]*)\]\((?P<lurl>[^()]*(?:\([^()]*\)[^()]*)*)\))
  | <(?P<auto>[A-Za-z][A-Za-z0-9+.-]*:[^\s<>]*|[^\s<>@]+@[^\s<>]*)>
  | (?<![\w/.@])(?P<bare>(?:https?://|www\.)[^\s<>\[\]()]*)
  | (?<![\w.%+-])(?P<email>[\w.%+-]+@[^\s<>()\[\]"',;:*]*)
    """,
    re.VERBOSE,
)
_TRAILING_PUNCT = ".,;:!?'\"*_"
# ``[t](url "title")``: the optional title after the URL is not part of the URL.
_LINK_TARGET = re.compile(r"""\s*<?(?P<url>[^\s<>]*)>?(?:\s+(?:"(?P<t1>[^"]*)"|'(?P<t2>[^']*)'))?\s*""")
_EMPHASIS = re.compile(r"\*\*|__")
# What is left of a line once its links are taken out, when it says nothing.
DASH = "\u2012\u2013\u2014\u2015\u2212"  # figure, en and em dash, horizontal bar, minus
_NOISE = re.compile(rf"[\s\[\]()<>,;:.|*_\u2022\u00b7/{DASH}-]+")


@dataclass(frozen=True)
class Token:
    """A link-like piece of a line; ``url`` is the address itself for an e-mail token."""

    kind: TokenKind
    url: str
    title: str | None
    start: int
    end: int
    attributes: str | None = None
    tooltip: str | None = None  # ``[t](url "tooltip")``

    @property
    def email(self) -> str | None:
        """The e-mail address this token stands for (bare, ``<a@b>`` or a ``mailto:`` link)."""
        if self.kind == "email":
            return self.url
        if self.url.lower().startswith("mailto:"):
            return self.url[len("mailto:") :].split("?", 1)[0]
        return None


def scan(text: str) -> list[Token]:
    """Every image, link, autolink, bare URL and e-mail address of ``text``, in order."""
    tokens: list[Token] = []
    for m in _TOKEN.finditer(text):
        alternative = m.lastgroup  # each alternative's outer group closes last
        if alternative == "image":
            tokens.append(
                Token("image", m.group("iurl").strip(), m.group("ialt"), m.start(), m.end(), m.group("iattr"))
            )
        elif alternative == "link":
            target = m.group("lurl")
            parsed = _LINK_TARGET.fullmatch(target)
            url = parsed.group("url") if parsed else target.strip()
            tooltip = (parsed.group("t1") or parsed.group("t2")) if parsed else None
            tokens.append(Token("link", url, m.group("ltitle"), m.start(), m.end(), tooltip=tooltip))
        elif alternative == "auto":
            auto = m.group("auto")
            kind: TokenKind = "autolink" if ":" in auto.split("@", 1)[0] or "@" not in auto else "email"
            tokens.append(Token(kind, auto, None, m.start(), m.end()))
        else:
            kind = "bare" if alternative == "bare" else "email"
            raw = m.group(kind)
            value = raw.rstrip(_TRAILING_PUNCT)
            if value:
                tokens.append(Token(kind, value, None, m.start(), m.start() + len(value)))
    return tokens


def leftover(text: str, tokens: list[Token] | None = None) -> str:
    """``text`` without its tokens and markup noise; empty when the line held only links."""
    tokens = scan(text) if tokens is None else tokens
    kept, position = [], 0
    for token in tokens:
        kept.append(text[position : token.start])
        position = token.end
    kept.append(text[position:])
    return _NOISE.sub(" ", " ".join(kept)).strip()


def image_only(text: str) -> Token | None:
    """The image when ``text`` is nothing but one ``![alt](url){ attrs }``."""
    tokens = scan(text)
    if len(tokens) == 1 and tokens[0].kind == "image" and not leftover(text, tokens):
        return tokens[0]
    return None


def lead_label(text: str, first_token: Token | None) -> tuple[str | None, int]:
    """``Project website: https://…`` → (``Project website``, index after the colon)."""
    head = text[: first_token.start] if first_token else text
    stripped = head.rstrip().rstrip("*_").rstrip()  # ``**General contact:** x@y.eu``
    if not stripped.endswith(":"):
        return None, 0
    label = clean(stripped[:-1])
    return (label or None), len(head)


def clean(text: str) -> str:
    text = _EMPHASIS.sub("", text)
    return text.strip(f" \t-{DASH}\u2022*_:.,;|[]")


@dataclass(frozen=True)
class HeadingParts:
    name: str
    full_title: str | None
    acronym: str | None


_DASHES = (re.compile(rf"\s[{DASH}]\s"), re.compile(r"\s-\s"))
_ATTRIBUTES = re.compile(r"\s*\{[^{}]*\}\s*$")  # ``{#anchor .class}`` of the attr_list extension
_ACRONYM = re.compile(r"(?P<full>.+?)\s*\((?P<acronym>[^()\s]{2,15})\)")


def split_heading(text: str) -> HeadingParts:
    """Name, full title and acronym of an initiative heading (rules in the module docstring)."""
    text = _ATTRIBUTES.sub("", _EMPHASIS.sub("", text)).strip()
    padded = f" {text} "
    for dash in _DASHES:
        m = dash.search(padded)
        if m:
            left, right = padded[: m.start()].strip(), padded[m.end() :].strip()
            return HeadingParts(left, right or None, None)
    m = _ACRONYM.fullmatch(text)
    if m and sum(c.isupper() or c.isdigit() for c in m.group("acronym")) >= 2:
        acronym = m.group("acronym")
        return HeadingParts(m.group("full").strip(), None, acronym)
    return HeadingParts(text, None, None)
