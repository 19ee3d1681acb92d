"""Every shortcut taken for speed gives what the general rule it skips would give.

Each test draws many random inputs from the characters that matter to the rule and compares the
fast path with the slow one written out plainly (the code as it was before the shortcut).
"""

from __future__ import annotations

import io
import json
import random
import re
from collections.abc import Iterator
from typing import Any

import pytest

from ldt_catalog import accelerators
from ldt_catalog.errors import Diagnostic, Severity, SourceRef
from ldt_catalog.model import values
from ldt_catalog.model.values import _PLAIN_RELATIVE_PATH, _url_rules
from ldt_catalog.ngsild.context import entity_context
from ldt_catalog.ngsild.entities import catalog_entities
from ldt_catalog.rdf import canonical, turtle
from ldt_catalog.rdf import convert as rdf
from ldt_catalog.sources import body, headings, hub, labels, lines
from tests.factories import make_catalog


@pytest.fixture(autouse=True)
def _accelerated() -> Iterator[None]:
    """These tests are of the fast paths: in accelerated mode, whatever mode the suite runs in."""
    with accelerators.reference(False):
        yield


def random_text(rng: random.Random, chars: list[str], longest: int = 12) -> str:
    return "".join(rng.choice(chars) for _ in range(rng.randint(0, longest)))


# -- hub.py: the checks that spare the line regexes ------------------------------------------------

LINE_CHARS = list("   \t-*_+#:aZé1\u0663².)[x")  # spaces thrice: indents of 0 to 4 and more


