"""The output files of a build, written all or nothing.

Files are written to a fresh folder beside the target and swapped in only when every file is
complete, so a failed build leaves an existing output folder exactly as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from ldt_catalog.federation.config import FederationSettings
from ldt_catalog.federation.dcat import dcat_graph, dcat_jsonld, dcat_turtle
from ldt_catalog.federation.gaiax import gaiax_document
from ldt_catalog.model.catalog import Catalog
from ldt_catalog.ngsild.entities import Entity, catalog_context
from ldt_catalog.pipeline.stages import Checked
from ldt_catalog.rdf import convert, turtle

ENTITIES_JSONLD = "entities.jsonld"
ENTITIES_TTL = "entities.ttl"
CATALOG_JSONLD = "catalog.jsonld"
CATALOG_TTL = "catalog.ttl"
REPORT_JSON = "report.json"
DCAT_TTL = "dcat.ttl"
DCAT_JSONLD = "dcat.jsonld"
GAIAX_JSONLD = "gaiax.jsonld"

Writer = Callable[[IO[str]], None]


def write_entities_jsonld(entities: Iterable[Entity], out: IO[str]) -> None:
    """A JSON array, one entity per line: valid JSON, and diffs show one line per entity."""
    out.write("[")
    for index, entity in enumerate(entities):
        out.write("\n" if index == 0 else ",\n")
        out.write(json.dumps(entity, ensure_ascii=False, separators=(",", ":")))
    out.write("\n]\n")


def output_writers(checked: Checked) -> dict[str, Writer]:
    """File name → a function that writes it: the entities, the catalogue view, the report."""

    def view() -> dict[str, Any]:
        return {"@context": catalog_context(), "@graph": list(checked.view_in_order())}

    return {
        ENTITIES_JSONLD: lambda out: write_entities_jsonld(checked.entities_in_order(), out),
        ENTITIES_TTL: lambda out: turtle.write_turtle(
            convert.entity_subjects(checked.entities_in_order()), out
        ),
        CATALOG_JSONLD: lambda out: _write_json(view(), out),
        CATALOG_TTL: lambda out: turtle.write_turtle(convert.document_subjects(view()), out),
        REPORT_JSON: lambda out: _write_json(build_report(checked), out),
    }


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
    return {
        "pages": sorted(page.shown for page in checked.pages),
        "counts": {
            "clusters": checked.clusters,
            "initiatives": checked.initiatives,
            "entities": len(checked.entities),
        },
        "checks": checked.checks,
        "errors": [str(d) for d in checked.errors],
        "warnings": [str(d) for d in checked.warnings],
    }


def write_outputs(out_dir: Path, writers: Mapping[str, Writer]) -> list[Path]:
    """Write every file into a fresh folder, then swap it in place of ``out_dir``.

    If anything fails, the fresh folder is removed and ``out_dir`` is untouched.
    """
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _staging_dir(out_dir) as staging:
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
