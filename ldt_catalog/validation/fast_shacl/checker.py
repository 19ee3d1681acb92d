"""SHACL checked directly over our converter's subject trees: pySHACL's results, without its cost.

pySHACL wants the data in an rdflib ``Graph`` (slow to load), looks every value up through
rdflib's store, and builds and prints every result, even those of the stubs that chunks then drop
(figures in bench/README.md).  Our shapes use a small part of
SHACL Core: targets by class and by predicate, predicate paths, and constraints that read a node's
own triples, the types of the nodes it points at, or shapes of the blank nodes under it.  Here
those constraints (``fast_shacl.components``, compiled by ``fast_shacl.compile``) run straight over the
``rdf.Subject`` trees of ``NodeConverter``, and each result is printed as ``run_shacl`` prints
pySHACL's, so the diagnostics are the same list.

Why the results are pySHACL's:

* each component is pySHACL's own algorithm (its edge cases, its generic messages, nodes printed
  by the same ``stringify_node``, ``fast_shacl.text``); shapes are found as pySHACL's ``ShapesGraph``
  finds them; literals are compared, ordered and checked for ill-typed values by rdflib itself;
* the triples of a node are its subject trees: a blank node is a ``Subject`` nested in one tree,
  an IRI has the trees rooted at it.  A focus node is checked where its trees are; an IRI rooted
  in several trees (an asset shared by initiatives, a duplicated id) is checked at the end with
  all of them, and so is any tree whose check needed the triples of an IRI held in another part
  (``NeedsData``), once those are loaded: the same rule ``chunks`` applies to pySHACL;
* what a node needs of the rest of the graph, the types of the IRIs it points at (``sh:class``),
  whether it is the object of a ``sh:targetObjectsOf`` predicate and ``rdfs:subClassOf``, comes
  from the survey of all the data (``chunks.survey``).

When it falls back to pySHACL: ``fast_shacl.compile.compile_shapes`` returns None for shapes outside
the supported subset (SPARQL, rules, complex paths, recursive shapes, any ``sh:`` parameter not
in ``fast_shacl.compile.SUPPORTED`` ...), and ``exact_for`` refuses data whose ``rdfs:subClassOf``
triples involve blank nodes or literals.  tests/test_shacl_direct.py compares both on the seed
catalogue, a generated hub and data crafted to break every constraint of our shapes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, cast

import rdflib
from rdflib.namespace import RDF, RDFS, XSD
from rdflib.term import _toPythonMapping

from ldt_catalog.rdf.terms import (
    RDF_LANG_STRING,
    RDF_TYPE,
    XSD_STRING,
    Iri,
    Literal,
    Subject,
    to_graph_term,
)
from ldt_catalog.validation.chunks import Survey
from ldt_catalog.validation.fast_shacl.compile import DirectShapes, compile_shapes
from ldt_catalog.validation.fast_shacl.components import Result, Shape, Value
from ldt_catalog.validation.fast_shacl.text import NodeText
from ldt_catalog.validation.shacl import ShaclIssue, show_iri

__all__ = ["DirectShapes", "NeedsData", "check_part", "check_rest", "compile_shapes", "exact_for"]

Found = tuple[set[ShaclIssue], list[Subject], list[Subject]]
"""A part's issues, its trees rooted at a shared IRI, and its trees deferred for lack of data."""

_EMPTY: Mapping[str, Sequence[Value]] = {}
_SCAN = 8  # a blank node with this few triples is scanned for a predicate rather than indexed
_RDFS_LITERAL, _RDFS_DATATYPE = str(RDFS.Literal), str(RDFS.Datatype)
_VALUE_TYPES: dict[str, type | tuple[type, ...]] = {
    XSD_STRING: (str, bytes),
    RDF_LANG_STRING: (str, bytes),
    str(XSD.integer): int,
    str(XSD.float): float,
    str(XSD.decimal): Decimal,
    str(XSD.boolean): bool,
    str(XSD.date): date,
    str(XSD.time): time,
    str(XSD.dateTime): datetime,
}
"""pySHACL's check of a literal's value for these datatypes (any other datatype passes)."""

_LITERALS: dict[Literal, rdflib.Literal] = {}
_LITERALS_MAX = 65536


class NeedsData(Exception):
    """A check needs the triples of an IRI held by another part of the data."""

    def __init__(self, iri: str) -> None:
        super().__init__(iri)
        self.iri = iri


def exact_for(surveyed: Survey) -> bool:
    """Whether the direct checker follows this data's ``rdfs:subClassOf`` (between IRIs only)."""
    return all(isinstance(s, Iri) and isinstance(o, Iri) for s, _, o in surveyed.subclass)


@functools.cache
def _known(datatype: str) -> bool:
    """Whether rdflib parses this datatype: others keep their lexical form, no value, never ill-typed."""
    return rdflib.URIRef(datatype) in _toPythonMapping


