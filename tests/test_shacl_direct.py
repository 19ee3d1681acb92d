"""The direct SHACL checker gives pySHACL's diagnostics, and hands to pySHACL what it does not know.

pySHACL on the whole rdflib graph (``shacl_problems``) stays the reference: every case is
validated both ways and the diagnostic lists compared item for item (focus, path, message, value,
severity, location, order).  The cases are the seed catalogue, a generated hub, and crafted
catalogues that together break every constraint of both shapes files; a coverage test reads
pySHACL's own results (nested ``sh:detail`` results included) to prove that they do.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import rdflib
from rdflib.namespace import RDF, SH

from ldt_catalog import accelerators
from ldt_catalog.errors import Diagnostic, Severity
from ldt_catalog.ngsild.entities import catalog_context
from ldt_catalog.pipeline import stages
from ldt_catalog.rdf import convert as rdf
from ldt_catalog.validation.checks import _indexed_trees, shacl_problems, shacl_problems_chunked, shapes_graph
from ldt_catalog.validation.chunks import chunkable, survey
from ldt_catalog.validation.fast_shacl.checker import check_part, compile_shapes, exact_for
from tests.conftest import ROOT, SEED_DIR
from tests.test_validate_chunks import catalog_of_five, entity, node


@pytest.fixture(autouse=True)
def _accelerated() -> Iterator[None]:
    """These tests are of the fast paths: in accelerated mode, whatever mode the suite runs in."""
    with accelerators.reference(False):
        yield


View = dict[str, Any]
Entities = list[dict[str, Any]]


def locate(focus: Any) -> str | None:
    return f"page.md:{len(str(focus))}" if str(focus).startswith("urn:") else None


def pyshacl_graph(nodes: list[dict[str, Any]], context: Any) -> rdflib.Graph:
    if context is None:
        return rdf.to_graph(rdf.entity_subjects(nodes))
    return rdf.to_graph(rdf.document_subjects({"@context": context, "@graph": nodes}))


def reference(nodes: list[dict[str, Any]], context: Any, shapes: rdflib.Graph) -> list[Diagnostic]:
    """pySHACL's diagnostics on the whole graph."""
    return shacl_problems(pyshacl_graph(nodes, context), shapes, locate)


def assert_direct_is_pyshacl(
    nodes: list[dict[str, Any]], context: Any, shapes: rdflib.Graph, weights: Iterable[int] = (1, 10**6)
) -> list[Diagnostic]:
    assert compile_shapes(shapes) is not None
    expected = reference(nodes, context, shapes)
    with accelerators.reference(False):
        _assert_direct_gives(expected, nodes, context, shapes, weights)
    with accelerators.reference():  # pyld's graph, pySHACL on the whole of it
        found = shacl_problems_chunked(nodes, context, shapes, locate)
    # pyld, as JSON-LD 1.1 says, drops the triples of an IRI that is not well-formed (one with a
    # space): pySHACL then has nothing to say of it (JSON Schema's pattern on ``id`` still does)
    assert found == [d for d in expected if not _ILL_FORMED_IRI.match(d.message)]
    return expected


_ILL_FORMED_IRI = re.compile(r"<[^>]* [^>]*>: ")


def _assert_direct_gives(
    expected: list[Diagnostic],
    nodes: list[dict[str, Any]],
    context: Any,
    shapes: rdflib.Graph,
    weights: Iterable[int],
) -> None:
    for weight in weights:
        for stored in (False, True):  # the survey in memory, then in SQLite
            with tempfile.TemporaryDirectory() as folder:
                store = Path(folder) if stored else None
                found = shacl_problems_chunked(
                    nodes, context, shapes, locate, chunk_weight=weight, store=store
                )
            assert found == expected, f"parts of weight {weight}, survey stored: {stored}:\n" + "\n".join(
                [f"pySHACL: {d!r}" for d in expected] + [f"direct:  {d!r}" for d in found]
            )


# -- crafted catalogue views: every constraint of catalog.shacl.ttl -----------------------------


