"""Rules for single values: identifiers (slugs), URLs and e-mail addresses.

Each check returns why a value is refused (naming the rule), or None; callers add the place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

INITIATIVE_ID_PREFIX = "urn:ngsi-ld:Initiative:"
CLUSTER_ID_PREFIX = "urn:ngsi-ld:Cluster:"
URL_RULE = "only absolute http, https and mailto URLs are accepted"
EMAIL_RULE = "an e-mail address is name@domain.tld"
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
)
_HOST = re.compile(r"localhost|[\d.]+|(?:[\w](?:[\w-]*\w)?\.)+[^\W\d_]{2,}")
_TRANSLIT = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "Th",
    }
)


def slugify(text: str) -> str:
    """``Gaia-X Ёxample`` → ``gaia-x-example``: ASCII-folded, ``[a-z0-9-]``; ValueError if empty."""
    folded = unicodedata.normalize("NFKD", text.translate(_TRANSLIT)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if not slug:
        raise ValueError(f"{text!r} has no letter or digit to make an identifier from")
    return slug


def email_problem(address: str) -> str | None:
    """Why ``address`` is not an e-mail address, or None when it is one."""
    if _EMAIL.fullmatch(address) is None:
        return f'malformed e-mail address "{address}" (rule: {EMAIL_RULE})'
    return None


def url_problem(url: str, *, relative_ok: bool = False) -> str | None:
    """Why ``url`` is not an acceptable link (``relative_ok`` for logos), or None."""
    reason = _url_reason(url, relative_ok)
    return f'malformed URL "{url}": {reason} (rule: {URL_RULE})' if reason else None


_PLAIN_WEB_URL = re.compile(
    r"(?i:https?)://(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?:[/?#]\S*)?"
)
"""A URL that every rule below accepts: checked in one step, as most links are like this."""
_SPACE = re.compile(r"\s")  # ``str.isspace`` characters, as ``re`` and Python share them


_PLAIN_RELATIVE_PATH = re.compile(r"(?!(?i:www\.))(?:\.\.?/)*[\w.-]+(?:/[\w.-]+)*")
"""A relative path (``../assets/logo.png``) that the rules accept where one may be (a logo)."""


def _url_reason(url: str, relative_ok: bool) -> str | None:
    if _PLAIN_WEB_URL.fullmatch(url) or (relative_ok and _PLAIN_RELATIVE_PATH.fullmatch(url)):
        return None
    return _url_rules(url, relative_ok)


def _url_rules(url: str, relative_ok: bool) -> str | None:
    if not url:
        return "empty"
    if _SPACE.search(url):
        return "it contains spaces"
    if url.lower().startswith("www."):
        return "no http:// or https:// in front"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a bad port
    except ValueError as e:
        return str(e)
    scheme = parts.scheme.lower()
    if not scheme:
        return None if relative_ok else "a relative path"
    if scheme == "mailto":
        address = parts.path
        return None if _EMAIL.fullmatch(address) else f'"{address}" is not an e-mail address'
    if scheme not in ("http", "https") or (relative_ok and scheme not in ("http", "https")):
        return f'scheme "{scheme}:" is not accepted'
    if not parts.hostname:
        return "no host"
    if not _HOST.fullmatch(parts.hostname):
        return f'host "{parts.hostname}" is not a domain name'
    return None


_BROWSER_DROPS = re.compile(r"[\t\n\r]")  # the URL standard removes these before parsing
_BROWSER_ENCODES = re.compile(r"[\s\"<>`{}|^\x00-\x1f\x7f]")
"""What a browser percent-encodes when it follows a link (spaces, quotes, angle brackets ...):
characters an IRI may not hold, so RDF cannot carry them as written."""
_CLEAN_WEB_URL = re.compile(
    r"(?i:https?)://(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
    r"(?:[/?#][^\s\"<>`{}|^\x00-\x1f\x7f]*)?"
)
"""``_PLAIN_WEB_URL`` without a character ``_BROWSER_ENCODES`` would encode: one regex, not two."""
_AUTHORITY = re.compile(r"(?i:(?:https?):)?//[^/?#\s]*|(?!(?i:[a-z][a-z0-9+.-]*):)")


@dataclass(frozen=True)
class CheckedUrl:
    """A URL as kept (``url``), or why it is refused (``error``); ``repair`` says what was changed."""

    url: str | None
    error: str | None = None
    repair: str | None = None


def check_url(url: str, *, relative_ok: bool = False) -> CheckedUrl:
    """``url`` checked; spaces and other characters a browser percent-encodes are encoded as it would.

    The scheme and host are never repaired: a URL without ``http(s)://`` or with a space in its
    host stays an error, as a browser would not follow it to the intended place either.
    """
    if _CLEAN_WEB_URL.fullmatch(url) or (relative_ok and _PLAIN_RELATIVE_PATH.fullmatch(url)):
        return CheckedUrl(url)  # most links and logos: nothing to encode, every rule met
    text = _BROWSER_DROPS.sub("", url.strip())
    if text == url and not _BROWSER_ENCODES.search(url):
        problem = url_problem(url, relative_ok=relative_ok)
        return CheckedUrl(None, problem) if problem else CheckedUrl(url)
    start = _AUTHORITY.match(text)
    head = start.group() if start is not None else ""
    fixed = head + _BROWSER_ENCODES.sub(_percent, text[len(head) :])
    reason = _url_reason(fixed, relative_ok) or (
        _url_rules(fixed, relative_ok) if _SPACE.search(fixed) else None
    )
    if reason:
        return CheckedUrl(None, f'malformed URL "{url}": {reason} (rule: {URL_RULE})')
    what = "spaces" if _SPACE.search(url) else "characters a URL may not hold"
    return CheckedUrl(
        fixed, None, f'URL "{url}" has {what}: kept percent-encoded as "{fixed}", as a browser follows it'
    )


def _percent(m: re.Match[str]) -> str:
    return "".join(f"%{byte:02X}" for byte in m.group().encode("utf-8"))
