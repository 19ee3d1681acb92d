"""Tenants and their entities, in stored (expanded) form, with the write semantics of §5.6.

Every method expects the caller to hold ``Store.lock``; each write returns ``Change`` records
(before/after images) from which subscriptions decide what to notify.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tests.ngsild_broker.entities import ENTITY_KEYS, attribute_names, instances, types_of
from tests.ngsild_broker.errors import NgsiError, not_found
from tests.ngsild_broker.jsonld import ContextRegistry


def now_iso() -> str:
    """ISO 8601 UTC with milliseconds and ``Z``, as brokers write timestamps."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Change:
    tenant: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None  # None: the entity was deleted
    touched: set[str] | None = None
    """IRIs of the attributes the request wrote, whatever their content (None: creation, deletion).
    A replace writes them all, as real brokers do, so ``showChanges`` marks every one of them."""


@dataclass
class Tenant:
    name: str
    contexts: ContextRegistry
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)  # insertion (creation) order
    version: int = 0  # bumped by every change of ``entities``: what a cached query result is valid for
    last_query: tuple[Any, list[dict[str, Any]]] | None = None  # (key, matching entities)
    subscriptions: dict[str, dict[str, Any]] = field(default_factory=dict)


def strip_system(value: Any) -> Any:
    """A stored fragment without createdAt/modifiedAt, to compare content."""
    if isinstance(value, dict):
        return {k: strip_system(v) for k, v in value.items() if k not in ("createdAt", "modifiedAt")}
    if isinstance(value, list):
        return [strip_system(v) for v in value]
    return value


def _stamp(attr: Any, now: str, previous: Any = None) -> Any:
    """Set createdAt/modifiedAt on each instance, keeping createdAt of the instance it replaces."""
    old = {i.get("datasetId"): i for i in instances(previous)} if previous is not None else {}
    stamped = []
    for instance in instances(attr):
        before = old.get(instance.get("datasetId"))
        created = before.get("createdAt", now) if before else now
        stamped.append({**instance, "createdAt": created, "modifiedAt": now})
    return stamped if isinstance(attr, list) else stamped[0]


def _merge_instances(existing: Any, incoming: Any) -> Any:
    """Instances of ``incoming`` replace those with the same datasetId; others are added."""
    merged = {i.get("datasetId"): i for i in instances(existing)}
    for instance in instances(incoming):
        merged[instance.get("datasetId")] = instance
    values = list(merged.values())
    return values[0] if len(values) == 1 else values


