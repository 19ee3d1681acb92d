"""The pieces of the pipeline that the benchmark times one by one, under the names it uses."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ldt_catalog.cli.gc_pause import paused_gc
from ldt_catalog.errors import Diagnostic
from ldt_catalog.federation.config import FederationSettings
from ldt_catalog.federation.dcat import catalog_items, write_dcat_jsonld, write_dcat_turtle
from ldt_catalog.model.catalog import Catalog
from ldt_catalog.ngsild.entities import Entity
from ldt_catalog.pipeline.outputs import Writer, write_entities_jsonld
from ldt_catalog.pipeline.stages import read_pages, shacl_workers
from ldt_catalog.validation.checks import shacl_problems_chunked, shapes_graph

__all__ = [
    "federation_writers",
    "paused_gc",
    "read_pages",
    "shacl_check",
    "shacl_workers",
    "write_entities_jsonld",
]


def shacl_check(entities: Sequence[Entity], view: dict[str, Any]) -> list[Diagnostic]:
    """SHACL on both RDF views, as the pipeline's SHACL stage runs it."""
    processes = shacl_workers(len(entities))
    problems = shacl_problems_chunked(
        view["@graph"], view["@context"], shapes_graph("catalog.shacl.ttl"), processes=processes
    )
    return problems + shacl_problems_chunked(
        entities, None, shapes_graph("entities.shacl.ttl"), processes=processes
    )


def federation_writers(catalog: Catalog, settings: FederationSettings) -> dict[str, Writer]:
    """The DCAT-AP files of a catalogue held in memory, streamed as the pipeline writes them."""
    return {
        "dcat.ttl": lambda out: write_dcat_turtle(catalog_items(catalog), settings, out),
        "dcat.jsonld": lambda out: write_dcat_jsonld(catalog_items(catalog), settings, out),
    }
