"""``TestBroker``: a strict loopback NGSI-LD broker on ``127.0.0.1:<free port>`` for tests.

It speaks HTTP/1.1 with keep-alive on a ``ThreadingHTTPServer`` in a background thread, records
every request (``requests_log``), injects faults (``faults``, see ``faults.py``) and sends real
notifications.  Use it as a context manager, or through the fixtures in ``fixtures.py``::

    with TestBroker() as broker:
        requests.post(f"{broker.url}/ngsi-ld/v1/entities", json=entity, timeout=5)
        broker.entities()  # id -> stored (expanded) entity
"""

from __future__ import annotations

import contextlib
import copy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from ldt_catalog.ngsild.context import CORE_CONTEXT_URL
from tests.ngsild_broker.api import Api, too_large
from tests.ngsild_broker.entities import compact_entity
from tests.ngsild_broker.errors import NgsiError
from tests.ngsild_broker.faults import FaultPlan
from tests.ngsild_broker.jsonld import CORE, as_list
from tests.ngsild_broker.request import Request, Response
from tests.ngsild_broker.store import Store
from tests.ngsild_broker.subscriptions import Subscriptions

# Nominal defaults per flavour (chosen for tests, not measured from the products).
FLAVOURS: dict[str, dict[str, int]] = {
    "generic": {"max_body_bytes": 1_000_000},
    "orion-ld": {"max_body_bytes": 1_000_000},
    "scorpio": {"max_body_bytes": 2_000_000},
    "stellio": {"max_body_bytes": 2_000_000},
}
_DISCARD_LIMIT = 64_000_000  # bytes of an over-size body read and thrown away before answering 413


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int | None = None  # None: the connection was dropped without a response
    tenant: str = ""
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        return json.loads(self.body)


