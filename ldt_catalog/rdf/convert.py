"""Pure: our JSON-LD documents to RDF subject trees, with the few JSON-LD rules they use.

pyld's ``to_rdf`` is the reference, but it runs the full JSON-LD algorithms per document, which is
an order of magnitude slower than this tool needs at scale.  Here the contexts are turned once into
a ``TermTable`` and every node is converted with the few JSON-LD rules our documents use (term and
compact IRI expansion, ``@type`` coercion to ``@id``/``@vocab``/``@json``/datatypes, ``@language``
and language maps, nested node objects).  Anything outside that subset raises ``UnsupportedJsonLd``
rather than guessing.  Tests prove the output isomorphic to pyld's, term for term.

Literals are written with their exact lexical form (numbers in the canonical form pyld uses,
``canonical``), so nothing is lost to a serializer's rounding.  ``turtle`` writes the trees (and
most entities straight from their dicts) as Turtle.  In reference mode (``accelerators``),
``entity_subjects`` and ``document_subjects`` give pyld's triples instead (``reference``).

The terms, the term table and the canonical forms live in their own modules; their names are
also this module's, where the rest of the package has always found them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from ldt_catalog.accelerators import reference_mode
from ldt_catalog.rdf import reference
from ldt_catalog.rdf.canonical import canonical_double, canonical_json, ecmascript_number
from ldt_catalog.rdf.term_table import KEYWORD_ALIASES, TermDefinition, TermTable
from ldt_catalog.rdf.terms import (
    RDF,
    RDF_JSON,
    RDF_LANG_STRING,
    RDF_TYPE,
    XSD,
    XSD_BOOLEAN,
    XSD_DOUBLE,
    XSD_INTEGER,
    XSD_STRING,
    BlankNode,
    BlankNodeIssuer,
    Iri,
    Literal,
    Subject,
    Term,
    UnsupportedJsonLd,
    flatten,
    to_graph,
    to_graph_term,
)

__all__ = [
    "KEYWORD_ALIASES",
    "RDF",
    "RDF_JSON",
    "RDF_LANG_STRING",
    "RDF_TYPE",
    "RULE_GENERAL",
    "RULE_IRI_VALUE",
    "RULE_JSON",
    "RULE_LANGUAGE_MAP",
    "RULE_NO_IRI",
    "RULE_PLAIN",
    "XSD",
    "XSD_BOOLEAN",
    "XSD_DOUBLE",
    "XSD_INTEGER",
    "XSD_STRING",
    "BlankNode",
    "BlankNodeIssuer",
    "EntitySubjects",
    "Iri",
    "KeyLayout",
    "Literal",
    "NodeConverter",
    "Subject",
    "Term",
    "TermDefinition",
    "TermTable",
    "UnsupportedJsonLd",
    "canonical_double",
    "canonical_json",
    "document_subjects",
    "ecmascript_number",
    "entity_subjects",
    "flatten",
    "to_graph",
    "to_graph_term",
]

# What a key of a node is: ``@id``, ``@type``, skipped, or a property; a property's rule says which
# common case its values take without the general path (``RULE_GENERAL`` takes it for every value).
_ID, _TYPE, _SKIP = range(3)
RULE_PLAIN, RULE_JSON, RULE_LANGUAGE_MAP, RULE_IRI_VALUE, RULE_GENERAL, RULE_NO_IRI = range(3, 9)
_Plan = tuple[int, str, "TermDefinition | None"]
"""(rule, the property's IRI, its definition: ``None`` for a plain term); ``RULE_NO_IRI`` keeps the key."""
KeyLayout = tuple[int, int, tuple[tuple[int, int, str, "TermDefinition | None"], ...]]
"""What a node's keys, in their order, mean: where its ``@id`` is and where its ``@type`` is (-1:
nowhere; the last one if several), and each property's (position, rule, IRI, definition)."""
_LAYOUTS_KEPT = 1024  # distinct key sequences kept per converter; documents repeat a few


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
        self._layouts: dict[tuple[str, ...], KeyLayout] = {}
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

    def layout(self, keys: tuple[str, ...]) -> KeyLayout:
        """What a node with these keys, in this order, holds where (see ``KeyLayout``)."""
        return self._layouts.get(keys) or self._layout(keys)

    def _layout(self, keys: tuple[str, ...]) -> KeyLayout:
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
        layout = (id_at, type_at, tuple(properties))
        if len(self._layouts) < _LAYOUTS_KEPT:
            self._layouts[keys] = layout
        return layout

    def _subject(self, node: dict[str, Any], detached: list[Subject]) -> Subject:
        keys = tuple(node)
        id_at, type_at, properties = self._layouts.get(keys) or self._layout(keys)
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


def entity_subjects(
    entities: Iterable[dict[str, Any]], cache: dict[str, NodeConverter] | None = None
) -> Iterator[Subject]:
    """Subjects of a stream of NGSI-LD entities, each carrying its own ``@context``.

    Entities of one export share a context; its term table is built once and reused (across calls
    too when the caller passes a ``cache``).  Entities are read as subjects are asked for.  In
    reference mode, pyld's triples of each entity, grouped by subject (``reference``).
    """
    if reference_mode():
        return reference.entity_subjects(entities)
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
    """Subjects of a JSON-LD document with an inline ``@context`` and a ``@graph`` (pyld's in
    reference mode)."""
    if reference_mode():
        return reference.document_subjects(document)
    return _document_subjects(document)


def _document_subjects(document: dict[str, Any]) -> Iterator[Subject]:
    context = document["@context"]
    converter = NodeConverter(TermTable(context if isinstance(context, list) else [context]))
    for node in document["@graph"]:
        yield from converter.subjects(node)