def _more_contacts(view: View) -> None:
    node(view, "beta")["contactPoint"] += [
        {"type": "Resource", "hasEmail": {"note": "not an IRI"}, "hasURL": "ftp://x.example.org", "fn": 5},
        {"type": "Contact", "hasURL": {"note": "not an IRI"}, "fn": ""},
        {"note": "neither e-mail, URL nor name"},
        {"type": "Contact", "hasEmail": "mailto:broken"},
    ]
    node(view, "gamma")["contactPoint"].append("a contact as plain text")


def _odd_assets(view: View) -> None:
    node(view, "alpha")["keyAsset"] += [
        {"id": "urn:x:asset", "type": "Resource"},
        {"id": "https://untyped.example.org/a", "title": 5},
        {"type": "Resource", "title": "an asset without an IRI"},
        "https://plain.example.org/asset",
    ]
    for slug, title in (("alpha", "Shared"), ("gamma", ""), ("epsilon", "Other")):
        node(view, slug)["keyAsset"].append(
            {"id": "https://shared.example.org/toolbox", "type": "Resource", "title": title}
        )


def _odd_people_and_logos(view: View) -> None:
    node(view, "beta")["contactPoint"] += [
        {
            "type": "Individual",
            "fn": ["x@example.org", "Two"],
            "role": [5, "", "B"],
            "organizationName": [5, "", "B"],
        },
        {"type": "Individual", "hasEmail": "mailto:y@example.org"},
    ]
    node(view, "alpha")["logo"] = "../assets/plain.png"
    node(view, "gamma")["logo"] = [
        {"type": "ImageObject", "contentUrl": "https://a.example.org/1.png"},
        {"caption": 5},
    ]
    node(view, "delta")["logo"] = {
        "type": "ImageObject",
        "contentUrl": ["https://a.example.org/1.png", "https://a.example.org/2.png"],
    }
    node(view, "epsilon")["logo"] = {
        "type": "ImageObject",
        "relativeUrl": "https://not-relative.example.org/x.png",
    }


def _without(view: View, slug: str, *keys: str) -> None:
    for key in keys:
        node(view, slug).pop(key)


def _duplicate(view: View) -> None:
    twin = copy.deepcopy(node(view, "beta"))
    twin["name"] = "Beta again"
    view["@graph"].append(twin)


VIEW_BREAKS: dict[str, Callable[[View], None]] = {
    "fine": lambda v: None,
    "odd people and logos": _odd_people_and_logos,
    "initiative without id": lambda v: v["@graph"].append(
        {"type": "Initiative", "name": "Anonymous", "url": ["https://anon.example.org"]}
    ),
    "bad initiative id": lambda v: node(v, "beta").update(id="urn:ngsi-ld:Initiative:Bad Id"),
    "missing fields": lambda v: _without(
        v, "gamma", "name", "description", "url", "isPartOf", "sourcePage", "sourceLine", "contentHash"
    ),
    "two of each": lambda v: node(v, "delta").update(
        name=["Delta", "Delta bis"],
        title=["One", "Two"],
        description=["One", "Two"],
        keyRole=["One", "Two"],
        relevance=["One", "Two"],
        isPartOf=["urn:ngsi-ld:Cluster:crafted-cluster", "urn:ngsi-ld:Cluster:second-cluster"],
        sourcePage=["a.md", "b.md"],
        sourceLine=[3, 4],
        contentHash=["a" * 64, "b" * 64],
    ),
    "wrong datatypes": lambda v: node(v, "epsilon").update(
        name=5,
        title=5,
        description=5,
        keyRole=5,
        keyRoleItem=[5],
        relevance=5,
        relevanceItem=[5],
        otherSection=[5],
        sourcePage=5,
        sourceLine="ten",
    ),
    "empty texts": lambda v: node(v, "alpha").update(
        name="", title="", description="", keyRoleItem=[""], relevanceItem=[""]
    ),
    "links that are not IRIs": lambda v: node(v, "delta").update(
        url=[{"note": "a blank node"}, "ftp://delta.example.org"],
        mentions=["urn:ngsi-ld:Cluster:crafted-cluster"],
    ),
    "dangling links": lambda v: node(v, "alpha").update(
        isPartOf="urn:ngsi-ld:Cluster:nowhere", mentions=["urn:ngsi-ld:Initiative:nowhere"]
    ),
    "bad hash and line": lambda v: node(v, "beta").update(contentHash="xyz", sourceLine=0),
    "odd assets": _odd_assets,
    "odd contacts": _more_contacts,
    "duplicated initiative": _duplicate,
    "cluster without id": lambda v: v["@graph"].append({"type": "Cluster", "name": "Anonymous"}),
    "bad cluster id": lambda v: node(v, "second-cluster").update(id="urn:ngsi-ld:Cluster:Bad_Id"),
    "cluster, two of each": lambda v: node(v, "crafted-cluster").update(
        name=["A", "B"], description=["a", "b"], sourcePage=["a.md", "b.md"], sourceLine=[1, 2]
    ),
    "cluster, wrong datatypes": lambda v: node(v, "crafted-cluster").update(
        name=5, description=5, sourcePage=5, sourceLine="one"
    ),
    "cluster, missing and empty": lambda v: _without(
        v, "crafted-cluster", "name", "sourcePage", "sourceLine"
    ),
    "cluster, empty name and line 0": lambda v: node(v, "second-cluster").update(name="", sourceLine=0),
    "cluster part missing": lambda v: node(v, "crafted-cluster").update(
        hasPart=["urn:ngsi-ld:Initiative:ghost"]
    ),
}


