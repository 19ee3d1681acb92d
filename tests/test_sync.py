"""The comparable form that decides what publish writes: fast path, pyld path, and what they ignore."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ldt_catalog.broker import compare, sync
from ldt_catalog.ngsild.context import CORE_CONTEXT_URL, entity_context
from ldt_catalog.ngsild.entities import catalog_entities
from tests.factories import make_catalog
from tests.ngsild_broker.entities import compact_entity, expand_entity
from tests.ngsild_broker.jsonld import ContextRegistry


def entities() -> list[dict[str, Any]]:
    return list(catalog_entities(make_catalog()))


def as_broker_returns(entity: dict[str, Any]) -> dict[str, Any]:
    """What a broker answers without a Link header: names compacted with the core context only.

    (pyld's own compaction would unwrap one-element arrays inside JSON values, which no broker does.)
    """
    registry = ContextRegistry("http://127.0.0.1:1")
    body = {k: v for k, v in entity.items() if k != "@context"}
    stored = expand_entity(body, registry.handle(list(entity["@context"])))
    return compact_entity(stored, registry.handle([]))


@pytest.mark.parametrize("index", [0, 1, 2])
def test_our_entity_equals_the_broker_copy(index: int) -> None:
    entity = entities()[index]
    held = compare.comparable(as_broker_returns(entity), CORE_CONTEXT_URL)
    assert compare.comparable(entity) == held
    assert held.generator == "ldt-catalog"


def test_fast_path_and_pyld_path_give_the_same_form(monkeypatch: pytest.MonkeyPatch) -> None:
    entity = entities()[1]
    fast = compare.comparable(entity)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise compare.rdf.UnsupportedJsonLd("forced")

    monkeypatch.setattr(compare, "_converter", lambda key: type("C", (), {"subjects": refuse})())
    assert compare.comparable(entity) == fast


def test_foreign_geoproperty_entity_is_compared_through_pyld() -> None:
    entity = {
        "id": "urn:ngsi-ld:Initiative:geo",
        "type": "Initiative",
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [4.35, 50.85]}},
        "@context": entity_context(),
    }
    moved = copy.deepcopy(entity)
    moved["location"]["value"]["coordinates"] = [4.36, 50.85]
    assert compare.comparable(entity) == compare.comparable(copy.deepcopy(entity))
    assert compare.comparable(entity) != compare.comparable(moved)


def test_provenance_lines_are_ignored_but_content_is_not() -> None:
    entity = entities()[1]
    shifted = copy.deepcopy(entity)
    shifted["provenance"]["json"]["line"] += 7
    shifted["provenance"]["json"]["fieldLines"] = {"name": 99}
    assert compare.comparable(shifted) == compare.comparable(entity)
    edited = copy.deepcopy(entity)
    edited["description"]["languageMap"]["en"] += " More."
    mine, theirs = compare.comparable(edited), compare.comparable(entity)
    assert compare.changed_attributes(mine, theirs) == ["http://purl.org/dc/terms/description"]


def test_multi_instance_order_does_not_matter() -> None:
    entity = entities()[1]
    entity["mentions"] = [
        {
            "type": "Relationship",
            "object": f"urn:ngsi-ld:Initiative:{slug}",
            "datasetId": f"urn:ngsi-ld:Dataset:mentions:{slug}",
        }
        for slug in ("a", "b")
    ]
    reordered = copy.deepcopy(entity)
    reordered["mentions"].reverse()
    assert compare.comparable(entity) == compare.comparable(reordered)


def test_system_attributes_are_ignored() -> None:
    entity = entities()[1]
    stamped = as_broker_returns(entity)
    stamped["createdAt"] = "2026-01-01T00:00:00Z"
    stamped["modifiedAt"] = "2026-01-02T00:00:00Z"
    assert compare.comparable(stamped, CORE_CONTEXT_URL) == compare.comparable(entity)


def test_plan_keeps_foreign_entities_and_prunes_only_ours() -> None:
    ours = entities()
    held = {e["id"]: as_broker_returns(e) for e in ours}
    dropped = ours.pop()
    foreign = {"id": "urn:ngsi-ld:Initiative:foreign", "type": "Initiative", "@context": entity_context()}
    held[foreign["id"]] = as_broker_returns(foreign)
    todo = sync.plan(ours, held, prune=True)
    assert todo.delete == [dropped["id"]]
    assert todo.foreign == [foreign["id"]]
    assert todo.create == [] and todo.update == []
    assert sorted(todo.unchanged) == sorted(e["id"] for e in ours)


def test_synchronise_in_chunks_of_one_reads_by_id_and_converges() -> None:
    from ldt_catalog.broker.client import BrokerClient
    from tests.ngsild_broker import TestBroker

    desired = entities()
    with TestBroker() as broker:
        client = BrokerClient(broker.url, inline_context=entity_context())
        _, result = sync.synchronise(client, desired, chunk_size=1)
        assert result is not None and sorted(result.created) == sorted(e["id"] for e in desired)
        by_id = [r for r in broker.requests_log if r.method == "GET" and "id=" in r.query]
        assert len(by_id) == len(desired)
        writes_before = len([r for r in broker.requests_log if r.method == "POST"])
        _, second = sync.synchronise(client, desired, chunk_size=1)
        assert (
            second is not None
            and second.summary() == "created 0, updated 0, unchanged 3, deleted 0, failed 0"
        )
        assert len([r for r in broker.requests_log if r.method == "POST"]) == writes_before
        _, pruned = sync.synchronise(client, desired[:2], chunk_size=1, prune=True)
        assert pruned is not None and pruned.deleted == [desired[2]["id"]]
