"""Tests of the loopback NGSI-LD test broker itself, over raw HTTP with ``requests``."""

# The fixtures are imported from the plugin module (only the root conftest may set
# pytest_plugins), so their names are "redefined" as test parameters.
# ruff: noqa: F811

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import requests
from pyld import jsonld

from ldt_catalog.ngsild.context import CORE_CONTEXT_URL, LDT_CONTEXT_URL, entity_context, jsonld_options
from tests.ngsild_broker import NotificationReceiver, TestBroker
from tests.ngsild_broker.entities import compact_entity, expand_entity
from tests.ngsild_broker.fixtures import broker, broker_factory, notification_receiver  # noqa: F401
from tests.ngsild_broker.jsonld import ContextRegistry

T = 5  # seconds, for every HTTP call
API = "/ngsi-ld/v1"
ERR = "https://uri.etsi.org/ngsi-ld/errors/"
REL = "http://www.w3.org/ns/json-ld#context"
JSON_LD = {"Content-Type": "application/ld+json"}


def link(url: str, rel: str = REL) -> dict[str, str]:
    return {"Link": f'<{url}>; rel="{rel}"; type="application/ld+json"'}


LDT = link(LDT_CONTEXT_URL)


def initiative(n: int | str, **attrs: Any) -> dict[str, Any]:
    entity = {
        "id": f"urn:ngsi-ld:Initiative:{n}",
        "type": "Initiative",
        "name": {"type": "Property", "value": f"Initiative {n}"},
    }
    entity.update(attrs)
    return entity


