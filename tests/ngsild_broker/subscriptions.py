"""Subscriptions (§5.8, data type §5.2.12) and real notification delivery (§5.3.1, §7.2).

A subscription keeps the @context it was created with; notifications compact entities with it.
Delivery runs on one background thread per broker (a request never waits for it): an HTTP POST
to ``notification.endpoint.uri`` whose body is a ``Notification`` (§5.3.1: id, type,
subscriptionId, notifiedAt, data).  With ``accept: application/json`` the @context goes in a
``Link`` header (an inline context is served from the broker's store as an ``ImplicitlyCreated``
entry, §5.13), with ``application/ld+json`` in the body as ``@context``.

Triggers (§5.8.1, ``notificationTrigger``; default ``attributeCreated`` + ``attributeUpdated``):
creating an entity creates its attributes; an update notifies only when the content of a
watched attribute (any attribute without ``watchedAttributes``) really changed - timestamps do
not count; deletion notifies only if ``entityDeleted`` is listed, as in the spec.  ``throttling``
drops notifications closer together than that many seconds.  Not supported (501): ``timeInterval``,
``geoQ``, ``csf``, ``scopeQ``, type expressions in ``entities``.
"""

from __future__ import annotations

import copy
import json
import queue
import re
import threading
import time
import uuid
from typing import Any

import requests

from tests.ngsild_broker.entities import compact_entity, types_of
from tests.ngsild_broker.errors import NgsiError, bad_data, not_found
from tests.ngsild_broker.jsonld import CORE, JSONLD_CONTEXT_REL, ContextHandle
from tests.ngsild_broker.query import q_predicate
from tests.ngsild_broker.store import Change, Store, Tenant, changed_attributes, now_iso
from tests.ngsild_broker.validate import is_uri

TRIGGERS = frozenset(
    {
        "entityCreated",
        "entityUpdated",
        "entityDeleted",
        "attributeCreated",
        "attributeUpdated",
        "attributeDeleted",
    }
)
DEFAULT_TRIGGERS = ["attributeCreated", "attributeUpdated"]
_FIELDS = frozenset(
    {
        "id",
        "type",
        "subscriptionName",
        "description",
        "entities",
        "watchedAttributes",
        "notificationTrigger",
        "q",
        "isActive",
        "notification",
        "expiresAt",
        "throttling",
        "@context",
        "jsonldContext",
        "lang",
    }
)
_READ_ONLY = frozenset({"status", "createdAt", "modifiedAt"})
_UNSUPPORTED = frozenset({"timeInterval", "geoQ", "csf", "scopeQ", "temporalQ"})
_ACCEPTS = ("application/json", "application/ld+json")
_FORMATS = ("normalized", "keyValues", "concise")


def response_context(user_context: list[Any]) -> Any:
    """The @context to put in a JSON-LD body: the user's context plus core, or core alone."""
    if not user_context:
        return CORE
    return user_context if user_context[-1] == CORE else [*user_context, CORE]


