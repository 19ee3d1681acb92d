"""JSON Schema and SHACL accept what we produce and reject crafted bad cases with precise messages."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import rdflib

from ldt_catalog.errors import Severity
from ldt_catalog.ngsild.entities import catalog_entities, catalog_view
from ldt_catalog.rdf import convert as rdf
from ldt_catalog.validation.checks import shacl_problems, shapes_graph, validate_entity
from tests.factories import make_catalog


def initiative() -> dict[str, Any]:
    return copy.deepcopy(next(e for e in catalog_entities(make_catalog()) if e["type"] == "Initiative"))


def messages(entity: dict[str, Any]) -> list[str]:
    return [d.message for d in validate_entity(entity)]


def test_produced_entities_are_valid() -> None:
    for entity in catalog_entities(make_catalog()):
        assert validate_entity(entity) == [], entity["id"]


@pytest.mark.parametrize("char", list("<>\"'=;()"))
def test_forbidden_characters_in_property_strings_are_rejected(char: str) -> None:
    entity = initiative()
    entity["status"] = {"type": "Property", "value": f"open {char} soon"}
    found = messages(entity)
    assert len(found) == 1
    assert found[0].startswith("urn:ngsi-ld:Initiative:alpha: status/value: ")
    assert "§4.6.4" in found[0]


def test_forbidden_characters_nested_in_structured_values_are_rejected() -> None:
    entity = initiative()
    entity["extra"] = {"type": "Property", "value": {"a": ["ok", "not (ok)"]}}
    assert any("extra/value/a/1" in m and "§4.6.4" in m for m in messages(entity))


def test_forbidden_characters_are_fine_in_language_and_json_properties() -> None:
    entity = initiative()
    assert "(" in entity["name"]["languageMap"]["en"] or "(" in entity["title"]["languageMap"]["en"]
    assert "(" in str(entity["keyAsset"]["json"])
    assert messages(entity) == []


def test_human_text_as_plain_property_is_rejected() -> None:
    entity = initiative()
    entity["name"] = {"type": "Property", "value": "Alpha"}
    assert any(m.startswith("urn:ngsi-ld:Initiative:alpha: name/type:") for m in messages(entity))


def test_missing_required_attributes_are_each_named() -> None:
    entity = initiative()
    del entity["url"]
    del entity["description"]
    found = messages(entity)
    assert any("'url' is a required property" in m for m in found)
    assert any("'description' is a required property" in m for m in found)


def test_malformed_contact_email_is_rejected() -> None:
    entity = initiative()
    entity["contactPoint"]["json"][0]["email"] = "contact@"
    assert any("contactPoint/json/0/email" in m for m in messages(entity))


def test_relationship_must_point_at_a_cluster_uri() -> None:
    entity = initiative()
    entity["isPartOf"]["object"] = "not a uri"
    assert any(m.startswith("urn:ngsi-ld:Initiative:alpha: isPartOf/object:") for m in messages(entity))


def test_bad_entity_id_and_attribute_name() -> None:
    entity = initiative()
    entity["id"] = "urn:ngsi-ld:Initiative:Has Spaces"
    entity["bad name"] = {"type": "Property", "value": 1}
    found = messages(entity)
    assert any("id:" in m for m in found)
    assert any("bad name" in m for m in found)


def test_multi_instance_attribute_needs_dataset_ids() -> None:
    entity = initiative()
    entity["mentions"] = [{"type": "Relationship", "object": "urn:ngsi-ld:Initiative:beta"}] * 2
    assert any("datasetId" in m for m in messages(entity))


# -- SHACL --------------------------------------------------------------------------------------


def view_graph() -> rdflib.Graph:
    graph: rdflib.Graph = rdf.to_graph(rdf.document_subjects(catalog_view(make_catalog())))
    return graph


def test_catalog_view_conforms() -> None:
    problems = shacl_problems(view_graph(), shapes_graph("catalog.shacl.ttl"))
    assert [p for p in problems if p.severity is Severity.ERROR] == [], "\n".join(map(str, problems))


def test_entity_view_conforms() -> None:
    graph = rdf.to_graph(rdf.entity_subjects(list(catalog_entities(make_catalog()))))
    problems = shacl_problems(graph, shapes_graph("entities.shacl.ttl"))
    assert problems == [], "\n".join(map(str, problems))


SCHEMA_ORG = rdflib.Namespace("https://schema.org/")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
VCARD = rdflib.Namespace("http://www.w3.org/2006/vcard/ns#")
ALPHA = rdflib.URIRef("urn:ngsi-ld:Initiative:alpha")


def test_shacl_rejects_an_initiative_without_webpage() -> None:
    graph = view_graph()
    graph.remove((ALPHA, SCHEMA_ORG.url, None))
    problems = shacl_problems(
        graph, shapes_graph("catalog.shacl.ttl"), lambda n: "page.md:10" if n == ALPHA else None
    )
    assert [str(p) for p in problems] == [
        "page.md:10: <urn:ngsi-ld:Initiative:alpha>: schema:url: an initiative has at least one http(s) webpage"
    ]


def test_shacl_rejects_a_malformed_email_and_names_its_owner() -> None:
    graph = view_graph()
    contact = next(
        o
        for o in graph.objects(ALPHA, rdflib.URIRef("http://www.w3.org/ns/dcat#contactPoint"))
        if (o, VCARD.hasEmail, None) in graph
    )
    graph.set((contact, VCARD.hasEmail, rdflib.URIRef("mailto:broken")))
    problems = shacl_problems(graph, shapes_graph("catalog.shacl.ttl"))
    assert len(problems) == 1
    assert problems[0].message.startswith(
        "[] (the dcat:contactPoint of <urn:ngsi-ld:Initiative:alpha>): vcard:hasEmail: a contact e-mail"
    )
    assert "mailto:broken" in problems[0].message


def test_shacl_rejects_a_dangling_cluster() -> None:
    graph = view_graph()
    graph.set((ALPHA, DCTERMS.isPartOf, rdflib.URIRef("urn:ngsi-ld:Cluster:nowhere")))
    problems = shacl_problems(graph, shapes_graph("catalog.shacl.ttl"))
    assert any("exactly one cluster" in p.message for p in problems)
