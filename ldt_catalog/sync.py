"""Plan and apply: compare the catalogue with what the broker holds, then create, update and prune.

Both sides are compared in JSON-LD *expanded* form, which is what a broker actually stores: our
entities are expanded with their own ``@context``; the broker's are read without a ``Link`` header
(so it compacts with the core context only) and expanded with the core context.  Before comparing,
``canonical`` drops system attributes (``createdAt``, ``modifiedAt``, ``instanceId``), orders
multi-attribute instances (by ``datasetId``) and drops ``provenance.line`` / ``fieldLines``, which
shift whenever something above an initiative on its page grows and must not cause writes.  Every
other difference (including an attribute added or edited by hand in the broker) makes an update,
and an upsert replaces the whole entity, so hand edits are repaired.

Order of writes: all upserts first, deletes last, so a crash never loses an entity that is still in
the catalogue; re-running after a crash re-plans from the broker's state and converges.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pyld import jsonld

from ldt_catalog.broker import (
    BatchResult,
    BrokerClient,
    BrokerUnavailable,
    EntityFailure,
    NonexistentTenant,
)
from ldt_catalog.context import CORE_CONTEXT_URL, LDT_NAMESPACE, NGSI_LD, entity_context, jsonld_options
from ldt_catalog.entities import ENTITY_TYPES, GENERATOR, Entity

PROVENANCE_IRI = LDT_NAMESPACE + "provenance"
JSON_VALUE_IRI = NGSI_LD + "hasJSON"
DATASET_ID_IRI = NGSI_LD + "datasetId"
SYSTEM_IRIS = frozenset(NGSI_LD + n for n in ("createdAt", "modifiedAt", "deletedAt", "instanceId"))
VOLATILE_PROVENANCE = ("line", "fieldLines")


# --- normalising ---------------------------------------------------------------------------------


def expand(entity: Mapping[str, Any], context: Any = None) -> dict[str, Any]:
    """One entity in expanded JSON-LD; ``context`` replaces any ``@context`` it carries."""
    document = {k: v for k, v in entity.items() if k != "@context"}
    document["@context"] = context if context is not None else entity.get("@context", CORE_CONTEXT_URL)
    expanded = jsonld.expand(document, jsonld_options())
    if len(expanded) != 1 or not isinstance(expanded[0], dict):
        raise ValueError(f"entity {entity.get('id')!r} does not expand to one node")
    result: dict[str, Any] = expanded[0]
    return result


def _canonical_value(value: Any) -> Any:
    if isinstance(value, list):
        items = [_canonical_value(v) for v in value]
        return sorted(items, key=_instance_key)
    if isinstance(value, dict):
        if value.get("@type") == "@json":
            return value  # a JSON literal is opaque: its arrays keep their order
        return {k: _canonical_value(v) for k, v in value.items() if k not in SYSTEM_IRIS}
    return value


def _instance_key(value: Any) -> str:
    if isinstance(value, dict) and DATASET_ID_IRI in value:
        return "0" + json.dumps(value[DATASET_ID_IRI], sort_keys=True) + json.dumps(value, sort_keys=True)
    return "1" + json.dumps(value, sort_keys=True)


def canonical(expanded: Mapping[str, Any]) -> dict[str, Any]:
    """The comparable form of an expanded entity (see the module docstring)."""
    entity: dict[str, Any] = _canonical_value(copy.deepcopy(dict(expanded)))
    for instance in entity.get(PROVENANCE_IRI, []):
        for literal in instance.get(JSON_VALUE_IRI, []):
            if isinstance(literal.get("@value"), dict):
                literal["@value"] = {
                    k: v for k, v in literal["@value"].items() if k not in VOLATILE_PROVENANCE
                }
    return entity


def generator_of(expanded: Mapping[str, Any]) -> str | None:
    """``provenance.json.generator`` of an expanded entity: who made it (None if not stated)."""
    for instance in expanded.get(PROVENANCE_IRI, []):
        for literal in instance.get(JSON_VALUE_IRI, []) if isinstance(instance, dict) else []:
            value = literal.get("@value") if isinstance(literal, dict) else None
            if isinstance(value, dict) and isinstance(value.get("generator"), str):
                return str(value["generator"])
    return None


@cache
def type_iris() -> tuple[str, ...]:
    """Our entity types as full IRIs (what we query the broker for)."""
    node = expand({"id": "urn:ngsi-ld:x:x", "type": list(ENTITY_TYPES)}, entity_context())
    return tuple(node["@type"])


def changed_attributes(desired: Mapping[str, Any], held: Mapping[str, Any]) -> list[str]:
    names = sorted(set(desired) | set(held))
    return [n for n in names if desired.get(n) != held.get(n)]


# --- planning ------------------------------------------------------------------------------------


@dataclass
class Plan:
    create: list[Entity] = field(default_factory=list)
    update: list[tuple[Entity, list[str]]] = field(default_factory=list)  # entity, changed attribute IRIs
    unchanged: list[str] = field(default_factory=list)
    delete: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # ours, not in the catalogue, kept (no --prune)
    foreign: list[str] = field(default_factory=list)  # of our types but not made by us: never touched

    @property
    def writes(self) -> int:
        return len(self.create) + len(self.update) + len(self.delete)

    def to_json(self) -> dict[str, Any]:
        return {
            "create": [e["id"] for e in self.create],
            "update": [{"id": e["id"], "attributes": attrs} for e, attrs in self.update],
            "unchanged": self.unchanged,
            "delete": self.delete,
            "staleKept": self.stale,
            "foreignKept": self.foreign,
        }


def plan(desired: Sequence[Entity], held: Mapping[str, Mapping[str, Any]], *, prune: bool = False) -> Plan:
    """What to write so the broker holds ``desired``; ``held`` maps id -> the broker's expanded entity."""
    result = Plan()
    wanted = set()
    for entity in sorted(desired, key=lambda e: str(e["id"])):
        entity_id = str(entity["id"])
        wanted.add(entity_id)
        current = held.get(entity_id)
        if current is None:
            result.create.append(entity)
            continue
        mine, theirs = canonical(expand(entity)), canonical(current)
        if mine == theirs:
            result.unchanged.append(entity_id)
        else:
            result.update.append((entity, changed_attributes(mine, theirs)))
    for entity_id in sorted(set(held) - wanted):
        if generator_of(held[entity_id]) != GENERATOR:
            result.foreign.append(entity_id)
        elif prune:
            result.delete.append(entity_id)
        else:
            result.stale.append(entity_id)
    return result


