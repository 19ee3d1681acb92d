"""SPARQL over the exported catalogue, and a read-only SPARQL 1.1 Protocol endpoint.

``catalog.ttl`` (the plain-triples view) is loaded into the default graph of an in-memory
pyoxigraph store; ``entities.ttl`` (the NGSI-LD RDF of what the broker holds) is loaded, on
request, into the named graph ``ENTITIES_GRAPH`` so that its blank-node attribute values never
mix with the plain view.  pyoxigraph is used rather than rdflib: it loads and answers faster on our
exports, with identical results (figures in ``bench/README.md``).

Everything here is read-only.  SPARQL Update is refused (``UpdateRefused``) and so is
``SERVICE`` (``QueryRefused``): pyoxigraph would fetch the remote endpoint, and a public query
service must not make requests on behalf of its callers.

The endpoint speaks the query operation of the SPARQL 1.1 Protocol
(https://www.w3.org/TR/sparql11-protocol/):

* ``GET /sparql?query=...``; ``POST /sparql`` with ``application/x-www-form-urlencoded``
  (``query=...``) or ``application/sparql-query`` (the query as the body);
* results by content negotiation (``Accept``): SELECT and ASK as SPARQL results JSON (default),
  XML, CSV or TSV; CONSTRUCT and DESCRIBE as Turtle (default), N-Triples or RDF/XML; a type we
  cannot produce gives ``406``;
* a malformed query gives ``400`` with the parser's message (as the protocol says);
* an update request (``update=`` parameter or ``application/sparql-update`` body) gives ``403``:
  the request is well formed, the service understood it and refuses to perform it
  (RFC 9110 §15.5.4); a query that uses ``SERVICE`` is refused the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyoxigraph as ox

from ldt_catalog.consume.httpserver import BackgroundServer
from ldt_catalog.errors import LdtCatalogError

CATALOG_TTL = "catalog.ttl"
ENTITIES_TTL = "entities.ttl"
ENTITIES_GRAPH = "https://w3id.org/ldt-catalog/graph/entities"
"""Named graph that holds ``entities.ttl`` when it is loaded (``--with-entities``)."""

PREFIXES = {
    "ldt": "https://w3id.org/ldt-catalog#",
    "schema": "https://schema.org/",
    "dcterms": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "ngsi-ld": "https://uri.etsi.org/ngsi-ld/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
"""Prefixes every query may use without declaring them (a declaration in the query wins)."""

TABLE_CELL_WIDTH = 80


class SparqlError(LdtCatalogError):
    """The query is not valid SPARQL 1.1 (the message is the parser's, with line:column)."""


class UpdateRefused(SparqlError):
    """The text is a SPARQL Update; everything here is read-only."""


class QueryRefused(SparqlError):
    """The query is valid but uses a feature we do not run (``SERVICE``)."""


class DataMissing(LdtCatalogError):
    """The export to query does not exist yet."""


# -- loading ----------------------------------------------------------------------------------------


def load_store(data_dir: Path, with_entities: bool = False) -> ox.Store:
    """An in-memory store with ``DIR/catalog.ttl`` (and ``DIR/entities.ttl`` in ``ENTITIES_GRAPH``)."""
    files: list[tuple[Path, ox.NamedNode | None]] = [(data_dir / CATALOG_TTL, None)]
    if with_entities:
        files.append((data_dir / ENTITIES_TTL, ox.NamedNode(ENTITIES_GRAPH)))
    missing = [str(path) for path, _ in files if not path.is_file()]
    if missing:
        raise DataMissing(
            f"{', '.join(missing)} not found: run `ldt-catalog build --out {data_dir}` first "
            f"(or give --out DIR where the build wrote its files)"
        )
    store = ox.Store()
    for path, graph in files:
        try:
            store.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=graph)
        except SyntaxError as exc:
            raise SparqlError(f"{path}: not valid Turtle: {exc}") from exc
    return store


# -- queries ----------------------------------------------------------------------------------------

