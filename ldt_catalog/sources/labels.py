"""Section labels: which lines are labels, and which field a label fills.

* a line that is only a bold ``**X:**`` (or ``**X**:``, ``__X:__``) is always a label, a known
  one or not; a bold known label (``**Webpage:** https://…``) may carry content on its line;
* a bold line with content after it (``**Funding:** Horizon Europe``) is a label too: unknown
  labels are kept and reported by the model;
* a plain ``X:`` line is a label only when ``X`` is a known label of another kind than the
  current section, so lead-in sentences ending with a colon stay text.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass
from typing import Literal

LabelKind = Literal["description", "key_role", "relevance", "assets", "webpages", "contacts", "logo"]

LABEL_SYNONYMS: dict[LabelKind, str] = {
    "description": r"(short |brief )?(description|summary|overview)|about( the (initiative|project))?",
    "key_role": r"(key |main )?roles?( in (the )?.*ecosystem| and contribution)|key roles?",
    "relevance": r"relevance( (to|for) .+)?",
    "assets": r"(key |main )?(assets|resources|outputs|results|tools)"
    r"( and (assets|resources|outputs|tools))?",
    "webpages": r"(official |project )?(web ?pages?|web ?sites?|home ?pages?|urls?|links?|reference links?)",
    "contacts": r"(main )?contacts?( points?| persons?| information| info| details)?",
    "logo": r"logo",
}
"""Known labels: each ``/``-separated part of the lower-cased label must match one pattern."""


_LABEL_PATTERNS = [(kind, re.compile(pattern)) for kind, pattern in LABEL_SYNONYMS.items()]
_ANY_LABEL = re.compile("|".join(f"(?:{pattern})" for pattern in LABEL_SYNONYMS.values()))
"""One regex for "some pattern": a first part no pattern matches makes no label, tried once."""
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=1024)
def label_kind(label: str) -> LabelKind | None:
    """The field a label fills (``Webpage / Reference Link`` → ``webpages``), or None if unknown."""
    # most calls miss the cache: lead-in sentences ending with a colon often name their initiative
    norm = _SPACES.sub(" ", label.lower().replace("&", " and ").replace("*", "")).strip(" :")
    parts = [p.strip() for p in norm.split("/")]
    if _ANY_LABEL.fullmatch(parts[0]) is None:
        return None  # most lead-in sentences: every kind needs its pattern to match the first part
    for kind, pattern in _LABEL_PATTERNS:
        if all(pattern.fullmatch(p) for p in parts):
            return kind
    return None


LABEL_STARTS = frozenset("*_" + string.ascii_letters)  # what a bold or a plain label starts with
BOLD_LABEL = re.compile(
    r" {0,3}(?P<d>\*\*|__)(?P<label>[^*_\s][^*]*?)\s*(?::\s*(?P=d)|(?P=d)\s*:)\s*(?P<rest>.*)"
)
BOLD_ONLY = re.compile(r" {0,3}(?P<d>\*\*|__)(?P<label>[^*_\s][^*]*?)(?P=d)\s*")
PLAIN_LABEL = re.compile(r" {0,3}(?P<label>[A-Za-z][^:*\[\]<>()]{0,60}?)\s*:(?:\s+(?P<rest>.*)|\s*)")


@dataclass(frozen=True, slots=True)
class LabelLine:
    """A line read as a label: the label as written, its kind, and the content after it."""

    label: str
    kind: LabelKind | None
    rest: str


def read_label(text: str, indent: int, first: str, current: LabelKind | None) -> LabelLine | None:
    """``text`` as a label (rules in the module docstring), ``current`` being the open section's kind."""
    if indent >= 4 or first not in LABEL_STARTS:
        return None
    # what each pattern needs first, to spare the regular expressions on most lines
    bold = text.startswith(("**", "__"), indent)
    if not bold and (first in "*_" or ":" not in text):
        return None
    m = (BOLD_LABEL.fullmatch(text) or BOLD_ONLY.fullmatch(text)) if bold else None
    if m and m.re is BOLD_ONLY and label_kind(m.group("label")) is None:
        m = None  # ``**Some bold words**`` alone is text unless it names a known label
    if m is None:
        m = PLAIN_LABEL.fullmatch(text)
        if m is None or label_kind(m.group("label")) in (None, current):
            return None
    label = m.group("label").strip()
    rest = ((m.group("rest") if m.re is not BOLD_ONLY else None) or "").strip()
    return LabelLine(label, label_kind(label), rest)
