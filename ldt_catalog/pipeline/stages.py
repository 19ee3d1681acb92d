"""The one pipeline of build, validate and publish: pages → model → entities → checks, page by page.

1. **index**: every page is read and modelled alone; kept (in the store's index) are the ids and
   lines of its cluster and initiatives (for the duplicate check and to point problems at the
   source) and each initiative's names (for mentions), with the page's problems.  If any page has
   an error, every problem of every page is raised here (``CatalogError``).
2. **entities**: every page gets its mentions from the index of names; its entities and
   catalogue-view nodes are made, checked against the JSON Schemas and appended to the store.
   In memory the models of pass 1 are kept; spooled, each page is read again (its hash must be the
   one indexed, or the run stops: the page changed under it).
3. **SHACL** reads the store's entities and view nodes chunk by chunk.

Only when every check has passed is the ``Checked`` catalogue handed out; nothing is written or
sent before.  The only difference between the commands is where the catalogue lives
(``store.open_store``): in memory when it fits, spooled to a temporary folder when asked or large.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ldt_catalog.errors import CatalogError, Diagnostic, Severity, SourceRef, ValidationFailed
from ldt_catalog.model.catalog import (
    Catalog,
    Cluster,
    Initiative,
    build_catalog,
    build_page,
    duplicate_id_errors,
    mention_names,
    mention_text,
)
from ldt_catalog.model.mentions import MentionIndex, word_counts
from ldt_catalog.ngsild.entities import (
    catalog_context,
    catalog_entities,
    catalog_view,
    cluster_id,
    initiative_id,
)
from ldt_catalog.pipeline.store import CatalogStore, OrderKey, open_store
from ldt_catalog.sources import hub
from ldt_catalog.validation.checks import shacl_problems_chunked, shapes_graph, validate_entities

WORD_SAMPLE_EVERY = 50
"""One initiative text in this many feeds the word counts that pick each name's rarest word."""

LARGE_INPUT_BYTES = 64 * 1024 * 1024
"""Pages adding up to more than this (about 20,000 initiatives) are spooled rather than held."""

SHACL_IN_PROCESS_MAX = 2000
"""Up to this many entities, SHACL runs in this process (starting workers costs a second or two)."""

Progress = Callable[[str], None]
PageModels = tuple[Cluster | None, tuple[Initiative, ...]]


def display_path(path: Path) -> str:
    """The path as a person would type it: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def read_pages(paths: Sequence[Path]) -> list[hub.RawPage]:
    """Every page under ``paths`` as raw records (``CatalogError`` for missing or unreadable ones)."""
    return [hub.read_page(path, display_path=display_path(path)) for path in hub.find_pages(paths)]


def load_catalog(paths: Sequence[Path], page_base_url: str | None = None) -> Catalog:
    """The model of the pages under ``paths``, all at once and unchecked beyond the model's own
    rules (``CatalogError`` lists all problems): for small catalogues and library callers."""
    return build_catalog(read_pages(paths), page_base_url)


def should_spool(paths: Sequence[Path]) -> bool:
    """Whether the pages under ``paths`` are too large to hold the catalogue in memory."""
    return sum(page.stat().st_size for page in hub.find_pages(paths)) > LARGE_INPUT_BYTES


def shacl_workers(entities: int) -> int:
    """Worker processes for SHACL: none for a small catalogue, else one per CPU (at most 4)."""
    return min(os.cpu_count() or 1, 4) if entities > SHACL_IN_PROCESS_MAX else 0


@dataclass
class _IndexedPage:
    path: Path
    shown: str
    sha256: str
    models: PageModels | None  # kept when the catalogue is held in memory


@dataclass
class Checked:
    """The checked catalogue: its store, what each page gave, and every problem found."""

    store: CatalogStore
    pages: list[_IndexedPage]
    mentions: MentionIndex
    page_base_url: str | None = None  # where the pages are published: relative logos resolve against it
    clusters: int = 0
    initiatives: int = 0
    page_problems: list[Diagnostic] = field(default_factory=list)
    problems: list[Diagnostic] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in (*self.page_problems, *self.problems) if d.severity is Severity.WARNING]

    @property
    def entities(self) -> Sequence[dict[str, Any]]:
        """The entities in the order the pages gave them (what a broker is sent)."""
        return self.store.entities

    def entities_in_order(self) -> Iterator[dict[str, Any]]:
        """The entities clusters first, then initiatives, each by id (what the files list)."""
        return self.store.entities.in_order()

    def view_in_order(self) -> Iterator[dict[str, Any]]:
        return self.store.view_nodes.in_order()

    def locate(self, entity_id: str) -> SourceRef | None:
        """The page line an entity comes from."""
        return self.store.index.locate(entity_id)

    def page_models(self) -> Iterator[PageModels]:
        """Each page's cluster and initiatives (with their mentions), page by page."""
        for page in self.pages:
            yield page.models if page.models is not None else _model_again(page, self)

    def catalog(self) -> Catalog:
        """The whole model at once (DCAT-AP, Gaia-X and the site read it so)."""
        clusters: list[Cluster] = []
        initiatives: list[Initiative] = []
        for cluster, found in self.page_models():
            if cluster is not None:
                clusters.append(cluster)
            initiatives += found
        warnings = tuple(d for d in self.page_problems if d.severity is Severity.WARNING)
        return Catalog(tuple(clusters), tuple(initiatives), warnings)