def problem(response: requests.Response, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["type"] == ERR + kind, body
    assert body["title"] and body["detail"]
    return body


@pytest.fixture
def api(broker: TestBroker) -> str:
    return broker.url + API


def post(url: str, body: Any, headers: dict[str, str] | None = None, **kw: Any) -> requests.Response:
    return requests.post(url, json=body, headers=headers, timeout=T, **kw)


# --- JSON-LD: names come out exactly as pyld would produce them ---------------------------

RICH = {
    "id": "urn:ngsi-ld:Initiative:rich",
    "type": ["Initiative", "Cluster"],
    "name": {
        "type": "Property",
        "value": "X",
        "observedAt": "2024-01-01T00:00:00Z",
        "provenance": {"type": "Property", "value": "page.md"},
    },
    "alternateName": {"type": "Property", "value": ["a", "b"]},
    "description": {"type": "LanguageProperty", "languageMap": {"en": "hi", "fr": "salut"}},
    "isPartOf": {"type": "Relationship", "object": "urn:ngsi-ld:Cluster:c"},
    "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [4.3, 50.8]}},
    "keyAsset": {"type": "ListProperty", "valueList": [1, "x"]},
    "relevance": {"type": "JsonProperty", "json": {"x": [1, 2]}},
    "keyRole": {"type": "VocabProperty", "vocab": "Initiative"},
    "unmappedThing": {"type": "Property", "value": 3},
    "schema:knowsAbout": {"type": "Property", "value": "twins"},
    "url": [
        {"type": "Property", "value": "http://a", "datasetId": "urn:ds:1"},
        {"type": "Property", "value": "http://b"},
    ],
}


def _keys(node: dict[str, Any]) -> set[str]:
    return {k for k in node if not k.startswith("@")}


def test_expansion_and_compaction_match_pyld() -> None:
    registry = ContextRegistry("http://127.0.0.1:1")
    handle = registry.handle(entity_context()[:1])
    stored = expand_entity(RICH, handle)
    reference = jsonld.expand({"@context": entity_context(), **RICH}, jsonld_options())[0]

    assert _keys(stored) - {"id", "type"} == _keys(reference)
    assert sorted(stored["type"]) == sorted(reference["@type"])
    sub = "https://w3id.org/ldt-catalog#provenance"
    assert sub in stored["https://schema.org/name"]
    assert sub in reference["https://schema.org/name"][0]
    vocab = reference["https://w3id.org/ldt-catalog#keyRole"][0]["https://uri.etsi.org/ngsi-ld/hasVocab"][0]
    assert stored["https://w3id.org/ldt-catalog#keyRole"]["vocab"] == vocab["@id"]

    ours = compact_entity(stored, handle)
    theirs = jsonld.compact(reference, entity_context(), jsonld_options())
    assert set(ours) == set(theirs) - {"@context"}
    assert ours["type"] == theirs["type"] and ours["keyRole"]["vocab"] == theirs["keyRole"]["vocab"]
    assert set(ours["name"]) == set(theirs["name"])


# --- CRUD -----------------------------------------------------------------------------------


def test_crud_cycle(api: str, broker: TestBroker) -> None:
    created = post(f"{api}/entities", initiative(1), LDT)
    assert created.status_code == 201 and created.text == ""
    assert created.headers["Location"] == f"{API}/entities/urn:ngsi-ld:Initiative:1"
    problem(post(f"{api}/entities", initiative(1), LDT), 409, "AlreadyExists")

    stored = broker.entities()["urn:ngsi-ld:Initiative:1"]
    assert stored["type"] == "https://schema.org/Project"
    assert stored["https://schema.org/name"]["value"] == "Initiative 1"

    got = requests.get(f"{api}/entities/urn:ngsi-ld:Initiative:1", headers=LDT, timeout=T)
    assert got.status_code == 200
    assert got.json() == {
        "id": "urn:ngsi-ld:Initiative:1",
        "type": "Initiative",
        "name": {"type": "Property", "value": "Initiative 1"},
    }
    assert LDT_CONTEXT_URL in got.headers["Link"]

    patch = requests.patch(
        f"{api}/entities/urn:ngsi-ld:Initiative:1/attrs",
        headers=LDT,
        timeout=T,
        json={
            "name": {"type": "Property", "value": "Renamed"},
            "url": {"type": "Property", "value": "https://x.eu"},
        },
    )
    assert patch.status_code == 207
    assert patch.json() == {
        "updated": ["name"],
        "notUpdated": [{"attributeName": "url", "reason": "attribute does not exist"}],
    }
    appended = post(
        f"{api}/entities/urn:ngsi-ld:Initiative:1/attrs", {"url": {"type": "Property", "value": "u"}}, LDT
    )
    assert appended.status_code == 204
    assert broker.entities()["urn:ngsi-ld:Initiative:1"]["https://schema.org/url"]["value"] == "u"

    replaced = requests.put(
        f"{api}/entities/urn:ngsi-ld:Initiative:1",
        headers=LDT,
        timeout=T,
        json={"type": "Initiative", "logo": {"type": "Property", "value": "l.png"}},
    )
    assert replaced.status_code == 204
    assert set(broker.entities()["urn:ngsi-ld:Initiative:1"]) == {
        "id",
        "type",
        "createdAt",
        "modifiedAt",
        "https://schema.org/logo",
    }
    deleted_attr = requests.delete(
        f"{api}/entities/urn:ngsi-ld:Initiative:1/attrs/logo", headers=LDT, timeout=T
    )
    assert deleted_attr.status_code == 204

    assert requests.delete(f"{api}/entities/urn:ngsi-ld:Initiative:1", timeout=T).status_code == 204
    problem(requests.get(f"{api}/entities/urn:ngsi-ld:Initiative:1", timeout=T), 404, "ResourceNotFound")
    problem(requests.delete(f"{api}/entities/urn:ngsi-ld:Initiative:1", timeout=T), 404, "ResourceNotFound")


def test_system_attributes_only_on_request_and_client_values_ignored(api: str, broker: TestBroker) -> None:
    entity = initiative(2, createdAt="1999-01-01T00:00:00Z")
    assert post(f"{api}/entities", entity, LDT).status_code == 201
    stored = broker.entities()["urn:ngsi-ld:Initiative:2"]
    assert stored["createdAt"] != "1999-01-01T00:00:00Z"
    plain = requests.get(f"{api}/entities/urn:ngsi-ld:Initiative:2", headers=LDT, timeout=T).json()
    assert "createdAt" not in plain and "createdAt" not in plain["name"]
    full = requests.get(
        f"{api}/entities/urn:ngsi-ld:Initiative:2?options=sysAttrs", headers=LDT, timeout=T
    ).json()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", full["createdAt"])
    assert "modifiedAt" in full["name"]


def test_formats(api: str) -> None:
    entity = initiative(3, isPartOf={"type": "Relationship", "object": "urn:ngsi-ld:Cluster:c"})
    assert post(f"{api}/entities", entity, LDT).status_code == 201
    url = f"{api}/entities/urn:ngsi-ld:Initiative:3"
    key_values = requests.get(url, params={"options": "keyValues"}, headers=LDT, timeout=T).json()
    assert key_values == {
        "id": "urn:ngsi-ld:Initiative:3",
        "type": "Initiative",
        "name": "Initiative 3",
        "isPartOf": "urn:ngsi-ld:Cluster:c",
    }
    concise = requests.get(url, params={"format": "concise"}, headers=LDT, timeout=T).json()
    assert concise["name"] == "Initiative 3" and concise["isPartOf"] == {"object": "urn:ngsi-ld:Cluster:c"}
    as_ld = requests.get(url, headers={**LDT, "Accept": "application/ld+json"}, timeout=T)
    assert as_ld.headers["Content-Type"] == "application/ld+json"
    assert as_ld.json()["@context"] == [LDT_CONTEXT_URL, CORE_CONTEXT_URL]
    problem(requests.get(url, headers={"Accept": "text/html"}, timeout=T), 406, "InvalidRequest")


# --- batches ------------------------------------------------------------------------------


def test_batch_create_and_207(api: str) -> None:
    ok = post(f"{api}/entityOperations/create", [initiative(1), initiative(2)], LDT)
    assert ok.status_code == 201 and ok.json() == ["urn:ngsi-ld:Initiative:1", "urn:ngsi-ld:Initiative:2"]
    bad = initiative(4, name={"type": "Property", "value": "a=b"})
    mixed = post(f"{api}/entityOperations/create", [initiative(2), initiative(3), bad], LDT)
    assert mixed.status_code == 207
    body = mixed.json()
    assert body["success"] == ["urn:ngsi-ld:Initiative:3"]
    errors = {e["entityId"]: e["error"] for e in body["errors"]}
    assert errors["urn:ngsi-ld:Initiative:2"]["type"] == ERR + "AlreadyExists"
    assert errors["urn:ngsi-ld:Initiative:4"]["type"] == ERR + "BadRequestData"


def test_batch_upsert_update_delete(api: str, broker: TestBroker) -> None:
    first = post(f"{api}/entityOperations/upsert", [initiative(1), initiative(2)], LDT)
    assert first.status_code == 201 and sorted(first.json()) == [
        "urn:ngsi-ld:Initiative:1",
        "urn:ngsi-ld:Initiative:2",
    ]
    with_url = initiative(1, url={"type": "Property", "value": "u"})
    again = post(f"{api}/entityOperations/upsert", [with_url, initiative(2)], LDT)
    assert again.status_code == 204
    only_url = {
        "id": "urn:ngsi-ld:Initiative:1",
        "type": "Initiative",
        "logo": {"type": "Property", "value": "l"},
    }
    assert post(f"{api}/entityOperations/upsert?options=update", [only_url], LDT).status_code == 204
    merged = broker.entities()["urn:ngsi-ld:Initiative:1"]
    assert {"https://schema.org/url", "https://schema.org/logo", "https://schema.org/name"} <= set(merged)
    assert post(f"{api}/entityOperations/upsert", [only_url], LDT).status_code == 204  # replace
    assert "https://schema.org/name" not in broker.entities()["urn:ngsi-ld:Initiative:1"]

    update = post(f"{api}/entityOperations/update", [initiative(2), initiative(9)], LDT)
    assert update.status_code == 207
    assert update.json()["success"] == ["urn:ngsi-ld:Initiative:2"]
    assert update.json()["errors"][0]["entityId"] == "urn:ngsi-ld:Initiative:9"
    assert update.json()["errors"][0]["error"]["type"] == ERR + "ResourceNotFound"
    assert post(f"{api}/entityOperations/update", [initiative(2)], LDT).status_code == 204

    deleted = post(f"{api}/entityOperations/delete", ["urn:ngsi-ld:Initiative:1", "urn:ngsi-ld:Initiative:7"])
    assert deleted.status_code == 207 and deleted.json()["success"] == ["urn:ngsi-ld:Initiative:1"]
    assert post(f"{api}/entityOperations/delete", ["urn:ngsi-ld:Initiative:2"]).status_code == 204
    assert broker.entities() == {}


def test_batch_and_body_limits(broker_factory: Any) -> None:
    small = broker_factory(max_batch=3, max_body_bytes=5_000)
    url = small.url + API + "/entityOperations/upsert"
    problem(post(url, [initiative(i) for i in range(4)], LDT), 413, "BadRequestData")
    big = [initiative(1, description={"type": "Property", "value": "x" * 6_000})]
    problem(post(url, big, LDT), 413, "BadRequestData")
    assert post(url, [initiative(i) for i in range(3)], LDT).status_code == 201
    problem(post(url, [], LDT), 400, "BadRequestData")
    problem(post(url, {"id": "urn:x:1"}, LDT), 400, "BadRequestData")


# --- queries ------------------------------------------------------------------------------


def test_pages_see_every_change_between_them(api: str) -> None:
    """Paging reuses the last scan only while nothing changed (the store is large in benchmarks)."""
    assert post(f"{api}/entityOperations/create", [initiative(i) for i in range(3)], LDT).status_code == 201

    def page(offset: int, **params: str) -> tuple[str, list[str]]:
        query = {"type": "Initiative", "limit": 2, "offset": offset, "count": "true", **params}
        answer = requests.get(f"{api}/entities", params=query, headers=LDT, timeout=T)
        return answer.headers["NGSILD-Results-Count"], [e["id"] for e in answer.json()]

    assert page(0) == ("3", ["urn:ngsi-ld:Initiative:0", "urn:ngsi-ld:Initiative:1"])
    assert requests.delete(f"{api}/entities/urn:ngsi-ld:Initiative:0", timeout=T).status_code == 204
    assert page(0) == ("2", ["urn:ngsi-ld:Initiative:1", "urn:ngsi-ld:Initiative:2"])
    assert post(f"{api}/entityOperations/upsert", [initiative(9)], LDT).status_code in (201, 204)
    assert page(2) == ("3", ["urn:ngsi-ld:Initiative:9"])
    assert page(0, q='name=="nobody"') == ("0", [])  # another query, not the cached one
    assert page(0, type="Cluster") == ("0", [])


def test_paging_and_count(api: str) -> None:
    entities = [initiative(f"{i:02d}") for i in range(25)]
    assert post(f"{api}/entityOperations/create", entities, LDT).status_code == 201
    page = requests.get(
        f"{api}/entities",
        params={"type": "Initiative", "limit": 10, "offset": 20, "count": "true"},
        headers=LDT,
        timeout=T,
    )
    assert page.status_code == 200
    assert page.headers["NGSILD-Results-Count"] == "25"
    assert [e["id"] for e in page.json()] == [f"urn:ngsi-ld:Initiative:{i}" for i in range(20, 25)]
    default = requests.get(f"{api}/entities", params={"type": "Initiative"}, headers=LDT, timeout=T).json()
    assert len(default) == 20
    only_count = requests.get(f"{api}/entities?type=Initiative&limit=0&count=true", headers=LDT, timeout=T)
    assert only_count.json() == [] and only_count.headers["NGSILD-Results-Count"] == "25"
    problem(
        requests.get(f"{api}/entities?type=Initiative&limit=1001", headers=LDT, timeout=T),
        400,
        "BadRequestData",
    )
    problem(
        requests.get(f"{api}/entities?type=Initiative&limit=0", headers=LDT, timeout=T), 400, "BadRequestData"
    )
    problem(requests.get(f"{api}/entities", timeout=T), 400, "BadRequestData")
    attrs = requests.get(f"{api}/entities?type=Initiative&attrs=url&limit=5", headers=LDT, timeout=T)
    assert attrs.json() == []


def test_query_q_and_type_expressions(api: str) -> None:
    rows = [
        initiative(1, relevance={"type": "Property", "value": 5}),
        initiative(2, relevance={"type": "Property", "value": 9}),
        {"id": "urn:ngsi-ld:Cluster:1", "type": "Cluster", "name": {"type": "Property", "value": "C"}},
    ]
    assert post(f"{api}/entityOperations/create", rows, LDT).status_code == 201

    def ids(**params: Any) -> list[str]:
        response = requests.get(f"{api}/entities", params=params, headers=LDT, timeout=T)
        assert response.status_code == 200, response.text
        return [e["id"] for e in response.json()]

    assert ids(type="Initiative", q='name=="Initiative 2"') == ["urn:ngsi-ld:Initiative:2"]
    assert ids(type="Initiative", q="relevance>6") == ["urn:ngsi-ld:Initiative:2"]
    assert ids(type="Initiative", q="relevance==1..6;name") == ["urn:ngsi-ld:Initiative:1"]
    assert ids(type="Initiative,Cluster") == [
        "urn:ngsi-ld:Initiative:1",
        "urn:ngsi-ld:Initiative:2",
        "urn:ngsi-ld:Cluster:1",
    ]
    assert ids(idPattern="Cluster") == ["urn:ngsi-ld:Cluster:1"]
    problem(
        requests.get(
            f"{api}/entities", params={"type": "Initiative", "q": "(relevance>1)"}, headers=LDT, timeout=T
        ),
        501,
        "NotImplemented",
    )


# --- contexts -----------------------------------------------------------------------------


def test_link_and_inline_context_and_wrong_context(api: str, broker: TestBroker) -> None:
    assert post(f"{api}/entities", initiative(1), LDT).status_code == 201
    inline = {"@context": entity_context(), **initiative(2)}
    assert (
        requests.post(f"{api}/entities", data=json.dumps(inline), headers=JSON_LD, timeout=T).status_code
        == 201
    )
    wrong = {
        "@context": [{"Initiative": "https://example.org/Initiative", "name": "https://example.org/name"}],
        **initiative(3),
    }
    assert (
        requests.post(f"{api}/entities", data=json.dumps(wrong), headers=JSON_LD, timeout=T).status_code
        == 201
    )
    no_context = post(f"{api}/entities", initiative(4))
    assert no_context.status_code == 201

    stored = broker.entities()
    assert stored["urn:ngsi-ld:Initiative:3"]["type"] == "https://example.org/Initiative"
    assert (
        stored["urn:ngsi-ld:Initiative:4"]["type"]
        == "https://uri.etsi.org/ngsi-ld/default-context/Initiative"
    )
    assert "https://uri.etsi.org/ngsi-ld/default-context/name" in stored["urn:ngsi-ld:Initiative:4"]

    found = requests.get(f"{api}/entities", params={"type": "Initiative"}, headers=LDT, timeout=T).json()
    assert [e["id"] for e in found] == ["urn:ngsi-ld:Initiative:1", "urn:ngsi-ld:Initiative:2"]
    core_only = requests.get(f"{api}/entities", params={"type": "Initiative"}, timeout=T).json()
    assert [e["id"] for e in core_only] == ["urn:ngsi-ld:Initiative:4"]
    assert (
        broker.entity_compacted("urn:ngsi-ld:Initiative:1", context=LDT_CONTEXT_URL)["type"] == "Initiative"
    )

    unknown = link("https://example.org/unknown-context.jsonld")
    problem(post(f"{api}/entities", initiative(5), unknown), 503, "LdContextNotAvailable")


def test_content_type_and_link_rules(api: str) -> None:
    entity = initiative(1)
    problem(
        requests.post(
            f"{api}/entities", data=json.dumps(entity), headers={"Content-Type": "text/plain"}, timeout=T
        ),
        415,
        "InvalidRequest",
    )
    problem(
        requests.post(f"{api}/entities", data=json.dumps(entity), headers=JSON_LD, timeout=T),
        400,
        "BadRequestData",
    )  # ld+json without @context
    with_ctx = {"@context": LDT_CONTEXT_URL, **entity}
    problem(
        requests.post(f"{api}/entities", data=json.dumps(with_ctx), headers={**JSON_LD, **LDT}, timeout=T),
        400,
        "BadRequestData",
    )  # ld+json plus Link
    problem(post(f"{api}/entities", with_ctx), 400, "BadRequestData")  # json with @context
    problem(post(f"{api}/entities", entity, link(LDT_CONTEXT_URL, rel="alternate")), 400, "BadRequestData")
    problem(
        post(f"{api}/entities", entity, {"Link": f"<{LDT_CONTEXT_URL}>, <{CORE_CONTEXT_URL}>"}),
        400,
        "BadRequestData",
    )
    problem(post(f"{api}/entities", entity, {"Link": "not a link"}), 400, "BadRequestData")
    problem(
        post(f"{api}/entities", entity, {"Link": f'<{LDT_CONTEXT_URL}>; rel="{REL}"'}), 400, "BadRequestData"
    )
    not_allowed = requests.delete(f"{api}/entities", timeout=T)
    assert not_allowed.status_code == 405 and not_allowed.headers["Allow"] == "GET, POST"
    problem(
        requests.post(
            f"{api}/entities", data=b"{nope", headers={"Content-Type": "application/json"}, timeout=T
        ),
        400,
        "InvalidRequest",
    )
    batch = [{"@context": LDT_CONTEXT_URL, **initiative(2)}, initiative(3)]
    mixed = requests.post(
        f"{api}/entityOperations/create", data=json.dumps(batch), headers=JSON_LD, timeout=T
    )
    problem(mixed, 400, "BadRequestData")


@pytest.mark.parametrize(
    ("attrs", "fragment"),
    [
        ({"name": {"type": "Property", "value": "Bob's"}}, "forbidden character"),
        ({"name": {"type": "Property", "value": {"nested": ["ok", "(x)"]}}}, "forbidden character"),
        ({"isPartOf": {"type": "Relationship", "object": "urn:x:a;b"}}, "forbidden character"),
        ({"keyAsset": {"type": "ListProperty", "valueList": ["a<b"]}}, "forbidden character"),
        ({"name": {"value": "no type"}}, "'type' is missing"),
        ({"name": {"type": "Text", "value": "x"}}, "unknown attribute type"),
        ({"name": {"type": "Property"}}, "needs a non-null 'value'"),
        ({"name": {"type": "Property", "value": "x", "object": "urn:a:b"}}, "must not have 'object'"),
        ({"isPartOf": {"type": "Relationship", "object": "not a uri"}}, "not a URI"),
        ({"description": {"type": "LanguageProperty", "languageMap": {"en": 5}}}, "languageMap"),
        ({"relevance": {"type": "JsonProperty"}}, "'json'"),
        (
            {
                "location": {
                    "type": "GeoProperty",
                    "value": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 1]]]},
                }
            },
            "invalid coordinates",
        ),
        ({"location": {"type": "Property", "value": "Brussels"}}, "must be a GeoProperty"),
        (
            {
                "url": [
                    {"type": "Property", "value": "a", "datasetId": "urn:d:1"},
                    {"type": "Property", "value": "b", "datasetId": "urn:d:1"},
                ]
            },
            "duplicate datasetId",
        ),
        ({"na me": {"type": "Property", "value": "x"}}, "forbidden character"),
        ({"a=b": {"type": "Property", "value": "x"}}, "forbidden character"),
        ({"name": {"type": "Property", "value": "x", "observedAt": "yesterday"}}, "observedAt"),
    ],
)
def test_strict_attribute_rules(api: str, attrs: dict[str, Any], fragment: str) -> None:
    body = problem(post(f"{api}/entities", initiative(1, **attrs), LDT), 400, "BadRequestData")
    assert fragment in body["detail"]
    assert "urn:ngsi-ld:Initiative:1" in body["detail"]


