"""Inline markdown of one line: links, e-mail addresses, images, contact lines and headings.

Pure and forgiving: this module finds things and says what it could not understand (the
``leftover`` text); it never judges them.  ``model.py`` validates every URL and address found.

Headings (``split_heading``), in this order:

1. ``Name <dash> Full title``: split at the first en or em dash with a space (or the heading's
   end) on both sides; failing that at the first `` - ``.  A hyphen inside a word (``Gaia-X``)
   or an en dash inside a range of years never splits.  name = left, full_title = right.
2. ``Full Title (ACR)``: a trailing parenthesised word without spaces, at most 15 characters,
   with at least two capitals or digits (``DS4SSCC``, ``FIWARE``) is an acronym:
   name = acronym = ``ACR``, full_title = ``Full Title``.
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
_DASH = "\u2013\u2014"  # en and em dash
_NOISE = re.compile(rf"[\s\[\]()<>,;:.|*_\u2022\u00b7/{_DASH}-]+")


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
    label = _clean(stripped[:-1])
    return (label or None), len(head)


def _clean(text: str) -> str:
    text = _EMPHASIS.sub("", text)
    return text.strip(f" \t-{_DASH}\u2022*_:.,;|[]")


@dataclass(frozen=True)
class ContactParts:
    """One contact point read from a line, not yet validated."""

    email: str | None = None
    url: str | None = None
    name: str | None = None
    role: str | None = None
    organization: str | None = None
    label: str | None = None

    @property
    def is_person(self) -> bool:
        return self.name is not None


# Separators between the name, role and organisation of a person line.
_PERSON_SEPARATORS = re.compile(rf"\x00|\s-\s|[{_DASH}]|[,;|()]")
_BOLD_START = re.compile(r"\s*(\*\*|__)[^*_]+?\1")
# A person's name when not in bold: two to five capitalised words (particles like "van" allowed).
_NAME = re.compile(r"[A-Z][\w'.-]*(?: (?:[A-Z][\w'.-]*|van|von|de|der|da|di|del|la|le)){1,4}")


def parse_contact_line(text: str) -> tuple[list[ContactParts], list[Token], str]:
    """Contacts of one line, the tokens they came from, and the text not understood.

    Forms: ``General contact: x@y.eu`` (label + e-mail), ``[Contact page](url)`` (link text as
    label), a bare URL or ``<mailto:…>``, and a person ``**Jane Doe**, Role — Organisation —
    jane@acme.eu``: a bold name, or a capitalised two-to-five-word name followed by other parts,
    make a person whose parts are name, role and organisation (the rest joins the organisation).
    """
    tokens = [t for t in scan(text) if t.kind != "image"]
    label, body_start = lead_label(text, tokens[0] if tokens else None)
    body = text[body_start:]
    masked, position = [], body_start
    for token in tokens:
        masked.append(text[position : token.start])
        masked.append("\x00")
        position = token.end
    masked.append(text[position:])
    parts = [p for p in (_clean(x) for x in _PERSON_SEPARATORS.split("".join(masked))) if p]
    rest = ""
    person: ContactParts | None = None
    if parts and (_BOLD_START.match(body) or (len(parts) >= 2 and _NAME.fullmatch(parts[0]))):
        organization = ", ".join(parts[2:]) or None
        role = parts[1] if len(parts) > 1 else None
        person = ContactParts(name=parts[0], role=role, organization=organization, label=label)
    elif len(parts) == 1 and label is None and tokens:
        label = parts[0]
    elif parts:
        rest = " ".join(parts)
    if label and tokens and person is None and all(_title(t) for t in tokens):
        rest, label = " ".join(filter(None, (label, rest))), None  # every link has its own label
    contacts: list[ContactParts] = []
    emails_urls = list(tokens)
    if person is not None:
        email = next((t for t in emails_urls if t.email), None)
        url = next((t for t in emails_urls if not t.email), None)
        contacts.append(
            ContactParts(
                email=email.email if email else None,
                url=url.url if url else None,
                name=person.name,
                role=person.role,
                organization=person.organization,
                label=label,
            )
        )
        emails_urls = [t for t in emails_urls if t is not email and t is not url]
    for token in emails_urls:
        title = _title(token)
        if token.email:
            contacts.append(ContactParts(email=token.email, label=title or label))
        else:
            contacts.append(ContactParts(url=token.url, label=title or label))
    return contacts, tokens, rest


def _title(token: Token) -> str | None:
    """A link's text when it says more than the address (``[x@y.eu](mailto:x@y.eu)`` does not)."""
    title = (token.title or "").strip()
    return title if title and title not in (token.email, token.url) else None


@dataclass(frozen=True)
class HeadingParts:
    name: str
    full_title: str | None
    acronym: str | None


_DASHES = (re.compile(rf"\s[{_DASH}]\s"), re.compile(r"\s-\s"))
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
        return HeadingParts(acronym, m.group("full").strip(), acronym)
    return HeadingParts(text, None, None)
