"""What a publish writes, entity by entity and attribute by attribute (pure: no I/O).

For each entity of the catalogue and the broker's copy of it (``compare.py`` tells what differs):

* not on the broker: **create** it (a batch upsert);
* same types, some attributes differ: **patch** it: the changed and new attributes go in one
  fragment (``entityOperations/update``, append semantics: the entity's other attributes are not
  touched, so subscribers are told about exactly those), attributes the entity no longer has are
  deleted (``DELETE /entities/{id}/attrs/{attr}``), and so are instances of a multi-attribute
  whose ``datasetId`` left the catalogue (an append would keep them);
* types differ, or ``replace`` was asked for: **replace** the whole entity (a batch upsert);
* otherwise it is **unchanged** and nothing is sent.

An attribute added or edited by hand in the broker is a difference like any other, so hand edits
are repaired.  Entities of our types the broker holds that left the catalogue are deleted only
with ``prune`` and only if we made them (``provenance.generator``); anyone else's are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ldt_catalog.accelerators import reference_mode
from ldt_catalog.broker import compare
from ldt_catalog.ngsild.context import CORE_CONTEXT_URL
from ldt_catalog.ngsild.entities import GENERATOR, Entity


@dataclass(frozen=True)
class AttributeDelete:
    attribute: str  # full IRI
    dataset_id: str | None = None  # None: the default instance
    delete_all: bool = False  # every instance (the attribute left the entity)


@dataclass
class EntityWrite:
    """The writes of one entity: ``entity`` whole (create, replace) or ``fragment`` + ``deletes``
    (patch; ``entity`` is then the fallback, upserted whole if the broker refuses the patch)."""

    entity_id: str
    kind: str  # "create" | "replace" | "patch"
    entity: Entity
    fragment: dict[str, Any] | None = None
    deletes: list[AttributeDelete] = field(default_factory=list)

    @property
    def attributes_written(self) -> int:
        """Attributes this write sends (a whole entity counts all of its own)."""
        body = self.entity if self.kind != "patch" else self.fragment or {}
        sent = [k for k in body if k not in ("id", "type", "@context")]
        return len(sent) + len(self.deletes)


@dataclass
class Plan:
    """What a publish does, by entity id (entities themselves are never kept: publish streams)."""

    create: list[str] = field(default_factory=list)
    update: list[tuple[str, list[str]]] = field(default_factory=list)  # id, changed attribute IRIs
    unchanged: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # ours, not in the catalogue, kept (no --prune)
    foreign: list[str] = field(default_factory=list)  # of our types but not made by us: never touched
    replaced: list[str] = field(default_factory=list)  # of ``update``: written whole (types, --replace)
    compared_by_rdf: int = 0  # entities the fast form could not decide alone

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
            "replaced": self.replaced,
        }


@dataclass(frozen=True)
class Held:
    """The broker's copy of an entity: as it answered (core-compacted), and its fast form."""

    raw: Mapping[str, Any]
    fast: compare.FastForm

    @classmethod
    def of(cls, entity: Mapping[str, Any]) -> Held:
        return cls(entity, compare.fast_form(entity, ours=False))

    @property
    def generator(self) -> str | None:
        return self.fast.generator if self.fast.generator is not None else self.reference().generator

    def reference(self) -> compare.Comparable:
        return compare.comparable(self.raw, CORE_CONTEXT_URL)


def differences(entity: Entity, held: Held, *, exact: bool = False) -> tuple[bool, list[str], bool]:
    """(types differ, changed attribute IRIs, decided by RDF); ``exact`` (or reference mode) always
    asks the reference."""
    if not exact and not reference_mode():
        decided = compare.fast_difference(compare.fast_form(entity, ours=True), held.fast)
        if decided is not None:
            return decided[0], decided[1], False
    mine, theirs = compare.comparable(entity), held.reference()
    names = sorted(set(mine.attributes) | set(theirs.attributes))
    changed = [n for n in names if mine.attributes.get(n) != theirs.attributes.get(n)]
    return mine.types != theirs.types, changed, True


