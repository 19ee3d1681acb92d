"""SHACL Core shapes and constraint components, evaluated over our triples as pySHACL evaluates them.

pySHACL (0.40) is the reference the direct checker (``fast_shacl``) must equal, so each
component follows pySHACL's reading of the W3C definition where the two could differ: a pattern
is *searched* in the string (``sh:flags`` honours ``i`` and ``m`` only), ``sh:datatype`` also
refuses a literal rdflib finds ill-typed, ``sh:minLength 0`` accepts blank nodes, ``sh:class``
follows ``rdfs:subClassOf`` in the data graph only, ``sh:hasValue`` and ``sh:uniqueLang`` results
carry no value.  Each result is made only when a constraint fails, and printed only at the top
level, with pySHACL's generic message when the shape has no ``sh:message``.

A shape's conformance is pySHACL's with ``allow_warnings`` and ``allow_infos`` (as ``run_shacl``
calls it): a shape of severity Warning or Info always conforms, and one of severity Violation
fails when a failing component reports a result of severity Violation.  That decides ``sh:node``,
``sh:or`` ... whose own results are not reported (pySHACL keeps them as details, which we do not
print).
"""

from __future__ import annotations

import datetime
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol

import rdflib
from rdflib.namespace import RDFS, SH

from ldt_catalog.rdf.terms import RDF_TYPE, Iri, Literal, Subject

Value = Iri | Literal | Subject
"""A node of the data: an IRI, a literal or a blank node (the ``Subject`` tree under it)."""


class Context(Protocol):
    """What the components read of the data (see ``fast_shacl``)."""

    def values(self, node: Value, predicate: str) -> Sequence[Value]: ...

    def out(self, node: Value) -> Mapping[str, Sequence[Value]]: ...

    def is_instance(self, node: Value, cls: str) -> bool: ...

    def graph_term(self, node: Value) -> rdflib.term.Node:
        """The rdflib term of a data node as pySHACL sees it (a blank node becomes a new one)."""

    def string(self, node: Iri | Literal) -> str:
        """pySHACL's string form of an IRI or literal (patterns and lengths apply to it)."""

    def datatype_matches(self, node: Value, datatype: str) -> bool: ...

    def text(self, node: Value) -> str:
        """pySHACL's ``stringify_node`` of a data node, as its messages print it."""


@dataclass(frozen=True, slots=True, eq=False)
class Result:
    """One failed constraint: the shape and component at fault, the focus node, the value."""

    component: Component
    focus: Value
    value: Value | None = None
    path: str | None = None  # sh:closed names the offending predicate

    @property
    def shape(self) -> Shape:
        return self.component.shape


Outcome = tuple[bool, Sequence[Result]]
PASS: Outcome = (True, ())
LENIENT = frozenset({str(SH.Warning), str(SH.Info)})
"""Severities ``run_shacl`` allows: a shape of one of these conforms whatever it finds."""


class Shape:
    """A node or property shape (a property shape has a predicate ``path``)."""

    def __init__(self, node: rdflib.term.Node, path: str | None, severity: str) -> None:
        self.node = node
        self.path = path
        self.severity = severity
        self.lenient = severity in LENIENT
        self.severity_name = "Violation"  # as run_shacl prints the severity and a named shape
        self.source_name = ""
        self.deactivated = False
        self.messages: list[str] = []  # sorted, as run_shacl prints them
        self.description: str | None = None
        self.components: list[Component] = []

    def validate(self, ctx: Context, focus: Value) -> Outcome:
        if self.deactivated:
            return PASS
        values: Sequence[Value] = (focus,) if self.path is None else ctx.values(focus, self.path)
        conforms, results = True, None
        for component in self.components:
            ok, found = component.evaluate(ctx, focus, values)
            if found:
                results = [*results, *found] if results else list(found)
                if not ok and not self.lenient and any(not r.shape.lenient for r in found):
                    conforms = False
        return (conforms, results) if results else PASS


