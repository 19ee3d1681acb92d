"""SHACL with pySHACL: run shapes over a graph and report every result readably.

One runner serves every check: the catalogue's own shapes (``shapes/``), the SEMIC DCAT-AP shapes
and the Gaia-X shapes.  Results name the focus node (a blank node through the triple that points
at it), the path, the message and the value at fault.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rdflib import BNode, Graph, Namespace, URIRef
from rdflib.namespace import RDF, SH, XSD
from rdflib.term import Node

from ldt_catalog.errors import LdtCatalogError


class ShapesNotFound(LdtCatalogError):
    """A SHACL shapes directory does not hold the files the validation needs."""


@dataclass(frozen=True, order=True)
class ShaclIssue:
    """One SHACL result: where (focus node, path), what (message), and the value at fault."""

    focus_node: str
    path: str
    message: str
    severity: str
    value: str = ""
    source_shape: str = ""
    focus: Node | None = field(default=None, compare=False, repr=False)
    """The focus node itself, to map it back to the page line it came from."""

    def __str__(self) -> str:
        where = f"{self.focus_node} {self.path}".strip()
        value = f" (value: {self.value})" if self.value else ""
        return f"{self.severity}: {where}: {self.message}{value}"


@dataclass(frozen=True)
class ShaclReport:
    """The outcome of a SHACL run: the violations and the warnings (info results count as warnings)."""

    violations: tuple[ShaclIssue, ...]
    warnings: tuple[ShaclIssue, ...]

    @property
    def conforms(self) -> bool:
        return not self.violations

    @property
    def text(self) -> str:
        lines = [f"{len(self.violations)} violation(s), {len(self.warnings)} warning(s)"]
        lines += [str(issue) for issue in (*self.violations, *self.warnings)]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.text

    def merged(self, other: ShaclReport, *, as_warnings: bool = False) -> ShaclReport:
        if as_warnings:
            extra = tuple(_as_warning(i) for i in (*other.violations, *other.warnings))
            return ShaclReport(self.violations, tuple(sorted({*self.warnings, *extra})))
        return ShaclReport(
            tuple(sorted({*self.violations, *other.violations})),
            tuple(sorted({*self.warnings, *other.warnings})),
        )


def _as_warning(issue: ShaclIssue) -> ShaclIssue:
    return replace(issue, severity="Warning")


def load_rdf_files(directory: Path, names: Sequence[str]) -> Graph:
    """The named Turtle files of ``directory`` parsed into one graph, cached per (dir, names)."""
    missing = [name for name in names if not (directory / name).is_file()]
    if missing:
        raise ShapesNotFound(f"{directory}: missing {', '.join(missing)} (expected the official SHACL files)")
    return _load_rdf_files(str(directory.resolve()), tuple(names))


@functools.cache
def _load_rdf_files(directory: str, names: tuple[str, ...]) -> Graph:
    graph = Graph()
    for name in names:
        graph.parse(Path(directory) / name, format="turtle")
    return graph


DISPLAY_PREFIXES: dict[str, str] = {
    "adms": "http://www.w3.org/ns/adms#",
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcatap": "http://data.europa.eu/r5r/",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "ldt": "https://w3id.org/ldt-catalog#",
    "ngsi-ld": "https://uri.etsi.org/ngsi-ld/",
    "schema": "https://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": str(XSD),
    "gx": "https://w3id.org/gaia-x/development#",
    "sh": str(SH),
    "rdf": str(RDF),
}
"""Prefixes used to print the nodes and paths of SHACL results (the data's own are ignored)."""


@functools.cache
def _display_graph(prefixes: tuple[tuple[str, str], ...]) -> Graph:
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in prefixes:
        graph.bind(prefix, Namespace(namespace), override=True, replace=True)
    return graph


@dataclass(frozen=True)
class _Display:
    """How results are printed: IRIs with ``names``' prefixes, blank nodes through ``data``'s triples."""

    names: Graph
    data: Graph


def run_shacl(
    data: Graph,
    shapes: Graph,
    *,
    ont_graph: Graph | None = None,
    prefixes: Mapping[str, str] = DISPLAY_PREFIXES,
    ignore_focus: Collection[Node] = (),
    advanced: bool = True,
    inplace: bool = False,
) -> ShaclReport:
    """Validate ``data`` with pySHACL (no inference) and sort the results into a ``ShaclReport``.

    Focus nodes, paths and values are printed with ``prefixes``; a blank node is shown with the
    triple that points at it.  Results about a node of ``ignore_focus`` are left out (a chunk of a
    larger graph holds some nodes only as context).  ``advanced`` turns on SHACL-AF, which shapes
    without rules or custom targets do not need.  ``inplace`` lets pySHACL work on ``data`` itself
    instead of a copy (with an ontology graph, the ontology is then added to ``data``).
    """
    from pyshacl import validate  # imported lazily: it is slow to import and only needed here

    _conforms, results, _text = validate(
        data,
        shacl_graph=shapes,
        ont_graph=ont_graph,
        inference="none",
        allow_warnings=True,
        allow_infos=True,
        advanced=advanced,
        inplace=inplace,
    )
    assert isinstance(results, Graph)
    display = _Display(_display_graph(tuple(prefixes.items())), data)
    violations: list[ShaclIssue] = []
    warnings: list[ShaclIssue] = []
    top_level = [
        r
        for report in results.subjects(RDF.type, SH.ValidationReport)
        for r in results.objects(report, SH.result)
    ]  # not the sh:detail of sh:node results
    for result in top_level:
        if ignore_focus and results.value(result, SH.focusNode) in ignore_focus:
            continue
        issue = _issue(results, shapes, result, display)
        (violations if issue.severity == "Violation" else warnings).append(issue)
    return ShaclReport(tuple(sorted(set(violations))), tuple(sorted(set(warnings))))


def _issue(results: Graph, shapes: Graph, result: Node, data: _Display) -> ShaclIssue:
    def one(predicate: URIRef) -> Node | None:
        return results.value(result, predicate)

    severity = one(SH.resultSeverity)
    shape = one(SH.sourceShape)
    messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
    description = shapes.value(shape, SH.description) if shape is not None else None
    if description is not None:
        messages.append(str(description))
    value = one(SH.value)
    return ShaclIssue(
        focus=one(SH.focusNode),
        focus_node=_show(one(SH.focusNode), data),
        path=_show_path(results, one(SH.resultPath), data),
        message=" — ".join(messages) or _show(one(SH.sourceConstraintComponent), data),
        severity=_show(severity, data).rsplit(":", 1)[-1].rsplit("#", 1)[-1] if severity else "Violation",
        value=_show(value, data) if value is not None else "",
        source_shape=_show(shape, data) if isinstance(shape, URIRef) else "",
    )


def show_iri(iri: URIRef, prefixes: Mapping[str, str] = DISPLAY_PREFIXES) -> str:
    """An IRI as results are printed: a prefixed name with one of ``prefixes``, else ``<iri>``."""
    return _show_iri(iri, _display_graph(tuple(prefixes.items())))


def _show_iri(iri: URIRef, names: Graph) -> str:
    try:
        return names.namespace_manager.normalizeUri(iri)
    except Exception:  # pragma: no cover - rdflib refuses some IRIs as prefixed names
        return f"<{iri}>"


def _show(node: Node | None, display: _Display) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        return _show_iri(node, display.names)
    if isinstance(node, BNode):
        referrer = next(iter(display.data.subject_predicates(node)), None)
        if referrer is not None and not isinstance(referrer[0], BNode):
            return f"[] (the {_show(referrer[1], display)} of {_show(referrer[0], display)})"
        return "[]"
    return node.n3()


def _show_path(results: Graph, path: Node | None, display: _Display) -> str:
    if isinstance(path, BNode):
        inverse = results.value(path, SH.inversePath)
        if inverse is not None:
            return f"^{_show(inverse, display)}"
    return _show(path, display)
