"""Normalized NGSI-LD entities <-> the broker's stored (expanded) form.

The stored form is what Orion-LD keeps in its database: the entity's ``type`` and every attribute
and sub-attribute name expanded to its IRI (and ``vocab`` values, which are ``@vocab``-typed),
while the NGSI-LD core members (``id``, ``type``, ``value``, ``object``, ``languageMap``, ``json``,
``valueList``, ``vocab``, ``datasetId``, ``observedAt``, ``unitCode``, ``createdAt``,
``modifiedAt``) keep their core-context names (the core context is protected and always last,
so their meaning never changes) and values stay plain JSON::

    {"id": "urn:ngsi-ld:Initiative:x", "type": "https://schema.org/Project",
     "createdAt": "...Z", "modifiedAt": "...Z",
     "https://schema.org/name": {"type": "Property", "value": "X", "createdAt": ..., "modifiedAt": ...},
     "https://schema.org/url": [{"type": "Property", "value": "...", "datasetId": "urn:..."}, ...]}

A multi-attribute (several instances) is a list, a single instance an object.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.ngsild_broker.errors import bad_data
from tests.ngsild_broker.jsonld import NGSI_LD, ContextHandle
from tests.ngsild_broker.validate import ATTR_MEMBERS, ENTITY_MEMBERS, PRIMARY, SYSTEM_MEMBERS

ENTITY_KEYS = frozenset({"id", "type", "createdAt", "modifiedAt"})
GEO_ATTRIBUTES = frozenset(NGSI_LD + name for name in ("location", "observationSpace", "operationSpace"))


def instances(attr: Any) -> list[dict[str, Any]]:
    return attr if isinstance(attr, list) else [attr]


def types_of(stored: dict[str, Any]) -> list[str]:
    value = stored["type"]
    return value if isinstance(value, list) else [value]


def attribute_names(stored: dict[str, Any]) -> list[str]:
    return [key for key in stored if key not in ENTITY_KEYS]


def expand_types(value: Any, handle: ContextHandle, entity_id: str) -> str | list[str]:
    names = value if isinstance(value, list) else [value]
    iris = []
    for name in names:
        iri = handle.expand_type(name)
        if iri is None:
            raise bad_data(f"entity {entity_id}: type {name!r} does not expand to an IRI")
        if iri not in iris:
            iris.append(iri)
    return iris[0] if len(iris) == 1 else iris


def expand_name(name: str, handle: ContextHandle, entity_id: str) -> str:
    iri = handle.expand_term(name)
    if iri is None:
        raise bad_data(
            f"entity {entity_id}: attribute name {name!r} does not expand to an IRI "
            "(a JSON-LD keyword alias or a term mapped to null)"
        )
    return iri


def expand_attributes(entity: dict[str, Any], handle: ContextHandle, entity_id: str) -> dict[str, Any]:
    """The attributes of a (validated) normalized entity fragment, keyed by IRI."""
    out: dict[str, Any] = {}
    for name, attr in entity.items():
        if name in ENTITY_MEMBERS:
            continue  # id/type handled by the caller; client-sent createdAt/modifiedAt ignored (§4.8)
        iri = expand_name(name, handle, entity_id)
        if iri in out:
            raise bad_data(f"entity {entity_id}: attribute {name!r} duplicates another name for {iri}")
        expanded = [_expand_instance(i, handle, entity_id) for i in instances(attr)]
        if iri in GEO_ATTRIBUTES and any(i["type"] != "GeoProperty" for i in expanded):
            raise bad_data(f"entity {entity_id}: attribute {name!r} must be a GeoProperty")
        out[iri] = expanded if isinstance(attr, list) and len(expanded) > 1 else expanded[0]
    return out


def _expand_instance(instance: dict[str, Any], handle: ContextHandle, entity_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for member, content in instance.items():
        if member in SYSTEM_MEMBERS:
            continue
        if member == "vocab":
            out[member] = _expand_vocab(content, handle, entity_id)
        elif member in ATTR_MEMBERS:
            out[member] = copy.deepcopy(content)
        else:
            iri = expand_name(member, handle, entity_id)
            subs = [_expand_instance(i, handle, entity_id) for i in instances(content)]
            out[iri] = subs if isinstance(content, list) and len(subs) > 1 else subs[0]
    return out


def _expand_vocab(content: Any, handle: ContextHandle, entity_id: str) -> Any:
    values = content if isinstance(content, list) else [content]
    iris = []
    for value in values:
        iri = handle.expand_type(value)
        if iri is None:
            raise bad_data(f"entity {entity_id}: vocab {value!r} does not expand to an IRI")
        iris.append(iri)
    return iris if isinstance(content, list) else iris[0]


def expand_entity(entity: dict[str, Any], handle: ContextHandle) -> dict[str, Any]:
    """A validated normalized entity in stored form (without system timestamps)."""
    entity_id = entity["id"]
    stored: dict[str, Any] = {"id": entity_id, "type": expand_types(entity["type"], handle, entity_id)}
    stored.update(expand_attributes(entity, handle, entity_id))
    return stored


def compact_entity(
    stored: dict[str, Any],
    handle: ContextHandle,
    *,
    attrs: set[str] | None = None,
    sys_attrs: bool = False,
    fmt: str = "normalized",
) -> dict[str, Any]:
    """A stored entity as a client sees it: names compacted with ``handle``, in ``fmt``.

    ``fmt`` is ``normalized``, ``keyValues`` (alias ``simplified``) or ``concise`` (§4.5.1-§4.5.3).
    ``attrs`` (IRIs) restricts the attributes returned.
    """
    types = [handle.compact_type(t) for t in types_of(stored)]
    out: dict[str, Any] = {"id": stored["id"], "type": types[0] if len(types) == 1 else types}
    if sys_attrs and fmt != "keyValues":
        for member in ("createdAt", "modifiedAt"):
            if member in stored:
                out[member] = stored[member]
    for iri in attribute_names(stored):
        if attrs is not None and iri not in attrs:
            continue
        out[handle.compact_term(iri)] = _compact_attr(stored[iri], handle, sys_attrs, fmt)
    return out


def _compact_attr(attr: Any, handle: ContextHandle, sys_attrs: bool, fmt: str) -> Any:
    compacted = [_compact_instance(i, handle, sys_attrs, fmt) for i in instances(attr)]
    return compacted if isinstance(attr, list) else compacted[0]


def _compact_instance(instance: dict[str, Any], handle: ContextHandle, sys_attrs: bool, fmt: str) -> Any:
    primary = PRIMARY[instance["type"]]
    content = instance[primary]
    if primary == "vocab":
        content = (
            [handle.compact_type(v) for v in content]
            if isinstance(content, list)
            else handle.compact_type(content)
        )
    if fmt == "keyValues":
        return copy.deepcopy(content)
    out: dict[str, Any] = {}
    for member, value in instance.items():
        if member == primary:
            out[member] = copy.deepcopy(content)
        elif member in SYSTEM_MEMBERS:
            if sys_attrs:
                out[member] = value
        elif member in ATTR_MEMBERS:
            out[member] = copy.deepcopy(value)
        else:
            out[handle.compact_term(member)] = _compact_attr(value, handle, sys_attrs, fmt)
    if fmt == "concise":
        out.pop("type", None)
        if list(out) == ["value"] and not isinstance(out["value"], dict):
            return out["value"]
    return out


def primary_content(instance: dict[str, Any]) -> Any:
    return instance.get(PRIMARY.get(instance.get("type", ""), "value"))