class Component(ABC):
    """One constraint component of a shape: ``evaluate`` is pySHACL's, ``message`` its generic one."""

    iri: rdflib.URIRef

    def __init__(self, shape: Shape) -> None:
        self.shape = shape

    @abstractmethod
    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome: ...

    @abstractmethod
    def message(self, ctx: Context, result: Result) -> str: ...

    def fail(self, focus: Value, failed: Sequence[Value]) -> Outcome:
        """The outcome of a value constraint: one result per failed value node."""
        return (False, [Result(self, focus, v) for v in failed]) if failed else PASS


class FixedMessage(Component):
    """A component whose generic message does not depend on the data."""

    def __init__(self, shape: Shape, text: str) -> None:
        super().__init__(shape)
        self.text = text

    def message(self, ctx: Context, result: Result) -> str:
        return self.text


class MinCount(Component):
    iri = SH.MinCountConstraintComponent

    def __init__(self, shape: Shape, count: int, path_text: str) -> None:
        super().__init__(shape)
        self.count, self.path_text = count, path_text

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        return PASS if len(values) >= self.count else (False, (Result(self, focus),))

    def message(self, ctx: Context, result: Result) -> str:
        return f"Less than {self.count} values on {ctx.text(result.focus)}->{self.path_text}"


class MaxCount(MinCount):
    iri = SH.MaxCountConstraintComponent

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        return PASS if len(values) <= self.count else (False, (Result(self, focus),))

    def message(self, ctx: Context, result: Result) -> str:
        return f"More than {self.count} values on {ctx.text(result.focus)}->{self.path_text}"


class ClassOf(FixedMessage):
    iri = SH.ClassConstraintComponent

    def __init__(self, shape: Shape, text: str, classes: Sequence[str | None]) -> None:
        super().__init__(shape, text)
        self.classes = classes  # None: a class that is not an IRI, which no node is an instance of

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        results = [
            Result(self, focus, v)
            for cls in self.classes
            for v in values
            if cls is None or not ctx.is_instance(v, cls)
        ]
        return (False, results) if results else PASS


class Datatype(FixedMessage):
    iri = SH.DatatypeConstraintComponent

    def __init__(self, shape: Shape, text: str, datatype: str, plain: bool) -> None:
        super().__init__(shape, text)
        self.datatype = datatype
        self.plain = plain  # a literal of this datatype is never ill-typed (xsd:string, unknown to rdflib)

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        datatype, plain = self.datatype, self.plain
        failed = [
            v
            for v in values
            if not (plain and type(v) is Literal and v.datatype == datatype and v.language is None)
            and not ctx.datatype_matches(v, datatype)
        ]
        return self.fail(focus, failed)


_KINDS = {
    Iri: (SH.IRI, SH.IRIOrLiteral, SH.BlankNodeOrIRI),
    Literal: (SH.Literal, SH.BlankNodeOrLiteral, SH.IRIOrLiteral),
    Subject: (SH.BlankNode, SH.BlankNodeOrLiteral, SH.BlankNodeOrIRI),
}


class NodeKind(FixedMessage):
    iri = SH.NodeKindConstraintComponent

    def __init__(self, shape: Shape, text: str, kind: rdflib.term.Node) -> None:
        super().__init__(shape, text)
        self.accepts = frozenset(t for t, kinds in _KINDS.items() if kind in kinds)

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        return self.fail(focus, [v for v in values if type(v) not in self.accepts])


class MinLength(FixedMessage):
    iri = SH.MinLengthConstraintComponent

    def __init__(self, shape: Shape, text: str, length: int) -> None:
        super().__init__(shape, text)
        self.length = length

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        if self.length == 0:  # pySHACL accepts anything, even a blank node
            return PASS
        n = self.length
        return self.fail(focus, [v for v in values if isinstance(v, Subject) or len(ctx.string(v)) < n])


class MaxLength(MinLength):
    iri = SH.MaxLengthConstraintComponent

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        n = self.length
        return self.fail(focus, [v for v in values if isinstance(v, Subject) or len(ctx.string(v)) > n])


class Pattern(FixedMessage):
    iri = SH.PatternConstraintComponent

    def __init__(self, shape: Shape, text: str, patterns: Sequence[re.Pattern[str]]) -> None:
        super().__init__(shape, text)
        self.patterns = patterns

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        results = [
            Result(self, focus, v)
            for pattern in self.patterns
            for v in values
            if isinstance(v, Subject) or pattern.search(ctx.string(v)) is None
        ]
        return (False, results) if results else PASS