def test_lenient_where_the_spec_is(api: str) -> None:
    entity = initiative(
        1,
        description={"type": "LanguageProperty", "languageMap": {"fr": "l'initiative (UE)"}},
        relevance={"type": "JsonProperty", "json": {"html": "<b>x</b>"}},
        url=[{"type": "Property", "value": "a", "datasetId": "urn:d:1"}, {"type": "Property", "value": "b"}],
        **{"https://w3id.org/ldt-catalog#keyRole": {"type": "Property", "value": "lead"}},
    )
    assert post(f"{api}/entities", entity, LDT).status_code == 201
    problem(post(f"{api}/entities", {"id": "no-scheme", "type": "Initiative"}, LDT), 400, "BadRequestData")
    problem(post(f"{api}/entities", {"id": "urn:x:1"}, LDT), 400, "BadRequestData")


# --- tenants and stored contexts ----------------------------------------------------------


def test_tenants_are_isolated(api: str, broker: TestBroker) -> None:
    tenant_a = {**LDT, "NGSILD-Tenant": "a"}
    problem(
        requests.get(f"{api}/entities?type=Initiative", headers=tenant_a, timeout=T), 404, "NonexistentTenant"
    )
    assert post(f"{api}/entities", initiative(1), tenant_a).status_code == 201
    assert requests.get(f"{api}/entities?type=Initiative", headers=LDT, timeout=T).json() == []
    in_a = requests.get(f"{api}/entities?type=Initiative", headers=tenant_a, timeout=T)
    assert [e["id"] for e in in_a.json()] == ["urn:ngsi-ld:Initiative:1"]
    assert in_a.headers["NGSILD-Tenant"] == "a"
    assert set(broker.entities("a")) == {"urn:ngsi-ld:Initiative:1"} and broker.entities() == {}
    problem(
        requests.get(f"{api}/subscriptions", headers={"NGSILD-Tenant": "b"}, timeout=T),
        404,
        "NonexistentTenant",
    )


