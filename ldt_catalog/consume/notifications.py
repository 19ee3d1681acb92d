"""NGSI-LD notifications: parse them into readable lines, and a small receiver to print them.

A broker POSTs a ``Notification`` (ETSI GS CIM 009 §5.3.1: ``id``, ``type``, ``subscriptionId``,
``notifiedAt``, ``data``) to the subscription's endpoint.  Its ``@context`` is inline when the
endpoint accepts ``application/ld+json`` and in a ``Link`` header for ``application/json``.
Whatever context the broker used, each entity is expanded with it (pyld) and compacted again
with ours (``entity_context()``), so that the lines always read in our terms, e.g.::

    Initiative DUET updated: description

The action comes from ``triggerReason`` (NGSI-LD 1.8) when the broker sends it, else
"updated".  The attributes listed are, in this order of preference: those the broker marks as
changed (``showChanges``: a ``previous*`` member), those whose value differs from the last one
this receiver saw for the entity (optionally seeded from ``dist/entities.jsonld``), and
otherwise every attribute the notification carries.  ``provenance`` (page, line, content hash)
changes with every content change, so it is listed only when nothing else changed.

Contexts are resolved from the vendored files (``context.local_document_loader``); a context
URL we do not vendor (a broker serves the inline context of a subscription under its own URL)
is fetched only when the receiver is told to (``fetch_contexts``); otherwise, and when no
context is sent at all, the entity's names are read as they are, which is right whenever the
broker used our context.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import IO, Any

from pyld import jsonld

from ldt_catalog.consume.httpserver import BackgroundServer
from ldt_catalog.errors import ContextError, LdtCatalogError
from ldt_catalog.ngsild.context import CORE_CONTEXT_URL, entity_context, load_context_document

JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
SYSTEM_MEMBERS = frozenset({"createdAt", "modifiedAt", "deletedAt", "instanceId"})
ENTITY_MEMBERS = (
    frozenset({"id", "type", "@context", "scope", "location", "observationSpace", "operationSpace"})
    | SYSTEM_MEMBERS
)
BOOKKEEPING = frozenset({"provenance"})
"""Attributes that change along with any content change; listed only when nothing else changed."""
ACTIONS = {
    "entityCreated": "created",
    "newlyMatching": "created",
    "entityDeleted": "deleted",
    "noLongerMatching": "deleted",
}
"""``triggerReason`` → the verb of the line; every other reason is "updated"."""


class NotificationError(LdtCatalogError):
    """A POSTed body is not an NGSI-LD notification; ``problems`` lists every rule it breaks."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class NotifiedEntity:
    """One member of ``data``, its names in our terms (when its context could be resolved)."""

    id: str
    type: str
    attributes: Mapping[str, Any]
    changed: tuple[str, ...] = ()
    """Attributes the broker marks as changed (``showChanges``), if any."""
    deleted: bool = False

    @property
    def name(self) -> str | None:
        return _text(self.attributes.get("name"))


@dataclass(frozen=True)
class Notification:
    id: str
    subscription_id: str
    notified_at: datetime
    trigger_reason: str | None
    entities: tuple[NotifiedEntity, ...]
    context: Any
    context_source: str
    """``inline`` (``@context`` in the body), ``link`` (the ``Link`` header) or ``core`` (neither)."""
    context_resolved: bool
    raw: Mapping[str, Any] = field(repr=False)


# -- context resolution ---------------------------------------------------------------------------


class ContextLoader:
    """A pyld document loader: vendored contexts, then (if allowed) contexts fetched over HTTP."""

    def __init__(self, fetch: bool = False, timeout: float = 5.0) -> None:
        self.fetch = fetch
        self.timeout = timeout
        self._cache: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def __call__(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": self.document(url),
        }

    def document(self, url: str) -> dict[str, Any]:
        try:
            return load_context_document(url)
        except ContextError:
            if not self.fetch or not re.match(r"https?://", url):
                raise
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None:
            return cached
        import requests

        try:
            response = requests.get(
                url, timeout=self.timeout, headers={"Accept": "application/ld+json, application/json"}
            )
            response.raise_for_status()
            document: dict[str, Any] = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise ContextError(f"cannot fetch JSON-LD context {url}: {exc}") from exc
        with self._lock:
            self._cache[url] = document
        return document


def link_context(link_header: str | None) -> str | None:
    """The URL of the ``rel="http://www.w3.org/ns/json-ld#context"`` link, if any."""
    for part in (link_header or "").split(","):
        match = re.match(r"\s*<([^>]*)>(.*)", part)
        if match and re.search(r'rel\s*=\s*"?' + re.escape(JSONLD_CONTEXT_REL), match.group(2)):
            return match.group(1)
    return None


def _as_context_list(context: Any) -> list[Any]:
    items = context if isinstance(context, list) else [context]
    return items if CORE_CONTEXT_URL in items else [*items, CORE_CONTEXT_URL]


