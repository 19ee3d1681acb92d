"""The catalogue as a DCAT-AP 3 ``dcat:Catalog``, and its check against the SEMIC shapes.

Pure: ``dcat_graph`` builds an rdflib ``Graph`` from the domain model and the federation settings,
``dcat_jsonld`` turns it into compact JSON-LD without touching the network; the CLI serializes.
Every node has an IRI under ``base_url`` (``<base>#catalog``, ``<base>#dataset``,
``<base>#publisher`` ...), so two builds of the same pages diff cleanly.

Layout (``<b>`` is the base URL)::

    <b>#catalog        dcat:Catalog   title/description (every language given), publisher, licence,
                                      issued/modified, language, homepage, themeTaxonomy,
                                      dcat:dataset, dcat:service (broker), dcat:resource (assets)
    <b>#dataset        dcat:Dataset   the catalogue data; themes, keywords, contact point,
                                      dcat:distribution ->
    <b>#distribution-<file>           entities.jsonld, catalog.ttl, entities.ttl: accessURL and
                                      downloadURL <b><file>, mediaType (IANA), format (EU file type)
    <b>#broker         dcat:DataService  only with a broker: endpointURL, conformsTo NGSI-LD, plus
    <b>#distribution-broker           a distribution whose accessService is the broker
    <asset URL>        dcat:Resource  each initiative's key assets; contact points of the initiative
    <b>#contact[-<slug>-<n>]          vcard:Kind (Individual / Organization) contact points

The controlled-vocabulary terms we use (EU data themes, languages, file types, IANA media types,
licence) are typed and labelled in the graph itself, so the file validates on its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from ldt_catalog.federation.config import DATA_THEME, DATA_THEMES, PUBLISHER_TYPES, FederationSettings
from ldt_catalog.model.catalog import Catalog, Contact, Initiative
from ldt_catalog.package_data import data_dir
from ldt_catalog.rdf import convert as rdf
from ldt_catalog.rdf import turtle
from ldt_catalog.validation.shacl import ShaclReport, load_rdf_files, run_shacl

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

JSONLD_CONTEXT: dict[str, Any] = {
    "adms": str(ADMS),
    "dcat": str(DCAT),
    "dcatap": str(DCATAP),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "ldt": str(LDT),
    "schema": str(SCHEMA),
    "skos": str(SKOS),
    "vcard": str(VCARD),
    "xsd": str(XSD),
}
"""The compact ``@context`` of ``dcat.jsonld``: prefixes only, inline, nothing to fetch."""


# --------------------------------------------------------------------------------------------------
# The graph


def dcat_graph(catalog: Catalog, settings: FederationSettings) -> Graph:
    """The catalogue as a DCAT-AP 3 graph (pure and deterministic)."""
    return _DcatBuilder(catalog, settings).build()


class _DcatBuilder:
    def __init__(self, catalog: Catalog, settings: FederationSettings) -> None:
        self.catalog = catalog
        self.s = settings
        self.base = settings.base_url
        self.g = Graph()
        for prefix, namespace in JSONLD_CONTEXT.items():
            self.g.bind(prefix, Namespace(namespace), override=True)
        self.g.bind("dct", DCTERMS, override=True)

    def iri(self, fragment: str) -> URIRef:
        return URIRef(f"{self.base}#{fragment}")

    def add(self, s: Node, p: URIRef, o: Node) -> None:
        self.g.add((s, p, o))

    def build(self) -> Graph:
        catalog_iri, dataset = self.iri("catalog"), self.iri("dataset")
        publisher, contact = self._publisher(), self._publisher_contact()
        self.add(catalog_iri, RDF.type, DCAT.Catalog)
        self._texts(catalog_iri, DCTERMS.title, self.s.title)
        self._texts(catalog_iri, DCTERMS.description, self.s.description)
        self.add(catalog_iri, DCTERMS.publisher, publisher)
        self.add(catalog_iri, DCTERMS.license, self._license())
        self._dates(catalog_iri)
        for lang, _ in self.s.title:
            if lang.split("-")[0] in EU_LANGUAGES:
                self.add(catalog_iri, DCTERMS.language, self._language(lang.split("-")[0]))
        self.add(catalog_iri, FOAF.homepage, self._document(self.s.homepage or self.base))
        self.add(catalog_iri, DCAT.themeTaxonomy, self._theme_scheme())
        for place in self.s.spatial:
            self.add(catalog_iri, DCTERMS.spatial, self._location(place))
        self.add(catalog_iri, DCAT.dataset, dataset)
        self._dataset(dataset, publisher, contact)
        if self.s.broker_url:
            broker = self._broker(dataset, publisher, contact)
            self.add(catalog_iri, DCAT.service, broker)
        for resource in self._assets():
            self.add(catalog_iri, DCAT.resource, resource)
        return self.g

    # -- helpers for literals and vocabulary terms ------------------------------------------------

    def _texts(self, subject: URIRef, predicate: URIRef, texts: Iterable[tuple[str, str]]) -> None:
        for lang, text in texts:
            self.add(subject, predicate, Literal(text, lang=lang))

    def _dates(self, subject: URIRef) -> None:
        self.add(subject, DCTERMS.issued, Literal(self.s.issued.isoformat(), datatype=XSD.date))
        self.add(subject, DCTERMS.modified, Literal(self.s.modified.isoformat(), datatype=XSD.date))

    def _concept(self, iri: str, label: str, scheme: str) -> URIRef:
        node = URIRef(iri)
        self.add(node, RDF.type, SKOS.Concept)
        self.add(node, SKOS.prefLabel, Literal(label, lang="en"))
        self.add(node, SKOS.inScheme, URIRef(scheme))
        return node

    def _scheme(self, iri: str, title: str) -> URIRef:
        node = URIRef(iri)
        self.add(node, RDF.type, SKOS.ConceptScheme)
        self.add(node, DCTERMS.title, Literal(title, lang="en"))
        return node

    def _theme_scheme(self) -> URIRef:
        return self._scheme(DATA_THEME, "Data theme")

    def _themes(self, subject: URIRef) -> None:
        self._theme_scheme()
        for theme in self.s.themes:
            code = theme.rsplit("/", 1)[-1]
            self.add(subject, DCAT.theme, self._concept(theme, DATA_THEMES[code], DATA_THEME))

    def _language(self, tag: str) -> URIRef:
        node = URIRef(f"{EU_AUTHORITY}language/{EU_LANGUAGES[tag]}")
        self.add(node, RDF.type, DCTERMS.LinguisticSystem)
        self.add(node, SKOS.inScheme, URIRef(f"{EU_AUTHORITY}language"))
        return node

    def _license(self) -> URIRef:
        node = URIRef(self.s.license)
        self.add(node, RDF.type, DCTERMS.LicenseDocument)
        return node

    def _document(self, url: str) -> URIRef:
        node = URIRef(url)
        self.add(node, RDF.type, FOAF.Document)
        return node

    def _location(self, iri: str) -> URIRef:
        node = URIRef(iri)
        self.add(node, RDF.type, DCTERMS.Location)
        if iri.startswith(EU_AUTHORITY):
            scheme = iri[len(EU_AUTHORITY) :].split("/", 1)[0]
            if scheme in ("country", "continent", "place"):
                self.add(node, SKOS.inScheme, URIRef(EU_AUTHORITY + scheme))
        return node

    def _standard(self, iri: str, title: str) -> URIRef:
        node = URIRef(iri)
        self.add(node, RDF.type, DCTERMS.Standard)
        self.add(node, DCTERMS.title, Literal(title, lang="en"))
        return node

    def _keywords(self, subject: URIRef) -> None:
        seen: set[str] = set()
        for word in (*self.s.keywords, *(cluster.name for cluster in self.catalog.clusters)):
            if word.casefold() not in seen:
                seen.add(word.casefold())
                self.add(subject, DCAT.keyword, Literal(word, lang="en"))

    # -- agents and contacts ----------------------------------------------------------------------

    def _publisher(self) -> URIRef:
        publisher, node = self.s.publisher, self.iri("publisher")
        self.add(node, RDF.type, FOAF.Agent)
        self.add(node, RDF.type, FOAF.Organization)
        self.add(node, FOAF.name, Literal(publisher.name))
        if publisher.url:
            self.add(node, FOAF.homepage, self._document(publisher.url))
        if publisher.email:
            self.add(node, FOAF.mbox, _mailto(publisher.email))
        if publisher.type:
            self.add(
                node,
                DCTERMS.type,
                self._concept(
                    f"http://purl.org/adms/publishertype/{publisher.type}",
                    PUBLISHER_TYPES[publisher.type],
                    PUBLISHER_TYPE_SCHEME,
                ),
            )
            self._scheme(PUBLISHER_TYPE_SCHEME, "Publisher type")
        return node

    def _publisher_contact(self) -> URIRef:
        publisher, node = self.s.publisher, self.iri("contact")
        self.add(node, RDF.type, VCARD.Kind)
        self.add(node, RDF.type, VCARD.Organization)
        self.add(node, VCARD.fn, Literal(publisher.name))
        if publisher.email:
            self.add(node, VCARD.hasEmail, _mailto(publisher.email))
        if publisher.url:
            self.add(node, VCARD.hasURL, URIRef(publisher.url))
        return node

    def _contact(self, initiative: Initiative, index: int, contact: Contact) -> URIRef:
        node = self.iri(f"contact-{initiative.slug}-{index}")
        kind = {"person": VCARD.Individual, "organization": VCARD.Organization}.get(contact.kind)
        self.add(node, RDF.type, VCARD.Kind)  # also stated for validators without the vCard ontology
        if kind is not None:
            self.add(node, RDF.type, kind)
        fn = contact.name or contact.label or contact.organization  # an e-mail is never a name
        self.add(node, VCARD.fn, Literal(fn or initiative.name))
        if contact.role:
            self.add(node, VCARD.role, Literal(contact.role))
        if contact.organization and contact.kind == "person":
            self.add(node, VCARD["organization-name"], Literal(contact.organization))
        if contact.email:
            self.add(node, VCARD.hasEmail, _mailto(contact.email))
        if contact.url and _is_http_iri(contact.url):
            self.add(node, VCARD.hasURL, URIRef(contact.url))
        return node

    # -- dataset, distributions, service ----------------------------------------------------------

    def _dataset(self, dataset: URIRef, publisher: URIRef, contact: URIRef) -> None:
        self.add(dataset, RDF.type, DCAT.Dataset)
        self._texts(dataset, DCTERMS.title, self.s.dataset_title or (("en", self._default_dataset_title()),))
        self._texts(
            dataset,
            DCTERMS.description,
            self.s.dataset_description or (("en", self._default_dataset_description()),),
        )
        self.add(dataset, DCTERMS.publisher, publisher)
        self.add(dataset, DCAT.contactPoint, contact)
        self._dates(dataset)
        self._themes(dataset)
        self._keywords(dataset)
        self.add(dataset, DCTERMS.language, self._language("en"))
        self.add(dataset, DCAT.landingPage, self._document(self.s.homepage or self.base))
        access = URIRef(f"{EU_AUTHORITY}access-right/PUBLIC")
        self.add(access, RDF.type, DCTERMS.RightsStatement)
        self.add(access, SKOS.inScheme, URIRef(f"{EU_AUTHORITY}access-right"))
        self.add(dataset, DCTERMS.accessRights, access)
        for place in self.s.spatial:
            self.add(dataset, DCTERMS.spatial, self._location(place))
        for spec in DISTRIBUTIONS:
            self.add(dataset, DCAT.distribution, self._distribution(spec))

    def _default_dataset_title(self) -> str:
        return "Local Digital Twin initiatives and clusters"

    def _default_dataset_description(self) -> str:
        clusters = "; ".join(cluster.name for cluster in self.catalog.clusters)
        count = len(self.catalog.initiatives)
        noun = "initiative" if count == 1 else "initiatives"
        return (
            f"The {count} {noun} of the catalogue, with their key assets, web pages and contact "
            f"points, as NGSI-LD entities and linked data." + (f" Clusters: {clusters}." if clusters else "")
        )

    def _media(self, media_type: str, file_type: str) -> tuple[URIRef, URIRef]:
        media = URIRef(IANA_MEDIA_TYPES + media_type)
        self.add(media, RDF.type, DCTERMS.MediaType)
        fmt = URIRef(f"{EU_AUTHORITY}file-type/{file_type}")
        self.add(fmt, RDF.type, DCTERMS.MediaTypeOrExtent)
        self.add(fmt, SKOS.inScheme, URIRef(f"{EU_AUTHORITY}file-type"))
        return media, fmt

    def _distribution(self, spec: DistributionSpec) -> URIRef:
        node = self.iri("distribution-" + spec.file_name.replace(".", "-"))
        url = URIRef(self.base + spec.file_name)
        media, fmt = self._media(spec.media_type, spec.file_type)
        self.add(node, RDF.type, DCAT.Distribution)
        self.add(node, DCTERMS.title, Literal(spec.title, lang="en"))
        self.add(node, DCTERMS.description, Literal(spec.description, lang="en"))
        self.add(node, DCAT.accessURL, url)
        self.add(node, DCAT.downloadURL, url)
        self.add(node, DCAT.mediaType, media)
        self.add(node, DCTERMS["format"], fmt)
        self.add(node, DCTERMS.license, self._license())
        self._dates(node)
        if spec.conforms_to_ngsi_ld:
            self.add(node, DCTERMS.conformsTo, self._standard(NGSI_LD_STANDARD, NGSI_LD_TITLE))
        return node

    def _broker(self, dataset: URIRef, publisher: URIRef, contact: URIRef) -> URIRef:
        assert self.s.broker_url
        node, endpoint = self.iri("broker"), URIRef(self.s.broker_url)
        standard = self._standard(NGSI_LD_STANDARD, NGSI_LD_TITLE)
        self.add(node, RDF.type, DCAT.DataService)
        self.add(node, DCTERMS.title, Literal("NGSI-LD context broker", lang="en"))
        self.add(
            node,
            DCTERMS.description,
            Literal("The catalogue's entities served live through the NGSI-LD API.", lang="en"),
        )
        self.add(node, DCAT.endpointURL, endpoint)
        self.add(node, DCTERMS.conformsTo, standard)
        self.add(node, DCAT.servesDataset, dataset)
        self.add(node, DCTERMS.publisher, publisher)
        self.add(node, DCAT.contactPoint, contact)
        self.add(node, DCTERMS.license, self._license())
        self._themes(node)
        self._keywords(node)
        distribution = self.iri("distribution-broker")
        media, fmt = self._media("application/ld+json", "JSON_LD")
        self.add(distribution, RDF.type, DCAT.Distribution)
        self.add(distribution, DCTERMS.title, Literal("NGSI-LD API", lang="en"))
        self.add(
            distribution,
            DCTERMS.description,
            Literal("Query the entities live from the context broker.", lang="en"),
        )
        self.add(distribution, DCAT.accessURL, endpoint)
        self.add(distribution, DCAT.accessService, node)
        self.add(distribution, DCAT.mediaType, media)
        self.add(distribution, DCTERMS["format"], fmt)
        self.add(distribution, DCTERMS.license, self._license())
        self.add(distribution, DCTERMS.conformsTo, standard)
        self.add(dataset, DCAT.distribution, distribution)
        return node

    # -- the initiatives' key assets --------------------------------------------------------------

    def _assets(self) -> list[URIRef]:
        resources: list[URIRef] = []
        for initiative in self.catalog.initiatives:
            assets = [link for link in initiative.assets if _is_http_iri(link.url)]
            if not assets:
                continue
            project = URIRef(f"urn:ngsi-ld:Initiative:{initiative.slug}")
            self.add(project, RDF.type, SCHEMA.Project)
            self.add(project, SCHEMA.name, Literal(initiative.name, lang="en"))
            contacts = [self._contact(initiative, i, c) for i, c in enumerate(initiative.contacts, start=1)]
            for link in assets:
                node = URIRef(link.url)
                self.add(node, RDF.type, DCAT.Resource)
                self.add(
                    node, DCTERMS.title, Literal(link.title or f"{initiative.name}: key asset", lang="en")
                )
                self.add(node, DCTERMS.isReferencedBy, project)
                self.add(project, LDT.keyAsset, node)
                for contact in contacts:
                    self.add(node, DCAT.contactPoint, contact)
                resources.append(node)
        return sorted(set(resources))


def _mailto(email: str) -> URIRef:
    address = email.strip().removeprefix("mailto:")
    return URIRef("mailto:" + address.replace(" ", "%20"))


def _is_http_iri(value: str) -> bool:
    scheme, _, rest = value.partition("://")
    return scheme in ("http", "https") and bool(rest) and not any(c in value for c in ' <>"{}|\\^`')


# --------------------------------------------------------------------------------------------------
# JSON-LD


def dcat_turtle(graph: Graph, out: IO[str]) -> None:
    """Write the graph as Turtle with our streaming writer, subjects sorted.

    rdflib's own Turtle serializer grows faster than linearly past some ten thousand initiatives;
    this is one pass over the subjects.  Exactness is tested like every other ``.ttl``.
    """
    writer = turtle.TurtleWriter(out, dict(JSONLD_CONTEXT))
    labels: dict[BNode, str] = {}

    def term(node: Node) -> rdf.Term:
        if isinstance(node, Literal):
            if node.language:
                return rdf.Literal(str(node), rdf.RDF + "langString", node.language)
            return rdf.Literal(str(node), str(node.datatype) if node.datatype else rdf.XSD_STRING)
        if isinstance(node, BNode):
            return rdf.BlankNode(labels.setdefault(node, f"d{len(labels) + 1}"))
        return rdf.Iri(str(node))

    for subject in sorted(set(graph.subjects()), key=lambda n: (isinstance(n, BNode), str(n))):
        head = term(subject)
        assert isinstance(head, (rdf.Iri, rdf.BlankNode))
        pairs: list[tuple[str, rdf.Term | rdf.Subject]] = [
            (str(p), term(o))
            for p, o in sorted(graph.predicate_objects(subject), key=lambda po: (str(po[0]), str(po[1])))
        ]
        writer.write(rdf.Subject(head, pairs))


def dcat_jsonld(graph: Graph) -> dict[str, Any]:
    """The graph as flattened JSON-LD with an inline prefix ``@context``; nodes sorted by ``@id``.

    Written node by node (linear in the graph): pyld's ``fromRdf`` and compaction grow
    quadratically with the number of nodes.  IRIs are compacted with the context's prefixes,
    literals are value objects with their language or datatype, so the document means exactly
    the graph (tested with pyld's ``toRdf``).
    """
    namespaces = sorted(
        ((str(ns), prefix) for prefix, ns in JSONLD_CONTEXT.items()), key=lambda p: -len(p[0])
    )

    def compact(iri: str) -> str:
        for namespace, prefix in namespaces:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                local = iri[len(namespace) :]
                if "/" not in local and "#" not in local and ":" not in local:
                    return f"{prefix}:{local}"
        return iri

    def node_id(node: Node) -> str:
        return f"_:{node}" if isinstance(node, BNode) else compact(str(node))

    def value(obj: Node) -> dict[str, Any]:
        if isinstance(obj, Literal):
            item: dict[str, Any] = {"@value": str(obj)}
            if obj.language:
                item["@language"] = obj.language
            elif obj.datatype is not None and obj.datatype != XSD.string:
                item["@type"] = compact(str(obj.datatype))
            return item
        return {"@id": node_id(obj)}

    nodes: dict[str, dict[str, Any]] = {}
    for subject, predicate, obj in graph:
        node = nodes.setdefault(node_id(subject), {"@id": node_id(subject)})
        if predicate == RDF.type and not isinstance(obj, Literal):
            node.setdefault("@type", []).append(node_id(obj))
        else:
            node.setdefault(compact(str(predicate)), []).append(value(obj))
    for node in nodes.values():
        for values in node.values():
            if isinstance(values, list):
                values.sort(key=lambda v: json.dumps(v, sort_keys=True))
    return {"@context": JSONLD_CONTEXT, "@graph": [nodes[key] for key in sorted(nodes)]}


def validate_dcat(graph: Graph, shapes_dir: Path, *, recommended: bool = True) -> ShaclReport:
    """Check ``graph`` against the SEMIC DCAT-AP 3.0.1 shapes in ``shapes_dir``.

    ``shapes.ttl``, ``range.ttl``, ``mdr-vocabularies.shape.ttl`` (and the warnings of
    ``deprecateduris.ttl``) decide conformance; with ``recommended``, every result of
    ``shapes_recommended.ttl`` is added as a warning.
    """
    report = run_shacl(graph, load_rdf_files(shapes_dir, MANDATORY_SHAPES))
    if recommended:
        report = report.merged(
            run_shacl(graph, load_rdf_files(shapes_dir, RECOMMENDED_SHAPES)), as_warnings=True
        )
    return report