_STRINGS_AND_COMMENTS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*",
    re.S,
)
_PROLOGUE = re.compile(r"\s*(?:(?:PREFIX\s+[\w.-]*:|BASE)\s*<>\s*)*", re.I)
_UPDATE_START = re.compile(r"(?:INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b", re.I)
_SERVICE = re.compile(r"(?<![\w:?$])SERVICE\b", re.I)


def _skeleton(text: str) -> str:
    """The query with strings, IRIs and comments blanked out (keywords stay where they were)."""
    return _STRINGS_AND_COMMENTS.sub(lambda m: "<>" if m.group(0).startswith("<") else " ", text)


def is_update(text: str) -> bool:
    """Whether ``text`` starts (after its prologue) like a SPARQL Update operation."""
    skeleton = _skeleton(text)
    return bool(_UPDATE_START.match(skeleton, _PROLOGUE.match(skeleton).end()))  # type: ignore[union-attr]


def check_read_only(text: str) -> None:
    """Raise ``UpdateRefused`` or ``QueryRefused`` for what this module never runs."""
    if is_update(text):
        raise UpdateRefused(
            "SPARQL Update is refused: the catalogue export is read-only "
            "(change the knowledge-hub pages and run `ldt-catalog build` instead)"
        )
    if _SERVICE.search(_skeleton(text)):
        raise QueryRefused("SERVICE is refused: queries run over the local export only")


@dataclass
class QueryResult:
    """The answer to one query: ``kind`` is ``select``, ``ask`` or ``graph`` (CONSTRUCT/DESCRIBE)."""

    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[Any] = field(default_factory=list)

    def values(self) -> list[tuple[str | None, ...]]:
        """Each row as a tuple of plain strings (IRIs and literal values), in variable order."""
        return [tuple(term_text(row.get(v)) for v in self.variables) for row in self.rows]


def run_query(store: ox.Store, text: str) -> QueryResult:
    """Run a SELECT, ASK, CONSTRUCT or DESCRIBE query; ``SparqlError`` if it is not one."""
    check_read_only(text)
    try:
        answer = store.query(text, prefixes=PREFIXES)
    except SyntaxError as exc:
        raise SparqlError(f"SPARQL syntax error: {exc}") from exc
    except OSError as exc:
        raise SparqlError(f"query failed: {exc}") from exc
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult("ask", boolean=bool(answer))
    if isinstance(answer, ox.QuerySolutions):
        variables = [v.value for v in answer.variables]
        rows = []
        for solution in answer:
            rows.append({v: solution[v] for v in variables if solution[v] is not None})
        return QueryResult("select", variables=variables, rows=rows)
    return QueryResult("graph", triples=list(answer))


def term_text(term: Any) -> str | None:
    """A term as a person reads it: the IRI, the literal's lexical form, ``_:id`` for a blank node."""
    if term is None:
        return None
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value}"
    return str(term.value)


# -- serialization ----------------------------------------------------------------------------------

SELECT_TYPES = {
    "application/sparql-results+json": "json",
    "application/json": "json",
    "application/sparql-results+xml": "xml",
    "application/xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
    "text/plain": "ntriples",
    "application/rdf+xml": "rdfxml",
}
FORMAT_MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "ntriples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "table": "text/plain; charset=utf-8",
}
RESULT_FORMATS = ("table", "csv", "tsv", "json", "xml")
GRAPH_FORMATS = ("turtle", "ntriples", "rdfxml")


