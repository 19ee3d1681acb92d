"""Every shipped query (queries/*.rq) with its exact rows, on the seed and on a crafted catalogue.

The seed has no mentions and no initiative without a contact, so a crafted page set (written
here as markdown and built with the real importer) makes those queries return rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from ldt_catalog.cli import main
from ldt_catalog.consume import sparql
from tests.conftest import ROOT, SEED_DIR

QUERIES = ROOT / "queries"
TOOLBOX = "urn:ngsi-ld:Initiative:eu-ldt-toolbox"
DUET = "urn:ngsi-ld:Initiative:duet"
LDT_CLUSTER = "urn:ngsi-ld:Cluster:local-digital-twins-related-initiatives"
PAGE = "Local_Digital_Twins_Related_Initiatives.md"
FIWARE = "urn:ngsi-ld:Initiative:fiware"
SMARTTOWN = "urn:ngsi-ld:Initiative:smarttown"
CITYTWIN = "urn:ngsi-ld:Initiative:citytwin"

DATA_PLATFORMS = """\
# Data Platforms

Open platforms that local digital twins build on.

## FIWARE – Future Internet Ware

**Short Description:**
FIWARE is an open source framework of components, among them NGSI-LD context brokers, for smart solutions.

**Webpage / Reference Link:**
[https://www.fiware.org](https://www.fiware.org)

**Main contact point:**
- founders@fiware.org

## SmartTown – Smart Town Pilot

**Short Description:**
SmartTown builds its town twin on Fiware components.

**Key Assets and Resources:**
[[Pilot Report](https://smarttown.example.org/report)]

**Webpage / Reference Link:**
[https://smarttown.example.org](https://smarttown.example.org)
"""

URBAN_TWINS = """\
# Urban Twins

## CityTwin – City Digital Twin

**Short Description:**
A twin for a whole city, building on the SmartTown pilot.

**Relevance to LDT4SSC:**
- **Reuse:** Reuses the results of the SmartTown pilot.
- Shares its code openly.

**Webpage / Reference Link:**
[https://citytwin.example.org](https://citytwin.example.org)

**Main contact point:**
- jane@citytwin.example.org
- [Contact form](https://citytwin.example.org/contact)
"""


def _build(pages: Path, out: Path) -> Path:
    assert main(["build", str(pages), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="session")
def seed_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(SEED_DIR, tmp_path_factory.mktemp("seed-export") / "dist")


@pytest.fixture(scope="session")
def crafted_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pages = tmp_path_factory.mktemp("crafted-pages")
    (pages / "Data_Platforms.md").write_text(DATA_PLATFORMS, encoding="utf-8")
    (pages / "Urban_Twins.md").write_text(URBAN_TWINS, encoding="utf-8")
    return _build(pages, tmp_path_factory.mktemp("crafted-export") / "dist")


@pytest.fixture(scope="session")
def seed_store(seed_export: Path) -> ox.Store:
    return sparql.load_store(seed_export)


@pytest.fixture(scope="session")
def crafted_store(crafted_export: Path) -> ox.Store:
    return sparql.load_store(crafted_export)


def rows(store: ox.Store, name: str) -> list[tuple[str | None, ...]]:
    result = sparql.run_query(store, (QUERIES / f"{name}.rq").read_text(encoding="utf-8"))
    assert result.kind == "select"
    return result.values()


def header(store: ox.Store, name: str) -> list[str]:
    return sparql.run_query(store, (QUERIES / f"{name}.rq").read_text(encoding="utf-8")).variables


# -- the seed -------------------------------------------------------------------------------------

SEED_EXPECTED: dict[str, list[tuple[str | None, ...]]] = {
    "initiatives-per-cluster": [
        (LDT_CLUSTER, "Local Digital Twins Related Initiatives", "2", DUET, "DUET"),
        (LDT_CLUSTER, "Local Digital Twins Related Initiatives", "2", TOOLBOX, "EU LDT Toolbox"),
    ],
    "contact-points": [
        (
            DUET,
            "DUET",
            None,
            None,
            None,
            None,
            "https://www.digitalurbantwins.com/contact-8",
            "DUET Contact Page",
        ),
        (TOOLBOX, "EU LDT Toolbox", None, None, None, "contact@ldt-toolbox.eu", None, None),
    ],
    "fiware-ngsi-ld": [
        (TOOLBOX, "EU LDT Toolbox", "description", "1", "FIWARE, NGSI-LD"),
        (TOOLBOX, "EU LDT Toolbox", "keyRole", "1", "FIWARE, NGSI-LD"),
        (TOOLBOX, "EU LDT Toolbox", "keyRoleItem", "1", "FIWARE, NGSI-LD"),
        (TOOLBOX, "EU LDT Toolbox", "relevance", "1", "FIWARE, NGSI-LD"),
        (TOOLBOX, "EU LDT Toolbox", "relevanceItem", "1", "FIWARE, NGSI-LD"),
    ],
    "assets-per-initiative": [
        (DUET, "DUET", "https://www.digitalurbantwins.com/digitaltwindemo", "City Twin Platform Demo"),
        (DUET, "DUET", "https://www.digitalurbantwins.com/policy-making-outputs", "Policy-Making Outputs"),
        (DUET, "DUET", "https://www.digitalurbantwins.com/research-outputs", "Research Outputs"),
        (DUET, "DUET", "https://www.digitalurbantwins.com/technology-outputs", "Technology Outputs"),
        (
            TOOLBOX,
            "EU LDT Toolbox",
            "https://interoperable-europe.ec.europa.eu/collection/ldttoolbox",
            "EU LDT Toolbox Resources",
        ),
    ],
    "initiatives-without-contact": [],
    "related-initiatives": [
        (DUET, "DUET", "same cluster", TOOLBOX, "EU LDT Toolbox"),
        (TOOLBOX, "EU LDT Toolbox", "same cluster", DUET, "DUET"),
    ],
    "webpages": [
        (DUET, "DUET", "Digital Urban European Twins", "https://www.digitalurbantwins.com"),
        (
            TOOLBOX,
            "EU LDT Toolbox",
            "European Local Digital Twins Toolbox",
            "https://interoperable-europe.ec.europa.eu/collection/ldttoolbox",
        ),
    ],
    "relevance-lead-ins": [
        (
            DUET,
            "DUET",
            "Integrating interoperability principles",
            "Aligning with EU digital twin frameworks, standards, and cross-sector use cases.",
        ),
        (
            DUET,
            "DUET",
            "Policy-Ready Data as a Service (PRDaaS)",
            "Offering cities ready-to-use data services for better policy design and implementation.",
        ),
        (
            DUET,
            "DUET",
            "Supporting decision-makers",
            "Providing user-friendly dashboards for policy simulation, foresight, and emergency coordination.",
        ),
        (
            TOOLBOX,
            "EU LDT Toolbox",
            "Best Practices and Governance Models",
            "Providing guidelines and governance frameworks in line with EU rules.",
        ),
        (
            TOOLBOX,
            "EU LDT Toolbox",
            "Catalogue of LDT Tools and Services",
            "Offering resources for data integration, AI modelling, and visualization.",
        ),
        (
            TOOLBOX,
            "EU LDT Toolbox",
            "Integration with EU Data Spaces",
            "Facilitating interoperability with Gaia-X, FIWARE, NGSI-LD for scalable and replicable deployments.",
        ),
        (
            TOOLBOX,
            "EU LDT Toolbox",
            "Supporting Real-World LDT Pilots",
            "Providing facilities for testing, validation, and scaling LDT pilots in realistic urban settings.",
        ),
    ],
}

HEADERS = {
    "initiatives-per-cluster": ["cluster", "clusterName", "initiatives", "initiative", "name"],
    "contact-points": [
        "initiative",
        "initiativeName",
        "name",
        "role",
        "organization",
        "email",
        "url",
        "note",
    ],
    "fiware-ngsi-ld": ["initiative", "name", "field", "texts", "terms"],
    "assets-per-initiative": ["initiative", "name", "asset", "title"],
    "initiatives-without-contact": ["initiative", "name", "page", "line"],
    "related-initiatives": ["initiative", "name", "relation", "other", "otherName"],
    "webpages": ["initiative", "name", "title", "webpage"],
    "relevance-lead-ins": ["initiative", "name", "leadIn", "detail"],
}

GRAPH_QUERIES = {"cluster-overview"}


def test_every_shipped_query_is_tested() -> None:
    shipped = {path.stem for path in QUERIES.glob("*.rq")}
    assert shipped == set(SEED_EXPECTED) | GRAPH_QUERIES
    assert len(shipped) >= 6


@pytest.mark.parametrize("name", sorted(SEED_EXPECTED))
def test_seed_rows(seed_store: ox.Store, name: str) -> None:
    assert header(seed_store, name) == HEADERS[name]
    assert rows(seed_store, name) == SEED_EXPECTED[name]


@pytest.mark.parametrize("path", sorted(QUERIES.glob("*.rq")), ids=lambda p: p.stem)
def test_each_query_is_commented_and_declares_its_prefixes(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# ") and sparql.first_comment(path)
    store = ox.Store()  # no predeclared prefixes: the file must run on any SPARQL engine
    store.query(text)


def test_cluster_overview_graph(seed_store: ox.Store) -> None:
    result = sparql.run_query(seed_store, (QUERIES / "cluster-overview.rq").read_text(encoding="utf-8"))
    assert result.kind == "graph"
    triples = {(t.subject.value, t.predicate.value, t.object.value) for t in result.triples}
    schema, dcterms = "https://schema.org/", "http://purl.org/dc/terms/"
    assert triples == {
        (
            LDT_CLUSTER,
            "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
            "http://www.w3.org/2004/02/skos/core#Collection",
        ),
        (LDT_CLUSTER, f"{schema}name", "Local Digital Twins Related Initiatives"),
        (LDT_CLUSTER, f"{dcterms}hasPart", DUET),
        (LDT_CLUSTER, f"{dcterms}hasPart", TOOLBOX),
        (DUET, f"{schema}name", "DUET"),
        (DUET, f"{schema}url", "https://www.digitalurbantwins.com"),
        (TOOLBOX, f"{schema}name", "EU LDT Toolbox"),
        (TOOLBOX, f"{schema}url", "https://interoperable-europe.ec.europa.eu/collection/ldttoolbox"),
    }


# -- the crafted catalogue: mentions, a missing contact, two clusters -----------------------------

CRAFTED_EXPECTED: dict[str, list[tuple[str | None, ...]]] = {
    "initiatives-per-cluster": [
        ("urn:ngsi-ld:Cluster:data-platforms", "Data Platforms", "2", FIWARE, "FIWARE"),
        ("urn:ngsi-ld:Cluster:data-platforms", "Data Platforms", "2", SMARTTOWN, "SmartTown"),
        ("urn:ngsi-ld:Cluster:urban-twins", "Urban Twins", "1", CITYTWIN, "CityTwin"),
    ],
    "initiatives-without-contact": [(SMARTTOWN, "SmartTown", "Data_Platforms.md", "16")],
    "related-initiatives": [
        (CITYTWIN, "CityTwin", "mentions", SMARTTOWN, "SmartTown"),
        (FIWARE, "FIWARE", "same cluster", SMARTTOWN, "SmartTown"),
        (SMARTTOWN, "SmartTown", "mentioned by", CITYTWIN, "CityTwin"),
        (SMARTTOWN, "SmartTown", "same cluster", FIWARE, "FIWARE"),
    ],
    # "Fiware" in SmartTown's text: the search is case-insensitive (the importer's mentions are not)
    "fiware-ngsi-ld": [
        (FIWARE, "FIWARE", "description", "1", "FIWARE, NGSI-LD"),
        (SMARTTOWN, "SmartTown", "description", "1", "FIWARE"),
    ],
    "contact-points": [
        (
            CITYTWIN,
            "CityTwin",
            None,
            None,
            None,
            None,
            "https://citytwin.example.org/contact",
            "Contact form",
        ),
        (CITYTWIN, "CityTwin", None, None, None, "jane@citytwin.example.org", None, None),
        (FIWARE, "FIWARE", None, None, None, "founders@fiware.org", None, None),
    ],
    "assets-per-initiative": [
        (SMARTTOWN, "SmartTown", "https://smarttown.example.org/report", "Pilot Report"),
    ],
    "relevance-lead-ins": [
        (CITYTWIN, "CityTwin", "Reuse", "Reuses the results of the SmartTown pilot."),
    ],
    "webpages": [
        (CITYTWIN, "CityTwin", "City Digital Twin", "https://citytwin.example.org"),
        (FIWARE, "FIWARE", "Future Internet Ware", "https://www.fiware.org"),
        (SMARTTOWN, "SmartTown", "Smart Town Pilot", "https://smarttown.example.org"),
    ],
}


@pytest.mark.parametrize("name", sorted(CRAFTED_EXPECTED))
def test_crafted_rows(crafted_store: ox.Store, name: str) -> None:
    assert rows(crafted_store, name) == CRAFTED_EXPECTED[name]


def test_mentions_are_in_the_export_both_ways(crafted_store: ox.Store) -> None:
    text = "ASK { <%s> schema:mentions <%s> }"
    assert sparql.run_query(crafted_store, text % (CITYTWIN, SMARTTOWN)).boolean is True
    assert sparql.run_query(crafted_store, text % (SMARTTOWN, CITYTWIN)).boolean is False


# -- the engine: formats, refusals, --with-entities -------------------------------------------------


def test_entities_go_to_their_own_graph(seed_export: Path) -> None:
    store = sparql.load_store(seed_export, with_entities=True)
    result = sparql.run_query(
        store,
        f"""
        SELECT ?name WHERE {{ GRAPH <{sparql.ENTITIES_GRAPH}> {{
          <{DUET}> schema:name/ngsi-ld:hasLanguageMap ?name }} }}""",
    )
    assert result.values() == [("DUET",)]
    plain = sparql.run_query(store, f"SELECT ?name WHERE {{ <{DUET}> schema:name ?name }}")
    assert plain.values() == [("DUET",)]  # the default graph stays the plain view


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", sparql.UpdateRefused),
        ("PREFIX ex: <http://example.org/>\n# comment\n delete where { ?s ?p ?o }", sparql.UpdateRefused),
        ("LOAD <http://example.org/data.ttl>", sparql.UpdateRefused),
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:1/sparql> { ?s ?p ?o } }", sparql.QueryRefused),
        ("SELEC ?x WHERE { ?x ?p ?o }", sparql.SparqlError),
    ],
)
def test_refusals(seed_store: ox.Store, text: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        sparql.run_query(seed_store, text)


def test_keywords_inside_strings_and_iris_are_not_refused(seed_store: ox.Store) -> None:
    text = 'SELECT ?x WHERE { VALUES ?x { "INSERT DATA" <http://example.org/SERVICE> } } # SERVICE <x>'
    assert len(sparql.run_query(seed_store, text).rows) == 2


def test_formats(seed_store: ox.Store) -> None:
    import json

    result = sparql.run_query(seed_store, (QUERIES / "webpages.rq").read_text(encoding="utf-8"))
    document: dict[str, Any] = json.loads(sparql.serialize(result, "json"))
    assert document["head"]["vars"] == ["initiative", "name", "title", "webpage"]
    first = document["results"]["bindings"][0]
    assert first["initiative"] == {"type": "uri", "value": DUET}
    assert first["name"] == {"type": "literal", "value": "DUET", "xml:lang": "en"}
    csv_lines = sparql.serialize(result, "csv").decode().splitlines()
    assert csv_lines[0] == "initiative,name,title,webpage"
    assert csv_lines[1] == f"{DUET},DUET,Digital Urban European Twins,https://www.digitalurbantwins.com"
    assert sparql.serialize(result, "tsv").decode().splitlines()[1].startswith(f'<{DUET}>\t"DUET"@en')
    table = sparql.serialize(result, "table").decode()
    assert table.endswith("(2 rows)\n") and "EU LDT Toolbox" in table
    parsed = ox.parse_query_results(sparql.serialize(result, "xml"), format=ox.QueryResultsFormat.XML)
    assert isinstance(parsed, ox.QuerySolutions) and len(list(parsed)) == 2
    with pytest.raises(sparql.SparqlError, match="table"):
        sparql.serialize(result, "turtle")


# -- the command ------------------------------------------------------------------------------------


def test_cli_query_by_name_csv(seed_export: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "contact-points", "--out", str(seed_export), "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "initiative,initiativeName,name,role,organization,email,url,note",
        f"{DUET},DUET,,,,,https://www.digitalurbantwins.com/contact-8,DUET Contact Page",
        f"{TOOLBOX},EU LDT Toolbox,,,,contact@ldt-toolbox.eu,,",
    ]


def test_cli_query_file_and_inline_text(seed_export: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", str(QUERIES / "webpages.rq"), "--out", str(seed_export)]) == 0
    assert "(2 rows)" in capsys.readouterr().out
    text = "SELECT (COUNT(?i) AS ?n) WHERE { ?i a schema:Project }"
    assert main(["query", text, "--out", str(seed_export), "--format", "json"]) == 0
    assert '"value": "2"' in capsys.readouterr().out
    padded = text + " " * 300  # longer than a file name may be
    assert main(["query", padded, "--out", str(seed_export), "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["n", "2"]


def test_cli_syntax_error_exit_1(seed_export: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "SELECT ?x WHERE { ?x ", "--out", str(seed_export)]) == 1
    assert "SPARQL syntax error" in capsys.readouterr().err


def test_cli_update_refused_exit_1(seed_export: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "CLEAR DEFAULT", "--out", str(seed_export)]) == 1
    assert "read-only" in capsys.readouterr().err


def test_cli_missing_export_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no dist/ here: the default folder is missing
    assert main(["query", "webpages"]) == 2
    assert "run `ldt-catalog build" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:  # a folder named on the command line
        main(["query", "webpages", "--out", str(tmp_path / "elsewhere")])
    assert exit_info.value.code == 2
    assert "no such file or directory" in capsys.readouterr().err


def test_cli_graph_needs_a_graph_format(seed_export: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "cluster-overview", "--out", str(seed_export), "--format", "csv"]) == 2
    assert "turtle" in capsys.readouterr().err
    assert main(["query", "cluster-overview", "--out", str(seed_export), "--format", "ntriples"]) == 0
    assert f"<{LDT_CLUSTER}> <http://purl.org/dc/terms/hasPart> <{DUET}> ." in capsys.readouterr().out


def test_cli_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["query", "--list"]) == 0
    out = capsys.readouterr().out
    assert "contact-points" in out and "All contact points" in out


def test_first_steps_are_in_the_top_level_help_only(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert out.count("first steps") == 1
    assert "ldt-catalog subscribe" in out and "ldt-catalog listen" in out and "ldt-catalog query" in out
    for command in ("subscribe", "subscriptions", "listen", "query", "serve"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "first steps" not in capsys.readouterr().out
