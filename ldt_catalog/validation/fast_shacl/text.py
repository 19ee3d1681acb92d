"""How pySHACL prints RDF nodes in its result messages, for the direct SHACL checker.

pySHACL's generic messages ("Less than 1 values on <focus>->schema:name") print nodes with its
``stringify_node``: an IRI with the graph's prefixes, a literal as ``Literal("5" = 5, datatype=...)``
and a blank node as its triples, ``[ p o ; ... ]``, predicates sorted.  The direct checker must
print them the same way, over the shapes graph (an rdflib ``Graph``) and over our data, which is
not in one: ``NodeText`` is that algorithm (pyshacl/rdfutil/stringify.py, 0.40) once, with two
ways of reading a node's triples.  tests/test_shacl_direct.py compares the messages with pySHACL's.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Generic, TypeVar

import rdflib
from rdflib.namespace import RDF, NamespaceManager

N = TypeVar("N")

_RECURSION_LIMIT = 12  # pySHACL gives up on nested blank nodes this deep


def iri_text(iri: rdflib.URIRef, names: NamespaceManager) -> str:
    try:
        return iri.n3(namespace_manager=names)
    except Exception:  # as pySHACL: rdflib refuses some IRIs
        return str(iri)


def literal_text(literal: rdflib.Literal, names: NamespaceManager) -> str:
    """``Literal("05" = 5, datatype=xsd:integer)``: the lexical form, the value if it differs."""
    lexical = str(literal)
    value = None if literal.value is None else str(literal.value)
    if value is not None and value.find(" object at 0x") > 0:
        value = value[: value.find(" object at 0x")]
    text = f'"{lexical}" = {value}' if value is not None and value != lexical else f'"{lexical}"'
    if literal.language:
        text += f", lang={literal.language}"
    if literal.datatype:
        text += f", datatype={iri_text(literal.datatype, names)}"
    return f"Literal({text})"


class NodeText(ABC, Generic[N]):
    """``stringify_node`` over some graph: IRIs named with ``names``' prefixes."""

    def __init__(self, names: NamespaceManager) -> None:
        self.names = names

    @abstractmethod
    def kind(self, node: N) -> str:
        """``"iri"``, ``"literal"`` or ``"blank"``."""

    @abstractmethod
    def iri(self, node: N) -> rdflib.URIRef: ...

    @abstractmethod
    def literal(self, node: N) -> rdflib.Literal: ...

    @abstractmethod
    def predicates(self, node: N) -> Sequence[rdflib.URIRef]:
        """The distinct predicates of a blank node's triples."""

    @abstractmethod
    def objects(self, node: N, predicate: rdflib.URIRef) -> Sequence[N]: ...

    @abstractmethod
    def items(self, node: N) -> Sequence[N]:
        """The members of the RDF list starting at ``node``, as rdflib's ``Graph.items``."""

    def text(self, node: N, recursion: int = 0) -> str:
        kind = self.kind(node)
        if kind == "literal":
            return self.literal_text(self.literal(node))
        if kind == "blank":
            return self._blank(node, recursion + 1)
        return self.iri_text(self.iri(node))

    def iri_text(self, iri: rdflib.URIRef) -> str:
        return iri_text(iri, self.names)

    def literal_text(self, literal: rdflib.Literal) -> str:
        return literal_text(literal, self.names)

    def _blank(self, node: N, recursion: int) -> str:
        if recursion >= _RECURSION_LIMIT:
            return "<http://recursion.too.deep>"
        predicates = self.predicates(node)
        if not predicates:
            return "[ ]"
        if RDF.first in predicates:
            items = " ".join(self.text(item, recursion + 1) for item in self.items(node))
            return f"( {items} )"
        texts: dict[str, str] = {}
        for predicate in predicates:
            objects = sorted(self.text(o, recursion + 1) for o in self.objects(node, predicate))
            if objects:
                texts[self.iri_text(predicate)] = ", ".join(objects)
        return "[ " + " ; ".join(f"{p} {o}" for p, o in sorted(texts.items())) + " ]"


class GraphText(NodeText[rdflib.term.Node]):
    """``stringify_node`` over an rdflib graph (the shapes graph), with the graph's own prefixes."""

    def __init__(self, graph: rdflib.Graph) -> None:
        super().__init__(graph.namespace_manager)
        self.graph = graph

    def kind(self, node: rdflib.term.Node) -> str:
        if isinstance(node, rdflib.Literal):
            return "literal"
        return "blank" if isinstance(node, rdflib.BNode) else "iri"

    def iri(self, node: rdflib.term.Node) -> rdflib.URIRef:
        assert isinstance(node, rdflib.URIRef)
        return node

    def literal(self, node: rdflib.term.Node) -> rdflib.Literal:
        assert isinstance(node, rdflib.Literal)
        return node

    def predicates(self, node: rdflib.term.Node) -> Sequence[rdflib.URIRef]:
        found = dict.fromkeys(p for p in self.graph.predicates(node) if isinstance(p, rdflib.URIRef))
        return list(found)

    def objects(self, node: rdflib.term.Node, predicate: rdflib.URIRef) -> Sequence[rdflib.term.Node]:
        return list(self.graph.objects(node, predicate))

    def items(self, node: rdflib.term.Node) -> Sequence[rdflib.term.Node]:
        return list(self.graph.items(node))
