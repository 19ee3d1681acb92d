"""Pure: our JSON-LD documents to RDF triples, written straight to Turtle.

pyld's ``to_rdf`` is the reference, but it runs the full JSON-LD algorithms per document, which is
an order of magnitude slower than this tool needs at scale.  Here the contexts are turned once into
a ``TermTable`` and every node is converted with the few JSON-LD rules our documents use (term and
compact IRI expansion, ``@type`` coercion to ``@id``/``@vocab``/``@json``/datatypes, ``@language``
and language maps, nested node objects).  Anything outside that subset raises ``UnsupportedJsonLd``
rather than guessing.  Tests prove the output isomorphic to pyld's, term for term.

Literals are written with their exact lexical form (numbers in the canonical form pyld uses), so
nothing is lost to a serializer's rounding.  ``turtle`` writes the trees (and most entities
straight from their dicts) as Turtle.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from ldt_catalog.errors import LdtCatalogError
from ldt_catalog.ngsild.context import load_context_document

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = RDF + "type"
RDF_LANG_STRING = RDF + "langString"
RDF_JSON = RDF + "JSON"
XSD_STRING = XSD + "string"
XSD_INTEGER = XSD + "integer"
XSD_DOUBLE = XSD + "double"
XSD_BOOLEAN = XSD + "boolean"

KEYWORD_ALIASES = {"@id", "@type"}


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


@dataclass(frozen=True, slots=True)
class TermDefinition:
    iri: str
    type_mapping: str | None = None  # "@id", "@vocab", "@json" or a datatype IRI
    language: str | None = None
    container: str | None = None


class TermTable:
    """The active context of a list of contexts (later ones win), resolved once."""

    def __init__(self, contexts: Sequence[dict[str, Any] | str]) -> None:
        raw: dict[str, Any] = {}
        self.vocab: str | None = None
        for context in contexts:
            definitions = load_context_document(context)["@context"] if isinstance(context, str) else context
            for key, value in definitions.items():
                if key == "@vocab":
                    self.vocab = value
                elif not key.startswith("@"):
                    raw[key] = value
        self._raw = raw
        self.terms: dict[str, TermDefinition] = {}
        self.aliases: dict[str, str] = {}
        for term, value in raw.items():
            if isinstance(value, str) and value in KEYWORD_ALIASES:
                self.aliases[term] = value
            elif isinstance(value, str):
                self.terms[term] = TermDefinition(self._expand_compact(value))
            elif isinstance(value, dict):
                type_mapping = value.get("@type")
                if type_mapping is not None and not type_mapping.startswith("@"):
                    type_mapping = self._expand_compact(type_mapping)
                self.terms[term] = TermDefinition(
                    self._expand_compact(value.get("@id", term)),
                    type_mapping,
                    value.get("@language"),
                    value.get("@container"),
                )

    def _expand_compact(self, value: str) -> str:
        """A term's IRI: a prefix:suffix with a known prefix, an absolute IRI, or another term."""
        prefix, colon, suffix = value.partition(":")
        if colon and not suffix.startswith("//"):
            prefix_value = self._raw.get(prefix)
            if isinstance(prefix_value, str):
                return prefix_value + suffix
            if isinstance(prefix_value, dict) and "@id" in prefix_value:
                return str(prefix_value["@id"]) + suffix
            return value
        if colon:
            return value
        target = self._raw.get(value)
        if isinstance(target, str) and target != value:
            return self._expand_compact(target)
        if self.vocab is not None:
            return self.vocab + value
        raise UnsupportedJsonLd(f"term {value!r} has no IRI in the active context")

    def expand_vocab(self, value: str) -> str:
        """Expand a type name or property key, as JSON-LD does with ``vocab: true``."""
        definition = self.terms.get(value)
        if definition is not None:
            return definition.iri
        if ":" in value:
            return self._expand_compact(value)
        if self.vocab is not None:
            return self.vocab + value
        raise UnsupportedJsonLd(f"{value!r} is not a term of the active context and there is no @vocab")


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


