"""The catalogue checked page by page in bounded memory, for publish, then read back from a spool.

A catalogue held whole (pages, model, entities, views) takes about 30 KB per initiative: 3 GB
for 100,000.  Publish needs neither all of it at once nor twice, so it goes over the pages in
passes, each page alone:

1. **index**: every page is parsed and modelled; kept are its path and hash, the ids and lines of
   its cluster and initiatives (for the duplicate check and to point problems at the source),
   each initiative's names (for mentions) and the page's problems.  If any page has an error,
   every problem of every page is raised here (``CatalogError``), as ``build`` would list them.
2. **spool**: every page is parsed again (its hash must be the one indexed), its initiatives get
   their mentions from the index of names, and its entities and catalogue-view nodes are made,
   checked against the JSON Schemas, and appended one JSON line each to two spool files.
3. **SHACL** reads the spools chunk by chunk (``shacl_chunks``: the results of the whole graph).

Only when every check has passed are the entities handed out, read back from the spool one at a
time; nothing is sent before.  The spool lives in a temporary directory removed on exit.  The
entities are the ones ``build`` writes, in page order instead of sorted by id.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from array import array
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any, overload

from ldt_catalog.cli.gc_pause import paused_gc
from ldt_catalog.errors import CatalogError, Diagnostic, Severity, SourceRef, ValidationFailed
from ldt_catalog.model.catalog import (
    Catalog,
    build_page,
    duplicate_id_errors,
    mention_names,
    mention_text,
)
from ldt_catalog.model.mentions import MentionIndex, word_counts
from ldt_catalog.ngsild.context import entity_context
from ldt_catalog.ngsild.entities import (
    catalog_context,
    catalog_entities,
    catalog_view,
    cluster_id,
    initiative_id,
)
from ldt_catalog.pipeline.build import Findings, display_path, shacl_workers
from ldt_catalog.pipeline.index_store import IndexStore
from ldt_catalog.sources import hub
from ldt_catalog.validation.checks import shacl_problems_chunked, shapes_graph, validate_entities

WORD_SAMPLE_EVERY = 50
"""One initiative text in this many feeds the word counts that pick each name's rarest word."""


@dataclass
class _IndexedPage:
    path: Path
    shown: str
    sha256: str


@dataclass
class CatalogIndex:
    """What the first pass keeps of the whole catalogue: in memory, little per initiative."""

    store: IndexStore  # every entity id with its page line, every initiative's names, on disk
    pages: list[_IndexedPage] = field(default_factory=list)
    mentions: MentionIndex | None = None  # every initiative's names, filed in ``store``
    diagnostics: list[Diagnostic] = field(default_factory=list)
    clusters: int = 0
    initiatives: int = 0

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    def locate(self, entity_id: str) -> SourceRef | None:
        """The page line an entity comes from."""
        return self.store.locate(entity_id)


def index_pages(paths: Sequence[Path], store: IndexStore) -> CatalogIndex:
    """Pass 1: every page modelled alone; ``CatalogError`` with every problem if any is an error."""
    index = CatalogIndex(store)
    counts: Counter[bytes] = Counter()  # from a sample of texts: which word of a name is rarest
    for path in hub.find_pages(paths):
        shown = display_path(path)
        with paused_gc():
            raw = hub.read_page(path, display_path=shown)
            cluster, initiatives, problems = build_page(raw)
        index.pages.append(_IndexedPage(path, shown, raw.sha256))
        index.diagnostics += problems
        if cluster is not None:
            store.add_source(cluster_id(cluster.slug), "cluster", cluster.slug, cluster.ref)
            index.clusters += 1
        for initiative in initiatives:
            store.add_source(initiative_id(initiative.slug), "initiative", initiative.slug, initiative.ref)
            store.add_names(mention_names(initiative))
            index.initiatives += 1
            if index.initiatives % WORD_SAMPLE_EVERY == 1:
                counts.update(word_counts([mention_text(initiative)]))
    store.seal()
    index.diagnostics += duplicate_id_errors(store.repeated("cluster"), store.repeated("initiative"))
    if any(d.severity is Severity.ERROR for d in index.diagnostics):
        raise CatalogError(index.diagnostics)
    index.mentions = MentionIndex(store.names(), counts, store.filing())
    return index


# -- the spool ------------------------------------------------------------------------------------


