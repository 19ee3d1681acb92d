"""The mentions index finds exactly what trying every name's pattern on every text finds.

Also: the one-step URL check accepts only URLs the full rules accept, and the Turtle escapes
written without ``str.translate`` are the ones ``translate`` gives.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest

from ldt_catalog.model.mentions import (
    MentionIndex,
    Names,
    contains,
    find_mentions,
    mention_pattern,
    word_counts,
)
from ldt_catalog.model.values import _PLAIN_WEB_URL, _url_rules
from ldt_catalog.pipeline.index_store import IndexStore
from ldt_catalog.rdf import turtle

WORDS = ["Gaia", "Gaia-X", "gaia-x", "GAIA-X", "DUET", "duet", "Digital Twin", "digital twin", "Twin",
         "FIWARE", "Smart Cities", "ſmart cities", "SMART CİTİES", "ıot hub", "IoT Hub", "Kelvin",
         "\u212aelvin", "Zürich", "ZÜRICH", "Ωμέγα", "ΩΜΈΓΑ", "C++", "c++", ".NET", "x_y", "A1", "a1",
         "Σίσυφος", "ΣΊΣΥΦΟΣ", "naïve", "NAÏVE", "—", "Ω"]  # fmt: skip
GLUE = [" ", " ", ", ", "-", "(", ") ", "\n", "_", "/", " — ", "'", "é", ". "]


def brute_force(names: list[Names], texts: list[str]) -> list[tuple[str, ...]]:
    patterns = [mention_pattern(n) for n in names]
    return [
        tuple(
            sorted(
                {n.key for n, p in zip(names, patterns, strict=True) if n.key != own.key and p.search(text)}
            )
        )
        for own, text in zip(names, texts, strict=True)
    ]


@pytest.mark.parametrize("seed", range(40))
def test_index_finds_what_every_pattern_finds(seed: int) -> None:
    rng = random.Random(seed)
    names = []
    for number in range(25):
        exact = tuple(rng.sample(WORDS, rng.randint(1, 2)))
        any_case = tuple(rng.sample(WORDS, 1)) if rng.random() < 0.7 else ()
        names.append(Names(f"i{number}", exact, any_case))
    texts = ["".join(rng.choice(WORDS) + rng.choice(GLUE) for _ in range(rng.randint(0, 30))) for _ in names]
    expected = brute_force(names, texts)
    assert find_mentions(names, texts) == expected
    with tempfile.TemporaryDirectory() as folder:  # publish's index: the names filed on disk
        store = IndexStore(Path(folder))
        for entry in names:
            store.add_names(entry)
        store.seal()
        stored = MentionIndex(store.names(), word_counts(texts[::3]), store.filing())
        assert [stored.mentioned(n.key, text) for n, text in zip(names, texts, strict=True)] == expected
        store.close()


@pytest.mark.parametrize(
    ("text", "term", "any_case"),
    [("ſmart cities", "Smart Cities", True), ("İoT", "iot", True), ("\u212aelvin", "kelvin", True),
     ("a—Gaia—b", "Gaia", False), ("Gaia-X", "Gaia", False), ("x Gaia_", "Gaia", False), ("ΣΊΣΥΦΟΣ", "σίσυφος", True)],
)  # fmt: skip
def test_contains_agrees_with_the_pattern(text: str, term: str, any_case: bool) -> None:
    names = Names("k", () if any_case else (term,), (term,) if any_case else ())
    assert contains(text, term, any_case) == bool(mention_pattern(names).search(text))


URLS = [
    "https://example.org", "http://a.bc/x y", "HTTPS://WWW.EXAMPLE.ORG/Path?q=1#f", "https://a.b",
    "https://localhost/x", "https://1.2.3.4/", "https://exa_mple.org/", "https://-a.org/", "https://a-.org/",
    "https://a.org:8080/", "https://a.org:99999/", "https://user@a.org/", "https://[::1]/", "https://a.org\n",
    "https://a.org/\x00", "https://xn--bcher-kva.example/", "https://bücher.example/", "www.a.org",
    "mailto:a@b.eu", "ftp://a.org", "https://a..org/", "https://a.org./", "https://a.1a/", "https://a.o/",
]  # fmt: skip


@pytest.mark.parametrize("url", URLS)
def test_plain_url_fast_path_is_accepted_by_the_full_rules(url: str) -> None:
    if _PLAIN_WEB_URL.fullmatch(url):
        assert _url_rules(url, False) is None


def test_turtle_escapes_equal_translate() -> None:
    rng = random.Random(1)
    chars = ["a", "\\", '"', "\n", "\r", "\t", "\b", "\f", "\x00", "\x7f", "\x1f", "é", "\u2028", "<", " "]
    for _ in range(5000):
        text = "".join(rng.choice(chars) for _ in range(rng.randint(0, 8)))
        assert turtle.escape_iri(text) == text.translate(turtle._IRI_ESCAPES)