def test_jsonld_contexts_store(api: str, broker: TestBroker) -> None:
    own = {"@context": {"Thing": "https://example.org/Thing", "size": "https://example.org/size"}}
    created = post(f"{api}/jsonldContexts", own)
    assert created.status_code == 201
    url = created.headers["Location"]
    assert url.startswith(broker.url + API + "/jsonldContexts/")
    served = requests.get(url, timeout=T)
    assert served.status_code == 200 and served.json() == own
    assert requests.get(f"{api}/jsonldContexts", timeout=T).json() == [url]

    entity = {"id": "urn:ngsi-ld:Thing:1", "type": "Thing", "size": {"type": "Property", "value": 3}}
    assert post(f"{api}/entities", entity, link(url)).status_code == 201
    assert broker.entities()["urn:ngsi-ld:Thing:1"]["type"] == "https://example.org/Thing"
    inline = {"@context": [url], **entity, "id": "urn:ngsi-ld:Thing:2"}
    assert (
        requests.post(f"{api}/entities", data=json.dumps(inline), headers=JSON_LD, timeout=T).status_code
        == 201
    )
    found = requests.get(f"{api}/entities?type=Thing", headers=link(url), timeout=T).json()
    assert [e["id"] for e in found] == ["urn:ngsi-ld:Thing:1", "urn:ngsi-ld:Thing:2"]

    other_tenant = {**link(url), "NGSILD-Tenant": "other"}
    problem(post(f"{api}/entities", entity, other_tenant), 503, "LdContextNotAvailable")
    assert requests.delete(url, timeout=T).status_code == 204
    problem(requests.get(url, timeout=T), 404, "ResourceNotFound")
    problem(
        requests.get(f"{api}/entities?type=Thing", headers=link(url), timeout=T), 503, "LdContextNotAvailable"
    )
    problem(post(f"{api}/jsonldContexts", {"@context": {"x": {"@id": 5}}}), 400, "BadRequestData")