def canonical_json(value: Any) -> str:
    """The RFC 8785 (JCS) form of a JSON value, as JSON-LD requires for ``rdf:JSON`` literals.

    ``json.dumps`` already sorts keys and escapes strings as JCS does; only numbers differ (JCS
    writes them as ECMAScript does), so values holding floats take the slower path.  The value is
    encoded first: that refuses what is no JSON (a cycle too) before ``_has_float`` walks it.
    """
    text = _SORTED_JSON.encode(value) if _ENCODE_SORTED is None else "".join(_ENCODE_SORTED(value, 0))
    return _jcs(value) if _has_float(value) else text


_SORTED_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
"""``json.dumps`` with these options, made once: ``dumps`` builds an encoder on every call."""
_ENCODE_SORTED = (
    c_make_encoder(None, _SORTED_JSON.default, encode_basestring, None, ":", ",", True, False, True)
    if c_make_encoder is not None
    else None
)
"""The C encoder that ``_SORTED_JSON.encode`` makes on every call (``None`` where there is none),
made once; without the check for cycles, which a JSON tree cannot have (a cycle still fails, as
``RecursionError``)."""


_EXACT_INTEGER_LIMIT = 2**53  # beyond this, JCS (as ECMAScript) sees a double
_NESTED_FAST_DEPTH = 64  # deeper containers take the loop of ``_has_float_anywhere``, not recursion


def _has_float(value: Any, depth: int = 0) -> bool:
    """Whether a JSON value holds a float or an integer too large for a double to keep exactly.

    Dicts and lists of the exact JSON types are checked here (most items are strings and small
    integers); anything else, and deep nesting, is left to ``_has_float_anywhere``.
    """
    kind = type(value)
    if kind is dict:
        items: Iterable[Any] = value.values()
    elif kind is list:
        items = value
    else:
        return _has_float_anywhere(value)
    if depth > _NESTED_FAST_DEPTH:
        return _has_float_anywhere(value)
    for item in items:
        kind = type(item)
        if kind is str:
            continue
        if kind is int:
            if -_EXACT_INTEGER_LIMIT < item < _EXACT_INTEGER_LIMIT:
                continue
            return True
        if kind is dict or kind is list:
            if _has_float(item, depth + 1):
                return True
        elif kind is not bool and item is not None and _has_float_anywhere(item):
            return True
    return False


def _has_float_anywhere(value: Any) -> bool:
    """``_has_float`` for any value, without recursion: subclasses of the JSON types included."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:  # the common number, before the general checks below
            if -_EXACT_INTEGER_LIMIT < item < _EXACT_INTEGER_LIMIT:
                continue
            return True
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, float) or (
            isinstance(item, int) and not isinstance(item, bool) and abs(item) >= _EXACT_INTEGER_LIMIT
        ):
            return True
    return False


def _jcs(value: Any) -> str:
    if isinstance(value, float):
        return ecmascript_number(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _EXACT_INTEGER_LIMIT:
        return ecmascript_number(float(value))
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_jcs(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def ecmascript_number(number: float) -> str:
    """ECMAScript's Number::toString, which JCS uses for every number."""
    if number != number or number in (float("inf"), float("-inf")):
        raise UnsupportedJsonLd(f"{number} has no JSON form")
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    mantissa, _, exponent_text = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction.rstrip("0")).lstrip("0") if fraction != "0" else whole.lstrip("0")
    # point position n: the value is 0.<digits> x 10^n
    n = len(whole.lstrip("0")) if whole.strip("0") else -(len(fraction) - len(fraction.lstrip("0")))
    n += int(exponent_text or 0)
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    exponent = n - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{head}e{'+' if exponent > 0 else '-'}{abs(exponent)}"


def canonical_double(value: float) -> str:
    """The canonical xsd:double lexical form that JSON-LD's toRdf produces."""
    mantissa, exponent = f"{value:1.15E}".split("E")
    mantissa = mantissa.rstrip("0")
    if mantissa.endswith("."):
        mantissa += "0"
    return f"{mantissa}E{int(exponent)}"


