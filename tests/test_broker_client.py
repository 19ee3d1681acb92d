"""Unit tests of ``ldt_catalog.broker.client`` and ``ldt_catalog.broker.auth`` with a scripted session: no sockets,
no real sleeping (the clock, sleep and random source are injected)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import requests

from ldt_catalog.broker import client as b
from ldt_catalog.broker.auth import AuthenticationFailed, BearerToken, OAuth2ClientCredentials, Secret
from ldt_catalog.ngsild.context import entity_context

TOKEN = "tok-3f9a1c-SECRET-never-print"


def response(
    status: int,
    body: Any = None,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r.reason = {200: "OK", 201: "Created", 204: "No Content", 207: "Multi-Status"}.get(status, "Error")
    if body is not None:
        r._content = body if isinstance(body, bytes) else json.dumps(body).encode()
        r.headers["Content-Type"] = content_type
    else:
        r._content = b""
    r.headers.update(headers or {})
    return r


class FakeSession(requests.Session):
    """Answers requests from a script: each item is a Response, an exception, or a callable(call)."""

    def __init__(self, *script: Any) -> None:
        super().__init__()
        self.script = list(script)
        self.calls: list[dict[str, Any]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        call = {"method": method, "url": url, **kwargs}
        call["headers"] = dict(kwargs.get("headers") or {})  # the client may reuse its dict on a retry
        data = kwargs.get("data")
        call["json"] = json.loads(data) if isinstance(data, bytes | str) and data else None
        self.calls.append(call)
        if not self.script:
            raise AssertionError(f"unexpected request {method} {url}")
        item = self.script.pop(0)
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, requests.Response):
            return item
        result: requests.Response = item(call)
        return result

    def post(self, url: str, data: Any = None, json: Any = None, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        return self.request("POST", url, data=data, **kwargs)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds <= 120
        self.sleeps.append(seconds)
        self.now += seconds


def client(session: FakeSession, clock: Clock | None = None, **kwargs: Any) -> b.BrokerClient:
    clock = clock or Clock()
    kwargs.setdefault("retry", b.RetryPolicy(attempts=4, base_delay=1.0, max_delay=8.0, max_total=60.0))
    return b.BrokerClient(
        "http://broker.test:1026/",
        session=session,
        sleep=clock.sleep,
        clock=clock.time,
        wall_clock=clock.time,
        rng=lambda lo, hi: hi,
        **kwargs,
    )


def entity(n: int, size: int = 10) -> dict[str, Any]:
    return {
        "id": f"urn:ngsi-ld:Initiative:e{n:03d}",
        "type": "Initiative",
        "name": {"type": "LanguageProperty", "languageMap": {"en": "x" * size}},
        "@context": entity_context(),
    }


# --- construction ------------------------------------------------------------------------------


def test_constructor_sends_nothing_and_normalises_the_url() -> None:
    session = FakeSession()
    c = b.BrokerClient("http://h:1026/ngsi-ld/v1/", session=session)
    assert session.calls == []
    assert c.url("/entities") == "http://h:1026/ngsi-ld/v1/entities"
    assert c.url("/ngsi-ld/v1/jsonldContexts") == "http://h:1026/ngsi-ld/v1/jsonldContexts"


@pytest.mark.parametrize("tenant", ["", " t", "a\r\nX-Evil: 1", "tenänt"])
def test_bad_tenants_are_refused_before_any_request(tenant: str) -> None:
    with pytest.raises(b.BrokerConfigError, match="tenant"):
        b.BrokerClient("http://h", session=FakeSession(), tenant=tenant)


def test_batch_size_is_bounded() -> None:
    with pytest.raises(b.BrokerConfigError):
        b.BrokerClient("http://h", session=FakeSession(), batch_size=1001)


# --- retries -----------------------------------------------------------------------------------


def test_retry_after_is_honoured_then_backoff_is_exponential() -> None:
    clock = Clock()
    session = FakeSession(
        response(503, {"type": "x"}, {"Retry-After": "7"}),
        requests.ConnectionError("refused"),
        response(429),
        response(200, []),
    )
    c = client(session, clock)
    c.request("GET", "/entities", params={"type": "T"})
    assert clock.sleeps == [7.0, 2.0, 4.0]  # Retry-After, then full-jitter upper bounds 1*2^1, 1*2^2
    assert len(session.calls) == 4


def test_retry_after_as_http_date() -> None:
    clock = Clock()
    clock.now = 1_700_000_000.0
    when = "Tue, 14 Nov 2023 22:13:40 GMT"  # 1_700_000_020
    session = FakeSession(response(503, None, {"Retry-After": when}), response(204))
    client(session, clock).request("POST", "/entityOperations/delete", json_body=["urn:a:b"])
    assert clock.sleeps == [20.0]


def test_retries_are_bounded_by_attempts() -> None:
    clock = Clock()
    session = FakeSession(*[requests.ConnectionError("refused")] * 4)
    with pytest.raises(
        b.BrokerUnavailable,
        match=r"cannot reach http://broker.test:1026: connection failed \(gave up after 4 attempts",
    ):
        client(session, clock).request("GET", "/entities")
    assert len(session.calls) == 4 and len(clock.sleeps) == 3


def test_retries_are_bounded_by_total_time() -> None:
    clock = Clock()
    session = FakeSession(response(503, None, {"Retry-After": "3600"}))
    with pytest.raises(b.BrokerUnavailable, match="asked to wait 3600 s"):
        client(session, clock).request("GET", "/entities")
    assert clock.sleeps == []


def test_ld_context_not_available_is_not_retried_without_retry_after() -> None:
    session = FakeSession(
        response(
            503,
            {
                "type": b.ERROR_TYPE_PREFIX + "LdContextNotAvailable",
                "title": "no context",
                "detail": "cannot fetch http://x/c.jsonld",
            },
        )
    )
    with pytest.raises(b.LdContextNotAvailable, match=r"http://x/c\.jsonld"):
        client(session).request("GET", "/entities")
    assert len(session.calls) == 1


def test_400_is_not_retried() -> None:
    session = FakeSession(
        response(
            400,
            {
                "type": b.ERROR_TYPE_PREFIX + "BadRequestData",
                "title": "Bad",
                "detail": "attribute name has a forbidden character",
            },
        )
    )
    with pytest.raises(b.BadRequestData, match="forbidden character"):
        client(session).request("POST", "/entities", json_body={"id": "urn:a:b", "type": "T"})
    assert len(session.calls) == 1


# --- ProblemDetails ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "status", "cls"),
    [
        ("InvalidRequest", 400, b.InvalidRequest),
        ("BadRequestData", 400, b.BadRequestData),
        ("AlreadyExists", 409, b.AlreadyExists),
        ("OperationNotSupported", 422, b.OperationNotSupported),
        ("ResourceNotFound", 404, b.ResourceNotFound),
        ("NonexistentTenant", 404, b.NonexistentTenant),
        ("NonExistingTenant", 404, b.NonexistentTenant),
        ("TooComplexQuery", 403, b.TooComplexQuery),
        ("TooManyResults", 403, b.TooManyResults),
        ("InternalError", 500, b.InternalError),
        ("LdContextNotAvailable", 503, b.LdContextNotAvailable),
        ("NotImplemented", 501, b.NotImplementedByBroker),
    ],
)
def test_problem_types_map_to_classes(type_name: str, status: int, cls: type[b.BrokerProblem]) -> None:
    error = b.make_problem(
        {"type": b.ERROR_TYPE_PREFIX + type_name, "title": "t", "detail": "d"}, status, "GET x"
    )
    assert type(error) is cls
    assert isinstance(error, b.BrokerProblem) and isinstance(error, b.BrokerError)
    assert f"{type_name} (HTTP {status}): t: d" in str(error)


def test_unknown_problem_type_falls_back_to_broker_problem_never_none() -> None:
    error = b.make_problem({"type": "https://example.org/errors/Weird", "detail": "odd"}, 418, "GET x")
    assert type(error) is b.BrokerProblem
    assert "Weird (HTTP 418): odd" in str(error)
    assert b.problem_class({}, 999) is b.BrokerProblem
    assert b.problem_class({}, 401) is b.Unauthorized


def test_non_json_error_body_still_gives_a_typed_error() -> None:
    session = FakeSession(response(404, b"<html>nope</html>", content_type="text/html"))
    with pytest.raises(b.ResourceNotFound, match="nope"):
        client(session).request("GET", "/entities/urn:a:b")


def test_scorpio_nested_detail_is_readable() -> None:
    error = b.make_problem(
        {
            "type": b.ERROR_TYPE_PREFIX + "BadRequestData",
            "title": "Bad Request Data.",
            "detail": {"message": "The key dataset is an invalid entry."},
        },
        400,
        "POST x",
    )
    assert "The key dataset is an invalid entry." in str(error)


# --- 207 shapes --------------------------------------------------------------------------------

IDS = ["urn:ngsi-ld:Initiative:a", "urn:ngsi-ld:Initiative:b", "urn:ngsi-ld:Initiative:c"]
BAD = {
    "type": b.ERROR_TYPE_PREFIX + "BadRequestData",
    "title": "Bad request data",
    "detail": "attribute 'name': expected a LanguageProperty",
    "status": 400,
}


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(
            {"success": IDS[::2], "errors": [{"entityId": IDS[1], "error": BAD}]}, id="etsi-orion-ld-stellio"
        ),
        pytest.param(
            {"success": [], "errors": [{"entityId": IDS[1], "error": BAD}]}, id="orion-ld-success-omitted"
        ),
        pytest.param(
            [
                {"id": IDS[0], "type": "Upsert", "success": [{"attributes": []}]},
                {
                    "id": IDS[1],
                    "type": "Upsert",
                    "failure": [{**{k: v for k, v in BAD.items() if k != "status"}, "errorCode": 400}],
                },
                {"id": IDS[2], "type": "Upsert", "success": [{"attributes": []}]},
            ],
            id="scorpio-5",
        ),
    ],
)
def test_207_names_the_failing_entity_for_every_flavour_shape(body: Any) -> None:
    result = b.parse_batch_207(body, IDS, "POST u")
    assert result.succeeded == [IDS[0], IDS[2]]
    [failure] = result.failed
    assert failure.entity_id == IDS[1]
    assert "BadRequestData (HTTP 400)" in failure.reason and "expected a LanguageProperty" in failure.reason
    assert isinstance(failure.problem, b.BadRequestData)


def test_207_old_stellio_error_strings_and_empty_body() -> None:
    result = b.parse_batch_207(
        {"success": [IDS[0]], "errors": [{"entityId": IDS[1], "error": ["bad name"]}]}, IDS[:2], "POST u"
    )
    assert result.failed[0].reason == "bad name" and result.failed[0].problem is None
    result = b.parse_batch_207(None, IDS[:2], "POST u")
    assert [f.entity_id for f in result.failed] == IDS[:2]


def test_upsert_reads_a_207_through_the_client() -> None:
    session = FakeSession(
        response(207, {"success": [IDS[0]], "errors": [{"entityId": IDS[1], "error": BAD}]})
    )
    result = client(session).upsert([{**entity(0), "id": IDS[0]}, {**entity(1), "id": IDS[1]}])
    assert result.succeeded == [IDS[0]] and [f.entity_id for f in result.failed] == [IDS[1]]


# --- chunking ----------------------------------------------------------------------------------


def test_chunks_by_count() -> None:
    session = FakeSession(*[response(201, [])] * 3)
    c = client(session, batch_size=2)
    result = c.upsert([entity(i) for i in range(5)])
    assert [len(call["json"]) for call in session.calls] == [2, 2, 1]
    assert len(result.succeeded) == 5


def test_chunks_by_bytes_and_never_over_the_limit() -> None:
    session = FakeSession(*[response(201, [])] * 10)
    c = client(session, batch_size=100, max_batch_bytes=3000)
    result = c.upsert([entity(i, size=900) for i in range(6)])
    sizes = [len(call["data"]) for call in session.calls]
    assert all(size <= 3000 for size in sizes), sizes
    assert sum(len(call["json"]) for call in session.calls) == 6 and len(session.calls) > 1
    assert len(result.succeeded) == 6


def test_an_entity_over_the_byte_limit_fails_alone_and_is_not_sent() -> None:
    session = FakeSession(response(201, []))
    result = client(session, max_batch_bytes=2000).upsert([entity(1), entity(2, size=5000)])
    assert [f.entity_id for f in result.failed] == ["urn:ngsi-ld:Initiative:e002"]
    assert "byte request limit" in result.failed[0].reason
    assert [e["id"] for e in session.calls[0]["json"]] == ["urn:ngsi-ld:Initiative:e001"]


def test_413_splits_the_batch() -> None:
    too_large = response(413, {"type": b.ERROR_TYPE_PREFIX + "BadRequestData", "title": "Payload Too Large"})
    session = FakeSession(too_large, response(201, []), response(201, []))
    result = client(session).upsert([entity(i) for i in range(4)])
    assert [len(call["json"]) for call in session.calls] == [4, 2, 2]
    assert len(result.succeeded) == 4 and not result.failed


def test_delete_treats_already_gone_as_deleted() -> None:
    gone = {"type": b.ERROR_TYPE_PREFIX + "ResourceNotFound", "title": "Not found", "status": 404}
    session = FakeSession(
        response(207, {"success": [IDS[0]], "errors": [{"entityId": IDS[1], "error": gone}]})
    )
    result = client(session).delete(IDS[:2])
    assert sorted(result.succeeded) == IDS[:2] and not result.failed
    assert session.calls[0]["headers"]["Content-Type"] == "application/json"


# --- context modes, headers, encoding ------------------------------------------------------------


def test_inline_mode_sends_ld_json_with_context() -> None:
    session = FakeSession(response(201, []))
    client(session).upsert([entity(1)])
    call = session.calls[0]
    assert call["headers"]["Content-Type"] == "application/ld+json" and "Link" not in call["headers"]
    assert call["json"][0]["@context"] == entity_context()


def test_link_mode_sends_plain_json_and_the_exact_link_header() -> None:
    session = FakeSession(response(201, []))
    client(session, context_mode="link", context_url="http://ctx.test/ldt-context.jsonld").upsert([entity(1)])
    call = session.calls[0]
    assert call["headers"]["Content-Type"] == "application/json"
    assert call["headers"]["Link"] == (
        "<http://ctx.test/ldt-context.jsonld>; "
        'rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    )
    assert "@context" not in call["json"][0]


def test_upload_mode_uses_the_location_it_gets_back() -> None:
    session = FakeSession(
        response(201, None, {"Location": "/ngsi-ld/v1/jsonldContexts/abc"}), response(201, [])
    )
    c = client(session, context_mode="upload", flavour=b.FLAVOURS["orion-ld"])
    assert (
        c.upload_context({"@context": {"name": "https://schema.org/name"}})
        == "http://broker.test:1026/ngsi-ld/v1/jsonldContexts/abc"
    )
    c.upsert([entity(1)])
    assert "<http://broker.test:1026/ngsi-ld/v1/jsonldContexts/abc>" in session.calls[1]["headers"]["Link"]


def test_upload_refused_where_the_broker_has_no_context_store() -> None:
    with pytest.raises(b.BrokerConfigError, match="stellio"):
        client(FakeSession(), flavour=b.FLAVOURS["stellio"]).upload_context({"@context": {}})


def test_tenant_header_and_entity_id_encoding() -> None:
    session = FakeSession(response(200, {"id": "x"}))
    client(session, tenant="urn:ngsi-ld:tenant:t1").request(
        "GET", f"/entities/{b.encode_id('urn:ngsi-ld:Initiative:a/b?c#d%e f')}"
    )
    call = session.calls[0]
    assert (
        call["url"]
        == "http://broker.test:1026/ngsi-ld/v1/entities/urn%3Angsi-ld%3AInitiative%3Aa%2Fb%3Fc%23d%25e%20f"
    )
    assert call["headers"]["NGSILD-Tenant"] == "urn:ngsi-ld:tenant:t1"


def test_query_pages_with_limit_offset_and_count() -> None:
    page = [{"id": f"urn:a:{i}", "type": "T"} for i in range(2)]
    session = FakeSession(
        response(200, page, {"NGSILD-Results-Count": "5"}),
        response(200, page, {"NGSILD-Results-Count": "5"}),
        response(200, page[:1], {"NGSILD-Results-Count": "5"}),
    )
    found = list(client(session).query_entities(["https://schema.org/Project"], page_size=2))
    assert len(found) == 5
    params = [c["params"] for c in session.calls]
    assert [p["offset"] for p in params] == [0, 2, 4]
    assert all(
        p["limit"] == 2 and p["count"] == "true" and p["type"] == "https://schema.org/Project" for p in params
    )


# --- secrets -----------------------------------------------------------------------------------


def test_bearer_token_is_sent_but_never_shown() -> None:
    auth = BearerToken(TOKEN)
    echo = response(
        400, {"type": b.ERROR_TYPE_PREFIX + "BadRequestData", "detail": f"bad header Bearer {TOKEN}"}
    )
    session = FakeSession(echo)
    c = client(session, auth=auth)
    with pytest.raises(b.BadRequestData) as info:
        c.request("GET", "/entities")
    assert session.calls[0]["headers"]["Authorization"] == f"Bearer {TOKEN}"
    for text in (repr(auth), str(auth), repr(c), str(info.value), repr(info.value), repr(Secret(TOKEN))):
        assert TOKEN not in text


def test_401_with_a_fixed_token_is_reported_without_retrying() -> None:
    session = FakeSession(response(401, None))
    with pytest.raises(b.Unauthorized, match="HTTP 401"):
        client(session, auth=BearerToken(TOKEN)).request("GET", "/entities")
    assert len(session.calls) == 1


def token_endpoint(tokens: list[str], lifetime: int = 60) -> Callable[[dict[str, Any]], requests.Response]:
    def answer(call: dict[str, Any]) -> requests.Response:
        assert call["data"] == {"grant_type": "client_credentials"}
        assert call["auth"] == ("ldt", "client-SECRET-xyz")
        return response(200, {"access_token": tokens.pop(0), "expires_in": lifetime, "token_type": "Bearer"})

    return answer


def test_oauth_fetches_refreshes_before_expiry_and_once_on_401() -> None:
    clock = Clock()
    tokens = ["AT-ONE-secret", "AT-TWO-secret", "AT-THREE-secret"]
    idp = FakeSession(token_endpoint(tokens), token_endpoint(tokens), token_endpoint(tokens))
    auth = OAuth2ClientCredentials(
        "https://idp.test/realms/r/protocol/openid-connect/token",
        "ldt",
        "client-SECRET-xyz",
        session=idp,
        clock=clock.time,
        leeway=10,
    )
    api = FakeSession(response(200, []), response(200, []), response(401, None), response(200, []))
    c = client(api, clock, auth=auth)
    c.request("GET", "/entities")
    clock.now += 55  # inside the leeway: refresh before expiry
    c.request("GET", "/entities")
    c.request("GET", "/entities")  # 401 -> one new token, one retry
    headers = [call["headers"]["Authorization"] for call in api.calls]
    assert headers == [
        "Bearer AT-ONE-secret",
        "Bearer AT-TWO-secret",
        "Bearer AT-TWO-secret",
        "Bearer AT-THREE-secret",
    ]
    assert auth.fetches == 3
    for secret in ("client-SECRET-xyz", "AT-THREE-secret"):
        assert secret not in repr(auth) and secret not in repr(c)


def test_oauth_refusal_is_a_typed_error_without_secrets() -> None:
    idp = FakeSession(
        response(401, {"error": "unauthorized_client", "error_description": "bad client-SECRET-xyz"})
    )
    auth = OAuth2ClientCredentials("https://idp.test/token", "ldt", "client-SECRET-xyz", session=idp)
    with pytest.raises(AuthenticationFailed) as info:
        auth.authorization()
    assert "unauthorized_client" in str(info.value) and "client-SECRET-xyz" not in str(info.value)
    assert isinstance(info.value, b.BrokerError)