def view_case(name: str) -> View:
    view, _ = catalog_of_five()
    VIEW_BREAKS[name](view)
    return view


@pytest.mark.parametrize("case", list(VIEW_BREAKS))
def test_catalog_view_direct_equals_pyshacl(case: str) -> None:
    view = view_case(case)
    found = assert_direct_is_pyshacl(view["@graph"], view["@context"], shapes_graph("catalog.shacl.ttl"))
    assert bool(found) == (case != "fine")


# -- crafted entities: every constraint of entities.shacl.ttl -----------------------------------


def _entity_copy(entities: Entities, slug: str, **changes: Any) -> dict[str, Any]:
    twin = copy.deepcopy(entity(entities, slug))
    twin.update(changes)
    entities.append(twin)
    return twin


def _without_id(entities: Entities) -> None:
    _entity_copy(entities, "alpha").pop("id")
    _entity_copy(entities, "crafted-cluster").pop("id")


def _wrong_kinds(entities: Entities) -> None:
    text = {"type": "Property", "value": "text"}
    number = {"type": "Property", "value": 1}
    entity(entities, "beta").update(
        {name: dict(text) for name in ("name", "title", "description", "keyRole", "relevance")}
        | {name: dict(number) for name in ("url", "keyAsset", "contactPoint", "logo", "provenance")}
        | {"isPartOf": dict(number), "mentions": [dict(number)]}
    )
    entity(entities, "crafted-cluster").update(
        name=dict(text), description=dict(text), provenance=dict(number)
    )


def _broken_attributes(entities: Entities) -> None:
    entity(entities, "gamma").update(
        name={"type": "LanguageProperty"},
        title={"type": "LanguageProperty", "languageMap": {"en": ""}},
        description={"type": "LanguageProperty", "ngsi-ld:hasLanguageMap": "plain text"},
        url={"type": "JsonProperty"},
        logo={"type": "JsonProperty", "json": {}, "ngsi-ld:hasJSON": "plain text"},
        isPartOf={"type": "Relationship"},
        mentions=[
            {"type": "Relationship", "object": ["urn:ngsi-ld:Initiative:a", "urn:ngsi-ld:Initiative:b"]},
            {"type": "Relationship", "ngsi-ld:hasObject": "plain text", "datasetId": "urn:x:text"},
        ],
    )


def _missing(entities: Entities) -> None:
    for key in ("name", "description", "url", "isPartOf", "provenance"):
        entity(entities, "delta").pop(key)
    for key in ("name", "provenance"):
        entity(entities, "second-cluster").pop(key)


ENTITY_BREAKS: dict[str, Callable[[Entities], None]] = {
    "fine": lambda es: None,
    "without id": _without_id,
    "cluster typed as an initiative": lambda es: entity(es, "crafted-cluster").update(type="Initiative"),
    "initiative typed as a cluster": lambda es: entity(es, "alpha").update(type="Cluster"),
    "missing attributes": _missing,
    "duplicated entities": lambda es: es.extend(
        copy.deepcopy(entity(es, slug)) for slug in ("epsilon", "second-cluster")
    ),
    "attributes of the wrong kind": _wrong_kinds,
    "broken attributes": _broken_attributes,
}


