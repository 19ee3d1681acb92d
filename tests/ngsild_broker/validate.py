"""Payload checks a strict NGSI-LD broker applies before it stores anything.

Rules (ETSI GS CIM 009 v1.8/1.9; where a real broker is stricter than the text, Orion-LD's rule):

* An entity is a JSON object with ``id`` (a URI: ``scheme:rest``, §4.5.1) and ``type`` (a name or
  a non-empty array of names, §4.5.1); ``createdAt``/``modifiedAt`` are system attributes (§4.8)
  and a client's values are ignored (dropped), never stored.
* Attribute names (and entity type names) must not contain ``= [ ] & ? " ' #`` or whitespace
  (Orion-LD's list, §4.6.2 names being terms or IRIs); ``#`` is allowed in an absolute IRI
  (``https://w3id.org/ldt-catalog#keyRole``) since expanded names legitimately carry it.
* An attribute is an object, or a non-empty array of objects (multi-attribute, §4.5.5) whose
  ``datasetId`` values are unique URIs, with at most one default instance (no ``datasetId``).
* Each instance has a ``type`` among Property, Relationship, GeoProperty, LanguageProperty,
  JsonProperty, ListProperty, VocabProperty (§4.5.2-§4.5.x) and the member that type requires:
  ``value`` (not null), ``object`` (a URI), ``value`` holding a GeoJSON geometry, ``languageMap``
  (language tag -> string or array of strings; ``@none`` allowed), ``json``, ``valueList``
  (array), ``vocab`` (string or array of strings).  A member of another attribute type is refused.
  ``observedAt`` must be an ISO 8601 date-time, ``unitCode`` a string.  Any other member is a
  sub-attribute, validated the same way.
* §4.6.4 forbidden characters ``< > " ' = ; ( )`` are refused in String values of a Property's
  ``value`` (recursively in structured values) and a ListProperty's ``valueList``, and in a
  Relationship's ``object``.  They are NOT checked in a LanguageProperty's ``languageMap`` nor in a
  JsonProperty's ``json``: those types exist to carry free text and opaque JSON, and refusing
  an apostrophe in a French description would make LanguageProperty useless.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.ngsild_broker.errors import bad_data

URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
_ABSOLUTE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_NAME_FORBIDDEN = re.compile(r"[=\[\]&?\"'#\s]")
_VALUE_FORBIDDEN = re.compile(r"[<>\"'=;()]")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")

# attribute type -> the member it requires
PRIMARY = {
    "Property": "value",
    "GeoProperty": "value",
    "Relationship": "object",
    "LanguageProperty": "languageMap",
    "JsonProperty": "json",
    "ListProperty": "valueList",
    "VocabProperty": "vocab",
}
PRIMARY_MEMBERS = frozenset(PRIMARY.values())
# members of an attribute instance that are not sub-attributes (§4.5.2, §4.8)
ATTR_MEMBERS = PRIMARY_MEMBERS | {
    "type",
    "datasetId",
    "observedAt",
    "unitCode",
    "createdAt",
    "modifiedAt",
    "objectType",
}
SYSTEM_MEMBERS = frozenset({"createdAt", "modifiedAt", "deletedAt"})
ENTITY_MEMBERS = frozenset({"id", "type", "@context"}) | SYSTEM_MEMBERS
_GEOMETRIES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}


def is_uri(value: Any) -> bool:
    return isinstance(value, str) and bool(URI.match(value))


def check_name(name: str, what: str, entity_id: str) -> None:
    if not isinstance(name, str) or not name:
        raise bad_data(f"entity {entity_id}: empty {what}")
    forbidden = _NAME_FORBIDDEN.search(name)
    if forbidden and not (
        forbidden.group() == "#"
        and _ABSOLUTE.match(name)
        and not _NAME_FORBIDDEN.search(name.replace("#", ""))
    ):
        raise bad_data(
            f"entity {entity_id}: {what} {name!r} contains the forbidden character {forbidden.group()!r}"
        )


def entity_types(value: Any, entity_id: str) -> list[str]:
    """The entity's type names; 400 unless a name or a non-empty array of names."""
    names = value if isinstance(value, list) else [value]
    if not names or not all(isinstance(name, str) and name for name in names):
        raise bad_data(f"entity {entity_id}: 'type' must be a non-empty string or array of strings")
    for name in names:
        check_name(name, "entity type", entity_id)
    return names


def check_entity(entity: Any, *, need_id: bool = True, need_type: bool = True) -> str:
    """Validate a normalized entity; returns its id (or '' when not needed and absent)."""
    if not isinstance(entity, dict):
        raise bad_data(f"an entity must be a JSON object, got {type(entity).__name__}")
    entity_id = entity.get("id", "")
    if (need_id or "id" in entity) and not is_uri(entity_id):
        raise bad_data(f"entity id {entity_id!r} is missing or not a URI")
    if need_type or "type" in entity:
        if "type" not in entity:
            raise bad_data(f"entity {entity_id}: 'type' is missing")
        entity_types(entity["type"], entity_id)
    for name, attr in entity.items():
        if name not in ENTITY_MEMBERS:
            check_attribute(name, attr, entity_id)
    return str(entity_id)


