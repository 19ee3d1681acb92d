"""SHACL over a large graph in bounded memory: the graph cut into chunks that give the same results.

pySHACL wants the whole data graph in an rdflib ``Graph``, which for a large catalogue is millions
of triples in memory.  The results of our shapes about a node depend only on the node's
own triples (and those of the blank nodes under it), on the types of the nodes it points at
(``sh:class``), and on the triples that make it a target (``rdf:type`` for ``sh:targetClass``, the
triple pointing at it for ``sh:targetObjectsOf``).  So the subjects are cut into chunks, and each
chunk gets, beside its own subject trees:

* the ``rdf:type`` triples of every node it points at whose triples live in another chunk
  (a *stub*), and every ``rdfs:subClassOf`` triple;
* for each of its subjects, the triples of other chunks that point at it with a predicate the
  shapes use in ``sh:targetObjectsOf``.

Results whose focus node is a stub are dropped (that node is validated in its own chunk), and the
chunks' results are merged; a subject tree whose root appears in several trees (an asset shared by
initiatives, a duplicated id) goes with all its triples into one last chunk.  pySHACL then sees,
for every focus node it reports on, exactly what it would see in the whole graph.

This holds for shapes that look at a value node through its types only, or through ``sh:node`` /
``sh:property`` at blank nodes of the same subject tree, as ours do (NGSI-LD attributes are blank
nodes of their entity).  ``chunkable`` checks that the shapes use no other kind of constraint (no
SPARQL, no path other than a predicate, no explicit target nodes); other
shapes are validated on the whole graph.  tests/test_validate_chunks.py compares both ways on
crafted bad catalogues.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import rdflib
from rdflib.namespace import RDF, RDFS, SH
from rdflib.term import Node

from ldt_catalog.rdf import terms as rdf

CHUNK_WEIGHT = 6000
"""Input nodes per chunk, counted by weight (1 + the IRIs a node points at): about 1,000 initiatives."""

_SUPPORTED_NAMES = (
    "targetClass targetObjectsOf path property node message description name severity deactivated "
    "class datatype nodeKind minCount maxCount minLength maxLength pattern flags minInclusive "
    "maxInclusive minExclusive maxExclusive hasValue in languageIn uniqueLang or and xone not "
    "closed ignoredProperties order group defaultValue"
)
_SUPPORTED = frozenset(SH[name] for name in _SUPPORTED_NAMES.split())
"""Shape parameters whose results, on a chunk built as above, are those of the whole graph."""


def chunkable(shapes: rdflib.Graph) -> bool:
    """Whether every ``sh:`` parameter of ``shapes`` is one chunks are exact for."""
    return all(
        p in _SUPPORTED or not str(p).startswith(str(SH)) for p in set(shapes.predicates()) if p != RDF.type
    )


@dataclass
class Chunk:
    """A part of the data graph, and the nodes it holds only as context (not to report on)."""

    graph: rdflib.Graph = field(default_factory=rdflib.Graph)
    stubs: set[Node] = field(default_factory=set)


class Survey:
    """What the first pass over the subjects learns about the whole graph.

    ``MemorySurvey`` keeps it in dictionaries; ``survey_store.StoredSurvey`` in SQLite on disk, for
    graphs whose every IRI would not fit in memory.  ``subclass`` and ``weights`` stay in memory
    in both: every chunk needs all the ``rdfs:subClassOf`` triples, and a weight is 8 bytes a node.
    """

    def __init__(self) -> None:
        self.subclass: list[tuple[rdf.Term, str, rdf.Term]] = []
        self.weights: list[int] = []  # per input node: 1 + the IRIs it points at

    # -- what the survey notes (then ``seal``) -------------------------------------------------

    def note_root(self, iri: str) -> None:
        raise NotImplementedError

    def note_type(self, iri: str, cls: str) -> None:
        raise NotImplementedError

    def note_incoming(self, iri: str, predicate: str, subject: rdf.Term) -> None:
        raise NotImplementedError

    def seal(self) -> None:
        """The survey is complete: only read from now on."""

    # -- what the checks read ------------------------------------------------------------------

    def trees_rooted_at(self, iri: str) -> int:
        """How many subject trees ``iri`` roots: 0 when the data holds no triple about it."""
        raise NotImplementedError

    def types_of(self, iri: str) -> Sequence[str]:
        """The ``rdf:type`` objects of ``iri`` (surveyed only when the shapes use ``sh:class``)."""
        raise NotImplementedError

    def pointed_at_by(self, iri: str) -> Mapping[str, rdf.Term]:
        """For each ``sh:targetObjectsOf`` predicate pointing at ``iri``, the first subject doing so."""
        raise NotImplementedError

    def targets_without_trees(self) -> Iterator[str]:
        """The IRIs a ``sh:targetObjectsOf`` predicate points at that root no tree."""
        raise NotImplementedError


class MemorySurvey(Survey):
    """The survey in dictionaries."""

    def __init__(self) -> None:
        super().__init__()
        self._roots: Counter[str] = Counter()
        self._types: dict[str, list[str]] = {}
        self._incoming: dict[str, dict[str, rdf.Term]] = {}

    def note_root(self, iri: str) -> None:
        self._roots[iri] += 1

    def note_type(self, iri: str, cls: str) -> None:
        types = self._types.setdefault(iri, [])
        if cls not in types:  # a shared asset repeats its types in every tree
            types.append(cls)

    def note_incoming(self, iri: str, predicate: str, subject: rdf.Term) -> None:
        self._incoming.setdefault(iri, {}).setdefault(predicate, subject)

    def trees_rooted_at(self, iri: str) -> int:
        return self._roots[iri]

    def types_of(self, iri: str) -> Sequence[str]:
        return self._types.get(iri, ())

    def pointed_at_by(self, iri: str) -> Mapping[str, rdf.Term]:
        return self._incoming.get(iri, _NOTHING)

    def targets_without_trees(self) -> Iterator[str]:
        return (iri for iri in self._incoming if not self._roots[iri])


_NOTHING: Mapping[str, rdf.Term] = {}


def survey(
    trees: Iterable[tuple[int, rdf.Subject]], shapes: rdflib.Graph, into: Survey | None = None
) -> Survey:
    """The first pass over ``(input node index, tree)``: roots, types, who points at whom, weights.

    The direct checker (``fast_shacl``) reads the same survey for what a part of the data needs
    to know of the rest.  ``into`` is where it is kept (a new ``MemorySurvey`` by default).
    """
    target_predicates = {str(o) for o in shapes.objects(None, SH.targetObjectsOf)}
    class_checks = (None, SH["class"], None) in shapes
    found = MemorySurvey() if into is None else into
    weights = found.weights
    note_root, note_type, note_incoming = found.note_root, found.note_type, found.note_incoming

    def walk(subject: rdf.Subject) -> int:
        """Note what ``subject``'s triples tell (as ``rdf.flatten`` orders them); its IRI objects."""
        s = subject.term
        pointed = 0
        for p, o in subject.pairs:
            if isinstance(o, rdf.Subject):
                if p == _SUBCLASS:
                    found.subclass.append((s, p, o.term))
                pointed += walk(o)
                continue
            if p == _SUBCLASS:
                found.subclass.append((s, p, o))
            if type(o) is rdf.Iri:
                pointed += 1
                if p == rdf.RDF_TYPE and class_checks and type(s) is rdf.Iri:
                    note_type(s.value, o.value)
                if p in target_predicates:
                    note_incoming(o.value, p, s)
        return pointed

    for index, tree in trees:
        while len(weights) <= index:
            weights.append(1)
        if type(tree.term) is rdf.Iri:
            note_root(tree.term.value)
        weights[index] += walk(tree)
    found.seal()
    return found