def entities_case(name: str) -> Entities:
    _, entities = catalog_of_five()
    ENTITY_BREAKS[name](entities)
    return entities


@pytest.mark.parametrize("case", list(ENTITY_BREAKS))
def test_entities_direct_equal_pyshacl(case: str) -> None:
    found = assert_direct_is_pyshacl(entities_case(case), None, shapes_graph("entities.shacl.ttl"))
    assert bool(found) == (case != "fine")


# -- the crafted cases break every constraint ---------------------------------------------------

_COMPONENTS = {
    SH[name]: SH[component + "ConstraintComponent"]
    for name, component in (
        ("class", "Class"),
        ("datatype", "Datatype"),
        ("nodeKind", "NodeKind"),
        ("minCount", "MinCount"),
        ("maxCount", "MaxCount"),
        ("minLength", "MinLength"),
        ("pattern", "Pattern"),
        ("minInclusive", "MinInclusive"),
        ("hasValue", "HasValue"),
        ("in", "In"),
        ("or", "Or"),
        ("node", "Node"),
    )
}


def _constraints(shapes: rdflib.Graph) -> set[tuple[rdflib.term.Node, rdflib.term.Node]]:
    """Every (shape, constraint component) of the file, but for the members of sh:or lists.

    A member of an ``sh:or`` is only ever violated as part of the ``sh:or`` (pySHACL reports the
    disjunction, not its members); the ``sh:or`` itself is in the set.
    """
    members = {m for lst in shapes.objects(None, SH["or"]) for m in shapes.items(lst)}
    found = set()
    for shape, parameter in shapes.subject_predicates(None):
        if parameter in _COMPONENTS and shape not in members:
            found.add((shape, _COMPONENTS[parameter]))
    return found


def _broken(graph: rdflib.Graph, shapes: rdflib.Graph) -> set[tuple[rdflib.term.Node, rdflib.term.Node]]:
    """(shape, component) of every pySHACL result, the details of sh:node results included."""
    from pyshacl import validate

    _, results, _ = validate(graph, shacl_graph=shapes, inference="none", allow_warnings=True)
    assert isinstance(results, rdflib.Graph)
    return {
        (results.value(r, SH.sourceShape), results.value(r, SH.sourceConstraintComponent))
        for r in results.subjects(RDF.type, SH.ValidationResult)
    }


def _describe(shapes: rdflib.Graph, missing: set[tuple[rdflib.term.Node, rdflib.term.Node]]) -> str:
    names = shapes.namespace_manager
    return "\n".join(
        f"{shapes.value(s, SH.path) or s} {c.n3(names)}"
        for s, c in sorted(missing, key=str)  # type: ignore[attr-defined]
    )


def _view_graph(case: str) -> rdflib.Graph:
    view = view_case(case)
    return pyshacl_graph(view["@graph"], view["@context"])


@pytest.mark.parametrize(
    ("shapes_name", "graphs"),
    [
        ("catalog.shacl.ttl", lambda: [_view_graph(case) for case in VIEW_BREAKS]),
        ("entities.shacl.ttl", lambda: [pyshacl_graph(entities_case(case), None) for case in ENTITY_BREAKS]),
    ],
)
def test_crafted_cases_break_every_constraint(
    shapes_name: str, graphs: Callable[[], list[rdflib.Graph]]
) -> None:
    shapes = shapes_graph(shapes_name)
    expected = _constraints(shapes)
    assert len(expected) > 40  # the files' constraints were found
    broken: set[tuple[rdflib.term.Node, rdflib.term.Node]] = set()
    for graph in graphs():
        broken |= _broken(graph, shapes)
    missing = expected - broken
    assert not missing, "constraints no crafted case breaks:\n" + _describe(shapes, missing)


# -- real catalogues ----------------------------------------------------------------------------


def _views(paths: list[Path]) -> tuple[View, Entities]:
    with stages.checked_catalog(paths, shacl=False) as checked:
        view = {"@context": catalog_context(), "@graph": list(checked.view_in_order())}
        return view, [dict(e) for e in checked.entities_in_order()]