def read_broker(client: BrokerClient, types: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """id -> expanded entity, for every entity of our types the broker holds (a new tenant: none)."""
    held: dict[str, dict[str, Any]] = {}
    try:
        for entity in client.query_entities(list(types or type_iris())):
            node = expand(entity, CORE_CONTEXT_URL)
            held[str(node["@id"])] = node
    except NonexistentTenant:
        return {}
    return held


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


def apply(client: BrokerClient, todo: Plan, progress: Callable[[str], None] | None = None) -> SyncResult:
    """Send the plan: upserts first, deletes last.  ``BrokerUnavailable`` says how far it got."""
    result = SyncResult(unchanged=list(todo.unchanged))
    to_create = {str(e["id"]) for e in todo.create}
    upserts = sorted([*todo.create, *(e for e, _ in todo.update)], key=lambda e: str(e["id"]))
    confirmed = 0
    try:
        if upserts:
            outcome: BatchResult = client.upsert(upserts)
            confirmed += len(outcome.succeeded)
            for entity_id in outcome.succeeded:
                (result.created if entity_id in to_create else result.updated).append(entity_id)
            result.failed.extend(outcome.failed)
        if todo.delete:
            if progress:
                progress(f"deleting {len(todo.delete)} entities no longer in the catalogue")
            removed = client.delete(todo.delete)
            result.deleted.extend(removed.succeeded)
            result.failed.extend(removed.failed)
    except BrokerUnavailable as exc:
        raise BrokerUnavailable(
            f"{exc}\n{todo.writes} write(s) were planned; nothing is lost: run publish again to finish "
            "(it re-reads the broker and sends only what is still missing)"
        ) from None
    return result


def synchronise(
    client: BrokerClient,
    desired: Sequence[Entity],
    *,
    prune: bool = False,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
    before_writes: Callable[[], None] | None = None,
) -> tuple[Plan, SyncResult | None]:
    """Read, plan and (unless ``dry_run``) apply; returns the plan and the result (None for a dry run).

    ``before_writes`` runs only when there is something to write (upload mode puts our @context on
    the broker there, so a publish with nothing to change writes nothing at all).
    """
    if progress:
        progress("reading what the broker holds")
    todo = plan(desired, read_broker(client), prune=prune)
    if dry_run:
        return todo, None
    if todo.writes and before_writes is not None:
        before_writes()
    return todo, apply(client, todo, progress)
