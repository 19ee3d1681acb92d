"""The NGSI-LD HTTP client: batches, 207 results, ProblemDetails to typed errors, retries, tenants, auth.

``transport.py`` holds the settings and the one ``request`` with its retries; this module adds the
operations publish needs: paged and by-id reads, batch upsert/update/delete in chunks (by count
and by bytes), attribute deletes and the @context upload.  Nothing touches the network until a
method is called.

The exceptions are typed from the broker's ProblemDetails; their tree is drawn once, in
``broker_errors.py`` (the broker branch of the tree in ``errors.py``).

Each message names the request, the entity id or attribute when the broker gave one, and what the
broker expected; secrets held by the ``Auth`` object are scrubbed from every message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urljoin

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
from ldt_catalog.broker.transport import (
    API_ROOT as API_ROOT,
)
from ldt_catalog.broker.transport import (
    CONTEXT_MODES as CONTEXT_MODES,
)
from ldt_catalog.broker.transport import (
    CONTEXT_REL as CONTEXT_REL,
)
from ldt_catalog.broker.transport import (
    FLAVOURS as FLAVOURS,
)
from ldt_catalog.broker.transport import (
    HARD_MAX_BATCH as HARD_MAX_BATCH,
)
from ldt_catalog.broker.transport import (
    ID_QUERY_CHUNK as ID_QUERY_CHUNK,
)
from ldt_catalog.broker.transport import (
    JSON as JSON,
)
from ldt_catalog.broker.transport import (
    JSON_LD as JSON_LD,
)
from ldt_catalog.broker.transport import (
    Auth as Auth,
)
from ldt_catalog.broker.transport import (
    Flavour as Flavour,
)
from ldt_catalog.broker.transport import (
    RetryPolicy as RetryPolicy,
)
from ldt_catalog.broker.transport import (
    Transport,
    _encode,
)
from ldt_catalog.broker.transport import (
    connection_cause as connection_cause,
)
from ldt_catalog.broker.transport import (
    encode_id as encode_id,
)
from ldt_catalog.broker.transport import (
    retry_after_seconds as retry_after_seconds,
)


class BrokerClient(Transport):
    """A client for one broker and one tenant: entity reads and batch writes.  The constructor sends nothing."""

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

    def update(self, fragments: Sequence[Mapping[str, Any]]) -> BatchResult:
        """``POST /entityOperations/update`` in chunks: each fragment's attributes are written, the
        entity's others left alone (append semantics, §5.6.9), so a change notifies only those."""
        return self._run_batches("update", ((str(f["id"]), self._ld_body(dict(f), {})) for f in fragments))

    def delete_attribute(
        self, entity_id: str, attribute: str, dataset_id: str | None = None, delete_all: bool = False
    ) -> None:
        """``DELETE /entities/{id}/attrs/{attr}`` (§5.6.5); ``attribute`` is a full IRI, so no context is
        needed; ``dataset_id`` deletes that instance only; an attribute already gone is not an error."""
        params = {"deleteAll": "true"} if delete_all else {"datasetId": dataset_id} if dataset_id else None
        try:
            self.request(
                "DELETE", f"/entities/{encode_id(entity_id)}/attrs/{encode_id(attribute)}", params=params
            )
        except ResourceNotFound:
            return

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
