"""The Gaia-X 25.11 description: conformance to the official shapes, and the config it needs.

Shapes, ontology and context are the copies shipped with the tool (``shapes/gaia-x-25.11``).  The first validation
parses the 2 MB shapes file (a few seconds); the library caches it for the rest of the session.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from typing import Any

import pytest

from ldt_catalog.errors import ContextError
from ldt_catalog.federation.config import (
    FederationConfigError,
    FederationSettings,
    federation_settings_from_mapping,
    load_federation_settings,
)
from ldt_catalog.federation.gaiax import (
    DEFAULT_SHAPES_DIR as GX_DEFAULT_SHAPES_DIR,
)
from ldt_catalog.federation.gaiax import (
    GX_CONTEXT_URL,
    gaiax_document,
    gaiax_document_loader,
    gaiax_graph,
    validate_gaiax,
)
from ldt_catalog.ngsild.context import local_document_loader
from tests.factories import make_catalog
from tests.test_dcat import BASE, EXAMPLE_CONFIG, build_catalog, config

GX_DIR = GX_DEFAULT_SHAPES_DIR

GAIAX: dict[str, Any] = {
    "keywords": ["Local Digital Twin"],
    "provider": {
        "legal_name": "Example Consortium AISBL",
        "registration_number": {"local": "0123.456.789", "vat_id": "BE0123456789", "country_code": "BE"},
        "legal_address": {
            "country_code": "BE",
            "region": "BE10",
            "street_address": "Rue Example 1",
            "postal_code": "1000",
            "locality": "Brussels",
        },
        "headquarters_address": {"country_code": "BE"},
    },
    "terms_and_conditions": {
        "url": "https://ldt.example.org/terms.html",
        "hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    },
    "contact": {"url": "https://example.org/contact", "email": "ldt@example.org"},
}


def gaiax_settings(gaiax: dict[str, Any] | None = None, **overrides: Any) -> FederationSettings:
    return federation_settings_from_mapping(config(gaiax=gaiax or GAIAX, **overrides), source="test.toml")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return gaiax_document(build_catalog(), gaiax_settings())


def node(document: dict[str, Any], gx_type: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [n for n in document["@graph"] if n.get("@type") == gx_type]
    assert len(found) == 1, f"{gx_type}: {found}"
    return found[0]


def without(document: dict[str, Any], gx_type: str, key: str) -> dict[str, Any]:
    bad = copy.deepcopy(document)
    del node(bad, gx_type)[key]
    return bad


# --------------------------------------------------------------------------------------------------
# Conformance


def test_conforms_to_gaiax_shapes(document: dict[str, Any]) -> None:
    report = validate_gaiax(document, GX_DIR)
    assert report.conforms, report.text
    assert report.violations == ()


def test_example_config_conforms() -> None:
    settings = load_federation_settings(EXAMPLE_CONFIG, build_date=date(2025, 6, 30))
    report = validate_gaiax(gaiax_document(build_catalog(), settings), GX_DIR)
    assert report.conforms, report.text


def test_crafted_catalogue_conforms() -> None:
    report = validate_gaiax(gaiax_document(make_catalog(), gaiax_settings()), GX_DIR)
    assert report.conforms, report.text


def test_legal_person_without_registration_number_is_rejected(document: dict[str, Any]) -> None:
    report = validate_gaiax(without(document, "LegalPerson", "registrationNumber"), GX_DIR)
    assert not report.conforms
    assert any(
        i.path == "gx:registrationNumber" and "#provider" in i.focus_node for i in report.violations
    ), report.text


def test_catalogue_without_terms_or_provider_is_rejected(document: dict[str, Any]) -> None:
    bad = without(
        without(document, "DataProductCatalogue", "serviceOfferingTermsAndConditions"),
        "DataProductCatalogue",
        "providedBy",
    )
    report = validate_gaiax(bad, GX_DIR)
    paths = {i.path for i in report.violations if i.focus_node.endswith("#catalog>")}
    assert {"gx:serviceOfferingTermsAndConditions", "gx:providedBy"} <= paths, report.text


def test_unknown_country_code_is_rejected() -> None:
    gaiax = copy.deepcopy(GAIAX)
    gaiax["provider"]["legal_address"]["country_code"] = "Belgium"
    report = validate_gaiax(gaiax_document(build_catalog(), gaiax_settings(gaiax)), GX_DIR)
    assert any(i.path == "gx:countryCode" and "legalAddress" in i.focus_node for i in report.violations), (
        report.text
    )


# --------------------------------------------------------------------------------------------------
# The document


def test_catalogue_is_a_data_product_catalogue_provided_by_a_legal_person(document: dict[str, Any]) -> None:
    assert document["@context"] == GX_CONTEXT_URL
    catalogue = node(document, "DataProductCatalogue")
    provider = node(document, "LegalPerson")
    assert catalogue["@id"] == BASE + "#catalog"  # the same resource as the DCAT dcat:Catalog
    assert catalogue["providedBy"] == {"@id": provider["@id"]}
    assert catalogue["name"] == "Local Digital Twin initiatives"
    assert "Local Digital Twins Related Initiatives" in catalogue["keyword"]
    assert provider["name"] == "Example Consortium AISBL"
    assert provider["legalAddress"]["countryCode"] == "BE"
    numbers = {
        n["@type"]: n
        for n in document["@graph"]
        if n["@id"] in {ref["@id"] for ref in provider["registrationNumber"]}
    }
    assert numbers["LocalRegistrationNumber"]["local"] == "0123.456.789"
    assert numbers["VatID"] == {
        "@id": numbers["VatID"]["@id"],
        "@type": "VatID",
        "vatID": "BE0123456789",
        "countryCode": "BE",
    }
    endpoint = node(document, "Endpoint")
    assert endpoint["endpointURL"] == BASE + "dcat.jsonld"


def test_provider_id_from_config_and_determinism() -> None:
    gaiax = copy.deepcopy(GAIAX)
    gaiax["provider"]["id"] = "did:web:example.org"
    first = gaiax_document(build_catalog(), gaiax_settings(gaiax))
    second = gaiax_document(build_catalog(), gaiax_settings(gaiax))
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    assert node(first, "LegalPerson")["@id"] == "did:web:example.org"
    assert node(first, "DataProductCatalogue")["providedBy"] == {"@id": "did:web:example.org"}


def test_gx_context_resolves_only_locally(document: dict[str, Any]) -> None:
    with pytest.raises(
        ContextError, match=re.escape(f"refusing to fetch JSON-LD context {GX_CONTEXT_URL!r}")
    ):
        gaiax_graph(document, local_document_loader)
    if (GX_DIR / "gx.context.jsonld").is_file():
        graph = gaiax_graph(document, gaiax_document_loader(GX_DIR / "gx.context.jsonld"))
        assert len(graph) > 20


# --------------------------------------------------------------------------------------------------
# Config


def test_missing_gaiax_table_is_a_clear_error() -> None:
    settings = federation_settings_from_mapping(config(), source="federation.toml")
    with pytest.raises(FederationConfigError, match=r"federation.toml: gaiax: missing"):
        gaiax_document(build_catalog(), settings)


def test_missing_provider_values_name_the_file_and_key() -> None:
    gaiax: dict[str, Any] = {
        "provider": {"legal_address": {"street_address": "Somewhere 1"}},
        "terms_and_conditions": {"url": "https://example.org/terms"},
    }
    with pytest.raises(FederationConfigError) as caught:
        gaiax_settings(gaiax)
    message = str(caught.value)
    for key in (
        "gaiax.provider.legal_name",
        "gaiax.provider.registration_number",
        "gaiax.provider.legal_address.country_code",
        "gaiax.provider.headquarters_address",
        "gaiax.terms_and_conditions.hash",
    ):
        assert f"test.toml: {key}:" in message, message
