"""The fast JSON Schema path (jsonschema-rs) decides exactly as jsonschema does, on every shape.

``validate_entity`` lets jsonschema-rs decide valid or invalid and asks jsonschema for the
messages only when it is invalid, so the two must agree: on every entity we produce, and on a
corpus of broken ones (forbidden characters, missing attributes, wrong kinds, bad URIs and
e-mails, ``$`` before a trailing newline, whitespace the two regex dialects disagree on, bools posing
as numbers ...).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bench.generate import write_pages
from ldt_catalog.accelerators import reference
from ldt_catalog.ngsild.entities import catalog_entities
from ldt_catalog.pipeline import stages
from ldt_catalog.validation import checks
from ldt_catalog.validation.checks import entity_validator, is_valid_fast, validate_entity
from ldt_catalog.validation.fast_schema import UnsupportedPattern, python_regex
from tests.factories import make_catalog

ROOT = Path(__file__).resolve().parent.parent
Entity = dict[str, Any]


def jsonschema_valid(entity: Entity) -> bool:
    return not list(entity_validator(entity["type"]).iter_errors(entity))


def produced(tmp_path: Path) -> list[Entity]:
    entities = list(catalog_entities(make_catalog()))
    entities += catalog_entities(stages.load_catalog([ROOT / "seed"]))
    entities += catalog_entities(stages.load_catalog([ROOT / "tests" / "pages"]))
    write_pages(150, tmp_path / "hub", seed=3)
    entities += catalog_entities(stages.load_catalog([tmp_path / "hub"]))
    return entities


def test_fast_path_accepts_every_produced_entity(tmp_path: Path) -> None:
    for entity in produced(tmp_path):
        assert jsonschema_valid(entity), entity["id"]
        assert is_valid_fast(entity) is True, entity["id"]


Mutation = Callable[[Entity], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(entity: Entity) -> None:
        *parents, last = path.split("/")
        node: Any = entity
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(entity: Entity) -> None:
        *parents, last = path.split("/")
        node: Any = entity
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[int(last) if isinstance(node, list) else last]

    return mutate


def initiative_mutations() -> Iterator[tuple[str, Mutation]]:
    for char in "<>\"'=;()":
        yield f"property string with {char}", _set("status", {"type": "Property", "value": f"a {char} b"})
        yield (
            f"nested property string with {char}",
            _set("extra", {"type": "Property", "value": {"a": ["ok", char]}}),
        )
        yield f"unitCode with {char}", _set("size", {"type": "Property", "value": 3, "unitCode": f"M{char}"})
    yield "property value null", _set("status", {"type": "Property", "value": None})
    yield "property value bool", _set("status", {"type": "Property", "value": True})
    yield "property value float", _set("status", {"type": "Property", "value": 1.5})
    yield "property without value", _set("status", {"type": "Property"})
    for name in ("name", "description", "url", "isPartOf", "provenance", "id"):
        yield f"missing {name}", _delete(name)
    yield "name as plain Property", _set("name", {"type": "Property", "value": "Alpha"})
    yield "name as JsonProperty", _set("name", {"type": "JsonProperty", "json": {"a": 1}})
    yield "name without languageMap", _set("name", {"type": "LanguageProperty"})
    yield "empty languageMap", _set("name/languageMap", {})
    yield "empty text", _set("name/languageMap", {"en": ""})
    yield "text list", _set("name/languageMap", {"en": ["a", "b"]})
    yield "empty text list", _set("name/languageMap", {"en": []})
    yield "text list with empty", _set("name/languageMap", {"en": ["a", ""]})
    yield "text number", _set("name/languageMap", {"en": 3})
    yield "bad language tag", _set("name/languageMap", {"english language": "x"})
    yield "@none language", _set("name/languageMap", {"@none": "x"})
    yield "language tag with newline", _set("name/languageMap", {"en\n": "x"})
    yield "id with trailing newline", _set("id", "urn:ngsi-ld:Initiative:alpha\n")
    yield "id with two trailing newlines", _set("id", "urn:ngsi-ld:Initiative:alpha\n\n")
    yield "id with spaces", _set("id", "urn:ngsi-ld:Initiative:Has Spaces")
    yield "id of a cluster", _set("id", "urn:ngsi-ld:Cluster:alpha")
    yield "wrong type", _set("type", "Cluster")
    yield "attribute name with space", _set("bad name", {"type": "Property", "value": 1})
    yield "attribute name with #", _set("bad#name", {"type": "Property", "value": 1})
    yield "unknown attribute kind", _set("thing", {"type": "Whatever", "value": 1})
    yield "attribute not an object", _set("thing", "plain")
    yield "relationship without object", _set("isPartOf", {"type": "Relationship"})
    yield "relationship object not a uri", _set("isPartOf/object", "not a uri")
    yield "relationship object with quote", _set("isPartOf/object", 'urn:ngsi-ld:Cluster:a"b')
    yield "relationship object with paren", _set("isPartOf/object", "urn:ngsi-ld:Cluster:a(b)")
    yield "isPartOf an initiative", _set("isPartOf/object", "urn:ngsi-ld:Initiative:beta")
    yield "isPartOf uri with newline", _set("isPartOf/object", "urn:ngsi-ld:Cluster:x\n")
    yield "bad datasetId", _set("isPartOf/datasetId", "not a uri")
    yield "observedAt not a date (formats are not asserted)", _set("isPartOf/observedAt", "yesterday")
    yield (
        "mentions without datasetId",
        _set("mentions", [{"type": "Relationship", "object": "urn:ngsi-ld:Initiative:beta"}] * 2),
    )
    yield "mentions empty list", _set("mentions", [])
    yield "mentions a cluster", _set("mentions", {"type": "Relationship", "object": "urn:ngsi-ld:Cluster:x"})
    yield "single mention", _set("mentions", {"type": "Relationship", "object": "urn:ngsi-ld:Initiative:b"})
    yield "url json not a list", _set("url/json", {"url": "https://x.eu"})
    yield "url json empty", _set("url/json", [])
    yield "url without url", _set("url/json", [{"title": "x"}])
    yield "url with extra key", _set("url/json", [{"url": "https://x.eu", "rel": "x"}])
    yield "url with space", _set("url/json", [{"url": "https://x.eu/a b"}])
    yield "url ftp", _set("url/json", [{"url": "ftp://x.eu"}])
    yield "url with trailing newline", _set("url/json", [{"url": "https://x.eu\n"}])
    yield "url empty title", _set("url/json", [{"url": "https://x.eu", "title": ""}])
    yield "keyAsset string json", _set("keyAsset/json", "https://x.eu")
    yield "json property scalar", _set("thing", {"type": "JsonProperty", "json": 3})
    yield "bad email", _set("contactPoint/json/0/email", "contact@")
    yield "email with space", _set("contactPoint/json/0/email", "a b@x.eu")
    yield "email with newline", _set("contactPoint/json/0/email", "a@x.eu\n")
    yield "contact url ftp", _set("contactPoint/json/0/url", "ftp://x.eu")
    yield "contact bad kind", _set("contactPoint/json/0/kind", "robot")
    yield "contact without kind", _delete("contactPoint/json/0/kind")
    yield "contact with nothing", _set("contactPoint/json", [{"kind": "generic", "label": "x"}])
    yield "contact extra key", _set("contactPoint/json/0/phone", "123")
    yield "contact empty name", _set("contactPoint/json/0/name", "")
    yield "contacts empty", _set("contactPoint/json", [])
    yield "logo without alt", _delete("logo/json/alt")
    yield "logo empty url", _set("logo/json/url", "")
    yield "logo extra key", _set("logo/json/width", "130")
    yield "provenance line 0", _set("provenance/json/line", 0)
    yield "provenance line bool", _set("provenance/json/line", True)
    yield "provenance line float", _set("provenance/json/line", 12.0)
    yield "provenance line 1.5", _set("provenance/json/line", 1.5)
    yield "provenance line string", _set("provenance/json/line", "12")
    yield "provenance generator", _set("provenance/json/generator", "someone")
    yield "provenance hash upper", _set("provenance/json/contentSha256", "A" * 64)
    yield "provenance hash with newline", _set("provenance/json/contentSha256", "a" * 64 + "\n")
    yield "provenance extra", _set("provenance/json/extra", 1)
    yield "provenance fieldLines bool", _set("provenance/json/fieldLines", {"name": False})
    yield (
        "context not a list",
        _set("@context", "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld"),
    )
    yield "context of one", _set("@context", [{}])
    yield "context first a string", _set("@context", ["a", "b"])
    yield "context with a number", _set("@context", [{}, 3])
    yield "geo without coordinates", _set("location", {"type": "GeoProperty", "value": {"type": "Point"}})
    yield (
        "geo bad type",
        _set("location", {"type": "GeoProperty", "value": {"type": "Circle", "coordinates": []}}),
    )
    yield (
        "geo fine",
        _set("location", {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1, 2]}}),
    )
    yield "list property unsafe", _set("tags", {"type": "ListProperty", "valueList": ["a", "(b)"]})
    yield "list property without list", _set("tags", {"type": "ListProperty"})
    yield "vocab property unsafe", _set("kind", {"type": "VocabProperty", "vocab": "a=b"})
    yield "multi-instance without datasetId", _set("status", [{"type": "Property", "value": "a"}])
    yield (
        "multi-instance fine",
        _set("status", [{"type": "Property", "value": "a", "datasetId": "urn:ngsi-ld:Dataset:a"}]),
    )
    yield "multi-instance empty", _set("status", [])
    # Python's ``\s`` (str.isspace) and ECMA-262's differ on these: the fast engine must read re's
    for char in "\x1c\x1f\x85\xa0\u2028\u3000\u200b\ufeff":
        yield f"url with U+{ord(char):04X}", _set("url/json", [{"url": f"https://x.eu/a{char}b"}])
        yield f"attribute name with U+{ord(char):04X}", _set(f"name{char}x", {"type": "Property", "value": 1})


def cluster_mutations() -> Iterator[tuple[str, Mutation]]:
    for name in ("name", "provenance", "id"):
        yield f"missing {name}", _delete(name)
    yield "description as Property", _set("description", {"type": "Property", "value": "x (y)"})
    yield "id with newline", _set("id", "urn:ngsi-ld:Cluster:crafted-cluster\n")
    yield "id of an initiative", _set("id", "urn:ngsi-ld:Initiative:x")
    yield "extra safe property", _set("size", {"type": "Property", "value": 3})
    yield "extra unsafe property", _set("size", {"type": "Property", "value": "3;"})


def base(entity_type: str) -> Entity:
    entity = next(e for e in catalog_entities(make_catalog()) if e["type"] == entity_type)
    return copy.deepcopy(entity)


CASES = [("Initiative", label, m) for label, m in initiative_mutations()] + [
    ("Cluster", label, m) for label, m in cluster_mutations()
]


@pytest.mark.parametrize(
    ("entity_type", "label", "mutate"), CASES, ids=[f"{t}: {label}" for t, label, _ in CASES]
)
def test_fast_path_agrees_with_jsonschema(entity_type: str, label: str, mutate: Mutation) -> None:
    entity = base(entity_type)
    mutate(entity)
    expected = jsonschema_valid(entity)
    assert is_valid_fast(entity) is expected, label
    messages = [d.message for d in validate_entity(entity)]
    assert (messages == []) is expected, messages


def test_the_corpus_is_mostly_invalid() -> None:
    invalid = 0
    for entity_type, _label, mutate in CASES:
        entity = base(entity_type)
        mutate(entity)
        invalid += not jsonschema_valid(entity)
    # some cases check that fine variants stay fine; jsonschema also lets a trailing newline through
    # a ``$`` (Python's ``re``): the fast path must agree with that too
    assert invalid >= 0.8 * len(CASES)


@pytest.mark.parametrize(
    ("entity_type", "label", "mutate"), CASES, ids=[f"{t}: {label}" for t, label, _ in CASES]
)
def test_reference_mode_gives_the_same_diagnostics(entity_type: str, label: str, mutate: Mutation) -> None:
    entity = base(entity_type)
    mutate(entity)
    with reference(False):
        fast = [str(d) for d in validate_entity(entity)]
    with reference(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(checks, "is_valid_fast", _not_asked)  # jsonschema alone decides
        assert [str(d) for d in validate_entity(entity)] == fast, label


def _not_asked(entity: Entity) -> bool:
    raise AssertionError("the fast engine was asked in reference mode")


def test_patterns_read_as_python_re_reads_them() -> None:
    assert python_regex("^a$|^b$") == r"^a(?=\n?\z)|^b(?=\n?\z)"
    assert python_regex(r"^[^\s<]+\$") == r"^[^" + python_regex(r"\s")[1:-1] + r"<]+\$"
    assert "\\u001C-\\u0020" in python_regex(r"\s")


@pytest.mark.parametrize("pattern", [r"^\d+$", r"\w", r"\bx", r"\S", "a.b", "[$]"])
def test_patterns_read_differently_are_refused(pattern: str) -> None:
    with pytest.raises(UnsupportedPattern, match="pattern"):
        python_regex(pattern)
