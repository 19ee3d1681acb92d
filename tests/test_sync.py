"""The comparable form that decides what publish writes: fast path, pyld path, and what they ignore."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ldt_catalog.accelerators import reference_mode
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


# --- attribute-level sync against the test broker ------------------------------------------------

import io  # noqa: E402
import json  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import requests  # noqa: E402

from ldt_catalog.broker.client import BrokerClient  # noqa: E402
from ldt_catalog.broker.subscriptions import with_endpoint  # noqa: E402
from ldt_catalog.consume.notifications import NotificationReceiver  # noqa: E402
from tests.ngsild_broker import TestBroker  # noqa: E402

SUBSCRIPTION = Path(__file__).resolve().parent.parent / "subscriptions" / "initiative-changes.jsonld"
WRITES = {"POST", "PATCH", "PUT", "DELETE"}


@pytest.fixture
def published() -> Iterator[tuple[TestBroker, BrokerClient, list[dict[str, Any]], NotificationReceiver]]:
    """The test broker holding our entities, and ``listen``'s receiver subscribed with our file."""
    desired = entities()
    with TestBroker() as broker, NotificationReceiver(out=io.StringIO()).start() as receiver:
        client = BrokerClient(broker.url, inline_context=entity_context())
        _, result = sync.synchronise(client, desired)
        assert result is not None and not result.failed
        subscription = with_endpoint(json.loads(SUBSCRIPTION.read_text(encoding="utf-8")), receiver.url)
        response = requests.post(
            f"{broker.url}/ngsi-ld/v1/subscriptions",
            data=json.dumps(subscription),
            headers={"Content-Type": "application/ld+json"},
            timeout=5,
        )
        assert response.status_code == 201, response.text
        broker.requests_log.clear()
        yield broker, client, desired, receiver


def writes(broker: TestBroker) -> list[tuple[str, str, Any]]:
    return [
        (r.method, r.path, r.json() if r.body else None) for r in broker.requests_log if r.method in WRITES
    ]


def lines_after(broker: TestBroker, receiver: NotificationReceiver, count: int = 1) -> list[str]:
    assert broker.wait_for_notifications(5)
    assert receiver.wait_for(count, 5)
    return receiver.lines


def edited_description(desired: list[dict[str, Any]]) -> list[dict[str, Any]]:
    changed = copy.deepcopy(desired)
    changed[1]["description"]["languageMap"]["en"] += " One more word."
    changed[1]["provenance"]["json"]["contentSha256"] = "0" * 64  # the page's content changed
    return changed


def test_one_word_edit_patches_that_attribute_and_listen_names_only_it(published: Any) -> None:
    broker, client, desired, receiver = published
    _todo, result = sync.synchronise(client, edited_description(desired))
    assert result is not None and result.updated == [desired[1]["id"]]
    sent = writes(broker)
    assert [(method, path) for method, path, _ in sent] == [("POST", "/ngsi-ld/v1/entityOperations/update")]
    (fragment,) = sent[0][2]
    assert set(fragment) == {"id", "type", "description", "provenance", "@context"}
    assert result.attributes_written == 2
    assert lines_after(broker, receiver) == ["Initiative Alpha updated: description"]
    stored = broker.entities()[desired[1]["id"]]
    assert stored["http://purl.org/dc/terms/description"]["languageMap"]["en"].endswith("One more word.")


def test_replace_rewrites_the_whole_entity_and_every_attribute_is_notified(published: Any) -> None:
    broker, client, desired, receiver = published
    _, result = sync.synchronise(client, edited_description(desired), replace=True)
    assert result is not None and result.updated == [desired[1]["id"]]
    assert [(m, p) for m, p, _ in writes(broker)] == [("POST", "/ngsi-ld/v1/entityOperations/upsert")]
    (line,) = lines_after(broker, receiver)
    names = line.split(": ", 1)[1].split(", ")
    assert "description" in names and "name" in names and "contactPoint" in names


def test_a_removed_section_deletes_that_attribute(published: Any) -> None:
    broker, client, desired, receiver = published
    shorter = copy.deepcopy(desired)
    del shorter[1]["otherSection"]
    todo, _result = sync.synchronise(client, shorter)
    assert todo.update == [(desired[1]["id"], ["https://w3id.org/ldt-catalog#otherSection"])]
    sent = writes(broker)
    assert len(sent) == 1 and sent[0][0] == "DELETE"
    assert sent[0][1].endswith("/attrs/https%3A%2F%2Fw3id.org%2Fldt-catalog%23otherSection")
    assert "https://w3id.org/ldt-catalog#otherSection" not in broker.entities()[desired[1]["id"]]
    assert lines_after(broker, receiver) == ["Initiative Alpha updated: otherSection"]


