"""Declarative NGSI-LD subscriptions: load and check files, plan against a broker, apply.

A folder (``subscriptions/``) holds one subscription per ``*.jsonld``/``*.json`` file, written
with our ``@context``.  Ours are told apart from anyone else's by their id, which must start
with ``SUBSCRIPTION_ID_PREFIX``; matching is by id, so re-running ``subscribe`` is idempotent:

* ``create``    — in the folder, not on the broker: ``POST /subscriptions``;
* ``update``    — on both, and a member we declare differs: ``PATCH /subscriptions/{id}``;
* ``unchanged`` — on both, and every member we declare has the value we declare;
* ``delete``    — ours on the broker, no longer in the folder, and ``prune`` asked for.

"Differs" compares only what the file declares (a broker adds status, counters, defaults),
with entity types and attribute names compared as IRIs (a broker may return them expanded).
A member removed from a file is therefore not removed from the broker; delete the file, run
``subscribe --prune``, and put it back to start from scratch.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from pyld import jsonld

from ldt_catalog.broker.client import API_ROOT, JSON_LD, BrokerProblem, encode_id
from ldt_catalog.errors import ContextError, Diagnostic, LdtCatalogError, ReportedError
from ldt_catalog.ngsild.context import jsonld_options

SUBSCRIPTION_ID_PREFIX = "urn:ngsi-ld:Subscription:ldt-catalog:"
SUBSCRIPTIONS_PATH = f"{API_ROOT}/subscriptions"
DEFAULT_ENDPOINT = "http://127.0.0.1:8099/notify"
"""Where the shipped example notifies: ``ldt-catalog listen`` on its default port."""
PAGE_SIZE = 100
MAX_PAGES = 100

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
_ACCEPTS = ("application/json", "application/ld+json")
_FORMATS = ("normalized", "keyValues", "concise")
_READ_ONLY = (
    "status",
    "createdAt",
    "modifiedAt",
    "timesSent",
    "lastNotification",
    "lastFailure",
    "lastSuccess",
    "timesFailed",
)


class SubscriptionError(ReportedError):
    """Subscription files break a rule; one ``FILE[:LINE]: message`` per problem."""


class Client(Protocol):
    """What we need of ``ldt_catalog.broker.client.BrokerClient``."""

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        ld: bool = False,
        ok: Iterable[int] = (),
    ) -> Any: ...


@dataclass(frozen=True)
class SubscriptionFile:
    path: Path
    payload: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.payload["id"])


# -- loading and checking -------------------------------------------------------------------------


def is_ours(subscription_id: str) -> bool:
    return subscription_id.startswith(SUBSCRIPTION_ID_PREFIX)


def _http_url_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a string"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"must be an absolute http(s) URL, got {value!r}"
    return None


def check_subscription(payload: Any) -> list[str]:
    """Every rule a subscription payload breaks (the messages name the member)."""
    if not isinstance(payload, dict):
        return ["a subscription must be a JSON object"]
    problems = []
    if payload.get("type") != "Subscription":
        problems.append('"type" must be "Subscription"')
    sub_id = payload.get("id")
    if not isinstance(sub_id, str) or not _URI.match(sub_id):
        problems.append(f'"id" must be a URI, got {sub_id!r}')
    elif not is_ours(sub_id):
        problems.append(
            f'"id" must start with {SUBSCRIPTION_ID_PREFIX} (so that --prune can tell ours '
            f"from anyone else's), got {sub_id!r}"
        )
    context = payload.get("@context")
    if not (isinstance(context, str) or (isinstance(context, list) and context)):
        problems.append('"@context" must be our context: [<our terms or the LDT context URL>, <core URL>]')
    entities = payload.get("entities")
    if not isinstance(entities, list) or not entities:
        problems.append('"entities" must be a non-empty array of {"type": ...} selectors')
    else:
        for index, selector in enumerate(entities):
            if (
                not isinstance(selector, dict)
                or not isinstance(selector.get("type"), str)
                or not selector["type"]
            ):
                problems.append(f'entities[{index}] needs a "type"')
            elif "id" in selector and not (isinstance(selector["id"], str) and _URI.match(selector["id"])):
                problems.append(f"entities[{index}].id must be a URI")
            elif "idPattern" in selector:
                try:
                    re.compile(selector["idPattern"])
                except (re.error, TypeError) as exc:
                    problems.append(f"entities[{index}].idPattern is not a regular expression: {exc}")
    for member in ("watchedAttributes", "notificationTrigger"):
        if member in payload and not _names(payload[member]):
            problems.append(f'"{member}" must be a non-empty array of strings')
    if "isActive" in payload and not isinstance(payload["isActive"], bool):
        problems.append('"isActive" must be true or false')
    throttling = payload.get("throttling")
    if "throttling" in payload and (
        isinstance(throttling, bool) or not isinstance(throttling, (int, float)) or throttling < 0
    ):
        problems.append('"throttling" must be a non-negative number of seconds')
    for member in _READ_ONLY:
        if member in payload:
            problems.append(f'"{member}" is set by the broker; remove it from the file')
    problems.extend(_check_notification(payload.get("notification")))
    return problems


def _names(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v for v in value)


def _check_notification(notification: Any) -> list[str]:
    if not isinstance(notification, dict):
        return ['"notification" must be an object with an "endpoint"']
    problems = []
    endpoint = notification.get("endpoint")
    if not isinstance(endpoint, dict):
        problems.append('"notification.endpoint" must be an object with a "uri"')
    else:
        problem = _http_url_problem(endpoint.get("uri"))
        if problem:
            problems.append(f'"notification.endpoint.uri" {problem}')
        if "accept" in endpoint and endpoint["accept"] not in _ACCEPTS:
            problems.append(f'"notification.endpoint.accept" must be one of {", ".join(_ACCEPTS)}')
    if "format" in notification and notification["format"] not in _FORMATS:
        problems.append(f'"notification.format" must be one of {", ".join(_FORMATS)}')
    if "showChanges" in notification and not isinstance(notification["showChanges"], bool):
        problems.append('"notification.showChanges" must be true or false')
    if "attributes" in notification and not _names(notification["attributes"]):
        problems.append('"notification.attributes" must be a non-empty array of strings')
    return problems


def with_endpoint(payload: Mapping[str, Any], uri: str) -> dict[str, Any]:
    """A copy of ``payload`` that notifies ``uri`` instead."""
    out = json.loads(json.dumps(payload))
    out.setdefault("notification", {}).setdefault("endpoint", {})["uri"] = uri
    return dict(out)


def load_subscriptions(directory: Path, endpoint: str | None = None) -> list[SubscriptionFile]:
    """Every subscription file of ``directory`` (sorted), checked; ``SubscriptionError`` lists all problems."""
    if not directory.is_dir():
        raise SubscriptionError([Diagnostic(str(directory), "not a directory of subscription files")])
    problems: list[Diagnostic] = []
    if endpoint is not None and (problem := _http_url_problem(endpoint)):
        problems.append(Diagnostic("--endpoint", problem))
    files: list[SubscriptionFile] = []
    seen: dict[str, Path] = {}
    paths = sorted(p for p in directory.iterdir() if p.suffix in (".jsonld", ".json") and p.is_file())
    for path in paths:
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            problems.append(Diagnostic(f"{path}:{line}" if line else str(path), f"not JSON: {exc}"))
            continue
        if endpoint is not None and isinstance(payload, dict):
            payload = with_endpoint(payload, endpoint)
        found: list[str] = check_subscription(payload)
        if not found:
            try:
                _expanded_names(payload)
            except ContextError as exc:
                found.append(f'"@context" cannot be resolved locally: {exc}')
        problems.extend(Diagnostic(str(path), message) for message in found)
        if found:
            continue
        sub = SubscriptionFile(path, payload)
        if sub.id in seen:
            problems.append(
                Diagnostic(str(path), f"duplicate subscription id {sub.id} (also in {seen[sub.id]})")
            )
            continue
        seen[sub.id] = path
        files.append(sub)
    if problems:
        raise SubscriptionError(problems)
    if not files:
        raise SubscriptionError([Diagnostic(str(directory), "no subscription file (*.jsonld or *.json)")])
    return files


# -- comparing --------------------------------------------------------------------------------------


def _expand(context: Any, document: dict[str, Any]) -> list[Any]:
    try:
        result: list[Any] = jsonld.expand({"@context": context, **document}, jsonld_options())
    except jsonld.JsonLdError as exc:
        raise ContextError(str(exc)) from exc
    return result


def _expanded_names(payload: Mapping[str, Any]) -> dict[str, str]:
    """Term → IRI for every type and attribute name the subscription uses, with its own context."""
    context = payload.get("@context")
    types = {s["type"] for s in payload.get("entities", []) if isinstance(s, dict) and "type" in s}
    attributes = set(payload.get("watchedAttributes", []))
    attributes.update(payload.get("notification", {}).get("attributes", []))
    names: dict[str, str] = {}
    for term in sorted(types):
        expanded = _expand(context, {"@id": "urn:probe", "@type": term})
        names[term] = expanded[0]["@type"][0] if expanded else term
    for term in sorted(attributes):
        expanded = _expand(context, {"@id": "urn:probe", term: {"@id": "urn:probe:value"}})
        keys = [k for k in (expanded[0] if expanded else {}) if k != "@id"]
        names[term] = keys[0] if keys else term
    return names


def _normalised(payload: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The members we compare, with types and attribute names as IRIs."""

    def iri(term: Any) -> Any:
        return names.get(term, term) if isinstance(term, str) else term

    out = {k: v for k, v in payload.items() if k not in ("@context", "jsonldContext", *_READ_ONLY)}
    if isinstance(out.get("entities"), list):
        out["entities"] = [
            {**s, "type": iri(s.get("type"))} if isinstance(s, dict) else s for s in out["entities"]
        ]
    if isinstance(out.get("watchedAttributes"), list):
        out["watchedAttributes"] = sorted(iri(a) for a in out["watchedAttributes"])
    if isinstance(out.get("notificationTrigger"), list):
        out["notificationTrigger"] = sorted(out["notificationTrigger"])
    notification = out.get("notification")
    if isinstance(notification, dict) and isinstance(notification.get("attributes"), list):
        out["notification"] = {
            **notification,
            "attributes": sorted(iri(a) for a in notification["attributes"]),
        }
    return out