def test_broker_without_context_store(broker_factory: Any) -> None:
    plain = broker_factory(flavour="stellio", supports_jsonld_contexts=False)
    problem(post(plain.url + API + "/jsonldContexts", {"@context": {"a": "urn:a"}}), 501, "NotImplemented")


# --- subscriptions ------------------------------------------------------------------------


def subscription(receiver_url: str, accept: str = "application/json", **extra: Any) -> dict[str, Any]:
    return {
        "type": "Subscription",
        "entities": [{"type": "Initiative"}],
        "notification": {"endpoint": {"uri": receiver_url, "accept": accept}},
        **extra,
    }


def test_notification_with_link_header(
    api: str,
    broker: TestBroker,
    notification_receiver: NotificationReceiver,
) -> None:
    sub = post(
        f"{api}/subscriptions", subscription(notification_receiver.url, watchedAttributes=["name"]), LDT
    )
    assert sub.status_code == 201
    sub_id = sub.headers["Location"].rsplit("/", 1)[1]
    assert sub_id.startswith("urn:ngsi-ld:Subscription:")

    assert (
        post(f"{api}/entities", initiative(1, url={"type": "Property", "value": "u"}), LDT).status_code == 201
    )
    [note] = notification_receiver.wait_for(1)
    assert note.headers["Content-Type"] == "application/json"
    assert LDT_CONTEXT_URL in note.headers["Link"] and REL in note.headers["Link"]
    body = note.json()
    assert "@context" not in body
    assert body["type"] == "Notification" and body["subscriptionId"] == sub_id
    assert body["id"].startswith("urn:ngsi-ld:Notification:")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["notifiedAt"])
    datetime.fromisoformat(body["notifiedAt"].replace("Z", "+00:00"))
    assert body["data"] == [initiative(1, url={"type": "Property", "value": "u"})]

    # same content again, and a change of an unwatched attribute: nothing to notify
    assert (
        post(
            f"{api}/entityOperations/upsert", [initiative(1, url={"type": "Property", "value": "u"})], LDT
        ).status_code
        == 204
    )
    assert (
        post(
            f"{api}/entityOperations/upsert?options=update",
            [initiative(1, url={"type": "Property", "value": "v"})],
            LDT,
        ).status_code
        == 204
    )
    renamed = initiative(1, name={"type": "Property", "value": "New"})
    assert post(f"{api}/entityOperations/update", [renamed], LDT).status_code == 204
    assert broker.wait_for_notifications()
    assert len(notification_receiver.received) == 2
    assert notification_receiver.received[1].json()["data"][0]["name"]["value"] == "New"

    listed = requests.get(f"{api}/subscriptions", headers=LDT, timeout=T).json()
    assert listed[0]["id"] == sub_id and listed[0]["status"] == "active"
    assert listed[0]["entities"] == [{"type": "Initiative"}] and listed[0]["watchedAttributes"] == ["name"]
    stats = listed[0]["notification"]
    assert (
        stats["timesSent"] == 2
        and stats["status"] == "ok"
        and stats["lastSuccess"]
        and stats["lastNotification"]
    )

    problem(
        post(f"{api}/subscriptions", {**subscription(notification_receiver.url), "id": sub_id}, LDT),
        409,
        "AlreadyExists",
    )
    problem(
        post(f"{api}/subscriptions", {**subscription(notification_receiver.url), "id": "nope"}, LDT),
        400,
        "BadRequestData",
    )
    paused = requests.patch(f"{api}/subscriptions/{sub_id}", json={"isActive": False}, timeout=T)
    assert paused.status_code == 204
    assert requests.get(f"{api}/subscriptions/{sub_id}", timeout=T).json()["status"] == "paused"
    assert requests.delete(f"{api}/subscriptions/{sub_id}", timeout=T).status_code == 204
    problem(requests.get(f"{api}/subscriptions/{sub_id}", timeout=T), 404, "ResourceNotFound")