def _break_some(view: View, entities: Entities) -> None:
    """A few realistic slips spread over a real catalogue."""
    initiatives = [n for n in view["@graph"] if n["type"] == "Initiative"]
    for i, initiative in enumerate(initiatives[::3]):
        match i % 4:
            case 0:
                initiative["url"] = ["ftp://" + initiative["id"].rsplit(":", 1)[-1] + ".example.org"]
            case 1:
                initiative["sourceLine"] = 0
            case 2:
                initiative.pop("description", None)
            case _:
                initiative["mentions"] = ["urn:ngsi-ld:Initiative:nowhere"]
    for i, e in enumerate(entities[::4]):
        e["name"] = {"type": "Property", "value": "x"} if i % 2 else {"type": "LanguageProperty"}


def _check_real(view: View, entities: Entities) -> None:
    clean = (
        assert_direct_is_pyshacl(
            view["@graph"], view["@context"], shapes_graph("catalog.shacl.ttl"), (10**6,)
        ),
        assert_direct_is_pyshacl(entities, None, shapes_graph("entities.shacl.ttl"), (10**6,)),
    )
    _break_some(view, entities)
    broken = (
        assert_direct_is_pyshacl(view["@graph"], view["@context"], shapes_graph("catalog.shacl.ttl"), (50,)),
        assert_direct_is_pyshacl(entities, None, shapes_graph("entities.shacl.ttl"), (50,)),
    )
    assert len(broken[0]) > len(clean[0]) and len(broken[1]) > len(clean[1])


def test_seed_catalogue_direct_equals_pyshacl() -> None:
    _check_real(*_views([SEED_DIR]))


@pytest.mark.large
def test_generated_hub_direct_equals_pyshacl(tmp_path: Path) -> None:
    command = [sys.executable, str(ROOT / "bench" / "generate.py"), "--n", "300", "--out", str(tmp_path)]
    subprocess.run(command, check=True, capture_output=True)
    view, entities = _views([tmp_path])
    assert sum(n["type"] == "Initiative" for n in view["@graph"]) == 300
    _check_real(view, entities)


def test_a_check_that_needs_another_part_waits_for_it() -> None:
    _, entities = catalog_of_five()
    entity(entities, "alpha")["name"] = {"id": "urn:x:shared-name"}  # points at a node described...
    entity(entities, "epsilon")["alternateName"] = {  # ... in another entity, so in another part
        "id": "urn:x:shared-name",
        "type": "LanguageProperty",
        "languageMap": {"en": ""},
    }
    shapes = shapes_graph("entities.shacl.ttl")
    direct = compile_shapes(shapes)
    assert direct is not None
    surveyed = survey(_indexed_trees(None, entities), shapes)
    alpha = [t for _, t in _indexed_trees(None, [entity(entities, "alpha")])]
    assert check_part(direct, surveyed, alpha)[2] == alpha  # deferred: its name is elsewhere
    found = assert_direct_is_pyshacl(entities, None, shapes)
    assert any(
        "<urn:ngsi-ld:Initiative:alpha>: schema:name: Value does not conform" in d.message for d in found
    )


# -- other SHACL Core components, on shapes of their own ----------------------------------------

EXTRA_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix ex: <http://example.org/ns#> .

ex:ThingShape a sh:NodeShape ;
    sh:targetClass ex:Thing ;
    sh:closed true ; sh:ignoredProperties ( rdf:type ) ;
    sh:description "a thing of the test" ;
    sh:property [ sh:path ex:label ; sh:languageIn ( "en" "fr" ) ; sh:uniqueLang true ; sh:maxLength 8 ] ;
    sh:property [ sh:path ex:code ; sh:pattern "^ab" ; sh:flags "i" ; sh:in ( "AB1" "ab2" ) ] ;
    sh:property [ sh:path ex:size ; sh:minExclusive 0 ; sh:maxInclusive 10 ; sh:datatype xsd:integer ] ;
    sh:property [ sh:path ex:price ; sh:maxExclusive 100.5 ; sh:datatype xsd:decimal ] ;
    sh:property [ sh:path ex:ok ; sh:datatype xsd:boolean ; sh:hasValue true ] ;
    sh:property [ sh:path ex:day ; sh:datatype xsd:date ] ;
    sh:property [ sh:path ex:part ; sh:class ex:Part ; sh:node ex:Small, ex:Named ;
                  sh:severity sh:Warning ] ;
    sh:property [ sh:path ex:note ; sh:minLength 0 ; sh:maxLength 3 ; sh:severity sh:Info ] ;
    sh:property [ sh:path ex:other ; sh:deactivated true ; sh:minCount 1 ] .

