"""Pure: the reference libraries' RDF, for reference mode: pyld's triples, rdflib's N-Triples.

``entity_subjects`` and ``document_subjects`` run pyld's ``to_rdf`` (with the local document
loader) and group its triples by subject; blank nodes are not nested, only referred to.  Each
call relabels pyld's blank nodes with a prefix of its own, so that the subjects of several calls
can go into one graph without two blank nodes merging.

``write_ntriples`` writes subjects through an rdflib ``Graph`` with rdflib's N-Triples serializer:
rdflib's Turtle serializer rewrites each ``xsd:double`` in ``%e`` form with seven significant
digits (``21.123456789012345`` becomes ``2.112346e+01``), while its N-Triples serializer keeps a
literal's lexical form when the literal is made with ``normalize=False``.  N-Triples is Turtle, so
the ``.ttl`` files hold the same RDF as in accelerated mode, without prefixes or nesting.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import IO, Any

from ldt_catalog.ngsild.context import jsonld_options
from ldt_catalog.rdf.terms import (
    XSD_STRING,
    BlankNode,
    Iri,
    Literal,
    Subject,
    Term,
    UnsupportedJsonLd,
    flatten,
)

_calls = itertools.count()  # one blank-node prefix per call, process-wide


def pyld_subjects(document: Any) -> list[Subject]:
    """pyld's triples of a JSON-LD document (or a list of them), grouped by subject, in its order."""
    from pyld import jsonld  # imported lazily: reference mode only

    dataset = jsonld.to_rdf(document, jsonld_options())
    named = sorted(name for name in dataset if name != "@default")
    if named:
        raise UnsupportedJsonLd(
            f"named graphs {', '.join(named)}: our RDF outputs hold the default graph only"
        )
    prefix = f"r{next(_calls)}_"
    subjects: dict[Iri | BlankNode, Subject] = {}
    for triple in dataset.get("@default", []):
        head = _term(triple["subject"], prefix)
        assert not isinstance(head, Literal)  # pyld never makes a literal subject
        subject = subjects.get(head)
        if subject is None:
            subject = subjects[head] = Subject(head)
        subject.pairs.append((triple["predicate"]["value"], _term(triple["object"], prefix)))
    return list(subjects.values())


def _term(node: dict[str, str], prefix: str) -> Term:
    kind, value = node["type"], node["value"]
    if kind == "IRI":
        return Iri(value)
    if kind == "blank node":
        return BlankNode(prefix + value.removeprefix("_:"))
    language = node.get("language")
    if language is not None:
        return Literal(value, node["datatype"], language)
    return Literal(value, node["datatype"])


def entity_subjects(entities: Iterable[dict[str, Any]]) -> Iterator[Subject]:
    """pyld's subjects of each NGSI-LD entity, read one at a time."""
    for entity in entities:
        if entity.get("@context") is None:
            raise UnsupportedJsonLd(f"entity {entity.get('id')!r} has no @context")
        yield from pyld_subjects(entity)


def document_subjects(document: dict[str, Any]) -> Iterator[Subject]:
    """pyld's subjects of a JSON-LD document."""
    return iter(pyld_subjects(document))


def write_ntriples(subjects: Iterable[Subject], out: IO[str]) -> None:
    """The subjects' triples as rdflib's N-Triples (lines sorted), every literal as it was written."""
    import rdflib

    graph = rdflib.Graph()
    bnodes: dict[str, rdflib.BNode] = {}

    def node(term: Term) -> Any:
        if isinstance(term, Iri):
            return rdflib.URIRef(term.value)
        if isinstance(term, BlankNode):
            node = bnodes.get(term.label)
            if node is None:  # labelled in order of first use: the same subjects, the same text
                node = bnodes[term.label] = rdflib.BNode(f"b{len(bnodes)}")
            return node
        if term.language is not None:
            return rdflib.Literal(term.lexical, lang=term.language, normalize=False)
        if term.datatype == XSD_STRING:  # the same term as a plain literal, written shorter
            return rdflib.Literal(term.lexical, normalize=False)
        return rdflib.Literal(term.lexical, datatype=rdflib.URIRef(term.datatype), normalize=False)

    for subject in subjects:
        for s, p, o in flatten(subject):
            graph.add((node(s), rdflib.URIRef(p), node(o)))
    # the lines sorted: rdflib writes them in its store's order, which is no order to diff
    out.writelines(sorted(graph.serialize(format="nt").splitlines(keepends=True)))