def to_our_terms(entity: Mapping[str, Any], context: Any, loader: ContextLoader) -> dict[str, Any]:
    """``entity`` expanded with ``context`` and compacted with ours (``ContextError`` if unresolvable)."""
    options = {"documentLoader": loader}
    document = {**entity, "@context": _as_context_list(context)}
    try:
        expanded = jsonld.expand(document, options)
        compacted: dict[str, Any] = jsonld.compact(expanded, {"@context": entity_context()}, options)
    except jsonld.JsonLdError as exc:
        raise ContextError(f"cannot read entity {entity.get('id')} with its @context: {exc}") from exc
    compacted.pop("@context", None)
    return compacted


# -- parsing ----------------------------------------------------------------------------------------


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 date-time with a time zone (``Z`` or an offset), or ``None``."""
    if not isinstance(value, str) or not re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", value):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def check_notification(body: Any) -> list[str]:
    """Every rule of §5.3.1 the body breaks (empty when it is a notification)."""
    if not isinstance(body, dict):
        return ["the body must be a JSON object"]
    problems = []
    if body.get("type") != "Notification":
        problems.append('"type" must be "Notification"')
    for member in ("id", "subscriptionId"):
        if not isinstance(body.get(member), str) or ":" not in body[member]:
            problems.append(f'"{member}" must be a URI')
    if parse_time(body.get("notifiedAt")) is None:
        problems.append(
            f'"notifiedAt" must be an ISO 8601 date-time with a time zone, got {body.get("notifiedAt")!r}'
        )
    data = body.get("data")
    if not isinstance(data, list):
        problems.append('"data" must be an array of entities')
    else:
        for index, item in enumerate(data):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or "type" not in item:
                problems.append(f"data[{index}] must be an entity with an id and a type")
    return problems


def _changed_members(entity: Mapping[str, Any]) -> tuple[str, ...]:
    changed = []
    for key, value in entity.items():
        instances = value if isinstance(value, list) else [value]
        if any(isinstance(i, dict) and any(k.startswith("previous") for k in i) for i in instances):
            changed.append(key)
    return tuple(changed)


def parse_notification(
    body: bytes | str | Mapping[str, Any],
    *,
    link_header: str | None = None,
    loader: ContextLoader | None = None,
) -> Notification:
    """Check and read one notification; ``NotificationError`` lists every problem found."""
    if isinstance(body, (bytes, str)):
        try:
            document = json.loads(body)
        except ValueError as exc:
            raise NotificationError([f"the body is not JSON: {exc}"]) from exc
    else:
        document = dict(body)
    problems = check_notification(document)
    if problems:
        raise NotificationError(problems)
    loader = loader or ContextLoader()
    if "@context" in document:
        context, source = document["@context"], "inline"
    elif (url := link_context(link_header)) is not None:
        context, source = url, "link"
    else:
        context, source = CORE_CONTEXT_URL, "core"
    resolved = source != "core"
    entities = []
    for item in document["data"]:
        changed_raw = _changed_members(item)
        try:
            if source == "core":  # no context sent: the names are plain, read them as they are
                raise ContextError("no @context")
            ours = to_our_terms(item, context, loader)
            changed = tuple(k for k, v in ours.items() if k in _changed_members({k: v}))
        except ContextError:
            resolved, ours, changed = False, dict(item), changed_raw
        entity_type = ours.get("type", "")
        if isinstance(entity_type, list):
            entity_type = ",".join(str(t) for t in entity_type)
        attributes = {k: v for k, v in ours.items() if k not in ENTITY_MEMBERS}
        entities.append(
            NotifiedEntity(
                str(ours.get("id", item["id"])),
                str(entity_type),
                attributes,
                changed,
                deleted="deletedAt" in item,
            )
        )
    return Notification(
        id=document["id"],
        subscription_id=document["subscriptionId"],
        notified_at=parse_time(document["notifiedAt"]),  # type: ignore[arg-type]  # checked above
        trigger_reason=document.get("triggerReason")
        if isinstance(document.get("triggerReason"), str)
        else None,
        entities=tuple(entities),
        context=context,
        context_source=source,
        context_resolved=resolved,
        raw=document,
    )


# -- readable lines ---------------------------------------------------------------------------------


def _text(attribute: Any) -> str | None:
    """The English (else first) text of a name attribute in any of its forms."""
    if isinstance(attribute, list):
        attribute = attribute[0] if attribute else None
    if isinstance(attribute, str):
        return attribute
    if not isinstance(attribute, dict):
        return None
    for key in ("languageMap", "value"):
        value = attribute.get(key)
        if isinstance(value, dict) and value:
            return str(value.get("en") or next(iter(value.values())))
        if isinstance(value, str):
            return value
    return None


def _content(value: Any) -> Any:
    """An attribute without system members, for comparing two notifications of the same entity."""
    if isinstance(value, dict):
        return {
            k: _content(v)
            for k, v in value.items()
            if k not in SYSTEM_MEMBERS and not k.startswith("previous")
        }
    if isinstance(value, list):
        return [_content(v) for v in value]
    return value


class ChangeTracker:
    """Turns notifications into lines, remembering each entity's last attributes to tell what changed."""

    def __init__(self, baseline: Iterable[Mapping[str, Any]] = ()) -> None:
        self._last: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        for entity in baseline:
            attributes = {k: v for k, v in entity.items() if k not in ENTITY_MEMBERS}
            self._last[str(entity["id"])] = _content(attributes)

    @classmethod
    def from_entities(
        cls,
        entities: Iterable[Mapping[str, Any]],
        loader: ContextLoader | None = None,
    ) -> ChangeTracker:
        """Seed from entities as built (``dist/entities.jsonld``), read the way notifications are."""
        loader = loader or ContextLoader()
        return cls(to_our_terms(e, e.get("@context", CORE_CONTEXT_URL), loader) for e in entities)

    def lines(self, notification: Notification) -> list[str]:
        action = ACTIONS.get(notification.trigger_reason or "", "updated")
        out = []
        with self._lock:
            for entity in notification.entities:
                label = f"{entity.type} {entity.name or entity.id}"
                if entity.deleted or action == "deleted":
                    self._last.pop(entity.id, None)
                    out.append(f"{label} deleted")
                    continue
                current = _content(dict(entity.attributes))
                previous = self._last.get(entity.id)
                self._last[entity.id] = {**(previous or {}), **current}
                if entity.changed:
                    names = list(entity.changed)
                elif previous is not None and action != "created":
                    names = [k for k, v in current.items() if previous.get(k) != v]
                else:
                    names = list(current)
                if set(names) - BOOKKEEPING:
                    names = [n for n in names if n not in BOOKKEEPING]
                names.sort()
                out.append(f"{label} {action}: {', '.join(names)}" if names else f"{label} {action}")
        return out