ex:Small a sh:NodeShape ; sh:property [ sh:path ex:size ; sh:maxInclusive 5 ] .
ex:Named a sh:NodeShape ; sh:property [ sh:path ex:label ; sh:minCount 1 ] .

ex:LogicShape a sh:NodeShape ;
    sh:targetSubjectsOf ex:code ;
    sh:targetNode ex:fixed, ex:ghost ;
    sh:and ( [ sh:path ex:code ; sh:minCount 1 ] [ sh:path ex:size ; sh:minCount 1 ] ) ;
    sh:xone ( [ sh:path ex:ok ; sh:minCount 1 ] [ sh:path ex:day ; sh:minCount 1 ] ) ;
    sh:not ex:Small ;
    sh:or ( [ sh:severity sh:Warning ; sh:property [ sh:path ex:code ; sh:minCount 5 ] ]
            [ sh:path ex:none ; sh:minCount 1 ] ) ;
    sh:nodeKind sh:IRI .
"""

EXTRA_CONTEXT = {
    "ex": "http://example.org/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "id": "@id",
    "type": "@type",
    "Thing": "ex:Thing",
    "Part": "ex:Part",
    "Widget": "ex:Widget",
    "labels": {"@id": "ex:label", "@container": "@language"},
    "code": "ex:code",
    "size": {"@id": "ex:size", "@type": "xsd:integer"},
    "price": {"@id": "ex:price", "@type": "xsd:decimal"},
    "ok": {"@id": "ex:ok", "@type": "xsd:boolean"},
    "day": {"@id": "ex:day", "@type": "xsd:date"},
    "part": {"@id": "ex:part", "@type": "@id"},
    "note": "ex:note",
    "extra": "ex:extra",
    "subClassOf": {"@id": "rdfs:subClassOf", "@type": "@id"},
}

EX = "http://example.org/ns#"
EXTRA_NODES: list[dict[str, Any]] = [
    {"id": EX + "Widget", "subClassOf": EX + "Part"},
    {
        "id": EX + "good",
        "type": "Thing",
        "labels": {"en": "short", "fr": "court"},
        "code": "AB1",
        "size": 3,
        "price": "99.5",
        "ok": True,
        "day": "2024-02-29",
        "part": EX + "widget",
        "note": "ok",
    },
    {
        "id": EX + "bad",
        "type": "Thing",
        "labels": {"en": ["far too long a label", "second"], "de": "deutsch"},
        "code": ["xy", "ab2", "Ab3"],
        "size": [0, 11, "big"],
        "price": ["100.5", "cheap"],
        "ok": False,
        "day": "2023-02-30",
        "part": [EX + "widget", EX + "stranger", EX + "bigpart"],
        "note": ["long note", ""],
        "extra": "not allowed on a closed shape",
    },
    {"id": EX + "widget", "type": "Widget", "size": 2, "labels": {"en": "w"}},
    {"id": EX + "bigpart", "type": "Part", "size": 9},
    {"id": EX + "fixed", "code": "ab2", "size": 4, "ok": True},
    {"code": "blank code", "ok": True, "day": "2024-01-01"},
]


@pytest.mark.filterwarnings("ignore:Serializing weird numerical:UserWarning")  # rdflib prints "cheap"
def test_other_components_equal_pyshacl() -> None:
    shapes = rdflib.Graph().parse(data=EXTRA_SHAPES, format="turtle")
    found = assert_direct_is_pyshacl(EXTRA_NODES, EXTRA_CONTEXT, shapes)
    messages = "\n".join(d.message for d in found)
    for expected in (
        "String language is not in",
        "More than one String shares",
        "is closed",
        "must not conform",
    ):
        assert expected in messages
    assert any(d.severity.value == "warning" for d in found) and any(
        d.severity.value == "error" for d in found
    )


# -- the fallback decision ----------------------------------------------------------------------

_SPARQL = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ldtsh: <https://w3id.org/ldt-catalog/shapes#> .
ldtsh:InitiativeShape sh:sparql [
    a sh:SPARQLConstraint ; sh:message "no asset on example.org" ;
    sh:select "SELECT $this ?value WHERE { $this <https://w3id.org/ldt-catalog#keyAsset> ?value . FILTER(CONTAINS(STR(?value), 'example.org')) }"
] .
"""
_INVERSE = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ldtsh: <https://w3id.org/ldt-catalog/shapes#> .
ldtsh:ClusterShape sh:property [ sh:path [ sh:inversePath dcterms:isPartOf ] ; sh:minCount 9 ;
    sh:message "a cluster has nine initiatives" ] .