def test_notification_ld_json_inline_context_key_values_and_delete(
    api: str, broker: TestBroker, notification_receiver: NotificationReceiver
) -> None:
    body = subscription(
        notification_receiver.url,
        "application/ld+json",
        notificationTrigger=["entityCreated", "entityDeleted"],
    )
    body["notification"].update(format="keyValues", attributes=["name"])
    inline = {"@context": entity_context(), **body}
    assert (
        requests.post(f"{api}/subscriptions", data=json.dumps(inline), headers=JSON_LD, timeout=T).status_code
        == 201
    )

    batch = [initiative(1, url={"type": "Property", "value": "u"}), initiative(2)]
    assert post(f"{api}/entityOperations/create", batch, LDT).status_code == 201
    assert requests.delete(f"{api}/entities/urn:ngsi-ld:Initiative:1", timeout=T).status_code == 204
    notes = notification_receiver.wait_for(3)
    first = notes[0].json()
    assert notes[0].headers["Content-Type"] == "application/ld+json" and "Link" not in notes[0].headers
    assert first["@context"] == entity_context()
    assert first["data"] == [{"id": "urn:ngsi-ld:Initiative:1", "type": "Initiative", "name": "Initiative 1"}]
    deleted = notes[2].json()["data"][0]
    assert deleted["id"] == "urn:ngsi-ld:Initiative:1" and "deletedAt" in deleted