class JsonLines(Sequence[dict[str, Any]]):
    """A file of JSON lines read as a sequence, one line at a time; only line offsets are in memory.

    ``restore`` is applied to every value read (publish spools entities without their shared
    ``@context`` and puts it back on reading, so the spool is not a copy of it per entity).
    """

    def __init__(self, path: Path, restore: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        self.path = path
        self._restore = restore
        self._offsets = array("q", [0])
        self._out: IO[bytes] | None = open(path, "wb")  # noqa: SIM115 - closed by seal()

    def append(self, value: Mapping[str, Any]) -> None:
        if self._out is None:
            raise ValueError(f"{self.path} is sealed")
        line = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        self._out.write(line)
        self._offsets.append(self._offsets[-1] + len(line))

    def seal(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return list(self._read(start, stop))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return next(self._read(index, index + 1))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._read(0, len(self))

    def _read(self, start: int, stop: int) -> Iterator[dict[str, Any]]:
        if start >= stop:
            return
        self.seal()
        with open(self.path, "rb") as handle:
            handle.seek(self._offsets[start])
            for _ in range(stop - start):
                value = json.loads(handle.readline())
                yield self._restore(value) if self._restore else value


def _with_entity_context(entity: dict[str, Any]) -> dict[str, Any]:
    entity["@context"] = entity_context()  # last, as ``entities.py`` puts it
    return entity


@dataclass
class SpooledCatalog(Findings):
    """The checked catalogue of publish: its entities on disk, and what the checks found."""

    index: CatalogIndex
    entities: JsonLines
    view_nodes: JsonLines
    problems: list[Diagnostic] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def page_warnings(self) -> Sequence[Diagnostic]:
        return self.index.warnings


def _spool_page(
    page: _IndexedPage, mentions: MentionIndex, catalog: SpooledCatalog, locate: Callable[..., str | None]
) -> None:
    """Pass 2 for one page: its entities and view nodes, checked against the JSON Schemas, spooled."""
    raw = hub.read_page(page.path, display_path=page.shown)
    if raw.sha256 != page.sha256:
        raise CatalogError(
            [Diagnostic(page.shown, "the page changed while it was being published; run publish again")]
        )
    cluster, initiatives, _ = build_page(raw)
    with_mentions = []
    for initiative in initiatives:
        found = mentions.mentioned(initiative.slug, mention_text(initiative))
        with_mentions.append(replace(initiative, mentions=found) if found else initiative)
    part = Catalog((cluster,) if cluster is not None else (), tuple(with_mentions))
    entities = list(catalog_entities(part))
    catalog.problems += validate_entities(entities, locate)
    for entity in entities:
        del entity["@context"]
        catalog.entities.append(entity)
    for node in catalog_view(part)["@graph"]:
        catalog.view_nodes.append(node)


@contextmanager
def spooled_catalog(
    paths: Sequence[Path], *, shacl: bool = True, progress: Callable[[str], None] | None = None
) -> Iterator[SpooledCatalog]:
    """The catalogue of ``paths``, checked in bounded memory; raises ``CatalogError`` or
    ``ValidationFailed`` with every problem, before anything is handed out."""
    with tempfile.TemporaryDirectory(prefix="ldt-catalog-publish-") as spool_dir:
        folder = Path(spool_dir)
        store = IndexStore(folder)
        catalog: SpooledCatalog | None = None
        try:
            try:
                index = index_pages(paths, store)
                if progress:
                    progress(f"indexed {len(index.pages)} pages: {index.initiatives} initiatives")
                catalog = SpooledCatalog(
                    index,
                    JsonLines(folder / "entities.jsonl", _with_entity_context),
                    JsonLines(folder / "view.jsonl"),
                )
                _spool_and_check(catalog, folder, shacl, progress)
            except sqlite3.Error as exc:  # the disk under the spool (full, gone): not the catalogue
                raise OSError(f"the publish spool in {folder} failed: {exc}") from exc
            if catalog.errors:
                raise ValidationFailed(catalog.errors)
            yield catalog
        finally:
            if catalog is not None:
                catalog.entities.seal()
                catalog.view_nodes.seal()
            store.close()


def _spool_and_check(
    catalog: SpooledCatalog, folder: Path, shacl: bool, progress: Callable[[str], None] | None
) -> None:
    """Pass 2 into the spool files, then SHACL over them; what they find goes to ``catalog.problems``."""
    index = catalog.index
    mentions = index.mentions
    assert mentions is not None

    def locate(entity: Mapping[str, Any]) -> str | None:
        ref = index.locate(str(entity.get("id")))
        return str(ref) if ref else None

    def locate_node(node: Any) -> str | None:
        ref = index.locate(str(node))
        return str(ref) if ref else None

    with paused_gc():
        for page in index.pages:
            _spool_page(page, mentions, catalog, locate)
    catalog.checks.append("json-schema")
    catalog.entities.seal()
    catalog.view_nodes.seal()
    if not shacl:
        return
    if progress:
        progress(f"SHACL on {len(catalog.entities)} entities")
    processes = shacl_workers(len(catalog.entities))
    for nodes, context, shapes in (
        (catalog.view_nodes, catalog_context(), "catalog.shacl.ttl"),
        (catalog.entities, None, "entities.shacl.ttl"),
    ):
        catalog.problems += shacl_problems_chunked(
            nodes, context, shapes_graph(shapes), locate_node, processes=processes, store=folder
        )
    catalog.checks.append("shacl")