"""
_RECURSIVE = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix schema: <https://schema.org/> .
@prefix ldtsh: <https://w3id.org/ldt-catalog/shapes#> .
ldtsh:InitiativeShape sh:property [ sh:path schema:mentions ; sh:node ldtsh:InitiativeShape ] .
"""
_SEVERITY = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix ldtsh: <https://w3id.org/ldt-catalog/shapes#> .
ldtsh:ResourceShape sh:property [ sh:path dcterms:title ; sh:maxLength 3 ; sh:severity ldtsh:Minor ] .
"""


@pytest.mark.parametrize(
    ("extra", "reported"),
    [
        (_SPARQL, "no asset on example.org"),
        (_INVERSE, "a cluster has nine initiatives"),
        (_RECURSIVE, None),
        (_SEVERITY, None),
    ],
)
def test_shapes_outside_the_subset_go_to_pyshacl(extra: str, reported: str | None) -> None:
    shapes = copy.deepcopy(shapes_graph("catalog.shacl.ttl"))
    assert compile_shapes(shapes) is not None
    shapes.parse(data=extra, format="turtle")
    assert compile_shapes(shapes) is None
    if reported is not None:  # pySHACL runs them, and finds what only it can
        view = view_case("fine")
        found = shacl_problems_chunked(view["@graph"], view["@context"], shapes, locate)
        assert found == reference(view["@graph"], view["@context"], shapes)
        assert any(reported in d.message for d in found)


def test_pyshacl_chunks_in_workers_for_shapes_outside_the_subset() -> None:
    shapes = copy.deepcopy(shapes_graph("catalog.shacl.ttl"))
    shapes.parse(data=_SEVERITY, format="turtle")
    assert compile_shapes(shapes) is None and chunkable(shapes)
    view = view_case("odd assets")  # shared roots and blank nodes across chunks
    expected = reference(view["@graph"], view["@context"], shapes)
    found = shacl_problems_chunked(
        view["@graph"], view["@context"], shapes, locate, chunk_weight=1, processes=2
    )
    assert found == expected
    with tempfile.TemporaryDirectory() as folder:  # workers read the survey from its SQLite file
        stored = shacl_problems_chunked(
            view["@graph"], view["@context"], shapes, locate, chunk_weight=1, processes=2, store=Path(folder)
        )
    assert stored == expected
    assert any(d.severity is Severity.WARNING and "String length not <=" in d.message for d in found)


def test_the_direct_checker_needs_no_workers() -> None:
    view = view_case("odd assets")
    shapes = shapes_graph("catalog.shacl.ttl")
    found = shacl_problems_chunked(view["@graph"], view["@context"], shapes, locate, processes=2)
    assert found == reference(view["@graph"], view["@context"], shapes) and found


def test_data_outside_the_subset_goes_to_pyshacl() -> None:
    view = view_case("dangling links")
    view["@graph"].append({"id": "urn:x:class", "rdfs:subClassOf": {"note": "a blank class"}})
    view["@context"] = {**view["@context"], "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
    shapes = shapes_graph("catalog.shacl.ttl")
    assert not exact_for(survey(_indexed_trees(view["@context"], view["@graph"]), shapes))
    assert_direct_is_pyshacl(view["@graph"], view["@context"], shapes)
