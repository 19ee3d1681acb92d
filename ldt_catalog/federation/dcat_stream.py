"""Pure: the DCAT-AP 3 catalogue as a stream of subject trees, one initiative at a time.

``dcat_nodes`` yields ``rdf.Subject`` trees (the ones ``rdf.turtle.TurtleWriter`` writes) from an
iterable of ``Cluster`` and ``Initiative`` objects, which may be a generator fed page by page:

1. the head, from the settings alone: the vocabulary terms (typed and labelled, so the file
   validates on its own), the ``dcat:Catalog``, the publisher, its contact point, the
   distributions and the broker's distribution;
2. per initiative with key assets: its ``schema:Project``, its contact points, its assets as
   ``dcat:Resource``, and a ``<catalog> dcat:resource ...`` statement for them (a subject may
   appear in several Turtle blocks or JSON-LD node objects: the graph is their union);
3. the tail: the ``dcat:Dataset`` and the broker's ``dcat:DataService``, whose keywords and
   generated description name the clusters and count the initiatives.

What is held between items is the count of initiatives and the names of the clusters, so memory
does not grow with the initiatives.  The triples are those of ``dcat_reference.dcat_graph``
(``tests/test_dcat.py`` proves the written files isomorphic to it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ldt_catalog.federation.config import DATA_THEME, DATA_THEMES, PUBLISHER_TYPES, FederationSettings
from ldt_catalog.federation.dcat_vocab import (
    BROKER_DESCRIPTION,
    BROKER_DISTRIBUTION_DESCRIPTION,
    BROKER_DISTRIBUTION_TITLE,
    BROKER_TITLE,
    DEFAULT_DATASET_TITLE,
    DISTRIBUTIONS,
    EU_AUTHORITY,
    EU_LANGUAGES,
    IANA_MEDIA_TYPES,
    NGSI_LD_STANDARD,
    NGSI_LD_TITLE,
    PUBLISHER_TYPE_SCHEME,
    DistributionSpec,
    contact_fragment,
    default_dataset_description,
    distribution_fragment,
    is_http_iri,
    location_scheme,
    mailto,
)
from ldt_catalog.model.catalog import INITIATIVE_ID_PREFIX, Catalog, Cluster, Initiative
from ldt_catalog.rdf.convert import RDF_LANG_STRING, RDF_TYPE, XSD, Iri, Literal, Subject, Term

Item = Cluster | Initiative
"""What the stream is made of: the clusters and initiatives of the catalogue, in any order."""

_DCAT = "http://www.w3.org/ns/dcat#"
_DCT = "http://purl.org/dc/terms/"
_FOAF = "http://xmlns.com/foaf/0.1/"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_VCARD = "http://www.w3.org/2006/vcard/ns#"
_SCHEMA = "https://schema.org/"
_LDT = "https://w3id.org/ldt-catalog#"
_XSD_DATE = XSD + "date"

# Predicates and classes of every initiative's nodes, made once.
_A = RDF_TYPE
_KIND, _INDIVIDUAL, _ORGANIZATION = (
    Iri(_VCARD + "Kind"),
    Iri(_VCARD + "Individual"),
    Iri(_VCARD + "Organization"),
)
_CONTACT_CLASSES = {"person": _INDIVIDUAL, "organization": _ORGANIZATION}
_RESOURCE, _PROJECT = Iri(_DCAT + "Resource"), Iri(_SCHEMA + "Project")
_FN, _ROLE, _ORG_NAME = _VCARD + "fn", _VCARD + "role", _VCARD + "organization-name"
_HAS_EMAIL, _HAS_URL = _VCARD + "hasEmail", _VCARD + "hasURL"
_TITLE, _REFERENCED_BY, _CONTACT_POINT = _DCT + "title", _DCT + "isReferencedBy", _DCAT + "contactPoint"
_NAME, _KEY_ASSET, _RESOURCE_OF = _SCHEMA + "name", _LDT + "keyAsset", _DCAT + "resource"


def catalog_items(catalog: Catalog) -> Iterator[Item]:
    """The clusters, then the initiatives, of a catalogue held in memory."""
    yield from catalog.clusters
    yield from catalog.initiatives


def dcat_nodes(items: Iterable[Item], settings: FederationSettings) -> Iterator[Subject]:
    """The DCAT-AP 3 catalogue as subject trees, head, one initiative at a time, then tail."""
    fixed = _Fixed(settings)
    yield from fixed.head()
    catalog = Iri(f"{settings.base_url}#catalog")
    count, cluster_names = 0, []
    for item in items:
        if isinstance(item, Initiative):
            count += 1
            yield from initiative_nodes(item, settings.base_url, catalog)
        else:
            cluster_names.append(item.name)
    yield from fixed.tail(count, cluster_names)


def initiative_nodes(initiative: Initiative, base_url: str, catalog: Iri) -> Iterator[Subject]:
    """An initiative's project, contact points and key assets (nothing when it has no http(s) asset)."""
    titles: dict[str, dict[Literal, None]] = {}  # asset URL -> its titles, in page order
    for link in initiative.assets:
        if is_http_iri(link.url):
            title = Literal(link.title or f"{initiative.name}: key asset", RDF_LANG_STRING, "en")
            titles.setdefault(link.url, {})[title] = None
    if not titles:
        return
    project = Iri(INITIATIVE_ID_PREFIX + initiative.slug)
    assets = [Iri(url) for url in titles]
    pairs: list[tuple[str, Term | Subject]] = [
        (_A, _PROJECT),
        (_NAME, Literal(initiative.name, RDF_LANG_STRING, "en")),
    ]
    pairs += [(_KEY_ASSET, asset) for asset in assets]
    yield Subject(project, pairs)
    contacts: list[tuple[str, Term | Subject]] = []
    for index, contact in enumerate(initiative.contacts, start=1):
        node = Iri(f"{base_url}#{contact_fragment(initiative.slug, index)}")
        contacts.append((_CONTACT_POINT, node))
        pairs = [(_A, _KIND)]  # also stated for validators without the vCard ontology
        kind = _CONTACT_CLASSES.get(contact.kind)
        if kind is not None:
            pairs.append((_A, kind))
        fn = contact.name or contact.label or contact.organization  # an e-mail is never a name
        pairs.append((_FN, Literal(fn or initiative.name)))
        if contact.role:
            pairs.append((_ROLE, Literal(contact.role)))
        if contact.organization and contact.kind == "person":
            pairs.append((_ORG_NAME, Literal(contact.organization)))
        if contact.email:
            pairs.append((_HAS_EMAIL, Iri(mailto(contact.email))))
        if contact.url and is_http_iri(contact.url):
            pairs.append((_HAS_URL, Iri(contact.url)))
        yield Subject(node, pairs)
    for asset, asset_titles in zip(assets, titles.values(), strict=True):
        pairs = [(_A, _RESOURCE)]
        pairs += [(_TITLE, title) for title in asset_titles]
        pairs.append((_REFERENCED_BY, project))
        pairs += contacts
        yield Subject(asset, pairs)
    yield Subject(catalog, [(_RESOURCE_OF, asset) for asset in assets])