def _graph_literal(literal: Literal) -> rdflib.Literal:
    """The rdflib literal of one of ours (normalised, with its value), cached: lines repeat."""
    found = _LITERALS.get(literal)
    if found is None:
        if len(_LITERALS) >= _LITERALS_MAX:
            _LITERALS.clear()
        found = _LITERALS[literal] = to_graph_term(literal)
    return found


class Checker:
    """The direct checker over one part of the data: its trees, and the survey of the rest."""

    def __init__(self, shapes: DirectShapes, surveyed: Survey, trees: Sequence[Subject]) -> None:
        self.shapes, self.survey, self.trees = shapes, surveyed, trees
        self.roots: dict[str, list[Subject]] = {}
        for tree in trees:
            if isinstance(tree.term, Iri):
                self.roots.setdefault(tree.term.value, []).append(tree)
        self._out: dict[object, Mapping[str, Sequence[Value]]] = {}
        self._supers: dict[str, set[str]] = {}
        self._class_shapes: dict[str, list[Shape]] = {}
        self._subclass: dict[str, list[str]] = {}
        for s, _, o in surveyed.subclass:
            self._subclass.setdefault(cast(Iri, s).value, []).append(cast(Iri, o).value)
        self._parents: dict[int, tuple[Subject, str]] | None = None
        self._text: _DataText | None = None

    # -- what the components read (components.Context) ------------------------------------

    def out(self, node: Value) -> Mapping[str, Sequence[Value]]:
        """A node's predicates and their distinct objects (an rdflib graph holds each triple once)."""
        if isinstance(node, Subject):
            key: object = id(node)  # a blank node is its Subject; the trees outlive the checker
        elif isinstance(node, Iri):
            key = node.value
        else:
            return _EMPTY
        found = self._out.get(key)
        if found is None:
            if isinstance(node, Subject):
                pairs = node.pairs
            else:
                trees = self.roots.get(node.value)
                if trees is None:
                    if self.survey.trees_rooted_at(node.value):
                        raise NeedsData(node.value)
                    return _EMPTY
                pairs = trees[0].pairs if len(trees) == 1 else [p for t in trees for p in t.pairs]
            found = self._out[key] = self._index(pairs)
        return found

    def _index(self, pairs: list[tuple[str, Any]]) -> dict[str, list[Value]]:
        index: dict[str, list[Value]] = {}
        for predicate, obj in pairs:  # the converter nests every blank node as a Subject
            values = index.get(predicate)
            if values is None:
                index[predicate] = [obj]
            else:
                values.append(obj)
        for predicate, values in index.items():
            if len(values) > 1:
                index[predicate] = self._distinct(values)
        return index

    def _distinct(self, values: list[Value]) -> list[Value]:
        distinct: dict[object, Value] = {}
        for value in values:
            distinct.setdefault(self.key(value), value)
        return list(distinct.values())

    def key(self, value: Value) -> object:
        """Equal for the same RDF term: a blank node by identity, a literal as rdflib compares it."""
        if type(value) is Subject:
            return id(value)
        if type(value) is Literal and not (
            value.language is not None or value.datatype == XSD_STRING or not _known(value.datatype)
        ):
            return _graph_literal(value)  # rdflib normalises the lexical form: "01" is "1"
        return value

    def values(self, node: Value, predicate: str) -> Sequence[Value]:
        if type(node) is Subject and len(node.pairs) <= _SCAN:  # an attribute: scanning beats indexing
            pairs: list[tuple[str, Any]] = node.pairs  # every blank node object is a nested Subject
            found: list[Value] = [o for p, o in pairs if p == predicate]
            return found if len(found) < 2 else self._distinct(found)
        return self.out(node).get(predicate, ())

    def is_instance(self, node: Value, cls: str) -> bool:
        if isinstance(node, Iri):
            types: Iterable[str] = self.survey.types_of(node.value)
        elif isinstance(node, Subject):
            types = [t.value for t in self.values(node, RDF_TYPE) if isinstance(t, Iri)]
        else:
            return False
        return any(cls in self.supers(t) for t in types)

    def supers(self, cls: str) -> set[str]:
        """``cls`` and its superclasses, following the data's ``rdfs:subClassOf``."""
        found = self._supers.get(cls)
        if found is None:
            found, pending = {cls}, [cls]
            while pending:
                for parent in self._subclass.get(pending.pop(), ()):
                    if parent not in found:
                        found.add(parent)
                        pending.append(parent)
            self._supers[cls] = found
        return found

    def graph_term(self, node: Value) -> rdflib.term.Node:
        if type(node) is Iri:
            return rdflib.URIRef(node.value)
        if type(node) is Literal:
            return _graph_literal(node)
        return rdflib.BNode()

    def string(self, node: Iri | Literal) -> str:
        if type(node) is Iri:
            return node.value
        literal = cast(Literal, node)
        if literal.language is not None or literal.datatype == XSD_STRING or not _known(literal.datatype):
            return literal.lexical
        return str(_graph_literal(literal))  # the normalised lexical form

    def datatype_matches(self, node: Value, datatype: str) -> bool:
        if type(node) is not Literal:
            return False
        literal = node
        if literal.language is not None:  # rdflib gives it no datatype, only the language
            return datatype in (RDF_LANG_STRING, _RDFS_LITERAL)
        if literal.datatype == datatype:
            if datatype == XSD_STRING or not _known(datatype):
                return True
            parsed = _graph_literal(literal)
            expected = _VALUE_TYPES.get(datatype)
            return parsed.ill_typed is not True and (expected is None or isinstance(parsed.value, expected))
        return datatype in (_RDFS_LITERAL, _RDFS_DATATYPE)

    def text(self, node: Value) -> str:
        if self._text is None:
            self._text = _DataText(self)
        return self._text.text(node)

    # -- targets and results -------------------------------------------------------------------

    def check_tree(self, tree: Subject) -> set[ShaclIssue]:
        """The results about the nodes of one tree: its root, its blank nodes, targeted literals."""
        found: set[ShaclIssue] = set()
        if isinstance(tree.term, Iri):
            self.check_iri(tree.term, found)
        else:
            self._check(tree, self._blank_shapes(tree, None), found)
        self.check_under(tree, found)
        return found

    def check_iri(self, iri: Iri, found: set[ShaclIssue]) -> None:
        shapes = self.shapes
        selected: list[Shape] = []
        if shapes.by_class:
            for t in self.values(iri, RDF_TYPE):
                if type(t) is Iri:
                    selected += self._shapes_of_class(t.value)
        for predicate in self.survey.pointed_at_by(iri.value):
            selected += shapes.by_object_of.get(predicate, ())
        if shapes.by_subject_of:
            out = self.out(iri)
            selected += [s for p, of in shapes.by_subject_of.items() if p in out for s in of]
        selected += shapes.by_node.get(iri.value, ())
        self._check(iri, selected, found)

    def check_under(self, subject: Subject, found: set[ShaclIssue]) -> None:
        """The blank nodes under ``subject`` and the literals it gives a targeted predicate."""
        by_object_of = self.shapes.by_object_of
        for predicate, obj in subject.pairs:
            if type(obj) is Subject:
                self._check(obj, self._blank_shapes(obj, predicate), found)
                self.check_under(obj, found)
            elif type(obj) is Literal and predicate in by_object_of:
                self._check(obj, by_object_of[predicate], found)

    def _blank_shapes(self, subject: Subject, referrer: str | None) -> list[Shape]:
        shapes = self.shapes
        selected: list[Shape] = []
        if shapes.by_class:
            for predicate, obj in subject.pairs:
                if predicate == RDF_TYPE and type(obj) is Iri:
                    selected += self._shapes_of_class(obj.value)
        if referrer is not None and referrer in shapes.by_object_of:
            selected += shapes.by_object_of[referrer]
        if shapes.by_subject_of:
            predicates = {p for p, _ in subject.pairs}
            selected += [s for p, of in shapes.by_subject_of.items() if p in predicates for s in of]
        return selected

    def _shapes_of_class(self, cls: str) -> list[Shape]:
        found = self._class_shapes.get(cls)
        if found is None:
            by_class = self.shapes.by_class
            found = self._class_shapes[cls] = [s for c in self.supers(cls) for s in by_class.get(c, ())]
        return found

    def _check(self, focus: Value, shapes: list[Shape], found: set[ShaclIssue]) -> None:
        if len(shapes) > 1:
            shapes = list(dict.fromkeys(shapes))  # a node selected twice by a shape is checked once
        for shape in shapes:
            for result in shape.validate(self, focus)[1]:
                found.add(self.issue(result))

    def issue(self, result: Result) -> ShaclIssue:
        """A result as ``run_shacl`` prints pySHACL's."""
        shape = result.shape
        messages = shape.messages or [result.component.message(self, result)]
        if shape.description is not None:
            messages = [*messages, shape.description]
        path = result.path or shape.path
        return ShaclIssue(
            focus=self.graph_term(result.focus),
            focus_node=self.show(result.focus),
            path=show_iri(rdflib.URIRef(path)) if path else "",
            message=" — ".join(messages) or show_iri(result.component.iri),
            severity=shape.severity_name,
            value="" if result.value is None else self.show(result.value),
            source_shape=shape.source_name,
        )

    def show(self, node: Value) -> str:
        """A node as ``run_shacl`` prints it: a blank node through the triple that points at it."""
        if type(node) is Iri:
            return show_iri(rdflib.URIRef(node.value))
        if type(node) is Literal:
            return _graph_literal(node).n3()
        if self._parents is None:
            self._parents = {}
            for tree in self.trees:
                self._note_parents(tree)
        referrer = self._parents.get(id(node))
        if referrer is None or not isinstance(referrer[0].term, Iri):
            return "[]"
        subject, predicate = referrer
        iri = cast(Iri, subject.term).value
        return f"[] (the {show_iri(rdflib.URIRef(predicate))} of {show_iri(rdflib.URIRef(iri))})"

    def _note_parents(self, subject: Subject) -> None:
        assert self._parents is not None
        for predicate, obj in subject.pairs:
            if type(obj) is Subject:
                self._parents[id(obj)] = (subject, predicate)
                self._note_parents(obj)


