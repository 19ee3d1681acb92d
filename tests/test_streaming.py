"""Publish's streamed catalogue: the same entities, views and problems as the in-memory build."""

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
from ldt_catalog.pipeline import build as pipeline
from ldt_catalog.pipeline import spool as streaming
from ldt_catalog.pipeline.index_store import IndexStore

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed"
PAGES = ROOT / "tests" / "pages"


def _by_id(nodes: Any) -> list[dict[str, Any]]:
    return sorted(nodes, key=lambda node: str(node["id"]))


def _same_as_build(paths: list[Path]) -> streaming.CatalogIndex:
    checked = pipeline.check_catalog(pipeline.load_catalog(paths))
    with streaming.spooled_catalog(paths) as spooled:
        assert _by_id(spooled.entities) == _by_id(checked.entities)
        assert _by_id(spooled.view_nodes) == _by_id(checked.view["@graph"])
        assert [str(w) for w in spooled.warnings] == [str(w) for w in checked.warnings]
        assert spooled.checks == checked.checks == ["json-schema", "shacl"]
        folder = spooled.entities.path.parent
        assert folder.is_dir()
        index = spooled.index
        located = {e["id"]: str(index.locate(e["id"])) for e in spooled.entities}
        assert "None" not in located.values()  # every entity points at its page line
        if "urn:ngsi-ld:Initiative:duet" in located:
            assert (
                located["urn:ngsi-ld:Initiative:duet"] == "seed/Local_Digital_Twins_Related_Initiatives.md:43"
            )
    assert not folder.exists()  # the spool is removed
    return index


def test_seed_and_crafted_pages_give_the_entities_of_build() -> None:
    index = _same_as_build(
        [SEED, PAGES / "Data_Space_Initiatives.md", PAGES / "Smart_Mobility_Initiatives.md"]
    )
    assert index.clusters == 3


def test_mentions_across_pages_are_found_as_in_build(tmp_path: Path) -> None:
    write_pages(700, tmp_path, seed=3)  # several pages; one initiative in six names others
    assert len(list(tmp_path.glob("*.md"))) > 1
    with streaming.spooled_catalog([tmp_path], shacl=False) as spooled:
        mentioned = [e for e in spooled.entities if "mentions" in e]
        pages_of = {e["id"]: e["provenance"]["json"]["page"] for e in spooled.entities}
    across = [
        e
        for e in mentioned
        for m in (e["mentions"] if isinstance(e["mentions"], list) else [e["mentions"]])
        if pages_of[m["object"]] != e["provenance"]["json"]["page"]
    ]
    assert across, "the generated hub should name initiatives of other pages"
    checked = pipeline.check_catalog(pipeline.load_catalog([tmp_path]), shacl=False)
    assert sorted(str(e["id"]) for e in mentioned) == sorted(
        str(e["id"]) for e in checked.entities if "mentions" in e
    )


def test_problems_of_every_page_are_raised_as_build_lists_them(tmp_path: Path) -> None:
    shutil.copy(PAGES / "invalid" / sorted(p.name for p in (PAGES / "invalid").glob("*.md"))[0], tmp_path)
    shutil.copy(SEED / "Local_Digital_Twins_Related_Initiatives.md", tmp_path / "a.md")
    shutil.copy(SEED / "Local_Digital_Twins_Related_Initiatives.md", tmp_path / "b.md")  # duplicate ids
    with pytest.raises(CatalogError) as built:
        pipeline.load_catalog([tmp_path])
    with pytest.raises(CatalogError) as streamed, streaming.spooled_catalog([tmp_path]):
        pytest.fail("nothing may be handed out")
    assert [str(d) for d in streamed.value.diagnostics] == [str(d) for d in built.value.diagnostics]
    assert any(
        "duplicate initiative id urn:ngsi-ld:Initiative:duet" in str(d) for d in streamed.value.diagnostics
    )


def test_a_page_edited_between_the_passes_stops_the_publish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "page.md"
    shutil.copy(SEED / "Local_Digital_Twins_Related_Initiatives.md", page)
    real = streaming.index_pages

    def index_then_edit(paths: Any, store: Any) -> streaming.CatalogIndex:
        index = real(paths, store)
        page.write_text(page.read_text(encoding="utf-8") + "\nAn edit.\n", encoding="utf-8")
        return index

    monkeypatch.setattr(streaming, "index_pages", index_then_edit)
    changed = pytest.raises(CatalogError, match="changed while it was being published")
    with changed, streaming.spooled_catalog([tmp_path]):
        pytest.fail("nothing may be handed out")


def test_shacl_violations_stop_before_anything_is_handed_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
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
    monkeypatch.setattr(streaming, "shapes_graph", lambda name: strict)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the spool goes
    with pytest.raises(ValidationFailed) as failed, streaming.spooled_catalog([SEED]):
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
    lines = streaming.JsonLines(tmp_path / "x.jsonl", restore=lambda v: {**v, "back": True})
    values = [{"id": f"urn:x:{i}", "text": "é\n" * i} for i in range(5)]
    for value in values:
        lines.append(value)
    assert len(lines) == 5
    assert lines[0] == {**values[0], "back": True}
    assert lines[-1]["id"] == "urn:x:4"
    assert [v["id"] for v in lines[1:4]] == ["urn:x:1", "urn:x:2", "urn:x:3"]
    assert [v["id"] for v in lines[::2]] == ["urn:x:0", "urn:x:2", "urn:x:4"]
    assert [v["text"] for v in lines] == [v["text"] for v in values]
    with pytest.raises(IndexError):
        lines[5]
    with pytest.raises(ValueError, match="sealed"):
        lines.append({"id": "late"})


def test_a_failing_spool_database_is_reported_as_a_disk_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    def full(*_: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(IndexStore, "add_names", full)
    failed = pytest.raises(OSError, match=r"publish spool .* failed: database or disk is full")
    with failed, streaming.spooled_catalog([SEED]):
        pytest.fail("nothing may be handed out")
