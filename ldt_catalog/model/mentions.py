"""Which initiatives name which others: an index, so a catalogue of n initiatives costs O(n), not O(n²).

The rule (``mention_pattern``): an initiative mentions another when its text holds the other's
name or acronym (exact case) or full title (any case) as whole words, a hyphen joining words
(``Gaia`` is not in ``Gaia-X``).  Trying every pattern on every text is quadratic: 1,000
initiatives took most of a build (``bench/README.md``).  Here each name is looked up through one of its words instead:

* ``tokens`` cuts a text into its ASCII runs of ``[a-z0-9_]``, lower-cased; every other character
  (white space, punctuation, any non-ASCII character) separates.  A whole-word match of a name
  in a text is then always made of whole tokens of the text, so each token of the name is a
  token of the text.  The few non-ASCII characters that ``re``'s case-insensitive matching
  treats as ASCII letters (``ſ`` as ``s``, ``ı`` and ``İ`` as ``i``, the Kelvin sign as ``k``)
  are folded first, so a full title matched in any case keeps its tokens too.
* each name is filed under its rarest token (word counts from a sample of the texts), so a text
  only meets the names whose rarest word it contains;
* every candidate is then confirmed with the exact pattern, so the result is the rule's, token
  for token.  Names without any ASCII letter or digit are confirmed against every text.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

_SEPARATORS = bytes(c if chr(c) in "abcdefghijklmnopqrstuvwxyz0123456789_" else 32 for c in range(256))
_ASCII_LOOKALIKES = (("\u017f", "s"), ("\u0131", "i"), ("\u0130", "i"))  # the Kelvin sign lowers to k
_SAMPLE_TEXTS = 2000


def tokens(text: str) -> list[bytes]:
    """The ``[a-z0-9_]`` runs of ``text`` once case-folded, as ``re`` ignoring case sees ASCII letters."""
    if not text.isascii():
        for odd, plain in _ASCII_LOOKALIKES:
            if odd in text:
                text = text.replace(odd, plain)
    return text.lower().encode("utf-8").translate(_SEPARATORS).split()


@dataclass(frozen=True, slots=True)  # slots: publish keeps one per initiative of the catalogue
class Names:
    """What an initiative is called: ``exact`` names match in their case, ``any_case`` in any."""

    key: str
    exact: tuple[str, ...]
    any_case: tuple[str, ...]


def mention_pattern(names: Names) -> re.Pattern[str]:
    """Whole-word names of an initiative; a hyphen joins words (``Gaia`` is not in ``Gaia-X``)."""
    terms = [re.escape(n) for n in names.exact] + [f"(?i:{re.escape(n)})" for n in names.any_case]
    return re.compile(rf"(?<![\w-])(?:{'|'.join(terms)})(?![\w-])")


def _joins(char: str) -> bool:
    """Whether ``char`` joins a word for ``re`` (``\\w`` or a hyphen): letter, digit, ``_`` or ``-``."""
    return char.isalnum() or char in "_-"


def _whole_word_at(text: str, term: str, folded_text: str, folded_term: str) -> bool:
    """Whether ``folded_term`` occurs in ``folded_text`` (same length as ``text``) as whole words."""
    at = folded_text.find(folded_term)
    while at >= 0:
        end = at + len(folded_term)
        if (at == 0 or not _joins(text[at - 1])) and (end == len(text) or not _joins(text[end])):
            return True
        at = folded_text.find(folded_term, at + 1)
    return False


@functools.lru_cache(maxsize=4096)
def _any_case_pattern(term: str) -> re.Pattern[str]:
    return mention_pattern(Names("", (), (term,)))


def contains(text: str, term: str, any_case: bool) -> bool:
    """Whether ``text`` names ``term`` as ``mention_pattern`` would find it, mostly without a regex.

    Exact terms are found with ``str.find``.  In any case, ASCII letters only match ASCII letters
    and the four look-alikes, so when neither side has a look-alike (nor the term any non-ASCII
    character), lower-casing both keeps every position and ``find`` decides; otherwise the
    regular expression does.
    """
    if not any_case:
        return _whole_word_at(text, term, text, term)
    if term.isascii() and (text.isascii() or not any(odd in text for odd in _LOOKALIKE_CHARS)):
        return _whole_word_at(text, term, text.lower(), term.lower())
    return _any_case_pattern(term).search(text) is not None


_LOOKALIKE_CHARS = ("\u017f", "\u0131", "\u0130", "\u212a")


@dataclass(frozen=True, slots=True)
class FiledName:
    """A name of an initiative as the index files it, under one of its words."""

    key: str
    text: str
    any_case: bool
    other_words: tuple[bytes, ...]  # the name's words but the one it is filed under (publish
    # keeps an index of the whole catalogue: a tuple of shared words is a fraction of a frozenset)


class Filing(Protocol):
    """Where the index files names: in memory (``MemoryFiling``), or on disk for publish."""

    def file(self, word: bytes, key: str, text: str, any_case: bool, other_words: list[bytes]) -> None: ...

    def seal(self) -> None:
        """Every name is filed: only read from now on."""

    def under(self, words: Iterable[bytes]) -> Iterable[FiledName]:
        """The names filed under any of ``words``."""
        ...


class MemoryFiling:
    """Names filed in a dictionary of lists, by word."""

    def __init__(self) -> None:
        self._index: dict[bytes, list[FiledName]] = {}
        self._shared: dict[bytes, bytes] = {}  # one object per distinct word

    def file(self, word: bytes, key: str, text: str, any_case: bool, other_words: list[bytes]) -> None:
        others = tuple(self._shared.setdefault(w, w) for w in other_words)
        self._index.setdefault(self._shared.setdefault(word, word), []).append(
            FiledName(key, text, any_case, others)
        )

    def seal(self) -> None:
        self._shared = {}

    def under(self, words: Iterable[bytes]) -> Iterable[FiledName]:
        index = self._index
        return itertools.chain.from_iterable(index[w] for w in index.keys() & words)


def word_counts(texts: Iterable[str]) -> Counter[bytes]:
    """In how many of ``texts`` each token occurs: what makes a name's word rare."""
    counts: Counter[bytes] = Counter()
    for text in texts:
        counts.update(set(tokens(text)))
    return counts


