"""The NGSI-LD HTTP client: batches, 207 results, ProblemDetails to typed errors, retries, tenants, auth.

Nothing here touches the network until a method is called; the ``requests.Session``, the clock,
the sleep function and the random source are injected, so tests drive every path without sockets
or real waiting.

The exceptions are typed from the broker's ProblemDetails; their tree is drawn once, in
``broker_errors.py`` (the broker branch of the tree in ``errors.py``).

Each message names the request, the entity id or attribute when the broker gave one, and what the
broker expected; secrets held by the ``Auth`` object are scrubbed from every message.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote, urljoin

import requests

from ldt_catalog.broker.errors import (
    ERROR_TYPE_PREFIX as ERROR_TYPE_PREFIX,
)
from ldt_catalog.broker.errors import (
    PROBLEM_TYPES as PROBLEM_TYPES,
)
from ldt_catalog.broker.errors import (
    STATUS_FALLBACK as STATUS_FALLBACK,
)

# Re-exported: callers catch the errors and read batch results through this module.
from ldt_catalog.broker.errors import (
    AlreadyExists as AlreadyExists,
)
from ldt_catalog.broker.errors import (
    BadRequestData as BadRequestData,
)
from ldt_catalog.broker.errors import (
    BatchResult as BatchResult,
)
from ldt_catalog.broker.errors import (
    BrokerConfigError as BrokerConfigError,
)
from ldt_catalog.broker.errors import (
    BrokerError as BrokerError,
)
from ldt_catalog.broker.errors import (
    BrokerProblem as BrokerProblem,
)
from ldt_catalog.broker.errors import (
    BrokerUnavailable as BrokerUnavailable,
)
from ldt_catalog.broker.errors import (
    EntityFailure as EntityFailure,
)
from ldt_catalog.broker.errors import (
    InternalError as InternalError,
)
from ldt_catalog.broker.errors import (
    InvalidRequest as InvalidRequest,
)
from ldt_catalog.broker.errors import (
    LdContextNotAvailable as LdContextNotAvailable,
)
from ldt_catalog.broker.errors import (
    NonexistentTenant as NonexistentTenant,
)
from ldt_catalog.broker.errors import (
    NotImplementedByBroker as NotImplementedByBroker,
)
from ldt_catalog.broker.errors import (
    OperationNotSupported as OperationNotSupported,
)
from ldt_catalog.broker.errors import (
    PayloadTooLarge as PayloadTooLarge,
)
from ldt_catalog.broker.errors import (
    ResourceNotFound as ResourceNotFound,
)
from ldt_catalog.broker.errors import (
    TooComplexQuery as TooComplexQuery,
)
from ldt_catalog.broker.errors import (
    TooManyResults as TooManyResults,
)
from ldt_catalog.broker.errors import (
    Unauthorized as Unauthorized,
)
from ldt_catalog.broker.errors import (
    make_problem as make_problem,
)
from ldt_catalog.broker.errors import (
    parse_batch_207 as parse_batch_207,
)
from ldt_catalog.broker.errors import (
    problem_class as problem_class,
)
from ldt_catalog.broker.errors import (
    problem_text as problem_text,
)

API_ROOT = "/ngsi-ld/v1"
JSON = "application/json"
JSON_LD = "application/ld+json"
CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
CONTEXT_MODES = ("inline", "link", "upload")
ID_QUERY_CHUNK = 50  # ids per GET ?id=...: keeps the URL well under common 8 kB limits
HARD_MAX_BATCH = 1000  # Orion-LD processes at most 1000 entities per batch (FIWARE/context.Orion-LD#1951)


# --- settings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flavour:
    """What differs between brokers, as far as publishing is concerned (sources in the README)."""

    name: str
    batch_size: int = 100
    max_batch_bytes: int = 900_000  # under the 1 MB request limit Orion(-LD) applies by default
    page_size: int = 100
    default_context_mode: str = "inline"
    jsonld_contexts: bool = False  # implements POST /jsonldContexts (context upload)


FLAVOURS: Mapping[str, Flavour] = {
    "generic": Flavour("generic"),
    "orion-ld": Flavour("orion-ld", jsonld_contexts=True),
    "scorpio": Flavour("scorpio", jsonld_contexts=True),
    "stellio": Flavour("stellio", page_size=100),
}


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and full jitter; ``Retry-After`` is honoured."""

    attempts: int = 5  # total tries per request, the first included
    base_delay: float = 0.5
    max_delay: float = 30.0
    max_total: float = 120.0  # seconds of waiting, all retries of one request together
    statuses: frozenset[int] = frozenset({429, 502, 503, 504})

    def backoff(self, retry: int, rng: Callable[[float, float], float]) -> float:
        return rng(0.0, min(self.max_delay, self.base_delay * (2 ** (retry - 1))))


