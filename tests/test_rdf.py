"""The Turtle we write is the RDF that pyld's toRdf gives for the JSON-LD beside it, term for term."""

from __future__ import annotations

import io
import json
from typing import Any

import pyoxigraph
import pytest
from pyld import jsonld

from ldt_catalog.accelerators import reference, reference_mode
from ldt_catalog.ngsild.context import entity_context, jsonld_options
from ldt_catalog.ngsild.entities import catalog_entities, catalog_view
from ldt_catalog.rdf import convert as rdf
from ldt_catalog.rdf import turtle
from tests.conftest import SEED_DIR
from tests.factories import make_catalog


def canonical(nquads: str) -> list[str]:
    """RDFC-1.0 canonical quads, sorted: equal lists mean isomorphic graphs with equal terms.

    Literals are compared by their exact lexical form, unlike rdflib's ``isomorphic()``.
    """
    dataset = pyoxigraph.Dataset(pyoxigraph.parse(nquads, format=pyoxigraph.RdfFormat.N_QUADS))
    dataset.canonicalize(pyoxigraph.CanonicalizationAlgorithm.RDFC_1_0)
    return sorted(str(quad) for quad in dataset)


def pyld_nquads(document: Any) -> str:
    return str(jsonld.to_rdf(document, jsonld_options(format="application/n-quads")))


def turtle_as_ntriples(turtle: str) -> str:
    """Parse our Turtle with an independent parser that keeps every lexical form."""
    triples = pyoxigraph.parse(turtle, format=pyoxigraph.RdfFormat.TURTLE)
    return pyoxigraph.serialize(triples, format=pyoxigraph.RdfFormat.N_TRIPLES).decode()


def assert_same_terms(expected: str, actual: str) -> None:
    left, right = canonical(expected), canonical(actual)
    missing = sorted(set(left) - set(right))
    extra = sorted(set(right) - set(left))
    assert left == right, "only in pyld:\n" + "\n".join(missing) + "\nonly in ours:\n" + "\n".join(extra)


def write(subjects: Any) -> str:
    buffer = io.StringIO()
    turtle.write_turtle(subjects, buffer)
    return buffer.getvalue()


def test_entities_turtle_matches_pyld() -> None:
    entities = list(catalog_entities(make_catalog()))
    assert_same_terms(pyld_nquads(entities), turtle_as_ntriples(write(rdf.entity_subjects(entities))))


def test_catalog_turtle_matches_pyld() -> None:
    view = catalog_view(make_catalog())
    assert_same_terms(pyld_nquads(view), turtle_as_ntriples(write(rdf.document_subjects(view))))


EDGE_VALUES: list[Any] = [
    21.123456789012345,
    -0.0000123,
    1e22,
    10**21,
    7,
    True,
    'text with "quotes", \\backslashes\\, \t tabs, \n newlines, \u0001 control, \u007f and émoji 🛰',
    [4.35, 50.85],
]


@pytest.mark.parametrize("value", EDGE_VALUES, ids=[repr(v)[:20] for v in EDGE_VALUES])
def test_values_survive_exactly(value: Any) -> None:
    """Doubles keep every digit pyld gives them (rdflib's Turtle writer would round to 7)."""
    entity = {
        "id": "urn:ngsi-ld:Thing:x",
        "type": "Thing",
        "plain": {"type": "Property", "value": value},
        "json": {"type": "JsonProperty", "json": {"v": value}},
        "@context": entity_context(),
    }
    expected = pyld_nquads([entity])
    assert_same_terms(expected, turtle_as_ntriples(write(rdf.entity_subjects([entity]))))


@reference(False)  # pyld, the reference, converts them
def test_geojson_coordinates_are_refused_not_mangled() -> None:
    """@list containers are outside the writer's subset: it must say so instead of guessing."""
    entity = {
        "id": "urn:ngsi-ld:Thing:x",
        "type": "Thing",
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [4.35, 50.85]}},
        "@context": entity_context(),
    }
    with pytest.raises(rdf.UnsupportedJsonLd):
        write(rdf.entity_subjects([entity]))


def test_changed_value_is_detected() -> None:
    """The comparison itself must see a changed literal (rdflib's isomorphic() would not always)."""
    entities = list(catalog_entities(make_catalog()))
    ours = write(rdf.entity_subjects(entities))
    tampered = ours.replace('"Alpha"@en', '"Alpha "@en', 1)
    assert tampered != ours
    with pytest.raises(AssertionError):
        assert_same_terms(pyld_nquads(entities), turtle_as_ntriples(tampered))


def test_rdflib_graph_has_the_same_triples() -> None:
    view = catalog_view(make_catalog())
    graph = rdf.to_graph(rdf.document_subjects(view))
    assert len(graph) == len(canonical(pyld_nquads(view)))
    assert json.loads(json.dumps(view)) == view


# -- reference mode: pyld's triples, rdflib's N-Triples, the same RDF --------------------------------


def both_ways(make: Any) -> tuple[str, str]:
    """The Turtle ``make()`` gives in accelerated mode, then in reference mode."""
    with reference(False):
        fast = make()
    with reference():
        slow = make()
    return fast, slow


def seed_documents() -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from ldt_catalog.pipeline import stages as pipeline

    catalog = pipeline.load_catalog([SEED_DIR])
    return list(catalog_entities(catalog)), catalog_view(catalog)


@pytest.mark.parametrize("source", ["factories", "seed"])
def test_reference_mode_writes_the_same_rdf(source: str) -> None:
    if source == "seed":
        entities, view = seed_documents()
    else:
        entities, view = list(catalog_entities(make_catalog())), catalog_view(make_catalog())
    for make in (lambda: write(rdf.entity_subjects(entities)), lambda: write(rdf.document_subjects(view))):
        fast, slow = both_ways(make)
        assert "@prefix" in fast and "@prefix" not in slow  # ours, then rdflib's N-Triples
        assert_same_terms(turtle_as_ntriples(fast), turtle_as_ntriples(slow))


@pytest.mark.parametrize("value", EDGE_VALUES, ids=[repr(v)[:20] for v in EDGE_VALUES])
def test_reference_mode_keeps_values_exactly(value: Any) -> None:
    """rdflib writes every literal as pyld made it: no double rounded, no string normalized."""
    entity = {
        "id": "urn:ngsi-ld:Thing:x",
        "type": "Thing",
        "plain": {"type": "Property", "value": value},
        "json": {"type": "JsonProperty", "json": {"v": value}},
        "@context": entity_context(),
    }
    fast, slow = both_ways(lambda: write(rdf.entity_subjects([entity])))
    assert_same_terms(pyld_nquads([entity]), turtle_as_ntriples(slow))
    assert_same_terms(turtle_as_ntriples(fast), turtle_as_ntriples(slow))


def test_reference_blank_nodes_of_separate_calls_stay_apart() -> None:
    """Two calls give pyld's ``_:b0`` each; in one graph they must stay two nodes."""
    entities = list(catalog_entities(make_catalog()))
    with reference():
        graph = rdf.to_graph([*rdf.entity_subjects(entities[:1]), *rdf.entity_subjects(entities[:1])])
        single = rdf.to_graph(rdf.entity_subjects(entities[:1]))
    blank = [s for s in set(single.subjects()) if not str(s).startswith("urn:")]
    assert blank and len(set(graph.subjects())) == len(set(single.subjects())) + len(blank)


def test_reference_mode_is_a_switch() -> None:
    before = reference_mode()  # the suite may run in either mode
    with reference():
        assert reference_mode()
        with reference(False):
            assert not reference_mode()
        assert reference_mode()
    assert reference_mode() == before