class LanguageIn(FixedMessage):
    iri = SH.LanguageInConstraintComponent

    def __init__(self, shape: Shape, text: str, languages: frozenset[str]) -> None:
        super().__init__(shape, text)
        self.languages = languages

    def _accepts(self, value: Value) -> bool:
        language = value.language if isinstance(value, Literal) else None
        if not language:
            return False
        wanted = self.languages
        return "*" in wanted or language.lower() in wanted or language.split("-")[0].lower() in wanted

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        return self.fail(focus, [v for v in values if not self._accepts(v)])


class UniqueLang(FixedMessage):
    iri = SH.UniqueLangConstraintComponent

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        seen: set[str] = set()
        twice: set[str] = set()
        for v in values:
            if isinstance(v, Literal) and v.language:
                language = v.language.lower()
                (twice if language in seen else seen).add(language)
        return (False, [Result(self, focus) for _ in twice]) if twice else PASS


def compare_literals(first: rdflib.Literal, second: rdflib.Literal) -> int:
    """pySHACL's ``compare_literal``: 0, 1 or -1 (raises TypeError when they do not compare)."""
    if first.eq(second):
        return 0
    if first.value.__class__ in (datetime.datetime, datetime.time):
        if first.value == second.value:
            return 0
        if first.value > second.value:
            return 1
    elif first > second:
        return 1
    return -1


class Range(FixedMessage):
    """sh:minInclusive, sh:minExclusive, sh:maxInclusive, sh:maxExclusive."""

    _ACCEPT: ClassVar[dict[rdflib.URIRef, tuple[rdflib.URIRef, Callable[[int], bool]]]] = {
        SH.minInclusive: (SH.MinInclusiveConstraintComponent, lambda c: c >= 0),
        SH.minExclusive: (SH.MinExclusiveConstraintComponent, lambda c: c > 0),
        SH.maxInclusive: (SH.MaxInclusiveConstraintComponent, lambda c: c <= 0),
        SH.maxExclusive: (SH.MaxExclusiveConstraintComponent, lambda c: c < 0),
    }

    def __init__(
        self, shape: Shape, text: str, parameter: rdflib.URIRef, bounds: list[rdflib.Literal]
    ) -> None:
        super().__init__(shape, text)
        self.iri, self._accept = self._ACCEPT[parameter]
        self.bounds = bounds

    def _accepts(self, ctx: Context, value: Value, bound: rdflib.Literal) -> bool:
        if not isinstance(value, Literal):
            return False
        literal = ctx.graph_term(value)
        assert isinstance(literal, rdflib.Literal)
        if isinstance(literal.value, str) != isinstance(bound.value, str):
            return False
        try:
            return bool(self._accept(compare_literals(literal, bound)))
        except (TypeError, NotImplementedError):
            return False

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        results = [
            Result(self, focus, v) for b in self.bounds for v in values if not self._accepts(ctx, v, b)
        ]
        return (False, results) if results else PASS


def equal(ctx: Context, value: Value, term: rdflib.term.Node) -> bool:
    """Whether a data node is the shapes graph's ``term`` (rdflib's term equality)."""
    if isinstance(value, Iri):
        return isinstance(term, rdflib.URIRef) and value.value == str(term)
    return isinstance(value, Literal) and isinstance(term, rdflib.Literal) and ctx.graph_term(value) == term


class HasValue(Component):
    iri = SH.HasValueConstraintComponent

    def __init__(self, shape: Shape, terms: set[rdflib.term.Node], head: str, tail: str) -> None:
        super().__init__(shape)
        self.terms, self.head, self.tail = terms, head, tail
        self.iris = [(t, str(t) if isinstance(t, rdflib.URIRef) else None) for t in terms]

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        results = [
            Result(self, focus)
            for term, iri in self.iris
            if not any(
                v.value == iri if type(v) is Iri else type(v) is Literal and equal(ctx, v, term)
                for v in values
            )
        ]
        return (False, results) if results else PASS

    def message(self, ctx: Context, result: Result) -> str:
        return f"{self.head}{ctx.text(result.focus)}{self.tail}"


