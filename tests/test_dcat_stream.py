"""The streamed DCAT-AP writers: the same graph as the rdflib reference, written one initiative at a time.

``dcat.ttl`` and ``dcat.jsonld`` as streamed are parsed back (rdflib for Turtle, pyld offline for
JSON-LD) and compared with ``dcat_graph`` on the seed page, crafted edge cases and a generated hub;
a failing comparison prints the triples on either side.  Also: the stream pulls one item at a time,
the files are byte-identical whatever the string hash seed, ``dcterms:`` is the prefix, and a config
still holding the example's placeholders warns with its file and key.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld
from rdflib import Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from bench.generate import write_pages
from ldt_catalog.errors import Severity
from ldt_catalog.federation.config import (
    FederationConfigError,
    FederationSettings,
    load_federation_settings,
    strict_settings,
)
from ldt_catalog.federation.dcat import (
    DEFAULT_SHAPES_DIR,
    Item,
    catalog_items,
    dcat_graph,
    validate_dcat,
    write_dcat,
    write_dcat_jsonld,
    write_dcat_turtle,
)
from ldt_catalog.federation.gaiax import gaiax_document
from ldt_catalog.model.catalog import Catalog, Contact, Initiative, Link
from ldt_catalog.pipeline import stages as pipeline
from tests.factories import make_catalog, make_cluster, make_initiative
from tests.test_dcat import BASE, BROKER, EXAMPLE_CONFIG, build_catalog, config, settings
from tests.test_gaiax import gaiax_settings

REPO = Path(__file__).resolve().parent.parent


def edge_catalog() -> Catalog:
    """Initiatives the simple cases miss: shared and repeated assets, no usable asset, odd text."""
    alpha, beta, gamma = (
        make_initiative(s, n, line)
        for s, n, line in (("alpha", "Alpha", 10), ("beta", "Beta", 40), ("gamma", "Gamma", 70))
    )
    shared = "https://example.org/shared-asset"
    alpha = replace(
        alpha,
        assets=(
            Link(shared, 'Shared "tools"\nand\tmore \\ ünïcödé', alpha.ref),
            Link(shared, None, alpha.ref),  # the same asset twice, untitled: "<name>: key asset"
            Link("https://example.org/a?b=c&d=%20e#frag", "Query, fragment", alpha.ref),
            Link("mailto:someone@example.org", "Not a resource", alpha.ref),
        ),
    )
    beta = replace(
        beta,
        name="Beta \u0007 bell",
        assets=(Link(shared, "Shared by Beta", beta.ref),),
        contacts=(
            Contact(beta.ref, kind="organization", organization="Org Only"),
            Contact(beta.ref, kind="person", role="Lead"),  # no name, label ... : the initiative's name
            Contact(beta.ref, url="ftp://example.org/not-http", email="a b@example.org"),
        ),
    )
    gamma = replace(gamma, assets=(Link("../relative/asset.md", "Relative", gamma.ref),))  # no DCAT node
    return Catalog(
        clusters=(make_cluster(), make_cluster("second-cluster")), initiatives=(alpha, beta, gamma)
    )


@pytest.fixture(scope="module")
def generated_catalog(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    pages = tmp_path_factory.mktemp("hub")
    write_pages(150, pages, seed=3)
    return pipeline.load_catalog([pages])


def streamed(items: Any, fed: FederationSettings, *, reference: bool = False) -> tuple[str, str]:
    turtle_out, jsonld_out = io.StringIO(), io.StringIO()
    write_dcat(items, fed, turtle_out=turtle_out, jsonld_out=jsonld_out, reference=reference)
    return turtle_out.getvalue(), jsonld_out.getvalue()


def jsonld_graph(text: str) -> Graph:
    def refuse(url: str, options: Any = None) -> Any:
        raise AssertionError(f"network access attempted: {url}")

    nquads = jsonld.to_rdf(json.loads(text), {"format": "application/n-quads", "documentLoader": refuse})
    return Graph().parse(data=nquads, format="nt")


def assert_isomorphic(got: Graph, expected: Graph, what: str) -> None:
    if not isomorphic(got, expected):
        _, only_got, only_expected = graph_diff(to_isomorphic(got), to_isomorphic(expected))
        pytest.fail(
            f"{what} differs from the reference graph:\nonly in {what}:\n"
            + only_got.serialize(format="nt")
            + "\nonly in the reference:\n"
            + only_expected.serialize(format="nt")
        )


CATALOGS = {"seed": build_catalog, "crafted": make_catalog, "edge-cases": edge_catalog}


@pytest.mark.parametrize("broker", [False, True], ids=["without-broker", "with-broker"])
@pytest.mark.parametrize("name", [*CATALOGS, "generated-hub"])
def test_streamed_turtle_and_jsonld_are_the_reference_graph(
    name: str, broker: bool, generated_catalog: Catalog
) -> None:
    catalog = generated_catalog if name == "generated-hub" else CATALOGS[name]()
    fed = settings(broker_url=BROKER) if broker else settings()
    reference = dcat_graph(catalog, fed)
    turtle_text, jsonld_text = streamed(catalog_items(catalog), fed)
    assert_isomorphic(Graph().parse(data=turtle_text, format="turtle"), reference, "dcat.ttl")
    assert_isomorphic(jsonld_graph(jsonld_text), reference, "dcat.jsonld")
    # the reference mode of the same writers writes that graph too
    ref_turtle, ref_jsonld = streamed(catalog_items(catalog), fed, reference=True)
    assert_isomorphic(Graph().parse(data=ref_turtle, format="turtle"), reference, "dcat.ttl (reference)")
    assert_isomorphic(jsonld_graph(ref_jsonld), reference, "dcat.jsonld (reference)")


def test_settings_variants_stream_the_reference_graph() -> None:
    """Regional language tags, given dataset texts, no publisher details, no spatial, several themes."""
    data = config()
    data["publisher"] = {"name": "Bare Publisher"}
    data["catalog"] = {
        **data["catalog"],
        "title": {"de-AT": "Titel", "ga": "Teideal"},
        "themes": ["ENVI", "TECH"],
    }
    del data["catalog"]["spatial"]
    data["dataset"] = {"title": {"fr": "Jeu", "en": "Set"}, "description": "Given, not generated."}
    data["catalog"]["homepage"] = "https://home.example.org/"
    from ldt_catalog.federation.config import federation_settings_from_mapping

    fed = federation_settings_from_mapping(data, source="variant.toml")
    catalog = edge_catalog()
    turtle_text, jsonld_text = streamed(catalog_items(catalog), fed)
    reference = dcat_graph(catalog, fed)
    assert_isomorphic(Graph().parse(data=turtle_text, format="turtle"), reference, "dcat.ttl")
    assert_isomorphic(jsonld_graph(jsonld_text), reference, "dcat.jsonld")


def test_streamed_output_conforms_to_the_semic_shapes() -> None:
    turtle_text, _ = streamed(catalog_items(edge_catalog()), settings(broker_url=BROKER))
    report = validate_dcat(Graph().parse(data=turtle_text, format="turtle"), DEFAULT_SHAPES_DIR)
    assert report.conforms, report.text


def test_the_stream_pulls_one_item_at_a_time_and_writes_it_before_the_next() -> None:
    catalog = make_catalog()
    out = io.StringIO()
    pulled: list[str] = []

    def items() -> Iterator[Item]:
        yield from catalog.clusters
        for initiative in catalog.initiatives:
            pulled.append(initiative.slug)
            yield initiative
            # back here only once the writer wants the next item: this one is written already
            assert f"urn:ngsi-ld:Initiative:{initiative.slug}" in out.getvalue()

    write_dcat_turtle(items(), settings(), out)
    assert pulled == ["alpha", "beta"]
    assert out.getvalue().rstrip().endswith(".")


def test_single_file_writers_match_the_two_file_writer() -> None:
    catalog, fed = edge_catalog(), settings(broker_url=BROKER)
    both_turtle, both_jsonld = streamed(catalog_items(catalog), fed)
    turtle_out, jsonld_out = io.StringIO(), io.StringIO()
    write_dcat_turtle(catalog_items(catalog), fed, turtle_out)
    write_dcat_jsonld(iter(list(catalog_items(catalog))), fed, jsonld_out)
    assert (turtle_out.getvalue(), jsonld_out.getvalue()) == (both_turtle, both_jsonld)


def test_turtle_uses_the_dcterms_prefix_as_catalog_ttl_does() -> None:
    for reference in (False, True):
        turtle_text, jsonld_text = streamed(catalog_items(make_catalog()), settings(), reference=reference)
        assert "@prefix dcterms: <http://purl.org/dc/terms/> ." in turtle_text
        assert "dct:" not in turtle_text and '"dct:' not in jsonld_text
        assert '"dcterms:title"' in jsonld_text


_HASH_SEED_SCRIPT = """
import io, sys
from tests.factories import make_catalog
from tests.test_dcat import settings, BROKER
from ldt_catalog.federation.dcat import catalog_items, write_dcat
for reference in (False, True):
    t, j = io.StringIO(), io.StringIO()
    write_dcat(catalog_items(make_catalog()), settings(broker_url=BROKER), turtle_out=t, jsonld_out=j,
               reference=reference)
    sys.stdout.write(t.getvalue() + "\\n=====\\n" + j.getvalue() + "\\n=====\\n")