def test_failed_notifications_are_counted(api: str, broker: TestBroker) -> None:
    with NotificationReceiver(status=500) as failing:
        assert post(f"{api}/subscriptions", subscription(failing.url), LDT).status_code == 201
        assert post(f"{api}/entities", initiative(1), LDT).status_code == 201
        failing.wait_for(1)
        assert broker.wait_for_notifications()
    [sub] = requests.get(f"{api}/subscriptions", headers=LDT, timeout=T).json()
    assert sub["notification"]["status"] == "failed"
    assert sub["notification"]["timesFailed"] == 1 and sub["notification"]["lastFailure"]


# --- faults -------------------------------------------------------------------------------


def test_fault_drop_connection(api: str, broker: TestBroker) -> None:
    fault = broker.faults.drop_connection(method="POST", path="/entities")
    with pytest.raises(requests.ConnectionError):
        post(f"{api}/entities", initiative(1), LDT)
    assert fault.hits == 1 and broker.entities() == {}
    assert post(f"{api}/entities", initiative(1), LDT).status_code == 201
    assert [r.status for r in broker.requests_log] == [None, 201]


def test_fault_status_and_retry_after(api: str, broker: TestBroker) -> None:
    broker.faults.status(503, path="/entityOperations", times=2, retry_after=1)
    broker.faults.status(429, method="GET", retry_after="2")
    for _ in range(2):
        refused = post(f"{api}/entityOperations/upsert", [initiative(1)], LDT)
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
        assert refused.json()["type"].startswith(ERR)
    assert post(f"{api}/entityOperations/upsert", [initiative(1)], LDT).status_code == 201
    limited = requests.get(f"{api}/entities/urn:ngsi-ld:Initiative:1", timeout=T)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "2"
    assert requests.get(f"{api}/entities/urn:ngsi-ld:Initiative:1", timeout=T).status_code == 200