def _names(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
        raise bad_data(f"subscription {field} must be a non-empty array of strings")
    return value


class Subscriptions:
    """Subscription CRUD (caller holds ``store.lock``) and the notifier thread."""

    def __init__(self, store: Store, timeout: float = 5.0) -> None:
        self.store = store
        self.timeout = timeout
        self._queue: queue.Queue[tuple[str, str, str, dict[str, str], bytes] | None] = queue.Queue()
        self._pending = 0
        self._idle = threading.Condition()
        self._thread: threading.Thread | None = None

    # --- CRUD ----------------------------------------------------------------------------

    def validate(self, body: Any, handle: ContextHandle, *, partial: bool = False) -> dict[str, Any]:
        """A subscription body (or a PATCH fragment) in stored form: names expanded."""
        if not isinstance(body, dict):
            raise bad_data("a subscription must be a JSON object")
        for name in body:
            if name in _UNSUPPORTED:
                raise NgsiError(
                    "NotImplemented", f"subscription member {name!r} is not supported by this test broker"
                )
            if name not in _FIELDS and name not in _READ_ONLY:
                raise bad_data(f"unknown subscription member {name!r}")
        out: dict[str, Any] = {
            k: copy.deepcopy(v) for k, v in body.items() if k not in _READ_ONLY and k != "@context"
        }
        if not partial and body.get("type") != "Subscription":
            raise bad_data('a subscription needs "type": "Subscription"')
        if partial and "type" in body and body["type"] != "Subscription":
            raise bad_data('a subscription\'s type is "Subscription"')
        if "id" in body and not is_uri(body["id"]):
            raise bad_data(f"subscription id {body.get('id')!r} is not a URI")
        if "entities" in body:
            out["entities"] = [self._selector(s, handle) for s in (body["entities"] or [None])]
        if "watchedAttributes" in body:
            out["watchedAttributes"] = [
                self._iri(n, handle) for n in _names(body["watchedAttributes"], "watchedAttributes")
            ]
        if not partial and not body.get("entities") and not body.get("watchedAttributes"):
            raise bad_data("a subscription needs 'entities' or 'watchedAttributes'")
        if "notificationTrigger" in body:
            triggers = _names(body["notificationTrigger"], "notificationTrigger")
            if set(triggers) - TRIGGERS:
                raise bad_data(f"unknown notificationTrigger {sorted(set(triggers) - TRIGGERS)}")
        if "q" in body:
            if not isinstance(body["q"], str):
                raise bad_data("subscription q must be a string")
            q_predicate(body["q"], handle)
        if "isActive" in body and not isinstance(body["isActive"], bool):
            raise bad_data("isActive must be true or false")
        throttling = body.get("throttling")
        if "throttling" in body and (
            isinstance(throttling, bool) or not isinstance(throttling, (int, float)) or throttling < 0
        ):
            raise bad_data("throttling must be a non-negative number")
        if "notification" in body or not partial:
            out["notification"] = self._notification(body.get("notification"), handle)
        return out

    def _iri(self, name: str, handle: ContextHandle) -> str:
        iri = handle.expand_term(name)
        if iri is None:
            raise bad_data(f"attribute name {name!r} does not expand to an IRI")
        return iri

    def _selector(self, selector: Any, handle: ContextHandle) -> dict[str, Any]:
        if (
            not isinstance(selector, dict)
            or not isinstance(selector.get("type"), str)
            or not selector["type"]
        ):
            raise bad_data("each member of 'entities' needs a 'type'")
        if re.search(r"[,;|()]", selector["type"]):
            raise NgsiError(
                "NotImplemented", "type expressions in subscriptions are not supported by this test broker"
            )
        iri = handle.expand_type(selector["type"])
        if iri is None:
            raise bad_data(f"type {selector['type']!r} does not expand to an IRI")
        out = {"type": iri}
        if "id" in selector:
            if not is_uri(selector["id"]):
                raise bad_data(f"entities[].id {selector['id']!r} is not a URI")
            out["id"] = selector["id"]
        if "idPattern" in selector:
            try:
                re.compile(selector["idPattern"])
            except (re.error, TypeError) as exc:
                raise bad_data(f"bad idPattern {selector['idPattern']!r}: {exc}") from exc
            out["idPattern"] = selector["idPattern"]
        return out

    def _notification(self, notification: Any, handle: ContextHandle) -> dict[str, Any]:
        if not isinstance(notification, dict):
            raise bad_data("a subscription needs a 'notification' object")
        endpoint = notification.get("endpoint")
        if not isinstance(endpoint, dict) or not is_uri(endpoint.get("uri")):
            raise bad_data("notification.endpoint.uri must be a URI")
        accept = endpoint.get("accept", "application/json")
        if accept not in _ACCEPTS:
            raise bad_data(f"notification.endpoint.accept must be one of {_ACCEPTS}, got {accept!r}")
        fmt = notification.get("format", "normalized")
        if fmt not in _FORMATS:
            raise bad_data(f"notification.format must be one of {_FORMATS}, got {fmt!r}")
        out: dict[str, Any] = {"format": fmt, "endpoint": {**endpoint, "accept": accept}}
        if "showChanges" in notification:
            if not isinstance(notification["showChanges"], bool):
                raise bad_data("notification.showChanges must be true or false")
            out["showChanges"] = notification["showChanges"]
        if "attributes" in notification:
            out["attributes"] = [
                self._iri(n, handle) for n in _names(notification["attributes"], "attributes")
            ]
        out.update({"status": "ok", "timesSent": 0, "timesFailed": 0})
        return out

    def create(
        self, tenant: Tenant, body: dict[str, Any], user_context: list[Any], handle: ContextHandle
    ) -> str:
        sub = self.validate(body, handle)
        sub_id = sub.get("id") or f"urn:ngsi-ld:Subscription:{uuid.uuid4()}"
        if sub_id in tenant.subscriptions:
            raise NgsiError("AlreadyExists", f"subscription {sub_id} already exists")
        now = now_iso()
        sub.update(
            {
                "id": sub_id,
                "type": "Subscription",
                "isActive": sub.get("isActive", True),
                "jsonldContext": user_context,
                "createdAt": now,
                "modifiedAt": now,
            }
        )
        tenant.subscriptions[sub_id] = sub
        return str(sub_id)

    def patch(self, tenant: Tenant, sub_id: str, body: dict[str, Any], handle: ContextHandle) -> None:
        sub = self.get(tenant, sub_id)
        fragment = self.validate(body, handle, partial=True)
        if "id" in fragment and fragment["id"] != sub_id:
            raise bad_data("a subscription's id cannot be changed")
        if "notification" in fragment:  # keep delivery statistics
            stats = {
                k: v for k, v in sub["notification"].items() if k not in ("format", "endpoint", "attributes")
            }
            fragment["notification"].update(stats)
        sub.update(fragment)
        sub["modifiedAt"] = now_iso()

    def get(self, tenant: Tenant, sub_id: str) -> dict[str, Any]:
        sub = tenant.subscriptions.get(sub_id)
        if sub is None:
            raise not_found(f"subscription {sub_id} not found")
        return sub

    def render(
        self, tenant: Tenant, sub: dict[str, Any], handle: ContextHandle, sys_attrs: bool = False
    ) -> dict[str, Any]:
        """A subscription as GET returns it, names compacted with the request's context."""
        out = {
            k: copy.deepcopy(v)
            for k, v in sub.items()
            if k not in ("jsonldContext", "createdAt", "modifiedAt") and not k.startswith("_")
        }
        out["status"] = "active" if sub.get("isActive", True) else "paused"
        if "entities" in out:
            out["entities"] = [{**s, "type": handle.compact_type(s["type"])} for s in out["entities"]]
        if "watchedAttributes" in out:
            out["watchedAttributes"] = [handle.compact_term(i) for i in out["watchedAttributes"]]
        if "attributes" in out["notification"]:
            out["notification"]["attributes"] = [
                handle.compact_term(i) for i in out["notification"]["attributes"]
            ]
        out["jsonldContext"] = tenant.contexts.url_for_context(sub["jsonldContext"])
        if sys_attrs:
            out.update(createdAt=sub["createdAt"], modifiedAt=sub["modifiedAt"])
        return out

    # --- notifications -------------------------------------------------------------------

    def on_changes(self, changes: list[Change]) -> None:
        """Queue the notifications these changes trigger (caller holds ``store.lock``)."""
        for change in changes:
            tenant = self.store.tenants.get(change.tenant)
            if tenant is None:
                continue
            for sub in tenant.subscriptions.values():
                try:
                    self._consider(tenant, sub, change)
                except NgsiError:
                    continue  # e.g. the subscription's context vanished from the store

    def _consider(self, tenant: Tenant, sub: dict[str, Any], change: Change) -> None:
        if not sub.get("isActive", True):
            return
        image = change.after if change.after is not None else change.before
        assert image is not None
        handle = tenant.contexts.handle(sub["jsonldContext"])
        if sub.get("entities") and not any(_selects(s, image) for s in sub["entities"]):
            return
        reason = self._trigger(sub, change)
        if reason is None:
            return
        if change.after is not None and sub.get("q") and not q_predicate(sub["q"], handle)(change.after):
            return
        throttling = sub.get("throttling")
        if throttling and time.monotonic() - sub.get("_lastTriggered", -1e9) < throttling:
            return
        sub["_lastTriggered"] = time.monotonic()
        notification = sub["notification"]
        attrs = set(notification["attributes"]) if notification.get("attributes") else None
        if change.after is None:
            types = [handle.compact_type(t) for t in types_of(image)]
            data = {"id": image["id"], "type": types[0] if len(types) == 1 else types, "deletedAt": now_iso()}
        else:
            data = compact_entity(change.after, handle, attrs=attrs, fmt=notification["format"])
            if (
                notification.get("showChanges")
                and change.before is not None
                and notification["format"] == "normalized"
            ):
                show_changes(data, change, handle, attrs)
        self._enqueue(tenant, sub, data, reason)

    def _trigger(self, sub: dict[str, Any], change: Change) -> str | None:
        triggers = set(sub.get("notificationTrigger") or DEFAULT_TRIGGERS)
        if change.after is None:
            return "entityDeleted" if "entityDeleted" in triggers else None
        watched = set(sub.get("watchedAttributes") or [])
        changed = changed_attributes(change.before, change.after)
        relevant = changed & watched if watched else changed
        if change.before is None:
            if "entityCreated" in triggers and (not watched or relevant):
                return "entityCreated"
            return "attributeCreated" if "attributeCreated" in triggers and relevant else None
        if not relevant:
            return None
        created = {a for a in relevant if a not in change.before}
        deleted = {a for a in relevant if a not in change.after}
        updated = relevant - created - deleted
        for reason, names in (
            ("attributeCreated", created),
            ("attributeUpdated", updated),
            ("attributeDeleted", deleted),
        ):
            if names and reason in triggers:
                return reason
        return "entityUpdated" if "entityUpdated" in triggers else None

    def _enqueue(self, tenant: Tenant, sub: dict[str, Any], data: dict[str, Any], reason: str) -> None:
        endpoint = sub["notification"]["endpoint"]
        body: dict[str, Any] = {
            "id": f"urn:ngsi-ld:Notification:{uuid.uuid4()}",
            "type": "Notification",
            "subscriptionId": sub["id"],
            "notifiedAt": now_iso(),
            "data": [data],
            "triggerReason": reason,
        }
        headers = {"Content-Type": endpoint["accept"]}
        if endpoint["accept"] == "application/ld+json":
            body = {"@context": response_context(sub["jsonldContext"]), **body}
        else:
            url = tenant.contexts.url_for_context(sub["jsonldContext"])
            headers["Link"] = f'<{url}>; rel="{JSONLD_CONTEXT_REL}"; type="application/ld+json"'
        if tenant.name:
            headers["NGSILD-Tenant"] = tenant.name
        with self._idle:
            self._pending += 1
        self._queue.put((tenant.name, sub["id"], endpoint["uri"], headers, json.dumps(body).encode()))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ngsild-notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=self.timeout + 1)
            self._thread = None

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait until every queued notification has been attempted; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            tenant_name, sub_id, url, headers, body = item
            try:
                ok = self._post(url, headers, body)
                self._record(tenant_name, sub_id, ok)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

    def _post(self, url: str, headers: dict[str, str], body: bytes) -> bool:
        try:
            with requests.Session() as session:
                response = session.post(url, data=body, headers=headers, timeout=self.timeout)
                return 200 <= response.status_code < 300
        except Exception:  # any failure to deliver is a failed notification, never a crash
            return False

    def _record(self, tenant_name: str, sub_id: str, ok: bool) -> None:
        with self.store.lock:
            tenant = self.store.tenants.get(tenant_name)
            sub = tenant.subscriptions.get(sub_id) if tenant else None
            if sub is None:
                return
            notification = sub["notification"]
            now = now_iso()
            notification["timesSent"] = notification.get("timesSent", 0) + 1
            notification["lastNotification"] = now
            if ok:
                notification["lastSuccess"] = now
                notification["status"] = "ok"
            else:
                notification["lastFailure"] = now
                notification["timesFailed"] = notification.get("timesFailed", 0) + 1
                notification["status"] = "failed"


