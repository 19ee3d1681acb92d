"""The vocabulary of the DCAT-AP 3 export: namespaces, controlled terms, distributions, prefixes.

Shared by the streamed writer (``dcat_stream``) and the rdflib reference (``dcat_reference``), so
the two cannot drift apart on a term.  Pure constants and two small IRI helpers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rdflib import Namespace
from rdflib.namespace import XSD

from ldt_catalog.package_data import data_dir

# Open namespaces: rdflib's closed DCAT/DCTERMS/FOAF classes warn on DCAT 3 terms (dcat:resource).
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
DCATAP = Namespace("http://data.europa.eu/r5r/")
SCHEMA = Namespace("https://schema.org/")
LDT = Namespace("https://w3id.org/ldt-catalog#")
EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
PUBLISHER_TYPE_SCHEME = "http://purl.org/adms/publishertype/1.0"

NGSI_LD_STANDARD = "https://www.etsi.org/deliver/etsi_gs/CIM/001_099/009/01.09.01_60/gs_cim009v010901p.pdf"
NGSI_LD_TITLE = "ETSI GS CIM 009 V1.9.1 Context Information Management (CIM); NGSI-LD API"

DEFAULT_SHAPES_DIR = data_dir("shapes") / "dcat-ap-3.0.1"
"""The SEMIC DCAT-AP 3.0.1 shapes shipped with the tool (``shapes/dcat-ap-3.0.1/``; source and licence in its README)."""

MANDATORY_SHAPES = ("shapes.ttl", "range.ttl", "mdr-vocabularies.shape.ttl", "deprecateduris.ttl")
RECOMMENDED_SHAPES = ("shapes_recommended.ttl",)

EU_LANGUAGES = {
    "bg": "BUL", "cs": "CES", "da": "DAN", "de": "DEU", "el": "ELL", "en": "ENG", "es": "SPA",
    "et": "EST", "fi": "FIN", "fr": "FRA", "ga": "GLE", "hr": "HRV", "hu": "HUN", "it": "ITA",
    "lt": "LIT", "lv": "LAV", "mt": "MLT", "nl": "NLD", "pl": "POL", "pt": "POR", "ro": "RON",
    "sk": "SLK", "sl": "SLV", "sv": "SWE",
}  # fmt: skip
"""ISO 639-1 tags to codes of the EU language vocabulary (the official EU languages)."""


@dataclass(frozen=True)
class DistributionSpec:
    file_name: str
    title: str
    description: str
    media_type: str
    """IANA media type, e.g. ``application/ld+json``."""
    file_type: str
    """Code in the EU file-type vocabulary, e.g. ``JSON_LD``."""
    conforms_to_ngsi_ld: bool


DISTRIBUTIONS: tuple[DistributionSpec, ...] = (
    DistributionSpec("entities.jsonld", "NGSI-LD entities (JSON-LD)",
                     "Every initiative and cluster as an NGSI-LD entity, ready to upsert into a broker.",
                     "application/ld+json", "JSON_LD", True),
    DistributionSpec("catalog.ttl", "Catalogue as linked data (Turtle)",
                     "The catalogue in plain RDF vocabularies (schema.org, DCAT, vCard, SKOS).",
                     "text/turtle", "RDF_TURTLE", False),
    DistributionSpec("entities.ttl", "NGSI-LD entities as RDF (Turtle)",
                     "The NGSI-LD entities in the RDF mapping of the NGSI-LD API.",
                     "text/turtle", "RDF_TURTLE", True),
)  # fmt: skip

BROKER_DISTRIBUTION_TITLE = "NGSI-LD API"
BROKER_DISTRIBUTION_DESCRIPTION = "Query the entities live from the context broker."
BROKER_TITLE = "NGSI-LD context broker"
BROKER_DESCRIPTION = "The catalogue's entities served live through the NGSI-LD API."
DEFAULT_DATASET_TITLE = "Local Digital Twin initiatives and clusters"

JSONLD_CONTEXT: dict[str, Any] = {
    "adms": str(ADMS),
    "dcat": str(DCAT),
    "dcatap": str(DCATAP),
    "dcterms": str(DCTERMS),  # the prefix catalog.ttl uses for the same namespace
    "foaf": str(FOAF),
    "ldt": str(LDT),
    "schema": str(SCHEMA),
    "skos": str(SKOS),
    "vcard": str(VCARD),
    "xsd": str(XSD),
}
"""The prefixes of ``dcat.ttl`` and the compact ``@context`` of ``dcat.jsonld``: inline, nothing to fetch."""


def default_dataset_description(count: int, cluster_names: list[str]) -> str:
    """The generated English description of the dataset: how many initiatives, which clusters."""
    clusters = "; ".join(cluster_names)
    noun = "initiative" if count == 1 else "initiatives"
    return (
        f"The {count} {noun} of the catalogue, with their key assets, web pages and contact "
        f"points, as NGSI-LD entities and linked data." + (f" Clusters: {clusters}." if clusters else "")
    )


def contact_fragment(slug: str, index: int) -> str:
    """The fragment of an initiative's ``index``-th contact point (1-based)."""
    return f"contact-{slug}-{index}"


def distribution_fragment(file_name: str) -> str:
    return "distribution-" + file_name.replace(".", "-")


def mailto(email: str) -> str:
    address = email.strip().removeprefix("mailto:")
    return "mailto:" + address.replace(" ", "%20")


def is_http_iri(value: str) -> bool:
    """An absolute http(s) IRI without the characters Turtle and rdflib refuse in one."""
    scheme, _, rest = value.partition("://")
    return scheme in ("http", "https") and bool(rest) and not any(c in value for c in ' <>"{}|\\^`')


def location_scheme(iri: str) -> str | None:
    """The EU vocabulary (country, continent, place) a location IRI belongs to, if any."""
    if iri.startswith(EU_AUTHORITY):
        scheme = iri[len(EU_AUTHORITY) :].split("/", 1)[0]
        if scheme in ("country", "continent", "place"):
            return EU_AUTHORITY + scheme
    return None