def differences(declared: Any, actual: Any, where: str = "") -> list[str]:
    """Paths of the members ``declared`` gives that ``actual`` does not have (broker extras ignored)."""
    if isinstance(declared, dict):
        if not isinstance(actual, dict):
            return [where or "(root)"]
        found: list[str] = []
        for key, value in declared.items():
            path = f"{where}.{key}" if where else key
            found.extend(differences(value, actual.get(key), path) if key in actual else [path])
        return found
    if isinstance(declared, list):
        if not isinstance(actual, list) or len(actual) != len(declared):
            return [where]
        return [where] if any(differences(d, a, where) for d, a in zip(declared, actual, strict=True)) else []
    return [] if declared == actual else [where]


# -- planning and applying --------------------------------------------------------------------------


@dataclass
class Action:
    kind: str
    """``create``, ``update``, ``unchanged`` or ``delete``."""
    id: str
    payload: dict[str, Any] | None = None
    source: Path | None = None
    changed: list[str] = field(default_factory=list)
    error: str | None = None

    def __str__(self) -> str:
        text = f"{self.kind:9} {self.id}"
        if self.changed:
            text += f" ({', '.join(self.changed)})"
        if self.error:
            text += f": FAILED: {self.error}"
        return text


def plan(
    desired: Sequence[SubscriptionFile], current: Iterable[Mapping[str, Any]], prune: bool = False
) -> list[Action]:
    """What to do to make the broker hold ``desired``: one action per subscription, by id."""
    on_broker = {str(s.get("id")): s for s in current}
    actions = []
    for sub in desired:
        existing = on_broker.get(sub.id)
        if existing is None:
            actions.append(Action("create", sub.id, sub.payload, sub.path))
            continue
        names = _expanded_names(sub.payload)
        changed = differences(_normalised(sub.payload, names), _normalised(existing, names))
        actions.append(Action("update" if changed else "unchanged", sub.id, sub.payload, sub.path, changed))
    if prune:
        wanted = {sub.id for sub in desired}
        actions.extend(
            Action("delete", sub_id)
            for sub_id in sorted(on_broker)
            if is_ours(sub_id) and sub_id not in wanted
        )
    return actions


