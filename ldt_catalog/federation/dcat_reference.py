"""The reference DCAT-AP 3 export: an rdflib ``Graph`` of the whole catalogue, then serialized.

Slow and memory-hungry at scale (about 1,000 initiatives/s and a ``Graph`` of every triple), so the
build writes ``dcat.ttl``/``dcat.jsonld`` with ``dcat_stream`` instead; this path stays as the
reference the streamed output is proved isomorphic to, the input of ``validate_dcat`` and the
project's reference mode.  Layout: see ``ldt_catalog.federation.dcat``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from ldt_catalog.federation.config import DATA_THEME, DATA_THEMES, PUBLISHER_TYPES, FederationSettings
from ldt_catalog.federation.dcat_vocab import (
    BROKER_DESCRIPTION,
    BROKER_DISTRIBUTION_DESCRIPTION,
    BROKER_DISTRIBUTION_TITLE,
    BROKER_TITLE,
    DCAT,
    DCTERMS,
    DEFAULT_DATASET_TITLE,
    DISTRIBUTIONS,
    EU_AUTHORITY,
    EU_LANGUAGES,
    FOAF,
    IANA_MEDIA_TYPES,
    JSONLD_CONTEXT,
    LDT,
    NGSI_LD_STANDARD,
    NGSI_LD_TITLE,
    PUBLISHER_TYPE_SCHEME,
    SCHEMA,
    SKOS,
    VCARD,
    DistributionSpec,
    contact_fragment,
    default_dataset_description,
    distribution_fragment,
    is_http_iri,
    location_scheme,
    mailto,
)
from ldt_catalog.model.catalog import Catalog, Contact, Initiative
from ldt_catalog.rdf import convert as rdf
from ldt_catalog.rdf import turtle


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
        scheme = location_scheme(iri)
        if scheme is not None:
            self.add(node, SKOS.inScheme, URIRef(scheme))
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
            self.add(node, FOAF.mbox, URIRef(mailto(publisher.email)))
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
            self.add(node, VCARD.hasEmail, URIRef(mailto(publisher.email)))
        if publisher.url:
            self.add(node, VCARD.hasURL, URIRef(publisher.url))
        return node

    def _contact(self, initiative: Initiative, index: int, contact: Contact) -> URIRef:
        node = self.iri(contact_fragment(initiative.slug, index))
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
            self.add(node, VCARD.hasEmail, URIRef(mailto(contact.email)))
        if contact.url and is_http_iri(contact.url):
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
        return DEFAULT_DATASET_TITLE

    def _default_dataset_description(self) -> str:
        names = [cluster.name for cluster in self.catalog.clusters]
        return default_dataset_description(len(self.catalog.initiatives), names)

    def _media(self, media_type: str, file_type: str) -> tuple[URIRef, URIRef]:
        media = URIRef(IANA_MEDIA_TYPES + media_type)
        self.add(media, RDF.type, DCTERMS.MediaType)
        fmt = URIRef(f"{EU_AUTHORITY}file-type/{file_type}")
        self.add(fmt, RDF.type, DCTERMS.MediaTypeOrExtent)
        self.add(fmt, SKOS.inScheme, URIRef(f"{EU_AUTHORITY}file-type"))
        return media, fmt

    def _distribution(self, spec: DistributionSpec) -> URIRef:
        node = self.iri(distribution_fragment(spec.file_name))
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
        self.add(node, DCTERMS.title, Literal(BROKER_TITLE, lang="en"))
        self.add(
            node,
            DCTERMS.description,
            Literal(BROKER_DESCRIPTION, lang="en"),
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
        self.add(distribution, DCTERMS.title, Literal(BROKER_DISTRIBUTION_TITLE, lang="en"))
        self.add(
            distribution,
            DCTERMS.description,
            Literal(BROKER_DISTRIBUTION_DESCRIPTION, lang="en"),
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
            assets = [link for link in initiative.assets if is_http_iri(link.url)]
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
    graph_nodes = []
    for key in sorted(nodes):
        node = nodes[key]
        for values in node.values():
            if isinstance(values, list):
                values.sort(key=lambda v: json.dumps(v, sort_keys=True))
        # keys sorted: the graph's triples come in an order that depends on the string hash seed
        ordered = {"@id": node.pop("@id")}
        if "@type" in node:
            ordered["@type"] = node.pop("@type")
        graph_nodes.append(ordered | {name: node[name] for name in sorted(node)})
    return {"@context": JSONLD_CONTEXT, "@graph": graph_nodes}