class Auth(Protocol):
    """What the client needs from an authentication scheme (see ``auth.py``)."""

    def authorization(self) -> str:
        """The ``Authorization`` header value (may fetch or refresh a token)."""
        ...

    def on_unauthorized(self) -> bool:
        """The broker said 401: forget cached credentials; True if one retry may now succeed."""
        ...

    def secrets(self) -> tuple[str, ...]:
        """Every secret value, to scrub from messages."""
        ...


def retry_after_seconds(value: str | None, now: float) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP-date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def encode_id(entity_id: str) -> str:
    """An entity id as one path segment (``/``, ``?``, ``#`` and ``%`` included)."""
    return quote(entity_id, safe="")


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- the client ----------------------------------------------------------------------------------


class BrokerClient:
    """A client for one broker and one tenant.  The constructor sends nothing."""

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        tenant: str | None = None,
        auth: Auth | None = None,
        flavour: Flavour = FLAVOURS["generic"],
        context_mode: str | None = None,
        context_url: str | None = None,
        inline_context: Any = None,
        timeout: tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy = RetryPolicy(),
        verify: bool | str = True,
        progress: Callable[[str], None] | None = None,
        batch_size: int | None = None,
        max_batch_bytes: int | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        rng: Callable[[float, float], float] = random.uniform,
    ) -> None:
        root = base_url.rstrip("/")
        if root.endswith(API_ROOT):
            root = root[: -len(API_ROOT)]
        if not root.startswith(("http://", "https://")):
            raise BrokerConfigError(f"broker URL {base_url!r} must start with http:// or https://")
        self.base_url = root
        self.session = session if session is not None else requests.Session()
        if tenant is not None and (
            not tenant or not tenant.isprintable() or not tenant.isascii() or tenant != tenant.strip()
        ):
            raise BrokerConfigError(
                f"tenant {tenant!r}: a tenant name must be printable ASCII without "
                "leading or trailing spaces (it travels in the NGSILD-Tenant header)"
            )
        self.tenant = tenant
        self.auth = auth
        self.flavour = flavour
        self.context_mode = context_mode or flavour.default_context_mode
        if self.context_mode not in CONTEXT_MODES:
            raise BrokerConfigError(f"context mode {self.context_mode!r}: one of {', '.join(CONTEXT_MODES)}")
        self.context_url = context_url
        self.inline_context = inline_context
        self.timeout = timeout
        self.retry = retry
        self.verify = verify
        self.progress = progress
        size = batch_size or flavour.batch_size
        if not 1 <= size <= HARD_MAX_BATCH:
            raise BrokerConfigError(f"batch size {size}: must be between 1 and {HARD_MAX_BATCH}")
        self.batch_size = size
        self.max_batch_bytes = max_batch_bytes or flavour.max_batch_bytes
        self._sleep, self._clock, self._wall, self._rng = sleep, clock, wall_clock, rng

    def __repr__(self) -> str:
        return (
            f"BrokerClient({self.base_url!r}, tenant={self.tenant!r}, flavour={self.flavour.name!r}, "
            f"context_mode={self.context_mode!r}, auth={self.auth!r})"
        )

    # -- plumbing ---------------------------------------------------------------------------

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + (path if path.startswith("/ngsi-ld/") else API_ROOT + path)

    def scrub(self, text: str) -> str:
        for secret in self.auth.secrets() if self.auth else ():
            if secret:
                text = text.replace(secret, "***")
        return text

    def _say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def _ld_body(self, body: Any, headers: dict[str, str]) -> Any:
        """Apply the context mode to a linked-data body (an object or a list of objects)."""
        items = body if isinstance(body, list) else [body]
        if self.context_mode == "inline":
            headers["Content-Type"] = JSON_LD
            if self.inline_context is None:
                if any(isinstance(i, dict) and "@context" not in i for i in items):
                    raise BrokerConfigError("inline context mode needs entities that carry @context")
                return body
            out = [
                i if not isinstance(i, dict) or "@context" in i else {**i, "@context": self.inline_context}
                for i in items
            ]
            return out if isinstance(body, list) else out[0]
        if not self.context_url:
            raise BrokerConfigError(
                f"context mode {self.context_mode!r} needs a context URL "
                "(--context-url, or upload_context() first)"
            )
        headers["Content-Type"] = JSON
        headers["Link"] = f'<{self.context_url}>; rel="{CONTEXT_REL}"; type="{JSON_LD}"'
        out = [{k: v for k, v in i.items() if k != "@context"} if isinstance(i, dict) else i for i in items]
        return out if isinstance(body, list) else out[0]

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        encoded_body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        ld: bool = False,
        ok: Iterable[int] = (),
    ) -> requests.Response:
        """Send one request with retries; a response >= 400 (and not in ``ok``) raises a ``BrokerProblem``.

        ``ld=True`` marks a linked-data body: it gets the ``@context`` treatment of the context mode.
        ``encoded_body`` is a JSON body already encoded (and, if linked data, already treated).
        """
        sent_headers = {"Accept": JSON}
        if self.tenant:
            sent_headers["NGSILD-Tenant"] = self.tenant
        data: bytes | None = None
        if json_body is not None:
            body = self._ld_body(json_body, sent_headers) if ld else json_body
            sent_headers.setdefault("Content-Type", JSON)
            data = _encode(body)
        elif encoded_body is not None:
            if ld:
                self._ld_body([], sent_headers)  # the headers of the context mode
            sent_headers.setdefault("Content-Type", JSON)
            data = encoded_body
        sent_headers.update(headers or {})
        url = self.url(path)
        where = f"{method} {url}"
        started = self._clock()
        waited = 0.0
        reauthenticated = False
        attempt = 0
        while True:
            attempt += 1
            if self.auth is not None:
                sent_headers["Authorization"] = self.auth.authorization()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=sent_headers,
                    timeout=self.timeout,
                    verify=self.verify,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                reason = f"{type(exc).__name__}: {self.scrub(str(exc))}"
                delay = self.retry.backoff(attempt, self._rng)
                if not self._may_retry(attempt, waited, delay):
                    raise BrokerUnavailable(self._gave_up(where, attempt, started, reason)) from None
                self._say(f"{where}: {type(exc).__name__}; retry {attempt} in {delay:.1f} s")
                self._sleep(delay)
                waited += delay
                continue
            status = response.status_code
            if (
                status == 401
                and self.auth is not None
                and not reauthenticated
                and self.auth.on_unauthorized()
            ):
                reauthenticated = True
                attempt -= 1
                continue
            if status in self.retry.statuses and self._transient(response):
                hinted = retry_after_seconds(response.headers.get("Retry-After"), self._wall())
                delay = hinted if hinted is not None else self.retry.backoff(attempt, self._rng)
                if not self._may_retry(attempt, waited, delay):
                    hint = f" (it asked to wait {hinted:.0f} s)" if hinted is not None else ""
                    raise BrokerUnavailable(self._gave_up(where, attempt, started, f"HTTP {status}{hint}"))
                self._say(f"{where}: HTTP {status}; retry {attempt} in {delay:.1f} s")
                self._sleep(delay)
                waited += delay
                continue
            if status >= 400 and status not in ok:
                raise self._problem(response, where)
            return response

    def _may_retry(self, attempt: int, waited: float, delay: float) -> bool:
        return attempt < self.retry.attempts and waited + delay <= self.retry.max_total

    def _gave_up(self, where: str, attempt: int, started: float, reason: str) -> str:
        spent = self._clock() - started
        return f"{where}: broker unavailable after {attempt} attempt(s) in {spent:.1f} s: {reason}"

    def _transient(self, response: requests.Response) -> bool:
        """A 503 LdContextNotAvailable without Retry-After is not transient: the broker already tried."""
        if response.status_code != 503 or response.headers.get("Retry-After"):
            return True
        return problem_class(self._problem_body(response), 503) is not LdContextNotAvailable

    @staticmethod
    def _problem_body(response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    def _problem(self, response: requests.Response, where: str) -> BrokerProblem:
        body = self._problem_body(response)
        if not body:
            text = response.text.strip()[:300]
            body = {
                "title": response.reason or f"HTTP {response.status_code}",
                **({"detail": text} if text else {}),
            }
        error = make_problem(body, response.status_code, where)
        error.args = (self.scrub(str(error)),)
        return error

    # -- entities ---------------------------------------------------------------------------

    def query_entities(
        self, types: Sequence[str], *, attrs: Sequence[str] | None = None, page_size: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every entity of ``types`` (one paged query per type, ``limit``/``offset``, ``count=true``).

        Types may be full IRIs; a query without a ``Link`` header returns entities compacted with the
        core context only, so our names come back as full IRIs.
        """
        limit = page_size or self.flavour.page_size
        for entity_type in types:
            offset = 0
            while True:
                params: dict[str, Any] = {
                    "type": entity_type,
                    "limit": limit,
                    "offset": offset,
                    "count": "true",
                }
                if attrs:
                    params["attrs"] = ",".join(attrs)
                response = self.request("GET", "/entities", params=params)
                page = response.json() if response.content else []
                if not isinstance(page, list):
                    raise BrokerProblem(
                        f"GET {self.url('/entities')}: expected a JSON array of entities, "
                        f"got {type(page).__name__}",
                        status=response.status_code,
                    )
                yield from page
                offset += len(page)
                total = response.headers.get("NGSILD-Results-Count")
                if (
                    not page
                    or len(page) < limit
                    or (total is not None and total.isdigit() and offset >= int(total))
                ):
                    break

    def entities_by_id(self, ids: Sequence[str], types: Sequence[str]) -> Iterator[dict[str, Any]]:
        """The broker's copies of those of ``ids`` it holds, ``ID_QUERY_CHUNK`` ids per request."""
        for start in range(0, len(ids), ID_QUERY_CHUNK):
            part = ids[start : start + ID_QUERY_CHUNK]
            params = {"id": ",".join(part), "type": ",".join(types), "limit": len(part)}
            response = self.request("GET", "/entities", params=params)
            page = response.json() if response.content else []
            if not isinstance(page, list):
                raise BrokerProblem(
                    f"GET {self.url('/entities')}: expected a JSON array of entities, got {type(page).__name__}",
                    status=response.status_code,
                )
            yield from page

    def _chunks(self, encoded: Sequence[tuple[str, bytes]]) -> Iterator[list[tuple[str, bytes]]]:
        """``(id, JSON)`` of items grouped by count and by bytes (a JSON array's commas included)."""
        chunk: list[tuple[str, bytes]] = []
        chunk_bytes = 2
        for item in encoded:
            item_bytes = len(item[1]) + 1
            if chunk and (len(chunk) >= self.batch_size or chunk_bytes + item_bytes > self.max_batch_bytes):
                yield chunk
                chunk, chunk_bytes = [], 2
            chunk.append(item)
            chunk_bytes += item_bytes
        if chunk:
            yield chunk

    def _batch(self, op: str, items: list[tuple[str, bytes]]) -> BatchResult:
        """One batch request of ``(id, JSON)`` items: each item was encoded once, for its size too."""
        where = f"POST {self.url(f'/entityOperations/{op}')}"
        ids = [entity_id for entity_id, _ in items]
        request_body = b"[" + b",".join(encoded for _, encoded in items) + b"]"
        try:
            response = self.request(
                "POST", f"/entityOperations/{op}", encoded_body=request_body, ld=op != "delete"
            )
        except PayloadTooLarge as exc:
            if len(items) == 1:
                return BatchResult(failed=[EntityFailure(ids[0], str(exc).split(": ", 1)[-1], exc)])
            half = len(items) // 2
            self._say(f"{where}: payload too large for the broker; splitting {len(items)} entities in two")
            result = self._batch(op, items[:half])
            result.extend(self._batch(op, items[half:]))
            return result
        except BrokerProblem as exc:  # the whole batch was refused
            return BatchResult(failed=[EntityFailure(i, str(exc).split(": ", 1)[-1], exc) for i in ids])
        if response.status_code == 207:
            try:
                body = response.json() if response.content else None
            except ValueError:
                body = None
            return parse_batch_207(body, ids, where)
        return BatchResult(succeeded=list(ids))

    def _run_batches(self, op: str, items: Iterable[tuple[str, Any]]) -> BatchResult:
        """``(id, JSON value)`` items sent in batches; one too large for any request fails alone."""
        result = BatchResult()
        done = 0
        sendable: list[tuple[str, bytes]] = []
        for item_id, item in items:
            encoded = _encode(item)
            if len(encoded) + 2 > self.max_batch_bytes:
                result.failed.append(
                    EntityFailure(
                        item_id,
                        f"{len(encoded)} bytes, more than the {self.max_batch_bytes}-byte request limit set "
                        "for this broker",
                    )
                )
            else:
                sendable.append((item_id, encoded))
        for chunk in self._chunks(sendable):
            result.extend(self._batch(op, chunk))
            done += len(chunk)
            self._say(f"{op}: {done}/{len(sendable)} entities sent")
        return result

    def upsert(self, entities: Sequence[Mapping[str, Any]]) -> BatchResult:
        """``POST /entityOperations/upsert`` in chunks (by count and by bytes); replaces whole entities."""
        return self._run_batches("upsert", ((str(e["id"]), self._ld_body(dict(e), {})) for e in entities))

    def delete(self, ids: Sequence[str]) -> BatchResult:
        """``POST /entityOperations/delete`` in chunks; an id the broker no longer has counts as deleted."""
        result = self._run_batches("delete", ((i, i) for i in ids))
        gone = [f for f in result.failed if isinstance(f.problem, ResourceNotFound)]
        result.failed = [f for f in result.failed if f not in gone]
        result.succeeded.extend(f.entity_id for f in gone)
        return result

    def retrieve(self, entity_id: str) -> dict[str, Any]:
        body: dict[str, Any] = self.request("GET", f"/entities/{encode_id(entity_id)}").json()
        return body

    # -- @context management -----------------------------------------------------------------

    def upload_context(self, document: Mapping[str, Any]) -> str:
        """``POST /jsonldContexts`` (§5.13.2); the absolute URL the broker serves it at (from ``Location``)."""
        if not self.flavour.jsonld_contexts:
            raise BrokerConfigError(
                f"{self.flavour.name} does not implement /jsonldContexts; use the inline or link context mode"
            )
        response = self.request("POST", "/jsonldContexts", json_body=dict(document))
        location = response.headers.get("Location")
        if not location:
            raise BrokerProblem(
                f"POST {self.url('/jsonldContexts')}: the broker stored the context but "
                "sent no Location header",
                status=response.status_code,
            )
        self.context_url = urljoin(self.base_url + "/", location)
        return self.context_url
