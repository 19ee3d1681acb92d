"""JSON-LD for the test broker: context resolution, term expansion and compaction.

A broker must interpret every request with the request's @context followed by the core context
(ETSI GS CIM 009 §5.5.7): attribute names and entity types become IRIs, and responses are
compacted back with the context of the request.  Running pyld's full ``expand`` on every entity
costs about a millisecond; here pyld processes each distinct context once (``ContextHandle``) and
then expands or compacts single terms with pyld's own IRI routines (``_expand_iri`` /
``_compact_iri``, the functions its expansion and compaction algorithms call for keys and
``@type`` values), memoised per context.  ``tests/test_ngsild_broker.py`` checks that the names
come out exactly as ``jsonld.expand`` / ``jsonld.compact`` produce them.

Contexts are resolved only from the vendored files (``ldt_catalog.ngsild.context.local_document_loader``)
and from the broker's own ``/jsonldContexts`` store; any other URL is a context the broker cannot
fetch: 503 LdContextNotAvailable, as a real broker without network access would answer.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
import urllib.request
import uuid
from collections.abc import Mapping
from typing import Any

from pyld import jsonld

from ldt_catalog.errors import ContextError
from ldt_catalog.ngsild.context import CORE_CONTEXT_URL, local_document_loader
from tests.ngsild_broker.errors import NgsiError, bad_data

JSONLD_CONTEXT_REL = "http://www.w3.org/ns/json-ld#context"
CORE = CORE_CONTEXT_URL
NGSI_LD = "https://uri.etsi.org/ngsi-ld/"
PROPERTY_IRI = NGSI_LD + "Property"
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")
_LINK = re.compile(r'^\s*<([^>]*)>\s*((?:;\s*[A-Za-z*-]+\s*=\s*(?:"[^"]*"|[^;,"\s]+)\s*)*)$')
_LINK_PARAM = re.compile(r';\s*([A-Za-z*-]+)\s*=\s*(?:"([^"]*)"|([^;,"\s]+))')


def parse_link_header(values: list[str]) -> str | None:
    """The context URL of the request's ``Link`` header(s), or None without one.

    Strict like Orion-LD: every link must be a JSON-LD context link
    (``rel="http://www.w3.org/ns/json-ld#context"``, ``type="application/ld+json"``) and there may
    be only one (§6.3.5).
    """
    links: list[str] = []
    for value in values:
        links.extend(part for part in _split_links(value) if part.strip())
    if not links:
        return None
    if len(links) > 1:
        raise bad_data(f"more than one Link header value ({len(links)}); exactly one @context link allowed")
    match = _LINK.match(links[0])
    if match is None:
        raise bad_data(f"malformed Link header: {links[0]!r}")
    url = match.group(1).strip()
    params = {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _LINK_PARAM.finditer(match.group(2))
    }
    if params.get("rel") != JSONLD_CONTEXT_REL:
        raise bad_data(f'Link header rel must be "{JSONLD_CONTEXT_REL}", got {params.get("rel")!r}')
    if params.get("type") != "application/ld+json":
        raise bad_data(f'Link header type must be "application/ld+json", got {params.get("type")!r}')
    if not _ABSOLUTE_IRI.match(url):
        raise bad_data(f"Link header context {url!r} is not an absolute URL")
    return url


def _split_links(value: str) -> list[str]:
    # commas separate links, except inside <...> or quotes
    parts: list[str] = []
    current: list[str] = []
    in_angle = in_quote = False
    for char in value:
        if char == "<" and not in_quote:
            in_angle = True
        elif char == ">" and not in_quote:
            in_angle = False
        elif char == '"' and not in_angle:
            in_quote = not in_quote
        if char == "," and not in_angle and not in_quote:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def as_list(context: Any) -> list[Any]:
    """A user @context as a list of its members (URL strings and objects)."""
    if context is None:
        return []
    return list(context) if isinstance(context, list) else [context]


def effective_context(user: list[Any]) -> list[Any]:
    """The user context with the core context appended last (§5.5.7), as brokers apply it."""
    return user if user and user[-1] == CORE else [*user, CORE]


class ContextHandle:
    """One processed active context with memoised term expansion and compaction."""

    def __init__(self, user_context: list[Any], loader: Any) -> None:
        self.user_context = user_context
        self.context = effective_context(user_context)
        self._proc = jsonld.JsonLdProcessor()
        self._options = {
            "documentLoader": loader,
            "contextResolver": jsonld.ContextResolver({}, loader),
            "base": "",
            "processingMode": "json-ld-1.1",
        }
        initial = self._proc._get_initial_context(self._options)
        self._active = self._proc.process_context(initial, self.context, self._options)
        self._lock = threading.Lock()
        self._terms: dict[str, str | None] = {}
        self._types: dict[str, str | None] = {}
        self._term_names: dict[str, str] = {}
        self._type_names: dict[str, str] = {}

    def expand_term(self, term: str) -> str | None:
        """The IRI of an attribute name as pyld expands a key; None if it does not expand to one."""
        if term not in self._terms:
            with self._lock:
                mapping = self._active["mappings"].get(term)
                iri = self._proc._expand_iri(self._active, term, vocab=True)
                if mapping and mapping.get("reverse"):
                    iri = None
                self._terms[term] = iri if isinstance(iri, str) and _ABSOLUTE_IRI.match(iri) else None
        return self._terms[term]

    def expand_type(self, term: str) -> str | None:
        """The IRI of an entity type or vocab value (``@type`` / ``@vocab`` value expansion)."""
        if term not in self._types:
            with self._lock:
                iri = self._proc._expand_iri(self._active, term, vocab=True, base="")
                self._types[term] = iri if isinstance(iri, str) and _ABSOLUTE_IRI.match(iri) else None
        return self._types[term]

    def compact_term(self, iri: str) -> str:
        """The name under which pyld's compaction puts an attribute IRI."""
        name = self._term_names.get(iri)
        if name is None:
            with self._lock:
                # an NGSI-LD attribute value is a node object typed Property (or similar)
                name = self._proc._compact_iri(self._active, iri, value={"@type": [PROPERTY_IRI]}, vocab=True)
            self._term_names[iri] = name
        return name

    def compact_type(self, iri: str) -> str:
        """The term pyld's compaction gives an ``@type`` (or ``@vocab``-typed) IRI."""
        name = self._type_names.get(iri)
        if name is None:
            with self._lock:
                name = self._proc._compact_iri(self._active, iri, vocab=True)
            self._type_names[iri] = name
        return name


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def _is_loopback(url: str) -> bool:
    parsed = urllib.parse.urlsplit(url)
    return parsed.scheme == "http" and parsed.hostname in LOOPBACK_HOSTS


