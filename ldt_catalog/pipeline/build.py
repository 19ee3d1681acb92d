"""The build: pages → catalogue → entities → checks → output files, all or nothing.

Everything is produced and checked in memory first; files are written to a fresh directory beside
the target and swapped in only when every file is complete, so a failed build leaves an existing
output directory exactly as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ldt_catalog.cli.gc_pause import paused_gc
from ldt_catalog.errors import Diagnostic, Severity, SourceRef, ValidationFailed
from ldt_catalog.federation.config import FederationSettings
from ldt_catalog.federation.dcat import dcat_graph, dcat_jsonld, dcat_turtle
from ldt_catalog.federation.gaiax import gaiax_document
from ldt_catalog.model.catalog import Catalog, build_catalog
from ldt_catalog.ngsild.entities import Entity, catalog_entities, catalog_view, cluster_id, initiative_id
from ldt_catalog.rdf import convert as rdf
from ldt_catalog.rdf import turtle
from ldt_catalog.sources import hub
from ldt_catalog.validation.checks import shacl_problems_chunked, shapes_graph, validate_entities

ENTITIES_JSONLD = "entities.jsonld"
ENTITIES_TTL = "entities.ttl"
CATALOG_JSONLD = "catalog.jsonld"
CATALOG_TTL = "catalog.ttl"
REPORT_JSON = "report.json"
DCAT_TTL = "dcat.ttl"
DCAT_JSONLD = "dcat.jsonld"
GAIAX_JSONLD = "gaiax.jsonld"


def read_pages(paths: Sequence[Path]) -> list[hub.RawPage]:
    """Every page under ``paths`` as raw records (``CatalogError`` for missing or unreadable ones)."""
    with paused_gc():
        return [hub.read_page(path, display_path=display_path(path)) for path in hub.find_pages(paths)]


def load_catalog(paths: Sequence[Path]) -> Catalog:
    """Read every page under ``paths`` and build the catalogue (``CatalogError`` lists all problems)."""
    pages = read_pages(paths)
    with paused_gc():
        return build_catalog(pages)


def display_path(path: Path) -> str:
    """The path as a person would type it: relative to the working directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def source_index(catalog: Catalog) -> dict[str, SourceRef]:
    """Entity id → the page line it comes from, to point every later problem at the source."""
    index = {cluster_id(c.slug): c.ref for c in catalog.clusters}
    index.update({initiative_id(i.slug): i.ref for i in catalog.initiatives})
    return index


class Findings:
    """What the checks found: ``problems``, and the warnings the pages already had."""

    problems: list[Diagnostic]

    @property
    def page_warnings(self) -> Sequence[Diagnostic]:
        raise NotImplementedError

    @property
    def errors(self) -> list[Diagnostic]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [*self.page_warnings, *(p for p in self.problems if p.severity is Severity.WARNING)]


@dataclass
class Checked(Findings):
    """A catalogue with its entities and views, and every problem the checks found."""

    catalog: Catalog
    entities: list[Entity]
    view: dict[str, Any]
    problems: list[Diagnostic] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    @property
    def page_warnings(self) -> Sequence[Diagnostic]:
        return self.catalog.warnings


def check_catalog(catalog: Catalog, shacl: bool = True) -> Checked:
    """Produce entities and views, then run JSON Schema and (optionally) SHACL on them."""
    with paused_gc():
        entities = list(catalog_entities(catalog))
        view = catalog_view(catalog)
    index = source_index(catalog)
    checked = Checked(catalog, entities, view)

    def locate_entity(entity: Mapping[str, Any]) -> str | None:
        ref = index.get(str(entity.get("id")))
        return str(ref) if ref else None

    with paused_gc():
        checked.problems.extend(validate_entities(entities, locate_entity))
    checked.checks.append("json-schema")
    if shacl:

        def locate_node(node: Any) -> str | None:
            ref = index.get(str(node))
            return str(ref) if ref else None

        checked.problems.extend(shacl_check(entities, view, locate_node))
        checked.checks.append("shacl")
    return checked


SHACL_IN_PROCESS_MAX = 2000
"""Up to this many entities, SHACL runs in this process (starting workers costs a second or two)."""


def shacl_workers(entities: int) -> int:
    """Worker processes for SHACL: none for a small catalogue, else one per CPU (at most 4)."""
    return min(os.cpu_count() or 1, 4) if entities > SHACL_IN_PROCESS_MAX else 0


