"""Plan and apply: compare the catalogue with what the broker holds, then create, update and prune.

Both sides are compared in expanded form (as RDF, which is what a broker actually stores): our
entities with their own ``@context``; the broker's are read without a ``Link`` header (so it
compacts with the core context only) and interpreted with the core context.  Before comparing,
``comparable`` drops system attributes (``createdAt``, ``modifiedAt``, ``instanceId``), orders
multi-attribute instances (by ``datasetId``) and drops ``provenance.line`` / ``fieldLines``, which
shift whenever something above an initiative on its page grows and must not cause writes.  Every
other difference (including an attribute added or edited by hand in the broker) makes an update,
and an upsert replaces the whole entity, so hand edits are repaired.

Publish streams: the catalogue is compared in chunks, reading the broker's copies by id, and only
ids are kept between chunks.  Order of writes: all upserts first, deletes last, so a crash never
loses an entity that is still in the catalogue; re-running after a crash re-plans from the
broker's state and converges.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pyld import jsonld

from ldt_catalog.broker.client import (
    BatchResult,
    BrokerClient,
    BrokerUnavailable,
    EntityFailure,
    NonexistentTenant,
)
from ldt_catalog.ngsild.context import (
    CORE_CONTEXT_URL,
    LDT_NAMESPACE,
    NGSI_LD,
    entity_context,
    jsonld_options,
)
from ldt_catalog.ngsild.entities import ENTITY_TYPES, GENERATOR, Entity
from ldt_catalog.rdf import convert as rdf

PROVENANCE_IRI = LDT_NAMESPACE + "provenance"
JSON_VALUE_IRI = NGSI_LD + "hasJSON"
DATASET_ID_IRI = NGSI_LD + "datasetId"
SYSTEM_IRIS = frozenset(NGSI_LD + n for n in ("createdAt", "modifiedAt", "deletedAt", "instanceId"))
VOLATILE_PROVENANCE = ("line", "fieldLines")


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


# --- planning ------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What a publish does, by entity id (entities themselves are never kept: publish streams)."""

    create: list[str] = field(default_factory=list)
    update: list[tuple[str, list[str]]] = field(default_factory=list)  # id, changed attribute IRIs
    unchanged: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # ours, not in the catalogue, kept (no --prune)
    foreign: list[str] = field(default_factory=list)  # of our types but not made by us: never touched

    @property
    def writes(self) -> int:
        return len(self.create) + len(self.update) + len(self.delete)

    def to_json(self) -> dict[str, Any]:
        return {
            "create": self.create,
            "update": [{"id": entity_id, "attributes": attrs} for entity_id, attrs in self.update],
            "unchanged": self.unchanged,
            "delete": self.delete,
            "staleKept": self.stale,
            "foreignKept": self.foreign,
        }


def plan_chunk(desired: Sequence[Entity], held: Mapping[str, Comparable], todo: Plan) -> list[Entity]:
    """Add ``desired`` to the plan; returns the entities to upsert (new or changed)."""
    upserts = []
    for entity in desired:
        entity_id = str(entity["id"])
        current = held.get(entity_id)
        if current is None:
            todo.create.append(entity_id)
            upserts.append(entity)
            continue
        mine = comparable(entity)
        if mine == current:
            todo.unchanged.append(entity_id)
        else:
            todo.update.append((entity_id, changed_attributes(mine, current)))
            upserts.append(entity)
    return upserts


def plan_leftovers(held: Iterable[Comparable], wanted: set[str], todo: Plan, *, prune: bool) -> None:
    """Entities of our types the broker holds that the catalogue no longer has."""
    for entity in sorted(held, key=lambda e: e.entity_id):
        if entity.entity_id in wanted:
            continue
        if entity.generator != GENERATOR:
            todo.foreign.append(entity.entity_id)
        elif prune:
            todo.delete.append(entity.entity_id)
        else:
            todo.stale.append(entity.entity_id)


def plan(desired: Sequence[Entity], held: Mapping[str, Comparable], *, prune: bool = False) -> Plan:
    """The whole plan at once, for callers that hold everything (tests, small catalogues)."""
    todo = Plan()
    plan_chunk(sorted(desired, key=lambda e: str(e["id"])), held, todo)
    plan_leftovers(held.values(), {str(e["id"]) for e in desired}, todo, prune=prune)
    return todo


