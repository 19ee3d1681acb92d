"""The one pipeline of build, validate and publish, with the catalogue in memory and spooled."""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
import rdflib

from bench.generate import write_pages
from ldt_catalog.errors import CatalogError, ValidationFailed
from ldt_catalog.model.catalog import Catalog
from ldt_catalog.ngsild.entities import catalog_entities, catalog_view
from ldt_catalog.pipeline import stages
from ldt_catalog.pipeline.index_store import IndexStore
from ldt_catalog.pipeline.store import JsonLines

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed"
PAGES = ROOT / "tests" / "pages"

both_stores = pytest.mark.parametrize("spool", [False, True], ids=["memory", "spool"])


def _whole(paths: list[Path]) -> tuple[list[Any], list[Any], Catalog]:
    """The model built all at once, and its entities and view: what the stages must equal."""
    catalog = stages.load_catalog(paths)
    return list(catalog_entities(catalog)), catalog_view(catalog)["@graph"], catalog


@both_stores
def test_seed_and_crafted_pages_give_the_whole_catalogues_entities(spool: bool) -> None:
    paths = [SEED, PAGES / "Data_Space_Initiatives.md", PAGES / "Smart_Mobility_Initiatives.md"]
    entities, view, catalog = _whole(paths)
    with stages.checked_catalog(paths, spool=spool) as checked:
        assert list(checked.entities_in_order()) == entities
        assert list(checked.view_in_order()) == view
        assert [str(w) for w in checked.warnings] == [str(w) for w in catalog.warnings]
        assert checked.checks == ["json-schema", "shacl"]
        assert checked.clusters == 3
        assert checked.catalog() == catalog
        folder = checked.store.folder
        assert (folder is not None) == spool
        located = {e["id"]: str(checked.locate(e["id"])) for e in checked.entities}
        assert "None" not in located.values()  # every entity points at its page line
        assert located["urn:ngsi-ld:Initiative:duet"] == "seed/Local_Digital_Twins_Related_Initiatives.md:43"
    if folder is not None:
        assert not folder.exists()  # the spool is removed


@both_stores
def test_mentions_across_pages_are_found_as_in_the_whole_catalogue(tmp_path: Path, spool: bool) -> None:
    write_pages(700, tmp_path, seed=3)  # several pages; one initiative in six names others
    assert len(list(tmp_path.glob("*.md"))) > 1
    with stages.checked_catalog([tmp_path], shacl=False, spool=spool) as checked:
        mentioned = [e for e in checked.entities if "mentions" in e]
        pages_of = {e["id"]: e["provenance"]["json"]["page"] for e in checked.entities}
        in_order = list(checked.entities_in_order())
    across = [
        e
        for e in mentioned
        for m in (e["mentions"] if isinstance(e["mentions"], list) else [e["mentions"]])
        if pages_of[m["object"]] != e["provenance"]["json"]["page"]
    ]
    assert across, "the generated hub should name initiatives of other pages"
    entities, _, _ = _whole([tmp_path])
    assert in_order == entities


@both_stores
def test_problems_of_every_page_are_raised_at_once(tmp_path: Path, spool: bool) -> None:
    shutil.copy(PAGES / "invalid" / sorted(p.name for p in (PAGES / "invalid").glob("*.md"))[0], tmp_path)
    shutil.copy(SEED / "Local_Digital_Twins_Related_Initiatives.md", tmp_path / "a.md")
    shutil.copy(SEED / "Local_Digital_Twins_Related_Initiatives.md", tmp_path / "b.md")  # duplicate ids
    with pytest.raises(CatalogError) as built:
        stages.load_catalog([tmp_path])
    with pytest.raises(CatalogError) as streamed, stages.checked_catalog([tmp_path], spool=spool):
        pytest.fail("nothing may be handed out")
    assert [str(d) for d in streamed.value.diagnostics] == [str(d) for d in built.value.diagnostics]
    assert any(
        "duplicate initiative id urn:ngsi-ld:Initiative:duet" in str(d) for d in streamed.value.diagnostics
    )


def test_a_page_edited_between_the_passes_stops_a_spooled_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "page.md"
    shutil.copy(SEED / "Local_Digital_Twins_Related_Initiatives.md", page)
    real = stages._index_pages

    def index_then_edit(
        paths: Any, store: Any, keep_models: bool, page_base_url: Any = None, progress: Any = None
    ) -> stages.Checked:
        checked = real(paths, store, keep_models, page_base_url, progress)
        page.write_text(page.read_text(encoding="utf-8") + "\nAn edit.\n", encoding="utf-8")
        return checked

    monkeypatch.setattr(stages, "_index_pages", index_then_edit)
    changed = pytest.raises(CatalogError, match="changed while it was being processed")
    with changed, stages.checked_catalog([tmp_path], spool=True):
        pytest.fail("nothing may be handed out")


@both_stores
def test_shacl_violations_stop_before_anything_is_handed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spool: bool
) -> None:
    strict = rdflib.Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ngsi-ld: <https://uri.etsi.org/ngsi-ld/> .
        <urn:test:NeedsLocation> a sh:NodeShape ;
            sh:targetClass <https://schema.org/Project> ;
            sh:property [ sh:path ngsi-ld:location ; sh:minCount 1 ] .
        """,
        format="turtle",
    )
    monkeypatch.setattr(stages, "shapes_graph", lambda name: strict)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the spool goes
    with pytest.raises(ValidationFailed) as failed, stages.checked_catalog([SEED], spool=spool):
        pytest.fail("nothing may be handed out")
    page = "seed/Local_Digital_Twins_Related_Initiatives.md"
    # each initiative once per view (the catalogue view and the entities), at its heading's line
    assert sorted(str(d) for d in failed.value.diagnostics) == sorted(
        f"{page}:{line}: <urn:ngsi-ld:Initiative:{slug}>: ngsi-ld:location: Less than 1 values on "
        f"<urn:ngsi-ld:Initiative:{slug}>->ngsi-ld:location"
        for line, slug in ((6, "eu-ldt-toolbox"), (43, "duet"))
        for _ in range(2)
    )
    assert list(tmp_path.iterdir()) == []


def test_json_lines_is_a_sequence_read_from_disk(tmp_path: Path) -> None:
    lines = JsonLines(tmp_path / "x.jsonl", restore=lambda v: {**v, "back": True})
    values = [{"id": f"urn:x:{i}", "text": "é\n" * i} for i in range(5)]
    for i, value in enumerate(values):
        lines.append(value, (i % 2, f"{5 - i}"))
    assert len(lines) == 5
    assert lines[0] == {**values[0], "back": True}
    assert lines[-1]["id"] == "urn:x:4"
    assert [v["id"] for v in lines[1:4]] == ["urn:x:1", "urn:x:2", "urn:x:3"]
    assert [v["id"] for v in lines[::2]] == ["urn:x:0", "urn:x:2", "urn:x:4"]
    assert [v["text"] for v in lines] == [v["text"] for v in values]
    with pytest.raises(IndexError):
        lines[5]
    assert [v["id"] for v in lines.in_order()] == ["urn:x:4", "urn:x:2", "urn:x:0", "urn:x:3", "urn:x:1"]
    with pytest.raises(ValueError, match="sealed"):
        lines.append({"id": "late"}, (0, ""))


def test_a_failing_spool_database_is_reported_as_a_disk_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(IndexStore, "add_names", full)
    failed = pytest.raises(OSError, match=r"catalogue spool .* failed: database or disk is full")
    with failed, stages.checked_catalog([SEED], spool=True):
        pytest.fail("nothing may be handed out")