def _instances(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _instances_held(value: Any, held_value: Any, iri: str) -> bool:
    """Whether every instance of ours is on the broker as it is (by its fast form)."""
    held_forms = {compare.attribute_form(iri, [i]) for i in _instances(held_value)}
    return all(
        (form := compare.attribute_form(iri, [i])) is not None and form in held_forms
        for i in _instances(value)
    )


def _patch(entity: Entity, held: Held, changed: Sequence[str]) -> EntityWrite:
    """The fragment (changed and new attributes, in our terms) and the attribute deletes."""
    table = compare._our_terms()
    ours = {table.expand_vocab(k): k for k in entity if k not in compare.ENTITY_MEMBERS}
    fragment: dict[str, Any] = {"id": entity["id"], "type": entity["type"]}
    deletes: list[AttributeDelete] = []
    for iri in changed:
        held_value = held.raw.get(iri)
        if iri not in ours:
            many = held_value is not None and (
                len(_instances(held_value)) > 1
                or any(isinstance(i, dict) and "datasetId" in i for i in _instances(held_value))
            )
            deletes.append(AttributeDelete(iri, delete_all=many))
            continue
        name = ours[iri]
        stale: list[AttributeDelete] = []
        if held_value is not None:
            keep = {i.get("datasetId") for i in _instances(entity[name]) if isinstance(i, dict)}
            for instance in _instances(held_value):
                dataset_id = instance.get("datasetId") if isinstance(instance, dict) else None
                if dataset_id not in keep:
                    stale.append(AttributeDelete(iri, dataset_id))
        deletes += stale
        if not stale or not _instances_held(entity[name], held_value, iri):
            fragment[name] = entity[name]  # else: removing the stale instances is the whole change
    if "@context" in entity:
        fragment["@context"] = entity["@context"]
    sends = any(k not in ("id", "type", "@context") for k in fragment)
    return EntityWrite(
        str(entity["id"]), "patch", entity, fragment=fragment if sends else None, deletes=deletes
    )


def plan_chunk(
    desired: Sequence[Entity],
    held: Mapping[str, Held],
    todo: Plan,
    *,
    replace: bool = False,
    exact: bool = False,
) -> list[EntityWrite]:
    """Add ``desired`` to the plan; returns the writes for the new or changed entities."""
    writes = []
    for entity in desired:
        entity_id = str(entity["id"])
        current = held.get(entity_id)
        if current is None:
            todo.create.append(entity_id)
            writes.append(EntityWrite(entity_id, "create", entity))
            continue
        types_differ, changed, by_rdf = differences(entity, current, exact=exact)
        todo.compared_by_rdf += by_rdf
        if not types_differ and not changed:
            todo.unchanged.append(entity_id)
            continue
        todo.update.append((entity_id, ["@type", *changed] if types_differ else changed))
        if types_differ or replace:
            todo.replaced.append(entity_id)
            writes.append(EntityWrite(entity_id, "replace", entity))
        else:
            writes.append(_patch(entity, current, changed))
    return writes


def plan_leftovers(
    held: Iterable[tuple[str, str | None]], wanted: set[str], todo: Plan, *, prune: bool
) -> None:
    """Entities of our types the broker holds, as (id, generator), that the catalogue no longer has."""
    for entity_id, generator in sorted(held):
        if entity_id in wanted:
            continue
        if generator != GENERATOR:
            todo.foreign.append(entity_id)
        elif prune:
            todo.delete.append(entity_id)
        else:
            todo.stale.append(entity_id)


def plan(desired: Sequence[Entity], held: Mapping[str, Mapping[str, Any]], *, prune: bool = False) -> Plan:
    """The whole plan at once from the broker's copies as it answered (tests, small catalogues)."""
    todo = Plan()
    copies = {entity_id: Held.of(entity) for entity_id, entity in held.items()}
    plan_chunk(sorted(desired, key=lambda e: str(e["id"])), copies, todo)
    plan_leftovers(
        ((i, h.generator) for i, h in copies.items()), {str(e["id"]) for e in desired}, todo, prune=prune
    )
    return todo