def held_copies(client: BrokerClient, ids: Sequence[str]) -> dict[str, Comparable]:
    """The broker's copies of ``ids`` (those it holds), in comparable form."""
    try:
        return {
            str(entity.get("id")): comparable(entity, CORE_CONTEXT_URL)
            for entity in client.entities_by_id(ids, type_iris())
        }
    except NonexistentTenant:
        return {}


def held_entities(client: BrokerClient, skip: Container[str] = frozenset()) -> Iterator[Comparable]:
    """Every entity of our types the broker holds but those in ``skip``, page by page (a new
    tenant: none).  Skipped ones are not even converted: they were compared already.

    The broker answers without a ``Link`` header, so it compacts with the core context only.
    """
    try:
        for entity in client.query_entities(list(type_iris())):
            if str(entity.get("id")) not in skip:
                yield comparable(entity, CORE_CONTEXT_URL)
    except NonexistentTenant:
        return


# --- applying ------------------------------------------------------------------------------------


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: list[EntityFailure] = field(default_factory=list)

    def summary(self) -> str:
        return (
            f"created {len(self.created)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}, "
            f"deleted {len(self.deleted)}, failed {len(self.failed)}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": [{"id": f.entity_id, "reason": f.reason} for f in self.failed],
        }


def _record(outcome: BatchResult, created: set[str], result: SyncResult) -> None:
    for entity_id in outcome.succeeded:
        (result.created if entity_id in created else result.updated).append(entity_id)
    result.failed.extend(outcome.failed)


COMPARE_CHUNK = 100
"""Entities compared (and their broker copies read by id) per round: memory stays flat."""


def synchronise(
    client: BrokerClient,
    desired: Iterable[Entity],
    *,
    prune: bool = False,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
    before_writes: Callable[[], None] | None = None,
    chunk_size: int = COMPARE_CHUNK,
) -> tuple[Plan, SyncResult | None]:
    """Compare and (unless ``dry_run``) write, chunk by chunk; returns the plan and the result.

    For each chunk of ``desired`` the broker's copies are read by id, compared, and the new or
    changed entities upserted.  Then the broker's entities of our types are listed page by page:
    those no longer in the catalogue are kept (foreign, or stale without ``--prune``) or deleted,
    last.  Only ids are kept between chunks.  ``before_writes`` runs once, before the first write
    (upload mode puts our @context on the broker there, so an unchanged publish writes nothing).
    """
    todo = Plan()
    result = None if dry_run else SyncResult()
    wanted: set[str] = set()
    ready = False
    compared = 0
    try:
        for chunk in _chunks(desired, chunk_size):
            ids = [str(entity["id"]) for entity in chunk]
            wanted.update(ids)
            created_before = len(todo.create)
            upserts = plan_chunk(chunk, held_copies(client, ids), todo)
            compared += len(chunk)
            if progress and compared % (chunk_size * 50) == 0:
                progress(f"compared {compared} entities, {len(todo.create) + len(todo.update)} to write")
            if result is None or not upserts:
                continue
            if not ready and before_writes is not None:
                before_writes()
            ready = True
            _record(client.upsert(upserts), set(todo.create[created_before:]), result)
        if progress:
            progress("listing what the broker holds of our types")
        plan_leftovers(held_entities(client, wanted), wanted, todo, prune=prune)
        if result is not None:
            result.unchanged = list(todo.unchanged)
            if todo.delete:
                if progress:
                    progress(f"deleting {len(todo.delete)} entities no longer in the catalogue")
                removed = client.delete(todo.delete)
                result.deleted.extend(removed.succeeded)
                result.failed.extend(removed.failed)
    except BrokerUnavailable as exc:
        raise BrokerUnavailable(
            f"{exc}\n{compared} entities were compared so far; nothing is lost: run publish again to "
            "finish (it re-reads the broker and sends only what is still missing)"
        ) from None
    return todo, result


def _chunks(items: Iterable[Entity], size: int) -> Iterator[list[Entity]]:
    chunk: list[Entity] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