def shacl_check(
    entities: Sequence[Entity], view: dict[str, Any], locate: Callable[[Any], str | None] | None = None
) -> list[Diagnostic]:
    """SHACL on both RDF views, chunk by chunk: bounded memory, the diagnostics of the whole graphs.

    A large catalogue's chunks are validated in parallel worker processes.
    """
    processes = shacl_workers(len(entities))
    problems = shacl_problems_chunked(
        view["@graph"], view["@context"], shapes_graph("catalog.shacl.ttl"), locate, processes=processes
    )
    problems += shacl_problems_chunked(
        entities, None, shapes_graph("entities.shacl.ttl"), locate, processes=processes
    )
    return problems


def raise_for_errors(checked: Checked) -> None:
    if checked.errors:
        raise ValidationFailed(checked.errors)


# -- writing --------------------------------------------------------------------------------------

Writer = Callable[[IO[str]], None]


def write_entities_jsonld(entities: Iterable[Entity], out: IO[str]) -> None:
    """A JSON array, one entity per line: valid JSON, and diffs show one line per entity."""
    out.write("[")
    for index, entity in enumerate(entities):
        out.write("\n" if index == 0 else ",\n")
        out.write(json.dumps(entity, ensure_ascii=False, separators=(",", ":")))
    out.write("\n]\n")


def output_writers(checked: Checked, extra: Mapping[str, Writer] | None = None) -> dict[str, Writer]:
    """File name → a function that writes it; the standard outputs plus any extra ones."""
    entities, view = checked.entities, checked.view
    writers: dict[str, Writer] = {
        ENTITIES_JSONLD: lambda out: write_entities_jsonld(entities, out),
        ENTITIES_TTL: lambda out: turtle.write_turtle(rdf.entity_subjects(entities), out),
        CATALOG_JSONLD: lambda out: _write_json(view, out),
        CATALOG_TTL: lambda out: turtle.write_turtle(rdf.document_subjects(view), out),
        REPORT_JSON: lambda out: _write_json(build_report(checked), out),
    }
    writers.update(extra or {})
    return writers


def federation_writers(catalog: Catalog, settings: FederationSettings) -> dict[str, Writer]:
    """The DCAT-AP files, and the Gaia-X description when the settings have a Gaia-X part."""
    graph = dcat_graph(catalog, settings)

    writers: dict[str, Writer] = {
        DCAT_TTL: lambda out: dcat_turtle(graph, out),
        DCAT_JSONLD: lambda out: _write_json(dcat_jsonld(graph), out),
    }
    if settings.gaiax is not None:
        document = gaiax_document(catalog, settings)
        writers[GAIAX_JSONLD] = lambda out: _write_json(document, out)
    return writers


def _write_json(document: Any, out: IO[str]) -> None:
    json.dump(document, out, ensure_ascii=False, indent=2)
    out.write("\n")


def build_report(checked: Checked) -> dict[str, Any]:
    catalog = checked.catalog
    return {
        "pages": sorted({c.page.path for c in catalog.clusters}),
        "counts": {
            "clusters": len(catalog.clusters),
            "initiatives": len(catalog.initiatives),
            "entities": len(checked.entities),
        },
        "checks": checked.checks,
        "errors": [str(d) for d in checked.errors],
        "warnings": [str(d) for d in checked.warnings],
    }


def write_outputs(out_dir: Path, writers: Mapping[str, Writer]) -> list[Path]:
    """Write every file into a fresh directory, then swap it in place of ``out_dir``.

    If anything fails, the fresh directory is removed and ``out_dir`` is untouched.
    """
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _staging_dir(out_dir) as staging, paused_gc():
        for name, write in writers.items():
            with open(staging / name, "w", encoding="utf-8", newline="\n") as handle:
                write(handle)
        _swap_in(staging, out_dir)
    return [out_dir / name for name in writers]


@contextmanager
def _staging_dir(out_dir: Path) -> Iterator[Path]:
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    try:
        yield staging
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)


def _swap_in(staging: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``staging``; files in ``out_dir`` that we do not produce are kept."""
    if not out_dir.exists():
        os.replace(staging, out_dir)
        return
    if not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} exists and is not a directory")
    backup = out_dir.with_name(f".{out_dir.name}.old")
    if backup.exists():
        shutil.rmtree(backup)
    os.replace(out_dir, backup)
    try:
        os.replace(staging, out_dir)
    except OSError:
        os.replace(backup, out_dir)
        raise
    for item in backup.iterdir():
        if not (out_dir / item.name).exists():
            os.replace(item, out_dir / item.name)
    shutil.rmtree(backup, ignore_errors=True)
