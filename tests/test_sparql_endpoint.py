"""The read-only SPARQL 1.1 Protocol endpoint (``ldt-catalog serve``), over real HTTP on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import requests

from ldt_catalog.cli import main
from ldt_catalog.consume import sparql
from tests.conftest import SEED_DIR

NAMES = "SELECT ?name WHERE { ?i a schema:Project ; schema:name ?name } ORDER BY ?name"
GRAPH = "CONSTRUCT { ?i schema:name ?name } WHERE { ?i a schema:Project ; schema:name ?name }"
TIMEOUT = 5


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    out = tmp_path_factory.mktemp("endpoint") / "dist"
    assert main(["build", str(SEED_DIR), "--out", str(out), "--quiet"]) == 0
    server = sparql.SparqlServer(sparql.load_store(out)).start()
    try:
        assert server.server_address[0] == "127.0.0.1"
        yield server.url
    finally:
        server.stop()


def names_of(response: requests.Response) -> list[str]:
    return [b["name"]["value"] for b in response.json()["results"]["bindings"]]


def test_get_defaults_to_results_json(endpoint: str) -> None:
    response = requests.get(endpoint, params={"query": NAMES}, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/sparql-results+json"
    assert names_of(response) == ["DUET", "EU LDT Toolbox"]


def test_post_form_and_direct(endpoint: str) -> None:
    form = requests.post(endpoint, data={"query": NAMES}, timeout=TIMEOUT)
    assert form.status_code == 200 and names_of(form) == ["DUET", "EU LDT Toolbox"]
    direct = requests.post(
        endpoint, data=NAMES.encode(), timeout=TIMEOUT, headers={"Content-Type": "application/sparql-query"}
    )
    assert direct.status_code == 200 and names_of(direct) == ["DUET", "EU LDT Toolbox"]


@pytest.mark.parametrize(
    ("accept", "content_type", "first_line"),
    [
        ("text/csv", "text/csv; charset=utf-8", "name"),
        ("text/tab-separated-values", "text/tab-separated-values; charset=utf-8", "?name"),
        ("application/sparql-results+xml", "application/sparql-results+xml", '<?xml version="1.0"?><sparql'),
        ("text/html;q=0.9, text/csv;q=0.5", "text/csv; charset=utf-8", "name"),
        ("application/json", "application/sparql-results+json", "{"),
        ("*/*", "application/sparql-results+json", "{"),
    ],
)
def test_select_content_negotiation(endpoint: str, accept: str, content_type: str, first_line: str) -> None:
    response = requests.get(endpoint, params={"query": NAMES}, headers={"Accept": accept}, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    assert response.headers["Vary"] == "Accept"
    assert response.text.splitlines()[0].startswith(first_line)
    if accept == "text/csv":
        assert response.text.splitlines()[1:] == ["DUET", "EU LDT Toolbox"]


def test_ask(endpoint: str) -> None:
    response = requests.get(endpoint, params={"query": "ASK { ?i a schema:Project }"}, timeout=TIMEOUT)
    assert response.json() == {"head": {}, "boolean": True}


@pytest.mark.parametrize(
    ("accept", "content_type", "rdf_format"),
    [
        (None, "text/turtle; charset=utf-8", "turtle"),
        ("text/turtle", "text/turtle; charset=utf-8", "turtle"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
    ],
)
def test_construct_content_negotiation(
    endpoint: str, accept: str | None, content_type: str, rdf_format: str
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = requests.get(endpoint, params={"query": GRAPH}, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == content_type
    graph = rdflib.Graph().parse(data=response.content, format=rdf_format)
    assert sorted(str(o) for o in graph.objects()) == ["DUET", "EU LDT Toolbox"]


def test_not_acceptable(endpoint: str) -> None:
    response = requests.get(
        endpoint, params={"query": GRAPH}, headers={"Accept": "text/csv"}, timeout=TIMEOUT
    )
    assert response.status_code == 406
    assert "text/turtle" in response.text
    response = requests.get(
        endpoint, params={"query": NAMES}, headers={"Accept": "image/png"}, timeout=TIMEOUT
    )
    assert response.status_code == 406


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"method": "POST", "data": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
        {
            "method": "POST",
            "data": b"INSERT DATA { <urn:a> <urn:b> <urn:c> }",
            "headers": {"Content-Type": "application/sparql-update"},
        },
        {"method": "GET", "params": {"update": "CLEAR ALL"}},
        {"method": "GET", "params": {"query": "DROP ALL"}},
        {"method": "GET", "params": {"query": "SELECT * { SERVICE <http://127.0.0.1:9/x> { ?s ?p ?o } }"}},
    ],
    ids=["form-update", "sparql-update-body", "get-update", "update-as-query", "service"],
)
def test_updates_and_service_are_refused_with_403(endpoint: str, request_kwargs: dict[str, object]) -> None:
    method = str(request_kwargs.pop("method"))
    response = requests.request(method, endpoint, timeout=TIMEOUT, **request_kwargs)  # type: ignore[arg-type]
    assert response.status_code == 403
    assert "refused" in response.text
    still = requests.get(endpoint, params={"query": "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"}, timeout=TIMEOUT)
    assert int(still.json()["results"]["bindings"][0]["n"]["value"]) > 0


def test_bad_requests(endpoint: str) -> None:
    malformed = requests.get(endpoint, params={"query": "SELECT ?x WHERE {"}, timeout=TIMEOUT)
    assert malformed.status_code == 400 and "syntax error" in malformed.text
    assert requests.get(endpoint, timeout=TIMEOUT).status_code == 400  # no query
    two = requests.get(endpoint, params=[("query", NAMES), ("query", NAMES)], timeout=TIMEOUT)
    assert two.status_code == 400
    graphs = requests.get(endpoint, params={"query": NAMES, "default-graph-uri": "urn:x"}, timeout=TIMEOUT)
    assert graphs.status_code == 400
    other = requests.post(endpoint, data=NAMES, headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    assert other.status_code == 415
    assert requests.get(endpoint.replace("/sparql", "/other"), timeout=TIMEOUT).status_code == 404


def test_cors(endpoint: str) -> None:
    response = requests.options(endpoint, timeout=TIMEOUT)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    get = requests.get(endpoint, params={"query": NAMES}, timeout=TIMEOUT)
    assert get.headers["Access-Control-Allow-Origin"] == "*"


def test_results_json_matches_pyoxigraph(endpoint: str, tmp_path: Path) -> None:
    """Our SPARQL results JSON parses back into the same solutions with pyoxigraph's parser."""
    response = requests.get(endpoint, params={"query": NAMES}, timeout=TIMEOUT)
    parsed = ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
    assert isinstance(parsed, ox.QuerySolutions)
    assert [s["name"] for s in parsed] == [
        ox.Literal("DUET", language="en"),
        ox.Literal("EU LDT Toolbox", language="en"),
    ]
    assert json.loads(response.content)["head"]["vars"] == ["name"]


def test_negotiate() -> None:
    assert sparql.negotiate(None, "select") == "json"
    assert sparql.negotiate("text/*", "select") == "csv"
    assert sparql.negotiate("text/*", "graph") == "turtle"
    assert sparql.negotiate("application/json;q=0, text/csv", "ask") == "csv"
    assert sparql.negotiate("application/ld+json", "graph") is None


def test_serve_command_stops_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dist"
    assert main(["build", str(SEED_DIR), "--out", str(out), "--quiet"]) == 0

    def interrupted(self: sparql.SparqlServer, poll_interval: float = 0.5) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(sparql.SparqlServer, "serve_forever", interrupted)
    assert main(["serve", "--out", str(out), "--port", "0"]) == 0
    err = capsys.readouterr().err
    assert "SPARQL endpoint on http://127.0.0.1:" in err and "stopped" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", "--out", str(tmp_path / "missing"), "--port", "0"])
    assert exit_info.value.code == 2
