"""Pure: our JSON-LD documents to RDF triples, written straight to Turtle.

pyld's ``to_rdf`` is the reference, but it runs the full JSON-LD algorithms per document, which is
an order of magnitude slower than this tool needs at scale.  Here the contexts are turned once into
a ``TermTable`` and every node is converted with the few JSON-LD rules our documents use (term and
compact IRI expansion, ``@type`` coercion to ``@id``/``@vocab``/``@json``/datatypes, ``@language``
and language maps, nested node objects).  Anything outside that subset raises ``UnsupportedJsonLd``
rather than guessing.  Tests prove the output isomorphic to pyld's, term for term.

Literals are written with their exact lexical form (numbers in the canonical form pyld uses), so
nothing is lost to a serializer's rounding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring
from typing import IO, Any

from ldt_catalog.context import load_context_document
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


def canonical_json(value: Any) -> str:
    """The RFC 8785 (JCS) form of a JSON value, as JSON-LD requires for ``rdf:JSON`` literals.

    ``json.dumps`` already sorts keys and escapes strings as JCS does; only numbers differ (JCS
    writes them as ECMAScript does), so values holding floats take the slower path.  Whether an
    object or array may hold one is seen in its JSON text; ``_has_float`` decides when it may.
    """
    text = _SORTED_JSON.encode(value)
    if (text[:1] in ("{", "[") and _MAYBE_FLOAT.search(text) is None) or not _has_float(value):
        return text
    return _jcs(value)


_SORTED_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
"""``json.dumps`` with these options, made once: ``dumps`` builds an encoder on every call."""
_MAYBE_FLOAT = re.compile(r"[:,\[]-?(?:\d+[.eE]|\d{16}|Infinity|NaN)")
"""Where compact JSON within ``{}`` or ``[]`` may hold a float or a 16-digit integer: a number
after ``:``, ``,`` or ``[`` (or a match inside a string, which ``_has_float`` then rules out)."""


_EXACT_INTEGER_LIMIT = 2**53  # beyond this, JCS (as ECMAScript) sees a double


def _has_float(value: Any) -> bool:
    """Whether a JSON value holds a float or an integer too large for a double to keep exactly."""
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


_ID, _TYPE, _SKIP, _VALUE = range(4)
_Plan = tuple[int, str, "TermDefinition | None"]


class NodeConverter:
    """Converts node objects of one document to ``Subject`` trees.

    What a key means (``@id``, ``@type``, skipped, or a property with its IRI and definition) is
    worked out once per key and kept: a document repeats the same few keys in every node.
    """

    def __init__(self, table: TermTable, issuer: BlankNodeIssuer | None = None) -> None:
        self.table = table
        self.issuer = issuer or BlankNodeIssuer()
        self._plans: dict[str, _Plan] = {}
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
                plain = (
                    definition.type_mapping is None
                    and definition.language is None
                    and definition.container is None
                )
                plan = (_VALUE, definition.iri, None if plain else definition)  # a plain term acts as none
            else:
                try:
                    plan = (_VALUE, table.expand_vocab(key), None)
                except UnsupportedJsonLd:
                    return (_VALUE, "", None)  # refused when a value needs it, as before (not kept)
        self._plans[key] = plan
        return plan

    def _subject(self, node: dict[str, Any], detached: list[Subject]) -> Subject:
        plans = self._plans
        node_id = None
        types: list[str] = []
        values = []  # (plan, key, value) of each property, in the node's order
        for key, value in node.items():
            plan = plans.get(key) or self._plan(key)
            if plan[0] == _VALUE:
                if value is not None:
                    values.append((plan, key, value))
            elif plan[0] == _ID:
                node_id = value
            elif plan[0] == _TYPE:
                types = value if isinstance(value, list) else [value]
        subject = Subject(Iri(node_id) if node_id is not None else self.issuer.new())
        pairs = subject.pairs
        for type_name in types:
            type_iri = self._types.get(type_name)
            if type_iri is None:
                type_iri = self._types[type_name] = Iri(self.table.expand_vocab(type_name))
            pairs.append((RDF_TYPE, type_iri))
        for (_, predicate, definition), key, value in values:
            if not predicate:
                predicate = self.table.expand_vocab(key)  # raises: the key has no IRI
            # the common cases first, without the general path
            if definition is None and type(value) is str:
                pairs.append((predicate, Literal(value)))
            elif definition is None and type(value) is dict:
                self._add_node(pairs, predicate, value, detached)
            else:
                self._add_values(pairs, predicate, definition, value, detached)
        return subject

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
            for language, texts in value.items():
                for text in texts if isinstance(texts, list) else [texts]:
                    pairs.append((predicate, Literal(text, RDF_LANG_STRING, language.lower())))
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
) -> Iterator[Subject]:
    """Subjects of a stream of NGSI-LD entities, each carrying its own ``@context``.

    Entities of one export share a context; its term table is built once and reused (across calls
    too when the caller passes a ``cache``).
    """
    issuer = BlankNodeIssuer()
    converters: dict[str, NodeConverter] = cache if cache is not None else {}
    converter: NodeConverter | None = None
    last_context: Any = None  # consecutive entities mostly carry equal contexts: compare, do not re-key
    for entity in entities:
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
        yield from converter.subjects(entity)


def document_subjects(document: dict[str, Any]) -> Iterator[Subject]:
    """Subjects of a JSON-LD document with an inline ``@context`` and a ``@graph``."""
    context = document["@context"]
    converter = NodeConverter(TermTable(context if isinstance(context, list) else [context]))
    for node in document["@graph"]:
        yield from converter.subjects(node)


# -- Turtle ----------------------------------------------------------------------------------------

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
_STRING_NEEDS_ESCAPES = re.compile(r'[\\"\x00-\x1f\x7f]')
_RARE_STRING_ESCAPES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_IRI_NEEDS_ESCAPES = re.compile(r'[<>"{}|^`\\\x00-\x20]')


def escape_string(text: str) -> str:
    """``text`` as the body of a Turtle ``"..."`` string: ``translate`` only for rare control characters."""
    if _STRING_NEEDS_ESCAPES.search(text) is None:
        return text
    if _RARE_STRING_ESCAPES.search(text) is not None:
        return text.translate(_STRING_ESCAPES)
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return text.replace("\t", "\\t")


def quote_string(text: str) -> str:
    r"""``text`` as a Turtle ``"..."`` string, as ``'"' + escape_string(text) + '"'`` is, mostly in C.

    JSON escapes a string as Turtle does (``\\``, ``\"``, ``\b \f \n \r \t``, any other
    control character as ``\u00xx``) but for the hex digits' case and DEL, which it leaves as it
    is: when its output holds a ``\u00`` or a DEL, the exact ``translate`` decides.
    """
    quoted = encode_basestring(text)
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
                text = "[ " + self._pairs(obj.pairs, indent + "    ") + " ]"
            else:
                text = self.term(obj, indent)
            objects = grouped.get(predicate)
            if objects is None:
                grouped[predicate] = [text]
            else:
                objects.append(text)
        lines = []
        for predicate, objects in grouped.items():
            verb = "a" if predicate == RDF_TYPE else cache.get(predicate) or self.iri(predicate)
            lines.append(f"{verb} {', '.join(objects)}")
        return f" ;\n{indent}".join(lines)

    def write(self, subject: Subject) -> None:
        head = self.term(subject.term, "") if not isinstance(subject.term, Subject) else ""
        if not subject.pairs:
            return
        self._out.write(f"\n{head}\n    {self._pairs(subject.pairs, '    ')} .\n")


def write_turtle(subjects: Iterable[Subject], out: IO[str]) -> None:
    writer = TurtleWriter(out)
    for subject in subjects:
        writer.write(subject)


def to_ntriples(subjects: Iterable[Subject]) -> Iterator[str]:
    """N-Triples lines (absolute IRIs, exact literals): the form tests canonicalize and compare."""
    writer = TurtleWriter.__new__(TurtleWriter)
    writer._use_prefixes({})  # no prefixes: every IRI in full
    for subject in subjects:
        for s, p, o in flatten(subject):
            yield f"{writer.term(s, '')} <{p}> {writer.term(o, '')} .\n"


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
