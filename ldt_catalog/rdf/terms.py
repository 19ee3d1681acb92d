"""Pure: the RDF terms our converter makes, subject trees, and their rdflib equivalents.

A ``Subject`` holds its predicate/object pairs in order, with the blank nodes under it nested as
``Subject`` objects, so that Turtle can write them as ``[ ... ]``; ``flatten`` gives the plain
triples.  ``to_graph`` loads trees into an rdflib ``Graph``, for SHACL, tests and small outputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ldt_catalog.errors import LdtCatalogError

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = RDF + "type"
RDF_LANG_STRING = RDF + "langString"
RDF_JSON = RDF + "JSON"
XSD_STRING = XSD + "string"
XSD_INTEGER = XSD + "integer"
XSD_DOUBLE = XSD + "double"
XSD_BOOLEAN = XSD + "boolean"


class UnsupportedJsonLd(LdtCatalogError):
    """A document uses a JSON-LD feature outside the subset this writer implements."""


@dataclass(frozen=True, slots=True)
class Iri:
    value: str


@dataclass(frozen=True, slots=True)
class BlankNode:
    label: str


@dataclass(frozen=True, slots=True)
class Literal:
    lexical: str
    datatype: str = XSD_STRING
    language: str | None = None


Term = Iri | BlankNode | Literal


@dataclass(slots=True)
class Subject:
    """A subject and its predicate/object pairs; nested blank nodes stay nested for Turtle."""

    term: Iri | BlankNode
    pairs: list[tuple[str, Term | Subject]] = field(default_factory=list)


class BlankNodeIssuer:
    def __init__(self, prefix: str = "b") -> None:
        self._prefix = prefix
        self._count = 0

    def new(self) -> BlankNode:
        self._count += 1
        return BlankNode(f"{self._prefix}{self._count}")

    def skip(self, count: int) -> None:
        """Leave ``count`` labels unused: those of blank nodes a writer did not need to make."""
        self._count += count


def flatten(subject: Subject) -> Iterator[tuple[Iri | BlankNode, str, Term]]:
    """The plain triples of a subject tree."""
    for predicate, obj in subject.pairs:
        if isinstance(obj, Subject):
            yield subject.term, predicate, obj.term
            yield from flatten(obj)
        else:
            yield subject.term, predicate, obj


def _rdflib_term(term: Term | Subject, bnodes: dict[str, Any]) -> Any:
    import rdflib

    if isinstance(term, Subject):
        term = term.term
    if isinstance(term, Iri):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        node = bnodes.get(term.label)
        if node is None:
            node = bnodes[term.label] = rdflib.BNode()
        return node
    if term.language is not None:
        return rdflib.Literal(term.lexical, lang=term.language)
    return rdflib.Literal(term.lexical, datatype=rdflib.URIRef(term.datatype))


def to_graph_term(term: Term) -> Any:
    """The rdflib term of one of ours (a blank node becomes a new one)."""
    return _rdflib_term(term, {})


def to_graph(subjects: Iterable[Subject], graph: Any = None) -> Any:
    """An rdflib ``Graph`` of the subjects (a new one unless ``graph`` is given)."""
    import rdflib

    target = graph if graph is not None else rdflib.Graph()
    bnodes: dict[str, Any] = {}
    for subject in subjects:
        for s, p, o in flatten(subject):
            target.add((_rdflib_term(s, bnodes), rdflib.URIRef(p), _rdflib_term(o, bnodes)))
    return target
