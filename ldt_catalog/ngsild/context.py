"""Our JSON-LD @context, the vendored ETSI core context, and a document loader that refuses the network.

Every context a JSON-LD processor may ask for while handling our data is a file under
``contexts/``; ``local_document_loader`` serves those by URL and raises ``ContextError`` for
anything else, so a build or a test can never reach out to the internet.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from ldt_catalog.errors import ContextError
from ldt_catalog.package_data import data_dir

CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld"
LDT_CONTEXT_URL = "https://w3id.org/ldt-catalog/context.jsonld"
CATALOG_CONTEXT_URL = "https://w3id.org/ldt-catalog/catalog-context.jsonld"
DATA_INTEGRITY_URL = "https://w3id.org/security/data-integrity/v2"
LDT_NAMESPACE = "https://w3id.org/ldt-catalog#"
NGSI_LD = "https://uri.etsi.org/ngsi-ld/"

# URL -> file under contexts/.  The core context is also known by its unversioned alias and by
# the v1.8 URL that Scorpio defaults to (the terms we use are the same in both).
KNOWN_CONTEXTS: Mapping[str, str] = {
    CORE_CONTEXT_URL: "ngsi-ld-core-context-v1.9.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context.jsonld": "ngsi-ld-core-context-v1.9.jsonld",
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld": "ngsi-ld-core-context-v1.9.jsonld",
    DATA_INTEGRITY_URL: "data-integrity-v2.jsonld",
    LDT_CONTEXT_URL: "ldt-context.jsonld",
    CATALOG_CONTEXT_URL: "ldt-catalog-context.jsonld",
}


def _contexts_dir() -> Path:
    try:
        return data_dir("contexts")
    except FileNotFoundError as exc:
        raise ContextError(str(exc)) from exc


def contexts_dir() -> Path:
    """The directory that holds our vendored context files."""
    return _contexts_dir()


@cache
def load_context_document(url: str) -> dict[str, Any]:
    """The parsed JSON of a known context URL; ``ContextError`` for any other URL."""
    file_name = KNOWN_CONTEXTS.get(url.split("#", 1)[0])
    if file_name is None:
        raise ContextError(
            f"refusing to fetch JSON-LD context {url!r}: only the vendored contexts "
            f"({', '.join(sorted(KNOWN_CONTEXTS))}) are resolved, never the network"
        )
    path = _contexts_dir() / file_name
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ContextError(f"{path}: cannot read context for {url}: {exc}") from exc
    return document


def ldt_term_definitions() -> dict[str, Any]:
    """Our own term definitions: the inner object of ``contexts/ldt-context.jsonld``."""
    inner: dict[str, Any] = load_context_document(LDT_CONTEXT_URL)["@context"]
    return dict(inner)


def entity_context() -> list[Any]:
    """The ``@context`` each entity carries: our terms inline, then the core context by URL.

    Inline terms mean a broker has nothing of ours to fetch; the core context comes last, as
    NGSI-LD requires, and every broker has it built in.
    """
    return [ldt_term_definitions(), CORE_CONTEXT_URL]


def local_document_loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A pyld document loader that serves the vendored contexts and refuses everything else."""
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": load_context_document(url),
    }


DocumentLoader = Callable[[str, Mapping[str, Any] | None], dict[str, Any]]


def jsonld_options(**extra: Any) -> dict[str, Any]:
    """pyld options that use the local loader; pass to ``jsonld.expand`` / ``to_rdf``."""
    options: dict[str, Any] = {"documentLoader": local_document_loader}
    options.update(extra)
    return options