class In(Component):
    iri = SH.InConstraintComponent

    def __init__(self, shape: Shape, terms: set[rdflib.term.Node], listed: str) -> None:
        super().__init__(shape)
        self.terms, self.listed = terms, listed
        self.iris = frozenset(str(t) for t in terms if isinstance(t, rdflib.URIRef))

    def _member(self, ctx: Context, value: Value) -> bool:
        if isinstance(value, Iri):
            return value.value in self.iris
        return isinstance(value, Literal) and ctx.graph_term(value) in self.terms

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        return self.fail(focus, [v for v in values if not self._member(ctx, v)])

    def message(self, ctx: Context, result: Result) -> str:
        assert result.value is not None
        return f"Value {ctx.text(result.value)} not in list {self.listed}"


class Closed(Component):
    iri = SH.ClosedConstraintComponent

    def __init__(self, shape: Shape, allowed: frozenset[str]) -> None:
        super().__init__(shape)
        self.allowed = allowed  # the paths of the shape's property shapes and sh:ignoredProperties

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        results = [
            Result(self, focus, o, p)
            for v in values
            for p, objects in ctx.out(v).items()
            if p not in self.allowed
            for o in objects
            if not (p == RDF_TYPE and isinstance(o, Iri) and o.value == str(RDFS.Resource))
        ]
        return (False, results) if results else PASS

    def message(self, ctx: Context, result: Result) -> str:
        assert result.value is not None
        return f"Node {ctx.text(result.focus)} is closed. It cannot have value: {ctx.text(result.value)}"


class Node(FixedMessage):
    iri = SH.NodeConstraintComponent

    def __init__(self, shape: Shape, text: str, shapes: Sequence[Shape]) -> None:
        super().__init__(shape, text)
        self.shapes = shapes

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        failed = []
        for shape in self.shapes:
            for v in values:
                ok, found = shape.validate(ctx, v)
                if not ok or found:
                    failed.append(Result(self, focus, v))
        return (False, failed) if failed else PASS


class Property(Component):
    iri = SH.PropertyConstraintComponent

    def __init__(self, shape: Shape, shapes: Sequence[Shape]) -> None:
        super().__init__(shape)
        self.shapes = shapes

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        conforms, results = True, list[Result]()
        for shape in self.shapes:
            for v in values:
                ok, found = shape.validate(ctx, v)
                conforms = conforms and ok
                results.extend(found)
        return (conforms, results) if results or not conforms else PASS

    def message(self, ctx: Context, result: Result) -> str:  # pragma: no cover - never its own result
        raise NotImplementedError("sh:property reports its property shapes' results")


class Logical(Component):
    """sh:not, sh:and, sh:or, sh:xone: a result for each value node the combination refuses."""

    _PASSES: ClassVar[dict[rdflib.URIRef, tuple[rdflib.URIRef, Callable[[int, int], bool]]]] = {
        SH["not"]: (SH.NotConstraintComponent, lambda passed, total: passed == 0),
        SH["and"]: (SH.AndConstraintComponent, lambda passed, total: passed == total),
        SH["or"]: (SH.OrConstraintComponent, lambda passed, total: passed > 0),
        SH.xone: (SH.XoneConstraintComponent, lambda passed, total: passed == 1),
    }

    def __init__(
        self, shape: Shape, parameter: rdflib.URIRef, groups: Sequence[Sequence[Shape]], tail: str
    ) -> None:
        super().__init__(shape)
        self.iri, self._passes = self._PASSES[parameter]
        self.groups = [g for g in groups if g]  # pySHACL skips an empty combination
        self.tail = tail  # the message after "Node <value>"

    def evaluate(self, ctx: Context, focus: Value, values: Sequence[Value]) -> Outcome:
        results = []
        for group in self.groups:
            for v in values:
                passed = sum(1 for shape in group if shape.validate(ctx, v)[0])
                if not self._passes(passed, len(group)):
                    results.append(Result(self, focus, v))
        return (False, results) if results else PASS

    def message(self, ctx: Context, result: Result) -> str:
        assert result.value is not None
        return f"Node {ctx.text(result.value)}{self.tail}"