class TestBroker:
    """A strict in-process NGSI-LD broker; see the package docstring for the rules it enforces."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        *,
        flavour: str = "generic",
        max_batch: int = 1000,
        max_body_bytes: int | None = None,
        supports_jsonld_contexts: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if flavour not in FLAVOURS:
            raise ValueError(f"unknown flavour {flavour!r}; one of {sorted(FLAVOURS)}")
        self.flavour = flavour
        self.max_batch = max_batch
        self.max_body_bytes = max_body_bytes or FLAVOURS[flavour]["max_body_bytes"]
        self.supports_jsonld_contexts = supports_jsonld_contexts
        self.address = (host, port)  # port 0: a free one
        self.faults = FaultPlan()
        self.requests_log: list[RecordedRequest] = []
        self._log_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""
        self.store: Store
        self.subscriptions: Subscriptions
        self.api: Api

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> TestBroker:
        if self._server is not None:
            return self
        server = _Server(self.address, _Handler)
        server.broker = self
        self.url = f"http://{self.address[0]}:{server.server_address[1]}"
        self.store = Store(self.url)
        self.subscriptions = Subscriptions(self.store)
        self.api = Api(self)
        self.subscriptions.start()
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="ngsild-test-broker",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.subscriptions.stop()

    def __enter__(self) -> TestBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- inspection ----------------------------------------------------------------------

    def entities(self, tenant: str | None = None) -> dict[str, dict[str, Any]]:
        """id -> entity as stored: names and types expanded to IRIs (see ``entities.py``)."""
        with self.store.lock:
            found = self.store.tenants.get(tenant or "")
            return copy.deepcopy(found.entities) if found else {}

    def entity_compacted(
        self, entity_id: str, tenant: str | None = None, context: Any = CORE_CONTEXT_URL, **options: Any
    ) -> dict[str, Any]:
        """A stored entity compacted with ``context`` (core appended), as a GET would return it."""
        user = [c for c in as_list(context) if c != CORE]
        handle = self.store.contexts(tenant or "").handle(user)
        with self.store.lock:
            return compact_entity(self.entities(tenant)[entity_id], handle, **options)

    def subscriptions_of(self, tenant: str | None = None) -> dict[str, dict[str, Any]]:
        with self.store.lock:
            found = self.store.tenants.get(tenant or "")
            return copy.deepcopy(found.subscriptions) if found else {}

    def wait_for_notifications(self, timeout: float = 5.0) -> bool:
        """Block until every queued notification has been attempted (False on timeout)."""
        return self.subscriptions.flush(timeout)

    def reset(self) -> None:
        """Forget all tenants, entities, subscriptions, contexts, faults and the request log."""
        self.store.reset()
        self.faults.clear()
        with self._log_lock:
            self.requests_log.clear()

    def _record(self, entry: RecordedRequest) -> None:
        with self._log_lock:
            self.requests_log.append(entry)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    broker: TestBroker

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connections: set[socket.socket] = set()
        self._conn_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conn_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conn_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections."""
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that hang up (timeouts, dropped connections) are part of the tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are closed after this
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_GET

    def _read_body(self, limit: int) -> tuple[bytes, bool]:
        """The request body (``Content-Length`` or chunked) and whether it exceeded ``limit``."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks, size = [], 0
            while True:
                length = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if length == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                data = self.rfile.read(length)
                self.rfile.readline()
                size += length
                if size <= limit:
                    chunks.append(data)
            return b"".join(chunks), size > limit
        length = int(self.headers.get("Content-Length") or 0)
        if length > limit:
            remaining = min(length, _DISCARD_LIMIT)
            while remaining > 0:
                data = self.rfile.read(min(remaining, 1 << 16))
                if not data:
                    break
                remaining -= len(data)
            if length > _DISCARD_LIMIT:
                self.close_connection = True
            return b"", True
        return self.rfile.read(length) if length else b"", False

    def _dispatch(self) -> None:
        broker = self.server.broker
        split = urlsplit(self.path)
        body, too_big = self._read_body(broker.max_body_bytes)
        entry = RecordedRequest(
            self.command,
            split.path,
            split.query,
            dict(self.headers.items()),
            body,
            tenant=(self.headers.get("NGSILD-Tenant") or "").strip(),
        )
        try:
            if broker.faults.killed:
                return self._drop(entry)
            response = None
            for fault in broker.faults.take(self.command, split.path):
                if fault.kind == "delay":
                    time.sleep(fault.seconds)
                elif fault.kind == "drop":
                    return self._drop(entry)
                elif fault.kind == "status" and response is None:
                    kind = {
                        404: "ResourceNotFound",
                        409: "AlreadyExists",
                        400: "BadRequestData",
                    }.get(fault.status, "InternalError")
                    error = NgsiError(
                        kind, "failure injected by the test", status=fault.status, title="Injected failure"
                    )
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    response = Response(fault.status, error.problem(), headers)
            if response is None:
                response = self._respond(broker, split.path, split.query, body, too_big)
        except Exception as exc:  # a bug in the broker must show as 500, not hang the client
            response = Response(500, NgsiError("InternalError", f"{type(exc).__name__}: {exc}").problem())
        self._send(response, entry)
        broker.faults.record_result(self.command, response.status)

    def _respond(self, broker: TestBroker, path: str, query: str, body: bytes, too_big: bool) -> Response:
        try:
            if too_big:
                raise too_large(f"request body exceeds {broker.max_body_bytes} bytes")
            request = Request(self.command, path, query, self.headers, body)
            response = broker.api.handle(request)
        except NgsiError as error:
            response = Response(error.status, error.problem())
        return response

    def _drop(self, entry: RecordedRequest) -> None:
        self.server.broker._record(entry)
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send(self, response: Response, entry: RecordedRequest) -> None:
        payload = b""
        if response.body is not None:
            payload = json.dumps(response.body).encode()
        self.send_response(response.status)
        content_type = response.content_type
        if response.status >= 400:
            content_type = "application/json"  # ProblemDetails
        if payload:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        tenant = self.headers.get("NGSILD-Tenant")
        if tenant:
            self.send_header("NGSILD-Tenant", tenant)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        entry.status = response.status
        self.server.broker._record(entry)
        try:
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:  # the client gave up (e.g. its timeout during an injected delay)
            self.close_connection = True


__all__ = ["CORE", "FLAVOURS", "RecordedRequest", "TestBroker"]