class _DataText(NodeText[Value]):
    """pySHACL's ``stringify_node`` over our data, with the prefixes of a new rdflib graph."""

    def __init__(self, checker: Checker) -> None:
        super().__init__(rdflib.Graph().namespace_manager)  # what pySHACL's data graph has
        self.checker = checker

    def kind(self, node: Value) -> str:
        return "literal" if type(node) is Literal else "blank" if type(node) is Subject else "iri"

    def iri(self, node: Value) -> rdflib.URIRef:
        return rdflib.URIRef(cast(Iri, node).value)

    def literal(self, node: Value) -> rdflib.Literal:
        return _graph_literal(cast(Literal, node))

    def predicates(self, node: Value) -> Sequence[rdflib.URIRef]:
        return [rdflib.URIRef(p) for p in self.checker.out(node)]

    def objects(self, node: Value, predicate: rdflib.URIRef) -> Sequence[Value]:
        return self.checker.values(node, str(predicate))

    def items(self, node: Value) -> Sequence[Value]:
        found: list[Value] = []
        chain = {self.checker.key(node)}
        current: Value | None = node
        while current is not None:
            first = self.checker.values(current, str(RDF.first))
            if first:
                found.append(first[0])
            rest = self.checker.values(current, str(RDF.rest))
            current = rest[0] if rest else None
            if current is not None:
                if self.checker.key(current) in chain:
                    raise ValueError("List contains a recursive rdf:rest reference")
                chain.add(self.checker.key(current))
        return found