def _path(subscription_id: str) -> str:
    return f"{SUBSCRIPTIONS_PATH}/{encode_id(subscription_id)}"


def fetch_subscriptions(client: Client) -> list[dict[str, Any]]:
    """Every subscription the broker holds (for the client's tenant), following pagination."""
    found: list[dict[str, Any]] = []
    for page in range(MAX_PAGES):
        response = client.request(
            "GET", SUBSCRIPTIONS_PATH, params={"limit": PAGE_SIZE, "offset": page * PAGE_SIZE}
        )
        batch = response.json()
        if not isinstance(batch, list):
            raise LdtCatalogError(
                f"GET {SUBSCRIPTIONS_PATH}: expected a JSON array, got {type(batch).__name__}"
            )
        found.extend(s for s in batch if isinstance(s, dict))
        if len(batch) < PAGE_SIZE:
            break
    return found


_LD_BODY = {"Content-Type": JSON_LD}
"""Subscriptions always travel with their own inline @context, whatever the client's context mode."""


def apply(client: Client, actions: Sequence[Action]) -> list[Action]:
    """Carry out every create, update and delete; a failure is recorded on its action, not raised.

    Only a ``BrokerProblem`` (the broker refused one subscription) is recorded; an unreachable
    broker (``BrokerUnavailable``) and anything else propagate.
    """
    for action in actions:
        try:
            if action.kind == "create":
                client.request("POST", SUBSCRIPTIONS_PATH, json_body=action.payload, headers=_LD_BODY)
            elif action.kind == "update":
                assert action.payload is not None
                fragment = {k: v for k, v in action.payload.items() if k not in ("id", "type")}
                client.request("PATCH", _path(action.id), json_body=fragment, headers=_LD_BODY)
            elif action.kind == "delete":
                client.request("DELETE", _path(action.id), ok=(404,))  # already gone is fine
        except BrokerProblem as exc:
            action.error = str(exc)
    return list(actions)


