"""Rules for single values: identifiers (slugs), URLs and e-mail addresses.

Each check returns why a value is refused (naming the rule), or None; callers add the place.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

INITIATIVE_ID_PREFIX = "urn:ngsi-ld:Initiative:"
CLUSTER_ID_PREFIX = "urn:ngsi-ld:Cluster:"
URL_RULE = "only absolute http, https and mailto URLs without spaces are accepted"
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