def check_part(shapes: DirectShapes, surveyed: Survey, trees: Iterable[Subject]) -> Found:
    """Check one part of the data; trees of shared roots, and those that need more, are set aside."""
    own: list[Subject] = []
    shared: list[Subject] = []
    for tree in trees:
        is_shared = isinstance(tree.term, Iri) and surveyed.trees_rooted_at(tree.term.value) > 1
        (shared if is_shared else own).append(tree)
    checker = Checker(shapes, surveyed, own)
    found: set[ShaclIssue] = set()
    deferred: list[Subject] = []
    for tree in own:
        try:
            found |= checker.check_tree(tree)
        except NeedsData:
            deferred.append(tree)
    return found, shared, deferred


def check_rest(
    shapes: DirectShapes,
    surveyed: Survey,
    shared: list[Subject],
    deferred: list[Subject],
    load: Callable[[set[str]], list[Subject]],
) -> set[ShaclIssue]:
    """The last check: shared roots with all their trees, deferred trees, targets without triples.

    ``load`` gives the trees rooted at some IRIs (each held in one place) that a check needs.
    """
    units: list[tuple[str, object]] = [("iri", iri) for iri in dict.fromkeys(t.term for t in shared)]
    units += [("under", tree) for tree in shared] + [("tree", tree) for tree in deferred]
    bare = [*surveyed.targets_without_trees()]
    bare += [iri for iri in shapes.by_node if not surveyed.trees_rooted_at(iri)]
    units += [("iri", Iri(iri)) for iri in dict.fromkeys(bare)]
    found: set[ShaclIssue] = set()
    loaded: list[Subject] = []
    while units:
        checker = Checker(shapes, surveyed, [*shared, *deferred, *loaded])
        missing: set[str] = set()
        failed = []
        for kind, item in units:
            part: set[ShaclIssue] = set()
            try:
                if kind == "iri":
                    checker.check_iri(cast(Iri, item), part)
                elif kind == "under":
                    checker.check_under(cast(Subject, item), part)
                else:
                    part = checker.check_tree(cast(Subject, item))
                found |= part
            except NeedsData as needed:
                missing.add(needed.iri)
                failed.append((kind, item))
        if failed:
            more = load(missing - set(checker.roots))
            if not more:  # pragma: no cover - the survey said these IRIs have triples
                raise RuntimeError(f"no triples found for {sorted(missing)}")
            loaded += more
        units = failed
    return found