@contextmanager
def checked_catalog(
    paths: Sequence[Path],
    *,
    spool: bool | None = None,
    shacl: bool = True,
    page_base_url: str | None = None,
    progress: Progress | None = None,
) -> Iterator[Checked]:
    """The catalogue of ``paths``, every check run; raises ``CatalogError`` or ``ValidationFailed``
    with every problem before anything is handed out.  ``spool=None`` decides by the pages' size;
    ``page_base_url`` is the URL the pages' folder is published at (relative logos resolve to it)."""
    if spool is None:
        spool = should_spool(paths)
    with open_store(spool) as store:
        try:
            checked = _index_pages(paths, store, not spool, page_base_url, progress)
            if progress:
                progress(f"indexed {len(checked.pages)} page(s): {checked.initiatives} initiative(s)")
            _make_entities(checked, progress)
            store.seal()
            if shacl:
                if progress:
                    progress(f"SHACL on {len(store.entities)} entities")
                _shacl(checked)
        except sqlite3.Error as exc:  # the disk under the spool (full, gone): not the catalogue
            raise OSError(f"the catalogue spool in {store.folder} failed: {exc}") from exc
        if checked.errors:
            raise ValidationFailed(checked.errors)
        yield checked


def _index_pages(
    paths: Sequence[Path],
    store: CatalogStore,
    keep_models: bool,
    page_base_url: str | None = None,
    progress: Progress | None = None,
) -> Checked:
    """Pass 1: every page modelled alone; ``CatalogError`` with every problem if any is an error."""
    index = store.index
    pages: list[_IndexedPage] = []
    problems: list[Diagnostic] = []
    counts: Counter[bytes] = Counter()  # from a sample of texts: which word of a name is rarest
    clusters = initiatives = 0
    page_paths = hub.find_pages(paths)
    for number, path in enumerate(page_paths, 1):
        if progress:  # "stage: done/total unit" is a count the CLI draws (cli/progress.py)
            progress(f"reading pages: {number}/{len(page_paths)} pages")
        shown = display_path(path)
        raw = hub.read_page(path, display_path=shown)
        cluster, found, page_problems = build_page(raw, page_base_url)
        pages.append(_IndexedPage(path, shown, raw.sha256, (cluster, tuple(found)) if keep_models else None))
        problems += page_problems
        if cluster is not None:
            index.add_source(cluster_id(cluster.slug), "cluster", cluster.slug, cluster.ref)
            clusters += 1
        for initiative in found:
            index.add_source(initiative_id(initiative.slug), "initiative", initiative.slug, initiative.ref)
            index.add_names(mention_names(initiative))
            initiatives += 1
            if initiatives % WORD_SAMPLE_EVERY == 1:
                counts.update(word_counts([mention_text(initiative)]))
    index.seal()
    problems += duplicate_id_errors(index.repeated("cluster"), index.repeated("initiative"))
    if any(d.severity is Severity.ERROR for d in problems):
        raise CatalogError(problems)
    mentions = MentionIndex(index.names(), counts, index.filing())
    return Checked(store, pages, mentions, page_base_url, clusters, initiatives, page_problems=problems)


def _with_mentions(initiatives: Sequence[Initiative], mentions: MentionIndex) -> tuple[Initiative, ...]:
    found = ((i, mentions.mentioned(i.slug, mention_text(i))) for i in initiatives)
    return tuple(replace(i, mentions=names) if names else i for i, names in found)


def _model_again(page: _IndexedPage, checked: Checked) -> PageModels:
    """A spooled page read and modelled again; it must be the page that was indexed."""
    raw = hub.read_page(page.path, display_path=page.shown)
    if raw.sha256 != page.sha256:
        raise CatalogError(
            [Diagnostic(page.shown, "the page changed while it was being processed; run again")]
        )
    cluster, initiatives, _ = build_page(raw, checked.page_base_url)
    return cluster, _with_mentions(initiatives, checked.mentions)


def _make_entities(checked: Checked, progress: Progress | None = None) -> None:
    """Pass 2: each page's entities and view nodes, checked against the JSON Schemas, stored."""
    store = checked.store

    def locate(entity: Mapping[str, Any]) -> str | None:
        ref = checked.locate(str(entity.get("id")))
        return str(ref) if ref else None

    for number, page in enumerate(checked.pages, 1):
        if progress:
            progress(f"entities and JSON Schema: {number}/{len(checked.pages)} pages")
        if page.models is not None:
            cluster, initiatives = page.models
            page.models = (cluster, _with_mentions(initiatives, checked.mentions))
            models = page.models
        else:
            models = _model_again(page, checked)
        cluster, initiatives = models
        part = Catalog((cluster,) if cluster is not None else (), initiatives)
        entities = list(catalog_entities(part))
        checked.problems += validate_entities(entities, locate)
        for entity in entities:
            store.add_entity(entity, _order_key(entity["id"]))
        for node in catalog_view(part)["@graph"]:
            store.view_nodes.append(node, _order_key(node["id"]))
    checked.checks.append("json-schema")


def _order_key(entity_id: str) -> OrderKey:
    # Ids are urn:ngsi-ld:<Type>:<slug>; clusters come first, then initiatives, each by slug.
    kind, _, slug = entity_id.removeprefix("urn:ngsi-ld:").partition(":")
    return (0 if kind == "Cluster" else 1, slug)


def _shacl(checked: Checked) -> None:
    store = checked.store

    def locate_node(node: Any) -> str | None:
        ref = checked.locate(str(node))
        return str(ref) if ref else None

    processes = shacl_workers(len(store.entities))
    for nodes, context, shapes in (
        (store.view_nodes, catalog_context(), "catalog.shacl.ttl"),
        (store.entities, None, "entities.shacl.ttl"),
    ):
        checked.problems += shacl_problems_chunked(
            nodes, context, shapes_graph(shapes), locate_node, processes=processes, store=store.folder
        )
    checked.checks.append("shacl")
