"""@context management (§5.13, ``/jsonldContexts``) and subscription endpoints (§5.8).

``POST /jsonldContexts`` takes ``{"@context": {...} | [...]}``, checks that it processes, stores
it as kind ``Hosted`` under a new local id and answers 201 with ``Location`` set to the absolute
URL at which the broker serves it (``GET /jsonldContexts/{id}``), usable in a ``Link`` header or
an inline ``@context`` of later requests.  ``GET /jsonldContexts`` lists the URLs
(``details=true``: objects with ``URL``, ``localId``, ``kind``, ``createdAt``); ``DELETE`` removes
one (204).  All of it is per tenant.  With ``supports_jsonld_contexts=False`` the endpoints answer
501 NotImplemented, like a broker without a context server.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from tests.ngsild_broker.errors import NgsiError, bad_data, not_found
from tests.ngsild_broker.jsonld import as_list
from tests.ngsild_broker.request import Request, Response
from tests.ngsild_broker.store import now_iso

if TYPE_CHECKING:
    from tests.ngsild_broker.api import Api, Handler

API = "/ngsi-ld/v1"


class Management:
    def __init__(self, api: Api) -> None:
        self.api = api
        self.store = api.store
        self.subs = api.subs

    def routes(self) -> list[tuple[re.Pattern[str], dict[str, Handler]]]:
        return [
            (re.compile(rf"^{API}/jsonldContexts/?$"), {"GET": self.list_contexts, "POST": self.add_context}),
            (
                re.compile(rf"^{API}/jsonldContexts/(?P<ctx>.+)$"),
                {"GET": self.get_context, "DELETE": self.delete_context},
            ),
            (re.compile(rf"^{API}/subscriptions/?$"), {"GET": self.list_subs, "POST": self.create_sub}),
            (
                re.compile(rf"^{API}/subscriptions/(?P<id>[^/]+)$"),
                {"GET": self.get_sub, "PATCH": self.patch_sub, "DELETE": self.delete_sub},
            ),
        ]

    # --- @contexts -----------------------------------------------------------------------

    def _check_supported(self) -> None:
        if not self.api.broker.supports_jsonld_contexts:
            raise NgsiError("NotImplemented", "this broker does not implement the /jsonldContexts API")

    def add_context(self, request: Request, _: dict[str, str]) -> Response:
        self._check_supported()
        request.media_type()
        body = request.json_body()
        if (
            not isinstance(body, dict)
            or set(body) != {"@context"}
            or not isinstance(body["@context"], (dict, list))
        ):
            raise bad_data('the payload must be {"@context": <object or array>} and nothing else')
        registry = self.store.contexts(request.tenant)
        registry.handle(as_list(body["@context"]))  # 400/503 if it does not process
        with self.store.lock:
            tenant = self.store.tenant(request.tenant, create=True)
            local_id = str(uuid.uuid4())
            tenant.contexts.hosted[local_id] = {
                "@context": body["@context"],
                "kind": "Hosted",
                "createdAt": now_iso(),
            }
            tenant.contexts.invalidate()
            url = tenant.contexts.url_of(local_id)
        return Response(201, headers={"Location": url})

    def _entry(self, request: Request, ref: str) -> tuple[str, dict[str, Any]]:
        registry = self.store.tenant(request.tenant).contexts
        ref = unquote(ref)
        local_id = registry.local_id_of(ref) or ref
        entry = registry.hosted.get(local_id)
        if entry is None:
            raise not_found(f"no @context {ref!r} in the store")
        return local_id, entry

    def _details(self, request: Request, local_id: str, entry: dict[str, Any]) -> dict[str, Any]:
        registry = self.store.tenant(request.tenant).contexts
        return {
            "URL": registry.url_of(local_id),
            "localId": local_id,
            "kind": entry["kind"],
            "createdAt": entry.get("createdAt"),
        }

    def list_contexts(self, request: Request, _: dict[str, str]) -> Response:
        self._check_supported()
        details = request.param("details") == "true"
        kind = request.param("kind")
        with self.store.lock:
            registry = self.store.tenant(request.tenant).contexts
            entries = [(i, e) for i, e in registry.hosted.items() if kind is None or e["kind"] == kind]
            body = [self._details(request, i, e) if details else registry.url_of(i) for i, e in entries]
        return Response(200, body)

    def get_context(self, request: Request, match: dict[str, str]) -> Response:
        self._check_supported()
        with self.store.lock:
            local_id, entry = self._entry(request, match["ctx"])
            if request.param("details") == "true":
                return Response(200, self._details(request, local_id, entry))
            return Response(200, {"@context": entry["@context"]}, content_type="application/ld+json")

    def delete_context(self, request: Request, match: dict[str, str]) -> Response:
        self._check_supported()
        with self.store.lock:
            local_id, _ = self._entry(request, match["ctx"])
            registry = self.store.tenant(request.tenant).contexts
            del registry.hosted[local_id]
            registry.invalidate()
        return Response(204)

    # --- subscriptions -------------------------------------------------------------------

    def create_sub(self, request: Request, _: dict[str, str]) -> Response:
        body, context = request.document()
        handle = self.api.handle_for(request.tenant, context)
        with self.store.lock:
            tenant = self.store.tenant(request.tenant, create=True)
            sub_id = self.subs.create(tenant, body, context, handle)
        return Response(201, headers={"Location": f"{API}/subscriptions/{sub_id}"})

    def list_subs(self, request: Request, _: dict[str, str]) -> Response:
        context = request.link_context()
        handle = self.api.handle_for(request.tenant, context)
        limit = self.api._int_param(request, "limit", 20)
        offset = self.api._int_param(request, "offset", 0)
        sys_attrs = self.api.format_of(request)[1]
        with self.store.lock:
            tenant = self.store.tenant(request.tenant)
            subs = list(tenant.subscriptions.values())
            body = [self.subs.render(tenant, s, handle, sys_attrs) for s in subs[offset : offset + limit]]
        headers = {"NGSILD-Results-Count": str(len(subs))} if request.param("count") == "true" else {}
        return self.api.output(request, 200, body, context, headers)

    def get_sub(self, request: Request, match: dict[str, str]) -> Response:
        context = request.link_context()
        handle = self.api.handle_for(request.tenant, context)
        sys_attrs = self.api.format_of(request)[1]
        with self.store.lock:
            tenant = self.store.tenant(request.tenant)
            body = self.subs.render(tenant, self.subs.get(tenant, match["id"]), handle, sys_attrs)
        return self.api.output(request, 200, body, context)

    def patch_sub(self, request: Request, match: dict[str, str]) -> Response:
        body, context = request.document()
        handle = self.api.handle_for(request.tenant, context)
        with self.store.lock:
            self.subs.patch(self.store.tenant(request.tenant), match["id"], body, handle)
        return Response(204)

    def delete_sub(self, request: Request, match: dict[str, str]) -> Response:
        with self.store.lock:
            tenant = self.store.tenant(request.tenant)
            self.subs.get(tenant, match["id"])
            del tenant.subscriptions[match["id"]]
        return Response(204)