def _fetch_loopback_context(url: str) -> dict[str, Any]:
    """Fetch a context served on this machine, as a real broker fetches remote contexts.

    Like Stellio, a context must be served as ``application/ld+json``.  Only loopback URLs are
    fetched, so the test broker never reaches the network.
    """
    request = urllib.request.Request(url, headers={"Accept": "application/ld+json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            content_type = response.headers.get_content_type()
            if content_type != "application/ld+json":
                raise ContextError(f"{url} is served as {content_type}, not application/ld+json")
            document = json.loads(response.read())
    except (OSError, ValueError) as exc:
        raise ContextError(f"cannot fetch {url}: {exc}") from exc
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": document,
    }


class ContextRegistry:
    """One tenant's @context store (§5.13) plus the cache of processed contexts."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.hosted: dict[str, dict[str, Any]] = {}  # local id -> {"@context": ..., "kind": ..., ...}
        self._handles: dict[str, ContextHandle] = {}
        self._lock = threading.Lock()

    def url_of(self, local_id: str) -> str:
        return f"{self.base_url}/ngsi-ld/v1/jsonldContexts/{local_id}"

    def local_id_of(self, url: str) -> str | None:
        prefix = self.base_url + "/ngsi-ld/v1/jsonldContexts/"
        return url[len(prefix) :] if url.startswith(prefix) else None

    def loader(self, url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        local_id = self.local_id_of(url)
        if local_id is not None:
            entry = self.hosted.get(local_id)
            if entry is None:
                raise ContextError(f"no @context {local_id!r} in this broker's store")
            return {
                "contentType": "application/ld+json",
                "contextUrl": None,
                "documentUrl": url,
                "document": {"@context": entry["@context"]},
            }
        if _is_loopback(url):
            return _fetch_loopback_context(url)
        return local_document_loader(url, options)

    def handle(self, user_context: list[Any]) -> ContextHandle:
        """The processed context; 503 if a URL in it cannot be fetched, 400 if it is invalid."""
        key = json.dumps(user_context, sort_keys=True)
        handle = self._handles.get(key)
        if handle is not None:
            return handle
        try:
            handle = ContextHandle(user_context, self.loader)
        except jsonld.JsonLdError as exc:
            if _caused_by_fetch(exc):
                raise NgsiError(
                    "LdContextNotAvailable", f"cannot retrieve @context {user_context!r}: {_root_cause(exc)}"
                ) from exc
            raise bad_data(f"invalid @context {user_context!r}: {_root_cause(exc)}") from exc
        except Exception as exc:  # pyld raises plain errors (and warnings-as-errors) on odd input
            raise bad_data(f"invalid @context {user_context!r}: {exc}") from exc
        with self._lock:
            self._handles[key] = handle
        return handle

    def invalidate(self) -> None:
        """Forget processed contexts (after the store changed)."""
        with self._lock:
            self._handles.clear()

    def url_for_context(self, user_context: list[Any]) -> str:
        """A URL for a context, for ``Link`` headers: the URL itself, or an implicitly created entry."""
        if not user_context:
            return CORE
        if len(user_context) == 1 and isinstance(user_context[0], str):
            return user_context[0]
        with self._lock:
            for local_id, entry in self.hosted.items():
                if entry["kind"] == "ImplicitlyCreated" and entry["@context"] == user_context:
                    return self.url_of(local_id)
            local_id = f"implicit-{uuid.uuid4()}"
            self.hosted[local_id] = {"@context": user_context, "kind": "ImplicitlyCreated"}
            return self.url_of(local_id)


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or getattr(current, "cause", None) or current.__context__
    return chain


def _caused_by_fetch(exc: BaseException) -> bool:
    return any(
        isinstance(e, ContextError) or getattr(e, "code", None) == "loading remote context failed"
        for e in _causes(exc)
    )


def _root_cause(exc: BaseException) -> str:
    for cause in _causes(exc):
        if isinstance(cause, ContextError):
            return str(cause)
    return str(_causes(exc)[-1]).splitlines()[0]