def _results_json(result: QueryResult) -> dict[str, Any]:
    """SPARQL 1.1 Query Results JSON (https://www.w3.org/TR/sparql11-results-json/)."""
    if result.kind == "ask":
        return {"head": {}, "boolean": result.boolean}

    def binding(term: Any) -> dict[str, str]:
        if isinstance(term, ox.NamedNode):
            return {"type": "uri", "value": term.value}
        if isinstance(term, ox.BlankNode):
            return {"type": "bnode", "value": term.value}
        value = {"type": "literal", "value": term.value}
        if term.language:
            value["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            value["datatype"] = term.datatype.value
        return value

    bindings = [{v: binding(t) for v, t in row.items()} for row in result.rows]
    return {"head": {"vars": result.variables}, "results": {"bindings": bindings}}


_OX_RESULT_FORMATS = {
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def _via_pyoxigraph(result: QueryResult, fmt: str) -> bytes:
    """XML, CSV or TSV results, written by pyoxigraph from our results JSON."""
    document = json.dumps(_results_json(result)).encode()
    parsed = ox.parse_query_results(document, format=ox.QueryResultsFormat.JSON)
    data = parsed.serialize(format=_OX_RESULT_FORMATS[fmt])
    assert isinstance(data, bytes)
    return data


def _table(result: QueryResult) -> str:
    """Aligned columns for a terminal; long or multi-line values are shortened (use csv/json for all)."""
    if result.kind == "ask":
        return ("yes" if result.boolean else "no") + "\n"

    def cell(value: str | None) -> str:
        text = " ".join((value or "").split())
        return text if len(text) <= TABLE_CELL_WIDTH else text[: TABLE_CELL_WIDTH - 1] + "…"

    header = list(result.variables)
    body = [[cell(v) for v in row] for row in result.values()]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in body)
    lines.append(f"({len(body)} row{'s' if len(body) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _graph(result: QueryResult, fmt: str) -> bytes:
    rdf_format = {
        "turtle": ox.RdfFormat.TURTLE,
        "ntriples": ox.RdfFormat.N_TRIPLES,
        "rdfxml": ox.RdfFormat.RDF_XML,
    }[fmt]
    prefixes = PREFIXES if fmt == "turtle" else None
    data = ox.serialize(result.triples, format=rdf_format, prefixes=prefixes)
    assert isinstance(data, bytes)
    return data


def serialize(result: QueryResult, fmt: str) -> bytes:
    """The result in ``fmt``: table/csv/tsv/json/xml for SELECT and ASK, turtle/ntriples/rdfxml for graphs.

    ``SparqlError`` if the format does not fit the kind of result.
    """
    if result.kind == "graph":
        if fmt == "table":
            fmt = "turtle"
        if fmt not in GRAPH_FORMATS:
            raise SparqlError(
                f"a CONSTRUCT/DESCRIBE result is a graph: use --format {' or '.join(GRAPH_FORMATS)}, not {fmt}"
            )
        return _graph(result, fmt)
    if fmt not in RESULT_FORMATS:
        raise SparqlError(
            f"a {result.kind.upper()} result is a table: use --format {', '.join(RESULT_FORMATS)}, not {fmt}"
        )
    if fmt == "json":
        return (json.dumps(_results_json(result), ensure_ascii=False, indent=1) + "\n").encode()
    if fmt in _OX_RESULT_FORMATS:
        return _via_pyoxigraph(result, fmt)
    return _table(result).encode()


# -- the SPARQL 1.1 Protocol endpoint ---------------------------------------------------------------


def _accepted(accept: str) -> Iterator[str]:
    """Media ranges of an Accept header, best first (q=0 dropped; stable for equal q)."""
    ranges: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media and quality > 0:
            ranges.append((-quality, index, media.lower()))
    for _, _, media in sorted(ranges):
        yield media


def negotiate(accept: str | None, kind: str) -> str | None:
    """The format to answer ``kind`` with for an Accept header; ``None`` if nothing fits (406)."""
    offered = GRAPH_TYPES if kind == "graph" else SELECT_TYPES
    default = "turtle" if kind == "graph" else "json"
    for media in _accepted(accept or "*/*"):
        if media in ("*/*", "application/*", "text/*") and (
            media == "*/*" or FORMAT_MEDIA_TYPES[default].startswith(media[:-1])
        ):
            return default
        if media in offered:
            return offered[media]
        if media.endswith("/*"):
            for candidate, fmt in offered.items():
                if candidate.startswith(media[:-1]):
                    return fmt
    return None


class SparqlServer(BackgroundServer):
    """A read-only SPARQL 1.1 Protocol endpoint over one store; ``/sparql`` is the service.

    Use as a context manager: ``with SparqlServer(store) as server: server.start(); server.url``.
    """

    thread_name = "sparql-endpoint"

    def __init__(self, store: ox.Store, host: str = "127.0.0.1", port: int = 0) -> None:
        self.store = store
        super().__init__((host, port), _SparqlHandler)

    @property
    def url(self) -> str:
        return f"{self.base_url}/sparql"


class _SparqlHandler(BaseHTTPRequestHandler):
    server: SparqlServer
    protocol_version = "HTTP/1.1"
    error_content_type = "text/plain; charset=utf-8"
    error_message_format = "%(code)d %(message)s: %(explain)s\n"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_OPTIONS(self) -> None:
        self.send_response(HTTPStatus.NO_CONTENT)
        self.send_header("Allow", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if not self._on_service(parts.path):
            return
        self._operation(parse_qs(parts.query, keep_blank_values=True), None)

    def do_POST(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if not self._on_service(parts.path):
            return
        params = parse_qs(parts.query, keep_blank_values=True)
        media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if media == "application/sparql-update":
            self._refuse_update()
        elif media == "application/x-www-form-urlencoded":
            form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
            self._operation({**params, **form}, None)
        elif media == "application/sparql-query":
            self._operation(params, body.decode("utf-8", "replace"))
        else:
            self._text(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                "POST a query as application/sparql-query or as the form field query= "
                "(application/x-www-form-urlencoded)\n",
            )

    def _on_service(self, path: str) -> bool:
        if path.rstrip("/") == "/sparql":
            return True
        self._text(HTTPStatus.NOT_FOUND, "the SPARQL service is at /sparql (GET ?query=... or POST)\n")
        return False

    def _operation(self, params: dict[str, list[str]], body_query: str | None) -> None:
        if "update" in params or "using-graph-uri" in params:
            self._refuse_update()
            return
        unsupported = [p for p in ("default-graph-uri", "named-graph-uri") if p in params]
        if unsupported:
            self._text(
                HTTPStatus.BAD_REQUEST,
                f"{', '.join(unsupported)} not supported: the dataset is fixed (catalog.ttl"
                f" as default graph, entities in <{ENTITIES_GRAPH}> when loaded)\n",
            )
            return
        queries = params.get("query", [])
        if body_query is not None:
            queries = [*queries, body_query]
        if len(queries) != 1 or not queries[0].strip():
            self._text(HTTPStatus.BAD_REQUEST, "give exactly one query (query=... or the request body)\n")
            return
        try:
            result = run_query(self.server.store, queries[0])
        except (UpdateRefused, QueryRefused) as exc:
            self._text(HTTPStatus.FORBIDDEN, f"{exc}\n")
            return
        except SparqlError as exc:
            self._text(HTTPStatus.BAD_REQUEST, f"{exc}\n")
            return
        fmt = negotiate(self.headers.get("Accept"), result.kind)
        if fmt is None:
            offered = GRAPH_TYPES if result.kind == "graph" else SELECT_TYPES
            self._text(
                HTTPStatus.NOT_ACCEPTABLE,
                f"cannot answer this {result.kind} query as {self.headers.get('Accept')}; "
                f"offered: {', '.join(offered)}\n",
            )
            return
        self._send(HTTPStatus.OK, FORMAT_MEDIA_TYPES[fmt], serialize(result, fmt))

    def _refuse_update(self) -> None:
        self._text(HTTPStatus.FORBIDDEN, "SPARQL Update is refused: this endpoint is read-only\n")

    def _text(self, status: HTTPStatus, text: str) -> None:
        self._send(status, "text/plain; charset=utf-8", text.encode())

    def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Vary", "Accept")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)


def read_query(argument: str) -> str:
    """QUERY as given on the command line: a ``.rq``/``.sparql`` file, ``-`` for stdin, or the text."""
    import sys

    if argument == "-":
        return sys.stdin.read()
    path = Path(argument)
    if path.suffix.lower() in (".rq", ".sparql") or _is_file(path):
        return path.read_text(encoding="utf-8")
    return argument


def _is_file(path: Path) -> bool:
    try:
        return "\n" not in str(path) and path.is_file()
    except OSError:  # e.g. a long inline query is "File name too long"
        return False


def first_comment(path: Path) -> str:
    """The title of a query file: its first ``#`` comment line, up to the first colon."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") and line.strip("# "):
            return line.lstrip("# ").split(":", 1)[0].strip()
    return ""