@pytest.mark.parametrize("seed", range(4))
def test_line_prechecks_never_skip_a_match(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(20000):
        text = random_text(rng, LINE_CHARS).rstrip()
        line = lines.Line(1, text, False)
        chars = lines.RULE_CHARS.get(line.first)
        if chars is None or text.strip(chars):
            assert lines.RULE.match(text) is None, text
        if not (line.first in "-*+" or line.first.isdecimal()):
            assert lines.BULLET.fullmatch(text) is None, text
        label_like = line.indent < 4 and line.first in labels.LABEL_STARTS
        bold = text.startswith(("**", "__"), line.indent)
        if not label_like or not (bold or (line.first not in "*_" and ":" in text)):
            assert not (labels.BOLD_LABEL.fullmatch(text) or labels.BOLD_ONLY.fullmatch(text)), text
            assert labels.PLAIN_LABEL.fullmatch(text) is None, text


def test_label_kind_of_compiled_patterns_is_the_rule() -> None:
    for label in ["Short Description", "Key role in the LDT Ecosystem", "Webpage / Reference Link",
                  "Logo", "Main  contact\tpoint:", "Key Assets & Resources", "Funding", "Webpage / Funding",
                  "Within the ecosystem, X plays a role by", "**About the project**", "Links / Logo",
                  "Key role in the ecosystem / Webpage", "About", "Contact Info", "Funding / Links"]:  # fmt: skip
        norm = re.sub(r"\s+", " ", label.lower().replace("&", " and ").replace("*", "")).strip(" :")
        parts = [p.strip() for p in norm.split("/")]
        expected = next(
            (k for k, pattern in hub.LABEL_SYNONYMS.items() if all(re.fullmatch(pattern, p) for p in parts)),
            None,
        )
        assert hub.label_kind(label) == expected


PAGE_LINES = ["", "", "", "  ", "# T", "## A – B", "## C (CD)", "**Short Description:**", "Key role:",
              "**Webpage:** https://a.eu", "Webpage: https://b.eu", "text", "text  ", "- bullet", "  continued",
              "    - nested", "1. one", "---", "![logo](l.png)", "### sub", "    indented"]  # fmt: skip


def without_hashes(page: hub.RawPage) -> tuple[Any, ...]:
    initiatives = [(i.heading, i.ref, i.logo, i.sections) for i in page.initiatives]
    return (page.title, page.title_ref, page.intro, page.notes, initiatives)


def test_blank_lines_read_as_one_shared_line_are_read_as_before() -> None:
    """A blank line is one shared object, skipped when no block is open; ``<!---->`` makes a line
    take the general path (a comment is stripped and leaves a blank line of its own)."""
    rng = random.Random(6)
    for _ in range(3000):
        lines = [rng.choice(PAGE_LINES) for _ in range(rng.randint(1, 30))]
        commented = [line if line.strip() else "<!---->" for line in lines]
        fast, general = hub.parse_page("\n".join(lines), "p.md"), hub.parse_page("\n".join(commented), "p.md")
        assert without_hashes(fast) == without_hashes(general), lines


# -- headings.py and body.py: lines sorted before the forms and handlers are tried -----------------

VARIANT_LINES = [*PAGE_LINES, "##A – B", "#### C – D ####", "A – B", "C (CD)", "===", "--", "- -", " ---",
                 "**A – B**", "__C (CD)__", "**Logo:**", "![l](l.png) x", "```", "~~~", "#", "##", "- ---",
                 "**Bold** words", "Short Description:", "* * *", "_x_", "\t---", "=", "# T"]  # fmt: skip


WARNING = Severity.WARNING


def random_lines(rng: random.Random) -> list[lines.Line]:
    text = "\n".join(rng.choice(VARIANT_LINES) for _ in range(rng.randint(1, 25)))
    return lines.classify(text.split("\n"), "p.md", [])


@pytest.mark.parametrize("seed", range(3))
def test_lines_not_worth_trying_are_taken_by_no_heading_form(seed: int) -> None:
    rng = random.Random(seed)
    taken = 0
    for _ in range(3000):
        page = random_lines(rng)
        tried = headings.worth_trying(page)
        assert tried == sorted(set(tried))
        for i in range(len(page)):
            candidate = next((c for c in (form(page, i) for form in headings.FORMS) if c), None)
            if candidate is not None:
                taken += 1
                assert i in tried, [line.text for line in page[i : i + 2]]
                assert headings.first_candidate(page, i) == candidate
    assert taken > 5000


def starts_the_plain_way(page: list[lines.Line], notes: list[Diagnostic]) -> list[headings.Start]:
    """``initiative_starts`` as it was before its shortcuts: every form tried on every line."""
    found = []
    for i, line in enumerate(page):
        candidate = next((c for c in (form(page, i) for form in headings.FORMS) if c is not None), None)
        if candidate is None:
            continue
        if candidate.form == "atx" and candidate.level == headings.INITIATIVE_LEVEL:
            found.append(headings.Start(i, candidate.text, candidate.body))
            continue
        ref = SourceRef("p.md", line.number)
        if candidate.form == "spaceless" and candidate.level == headings.INITIATIVE_LEVEL:
            found.append(headings.Start(i, candidate.text, candidate.body))
            notes.append(Diagnostic.at(ref, f"{candidate.shown}: read as an initiative heading", WARNING))
            continue
        if candidate.level == 1 and candidate.form == "atx":
            continue
        label = headings._first_label(page, candidate.body, len(page))
        reads = headings._reads_as_initiative(candidate.text)
        if label is not None and (reads or label == "description"):
            found.append(headings.Start(i, candidate.text, candidate.body))
            notes.append(Diagnostic.at(ref, f"{candidate.shown} followed by labelled sections", WARNING))
        elif reads:
            notes.append(Diagnostic.at(ref, f"{candidate.shown} reads as an initiative heading", WARNING))
    return found


@pytest.mark.parametrize("seed", range(2))
def test_initiative_starts_are_those_of_every_form_on_every_line(seed: int) -> None:
    rng = random.Random(seed + 10)
    read_second_way = 0
    for _ in range(3000):
        page = random_lines(rng)
        fast_notes: list[Diagnostic] = []
        plain_notes: list[Diagnostic] = []
        assert headings.initiative_starts(page, "p.md", fast_notes) == starts_the_plain_way(page, plain_notes)
        assert len(fast_notes) == len(plain_notes)
        for fast, plain in zip(fast_notes, plain_notes, strict=True):
            assert fast.where == plain.where and fast.message.startswith(plain.message), (fast, plain)
        read_second_way += len(plain_notes)
    assert read_second_way > 500


def test_handlers_chosen_by_line_kind_read_as_trying_every_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    """``Body.HANDLERS`` lists, per kind of line, only handlers that may take it: the same pages
    read with every handler tried on every line give the same records."""
    rng = random.Random(7)
    texts = ["\n".join(rng.choice(VARIANT_LINES) for _ in range(rng.randint(1, 30))) for _ in range(3000)]
    fast = [without_hashes(hub.parse_page(text, "p.md")) for text in texts]
    every = (
        body.Body._code_line, body.Body._blank_line, body.Body._after_blank, body.Body._rule_line,
        body.Body._label_line, body.Body._heading_line, body.Body._logo_line, body.Body._text_line,
    )  # fmt: skip
    monkeypatch.setattr(body.Body, "HANDLERS", dict.fromkeys(body.Body.HANDLERS, every))
    assert [without_hashes(hub.parse_page(text, "p.md")) for text in texts] == fast


# -- model.py: relative paths (logos) accepted in one step -----------------------------------------

PATH_CHARS = ["a", "Z", "0", "_", "-", ".", ".", "/", "/", "é", " ", ":", "w", "W", "?", "#", "%", "[", "@"]


def test_plain_relative_path_is_accepted_by_the_full_rules() -> None:
    rng = random.Random(3)
    matched = 0
    for _ in range(20000):
        url = random_text(rng, PATH_CHARS)
        if rng.random() < 0.2:
            url = rng.choice(["../", "./", "www.", "WwW.", "//"]) + url
        if _PLAIN_RELATIVE_PATH.fullmatch(url):
            matched += 1
            assert _url_rules(url, True) is None, url
    assert matched > 1000


URL_CHARS = [*PATH_CHARS, "h", "t", "p", "s", ":", "/", "/", "e", "u", ".", "<", '"', "|", "{", "^", "`", "\t",
             "\x7f", "\x01", "\n", "\u00a0", "\u2028", "é"]  # fmt: skip


def check_url_the_plain_way(url: str, relative_ok: bool) -> values.CheckedUrl:
    """``check_url`` with its first step as it was: two regexes, no shortcut for relative paths."""
    if values._PLAIN_WEB_URL.fullmatch(url) and not values._BROWSER_ENCODES.search(url):
        return values.CheckedUrl(url)
    text = values._BROWSER_DROPS.sub("", url.strip())
    if text == url and not values._BROWSER_ENCODES.search(url):
        problem = values.url_problem(url, relative_ok=relative_ok)
        return values.CheckedUrl(None, problem) if problem else values.CheckedUrl(url)
    start = values._AUTHORITY.match(text)
    head = start.group() if start is not None else ""
    fixed = head + values._BROWSER_ENCODES.sub(values._percent, text[len(head) :])
    reason = values._url_reason(fixed, relative_ok) or (
        values._url_rules(fixed, relative_ok) if values._SPACE.search(fixed) else None
    )
    if reason:
        return values.CheckedUrl(None, f'malformed URL "{url}": {reason} (rule: {values.URL_RULE})')
    what = "spaces" if values._SPACE.search(url) else "characters a URL may not hold"
    return values.CheckedUrl(
        fixed, None, f'URL "{url}" has {what}: kept percent-encoded as "{fixed}", as a browser follows it'
    )


def test_clean_urls_and_relative_paths_are_checked_as_the_plain_rules_check_them() -> None:
    rng = random.Random(11)
    clean = 0
    for _ in range(30000):
        url = random_text(rng, URL_CHARS, 20)
        if rng.random() < 0.5:
            url = (
                rng.choice(["https://a.eu/", "http://x-1.example.org", "HTTPS://b.co?", "../", "https://"])
                + url
            )
        relative_ok = rng.random() < 0.5
        clean += values._CLEAN_WEB_URL.fullmatch(url) is not None
        assert values.check_url(url, relative_ok=relative_ok) == check_url_the_plain_way(url, relative_ok), (
            url
        )
    assert clean > 1000


# -- rdf.py: escapes, IRIs and canonical JSON ------------------------------------------------------

ESCAPE_CHARS = ["a", "\\", '"', "\n", "\r", "\t", "\b", "\f", "\x00", "\x0b", "\x1a", "\x1f", "\x7f", "é",
                "\u2028", "u", "0", "{", " "]  # fmt: skip


def test_quote_string_is_the_translated_text_in_quotes() -> None:
    rng = random.Random(2)
    for _ in range(20000):
        text = random_text(rng, ESCAPE_CHARS)
        assert turtle.quote_string(text) == f'"{text.translate(turtle._STRING_ESCAPES)}"'
    assert turtle.quote_string("\\u0041") == '"\\\\u0041"'


def prefixed_the_plain_way(value: str, prefixes: dict[str, str]) -> str:
    """``TurtleWriter.iri`` as it was: the longest namespace by a loop, the local name by a set."""
    local_chars = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
    text = f"<{turtle.escape_iri(value)}>"
    for name, namespace in sorted(prefixes.items(), key=lambda p: -len(p[1])):
        if value.startswith(namespace):
            local = value[len(namespace) :]
            if local and local[0] != "-" and local[-1] != "-" and set(local) <= local_chars:
                text = f"{name}:{local}"
            break
    return text


@pytest.mark.parametrize(
    "prefixes",
    [
        turtle.PREFIXES,
        {"a": "https://x.eu/", "b": "https://x.eu/ns#", "c": "https://x.eu/ns#", "d": "urn:"},
        {},
    ],
)
def test_prefixed_names_as_the_plain_loop_makes_them(prefixes: dict[str, str]) -> None:
    rng = random.Random(4)
    starts = [*(prefixes or turtle.PREFIXES).values(), "https://x.eu", "urn:ngsi-ld:", ""]
    chars = ["a", "B", "7", "_", "-", "-", ".", "/", "#", ":", "é", " ", "<"]
    for _ in range(5000):
        value = rng.choice(starts) + random_text(rng, chars, 6)
        writer = turtle.TurtleWriter.__new__(turtle.TurtleWriter)
        writer._use_prefixes(prefixes)  # none at all: every IRI in full
        assert writer.iri(value) == prefixed_the_plain_way(value, prefixes), value


def has_float_the_plain_way(value: Any) -> bool:
    """``canonical._has_float`` as it was: every item through the general checks, on a stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, float) or (
            isinstance(item, int) and not isinstance(item, bool) and abs(item) >= 2**53
        ):
            return True
    return False


def canonical_json_the_plain_way(value: Any) -> str:
    if not has_float_the_plain_way(value):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return canonical._jcs(value)


def random_json(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.randrange(9 if depth < 3 else 6)
    if pick == 0:
        return rng.choice([0, 7, -12, 2**53 - 1, 2**53, -(2**53), 10**15, 10**16, 10**21])
    if pick == 1:
        return rng.choice([1.5, -0.0, 1e22, 3.0, 2.5e-7, 1e16])
    if pick == 2:
        return rng.choice([True, False, None])
    if pick < 6:
        return random_text(rng, ["a", ":", ",", "[", "1", ".", "e", "-", "N", "I", '"', "{", "9"], 8)
    if pick < 8:
        return {
            random_text(rng, ["k", ":", "1", ","], 3): random_json(rng, depth + 1)
            for _ in range(rng.randint(0, 4))
        }
    return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 4))]


def test_canonical_json_is_the_plain_definition() -> None:
    rng = random.Random(5)
    for _ in range(20000):
        value = random_json(rng)
        assert rdf.canonical_json(value) == canonical_json_the_plain_way(value), value


class Number(int):
    """An ``int`` that is not exactly one: the exact-type checks must leave it to the general ones."""


def nested(value: Any, depth: int) -> Any:
    for index in range(depth):
        value = [value] if index % 2 else {"k": value}
    return value


def test_canonical_json_refuses_a_cycle() -> None:
    cycle: dict[str, Any] = {"a": [1.5]}
    cycle["a"].append(cycle)
    with pytest.raises((ValueError, RecursionError)):
        rdf.canonical_json(cycle)


def test_has_float_is_the_plain_walk() -> None:
    rng = random.Random(7)
    values = [random_json(rng) for _ in range(20000)]
    values += [nested(leaf, depth) for leaf in (1.5, 2**60, 7, "x") for depth in (60, 70, 200)]
    values += [{"a": Number(2**60)}, [Number(3)], {"a": True, "b": [False, None]}, 2**53, -(2**53) + 1]
    for value in values:
        assert canonical._has_float(value) == has_float_the_plain_way(value), value


# -- rdf.py: entities written as Turtle straight from their dicts ----------------------------------

NO_VOCAB = {  # no @vocab: a key that is no term has no IRI
    "id": "@id",
    "type": "@type",
    "Thing": "https://x.eu/Thing",
    "name": "https://schema.org/name",
    "link": {"@id": "https://x.eu/link", "@type": "@id"},
    "tags": {"@id": "https://x.eu/tags", "@container": "@set"},
    "lang": {"@id": "https://x.eu/lang", "@language": "EN"},
    "text": {"@id": "https://x.eu/text", "@container": "@language"},
    "data": {"@id": "https://x.eu/data", "@type": "@json"},
}
CORE_KEYS = ["name", "description", "value", "object", "languageMap", "json", "datasetId", "observedAt",
             "vocab", "mentions", "provenance", "undefinedTerm", "schema:url", "rdf:type", "@context"]  # fmt: skip
CORE_TYPES = [
    "Initiative",
    "Property",
    "LanguageProperty",
    "JsonProperty",
    "Relationship",
    "Other",
    ["Initiative", "x:Y"],
]
NO_VOCAB_KEYS = ["name", "link", "tags", "lang", "text", "data", "schema:url", "@context"]
NO_VOCAB_TYPES = ["Thing"] * 8 + ["https://x.eu/Other", "Other"]  # the last has no IRI here
Vocabulary = tuple[list[str], list[str]]  # the keys and the types of a random node
TEXT_CHARS = ["a", "Z", " ", "é", '"', "\\", "\n", "\t", "\x01", "\x7f", "\u2028", "🛰"]


def random_value(rng: random.Random, key: str, vocabulary: Vocabulary, depth: int) -> Any:
    """Mostly values of the kinds entities hold under ``key``; now and then one the trees refuse."""
    if key in ("json", "data"):
        return random_json(rng)
    if key in ("languageMap", "text") and rng.random() < 0.9:
        texts = [
            random_text(rng, TEXT_CHARS),
            random_text(rng, TEXT_CHARS),
            ["a", "b"],
            3 if rng.random() < 0.1 else "c",
        ]
        return {
            lang: rng.choice(texts) for lang in rng.sample(["en", "EN", "de", "fr-BE"], rng.randint(0, 2))
        }
    if key in ("object", "datasetId", "link") and rng.random() < 0.9:
        return rng.choice(["urn:ngsi-ld:Thing:1", "https://schema.org/a", "x y", "urn:a:<b>"])
    pick = rng.randrange(10 if depth < 3 else 5)
    if pick < 3:
        return random_text(rng, TEXT_CHARS)
    if pick == 3:
        return rng.choice(["urn:ngsi-ld:Thing:1", "Thing", None, 7, [], {}])
    if pick == 4:
        return rng.choice([1.5, True, ["t", None, 4], {"@value": "v"} if rng.random() < 0.2 else "v"])
    if pick < 8:
        return random_node(rng, vocabulary, depth + 1)
    return [rng.choice([None, "t"]) if rng.random() < 0.2 else random_node(rng, vocabulary, depth + 1)
            for _ in range(rng.randint(0, 3))]  # fmt: skip


def random_node(rng: random.Random, vocabulary: Vocabulary, depth: int = 0) -> dict[str, Any]:
    """A node of keys in any order: an ``id`` (mostly at the top only), a type, a few properties."""
    keys, types = vocabulary
    items: list[tuple[str, Any]] = []
    if rng.random() < (0.9 if depth == 0 else 0.05):
        items.append(
            (rng.choice(["id", "id", "@id"]), rng.choice([f"urn:ngsi-ld:Thing:{depth}"] * 9 + [None]))
        )
    if rng.random() < 0.85:
        items.append(("type", rng.choice(types) if rng.random() < 0.99 else None))
    for key in rng.sample(keys, rng.randint(0, 4)):
        items.append((key, random_value(rng, key, vocabulary, depth)))
    rng.shuffle(items)
    return dict(items)


def turtle_or_error(entities: list[dict[str, Any]], direct: bool) -> tuple[str, str]:
    """What was written, and the error that stopped it (``""`` for none)."""
    buffer = io.StringIO()
    try:
        if direct:
            turtle.write_turtle(rdf.entity_subjects(entities), buffer)
        else:  # the subject trees, read one by one, each written
            writer = turtle.TurtleWriter(buffer)
            for subject in rdf.entity_subjects(entities):
                writer.write(subject)
    except Exception as error:
        return buffer.getvalue(), f"{type(error).__name__}: {error}"
    return buffer.getvalue(), ""


@pytest.mark.parametrize("seed", range(3))
def test_entities_written_directly_as_their_trees_are(seed: int) -> None:
    rng = random.Random(seed)
    core: Vocabulary = (CORE_KEYS, CORE_TYPES)
    contexts = [
        (entity_context(), core),
        (entity_context(), core),
        ([NO_VOCAB], (NO_VOCAB_KEYS, NO_VOCAB_TYPES)),
    ]
    direct = trees = 0
    for _ in range(1500):
        entities = []
        for _ in range(rng.randint(1, 4)):
            context, vocabulary = rng.choice(contexts)  # the first two equal, not the same
            entities.append({**random_node(rng, vocabulary), "@context": context})
        expected = turtle_or_error(entities, direct=False)
        assert turtle_or_error(entities, direct=True) == expected, entities
        if not expected[1]:  # count the entities each way takes
            writer = turtle.TurtleWriter(io.StringIO())
            for converter, entity in rdf.entity_subjects(entities).take_entities() or []:
                written = turtle._EntityTurtle(converter, writer).block(entity) is not None
                direct, trees = direct + written, trees + (not written)
    assert direct > 500 and trees > 500, (direct, trees)  # both ways taken, often


def test_subjects_partly_read_are_written_as_trees() -> None:
    entities = list(catalog_entities(make_catalog()))
    subjects = rdf.entity_subjects(entities)
    next(subjects)
    rest = io.StringIO()
    turtle.write_turtle(subjects, rest)
    expected = io.StringIO()
    writer = turtle.TurtleWriter(expected)
    subjects = rdf.entity_subjects(entities)
    next(subjects)
    for subject in subjects:
        writer.write(subject)
    assert rest.getvalue() == expected.getvalue()