# What a key of a node is: ``@id``, ``@type``, skipped, or a property; a property's rule says which
# common case its values take without the general path (``RULE_GENERAL`` takes it for every value).
_ID, _TYPE, _SKIP = range(3)
RULE_PLAIN, RULE_JSON, RULE_LANGUAGE_MAP, RULE_IRI_VALUE, RULE_GENERAL, RULE_NO_IRI = range(3, 9)
_Plan = tuple[int, str, "TermDefinition | None"]
"""(rule, the property's IRI, its definition: ``None`` for a plain term); ``RULE_NO_IRI`` keeps the key."""
Shape = tuple[int, int, tuple[tuple[int, int, str, "TermDefinition | None"], ...]]
"""What a node's keys, in their order, mean: where its ``@id`` is and where its ``@type`` is (-1:
nowhere; the last one if several), and each property's (position, rule, IRI, definition)."""
_SHAPES_KEPT = 1024  # distinct key sequences kept per converter; documents repeat a few


def _value_rule(definition: TermDefinition) -> int:
    """The rule of a defined term, in the order ``_add_values`` checks its definition."""
    if definition.type_mapping == "@json":
        return RULE_JSON
    if definition.container == "@language":
        return RULE_LANGUAGE_MAP
    if definition.type_mapping is None and definition.language is None and definition.container is None:
        return RULE_PLAIN
    if definition.type_mapping == "@id" and definition.container in (None, "@set"):
        return RULE_IRI_VALUE
    return RULE_GENERAL


