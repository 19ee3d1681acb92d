"""Every term we use expands to the IRI we intend, under the real (protected) NGSI-LD core context."""

from __future__ import annotations

from typing import Any

import pytest
from pyld import jsonld

from ldt_catalog.errors import ContextError
from ldt_catalog.ngsild.context import (
    CORE_CONTEXT_URL,
    entity_context,
    jsonld_options,
    ldt_term_definitions,
    local_document_loader,
)
from ldt_catalog.ngsild.entities import catalog_entities, catalog_view
from tests.factories import make_catalog

SCHEMA = "https://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
LDT = "https://w3id.org/ldt-catalog#"
VCARD = "http://www.w3.org/2006/vcard/ns#"
SKOS = "http://www.w3.org/2004/02/skos/core#"

ENTITY_ATTRIBUTES = {
    "name": SCHEMA + "name",
    "title": DCTERMS + "title",
    "alternateName": SCHEMA + "alternateName",
    "description": DCTERMS + "description",
    "keyRole": LDT + "keyRole",
    "relevance": LDT + "relevance",
    "otherSection": LDT + "otherSection",
    "logo": SCHEMA + "logo",
    "url": SCHEMA + "url",
    "keyAsset": LDT + "keyAsset",
    "contactPoint": DCAT + "contactPoint",
    "isPartOf": DCTERMS + "isPartOf",
    "mentions": SCHEMA + "mentions",
    "provenance": LDT + "provenance",
}
ENTITY_TYPES = {"Initiative": SCHEMA + "Project", "Cluster": SKOS + "Collection"}


def expanded_keys(document: Any) -> set[str]:
    expanded = jsonld.expand(document, jsonld_options())
    return {key for node in expanded for key in node if not key.startswith("@")}


def test_every_entity_attribute_expands_to_the_intended_iri() -> None:
    for term, iri in ENTITY_ATTRIBUTES.items():
        probe = {"@context": entity_context(), "id": "urn:x:1", term: {"type": "Property", "value": 1}}
        assert expanded_keys(probe) == {iri}, term


def test_entity_types_expand_to_the_intended_classes() -> None:
    for term, iri in ENTITY_TYPES.items():
        expanded = jsonld.expand(
            {"@context": entity_context(), "id": "urn:x:1", "type": term}, jsonld_options()
        )
        assert expanded[0]["@type"] == [iri]


def test_the_attributes_we_emit_are_exactly_the_table() -> None:
    """A new attribute must be added to the table above, with the IRI it is meant to have."""
    emitted = {key for entity in catalog_entities(make_catalog()) for key in entity} - {
        "id",
        "type",
        "@context",
    }
    assert emitted <= set(ENTITY_ATTRIBUTES), emitted - set(ENTITY_ATTRIBUTES)
    iris = set()
    for entity in catalog_entities(make_catalog()):
        iris |= expanded_keys(entity)
    assert iris == {ENTITY_ATTRIBUTES[key] for key in emitted}


def test_no_attribute_falls_into_the_default_vocab() -> None:
    default_vocab = "https://uri.etsi.org/ngsi-ld/default-context/"
    for entity in catalog_entities(make_catalog()):
        expanded = jsonld.expand(entity, jsonld_options())
        flat = repr(expanded)
        assert default_vocab not in flat, entity["id"]


def test_our_context_does_not_redefine_core_terms() -> None:
    """The core context is @protected: redefining its terms would be an error or silently lost."""
    core = local_document_loader(CORE_CONTEXT_URL)["document"]["@context"]
    clashes = {term for term in ldt_term_definitions() if term in core and not term.startswith("@")}
    assert clashes == set()


def test_core_context_first_would_reject_a_redefinition() -> None:
    """Proves the protection is real in our vendored core: our terms must steer clear of it."""
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand(
            {"@context": [CORE_CONTEXT_URL, {"title": "https://schema.org/headline"}], "title": "x"},
            jsonld_options(),
        )


CATALOG_TERMS = {
    "name": SCHEMA + "name",
    "title": DCTERMS + "title",
    "description": DCTERMS + "description",
    "keyRoleItem": LDT + "keyRoleItem",
    "relevanceItem": LDT + "relevanceItem",
    "url": SCHEMA + "url",
    "keyAsset": LDT + "keyAsset",
    "contactPoint": DCAT + "contactPoint",
    "hasEmail": VCARD + "hasEmail",
    "isPartOf": DCTERMS + "isPartOf",
    "hasPart": DCTERMS + "hasPart",
    "mentions": SCHEMA + "mentions",
}


def test_catalog_view_terms_expand_to_the_intended_iris() -> None:
    view = catalog_view(make_catalog())
    expanded = jsonld.expand(view, jsonld_options())
    keys = {key for node in expanded for key in node}
    for term, iri in CATALOG_TERMS.items():
        assert iri in keys or any(iri in repr(node) for node in expanded), term
    unmapped = [key for key in keys if not key.startswith(("@", "http", "https"))]
    assert unmapped == []


def test_the_loader_refuses_the_network() -> None:
    with pytest.raises(ContextError, match="refusing to fetch"):
        local_document_loader("https://example.org/context.jsonld")
    with pytest.raises(jsonld.JsonLdError):
        jsonld.expand({"@context": "https://example.org/c.jsonld", "a": 1}, jsonld_options())


def test_every_term_of_our_namespace_is_described_in_the_vocabulary() -> None:
    import rdflib

    from ldt_catalog.ngsild.context import (
        CATALOG_CONTEXT_URL,
        LDT_NAMESPACE,
        contexts_dir,
        load_context_document,
    )

    vocabulary = rdflib.Graph().parse(contexts_dir() / "ldt-vocab.ttl")
    used = set()
    for url in (CATALOG_CONTEXT_URL,):
        for value in load_context_document(url)["@context"].values():
            iri = value.get("@id") if isinstance(value, dict) else value
            if isinstance(iri, str) and iri.startswith("ldt:"):
                used.add(LDT_NAMESPACE + iri[4:])
    for value in ldt_term_definitions().values():
        if isinstance(value, str) and value.startswith("ldt:"):
            used.add(LDT_NAMESPACE + value[4:])
    assert used, "expected our contexts to use some ldt: terms"
    for iri in sorted(used):
        term = rdflib.URIRef(iri)
        assert (term, rdflib.RDFS.label, None) in vocabulary, f"{iri} has no rdfs:label"
        assert (term, rdflib.RDFS.comment, None) in vocabulary, f"{iri} has no rdfs:comment"
