"""Pure: subject trees, and NGSI-LD entities, as Turtle text.

``TurtleWriter`` writes one block per subject, blank nodes nested as ``[ ... ]``, IRIs under our
prefixes where their local part allows.  ``write_turtle`` writes the entities of
``rdf.entity_subjects`` straight from their dicts where they are of the usual kinds
(``_EntityTurtle``): building their subject trees would cost more than writing them.  In
reference mode (``accelerators``) ``write_turtle`` leaves the writing to rdflib (``reference``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import IO, Any

from ldt_catalog.accelerators import reference_mode
from ldt_catalog.rdf import reference
from ldt_catalog.rdf.canonical import canonical_json
from ldt_catalog.rdf.convert import (
    RULE_IRI_VALUE,
    RULE_JSON,
    RULE_LANGUAGE_MAP,
    RULE_PLAIN,
    EntitySubjects,
    NodeConverter,
)
from ldt_catalog.rdf.terms import (
    RDF,
    RDF_JSON,
    RDF_TYPE,
    XSD,
    XSD_STRING,
    BlankNode,
    Iri,
    Literal,
    Subject,
    Term,
)

PREFIXES = {
    "rdf": RDF,
    "xsd": XSD,
    "ngsi-ld": "https://uri.etsi.org/ngsi-ld/",
    "schema": "https://schema.org/",
    "dcterms": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "ldt": "https://w3id.org/ldt-catalog#",
}

_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
_STRING_ESCAPES = str.maketrans(
    {**_ECHAR, **{chr(c): f"\\u{c:04X}" for c in range(0x20) if chr(c) not in _ECHAR}, "\x7f": "\\u007F"}
)
_IRI_ESCAPES = str.maketrans(
    {c: f"\\u{ord(c):04X}" for c in '<>"{}|^`\\ '} | {chr(c): f"\\u{c:04X}" for c in range(0x21)}
)
_IRI_NEEDS_ESCAPES = re.compile(r'[<>"{}|^`\\\x00-\x20]')


def quote_string(text: str) -> str:
    r"""``text`` as a Turtle ``"..."`` string, as ``f'"{text.translate(_STRING_ESCAPES)}"'`` is, mostly in C.

    JSON escapes a string as Turtle does (``\\``, ``\"``, ``\b \f \n \r \t``, any other
    control character as ``\u00xx``) but for the hex digits' case and DEL, which it leaves as it
    is: when its output holds a ``\u00`` or a DEL, the exact ``translate`` decides.  ASCII text
    takes JSON's ASCII encoder, faster; it differs only in escaping DEL, which that check catches.
    """
    quoted = encode_basestring_ascii(text) if text.isascii() else encode_basestring(text)
    if "\\u00" in quoted or "\x7f" in quoted:
        return f'"{text.translate(_STRING_ESCAPES)}"'
    return quoted


def escape_iri(value: str) -> str:
    return value if _IRI_NEEDS_ESCAPES.search(value) is None else value.translate(_IRI_ESCAPES)


_LOCAL_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?")
"""A local name as we write one: ASCII letters, digits, ``_`` and ``-`` (not at either end)."""


class TurtleWriter:
    """Writes subjects as Turtle, one block per subject, blank nodes nested as ``[ ... ]``."""

    def __init__(self, out: IO[str], prefixes: dict[str, str] | None = None) -> None:
        self._out = out
        self._use_prefixes(prefixes or PREFIXES)
        for name, namespace in sorted((prefixes or PREFIXES).items()):
            out.write(f"@prefix {name}: <{namespace}> .\n")

    def _use_prefixes(self, prefixes: dict[str, str]) -> None:
        self._iri_cache: dict[str, str] = {}
        self._verbs: dict[str, str] = {RDF_TYPE: "a"}  # predicate -> its IRI as a verb
        longest_first = sorted(prefixes.items(), key=lambda p: -len(p[1]))
        # one match finds the longest namespace an IRI starts with (a namespace's first name wins)
        self._names: dict[str, str] = {}
        for name, namespace in longest_first:
            self._names.setdefault(namespace, name)
        alternatives = "|".join(re.escape(namespace) for _, namespace in longest_first)
        self._namespace = re.compile(alternatives or "(?!)")

    def iri(self, value: str) -> str:
        cached = self._iri_cache.get(value)
        if cached is not None:
            return cached
        namespace = self._namespace.match(value)
        if namespace is not None and _LOCAL_NAME.fullmatch(value, namespace.end()):
            text = f"{self._names[namespace.group()]}:{value[namespace.end() :]}"
        else:
            text = f"<{escape_iri(value)}>"
        if len(self._iri_cache) < 4096:
            self._iri_cache[value] = text
        return text

    def _verb(self, predicate: str) -> str:
        verb = self.iri(predicate)
        if len(self._verbs) < 4096:
            self._verbs[predicate] = verb
        return verb

    def literal(self, term: Literal) -> str:
        text = quote_string(term.lexical)
        if term.language is not None:
            return f"{text}@{term.language}"
        if term.datatype != XSD_STRING:
            return f"{text}^^{self._iri_cache.get(term.datatype) or self.iri(term.datatype)}"
        return text

    def term(self, term: Term | Subject, indent: str) -> str:
        if isinstance(term, Literal):
            return self.literal(term)
        if isinstance(term, Iri):
            return self.iri(term.value)
        if isinstance(term, BlankNode):
            return f"_:{term.label}"
        return "[ " + self._pairs(term.pairs, indent + "    ") + " ]"

    def _pairs(self, pairs: list[tuple[str, Term | Subject]], indent: str) -> str:
        cache = self._iri_cache  # looked up here: most IRIs are cached, a call to ``iri`` costs more
        grouped: dict[str, list[str]] = {}
        for predicate, obj in pairs:
            if type(obj) is Literal:
                text = self.literal(obj)
            elif type(obj) is Iri:
                text = cache.get(obj.value) or self.iri(obj.value)
            elif type(obj) is Subject:
                text = f"[ {self._pairs(obj.pairs, indent + '    ')} ]"
            else:
                text = self.term(obj, indent)
            objects = grouped.get(predicate)
            if objects is None:
                grouped[predicate] = [text]
            else:
                objects.append(text)
        return self._lines(grouped, indent)

    def _lines(self, grouped: dict[str, list[str]], indent: str) -> str:
        """A line per predicate with its objects, in their order, joined by Turtle's ``;`` and ``,``."""
        verbs = self._verbs
        lines = []  # a loop, not a comprehension: cheaper for the few lines of a node
        for predicate, objects in grouped.items():
            lines.append(f"{verbs.get(predicate) or self._verb(predicate)} {', '.join(objects)}")
        return f" ;\n{indent}".join(lines)

    def write(self, subject: Subject) -> None:
        head = self.term(subject.term, "") if not isinstance(subject.term, Subject) else ""
        if not subject.pairs:
            return
        self._out.write(f"\n{head}\n    {self._pairs(subject.pairs, '    ')} .\n")