def test_fault_delay(api: str, broker: TestBroker) -> None:
    broker.faults.delay(0.6, method="GET")
    with pytest.raises(requests.Timeout):
        requests.get(f"{api}/entities?type=Initiative", headers=LDT, timeout=0.2)
    assert requests.get(f"{api}/entities?type=Initiative", headers=LDT, timeout=T).status_code == 200


def test_fault_partial_207(api: str, broker: TestBroker) -> None:
    broker.faults.partial_207(["urn:ngsi-ld:Initiative:2"], status=500)
    result = post(f"{api}/entityOperations/upsert", [initiative(1), initiative(2), initiative(3)], LDT)
    assert result.status_code == 207
    assert result.json()["success"] == ["urn:ngsi-ld:Initiative:1", "urn:ngsi-ld:Initiative:3"]
    [error] = result.json()["errors"]
    assert error["entityId"] == "urn:ngsi-ld:Initiative:2" and error["error"]["status"] == 500
    assert set(broker.entities()) == {"urn:ngsi-ld:Initiative:1", "urn:ngsi-ld:Initiative:3"}


def test_fault_kill_after_and_revive(api: str, broker: TestBroker) -> None:
    broker.faults.kill_after(2)
    for n in (1, 2):
        assert post(f"{api}/entityOperations/upsert", [initiative(n)], LDT).status_code == 201
    for method in ("post", "get"):
        with pytest.raises(requests.ConnectionError):
            getattr(requests, method)(f"{api}/entityOperations/upsert", json=[initiative(3)], timeout=T)
    broker.faults.revive()
    assert set(broker.entities()) == {"urn:ngsi-ld:Initiative:1", "urn:ngsi-ld:Initiative:2"}
    assert requests.get(f"{api}/entities/urn:ngsi-ld:Initiative:2", timeout=T).status_code == 200


def test_requests_log_and_reset(api: str, broker: TestBroker) -> None:
    post(f"{api}/entities", initiative(1), {**LDT, "NGSILD-Tenant": "t1"})
    [entry] = broker.requests_log
    assert (entry.method, entry.path, entry.status, entry.tenant) == ("POST", f"{API}/entities", 201, "t1")
    assert entry.json()["id"] == "urn:ngsi-ld:Initiative:1" and entry.headers["Link"] == LDT["Link"]
    broker.reset()
    assert broker.requests_log == [] and broker.entities("t1") == {}


@pytest.fixture
def bulk() -> Iterator[list[dict[str, Any]]]:
    yield [
        copy.deepcopy(initiative(i, url={"type": "Property", "value": f"https://e.eu/{i}"}))
        for i in range(1000)
    ]


def test_thousand_entity_batch_is_fast(api: str, broker: TestBroker, bulk: list[dict[str, Any]]) -> None:
    response = requests.post(f"{api}/entityOperations/upsert", json=bulk, headers=LDT, timeout=10)
    assert response.status_code == 201 and len(response.json()) == 1000
    assert response.elapsed.total_seconds() < 3
    page = requests.get(f"{api}/entities?type=Initiative&limit=1000", headers=LDT, timeout=10).json()
    assert len(page) == 1000 and page[999]["url"]["value"] == "https://e.eu/999"


def _serve_once(content_type: str, body: bytes) -> tuple[Any, str]:
    import http.server
    import threading

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/ctx.jsonld"


@pytest.mark.parametrize(("content_type", "expected"), [("application/ld+json", 201), ("text/plain", 503)])
def test_link_context_served_on_loopback_is_fetched_only_as_json_ld(
    broker: TestBroker, content_type: str, expected: int
) -> None:
    """Like Stellio, a remote context must come as application/ld+json; otherwise 503."""
    context_body = json.dumps({"@context": entity_context()[0]}).encode()
    server, url = _serve_once(content_type, context_body)
    try:
        response = requests.post(
            f"{broker.url}/ngsi-ld/v1/entities",
            json={
                "id": "urn:ngsi-ld:Initiative:x",
                "type": "Initiative",
                "name": {"type": "LanguageProperty", "languageMap": {"en": "X"}},
            },
            headers={
                "Link": f'<{url}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
            },
            timeout=10,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == expected, response.text
    if expected == 201:
        stored = broker.entities()["urn:ngsi-ld:Initiative:x"]
        assert stored["type"] == "https://schema.org/Project"
        assert "https://schema.org/name" in stored
    else:
        assert response.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/LdContextNotAvailable"