def check_attribute(name: str, attr: Any, entity_id: str, *, sub: bool = False) -> None:
    what = "sub-attribute" if sub else "attribute"
    check_name(name, f"{what} name", entity_id)
    where = f"entity {entity_id}, {what} {name!r}"
    instances = attr if isinstance(attr, list) else [attr]
    if not instances:
        raise bad_data(f"{where}: an empty array is not an attribute")
    dataset_ids: set[str | None] = set()
    for instance in instances:
        if not isinstance(instance, dict):
            raise bad_data(f"{where}: must be a JSON object with 'type' (got {type(instance).__name__})")
        dataset_id = instance.get("datasetId")
        if "datasetId" in instance and not is_uri(dataset_id):
            raise bad_data(f"{where}: datasetId {dataset_id!r} is not a URI")
        if dataset_id in dataset_ids:
            raise bad_data(
                f"{where}: duplicate {'datasetId ' + repr(dataset_id) if dataset_id else 'default instance'}"
            )
        dataset_ids.add(dataset_id)
        _check_instance(name, instance, entity_id, where)


def _check_instance(name: str, instance: dict[str, Any], entity_id: str, where: str) -> None:
    attr_type = instance.get("type")
    if attr_type is None:
        raise bad_data(f"{where}: attribute 'type' is missing")
    if attr_type not in PRIMARY:
        raise bad_data(
            f"{where}: unknown attribute type {attr_type!r} (expected one of {', '.join(PRIMARY)})"
        )
    primary = PRIMARY[attr_type]
    if primary not in instance or instance[primary] is None:
        raise bad_data(f"{where}: a {attr_type} needs a non-null {primary!r}")
    for other in PRIMARY_MEMBERS - {primary}:
        if other in instance:
            raise bad_data(f"{where}: a {attr_type} must not have {other!r}")
    content = instance[primary]
    if attr_type == "Property":
        _check_chars(content, where)
    elif attr_type == "Relationship":
        objects = content if isinstance(content, list) else [content]
        if not objects or not all(is_uri(obj) for obj in objects):
            raise bad_data(f"{where}: Relationship object {content!r} is not a URI")
        _check_chars(content, where)
    elif attr_type == "GeoProperty":
        _check_geometry(content, where)
    elif attr_type == "LanguageProperty":
        _check_language_map(content, where)
    elif attr_type == "ListProperty":
        if not isinstance(content, list):
            raise bad_data(f"{where}: valueList must be an array")
        _check_chars(content, where)
    elif attr_type == "VocabProperty":
        vocabs = content if isinstance(content, list) else [content]
        if not vocabs or not all(isinstance(v, str) and v for v in vocabs):
            raise bad_data(f"{where}: vocab must be a string or an array of strings")
    if "observedAt" in instance and not (
        isinstance(instance["observedAt"], str) and _DATETIME.match(instance["observedAt"])
    ):
        raise bad_data(f"{where}: observedAt {instance['observedAt']!r} is not an ISO 8601 date-time")
    if "unitCode" in instance and not isinstance(instance["unitCode"], str):
        raise bad_data(f"{where}: unitCode must be a string")
    for member, sub_attr in instance.items():
        if member not in ATTR_MEMBERS:
            check_attribute(member, sub_attr, entity_id, sub=True)


def _check_chars(value: Any, where: str) -> None:
    if isinstance(value, str):
        found = _VALUE_FORBIDDEN.search(value)
        if found:
            raise bad_data(
                f"{where}: value {value!r} contains the forbidden character {found.group()!r} "
                "(ETSI GS CIM 009 §4.6.4: < > \" ' = ; ( ) are not allowed)"
            )
    elif isinstance(value, list):
        for item in value:
            _check_chars(item, where)
    elif isinstance(value, dict):
        for item in value.values():
            _check_chars(item, where)


def _check_language_map(content: Any, where: str) -> None:
    if not isinstance(content, dict) or not content:
        raise bad_data(f"{where}: languageMap must be a non-empty JSON object")
    for tag, text in content.items():
        if tag != "@none" and not _LANGUAGE_TAG.match(tag):
            raise bad_data(f"{where}: {tag!r} is not a language tag")
        texts = text if isinstance(text, list) else [text]
        if not all(isinstance(t, str) for t in texts):
            raise bad_data(f"{where}: languageMap[{tag!r}] must be a string or an array of strings")


def _is_position(value: Any) -> bool:
    return (
        isinstance(value, list)
        and 2 <= len(value) <= 3
        and all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in value)
    )


def _check_geometry(geometry: Any, where: str) -> None:
    """GeoJSON (RFC 7946 §3.1) as Orion-LD checks it: type, coordinates' nesting, closed rings."""
    if not isinstance(geometry, dict) or geometry.get("type") not in _GEOMETRIES:
        raise bad_data(f"{where}: GeoProperty value must be a GeoJSON geometry, got {geometry!r}")
    kind = geometry["type"]
    if kind == "GeometryCollection":
        members = geometry.get("geometries")
        if not isinstance(members, list):
            raise bad_data(f"{where}: GeometryCollection needs 'geometries'")
        for member in members:
            _check_geometry(member, where)
        return
    coords = geometry.get("coordinates")

    def line(value: Any, minimum: int) -> bool:
        return isinstance(value, list) and len(value) >= minimum and all(_is_position(p) for p in value)

    def ring(value: Any) -> bool:
        return line(value, 4) and value[0] == value[-1]

    def polygon(value: Any) -> bool:
        return isinstance(value, list) and len(value) >= 1 and all(ring(r) for r in value)

    checks: dict[str, Callable[[Any], bool]] = {
        "Point": lambda c: _is_position(c),
        "MultiPoint": lambda c: line(c, 1),
        "LineString": lambda c: line(c, 2),
        "MultiLineString": lambda c: isinstance(c, list) and all(line(x, 2) for x in c),
        "Polygon": polygon,
        "MultiPolygon": lambda c: isinstance(c, list) and all(polygon(p) for p in c),
    }
    if not checks[kind](coords):
        raise bad_data(f"{where}: invalid coordinates for a GeoJSON {kind}: {coords!r}")
