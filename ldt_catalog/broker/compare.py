"""Is the broker's copy of an entity ours, attribute by attribute?  A fast form, and RDF as the reference.

**The reference** (``comparable``): both sides as RDF, which is what a broker actually stores.  Our
entities are read with their own ``@context``; the broker's without a ``Link`` header (so it
compacts with the core context only) and with the core context.  System attributes
(``createdAt``, ``modifiedAt``, ``instanceId``) are dropped, multi-attribute instances ordered, and
``provenance.line`` / ``fieldLines`` dropped: they shift whenever something above an initiative
on its page grows and must not cause writes.

**The fast form** (``fast_form``): per attribute IRI, one canonical JSON string of its instances
(system members and the volatile provenance lines dropped, instances ordered by ``datasetId``,
``type`` without the core namespace).  It is computed once per entity and costs a ``json.dumps``;
converting to RDF costs about twenty times more.  It is used only where it cannot be wrong: an
attribute whose instances hold nothing a context could read differently (``LanguageProperty``,
``JsonProperty``, ``Relationship``, ``Property`` with a scalar value, no sub-attributes) gets a
form; any other attribute gets none.  Equal forms mean equal RDF; an attribute without a form on
either side, or with different forms, is decided by the reference, so a value the broker returns
in another but equivalent form (a compacted IRI, ``@none`` ...) never causes a write.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from pyld import jsonld

from ldt_catalog.accelerators import reference_mode
from ldt_catalog.ngsild.context import (
    CORE_CONTEXT_URL,
    LDT_NAMESPACE,
    NGSI_LD,
    entity_context,
    jsonld_options,
)
from ldt_catalog.ngsild.entities import ENTITY_TYPES
from ldt_catalog.rdf import convert as rdf

PROVENANCE_IRI = LDT_NAMESPACE + "provenance"
SYSTEM_IRIS = frozenset(NGSI_LD + n for n in ("createdAt", "modifiedAt", "deletedAt", "instanceId"))
SYSTEM_MEMBERS = frozenset({"createdAt", "modifiedAt", "deletedAt", "instanceId"})
VOLATILE_PROVENANCE = ("line", "fieldLines")
ENTITY_MEMBERS = frozenset({"id", "type", "@context", "scope"}) | SYSTEM_MEMBERS

# --- normalising ---------------------------------------------------------------------------------
#
# An entity is compared through its RDF: our converter in ``rdf.py`` (proven term for term equal
# to pyld's toRdf) turns it into triples once, and the attribute nodes, which form a tree under the
# entity, are folded into sorted tuples.  Equal tuples mean the same expanded entity, whatever the
# compaction the broker answered with.  An entity outside the converter's JSON-LD subset (a foreign
# GeoProperty, say) goes through pyld instead; both paths give the same form.

TermKey = tuple[str, ...]


@dataclass(frozen=True)
class Comparable:
    """The comparable form of one entity: its types, and per attribute IRI its sorted values."""

    entity_id: str
    types: tuple[str, ...]
    attributes: Mapping[str, tuple[Any, ...]]
    generator: str | None
    """``provenance.json.generator``: who made the entity (None if not stated)."""


@cache
def _converter(context_key: str) -> rdf.NodeConverter:
    context = json.loads(context_key)
    return rdf.NodeConverter(rdf.TermTable(context if isinstance(context, list) else [context]))


def _term_key(term: rdf.Term) -> TermKey:
    if isinstance(term, rdf.Iri):
        return ("I", term.value)
    if isinstance(term, rdf.BlankNode):
        return ("B", term.label)
    return ("L", term.lexical, term.datatype, term.language or "")


def _pyld_triples(document: Mapping[str, Any]) -> list[tuple[TermKey, str, TermKey]]:
    def key(term: Mapping[str, str]) -> TermKey:
        if term["type"] == "IRI":
            return ("I", term["value"])
        if term["type"] == "blank node":
            return ("B", term["value"])
        return ("L", term["value"], term.get("datatype", rdf.XSD_STRING), term.get("language", ""))

    dataset = jsonld.to_rdf(dict(document), jsonld_options())
    return [
        (key(t["subject"]), t["predicate"]["value"], key(t["object"])) for t in dataset.get("@default", [])
    ]


def _triples(entity: Mapping[str, Any], context: Any) -> list[tuple[TermKey, str, TermKey]]:
    node = {k: v for k, v in entity.items() if k != "@context"}
    if reference_mode():  # pyld's reading, not our converter's
        return _pyld_triples({**node, "@context": context})
    try:
        subjects = _converter(json.dumps(context, sort_keys=True)).subjects(node)
        return [(_term_key(s), p, _term_key(o)) for subject in subjects for s, p, o in rdf.flatten(subject)]
    except rdf.UnsupportedJsonLd:
        return _pyld_triples({**node, "@context": context})


def comparable(entity: Mapping[str, Any], context: Any = None) -> Comparable:
    """The comparable form of an entity; ``context`` replaces any ``@context`` it carries."""
    if context is None:
        context = entity.get("@context", CORE_CONTEXT_URL)
    triples = _triples(entity, context)
    children: dict[TermKey, list[tuple[str, TermKey]]] = {}
    for subject, predicate, obj in triples:
        children.setdefault(subject, []).append((predicate, obj))
    root: TermKey = ("I", str(entity.get("id")))
    generator: list[str] = []

    def fold(node: TermKey, within: str) -> Any:
        """A blank node as the sorted tuple of its (predicate, value) pairs; other terms as they are."""
        if node[0] != "B":
            if within == PROVENANCE_IRI and node[0] == "L" and node[2] == rdf.RDF_JSON:
                return _provenance_key(node, generator)
            return node
        pairs = [(p, fold(o, within)) for p, o in children.get(node, []) if p not in SYSTEM_IRIS]
        return tuple(sorted(pairs, key=repr))

    types: list[str] = []
    attributes: dict[str, list[Any]] = {}
    for predicate, obj in children.get(root, []):
        if predicate == rdf.RDF_TYPE:
            types.append(obj[1])
        elif predicate not in SYSTEM_IRIS:
            attributes.setdefault(predicate, []).append(fold(obj, predicate))
    return Comparable(
        str(entity.get("id")),
        tuple(sorted(types)),
        {name: tuple(sorted(values, key=repr)) for name, values in attributes.items()},
        generator[0] if generator else None,
    )


def _provenance_key(literal: TermKey, generator: list[str]) -> TermKey:
    """The provenance JSON without the line numbers that shift when text above an entity grows."""
    value = json.loads(literal[1])
    if isinstance(value, dict):
        if isinstance(value.get("generator"), str):
            generator.append(value["generator"])
        value = {k: v for k, v in value.items() if k not in VOLATILE_PROVENANCE}
    return ("L", rdf.canonical_json(value), rdf.RDF_JSON, "")


@cache
def type_iris() -> tuple[str, ...]:
    """Our entity types as full IRIs (what we query the broker for)."""
    table = rdf.TermTable(entity_context())
    return tuple(table.expand_vocab(name) for name in ENTITY_TYPES)


def changed_attributes(desired: Comparable, held: Comparable) -> list[str]:
    names = sorted(set(desired.attributes) | set(held.attributes))
    changed = [n for n in names if desired.attributes.get(n) != held.attributes.get(n)]
    return ["@type", *changed] if desired.types != held.types else changed


# --- the fast form -------------------------------------------------------------------------------

_SAFE_MEMBERS = {
    "LanguageProperty": frozenset({"type", "languageMap", "datasetId"}),
    "JsonProperty": frozenset({"type", "json", "datasetId"}),
    "Relationship": frozenset({"type", "object", "datasetId"}),
    "Property": frozenset({"type", "value", "datasetId"}),
}


@dataclass(frozen=True)
class FastForm:
    """Types and, per attribute IRI, a canonical string (None: only the reference can tell)."""

    entity_id: str
    types: tuple[str, ...] | None
    attributes: Mapping[str, str | None]
    generator: str | None


@cache
def _our_terms() -> rdf.TermTable:
    return rdf.TermTable(entity_context())


@cache
def _core_terms() -> rdf.TermTable:
    return rdf.TermTable([CORE_CONTEXT_URL])


def _is_iri(name: str) -> bool:
    """An absolute IRI for sure; a compact one (``prefix:x``) depends on a context: not decided here."""
    return "://" in name or name.startswith("urn:")


def _instance_form(instance: Any, provenance: bool, generator: list[str]) -> Any:
    if not isinstance(instance, dict):
        return None
    kind = str(instance.get("type", "")).removeprefix(NGSI_LD)
    allowed = _SAFE_MEMBERS.get(kind)
    if allowed is None:
        return None
    out: dict[str, Any] = {}
    for key, value in instance.items():
        if key in SYSTEM_MEMBERS:
            continue
        if key not in allowed:
            return None  # a sub-attribute or a member a context may read otherwise
        out[key] = value
    out["type"] = kind
    value = out.get("value")
    if kind == "Property" and (isinstance(value, (dict, list)) or value is None):
        return None
    if provenance and isinstance(out.get("json"), dict):
        content = out["json"]
        if isinstance(content.get("generator"), str):
            generator.append(content["generator"])
        out["json"] = {k: v for k, v in content.items() if k not in VOLATILE_PROVENANCE}
    return out


def _attribute_form(iri: str, value: Any, generator: list[str]) -> str | None:
    instances = value if isinstance(value, list) else [value]
    forms = [_instance_form(i, iri == PROVENANCE_IRI, generator) for i in instances]
    if not forms or any(f is None for f in forms):
        return None
    forms.sort(key=lambda f: str(f.get("datasetId", "")))
    try:
        return rdf.canonical_json(forms)
    except (TypeError, ValueError):
        return None


def attribute_form(iri: str, value: Any) -> str | None:
    """The fast form of one attribute value (an instance or a list of them); None: undecidable."""
    return _attribute_form(iri, value, [])


def fast_form(entity: Mapping[str, Any], *, ours: bool) -> FastForm:
    """The fast form of our entity (``ours``: names in our terms) or of the broker's copy
    (names as the core context left them: ours as full IRIs, or core terms such as ``title``)."""
    table = _our_terms() if ours else _core_terms()
    generator: list[str] = []
    attributes: dict[str, str | None] = {}
    for name, value in entity.items():
        if name in ENTITY_MEMBERS:
            continue
        iri = table.expand_vocab(name)
        if not _is_iri(iri):  # a core term or a name we cannot place: leave it to the reference
            attributes[f"?{name}"] = None
            continue
        attributes[iri] = _attribute_form(iri, value, generator)
    raw_types = entity.get("type")
    names = raw_types if isinstance(raw_types, list) else [raw_types]
    types: tuple[str, ...] | None = None
    if all(isinstance(t, str) for t in names):
        expanded = [table.expand_vocab(str(t)) for t in names]
        types = tuple(sorted(expanded)) if all(_is_iri(t) for t in expanded) else None
    return FastForm(str(entity.get("id")), types, attributes, generator[0] if generator else None)


def fast_difference(desired: FastForm, held: FastForm) -> tuple[bool, list[str]] | None:
    """(types differ, changed attribute IRIs) when the fast forms decide alone, else None."""
    if desired.types is None or held.types is None:
        return None
    changed = []
    for name in sorted(set(desired.attributes) | set(held.attributes)):
        mine, theirs = desired.attributes.get(name), held.attributes.get(name)
        if name in desired.attributes and name in held.attributes:
            if mine is None or theirs is None:
                return None
            if mine != theirs:
                return None  # maybe an equivalent form: the reference decides
        elif name.startswith("?") or (mine is None and name in desired.attributes):
            return None
        else:
            changed.append(name)  # on one side only: added or removed, whatever its form
    return desired.types != held.types, changed