def _en(text: str) -> Literal:
    return Literal(text, RDF_LANG_STRING, "en")


class _Nodes:
    """Triples grouped by subject in the order first stated, each once (rdflib's set, in order)."""

    def __init__(self) -> None:
        self._nodes: dict[str, dict[tuple[str, Term], None]] = {}

    def add(self, subject: str, predicate: str, obj: Term) -> None:
        self._nodes.setdefault(subject, {})[(predicate, obj)] = None

    def subjects(self) -> Iterator[Subject]:
        for subject, pairs in self._nodes.items():
            yield Subject(Iri(subject), list(pairs))


class _Fixed:
    """The nodes that depend on the settings alone (head), or also on the clusters and count (tail)."""

    def __init__(self, settings: FederationSettings) -> None:
        self.s = settings
        self.base = settings.base_url
        self.catalog, self.dataset = f"{self.base}#catalog", f"{self.base}#dataset"
        self.publisher, self.contact = f"{self.base}#publisher", f"{self.base}#contact"
        self.broker = f"{self.base}#broker" if settings.broker_url else None
        self.license = Iri(settings.license)
        self.landing = Iri(settings.homepage or self.base)
        self.issued = Literal(settings.issued.isoformat(), _XSD_DATE)
        self.modified = Literal(settings.modified.isoformat(), _XSD_DATE)

    # -- head -------------------------------------------------------------------------------------

    def head(self) -> Iterator[Subject]:
        nodes = _Nodes()
        self._catalog(nodes)
        self._publisher(nodes)
        for spec in DISTRIBUTIONS:
            self._distribution(nodes, spec)
        if self.broker is not None:
            self._broker_distribution(nodes)
        self._vocabulary(nodes)
        yield from nodes.subjects()

    def _dates(self, nodes: _Nodes, subject: str) -> None:
        nodes.add(subject, _DCT + "issued", self.issued)
        nodes.add(subject, _DCT + "modified", self.modified)

    def _catalog(self, nodes: _Nodes) -> None:
        c = self.catalog
        nodes.add(c, _A, Iri(_DCAT + "Catalog"))
        for lang, text in self.s.title:
            nodes.add(c, _DCT + "title", Literal(text, RDF_LANG_STRING, lang))
        for lang, text in self.s.description:
            nodes.add(c, _DCT + "description", Literal(text, RDF_LANG_STRING, lang))
        nodes.add(c, _DCT + "publisher", Iri(self.publisher))
        nodes.add(c, _DCT + "license", self.license)
        self._dates(nodes, c)
        for tag in self._catalog_languages():
            nodes.add(c, _DCT + "language", Iri(f"{EU_AUTHORITY}language/{EU_LANGUAGES[tag]}"))
        nodes.add(c, _FOAF + "homepage", self.landing)
        nodes.add(c, _DCAT + "themeTaxonomy", Iri(DATA_THEME))
        for place in self.s.spatial:
            nodes.add(c, _DCT + "spatial", Iri(place))
        nodes.add(c, _DCAT + "dataset", Iri(self.dataset))
        if self.broker is not None:
            nodes.add(c, _DCAT + "service", Iri(self.broker))

    def _catalog_languages(self) -> list[str]:
        return [lang.split("-")[0] for lang, _ in self.s.title if lang.split("-")[0] in EU_LANGUAGES]

    def _publisher(self, nodes: _Nodes) -> None:
        publisher, p, c = self.s.publisher, self.publisher, self.contact
        nodes.add(p, _A, Iri(_FOAF + "Agent"))
        nodes.add(p, _A, Iri(_FOAF + "Organization"))
        nodes.add(p, _FOAF + "name", Literal(publisher.name))
        if publisher.url:
            nodes.add(p, _FOAF + "homepage", Iri(publisher.url))
        if publisher.email:
            nodes.add(p, _FOAF + "mbox", Iri(mailto(publisher.email)))
        if publisher.type:
            nodes.add(p, _DCT + "type", Iri(f"http://purl.org/adms/publishertype/{publisher.type}"))
        nodes.add(c, _A, _KIND)
        nodes.add(c, _A, _ORGANIZATION)
        nodes.add(c, _FN, Literal(publisher.name))
        if publisher.email:
            nodes.add(c, _HAS_EMAIL, Iri(mailto(publisher.email)))
        if publisher.url:
            nodes.add(c, _HAS_URL, Iri(publisher.url))

    def _distribution(self, nodes: _Nodes, spec: DistributionSpec) -> None:
        d = f"{self.base}#{distribution_fragment(spec.file_name)}"
        url = Iri(self.base + spec.file_name)
        nodes.add(d, _A, Iri(_DCAT + "Distribution"))
        nodes.add(d, _TITLE, _en(spec.title))
        nodes.add(d, _DCT + "description", _en(spec.description))
        nodes.add(d, _DCAT + "accessURL", url)
        nodes.add(d, _DCAT + "downloadURL", url)
        nodes.add(d, _DCAT + "mediaType", Iri(IANA_MEDIA_TYPES + spec.media_type))
        nodes.add(d, _DCT + "format", Iri(f"{EU_AUTHORITY}file-type/{spec.file_type}"))
        nodes.add(d, _DCT + "license", self.license)
        self._dates(nodes, d)
        if spec.conforms_to_ngsi_ld:
            nodes.add(d, _DCT + "conformsTo", Iri(NGSI_LD_STANDARD))

    def _broker_distribution(self, nodes: _Nodes) -> None:
        assert self.broker is not None and self.s.broker_url
        d = f"{self.base}#distribution-broker"
        nodes.add(d, _A, Iri(_DCAT + "Distribution"))
        nodes.add(d, _TITLE, _en(BROKER_DISTRIBUTION_TITLE))
        nodes.add(d, _DCT + "description", _en(BROKER_DISTRIBUTION_DESCRIPTION))
        nodes.add(d, _DCAT + "accessURL", Iri(self.s.broker_url))
        nodes.add(d, _DCAT + "accessService", Iri(self.broker))
        nodes.add(d, _DCAT + "mediaType", Iri(IANA_MEDIA_TYPES + "application/ld+json"))
        nodes.add(d, _DCT + "format", Iri(f"{EU_AUTHORITY}file-type/JSON_LD"))
        nodes.add(d, _DCT + "license", self.license)
        nodes.add(d, _DCT + "conformsTo", Iri(NGSI_LD_STANDARD))

    def _vocabulary(self, nodes: _Nodes) -> None:
        """The controlled-vocabulary terms used anywhere in the catalogue, typed and labelled."""
        concept, in_scheme, label = Iri(_SKOS + "Concept"), _SKOS + "inScheme", _SKOS + "prefLabel"
        nodes.add(DATA_THEME, _A, Iri(_SKOS + "ConceptScheme"))
        nodes.add(DATA_THEME, _TITLE, _en("Data theme"))
        for theme in self.s.themes:
            nodes.add(theme, _A, concept)
            nodes.add(theme, label, _en(DATA_THEMES[theme.rsplit("/", 1)[-1]]))
            nodes.add(theme, in_scheme, Iri(DATA_THEME))
        if self.s.publisher.type:
            code = self.s.publisher.type
            term = f"http://purl.org/adms/publishertype/{code}"
            nodes.add(term, _A, concept)
            nodes.add(term, label, _en(PUBLISHER_TYPES[code]))
            nodes.add(term, in_scheme, Iri(PUBLISHER_TYPE_SCHEME))
            nodes.add(PUBLISHER_TYPE_SCHEME, _A, Iri(_SKOS + "ConceptScheme"))
            nodes.add(PUBLISHER_TYPE_SCHEME, _TITLE, _en("Publisher type"))
        for tag in sorted({"en", *self._catalog_languages()}):
            term = f"{EU_AUTHORITY}language/{EU_LANGUAGES[tag]}"
            nodes.add(term, _A, Iri(_DCT + "LinguisticSystem"))
            nodes.add(term, in_scheme, Iri(f"{EU_AUTHORITY}language"))
        nodes.add(self.s.license, _A, Iri(_DCT + "LicenseDocument"))
        for document in (self.landing.value, self.s.publisher.url):
            if document:
                nodes.add(document, _A, Iri(_FOAF + "Document"))
        for place in self.s.spatial:
            nodes.add(place, _A, Iri(_DCT + "Location"))
            scheme = location_scheme(place)
            if scheme is not None:
                nodes.add(place, in_scheme, Iri(scheme))
        access = f"{EU_AUTHORITY}access-right/PUBLIC"
        nodes.add(access, _A, Iri(_DCT + "RightsStatement"))
        nodes.add(access, in_scheme, Iri(f"{EU_AUTHORITY}access-right"))
        media = [(spec.media_type, spec.file_type) for spec in DISTRIBUTIONS]
        if self.broker is not None:
            media.append(("application/ld+json", "JSON_LD"))
        for media_type, file_type in media:
            nodes.add(IANA_MEDIA_TYPES + media_type, _A, Iri(_DCT + "MediaType"))
            file_term = f"{EU_AUTHORITY}file-type/{file_type}"
            nodes.add(file_term, _A, Iri(_DCT + "MediaTypeOrExtent"))
            nodes.add(file_term, in_scheme, Iri(f"{EU_AUTHORITY}file-type"))
        if self.broker is not None or any(spec.conforms_to_ngsi_ld for spec in DISTRIBUTIONS):
            nodes.add(NGSI_LD_STANDARD, _A, Iri(_DCT + "Standard"))
            nodes.add(NGSI_LD_STANDARD, _TITLE, _en(NGSI_LD_TITLE))

    # -- tail -------------------------------------------------------------------------------------

    def tail(self, count: int, cluster_names: list[str]) -> Iterator[Subject]:
        nodes = _Nodes()
        keywords = self._keywords(cluster_names)
        d = self.dataset
        nodes.add(d, _A, Iri(_DCAT + "Dataset"))
        for lang, text in self.s.dataset_title or (("en", DEFAULT_DATASET_TITLE),):
            nodes.add(d, _TITLE, Literal(text, RDF_LANG_STRING, lang))
        description = self.s.dataset_description or (
            ("en", default_dataset_description(count, cluster_names)),
        )
        for lang, text in description:
            nodes.add(d, _DCT + "description", Literal(text, RDF_LANG_STRING, lang))
        nodes.add(d, _DCT + "publisher", Iri(self.publisher))
        nodes.add(d, _CONTACT_POINT, Iri(self.contact))
        self._dates(nodes, d)
        self._themes_and_keywords(nodes, d, keywords)
        nodes.add(d, _DCT + "language", Iri(f"{EU_AUTHORITY}language/ENG"))
        nodes.add(d, _DCAT + "landingPage", self.landing)
        nodes.add(d, _DCT + "accessRights", Iri(f"{EU_AUTHORITY}access-right/PUBLIC"))
        for place in self.s.spatial:
            nodes.add(d, _DCT + "spatial", Iri(place))
        for spec in DISTRIBUTIONS:
            nodes.add(d, _DCAT + "distribution", Iri(f"{self.base}#{distribution_fragment(spec.file_name)}"))
        if self.broker is not None and self.s.broker_url:
            b = self.broker
            nodes.add(d, _DCAT + "distribution", Iri(f"{self.base}#distribution-broker"))
            nodes.add(b, _A, Iri(_DCAT + "DataService"))
            nodes.add(b, _TITLE, _en(BROKER_TITLE))
            nodes.add(b, _DCT + "description", _en(BROKER_DESCRIPTION))
            nodes.add(b, _DCAT + "endpointURL", Iri(self.s.broker_url))
            nodes.add(b, _DCT + "conformsTo", Iri(NGSI_LD_STANDARD))
            nodes.add(b, _DCAT + "servesDataset", Iri(d))
            nodes.add(b, _DCT + "publisher", Iri(self.publisher))
            nodes.add(b, _CONTACT_POINT, Iri(self.contact))
            nodes.add(b, _DCT + "license", self.license)
            self._themes_and_keywords(nodes, b, keywords)
        yield from nodes.subjects()

    def _keywords(self, cluster_names: list[str]) -> list[Literal]:
        seen: set[str] = set()
        keywords = []
        for word in (*self.s.keywords, *cluster_names):
            if word.casefold() not in seen:
                seen.add(word.casefold())
                keywords.append(_en(word))
        return keywords

    def _themes_and_keywords(self, nodes: _Nodes, subject: str, keywords: list[Literal]) -> None:
        for theme in self.s.themes:
            nodes.add(subject, _DCAT + "theme", Iri(theme))
        for keyword in keywords:
            nodes.add(subject, _DCAT + "keyword", keyword)
