"""The NGSI-LD endpoints of the test broker: entities (§5.6, §5.7), batches (§5.6.7-§5.6.10), routing.

Status codes: create 201 + ``Location``; retrieve 200; delete/replace/update 204; attribute
update/append 204 or 207 ``{"updated": [...], "notUpdated": [{"attributeName", "reason"}]}``.
Batches: all succeeded -> create 201 + array of ids, upsert 201 + created ids (204 if none was
created), update/delete 204; any failure -> 207 ``{"success": [...], "errors": [{"entityId",
"error": ProblemDetails}]}``.  More than ``max_batch`` entities -> 413 (BadRequestData type,
title "Payload Too Large"), the same answer as for an over-size body.

Queries (``GET /entities``): one of ``type``, ``id``, ``idPattern``, ``attrs``, ``q`` is required
(400 otherwise); ``limit`` defaults to 20, at most 1000 (above: 400 BadRequestData, as Orion-LD);
``limit=0`` only with ``count=true``; ``count=true`` -> ``NGSILD-Results-Count``.  Results are in
creation order, so paging is stable.  ``attrs`` also filters: only entities with one of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from tests.ngsild_broker.entities import (
    compact_entity,
    expand_attributes,
    expand_entity,
    expand_name,
    expand_types,
)
from tests.ngsild_broker.errors import NgsiError, bad_data, not_found
from tests.ngsild_broker.jsonld import JSONLD_CONTEXT_REL, ContextHandle
from tests.ngsild_broker.query import q_predicate, type_predicate
from tests.ngsild_broker.request import JSON_LD, Request, Response
from tests.ngsild_broker.store import Change, Tenant
from tests.ngsild_broker.subscriptions import response_context
from tests.ngsild_broker.validate import check_entity, is_uri

if TYPE_CHECKING:
    from tests.ngsild_broker.server import TestBroker

API = "/ngsi-ld/v1"
MAX_LIMIT = 1000
Handler = Callable[[Request, "dict[str, str]"], Response]


def too_large(detail: str) -> NgsiError:
    return NgsiError("BadRequestData", detail, status=413, title="Payload Too Large")


class Api:
    def __init__(self, broker: TestBroker) -> None:
        from tests.ngsild_broker.management import Management

        self.broker = broker
        self.store = broker.store
        self.subs = broker.subscriptions
        manage = Management(self)
        self.routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
            (re.compile(rf"^{API}/entities/?$"), {"GET": self.query, "POST": self.create}),
            (
                re.compile(rf"^{API}/entities/(?P<id>[^/]+)/attrs/?$"),
                {"PATCH": self.update_attrs, "POST": self.append_attrs},
            ),
            (
                re.compile(rf"^{API}/entities/(?P<id>[^/]+)/attrs/(?P<attr>[^/]+)$"),
                {"DELETE": self.delete_attr},
            ),
            (
                re.compile(rf"^{API}/entities/(?P<id>[^/]+)$"),
                {"GET": self.retrieve, "DELETE": self.delete, "PUT": self.replace},
            ),
            (
                re.compile(rf"^{API}/entityOperations/(?P<op>create|upsert|update|delete)/?$"),
                {"POST": self.batch},
            ),
            *manage.routes(),
        ]

    def handle(self, request: Request) -> Response:
        for pattern, methods in self.routes:
            match = pattern.match(request.path)
            if match is None:
                continue
            handler = methods.get(request.method)
            if handler is None:
                error = NgsiError(
                    "InvalidRequest",
                    f"{request.method} is not allowed on {request.path}",
                    status=405,
                    title="Method Not Allowed",
                )
                return Response(405, error.problem(), {"Allow": ", ".join(methods)})
            return handler(request, {k: unquote(v) for k, v in match.groupdict().items()})
        raise not_found(f"no such resource: {request.path}")

    # --- helpers -------------------------------------------------------------------------

    def handle_for(self, tenant: str, user_context: list[Any]) -> ContextHandle:
        return self.store.contexts(tenant).handle(user_context)

    def notify(self, changes: list[Change]) -> None:
        with self.store.lock:
            self.subs.on_changes(changes)

    def output(
        self,
        request: Request,
        status: int,
        body: Any,
        user_context: list[Any],
        headers: dict[str, str] | None = None,
    ) -> Response:
        """A JSON(-LD) response carrying the request's context: in the body or as a Link header."""
        media = request.accept()
        headers = dict(headers or {})
        if media == JSON_LD:
            context = response_context(user_context)
            items = body if isinstance(body, list) else [body]
            for item in items:
                item_body = dict(item)
                item.clear()
                item.update({"@context": context, **item_body})
        else:
            url = self.store.contexts(request.tenant).url_for_context(user_context)
            headers["Link"] = f'<{url}>; rel="{JSONLD_CONTEXT_REL}"; type="application/ld+json"'
        return Response(status, body, headers, content_type=media)

    def format_of(self, request: Request) -> tuple[str, bool]:
        options = request.options()
        unknown = options - {
            "keyValues",
            "sysAttrs",
            "concise",
            "normalized",
            "simplified",
            "noOverwrite",
            "update",
            "replace",
        }
        if unknown:
            raise bad_data(f"unknown options {sorted(unknown)}")
        fmt = request.param("format") or next(
            (o for o in ("keyValues", "simplified", "concise", "normalized") if o in options), "normalized"
        )
        fmt = {"simplified": "keyValues"}.get(fmt, fmt)
        if fmt not in ("normalized", "keyValues", "concise"):
            raise bad_data(f"unknown format {fmt!r}")
        return fmt, "sysAttrs" in options

    def attrs_of(self, request: Request, handle: ContextHandle) -> set[str] | None:
        raw = request.param("attrs")
        if raw is None:
            return None
        names = [n.strip() for n in raw.split(",")]
        if not all(names):
            raise bad_data(f"empty attribute name in attrs={raw!r}")
        return {expand_name(n, handle, "(query)") for n in names}

    # --- single entities -----------------------------------------------------------------

    def create(self, request: Request, _: dict[str, str]) -> Response:
        body, context = request.document()
        check_entity(body)
        stored = expand_entity(body, self.handle_for(request.tenant, context))
        with self.store.lock:
            change = self.store.create(self.store.tenant(request.tenant, create=True), stored)
        self.notify([change])
        return Response(201, headers={"Location": f"{API}/entities/{body['id']}"})

    def retrieve(self, request: Request, match: dict[str, str]) -> Response:
        context = request.link_context()
        handle = self.handle_for(request.tenant, context)
        fmt, sys_attrs = self.format_of(request)
        attrs = self.attrs_of(request, handle)
        with self.store.lock:
            entity = self.store.tenant(request.tenant).entities.get(match["id"])
            if entity is None:
                raise not_found(f"entity {match['id']} not found")
            if request.param("type") and not type_predicate(request.param("type") or "", handle)(entity):
                raise not_found(f"entity {match['id']} is not of type {request.param('type')}")
            body = compact_entity(entity, handle, attrs=attrs, sys_attrs=sys_attrs, fmt=fmt)
        return self.output(request, 200, body, context)

    def delete(self, request: Request, match: dict[str, str]) -> Response:
        with self.store.lock:
            change = self.store.delete(self.store.tenant(request.tenant), match["id"])
        self.notify([change])
        return Response(204)

    def replace(self, request: Request, match: dict[str, str]) -> Response:
        body, context = request.document()
        if body.get("id", match["id"]) != match["id"]:
            raise bad_data(f"the payload's id {body['id']!r} differs from the URL's {match['id']!r}")
        body = {**body, "id": match["id"]}
        check_entity(body)
        stored = expand_entity(body, self.handle_for(request.tenant, context))
        with self.store.lock:
            tenant = self.store.tenant(request.tenant)
            if match["id"] not in tenant.entities:
                raise not_found(f"entity {match['id']} not found")
            change = self.store.replace(tenant, stored)
        self.notify([change])
        return Response(204)

    def _fragment(self, request: Request, match: dict[str, str]) -> tuple[dict[str, Any], ContextHandle]:
        body, context = request.document()
        if body.get("id", match["id"]) != match["id"]:
            raise bad_data(f"the payload's id {body['id']!r} differs from the URL's {match['id']!r}")
        check_entity({**body, "id": match["id"]}, need_type=False)
        handle = self.handle_for(request.tenant, context)
        fragment = expand_attributes(body, handle, match["id"])
        if "type" in body:
            fragment["type"] = expand_types(body["type"], handle, match["id"])
        if not fragment:
            raise bad_data("no attributes in the payload")
        return fragment, handle

    def _attr_result(
        self, updated: list[str], not_updated: list[tuple[str, str]], handle: ContextHandle
    ) -> Response:
        if not not_updated:
            return Response(204)
        return Response(
            207,
            {
                "updated": [handle.compact_term(i) for i in updated],
                "notUpdated": [
                    {"attributeName": handle.compact_term(i), "reason": reason} for i, reason in not_updated
                ],
            },
        )

    def update_attrs(self, request: Request, match: dict[str, str]) -> Response:
        fragment, handle = self._fragment(request, match)
        with self.store.lock:
            updated, not_updated, change = self.store.append(
                self.store.tenant(request.tenant), match["id"], fragment, only_existing=True
            )
        if updated:
            self.notify([change])
        return self._attr_result(updated, not_updated, handle)

    def append_attrs(self, request: Request, match: dict[str, str]) -> Response:
        fragment, handle = self._fragment(request, match)
        no_overwrite = "noOverwrite" in request.options()
        with self.store.lock:
            updated, not_updated, change = self.store.append(
                self.store.tenant(request.tenant), match["id"], fragment, no_overwrite=no_overwrite
            )
        if updated:
            self.notify([change])
        return self._attr_result(updated, not_updated, handle)

    def delete_attr(self, request: Request, match: dict[str, str]) -> Response:
        handle = self.handle_for(request.tenant, request.link_context())
        iri = expand_name(match["attr"], handle, match["id"])
        dataset_id = request.param("datasetId")
        delete_all = (request.param("deleteAll") or "false") == "true"
        with self.store.lock:
            change = self.store.delete_attribute(
                self.store.tenant(request.tenant), match["id"], iri, dataset_id, delete_all
            )
        self.notify([change])
        return Response(204)

    # --- query ---------------------------------------------------------------------------

    def _int_param(self, request: Request, name: str, default: int) -> int:
        raw = request.param(name)
        if raw is None:
            return default
        if not re.fullmatch(r"\d+", raw):
            raise bad_data(f"{name} must be a non-negative integer, got {raw!r}")
        return int(raw)

    def query(self, request: Request, _: dict[str, str]) -> Response:
        if (
            request.param("geoQ") is not None
            or request.param("georel") is not None
            or request.param("csf") is not None
            or request.param("scopeQ") is not None
        ):
            raise NgsiError(
                "NotImplemented", "geo-queries, csf and scopeQ are not supported by this test broker"
            )
        if not any(request.param(p) for p in ("type", "id", "idPattern", "attrs", "q")):
            raise bad_data("a query needs at least one of type, id, idPattern, attrs or q")
        limit = self._int_param(request, "limit", 20)
        offset = self._int_param(request, "offset", 0)
        count = (request.param("count") or "false").lower()
        if count not in ("true", "false"):
            raise bad_data(f"count must be true or false, got {count!r}")
        if limit > MAX_LIMIT:
            raise bad_data(f"limit {limit} exceeds the maximum of {MAX_LIMIT}")
        if limit == 0 and count != "true":
            raise bad_data("limit=0 is only allowed together with count=true")
        context = request.link_context()
        handle = self.handle_for(request.tenant, context)
        fmt, sys_attrs = self.format_of(request)
        attrs = self.attrs_of(request, handle)
        tests: list[Callable[[dict[str, Any]], bool]] = []
        if request.param("type"):
            tests.append(type_predicate(request.param("type") or "", handle))
        ids: list[str] | None = None
        if request.param("id"):
            ids = list(dict.fromkeys((request.param("id") or "").split(",")))
            if not all(is_uri(i) for i in ids):
                raise bad_data(f"id must be a list of URIs: {request.param('id')!r}")
        if request.param("idPattern"):
            try:
                pattern = re.compile(request.param("idPattern") or "")
            except re.error as exc:
                raise bad_data(f"bad idPattern: {exc}") from exc
            tests.append(lambda e: pattern.search(e["id"]) is not None)
        if attrs is not None:
            tests.append(lambda e: any(a in e for a in attrs))
        if request.param("q"):
            tests.append(q_predicate(request.param("q") or "", handle))
        with self.store.lock:
            tenant = self.store.tenant(request.tenant)
            matching = self._matching(tenant, request, ids, attrs, tests)
            page = [
                compact_entity(e, handle, attrs=attrs, sys_attrs=sys_attrs, fmt=fmt)
                for e in matching[offset : offset + limit]
            ]
        headers = {"NGSILD-Results-Count": str(len(matching))} if count == "true" else {}
        return self.output(request, 200, page, context, headers)

    def _matching(
        self,
        tenant: Tenant,
        request: Request,
        ids: list[str] | None,
        attrs: set[str] | None,
        tests: list[Callable[[dict[str, Any]], bool]],
    ) -> list[dict[str, Any]]:
        """The entities a query selects, in creation order (by id: in the order asked for).

        By id, the candidates are looked up, not scanned for.  Otherwise the result is kept until
        the next change, so that paging through a large store with offsets costs one scan, not
        one per page, as a real broker's index would.
        """
        if ids is not None:
            candidates = [tenant.entities[i] for i in ids if i in tenant.entities]
            return [e for e in candidates if all(t(e) for t in tests)]
        key = (
            tenant.version,
            json.dumps(request.link_context(), sort_keys=True, default=str),
            request.param("type"),
            request.param("idPattern"),
            request.param("q"),
            tuple(sorted(attrs)) if attrs is not None else None,
        )
        if tenant.last_query is not None and tenant.last_query[0] == key:
            return tenant.last_query[1]
        matching = [e for e in tenant.entities.values() if all(t(e) for t in tests)]
        tenant.last_query = (key, matching)
        return matching

    # --- batch ---------------------------------------------------------------------------

    def batch(self, request: Request, match: dict[str, str]) -> Response:
        op = match["op"]
        if op == "delete":
            request.media_type()
            body = request.json_body()
            if not isinstance(body, list):
                raise bad_data("batch delete needs a JSON array of entity ids")
            contexts: list[list[Any]] = [[] for _ in body]
        else:
            body, contexts = request.documents()
        if not body:
            raise bad_data("empty batch")
        if len(body) > self.broker.max_batch:
            raise too_large(
                f"{len(body)} entities in one batch; this broker accepts at most {self.broker.max_batch}"
            )
        failing = {
            i: f.status
            for f in self.broker.faults.take(request.method, request.path, ("partial_207",))
            for i in f.entity_ids
        }
        options = request.options()
        success: list[str] = []
        created: list[str] = []
        errors: list[dict[str, Any]] = []
        changes: list[Change] = []
        for item, context in zip(body, contexts, strict=True):
            item_id = item if op == "delete" else (item.get("id") if isinstance(item, dict) else None)
            try:
                if isinstance(item_id, str) and item_id in failing:
                    status = failing[item_id]
                    kind = {404: "ResourceNotFound", 409: "AlreadyExists", 500: "InternalError"}.get(
                        status, "BadRequestData"
                    )
                    raise NgsiError(kind, f"entity {item_id}: failure injected by the test", status=status)
                change, was_created = self._batch_one(op, item, context, request, options)
            except NgsiError as exc:
                errors.append(
                    {
                        "entityId": item_id if isinstance(item_id, str) else str(item_id),
                        "error": exc.problem(),
                    }
                )
                continue
            success.append(change.entity_id)
            changes.append(change)
            if was_created:
                created.append(change.entity_id)
        self.notify(changes)
        if errors:
            return Response(207, {"success": success, "errors": errors})
        if op == "create":
            return Response(201, success)
        if op == "upsert" and created:
            return Response(201, created)
        return Response(204)

    def _batch_one(
        self, op: str, item: Any, context: list[Any], request: Request, options: set[str]
    ) -> tuple[Change, bool]:
        if op == "delete":
            if not is_uri(item):
                raise bad_data(f"{item!r} is not an entity id (URI)")
            with self.store.lock:
                return self.store.delete(self.store.tenant(request.tenant), item), False
        check_entity(item)
        stored = expand_entity(item, self.handle_for(request.tenant, context))
        with self.store.lock:
            tenant = self.store.tenant(request.tenant, create=op in ("create", "upsert"))
            exists = stored["id"] in tenant.entities
            if op == "create":
                return self.store.create(tenant, stored), True
            if op == "update" or (op == "upsert" and exists and "update" in options):
                if not exists:
                    raise not_found(f"entity {stored['id']} not found")
                fragment = {k: v for k, v in stored.items() if k != "id"}
                _, _, change = self.store.append(
                    tenant, stored["id"], fragment, no_overwrite="noOverwrite" in options
                )
                return change, False
            return self.store.replace(tenant, stored), not exists