"""


def test_outputs_are_byte_identical_whatever_the_hash_seed() -> None:
    outputs = set()
    for seed in ("1", "2", "3"):
        done = subprocess.run(
            [sys.executable, "-c", _HASH_SEED_SCRIPT],
            cwd=REPO,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.add(done.stdout)
    assert len(outputs) == 1
    assert outputs.pop().count("=====") == 4


def test_jsonld_nodes_list_id_and_type_first() -> None:
    _, jsonld_text = streamed(catalog_items(make_catalog()), settings(), reference=True)
    for node in json.loads(jsonld_text)["@graph"]:
        keys = list(node)
        assert keys[0] == "@id"
        rest = [k for k in keys[1:] if k != "@type"]
        assert rest == sorted(rest), keys


# --------------------------------------------------------------------------------------------------
# The example config's placeholders


def test_example_placeholders_warn_with_file_and_key() -> None:
    loaded = load_federation_settings(EXAMPLE_CONFIG, build_date=date(2026, 1, 1))
    assert all(w.severity is Severity.WARNING for w in loaded.warnings)
    messages = [str(w) for w in loaded.warnings]
    for key in (
        "base_url",
        "publisher.name",
        "publisher.email",
        "catalog.title.en",
        "gaiax.provider.legal_name",
    ):
        assert any(
            m.startswith(f"{EXAMPLE_CONFIG}: warning: {key}: still the placeholder") for m in messages
        ), key
    assert not any(": catalog.license:" in m for m in messages)  # a real IRI, though commented EXAMPLE
    overridden = load_federation_settings(EXAMPLE_CONFIG, base_url=BASE, build_date=date(2026, 1, 1))
    assert not any(": base_url:" in str(w) for w in overridden.warnings)
    with pytest.raises(FederationConfigError) as caught:
        strict_settings(loaded)
    assert f"{EXAMPLE_CONFIG}: publisher.name: still the placeholder" in str(caught.value)
    assert len(caught.value.diagnostics) == len(loaded.warnings)


def test_own_values_do_not_warn() -> None:
    fed = settings(catalog={**config()["catalog"], "keywords": ["example", "Examples of twins"]})
    assert fed.warnings == ()
    assert strict_settings(fed) is fed
    listed = settings(catalog={**config()["catalog"], "keywords": ["fine", "EXAMPLE keyword"]})
    assert [str(w).split(": still")[0] for w in listed.warnings] == [
        "test.toml: warning: catalog.keywords[1]"
    ]


def test_gaiax_takes_a_stream_of_items_as_well_as_a_catalog() -> None:
    fed = gaiax_settings()
    catalog = edge_catalog()
    assert gaiax_document(iter(list(catalog_items(catalog))), fed) == gaiax_document(catalog, fed)


def test_an_initiative_without_usable_assets_adds_nothing() -> None:
    lonely: Initiative = replace(make_initiative("solo", "Solo", 5), assets=())
    with_it = streamed(catalog_items(Catalog((), (lonely,))), settings())[0]
    without = streamed(catalog_items(Catalog((), ())), settings())[0]
    assert with_it.replace("The 1 initiative ", "The 0 initiatives ") == without


def test_dcat_bench_reports_every_measure(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "bench/dcat_bench.py", "--n", "40", "--validate", "--json", "--work", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    run = json.loads(done.stdout.splitlines()[0])
    results = run["results"]
    assert run["n"] == 40
    assert set(results) == {"json-floor", "stream", "stream-pages", "reference", "validate"}
    assert results["validate"]["conforms"] is True
    assert results["stream"]["ttl_mb"] == results["stream-pages"]["ttl_mb"]
    assert all(figures["s"] > 0 and figures["peak_mb"] > 0 for figures in results.values())
    assert "streamed DCAT" in done.stdout and "x the JSON floor" in done.stdout
    streamed_ttl = Graph().parse(tmp_path / "out-40" / "stream" / "dcat.ttl", format="turtle")
    reference_ttl = Graph().parse(tmp_path / "out-40" / "reference" / "dcat.ttl", format="turtle")
    assert_isomorphic(streamed_ttl, reference_ttl, "the bench's streamed dcat.ttl")