# -- the receiver -----------------------------------------------------------------------------------


class NotificationReceiver(BackgroundServer):
    """An HTTP endpoint for notifications: POST (any path) → 204, or 400 with the problems found.

    Each notification is printed as readable lines to ``out`` (flushed) and kept in ``received``;
    ``wait_for(n, timeout)`` blocks until ``n`` have arrived (tests).  Loopback by default.
    """

    thread_name = "notification-receiver"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        out: IO[str] | None = None,
        tracker: ChangeTracker | None = None,
        fetch_contexts: bool = False,
        on_notification: Callable[[Notification, list[str]], None] | None = None,
    ) -> None:
        self.out = out if out is not None else sys.stdout
        self.tracker = tracker or ChangeTracker()
        self.loader = ContextLoader(fetch=fetch_contexts)
        self.on_notification = on_notification
        self.received: list[Notification] = []
        self.lines: list[str] = []
        self.rejected: list[list[str]] = []
        self._arrived = threading.Condition()
        super().__init__((host, port), _ReceiverHandler)

    @property
    def url(self) -> str:
        return f"{self.base_url}/notify"

    def accept(self, body: bytes, link_header: str | None) -> None:
        """Parse, print and keep one notification (``NotificationError`` if it is not one)."""
        try:
            notification = parse_notification(body, link_header=link_header, loader=self.loader)
        except NotificationError as exc:
            with self._arrived:
                self.rejected.append(exc.problems)
            raise
        lines = self.tracker.lines(notification)
        with self._arrived:
            for line in lines:
                print(line, file=self.out, flush=True)
            self.received.append(notification)
            self.lines.extend(lines)
            self._arrived.notify_all()
        if self.on_notification is not None:
            self.on_notification(notification, lines)

    def wait_for(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Block until at least ``count`` notifications have arrived; False on timeout."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.received) >= count, timeout)


class _ReceiverHandler(BaseHTTPRequestHandler):
    server: NotificationReceiver
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if media not in ("application/json", "application/ld+json"):
            self._problem([f"Content-Type must be application/json or application/ld+json, got {media!r}"])
            return
        try:
            self.server.accept(body, self.headers.get("Link"))
        except NotificationError as exc:
            self._problem(exc.problems)
            return
        except Exception as exc:  # a bug of ours must not look like a network failure to the broker
            print(f"ldt-catalog listen: cannot read a notification: {exc!r}", file=sys.stderr, flush=True)
            self._problem([f"internal error: {exc}"], HTTPStatus.INTERNAL_SERVER_ERROR)
            return
        self.send_response(HTTPStatus.NO_CONTENT)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:
        body = f"ldt-catalog notification receiver: {len(self.server.received)} received\n".encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _problem(self, problems: list[str], status: HTTPStatus = HTTPStatus.BAD_REQUEST) -> None:
        bad = status == HTTPStatus.BAD_REQUEST
        body = json.dumps(
            {
                "type": "https://uri.etsi.org/ngsi-ld/errors/"
                + ("BadRequestData" if bad else "InternalError"),
                "title": "not an NGSI-LD notification" if bad else "the receiver failed",
                "detail": "; ".join(problems),
            }
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/problem+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