def write_turtle(subjects: Iterable[Subject], out: IO[str]) -> None:
    """The subjects as Turtle; those of ``entity_subjects`` written from the entities where they may.

    In reference mode, rdflib writes them, as N-Triples (which is Turtle).
    """
    if reference_mode():
        reference.write_ntriples(subjects, out)
        return
    writer = TurtleWriter(out)
    entities = subjects.take_entities() if isinstance(subjects, EntitySubjects) else None
    if entities is None:
        for subject in subjects:
            writer.write(subject)
        return
    direct: dict[NodeConverter, _EntityTurtle] = {}
    for converter, entity in entities:
        shortcut = direct.get(converter)
        if shortcut is None:
            shortcut = direct[converter] = _EntityTurtle(converter, writer)
        block = shortcut.block(entity)
        if block is None:  # not of the usual kinds: as trees
            for subject in converter.subjects(entity):
                writer.write(subject)
        elif block:
            out.write(block)


class _EntityTurtle:
    """Turtle straight from an entity's dict, for entities of the kinds most exports hold.

    It is the text ``TurtleWriter.write`` makes of the subject trees ``NodeConverter.subjects``
    gives (``tests/test_fast_paths.py`` compares the two on many random entities), made without
    the trees: making their term objects costs more than writing them.  It covers an entity with a
    string ``id`` and one type whose properties are strings, ``@json`` values, ``@id`` strings,
    language maps of strings, nested nodes of the same kinds without an ``id``, and lists of
    strings and such nodes.  For any other entity ``block`` gives ``None``: take the trees.
    """

    def __init__(self, converter: NodeConverter, writer: TurtleWriter) -> None:
        self._converter = converter
        self._writer = writer
        self._json = "^^" + writer.iri(RDF_JSON)  # after each rdf:JSON literal
        self._types: dict[str, str] = {}  # type name -> its IRI as Turtle
        self._nested = 0  # nested nodes of the entity so far: blank nodes the trees would issue

    def block(self, entity: dict[str, Any]) -> str | None:
        """The entity's Turtle block ("" when it has no triples), or ``None`` to take the trees."""
        converter = self._converter
        keys = tuple(entity)
        id_at = (converter.layout(keys))[0]
        entity_id = entity[keys[id_at]] if id_at >= 0 else None
        if type(entity_id) is not str:
            return None
        self._nested = 0
        pairs = self._pairs(entity, "    ", False)
        if pairs is None:
            return None
        converter.issuer.skip(self._nested)  # later blank nodes keep the labels the trees give them
        return f"\n{self._writer.iri(entity_id)}\n    {pairs} .\n" if pairs else ""

    def _pairs(self, node: dict[str, Any], indent: str, nested: bool) -> str | None:
        """``TurtleWriter._pairs`` of the tree ``NodeConverter._subject`` makes of the node, or ``None``."""
        converter, writer = self._converter, self._writer
        keys = tuple(node)
        id_at, type_at, properties = converter.layout(keys)
        if nested and id_at >= 0:
            return None  # the trees detach a nested node with an ``id``
        values = tuple(node.values())
        grouped: dict[str, list[str]] = {}
        if type_at >= 0:
            type_name = values[type_at]
            if type(type_name) is not str:
                return None
            grouped[RDF_TYPE] = [self._types.get(type_name) or self._type(type_name)]
        for at, rule, predicate, _ in properties:
            value = values[at]
            if value is None:
                continue
            kind = type(value)
            if rule == RULE_PLAIN and kind is str:
                texts = [quote_string(value)]
            elif rule == RULE_PLAIN and kind is dict:
                text = self._node(value, indent)
                if text is None:
                    return None
                texts = [text]
            elif rule == RULE_JSON:
                texts = [quote_string(canonical_json(value)) + self._json]
            elif rule == RULE_LANGUAGE_MAP and kind is dict:
                texts = []
                for language, text in value.items():
                    if type(text) is not str:
                        return None
                    texts.append(f"{quote_string(text)}@{language.lower()}")
            elif rule == RULE_IRI_VALUE and kind is str:
                texts = [writer.iri(value)]
            elif rule == RULE_PLAIN and kind is list:
                texts = []
                for item in value:
                    if type(item) is str:
                        texts.append(quote_string(item))
                    elif type(item) is dict:
                        text = self._node(item, indent)
                        if text is None:
                            return None
                        texts.append(text)
                    elif item is not None:
                        return None
            else:
                return None
            objects = grouped.get(predicate)
            if objects is None:
                if texts:  # none (an empty list or map) makes no triple
                    grouped[predicate] = texts
            else:
                objects += texts
        return writer._lines(grouped, indent)

    def _node(self, node: dict[str, Any], indent: str) -> str | None:
        """A nested node as ``[ ... ]``: a blank node, which the trees would have issued a label."""
        if "@value" in node or "@list" in node:
            return None  # refused by the trees
        self._nested += 1
        pairs = self._pairs(node, indent + "    ", True)
        return None if pairs is None else f"[ {pairs} ]"

    def _type(self, type_name: str) -> str:
        """The type's IRI as Turtle, kept for the next node of that type."""
        text = self._types[type_name] = self._writer.iri(self._converter.type_iri(type_name).value)
        return text