class MentionIndex:
    """Every initiative's names, each filed under its rarest word (``counts`` say which is rarest).

    Any word of a name would give the same results, since each candidate is confirmed with the
    exact rule; the rarest keeps the candidates few.  Built from names alone, the index can be
    asked about one text at a time, so a catalogue's texts need not be in memory together.
    ``filing`` keeps the names (in memory by default).
    """

    def __init__(self, names: Iterable[Names], counts: Counter[bytes], filing: Filing | None = None) -> None:
        self._filing: Filing = MemoryFiling() if filing is None else filing
        self._everywhere: list[FiledName] = []
        for entry in names:
            for name, any_case in [(t, False) for t in entry.exact] + [(t, True) for t in entry.any_case]:
                name_words = list(dict.fromkeys(tokens(name)))
                if not name_words:
                    self._everywhere.append(FiledName(entry.key, name, any_case, ()))
                    continue
                # ``get``: a Counter's ``[]`` runs Python code for each word it has not seen
                rarest = min(name_words, key=lambda w: (counts.get(w, 0), -len(w)))
                others = [w for w in name_words if w != rarest]
                self._filing.file(rarest, entry.key, name, any_case, others)
        self._filing.seal()

    def mentioned(self, own: str, text: str) -> tuple[str, ...]:
        """The keys, other than ``own``, of the initiatives that ``text`` names, sorted."""
        found = tokens(text)
        # a text has hundreds of words and meets a name or two: the set of its words is made only
        # for a name of several words (the word it is filed under is the one that found it)
        words: set[bytes] | None = None
        hits: set[str] = set()
        for term in itertools.chain(self._everywhere, self._filing.under(found)):
            key = term.key
            if key == own or key in hits:
                continue
            if term.other_words:
                if words is None:
                    words = set(found)
                if not all(w in words for w in term.other_words):
                    continue
            if contains(text, term.text, term.any_case):
                hits.add(key)
        return tuple(sorted(hits))


def find_mentions(names: Sequence[Names], texts: Sequence[str]) -> list[tuple[str, ...]]:
    """For each text (``texts[i]`` is that of ``names[i]``), the keys of the others it names, sorted."""
    step = max(1, len(texts) // _SAMPLE_TEXTS)
    index = MentionIndex(names, word_counts(texts[::step]))
    return [index.mentioned(entry.key, text) for entry, text in zip(names, texts, strict=True)]