PREVIOUS = {
    "value": "previousValue",
    "object": "previousObject",
    "languageMap": "previousLanguageMap",
    "json": "previousJson",
}
DELETED = "urn:ngsi-ld:null"


def show_changes(data: dict[str, Any], change: Change, handle: ContextHandle, attrs: set[str] | None) -> None:
    """``showChanges`` (§5.2.12, NGSI-LD 1.6.1+): each attribute the request wrote carries its value
    before it (``previousValue``, ``previousObject``, ``previousLanguageMap``, ``previousJson``); an
    attribute it deleted appears with the value ``urn:ngsi-ld:null`` and its previous value, as
    Orion-LD renders deletions (FIWARE/context.Orion-LD#1389).  The rest of the entity is sent as
    it is (the notification always carries the entity, §5.3.1), without ``previous*``."""
    before = change.before or {}
    touched = (
        change.touched if change.touched is not None else changed_attributes(change.before, change.after)
    )
    earlier = compact_entity(before, handle, attrs=attrs)
    for iri in sorted(touched):
        if iri not in before or (attrs is not None and iri not in attrs):
            continue
        name = handle.compact_term(iri)
        old = earlier.get(name)
        old_by_id = {
            i.get("datasetId"): i for i in (old if isinstance(old, list) else [old]) if isinstance(i, dict)
        }
        if name not in data:
            deleted = []
            for instance in old_by_id.values():
                member = next((m for m in PREVIOUS if m in instance), "value")
                kept = {k: v for k, v in instance.items() if k in ("type", "datasetId")}
                deleted.append({**kept, "value": DELETED, PREVIOUS[member]: instance.get(member)})
            data[name] = deleted[0] if len(deleted) == 1 else deleted
            continue
        current = data[name]
        for instance in current if isinstance(current, list) else [current]:
            previous = old_by_id.get(instance.get("datasetId")) if isinstance(instance, dict) else None
            if previous is None:
                continue
            for member, marker in PREVIOUS.items():
                if member in previous:
                    instance[marker] = previous[member]


def _selects(selector: dict[str, Any], entity: dict[str, Any]) -> bool:
    """Whether a stored selector (type already an IRI) selects the entity."""
    if selector["type"] not in types_of(entity):
        return False
    if "id" in selector and entity["id"] != selector["id"]:
        return False
    return "idPattern" not in selector or re.search(selector["idPattern"], entity["id"]) is not None