class NodeConverter:
    """Converts node objects of one document to ``Subject`` trees.

    What a key means (``@id``, ``@type``, skipped, or a property with its IRI and definition) is
    worked out once per key and kept, and so is what a node's sequence of keys means: a document
    repeats the same few keys, in the same order, in every node.
    """

    def __init__(self, table: TermTable, issuer: BlankNodeIssuer | None = None) -> None:
        self.table = table
        self.issuer = issuer or BlankNodeIssuer()
        self._plans: dict[str, _Plan] = {}
        self._shapes: dict[tuple[str, ...], Shape] = {}
        self._types: dict[str, Iri] = {}  # type name -> its IRI; terms are immutable, so shared

    def subjects(self, node: dict[str, Any]) -> Iterator[Subject]:
        """The node itself, then any nested node that has its own ``id`` (as top-level subjects)."""
        detached: list[Subject] = []
        yield self._subject(node, detached)
        yield from detached

    def _plan(self, key: str) -> _Plan:
        table = self.table
        keyword = table.aliases.get(key, key)
        if keyword == "@id":
            plan: _Plan = (_ID, "", None)
        elif keyword == "@type":
            plan = (_TYPE, "", None)
        elif key == "@context":
            plan = (_SKIP, "", None)
        else:
            definition = table.terms.get(key)
            if definition is not None:
                rule = _value_rule(definition)  # a plain term acts as none: no definition to consult
                plan = (rule, definition.iri, None if rule == RULE_PLAIN else definition)
            else:
                try:
                    plan = (RULE_PLAIN, table.expand_vocab(key), None)
                except UnsupportedJsonLd:
                    return (RULE_NO_IRI, key, None)  # refused when a value needs it, as before (not kept)
        self._plans[key] = plan
        return plan

    def shape(self, keys: tuple[str, ...]) -> Shape:
        """What a node with these keys, in this order, holds where (see ``Shape``)."""
        return self._shapes.get(keys) or self._shape(keys)

    def _shape(self, keys: tuple[str, ...]) -> Shape:
        """What the keys of a node mean, from the plans of each (kept, for the next node like it)."""
        id_at = type_at = -1
        properties = []
        for at, key in enumerate(keys):
            rule, predicate, definition = self._plans.get(key) or self._plan(key)
            if rule == _ID:
                id_at = at
            elif rule == _TYPE:
                type_at = at
            elif rule >= RULE_PLAIN:
                properties.append((at, rule, predicate, definition))
        shape = (id_at, type_at, tuple(properties))
        if len(self._shapes) < _SHAPES_KEPT:
            self._shapes[keys] = shape
        return shape

    def _subject(self, node: dict[str, Any], detached: list[Subject]) -> Subject:
        keys = tuple(node)
        id_at, type_at, properties = self._shapes.get(keys) or self._shape(keys)
        values = tuple(node.values())
        node_id = values[id_at] if id_at >= 0 else None
        pairs: list[tuple[str, Term | Subject]] = []
        subject = Subject(Iri(node_id) if node_id is not None else self.issuer.new(), pairs)
        if type_at >= 0:
            types = values[type_at]
            type_iri = self._types.get(types) if type(types) is str else None  # one type, seen before
            if type_iri is not None:
                pairs.append((RDF_TYPE, type_iri))
            else:
                for type_name in types if isinstance(types, list) else (types,):
                    pairs.append((RDF_TYPE, self.type_iri(type_name)))
        for at, rule, predicate, definition in properties:
            value = values[at]
            if value is None:
                continue
            # the common cases first, as the general path would take them
            kind = type(value)
            if rule == RULE_PLAIN and kind is str:
                pairs.append((predicate, Literal(value)))
            elif rule == RULE_PLAIN and kind is dict:
                self._add_node(pairs, predicate, value, detached)
            elif rule == RULE_JSON:
                pairs.append((predicate, Literal(canonical_json(value), RDF_JSON)))
            elif rule == RULE_LANGUAGE_MAP:
                self._add_language_map(pairs, predicate, value)
            elif rule == RULE_IRI_VALUE and kind is str:
                pairs.append((predicate, Iri(value)))
            elif rule == RULE_NO_IRI:
                self.table.expand_vocab(predicate)  # raises: the key has no IRI
            else:
                self._add_values(pairs, predicate, definition, value, detached)
        return subject

    def type_iri(self, type_name: str) -> Iri:
        """The IRI of a type name (kept: types repeat)."""
        type_iri = self._types.get(type_name)
        if type_iri is None:
            type_iri = self._types[type_name] = Iri(self.table.expand_vocab(type_name))
        return type_iri

    def _add_values(
        self,
        pairs: list[tuple[str, Term | Subject]],
        predicate: str,
        definition: TermDefinition | None,
        value: Any,
        detached: list[Subject],
    ) -> None:
        type_mapping = definition.type_mapping if definition is not None else None
        if type_mapping == "@json":
            pairs.append((predicate, Literal(canonical_json(value), RDF_JSON)))
            return
        container = definition.container if definition is not None else None
        if container == "@language":
            self._add_language_map(pairs, predicate, value)
            return
        if container is not None and container != "@set":
            raise UnsupportedJsonLd(f"container {container!r} of {predicate} is not supported")
        for item in value if isinstance(value, list) else [value]:
            if item is None:
                continue
            if isinstance(item, dict):
                self._add_node(pairs, predicate, item, detached)
            else:
                pairs.append((predicate, self._scalar(item, definition)))

    @staticmethod
    def _add_language_map(pairs: list[tuple[str, Term | Subject]], predicate: str, value: Any) -> None:
        for language, texts in value.items():
            if type(texts) is str:  # one text in this language: the usual case, without a list
                pairs.append((predicate, Literal(texts, RDF_LANG_STRING, language.lower())))
                continue
            for text in texts if isinstance(texts, list) else [texts]:
                pairs.append((predicate, Literal(text, RDF_LANG_STRING, language.lower())))

    def _add_node(
        self,
        pairs: list[tuple[str, Term | Subject]],
        predicate: str,
        item: dict[str, Any],
        detached: list[Subject],
    ) -> None:
        """A nested node object: a blank node stays nested, one with an ``id`` is linked and detached."""
        if "@value" in item or "@list" in item:
            raise UnsupportedJsonLd(f"value objects are not supported ({predicate})")
        child = self._subject(item, detached)
        if isinstance(child.term, Iri):
            if len(child.pairs) > 0:
                detached.append(child)
            pairs.append((predicate, child.term))
        else:
            pairs.append((predicate, child))

    def _scalar(self, item: Any, definition: TermDefinition | None) -> Term:
        type_mapping = definition.type_mapping if definition is not None else None
        if isinstance(item, str):
            if type_mapping == "@id":
                return Iri(item)
            if type_mapping == "@vocab":
                return Iri(self.table.expand_vocab(item))
            if type_mapping is not None:
                return Literal(item, type_mapping)
            if definition is not None and definition.language is not None:
                return Literal(item, RDF_LANG_STRING, definition.language.lower())
            return Literal(item)
        if isinstance(item, bool):
            return Literal("true" if item else "false", type_mapping or XSD_BOOLEAN)
        if isinstance(item, int):
            if abs(item) >= 10**21:
                return Literal(canonical_double(float(item)), type_mapping or XSD_DOUBLE)
            return Literal(str(item), type_mapping or XSD_INTEGER)
        if isinstance(item, float):
            if type_mapping is not None and type_mapping not in (XSD_DOUBLE,):
                raise UnsupportedJsonLd(f"a float with datatype {type_mapping} is not supported")
            return Literal(canonical_double(item), XSD_DOUBLE)
        raise UnsupportedJsonLd(f"cannot convert {item!r} to RDF")


