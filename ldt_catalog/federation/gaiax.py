"""The catalogue described in the Gaia-X 25.11 vocabulary, and its check against the Gaia-X shapes.

``gaiax_document`` is pure: it returns an unsigned JSON-LD document (``@context`` is the Gaia-X
context URL, ``@graph`` the nodes) built from the catalogue and the federation settings.  Every
value the pages do not know (legal name, registration number, addresses, terms and conditions)
comes from the ``[gaiax]`` tables of the federation config; nothing is invented.

Nodes (``<b>`` is the base URL)::

    <b>#catalog                        gx:DataProductCatalogue  (a gx:ServiceOffering) — name,
                                       description, keywords, providedBy, terms, endpoint, contact
    [gaiax.provider] id, or
    <b>gaiax.jsonld#provider           gx:LegalPerson — legal name, registration number(s),
                                       legal and headquarters address (gx:Address, embedded)
    <b>gaiax.jsonld#registration-number-<kind>   gx:LocalRegistrationNumber / VatID / LeiCode / EUID / EORI
    <b>gaiax.jsonld#terms-and-conditions         gx:TermsAndConditions (url + hash)
    <b>gaiax.jsonld#endpoint           gx:Endpoint — <b>dcat.jsonld, conforming to DCAT-AP 3.0.1
    <b>gaiax.jsonld#contact            gx:ContactInformation (when [gaiax.contact] is given)

The Gaia-X context URL is not one of ours, so nothing here fetches it: ``validate_gaiax`` reads
``gx.context.jsonld`` from the shapes directory through ``gaiax_document_loader``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pyld import jsonld
from rdflib import Graph, URIRef
from rdflib.namespace import RDFS

from ldt_catalog.errors import ContextError
from ldt_catalog.federation.config import Address, FederationSettings, GaiaxSettings, require_gaiax
from ldt_catalog.model.catalog import Catalog, Cluster, Initiative
from ldt_catalog.ngsild.context import DocumentLoader, local_document_loader
from ldt_catalog.package_data import data_dir
from ldt_catalog.validation.shacl import ShaclReport, ShapesNotFound, load_rdf_files, run_shacl

GX = "https://w3id.org/gaia-x/development#"
GX_CONTEXT_URL = "https://w3id.org/gaia-x/development#"
"""The ``@context`` URL Gaia-X credentials use for this vocabulary (namespace of 25.11's files)."""
GX_CONTEXT_FILE = "gx.context.jsonld"
GX_SHAPES = ("gx.shacl.ttl",)
GX_ONTOLOGY = "gx.owl.ttl"
DEFAULT_SHAPES_DIR = data_dir("shapes") / "gaia-x-25.11"
"""The Gaia-X 25.11 files shipped with the tool (``shapes/gaia-x-25.11/``; source and licence in its README)."""

DCAT_AP_TITLE = "DCAT-AP 3.0.1"
DCAT_AP_REFERENCE = "https://semiceu.github.io/DCAT-AP/releases/3.0.1/"
DCAT_AP_PUBLISHER = "SEMIC, European Commission"


def gaiax_document(
    catalog: Catalog | Iterable[Cluster | Initiative], settings: FederationSettings
) -> dict[str, Any]:
    """The catalogue and its provider as an unsigned Gaia-X 25.11 JSON-LD document (pure).

    Of the catalogue it needs only the clusters' names (keywords), so it also takes a stream of
    clusters and initiatives, as the DCAT writers do, keeping only the clusters.  Raises ``FederationConfigError`` when the config has no ``[gaiax]`` tables.
    """
    gx = require_gaiax(settings)
    base = settings.base_url
    doc_base = f"{base}gaiax.jsonld#"
    provider = gx.provider_id or f"{doc_base}provider"
    registration_numbers = _registration_numbers(gx, doc_base)
    terms, endpoint, conformity = (
        f"{doc_base}terms-and-conditions",
        f"{doc_base}endpoint",
        f"{doc_base}standard-dcat-ap",
    )

    catalogue: dict[str, Any] = {
        "@id": f"{base}#catalog",
        "@type": "DataProductCatalogue",
        "name": _pick(settings.title),
        "description": _pick(settings.description),
        "providedBy": {"@id": provider},
        "serviceOfferingTermsAndConditions": {"@id": terms},
        "endpoint": {"@id": endpoint},
    }
    clusters = (
        catalog.clusters if isinstance(catalog, Catalog) else [c for c in catalog if isinstance(c, Cluster)]
    )
    keywords = _unique((*gx.keywords, *settings.keywords, *(c.name for c in clusters)))
    if keywords:
        catalogue["keyword"] = keywords
    nodes: list[dict[str, Any]] = [
        catalogue,
        {
            "@id": provider,
            "@type": "LegalPerson",
            "name": gx.legal_name,
            "registrationNumber": [{"@id": node["@id"]} for node in registration_numbers],
            "legalAddress": _address(gx.legal_address),
            "headquartersAddress": _address(gx.headquarters_address),
        },
        *registration_numbers,
        {"@id": terms, "@type": "TermsAndConditions", "url": gx.terms_url, "hash": gx.terms_hash},
        {
            "@id": endpoint,
            "@type": "Endpoint",
            "endpointURL": f"{base}dcat.jsonld",
            "formalDescription": f"The catalogue as DCAT-AP 3.0.1 in JSON-LD (in Turtle: {base}dcat.ttl).",
            "standardConformity": [{"@id": conformity}],
        },
        {
            "@id": conformity,
            "@type": "StandardConformity",
            "title": DCAT_AP_TITLE,
            "standardReference": DCAT_AP_REFERENCE,
            "publisher": DCAT_AP_PUBLISHER,
        },
    ]
    if gx.contact_url:
        contact: dict[str, Any] = {
            "@id": f"{doc_base}contact",
            "@type": "ContactInformation",
            "url": gx.contact_url,
        }
        if gx.contact_email:
            contact["email"] = gx.contact_email
        catalogue["providerContactInformation"] = {"@id": contact["@id"]}
        nodes.append(contact)
    return {"@context": GX_CONTEXT_URL, "@graph": nodes}


def _pick(texts: tuple[tuple[str, str], ...]) -> str:
    """The English text if there is one, else the first (Gaia-X wants one plain string)."""
    return dict(texts).get("en") or texts[0][1]


def _unique(words: tuple[str, ...]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for word in words:
        if word.casefold() not in seen:
            seen.add(word.casefold())
            out.append(word)
    return out


def _address(address: Address) -> dict[str, Any]:
    node: dict[str, Any] = {"@type": "Address", "countryCode": address.country_code}
    optional = {
        "region": address.region,
        "streetAddress": address.street_address,
        "postalCode": address.postal_code,
        "locality": address.locality,
        "countryName": address.country_name,
    }
    node.update({key: value for key, value in optional.items() if value})
    return node


def _registration_numbers(gx: GaiaxSettings, doc_base: str) -> list[dict[str, Any]]:
    reg = gx.registration
    nodes: list[dict[str, Any]] = []

    def add(kind: str, gx_type: str, term: str, value: str | None, with_country: bool = False) -> None:
        if value:
            node: dict[str, Any] = {
                "@id": f"{doc_base}registration-number-{kind}",
                "@type": gx_type,
                term: value,
            }
            if with_country and reg.country_code:
                node["countryCode"] = reg.country_code
            nodes.append(node)

    add("local", "LocalRegistrationNumber", "local", reg.local)
    add("vat-id", "VatID", "vatID", reg.vat_id, with_country=True)
    add("lei-code", "LeiCode", "leiCode", reg.lei_code, with_country=True)
    add("euid", "EUID", "euid", reg.euid)
    add("eori", "EORI", "eori", reg.eori)
    return nodes


# --------------------------------------------------------------------------------------------------
# Resolving the context and validating


def gaiax_document_loader(
    context_file: Path, fallback: DocumentLoader = local_document_loader
) -> DocumentLoader:
    """A pyld loader that serves the Gaia-X context from ``context_file`` and ``fallback`` otherwise."""
    document = load_gaiax_context(context_file)

    def loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        if url.split("#", 1)[0] == GX_CONTEXT_URL.split("#", 1)[0]:
            return {
                "contentType": "application/ld+json",
                "contextUrl": None,
                "documentUrl": url,
                "document": document,
            }
        return fallback(url, options)

    return loader


def load_gaiax_context(context_file: Path) -> dict[str, Any]:
    try:
        return _load_json(str(context_file.resolve()))
    except (OSError, ValueError) as exc:
        raise ContextError(
            f"{context_file}: cannot read the Gaia-X context ({GX_CONTEXT_URL}): {exc}"
        ) from exc


@functools.cache
def _load_json(path: str) -> dict[str, Any]:
    import json

    with open(path, encoding="utf-8") as stream:
        document: dict[str, Any] = json.load(stream)
    return document


def gaiax_graph(document: Mapping[str, Any], loader: DocumentLoader) -> Graph:
    """The RDF of a Gaia-X JSON-LD document, with contexts resolved only through ``loader``."""
    try:
        nquads = jsonld.to_rdf(dict(document), {"format": "application/n-quads", "documentLoader": loader})
    except jsonld.JsonLdError as exc:
        cause: BaseException = exc
        while cause.__cause__ is not None:
            cause = cause.__cause__
        raise ContextError(f"cannot expand the Gaia-X document: {cause}") from exc
    graph = Graph()
    graph.bind("gx", GX)
    graph.parse(data=nquads, format="nt")
    return graph


def gaiax_class_hierarchy(shapes_dir: Path) -> Graph:
    """The ``rdfs:subClassOf`` links between named classes of ``gx.owl.ttl`` (for ``sh:class``)."""
    if not (shapes_dir / GX_ONTOLOGY).is_file():
        raise ShapesNotFound(f"{shapes_dir}: missing {GX_ONTOLOGY} (the Gaia-X ontology)")
    return _class_hierarchy(str(shapes_dir.resolve()))


@functools.cache
def _class_hierarchy(directory: str) -> Graph:
    ontology = Graph().parse(Path(directory) / GX_ONTOLOGY, format="turtle")
    hierarchy = Graph()
    for sub, sup in ontology.subject_objects(RDFS.subClassOf):
        if isinstance(sub, URIRef) and isinstance(sup, URIRef):
            hierarchy.add((sub, RDFS.subClassOf, sup))
    return hierarchy


def validate_gaiax(
    document: Mapping[str, Any], shapes_dir: Path, *, loader: DocumentLoader | None = None
) -> ShaclReport:
    """Check a Gaia-X document against ``gx.shacl.ttl`` of ``shapes_dir`` (with the class hierarchy
    of ``gx.owl.ttl``, so a ``gx:LocalRegistrationNumber`` counts as a ``gx:RegistrationNumber``).

    The context is read from ``shapes_dir/gx.context.jsonld`` unless a ``loader`` is given.
    """
    if loader is None:
        context_file = shapes_dir / GX_CONTEXT_FILE
        if not context_file.is_file():
            raise ShapesNotFound(f"{shapes_dir}: missing {GX_CONTEXT_FILE} (the Gaia-X JSON-LD context)")
        loader = gaiax_document_loader(context_file)
    data = gaiax_graph(document, loader)
    return run_shacl(data, load_rdf_files(shapes_dir, GX_SHAPES), ont_graph=gaiax_class_hierarchy(shapes_dir))