_SUBCLASS = str(RDFS.subClassOf)


def slices(weights: list[int], budget: int) -> list[tuple[int, int]]:
    """``(start, end)`` of consecutive input nodes whose weights add up to about ``budget``.

    A node's weight grows with the nodes it points at, each a stub to add and skip in its chunk:
    a cluster listing 300 initiatives weighs as much as 50 initiatives.
    """
    bounds, start, total = [], 0, 0
    for index, weight in enumerate(weights):
        if total and total + weight > budget:
            bounds.append((start, index))
            start, total = index, 0
        total += weight
    if start < len(weights):
        bounds.append((start, len(weights)))
    return bounds


class _Builder:
    """Fills one chunk with subject trees, then adds the context they need."""

    def __init__(self, survey: Survey) -> None:
        self.survey = survey
        self.chunk = Chunk()
        self.roots: set[str] = set()
        self.trees = 0

    def add(self, tree: rdf.Subject) -> None:
        rdf.to_graph([tree], self.chunk.graph)
        if isinstance(tree.term, rdf.Iri):
            self.roots.add(tree.term.value)
        self.trees += 1

    def finish(self) -> Chunk:
        graph, survey, roots = self.chunk.graph, self.survey, self.roots
        for iri in roots:  # the triples that make a subject a target of sh:targetObjectsOf
            for predicate, subject in survey.pointed_at_by(iri).items():
                referrer = rdf.to_graph_term(subject)
                graph.add((referrer, rdflib.URIRef(predicate), rdflib.URIRef(iri)))
                if not (isinstance(subject, rdf.Iri) and subject.value in roots):
                    self.chunk.stubs.add(referrer)
        for obj in set(graph.objects()):
            if isinstance(obj, rdflib.URIRef) and str(obj) not in roots and survey.trees_rooted_at(str(obj)):
                self.chunk.stubs.add(obj)  # its triples are in another chunk: only its types here
                for type_iri in survey.types_of(str(obj)):
                    graph.add((obj, RDF.type, rdflib.URIRef(type_iri)))
        for s, p, o in survey.subclass:
            graph.add((rdf.to_graph_term(s), rdflib.URIRef(p), rdf.to_graph_term(o)))
        return self.chunk


def chunk(trees: Iterable[rdf.Subject], surveyed: Survey, shared: list[rdf.Subject] | None) -> Chunk:
    """One chunk of ``trees``; those whose root roots several trees go to ``shared`` instead.

    The trees of a root described in several places (an asset shared by initiatives, a duplicated
    id) must be validated together: the caller gathers them all into one last chunk, made with
    ``shared`` None.
    """
    builder = _Builder(surveyed)
    for tree in trees:
        if (
            shared is not None
            and isinstance(tree.term, rdf.Iri)
            and surveyed.trees_rooted_at(tree.term.value) > 1
        ):
            shared.append(tree)
        else:
            builder.add(tree)
    return builder.finish()
