"""SHACL chunk by chunk gives the diagnostics of the whole graph, on crafted bad catalogues.

Chunks of one node are the hardest case: every mention, cluster and shared asset crosses
a chunk boundary.  Each crafted catalogue is checked whole and in chunks of weight 1 (one node
each), 7, 20 and a million (one chunk), in this process and in two worker processes.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ldt_catalog.ngsild.entities import catalog_entities, catalog_view
from ldt_catalog.rdf import convert as rdf
from ldt_catalog.validation.checks import shacl_problems, shacl_problems_chunked, shapes_graph
from ldt_catalog.validation.chunks import chunkable
from tests.factories import make_catalog, make_cluster, make_initiative

View = dict[str, Any]


def catalog_of_five() -> tuple[View, list[dict[str, Any]]]:
    catalog = make_catalog()
    slugs = ("gamma", "delta", "epsilon")
    more = [
        make_initiative(slug, slug.title(), 100 + 30 * i, mentions=("alpha",)) for i, slug in enumerate(slugs)
    ]
    catalog = type(catalog)(
        (*catalog.clusters, make_cluster("second-cluster")), (*catalog.initiatives, *more)
    )
    return catalog_view(catalog), list(catalog_entities(catalog))


def node(view: View, slug: str) -> dict[str, Any]:
    return next(n for n in view["@graph"] if n["id"].endswith(":" + slug))


def _view_case(change: Callable[[View], None]) -> View:
    view, _ = catalog_of_five()
    change(view)
    return view


def _shared_bad_asset(view: View) -> None:
    for slug, title in (("alpha", "Shared"), ("gamma", ""), ("epsilon", "Other")):
        node(view, slug)["keyAsset"].append(
            {"id": "https://shared.example.org/toolbox", "type": "Resource", "title": title}
        )


def _duplicate(view: View) -> None:
    twin = copy.deepcopy(node(view, "beta"))
    twin["name"] = "Beta again"
    view["@graph"].append(twin)


VIEW_CASES: dict[str, Callable[[View], None]] = {
    "fine": lambda v: None,
    "dangling mention": lambda v: node(v, "gamma").update(mentions=["urn:ngsi-ld:Initiative:nowhere"]),
    "mention of a cluster": lambda v: node(v, "delta").update(
        mentions=["urn:ngsi-ld:Cluster:crafted-cluster"]
    ),
    "dangling cluster": lambda v: node(v, "alpha").update(isPartOf="urn:ngsi-ld:Cluster:nowhere"),
    "two clusters": lambda v: node(v, "beta").update(
        isPartOf=["urn:ngsi-ld:Cluster:crafted-cluster", "urn:ngsi-ld:Cluster:second-cluster"]
    ),
    "cluster part missing": lambda v: node(v, "crafted-cluster").update(
        hasPart=["urn:ngsi-ld:Initiative:ghost"]
    ),
    "no webpage": lambda v: node(v, "epsilon").pop("url"),
    "ftp webpage": lambda v: node(v, "delta").update(url=["ftp://delta.example.org"]),
    "bad e-mail": lambda v: node(v, "gamma")["contactPoint"][0].update(hasEmail="mailto:broken"),
    "empty contact": lambda v: node(v, "beta")["contactPoint"].append({"type": "Contact", "note": "x"}),
    "asset not http": lambda v: node(v, "alpha")["keyAsset"].append(
        {"id": "urn:x:asset", "type": "Resource"}
    ),
    "shared asset with an empty title": _shared_bad_asset,
    "duplicated initiative": _duplicate,
    "bad id": lambda v: node(v, "beta").update(id="urn:ngsi-ld:Initiative:Bad Id"),
    "no description": lambda v: node(v, "alpha").pop("description"),
    "line 0": lambda v: node(v, "delta").update(sourceLine=0),
}


def _entities_case(change: Callable[[list[dict[str, Any]]], None]) -> list[dict[str, Any]]:
    _, entities = catalog_of_five()
    change(entities)
    return entities


def entity(entities: list[dict[str, Any]], slug: str) -> dict[str, Any]:
    return next(e for e in entities if e["id"].endswith(":" + slug))


ENTITY_CASES: dict[str, Callable[[list[dict[str, Any]]], None]] = {
    "fine": lambda es: None,
    "no name": lambda es: entity(es, "gamma").pop("name"),
    "name as a property": lambda es: entity(es, "beta").update(name={"type": "Property", "value": "Beta"}),
    "relationship as a property": lambda es: entity(es, "delta").update(
        isPartOf={"type": "Property", "value": 1}
    ),
    "two urls": lambda es: entity(es, "alpha").update(
        url=[{"type": "JsonProperty", "json": [], "datasetId": f"urn:x:{i}"} for i in range(2)]
    ),
    "duplicated entity": lambda es: es.append(copy.deepcopy(entity(es, "epsilon"))),
    "cluster id as initiative": lambda es: entity(es, "crafted-cluster").update(type="Initiative"),
}


def assert_same(nodes: list[dict[str, Any]], context: Any, shapes_name: str) -> None:
    shapes = shapes_graph(shapes_name)
    assert chunkable(shapes)

    def locate(node: Any) -> str | None:
        return f"page.md:{len(str(node))}" if str(node).startswith("urn:") else None

    if context is None:
        whole_graph = rdf.to_graph(rdf.entity_subjects(nodes))
    else:
        whole_graph = rdf.to_graph(rdf.document_subjects({"@context": context, "@graph": nodes}))
    whole = shacl_problems(whole_graph, shapes, locate)
    for size in (1, 7, 20, 10**6):
        for processes in (0, 2) if size == 1 else (0,):
            for stored in (False, True):  # the survey in memory, then in SQLite
                with tempfile.TemporaryDirectory() as folder:
                    chunked = shacl_problems_chunked(
                        nodes,
                        context,
                        shapes,
                        locate,
                        chunk_weight=size,
                        processes=processes,
                        store=Path(folder) if stored else None,
                    )
                    assert not stored or not list(Path(folder).iterdir())  # the survey's file is gone
                assert chunked == whole, (
                    f"chunks of {size}, {processes} worker process(es), survey stored: {stored}:\n"
                    + "\n".join([f"whole:   {d}" for d in whole] + [f"chunked: {d}" for d in chunked])
                )


@pytest.mark.parametrize("case", list(VIEW_CASES))
def test_catalog_view_in_chunks_equals_whole(case: str) -> None:
    view = _view_case(VIEW_CASES[case])
    assert_same(view["@graph"], view["@context"], "catalog.shacl.ttl")


@pytest.mark.parametrize("case", list(ENTITY_CASES))
def test_entities_in_chunks_equal_whole(case: str) -> None:
    entities = _entities_case(ENTITY_CASES[case])
    assert_same(entities, None, "entities.shacl.ttl")


def test_crafted_cases_do_break_the_shapes() -> None:
    shapes = shapes_graph("catalog.shacl.ttl")
    broken = [
        c
        for c, change in VIEW_CASES.items()
        if shacl_problems(rdf.to_graph(rdf.document_subjects(_view_case(change))), shapes)
    ]
    assert len(broken) >= len(VIEW_CASES) - 2, broken


def test_shapes_outside_the_supported_set_are_not_chunked() -> None:
    import rdflib

    shapes = copy.deepcopy(shapes_graph("catalog.shacl.ttl"))
    shapes.add((rdflib.BNode(), rdflib.SH.sparql, rdflib.Literal("SELECT $this WHERE {}")))
    assert not chunkable(shapes)
