"""The DCAT-AP 3 export: its layout, and its conformance to the official SEMIC DCAT-AP 3.0.1 shapes.

The shapes are the copies shipped with the tool (``shapes/dcat-ap-3.0.1``), so no test here skips.  The catalogue is built by hand here,
mirroring ``seed/Local_Digital_Twins_Related_Initiatives.md`` (the importer is tested elsewhere).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld
from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import RDF, XSD
from rdflib.term import Node

from ldt_catalog.errors import SourceRef
from ldt_catalog.federation.config import (
    DATA_THEME,
    FederationConfigError,
    FederationSettings,
    federation_settings_from_mapping,
    load_federation_settings,
)
from ldt_catalog.federation.dcat import (
    DCAT,
    DCTERMS,
    DEFAULT_SHAPES_DIR,
    DISTRIBUTIONS,
    EU_AUTHORITY,
    IANA_MEDIA_TYPES,
    NGSI_LD_STANDARD,
    RECOMMENDED_SHAPES,
    VCARD,
    dcat_graph,
    dcat_jsonld,
    run_shacl,
    validate_dcat,
)
from ldt_catalog.model.catalog import Block, Catalog, Cluster, Contact, Initiative, Link, Page, Section
from ldt_catalog.validation.shacl import ShapesNotFound, load_rdf_files
from tests.factories import make_catalog

REPO = Path(__file__).resolve().parent.parent
DCAT_SHAPES = DEFAULT_SHAPES_DIR
EXAMPLE_CONFIG = REPO / "federation.example.toml"
BASE = "https://ldt.example.org/catalog/"
BROKER = "https://broker.example.org/"
SEED = "seed/Local_Digital_Twins_Related_Initiatives.md"


# --------------------------------------------------------------------------------------------------
# Fixtures: the seed page as domain objects, and settings


def build_catalog() -> Catalog:
    """The two initiatives and the cluster of the seed page, as the importer would build them."""
    page = Page(name="Local_Digital_Twins_Related_Initiatives.md", path=SEED, sha256="0" * 64)

    def ref(line: int) -> SourceRef:
        return SourceRef(SEED, line)

    def section(label: str, line: int, text: str) -> Section:
        return Section(label, (Block("paragraph", text, ref(line + 1)),), ref(line))

    cluster = Cluster(
        slug="local-digital-twins-related-initiatives",
        name="Local Digital Twins Related Initiatives",
        title_from_file=False,
        description=(
            Block(
                "paragraph",
                "**Local Digital Twins (LDTs)** are virtual replicas of physical "
                "assets, infrastructures, or urban systems.",
                ref(3),
            ),
        ),
        ref=ref(1),
        page=page,
        content_sha256="1" * 64,
    )
    toolbox_url = "https://interoperable-europe.ec.europa.eu/collection/ldttoolbox"
    toolbox = Initiative(
        slug="eu-ldt-toolbox",
        name="EU LDT Toolbox",
        full_title="European Local Digital Twins Toolbox",
        acronym="EU LDT Toolbox",
        ref=ref(6),
        page=page,
        content_sha256="2" * 64,
        cluster_slug=cluster.slug,
        description=section(
            "Short Description", 11, "As part of the EU strategy for digital transformation..."
        ),
        assets=(Link(toolbox_url, "EU LDT Toolbox Resources", ref(36)),),
        webpages=(Link(toolbox_url, None, ref(39)),),
        contacts=(Contact(ref=ref(42), email="contact@ldt-toolbox.eu"),),
    )
    duet_assets = tuple(
        Link(url, title, ref(69))
        for title, url in (
            ("Technology Outputs", "https://www.digitalurbantwins.com/technology-outputs"),
            ("Research Outputs", "https://www.digitalurbantwins.com/research-outputs"),
            ("City Twin Platform Demo", "https://www.digitalurbantwins.com/digitaltwindemo"),
            ("Policy-Making Outputs", "https://www.digitalurbantwins.com/policy-making-outputs"),
        )
    )
    duet = Initiative(
        slug="duet",
        name="DUET",
        full_title="Digital Urban European Twins",
        acronym="DUET",
        ref=ref(45),
        page=page,
        content_sha256="3" * 64,
        cluster_slug=cluster.slug,
        description=section("Short Description", 51, "DUET (Digital Urban European Twins) is a European ..."),
        assets=duet_assets,
        webpages=(Link("https://www.digitalurbantwins.com", None, ref(72)),),
        contacts=(
            Contact(
                ref=ref(75), url="https://www.digitalurbantwins.com/contact-8", label="DUET Contact Page"
            ),
        ),
    )
    return Catalog(clusters=(cluster,), initiatives=(toolbox, duet))


def config(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "base_url": BASE,
        "publisher": {
            "name": "Example Publisher",
            "url": "https://example.org/",
            "email": "ldt@example.org",
            "type": "IndustryConsortium",
        },
        "catalog": {
            "title": {
                "en": "Local Digital Twin initiatives",
                "de": "Initiativen für lokale digitale Zwillinge",
            },
            "description": {
                "en": "Initiatives of the European LDT ecosystem.",
                "fr": "Les initiatives de l'écosystème européen des jumeaux numériques locaux.",
            },
            "license": "http://publications.europa.eu/resource/authority/licence/CC_BY_4_0",
            "issued": date(2025, 1, 15),
            "modified": date(2025, 6, 30),
            "themes": ["TECH", "REGI"],
            "keywords": ["Local Digital Twins"],
            "spatial": ["http://publications.europa.eu/resource/authority/continent/EUROPE"],
        },
    }
    data.update(overrides)
    return data


def settings(**overrides: Any) -> FederationSettings:
    return federation_settings_from_mapping(config(**overrides), source="test.toml")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return build_catalog()


@pytest.fixture(scope="module")
def graph(catalog: Catalog) -> Graph:
    return dcat_graph(catalog, settings())


@pytest.fixture(scope="module")
def graph_with_broker(catalog: Catalog) -> Graph:
    return dcat_graph(catalog, settings(broker_url=BROKER))


def literals(graph: Graph, subject: Node, predicate: URIRef) -> list[Literal]:
    values = list(graph.objects(subject, predicate))
    assert all(isinstance(v, Literal) for v in values), values
    return [v for v in values if isinstance(v, Literal)]


def only(graph: Graph, subject: Node, predicate: URIRef) -> Any:
    values = list(graph.objects(subject, predicate))
    assert len(values) == 1, f"{subject} {predicate}: {values}"
    return values[0]


# --------------------------------------------------------------------------------------------------
# Conformance to the official shapes


@pytest.mark.parametrize("broker", [False, True], ids=["without-broker", "with-broker"])
def test_conforms_to_semic_dcat_ap_shapes(catalog: Catalog, broker: bool) -> None:
    graph = dcat_graph(catalog, settings(broker_url=BROKER) if broker else settings())
    report = validate_dcat(graph, DCAT_SHAPES)
    assert report.conforms, report.text
    assert report.violations == ()


def test_crafted_catalogue_with_people_and_shared_assets_conforms() -> None:
    graph = dcat_graph(make_catalog(), settings(broker_url=BROKER))
    report = validate_dcat(graph, DCAT_SHAPES)
    assert report.conforms, report.text
    person = URIRef(BASE + "#contact-alpha-2")
    assert (person, RDF.type, VCARD.Individual) in graph
    assert str(only(graph, person, VCARD["organization-name"])) == "ACME (EU)"
    assert str(only(graph, person, VCARD.role)) == "Coordinator"


def test_recommended_shapes_only_warn(graph: Graph) -> None:
    recommended = run_shacl(graph, load_rdf_files(DCAT_SHAPES, RECOMMENDED_SHAPES))
    assert recommended.violations == (), recommended.text
    assert recommended.warnings, "expected the recommended shapes to flag something (e.g. dct:temporal)"
    assert all(issue.severity == "Warning" for issue in recommended.warnings)
    full = validate_dcat(graph, DCAT_SHAPES)
    assert {str(i) for i in recommended.warnings} <= {str(i) for i in full.warnings}
    mandatory_only = validate_dcat(graph, DCAT_SHAPES, recommended=False)
    assert len(mandatory_only.warnings) < len(full.warnings)


def test_distribution_without_access_url_is_a_violation(graph: Graph) -> None:
    bad = Graph() + graph
    distribution = URIRef(BASE + "#distribution-entities-jsonld")
    bad.remove((distribution, DCAT.accessURL, None))
    report = validate_dcat(bad, DCAT_SHAPES)
    assert not report.conforms
    assert any(
        i.path == "dcat:accessURL" and "#distribution-entities-jsonld" in i.focus_node
        for i in report.violations
    ), report.text


def test_catalog_without_title_or_publisher_is_a_violation(graph: Graph) -> None:
    bad = Graph() + graph
    catalog_iri = URIRef(BASE + "#catalog")
    bad.remove((catalog_iri, DCTERMS.title, None))
    bad.remove((catalog_iri, DCTERMS.publisher, None))
    report = validate_dcat(bad, DCAT_SHAPES)
    paths = {i.path for i in report.violations if "#catalog" in i.focus_node}
    assert {"dct:title", "dct:publisher"} <= paths, report.text


def test_non_iana_media_type_and_untyped_date_are_violations(graph: Graph) -> None:
    bad = Graph() + graph
    distribution = URIRef(BASE + "#distribution-catalog-ttl")
    bad.remove((distribution, DCAT.mediaType, None))
    bad.add((distribution, DCAT.mediaType, URIRef("https://example.org/media/turtle")))
    bad.add((URIRef("https://example.org/media/turtle"), RDF.type, DCTERMS.MediaType))
    # (on the catalogue: the official Dataset shape says sh:shape, not sh:node, so never checks it)
    bad.remove((URIRef(BASE + "#catalog"), DCTERMS.issued, None))
    bad.add((URIRef(BASE + "#catalog"), DCTERMS.issued, Literal("15 January 2025")))
    report = validate_dcat(bad, DCAT_SHAPES)
    paths = {i.path for i in report.violations}
    assert {"dcat:mediaType", "dct:issued"} <= paths, report.text


def test_missing_shapes_directory_is_a_clear_error(tmp_path: Path, graph: Graph) -> None:
    with pytest.raises(ShapesNotFound, match=r"missing shapes\.ttl"):
        validate_dcat(graph, tmp_path)


# --------------------------------------------------------------------------------------------------
# Layout


def test_catalog_has_publisher_multilingual_texts_licence_and_dates(graph: Graph) -> None:
    catalog_iri = URIRef(BASE + "#catalog")
    assert (catalog_iri, RDF.type, DCAT.Catalog) in graph
    titles = {(lit.language, str(lit)) for lit in literals(graph, catalog_iri, DCTERMS.title)}
    assert titles == {
        ("en", "Local Digital Twin initiatives"),
        ("de", "Initiativen für lokale digitale Zwillinge"),
    }
    assert {lit.language for lit in literals(graph, catalog_iri, DCTERMS.description)} == {"en", "fr"}
    publisher = only(graph, catalog_iri, DCTERMS.publisher)
    assert publisher == URIRef(BASE + "#publisher")
    assert str(only(graph, publisher, URIRef("http://xmlns.com/foaf/0.1/name"))) == "Example Publisher"
    licence = URIRef("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0")
    assert only(graph, catalog_iri, DCTERMS.license) == licence
    assert only(graph, catalog_iri, DCTERMS.issued) == Literal("2025-01-15", datatype=XSD.date)
    assert only(graph, catalog_iri, DCTERMS.modified) == Literal("2025-06-30", datatype=XSD.date)
    languages = set(graph.objects(catalog_iri, DCTERMS.language))
    assert languages == {URIRef(f"{EU_AUTHORITY}language/ENG"), URIRef(f"{EU_AUTHORITY}language/DEU")}


def test_distributions_carry_media_types_and_urls_from_base_url(graph: Graph) -> None:
    dataset = only(graph, URIRef(BASE + "#catalog"), DCAT.dataset)
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    distributions = set(graph.objects(dataset, DCAT.distribution))
    assert len(distributions) == len(DISTRIBUTIONS) == 3
    by_url = {str(only(graph, d, DCAT.accessURL)): d for d in distributions}
    assert set(by_url) == {BASE + "entities.jsonld", BASE + "catalog.ttl", BASE + "entities.ttl"}
    expected = {
        "entities.jsonld": "application/ld+json",
        "catalog.ttl": "text/turtle",
        "entities.ttl": "text/turtle",
    }
    for file_name, media_type in expected.items():
        distribution = by_url[BASE + file_name]
        assert str(only(graph, distribution, DCAT.downloadURL)) == BASE + file_name
        assert only(graph, distribution, DCAT.mediaType) == URIRef(IANA_MEDIA_TYPES + media_type)
        assert str(only(graph, distribution, DCTERMS["format"])).startswith(f"{EU_AUTHORITY}file-type/")
        assert (distribution, DCTERMS.license, None) in graph


def test_every_initiative_asset_is_a_dcat_resource_with_contacts(catalog: Catalog, graph: Graph) -> None:
    catalog_iri = URIRef(BASE + "#catalog")
    listed = set(graph.objects(catalog_iri, DCAT.resource))
    for initiative in catalog.initiatives:
        for link in initiative.assets:
            node = URIRef(link.url)
            assert node in listed
            assert (node, RDF.type, DCAT.Resource) in graph
            assert Literal(link.title, lang="en") in set(graph.objects(node, DCTERMS.title))
            assert (
                node,
                DCTERMS.isReferencedBy,
                URIRef(f"urn:ngsi-ld:Initiative:{initiative.slug}"),
            ) in graph
            contacts = set(graph.objects(node, DCAT.contactPoint))
            assert len(contacts) == len(initiative.contacts)
            assert all((c, RDF.type, VCARD.Kind) in graph for c in contacts)
    toolbox_contact = URIRef(BASE + "#contact-eu-ldt-toolbox-1")
    assert (toolbox_contact, VCARD.hasEmail, URIRef("mailto:contact@ldt-toolbox.eu")) in graph
    duet_contact = URIRef(BASE + "#contact-duet-1")
    assert (duet_contact, VCARD.hasURL, URIRef("https://www.digitalurbantwins.com/contact-8")) in graph


def test_dataset_contact_point_is_a_vcard(graph: Graph) -> None:
    contact = only(graph, URIRef(BASE + "#dataset"), DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in graph
    assert (contact, VCARD.hasEmail, URIRef("mailto:ldt@example.org")) in graph
    assert str(only(graph, contact, VCARD.fn)) == "Example Publisher"


def test_themes_come_from_the_eu_data_theme_vocabulary(graph: Graph) -> None:
    themes = set(graph.objects(None, DCAT.theme))
    assert themes == {URIRef(f"{DATA_THEME}/TECH"), URIRef(f"{DATA_THEME}/REGI")}
    assert only(graph, URIRef(BASE + "#catalog"), DCAT.themeTaxonomy) == URIRef(DATA_THEME)
    with pytest.raises(FederationConfigError, match=r"test.toml: catalog.themes: 'SMART' is not in the EU"):
        settings(catalog={**config()["catalog"], "themes": ["SMART"]})


def test_data_service_only_when_a_broker_is_configured(graph: Graph, graph_with_broker: Graph) -> None:
    assert not set(graph.subjects(RDF.type, DCAT.DataService))
    assert (None, DCAT.service, None) not in graph
    services = set(graph_with_broker.subjects(RDF.type, DCAT.DataService))
    assert services == {URIRef(BASE + "#broker")}
    service = URIRef(BASE + "#broker")
    assert only(graph_with_broker, URIRef(BASE + "#catalog"), DCAT.service) == service
    assert only(graph_with_broker, service, DCAT.endpointURL) == URIRef(BROKER)
    assert only(graph_with_broker, service, DCTERMS.conformsTo) == URIRef(NGSI_LD_STANDARD)
    assert only(graph_with_broker, service, DCAT.servesDataset) == URIRef(BASE + "#dataset")
    via_broker = [
        d
        for d in graph_with_broker.objects(URIRef(BASE + "#dataset"), DCAT.distribution)
        if (d, DCAT.accessService, service) in graph_with_broker
    ]
    assert len(via_broker) == 1


# --------------------------------------------------------------------------------------------------
# Determinism and JSON-LD


def test_exports_are_deterministic(catalog: Catalog) -> None:
    first, second = dcat_graph(catalog, settings()), dcat_graph(build_catalog(), settings())
    assert isomorphic(first, second)
    assert first.serialize(format="turtle") == second.serialize(format="turtle")
    assert json.dumps(dcat_jsonld(first), sort_keys=True) == json.dumps(dcat_jsonld(second), sort_keys=True)
    dates = {str(o) for o in first.objects(None, DCTERMS.issued)} | {
        str(o) for o in first.objects(None, DCTERMS.modified)
    }
    assert dates == {"2025-01-15", "2025-06-30"}


def test_jsonld_is_compact_offline_and_round_trips(graph_with_broker: Graph) -> None:
    document = dcat_jsonld(graph_with_broker)
    assert isinstance(document["@context"], dict)
    ids = [node["@id"] for node in document["@graph"]]
    assert ids == sorted(ids)

    def refuse(url: str, options: Any = None) -> Any:
        raise AssertionError(f"network access attempted: {url}")

    nquads = jsonld.to_rdf(
        json.loads(json.dumps(document)), {"format": "application/n-quads", "documentLoader": refuse}
    )
    back = Graph().parse(data=nquads, format="nt")
    if not isomorphic(back, graph_with_broker):
        _, only_back, only_graph = graph_diff(to_isomorphic(back), to_isomorphic(graph_with_broker))
        pytest.fail(
            "JSON-LD does not round-trip:\nonly in JSON-LD:\n"
            + only_back.serialize(format="turtle")
            + "\nonly in graph:\n"
            + only_graph.serialize(format="turtle")
        )


# --------------------------------------------------------------------------------------------------
# Config


def test_example_config_loads_and_conforms(catalog: Catalog) -> None:
    loaded = load_federation_settings(EXAMPLE_CONFIG, build_date=date(2025, 6, 30))
    assert loaded.base_url.startswith("https://EXAMPLE.org/")
    assert loaded.gaiax is not None and loaded.gaiax.legal_name.startswith("EXAMPLE")
    assert "AN EXAMPLE" in EXAMPLE_CONFIG.read_text(encoding="utf-8").splitlines()[0]
    if (DCAT_SHAPES / "shapes.ttl").is_file():
        report = validate_dcat(dcat_graph(catalog, loaded), DCAT_SHAPES)
        assert report.conforms, report.text


def test_cli_overrides_and_build_date(tmp_path: Path) -> None:
    path = tmp_path / "federation.toml"
    path.write_text(
        EXAMPLE_CONFIG.read_text(encoding="utf-8").replace("issued = 2025-01-15", ""), encoding="utf-8"
    )
    loaded = load_federation_settings(
        path, base_url="https://other.example.org/x", broker_url=BROKER, build_date=date(2026, 2, 1)
    )
    assert loaded.base_url == "https://other.example.org/x/"
    assert loaded.broker_url == BROKER
    assert loaded.issued == loaded.modified == date(2026, 2, 1)


def test_missing_config_values_name_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "federation.toml"
    path.write_text(
        '[publisher]\nurl = "not a url"\nemail = "nobody"\n[catalog]\nthemes = ["TECH"]\n', encoding="utf-8"
    )
    with pytest.raises(FederationConfigError) as caught:
        load_federation_settings(path)
    message = str(caught.value)
    for key in (
        "base_url",
        "catalog.title",
        "catalog.description",
        "catalog.license",
        "catalog.issued",
        "catalog.modified",
        "publisher.name",
        "publisher.url",
        "publisher.email",
    ):
        assert f"{path}: {key}:" in message, message


def test_unreadable_config_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FederationConfigError, match="cannot read"):
        load_federation_settings(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("title = [", encoding="utf-8")
    with pytest.raises(FederationConfigError, match="not valid TOML"):
        load_federation_settings(broken)
