"""Talking HTTP to one broker: settings, the context modes, retries, and readable failures.

Nothing here touches the network until ``request`` is called; the ``requests.Session``, the clock,
the sleep function and the random source are injected, so tests drive every path without sockets
or real waiting.  A connection that cannot be made becomes one line naming the broker and the
cause (``cannot reach http://host:1026: name not resolved``), never urllib3's chain of wrappers.
"""

from __future__ import annotations

import email.utils
import errno
import json
import random
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import requests

from ldt_catalog.broker.errors import (
    BrokerConfigError,
    BrokerProblem,
    BrokerUnavailable,
    LdContextNotAvailable,
    make_problem,
    problem_class,
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
    unreachable: bool = True
    """Retry a name that does not resolve or a refused connection (a dry run does not: it only reads)."""

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


LASTING_CAUSES = frozenset({"name not resolved", "connection refused"})
"""Causes a few seconds will not cure in a run that only reads (see ``RetryPolicy.unreachable``)."""


def connection_cause(exc: BaseException) -> str:
    """Why a connection failed, in a few words, from the innermost cause urllib3 wrapped."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    found: list[BaseException] = []
    while pending:  # every exception reachable through args, reason, __cause__ and __context__
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        linked = [*current.args, getattr(current, "reason", None), current.__cause__, current.__context__]
        pending.extend(e for e in linked if isinstance(e, BaseException))
    names = {type(e).__name__ for e in found}
    if any(isinstance(e, socket.gaierror) for e in found) or "NameResolutionError" in names:
        return "name not resolved"
    if any(isinstance(e, ConnectionRefusedError) for e in found) or any(
        isinstance(e, OSError) and e.errno == errno.ECONNREFUSED for e in found
    ):
        return "connection refused"
    if any(isinstance(e, ConnectionResetError) for e in found):
        return "connection reset"
    if any(isinstance(e, ssl.SSLError) for e in found) or isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    if isinstance(exc, requests.Timeout) or any(isinstance(e, (TimeoutError, socket.timeout)) for e in found):
        return "timed out"
    if any("RemoteDisconnected" in n or "ProtocolError" in n for n in names):
        return "connection closed by the broker"
    return "connection failed"


def encode_id(entity_id: str) -> str:
    """An entity id as one path segment (``/``, ``?``, ``#`` and ``%`` included)."""
    return quote(entity_id, safe="")


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- the transport ----------------------------------------------------------------------------------


class Transport:
    """HTTP to one broker and one tenant (``BrokerClient`` adds the operations).  Sends nothing until asked."""

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
        self.sent: Counter[str] = Counter()  # requests answered, by method (what a run cost)
        self._sent_lock = threading.Lock()

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
                cause = connection_cause(exc)
                delay = self.retry.backoff(attempt, self._rng)
                lasting = cause in LASTING_CAUSES and not self.retry.unreachable
                if lasting or not self._may_retry(attempt, waited, delay):
                    raise BrokerUnavailable(self._unreachable(cause, attempt, started)) from None
                self._say(f"cannot reach {self.base_url}: {cause}; retry {attempt} in {delay:.1f} s")
                self._sleep(delay)
                waited += delay
                continue
            status = response.status_code
            with self._sent_lock:
                self.sent[method] += 1
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

    def _unreachable(self, cause: str, attempt: int, started: float) -> str:
        if attempt == 1:
            return f"cannot reach {self.base_url}: {cause}"
        return f"cannot reach {self.base_url}: {cause} (gave up after {attempt} attempts in {self._clock() - started:.1f} s)"

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