def flatten(subject: Subject) -> Iterator[tuple[Iri | BlankNode, str, Term]]:
    """The plain triples of a subject tree."""
    for predicate, obj in subject.pairs:
        if isinstance(obj, Subject):
            yield subject.term, predicate, obj.term
            yield from flatten(obj)
        else:
            yield subject.term, predicate, obj


def entity_subjects(
    entities: Iterable[dict[str, Any]], cache: dict[str, NodeConverter] | None = None
) -> EntitySubjects:
    """Subjects of a stream of NGSI-LD entities, each carrying its own ``@context``.

    Entities of one export share a context; its term table is built once and reused (across calls
    too when the caller passes a ``cache``).  Entities are read as subjects are asked for.
    """
    return EntitySubjects(entities, cache if cache is not None else {})


class EntitySubjects(Iterator[Subject]):
    """The subjects ``entity_subjects`` gives, one by one; ``turtle.write_turtle`` may take the
    entities instead, to write most of them without their subject trees."""

    def __init__(self, entities: Iterable[dict[str, Any]], converters: dict[str, NodeConverter]) -> None:
        self._entities = entities
        self._converters = converters
        self._subjects: Iterator[Subject] | None = None  # made when the first subject is asked for

    def __next__(self) -> Subject:
        if self._subjects is None:
            self._subjects = self._all_subjects()
        return next(self._subjects)

    def _all_subjects(self) -> Iterator[Subject]:
        for converter, entity in self._with_converters():
            yield from converter.subjects(entity)

    def take_entities(self) -> Iterator[tuple[NodeConverter, dict[str, Any]]] | None:
        """The entities (with their converters) for a reader that makes what it needs of them
        itself, in place of the subjects; ``None`` once subjects have been read."""
        if self._subjects is not None:
            return None
        self._subjects = iter(())
        return self._with_converters()

    def _with_converters(self) -> Iterator[tuple[NodeConverter, dict[str, Any]]]:
        """Each entity with the converter of its ``@context``."""
        issuer = BlankNodeIssuer()
        converters = self._converters
        converter: NodeConverter | None = None
        last_context: Any = None  # consecutive entities mostly carry equal contexts: compare, do not re-key
        for entity in self._entities:
            context = entity.get("@context")
            if context is None:
                raise UnsupportedJsonLd(f"entity {entity.get('id')!r} has no @context")
            if context is not last_context and context != last_context:
                key = json.dumps(context, sort_keys=True)
                converter = converters.get(key)
                if converter is None:
                    contexts = context if isinstance(context, list) else [context]
                    converter = converters[key] = NodeConverter(TermTable(contexts), issuer)
                last_context = context
            assert converter is not None
            yield converter, entity


def document_subjects(document: dict[str, Any]) -> Iterator[Subject]:
    """Subjects of a JSON-LD document with an inline ``@context`` and a ``@graph``."""
    context = document["@context"]
    converter = NodeConverter(TermTable(context if isinstance(context, list) else [context]))
    for node in document["@graph"]:
        yield from converter.subjects(node)


# -- Turtle ----------------------------------------------------------------------------------------

# -- rdflib, for tests, SHACL and small outputs ----------------------------------------------------


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