# -- status -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionStatus:
    """What a broker says about one subscription (NGSI-LD §5.2.12 members, Orion-LD's timesFailed)."""

    id: str
    status: str | None
    endpoint: str | None
    times_sent: int | None
    times_failed: int | None
    last_notification: str | None
    last_success: str | None
    last_failure: str | None
    notification_status: str | None

    @property
    def ours(self) -> bool:
        return is_ours(self.id)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> SubscriptionStatus:
        notification = payload.get("notification") if isinstance(payload.get("notification"), dict) else {}
        assert isinstance(notification, dict)

        def member(name: str) -> Any:
            return notification.get(name, payload.get(name))

        def number(name: str) -> int | None:
            value = member(name)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        def text(name: str) -> str | None:
            value = member(name)
            return str(value) if value is not None else None

        endpoint = notification.get("endpoint")
        status = payload.get("status")
        if status is None and "isActive" in payload:
            status = "active" if payload["isActive"] else "paused"
        return cls(
            id=str(payload.get("id")),
            status=str(status) if status is not None else None,
            endpoint=endpoint.get("uri") if isinstance(endpoint, dict) else None,
            times_sent=number("timesSent"),
            times_failed=number("timesFailed"),
            last_notification=text("lastNotification"),
            last_success=text("lastSuccess"),
            last_failure=text("lastFailure"),
            notification_status=text("status") if "status" in notification else None,
        )


def statuses(client: Client, everyone: bool = False) -> list[SubscriptionStatus]:
    """The broker's subscriptions (ours only unless ``everyone``), sorted by id."""
    found = [SubscriptionStatus.from_payload(s) for s in fetch_subscriptions(client)]
    return sorted((s for s in found if everyone or s.ours), key=lambda s: s.id)
