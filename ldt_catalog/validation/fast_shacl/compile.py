"""A SHACL shapes graph compiled for the direct checker, or refused when pySHACL must run it.

``compile_shapes`` finds the shapes as pySHACL's ``ShapesGraph`` does (the subjects of targets,
the values of ``sh:node``, ``sh:property``, ``sh:not`` and the members of ``sh:and``/``sh:or``/
``sh:xone`` lists; a shape with a ``sh:path`` is a property shape) and turns each constraint
parameter into a ``fast_shacl.components`` component, with the parts of pySHACL's generic message
that come from the shapes graph printed once, here.  It returns None, so that the caller runs
pySHACL, for any ``sh:`` predicate outside ``SUPPORTED`` (SPARQL, rules, custom targets, property
pair and qualified constraints ...), a path that is not a predicate, a shape that refers to
itself or nests deeper than ``_MAX_DEPTH``, a severity other than Violation, Warning or Info, a
shape that is also a class (an implicit target), a literal or blank ``sh:targetNode``, and any
parameter value pySHACL would refuse to load (it then reports the error itself).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import cast

import rdflib
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import _toPythonMapping

from ldt_catalog.validation.fast_shacl import components as sc
from ldt_catalog.validation.fast_shacl.text import GraphText, literal_text
from ldt_catalog.validation.shacl import show_iri

SUPPORTED = frozenset(
    SH[name]
    for name in (  # noqa: SIM905 - easier to read than 38 quoted names
        "targetClass targetNode targetObjectsOf targetSubjectsOf path property node message description "
        "name severity deactivated class datatype nodeKind minCount maxCount minLength maxLength "
        "pattern flags minInclusive maxInclusive minExclusive maxExclusive hasValue in languageIn "
        "uniqueLang or and xone not closed ignoredProperties order group defaultValue"
    ).split()
)
"""The ``sh:`` predicates a shapes graph may use for the direct checker to take it."""

_SEVERITIES = (SH.Violation, SH.Warning, SH.Info)
_IMPLICIT_CLASS = (RDFS.Class, rdflib.OWL.Class)  # a shape that is a class targets its instances
_MAX_DEPTH = 7  # deeper nesting is left to pySHACL, which refuses paths deeper than 15
_WHOLE = {XSD.integer, XSD.int, XSD.long, XSD.nonNegativeInteger, XSD.positiveInteger, XSD.short}


class Unsupported(Exception):
    """The shapes use something the direct checker does not implement."""


@dataclass
class DirectShapes:
    """A shapes graph compiled for the direct checker: its shapes by the targets that select nodes."""

    by_class: dict[str, list[sc.Shape]] = field(default_factory=dict)
    by_object_of: dict[str, list[sc.Shape]] = field(default_factory=dict)
    by_subject_of: dict[str, list[sc.Shape]] = field(default_factory=dict)
    by_node: dict[str, list[sc.Shape]] = field(default_factory=dict)


def compile_shapes(shapes: rdflib.Graph) -> DirectShapes | None:
    """``shapes`` for the direct checker, or None when it must be left to pySHACL."""
    if any(p not in SUPPORTED for p in set(shapes.predicates()) if str(p).startswith(str(SH))):
        return None
    try:
        return _Compiler(shapes).compile()
    except Unsupported:
        return None


class _Compiler:
    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph
        self.text = GraphText(graph)
        self.data_names = rdflib.Graph().namespace_manager  # pySHACL prints a few with the data's
        self.shapes: dict[rdflib.term.Node, sc.Shape] = {}
        self.active: list[rdflib.term.Node] = []

    def compile(self) -> DirectShapes:
        found = DirectShapes()
        targets = (
            (SH.targetClass, found.by_class),
            (SH.targetObjectsOf, found.by_object_of),
            (SH.targetSubjectsOf, found.by_subject_of),
            (SH.targetNode, found.by_node),
        )
        for parameter, index in targets:
            for node, target in self.graph.subject_objects(parameter):
                if not isinstance(target, rdflib.URIRef):
                    raise Unsupported(f"{parameter} {target!r}")
                shapes = index.setdefault(str(target), [])
                shape = self.shape(node)
                if shape not in shapes:
                    shapes.append(shape)
        return found

    def objects(self, node: rdflib.term.Node, parameter: rdflib.URIRef) -> list[rdflib.term.Node]:
        return list(self.graph.objects(node, parameter))

    def one(self, node: rdflib.term.Node, parameter: rdflib.URIRef) -> rdflib.term.Node | None:
        values = self.objects(node, parameter)
        if len(values) > 1:
            raise Unsupported(f"{len(values)} values of {parameter}")
        return values[0] if values else None

    def shape(self, node: rdflib.term.Node, kind: str = "any") -> sc.Shape:
        shape = self.shapes.get(node)
        if shape is None:
            if node in self.active or len(self.active) >= _MAX_DEPTH:
                raise Unsupported("recursive or deeply nested shapes")
            self.active.append(node)
            shape = self.shapes[node] = self._shape(node)
            self.active.pop()
        if (kind == "node" and shape.path is not None) or (kind == "property" and shape.path is None):
            raise Unsupported(f"{node} is not a {kind} shape")
        return shape

    def _shape(self, node: rdflib.term.Node) -> sc.Shape:
        graph = self.graph
        types = set(graph.objects(node, RDF.type))
        classes = {*_IMPLICIT_CLASS, *graph.subjects(RDFS.subClassOf, RDFS.Class)}
        path = self.one(node, SH.path)
        severity = self.one(node, SH.severity) or SH.Violation
        if (
            types & classes
            or (path is not None and not isinstance(path, rdflib.URIRef))
            or (SH.NodeShape in types and path is not None)
            or (SH.PropertyShape in types and path is None)
            or severity not in _SEVERITIES
        ):
            raise Unsupported(f"shape {node}")
        shape = sc.Shape(node, None if path is None else str(path), str(severity))
        shape.severity_name = show_iri(cast(rdflib.URIRef, severity)).rsplit(":", 1)[-1].rsplit("#", 1)[-1]
        shape.source_name = show_iri(node) if isinstance(node, rdflib.URIRef) else ""
        deactivated = self.one(node, SH.deactivated)
        if deactivated is not None and not isinstance(deactivated, rdflib.Literal):
            raise Unsupported("sh:deactivated")
        shape.deactivated = deactivated is not None and bool(deactivated.value)
        shape.messages = sorted(str(m) for m in set(graph.objects(node, SH.message)))
        description = graph.value(node, SH.description)  # as run_shacl reads it
        shape.description = None if description is None else str(description)
        parameters = {p for p in graph.predicates(node) if isinstance(p, rdflib.URIRef) and p in _BUILDERS}
        for parameter in sorted(parameters):
            component = _BUILDERS[parameter](self, shape, node)
            if component is not None:
                shape.components.append(component)
        return shape

    def count(self, node: rdflib.term.Node, parameter: rdflib.URIRef, whole: Iterable[rdflib.URIRef]) -> int:
        value = self.one(node, parameter)
        if not (isinstance(value, rdflib.Literal) and value.datatype in set(whole) and not value.ill_typed):
            raise Unsupported(f"{parameter} {value!r}")
        number = value.value
        if not isinstance(number, int) or number < 0:
            raise Unsupported(f"{parameter} {value!r}")
        return number

    def listed(self, node: rdflib.term.Node) -> list[rdflib.term.Node]:
        items = list(self.graph.items(node))
        if not items:
            raise Unsupported("an empty or malformed list")
        return items

    def joined(self, nodes: Iterable[rdflib.term.Node], separator: str) -> str:
        return separator.join(self.text.text(n) for n in nodes)


def _count(
    compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node, parameter: rdflib.URIRef
) -> sc.Component:
    if shape.path is None:
        raise Unsupported(f"{parameter} on a node shape")
    kind = sc.MinCount if parameter == SH.minCount else sc.MaxCount
    return kind(
        shape, compiler.count(node, parameter, (XSD.integer,)), compiler.text.text(rdflib.URIRef(shape.path))
    )


def _class(compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node) -> sc.Component:
    rules = compiler.objects(node, SH["class"])
    text = (
        f"Value does not have class {compiler.text.text(rules[0])}"
        if len(rules) < 2
        else f"Value class is not in classes ({compiler.joined(rules, ', ')})"
    )
    return sc.ClassOf(shape, text, [str(r) if isinstance(r, rdflib.URIRef) else None for r in rules])


def _datatype(compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node) -> sc.Component:
    rule = compiler.one(node, SH.datatype)
    if not isinstance(rule, rdflib.URIRef):
        raise Unsupported(f"sh:datatype {rule!r}")
    plain = rule == XSD.string or rule not in _toPythonMapping  # rdflib never finds these ill-typed
    return sc.Datatype(
        shape, f"Value is not Literal with datatype {compiler.text.text(rule)}", str(rule), plain
    )


def _node_kind(compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node) -> sc.Component:
    kind = compiler.one(node, SH.nodeKind)
    assert kind is not None
    return sc.NodeKind(shape, f"Value is not of Node Kind {compiler.text.text(kind)}", kind)


def _length(
    compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node, parameter: rdflib.URIRef
) -> sc.Component:
    length = compiler.count(node, parameter, _WHOLE)
    rule = compiler.one(node, parameter)
    assert isinstance(rule, rdflib.Literal)
    shown = literal_text(rule, compiler.data_names)
    if parameter == SH.minLength:
        return sc.MinLength(shape, f"String length not >= {shown}", length)
    return sc.MaxLength(shape, f"String length not <= {shown}", length)


def _pattern(compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node) -> sc.Component:
    rules = compiler.objects(node, SH.pattern)
    flags_value = compiler.one(node, SH.flags)
    if not all(isinstance(r, rdflib.Literal) and isinstance(r.value, str) for r in rules) or not (
        flags_value is None or isinstance(flags_value, rdflib.Literal)
    ):
        raise Unsupported("sh:pattern or sh:flags that is not a string")
    literals = cast(list[rdflib.Literal], rules)
    flags = str(flags_value.value).lower() if flags_value else ""  # pySHACL honours i and m only
    re_flags = (re.I if "i" in flags else 0) | (re.M if "m" in flags else 0)
    try:
        patterns = [
            re.compile(str(r.value) if r.value is not None and len(r.value) > 1 else str(r), re_flags)
            for r in literals
        ]
    except re.error as error:
        raise Unsupported(f"sh:pattern {error}") from error
    if len(literals) < 2:
        text = f"Value does not match pattern '{literals[0].value}'"
    else:
        text = "Value does not match every pattern in ('{}')".format(
            "', '".join(str(r.value) for r in literals)
        )
    return sc.Pattern(shape, text, patterns)


def _language_in(compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node) -> sc.Component:
    listed = compiler.one(node, SH.languageIn)
    assert listed is not None
    items = list(compiler.graph.items(listed))
    if not all(isinstance(i, rdflib.Literal) and isinstance(i.value, str) for i in items):
        raise Unsupported("sh:languageIn")
    languages = frozenset(str(cast(rdflib.Literal, i).value).lower() for i in items)
    return sc.LanguageIn(shape, f"String language is not in {compiler.text.text(listed)}", languages)


def _unique_lang(compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node) -> sc.Component | None:
    flag = compiler.one(node, SH.uniqueLang)
    if not (isinstance(flag, rdflib.Literal) and isinstance(flag.value, bool)):
        raise Unsupported("sh:uniqueLang")
    if shape.path is None or not flag.value:  # pySHACL skips it on a node shape, and when false
        return None
    return sc.UniqueLang(shape, "More than one String shares the same Language")


_RANGE_SIGNS = {SH.minInclusive: ">=", SH.minExclusive: ">", SH.maxInclusive: "<=", SH.maxExclusive: "<"}


def _range(
    compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node, parameter: rdflib.URIRef
) -> sc.Component:
    bounds = compiler.objects(node, parameter)
    if not all(isinstance(b, rdflib.Literal) for b in bounds):
        raise Unsupported(f"{parameter} that is not a literal")
    sign = _RANGE_SIGNS[parameter]
    text = (
        f"Value is not {sign} {compiler.text.text(bounds[0])}"
        if len(bounds) < 2
        else f"Value is not {sign} in ({compiler.joined(bounds, ', ')})"
    )
    return sc.Range(shape, text, parameter, cast(list[rdflib.Literal], bounds))


def _has_value(compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node) -> sc.Component:
    terms = set(compiler.graph.objects(node, SH.hasValue))
    shown = [compiler.text.text(t) for t in terms]  # a set, printed in its iteration order as pySHACL does
    if shape.path is None:
        return sc.HasValue(shape, terms, "Node ", f" value is not a in the set of values: {shown}")
    path = compiler.text.text(rdflib.URIRef(shape.path))
    return sc.HasValue(shape, terms, "Node ", f"->{path} does not contain a value in the set: {shown}")


def _in(compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node) -> sc.Component:
    listed = compiler.one(node, SH["in"])
    assert listed is not None
    terms: set[rdflib.term.Node] = set()
    for item in compiler.graph.items(listed):
        terms.add(item)
    return sc.In(shape, terms, str([compiler.text.text(t) for t in terms]))


def _closed(compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node) -> sc.Component | None:
    closed = compiler.one(node, SH.closed)
    if not isinstance(closed, rdflib.Literal):
        raise Unsupported("sh:closed without a boolean")
    if not closed.value:
        return None
    allowed = {str(p) for i in compiler.objects(node, SH.ignoredProperties) for p in compiler.graph.items(i)}
    allowed |= {cast(str, compiler.shape(p, "property").path) for p in compiler.objects(node, SH.property)}
    return sc.Closed(shape, frozenset(allowed))


def _ignored(compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node) -> None:
    if compiler.one(node, SH.closed) is None:
        raise Unsupported("sh:ignoredProperties without sh:closed")


def _node(compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node) -> sc.Component:
    targets = compiler.objects(node, SH.node)
    if len(targets) < 2:
        text = f"Value does not conform to Shape {compiler.text.text(targets[0])}."
    else:
        text = "Value must conform to every Shape in ('{}').".format(compiler.joined(targets, "', '"))
    shapes = [compiler.shape(t, "node") for t in targets]
    return sc.Node(shape, text + " See details for more information.", shapes)


def _property(compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node) -> sc.Component:
    return sc.Property(shape, [compiler.shape(p, "property") for p in compiler.objects(node, SH.property)])


_LOGICAL_TAILS = {
    SH["and"]: " must conform to all shapes in {}",
    SH["or"]: " must conform to one or more shapes in {}",
    SH.xone: " must conform to exactly one shape in {}",
}


def _logical(
    compiler: _Compiler, shape: sc.Shape, node: rdflib.term.Node, parameter: rdflib.URIRef
) -> sc.Component:
    values = compiler.objects(node, parameter)
    if parameter == SH["not"]:
        groups = [[compiler.shape(v)] for v in values]
        shown = compiler.text.text(values[0]) if len(values) == 1 else compiler.joined(values, " , ")
        tail = f" must not conform to {'shape' if len(values) == 1 else 'any shapes in'} {shown}"
        return sc.Logical(shape, parameter, groups, tail)
    lists = [compiler.listed(v) for v in values]
    # sh:and and sh:or take the members as a set, sh:xone as a list (pySHACL counts a repeat twice)
    groups = [
        [compiler.shape(m) for m in (members if parameter == SH.xone else dict.fromkeys(members))]
        for members in lists
    ]
    if len(lists) < 2:
        shown = compiler.joined(lists[0], " , ")
    else:
        shown = " and ".join(f"({compiler.joined(members, ' , ')})" for members in lists)
    return sc.Logical(shape, parameter, groups, _LOGICAL_TAILS[parameter].format(shown))


_Builder = Callable[[_Compiler, sc.Shape, rdflib.term.Node], "sc.Component | None"]


def _with(parameter: rdflib.URIRef, build: Callable[..., sc.Component | None]) -> _Builder:
    return lambda compiler, shape, node: build(compiler, shape, node, parameter)


_BUILDERS: dict[rdflib.URIRef, _Builder] = {
    SH.minCount: _with(SH.minCount, _count),
    SH.maxCount: _with(SH.maxCount, _count),
    SH["class"]: _class,
    SH.datatype: _datatype,
    SH.nodeKind: _node_kind,
    SH.minLength: _with(SH.minLength, _length),
    SH.maxLength: _with(SH.maxLength, _length),
    SH.pattern: _pattern,
    SH.languageIn: _language_in,
    SH.uniqueLang: _unique_lang,
    **{p: _with(p, _range) for p in _RANGE_SIGNS},
    SH.hasValue: _has_value,
    SH["in"]: _in,
    SH.closed: _closed,
    SH.ignoredProperties: _ignored,
    SH.node: _node,
    SH.property: _property,
    **{p: _with(p, _logical) for p in (SH["not"], SH["and"], SH["or"], SH.xone)},
}
"""How each constraint parameter becomes a component (None: it constrains nothing)."""
