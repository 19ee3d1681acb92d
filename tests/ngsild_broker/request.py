"""Requests and responses of the test broker, and the content negotiation rules of §6.3.

* ``Content-Type`` of a body must be ``application/json`` or ``application/ld+json`` (415 otherwise).
* ``application/ld+json``: the body (each entity of a batch) must carry ``@context`` and a
  ``Link`` context header is forbidden (§6.3.5) - 400.
* ``application/json``: ``@context`` in the body is forbidden - 400; the context comes from an
  optional ``Link`` header (exactly one, proper ``rel`` and ``type``).
* ``Accept``: ``application/json`` (default, also ``*/*``) or ``application/ld+json``; else 406.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.message import Message
from typing import Any
from urllib.parse import parse_qs

from tests.ngsild_broker.errors import NgsiError, bad_data, invalid
from tests.ngsild_broker.jsonld import as_list, parse_link_header

JSON = "application/json"
JSON_LD = "application/ld+json"


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: Message
    body: bytes
    params: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        try:
            self.params = parse_qs(self.query, keep_blank_values=True, strict_parsing=False)
        except ValueError as exc:
            raise invalid(f"bad query string: {exc}") from exc

    @property
    def tenant(self) -> str:
        return (self.headers.get("NGSILD-Tenant") or "").strip()

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        if not values:
            return None
        if len(values) > 1:
            raise bad_data(f"URI parameter {name!r} given {len(values)} times")
        return values[0]

    def options(self) -> set[str]:
        raw = self.param("options")
        return {o.strip() for o in raw.split(",") if o.strip()} if raw else set()

    def link_context(self) -> list[Any]:
        """The user context of the ``Link`` header (empty list: core only)."""
        url = parse_link_header(self.headers.get_all("Link") or [])
        return [url] if url else []

    def media_type(self) -> str:
        raw = self.headers.get("Content-Type")
        if not raw:
            raise NgsiError(
                "InvalidRequest",
                "a request body needs a Content-Type (application/json or application/ld+json)",
                status=415,
                title="Unsupported Media Type",
            )
        media = raw.split(";")[0].strip().lower()
        if media not in (JSON, JSON_LD):
            raise NgsiError(
                "InvalidRequest",
                f"Content-Type {raw!r} is not supported; use application/json or application/ld+json",
                status=415,
                title="Unsupported Media Type",
            )
        return media

    def json_body(self) -> Any:
        if not self.body.strip():
            raise invalid("the request needs a JSON body")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise invalid(f"the body is not valid JSON: {exc}") from exc

    def document(self) -> tuple[Any, list[Any]]:
        """The JSON body of an object-payload request and its user context (§6.3.5)."""
        media = self.media_type()
        body = self.json_body()
        if not isinstance(body, dict):
            raise bad_data("the body must be a JSON object")
        return body, self._context_of(body, media, self.link_context() if media == JSON else None)

    def documents(self) -> tuple[list[Any], list[list[Any]]]:
        """The JSON array body of a batch and, per member, its user context."""
        media = self.media_type()
        body = self.json_body()
        if not isinstance(body, list):
            raise bad_data("a batch operation needs a JSON array")
        link = self.link_context() if media == JSON else None
        return body, [
            self._context_of(item, media, link) if isinstance(item, dict) else (link or []) for item in body
        ]

    def _context_of(self, item: dict[str, Any], media: str, link: list[Any] | None) -> list[Any]:
        if media == JSON_LD:
            if self.headers.get_all("Link"):
                raise bad_data(
                    "with Content-Type application/ld+json the @context must be in the body; "
                    "a Link context header is not allowed"
                )
            if "@context" not in item:
                raise bad_data(
                    f"Content-Type application/ld+json but no @context in the payload "
                    f"(id {item.get('id', '?')!r})"
                )
            return as_list(item["@context"])
        if "@context" in item:
            raise bad_data(
                "with Content-Type application/json the payload must not contain @context "
                "(use a Link header, or application/ld+json)"
            )
        return link or []

    def accept(self) -> str:
        """The response media type from ``Accept`` (406 when neither JSON nor JSON-LD is acceptable)."""
        raw = self.headers.get("Accept")
        if not raw:
            return JSON
        ranges = []
        for position, part in enumerate(raw.split(",")):
            media, *params = (p.strip() for p in part.split(";"))
            weight = 1.0
            for param in params:
                if param.startswith("q="):
                    try:
                        weight = float(param[2:])
                    except ValueError:
                        weight = 0.0
            ranges.append((-weight, position, media.lower()))
        for weight, _, media in sorted(ranges):
            if weight == 0:
                continue
            if media in (JSON, JSON_LD):
                return media
            if media in ("*/*", "application/*"):
                return JSON
        raise NgsiError(
            "InvalidRequest",
            f"cannot produce any of Accept: {raw!r} (only application/json and application/ld+json)",
            status=406,
            title="Not Acceptable",
        )


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = JSON