def test_a_removed_mention_deletes_only_that_instance() -> None:
    desired = entities()
    desired[1]["mentions"] = [
        {
            "type": "Relationship",
            "object": f"urn:ngsi-ld:Initiative:{s}",
            "datasetId": f"urn:ngsi-ld:Dataset:mentions:{s}",
        }
        for s in ("beta", "gamma")
    ]
    with TestBroker() as broker:
        client = BrokerClient(broker.url, inline_context=entity_context())
        sync.synchronise(client, desired)
        fewer = copy.deepcopy(desired)
        fewer[1]["mentions"] = fewer[1]["mentions"][:1]
        broker.requests_log.clear()
        sync.synchronise(client, fewer)
        assert [(m, r.query) for m, r in ((r.method, r) for r in broker.requests_log) if m in WRITES] == [
            ("DELETE", "datasetId=urn%3Angsi-ld%3ADataset%3Amentions%3Agamma")
        ]
        held = broker.entities()[desired[1]["id"]]["https://schema.org/mentions"]
        assert held["object"] == "urn:ngsi-ld:Initiative:beta"
        broker.requests_log.clear()
        _, again = sync.synchronise(client, fewer)
        assert again is not None and again.updated == [] and writes(broker) == []


def test_a_hand_edit_is_put_back_with_a_patch_of_that_attribute(published: Any) -> None:
    broker, client, desired, receiver = published
    target = quote_id(desired[1]["id"])
    response = requests.patch(
        f"{broker.url}/ngsi-ld/v1/entities/{target}/attrs",
        data=json.dumps(
            {"https://schema.org/name": {"type": "LanguageProperty", "languageMap": {"en": "Hand"}}}
        ),
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert response.status_code == 204
    lines_after(broker, receiver)
    broker.requests_log.clear()
    todo, _result = sync.synchronise(client, desired)
    assert todo.update == [(desired[1]["id"], ["https://schema.org/name"])]
    (sent,) = writes(broker)
    assert set(sent[2][0]) == {"id", "type", "name", "@context"}
    assert broker.entities()[desired[1]["id"]]["https://schema.org/name"]["languageMap"] == {"en": "Alpha"}
    assert lines_after(broker, receiver, 2)[-1] == "Initiative Alpha updated: name"


def test_nothing_changed_sends_nothing_and_skips_the_listing(published: Any) -> None:
    broker, client, desired, _ = published
    todo, result = sync.synchronise(client, desired)
    assert result is not None and sorted(result.unchanged) == sorted(e["id"] for e in desired)
    # the fast per-attribute form decides every entity, unless the reference libraries were asked for
    assert writes(broker) == [] and todo.compared_by_rdf == (len(desired) if reference_mode() else 0)
    listing = [r for r in broker.requests_log if r.method == "GET" and "offset=" in r.query]
    assert listing == []  # the count said there is nothing else of our types


def quote_id(entity_id: str) -> str:
    from urllib.parse import quote

    return quote(entity_id, safe="")


def test_an_equivalent_form_from_the_broker_is_not_a_change() -> None:
    ours = entities()[1]
    held = as_broker_returns(ours)
    relation = held["http://purl.org/dc/terms/isPartOf"]
    relation["object"] = [relation["object"]]  # a one-element array: the same triple
    todo = sync.plan([ours], {ours["id"]: held})
    assert todo.unchanged == [ours["id"]] and todo.compared_by_rdf == 1


@pytest.mark.parametrize("exact", [False, True])
def test_fast_and_reference_comparisons_plan_alike(exact: bool) -> None:
    from ldt_catalog.broker import plan as planning

    desired = entities()
    variants = [copy.deepcopy(desired) for _ in range(3)]
    variants[0][1]["name"]["languageMap"]["en"] = "Renamed"
    del variants[1][0]["description"]
    variants[2][2]["url"]["json"].append({"url": "https://new.example.org/"})
    for variant in variants:
        held = {e["id"]: planning.Held.of(as_broker_returns(e)) for e in desired}
        fast, reference = planning.Plan(), planning.Plan()
        planning.plan_chunk(variant, held, fast)
        planning.plan_chunk(variant, held, reference, exact=True)
        assert fast.update == reference.update and fast.unchanged == reference.unchanged
        assert len(fast.update) == 1