class Store:
    """All tenants of one broker.  The default tenant (no ``NGSILD-Tenant`` header) is ``""``."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.lock = threading.RLock()
        self.tenants: dict[str, Tenant] = {}
        self._scratch = ContextRegistry(base_url)  # for requests on tenants that do not exist yet
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.tenants = {"": Tenant("", ContextRegistry(self.base_url))}
            self._scratch = ContextRegistry(self.base_url)

    def tenant(self, name: str, *, create: bool = False) -> Tenant:
        found = self.tenants.get(name)
        if found is None:
            if not create:
                raise NgsiError("NonexistentTenant", f"tenant {name!r} does not exist")
            found = self.tenants[name] = Tenant(name, ContextRegistry(self.base_url))
        return found

    def contexts(self, name: str) -> ContextRegistry:
        """The tenant's context store, or an empty one if the tenant does not exist (yet)."""
        found = self.tenants.get(name)
        return found.contexts if found is not None else self._scratch

    # --- entity writes -------------------------------------------------------------------

    def create(self, tenant: Tenant, stored: dict[str, Any]) -> Change:
        entity_id = stored["id"]
        if entity_id in tenant.entities:
            raise NgsiError("AlreadyExists", f"entity {entity_id} already exists")
        now = now_iso()
        entity = {"id": entity_id, "type": stored["type"], "createdAt": now, "modifiedAt": now}
        for iri in attribute_names(stored):
            entity[iri] = _stamp(stored[iri], now)
        tenant.entities[entity_id] = entity
        tenant.version += 1
        return Change(tenant.name, entity_id, None, copy.deepcopy(entity))

    def replace(self, tenant: Tenant, stored: dict[str, Any]) -> Change:
        """Replace the whole entity (PUT, §5.6.18; default upsert, §5.6.8); creates it if absent."""
        entity_id = stored["id"]
        before = tenant.entities.get(entity_id)
        if before is None:
            return self.create(tenant, stored)
        now = now_iso()
        entity = {
            "id": entity_id,
            "type": stored["type"],
            "createdAt": before["createdAt"],
            "modifiedAt": now,
        }
        for iri in attribute_names(stored):
            entity[iri] = _stamp(stored[iri], now)
        tenant.entities[entity_id] = entity
        tenant.version += 1
        touched = set(attribute_names(before)) | set(attribute_names(entity))
        return Change(tenant.name, entity_id, copy.deepcopy(before), copy.deepcopy(entity), touched)

    def append(
        self,
        tenant: Tenant,
        entity_id: str,
        fragment: dict[str, Any],
        *,
        no_overwrite: bool = False,
        only_existing: bool = False,
    ) -> tuple[list[str], list[tuple[str, str]], Change]:
        """Append (§5.6.3) or, with ``only_existing``, update (§5.6.2) attributes of an entity.

        Returns (updated IRIs, [(not updated IRI, reason)], change).  A ``type`` in the fragment
        adds types (entities may have several, §4.5.1).
        """
        before = tenant.entities.get(entity_id)
        if before is None:
            raise not_found(f"entity {entity_id} not found")
        entity = copy.deepcopy(before)
        now = now_iso()
        updated: list[str] = []
        not_updated: list[tuple[str, str]] = []
        if "type" in fragment:
            merged = types_of(entity) + [t for t in types_of(fragment) if t not in types_of(entity)]
            entity["type"] = merged[0] if len(merged) == 1 else merged
        for iri in attribute_names(fragment):
            incoming = fragment[iri]
            existing = entity.get(iri)
            if existing is None and only_existing:
                not_updated.append((iri, "attribute does not exist"))
                continue
            if existing is not None and only_existing:
                have = {i.get("datasetId") for i in instances(existing)}
                missing = [i.get("datasetId") for i in instances(incoming) if i.get("datasetId") not in have]
                if missing:
                    not_updated.append((iri, f"no instance with datasetId {missing[0]!r}"))
                    continue
            if existing is not None and no_overwrite:
                not_updated.append((iri, "attribute exists and noOverwrite was requested"))
                continue
            merged_attr = incoming if existing is None else _merge_instances(existing, incoming)
            entity[iri] = _stamp(merged_attr, now, existing)
            if existing is not None:  # untouched instances keep their own timestamps
                kept = {i.get("datasetId"): i for i in instances(existing)}
                touched = {i.get("datasetId") for i in instances(incoming)}
                entity[iri] = _restore(entity[iri], kept, touched)
            updated.append(iri)
        entity["modifiedAt"] = now
        tenant.entities[entity_id] = entity
        tenant.version += 1
        return (
            updated,
            not_updated,
            Change(tenant.name, entity_id, copy.deepcopy(before), copy.deepcopy(entity), set(updated)),
        )

    def delete(self, tenant: Tenant, entity_id: str) -> Change:
        before = tenant.entities.pop(entity_id, None)
        tenant.version += 1
        if before is None:
            raise not_found(f"entity {entity_id} not found")
        return Change(tenant.name, entity_id, before, None)

    def delete_attribute(
        self, tenant: Tenant, entity_id: str, iri: str, dataset_id: str | None, delete_all: bool
    ) -> Change:
        before = tenant.entities.get(entity_id)
        if before is None:
            raise not_found(f"entity {entity_id} not found")
        if iri not in before:
            raise not_found(f"entity {entity_id} has no attribute {iri}")
        entity = copy.deepcopy(before)
        if delete_all:
            del entity[iri]
        else:
            left = [i for i in instances(entity[iri]) if i.get("datasetId") != dataset_id]
            if len(left) == len(instances(entity[iri])):
                raise not_found(
                    f"entity {entity_id}, attribute {iri}: no instance with datasetId {dataset_id!r}"
                )
            if left:
                entity[iri] = left if len(left) > 1 else left[0]
            else:
                del entity[iri]
        entity["modifiedAt"] = now_iso()
        tenant.entities[entity_id] = entity
        tenant.version += 1
        return Change(tenant.name, entity_id, copy.deepcopy(before), copy.deepcopy(entity), {iri})


def _restore(attr: Any, kept: dict[Any, dict[str, Any]], touched: set[Any]) -> Any:
    restored = [kept[i.get("datasetId")] if i.get("datasetId") not in touched else i for i in instances(attr)]
    return restored if isinstance(attr, list) else restored[0]


def changed_attributes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> set[str]:
    """IRIs of attributes whose content (not timestamps) differs between two images."""
    names: set[str] = set()
    for image in (before, after):
        if image is not None:
            names.update(k for k in image if k not in ENTITY_KEYS)
    return {
        name
        for name in names
        if strip_system((before or {}).get(name)) != strip_system((after or {}).get(name))
    }
