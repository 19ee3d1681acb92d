"""``ldt-catalog build`` / ``validate`` end to end: outputs, exactness, bad input, exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyoxigraph
import pytest
from pyld import jsonld

from ldt_catalog.cli import main
from ldt_catalog.ngsild.context import jsonld_options
from tests.test_rdf import assert_same_terms, turtle_as_ntriples

SEED_PAGE = "Local_Digital_Twins_Related_Initiatives.md"


@pytest.fixture(scope="module")
def seed_build(tmp_path_factory: pytest.TempPathFactory, seed_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("seed") / "dist"
    assert main(["build", str(seed_dir), "--out", str(out), "--quiet"]) == 0
    return out


def test_seed_gives_two_initiatives_and_one_cluster(seed_build: Path) -> None:
    entities = json.loads((seed_build / "entities.jsonld").read_text())
    types = sorted(entity["type"] for entity in entities)
    assert types == ["Cluster", "Initiative", "Initiative"]
    assert {e["id"] for e in entities} == {
        "urn:ngsi-ld:Cluster:local-digital-twins-related-initiatives",
        "urn:ngsi-ld:Initiative:eu-ldt-toolbox",
        "urn:ngsi-ld:Initiative:duet",
    }
    report = json.loads((seed_build / "report.json").read_text())
    assert report["counts"] == {"clusters": 1, "initiatives": 2, "entities": 3}
    assert report["errors"] == []
    assert set(report["checks"]) == {"json-schema", "shacl"}


def test_every_entity_carries_context_and_provenance(seed_build: Path) -> None:
    for entity in json.loads((seed_build / "entities.jsonld").read_text()):
        assert entity["@context"][-1] == "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.9.jsonld"
        provenance = entity["provenance"]["json"]
        assert provenance["page"] == SEED_PAGE
        assert provenance["line"] >= 1
        assert re.fullmatch(r"[0-9a-f]{64}", provenance["contentSha256"])


@pytest.mark.parametrize("stem", ["entities", "catalog"])
def test_turtle_is_isomorphic_to_pyld_of_the_jsonld_beside_it(seed_build: Path, stem: str) -> None:
    document = json.loads((seed_build / f"{stem}.jsonld").read_text())
    expected = jsonld.to_rdf(document, jsonld_options(format="application/n-quads"))
    assert_same_terms(expected, turtle_as_ntriples((seed_build / f"{stem}.ttl").read_text()))


def _catalog_terms(seed_build: Path) -> tuple[set[str], set[str]]:
    triples = pyoxigraph.parse((seed_build / "catalog.ttl").read_text(), format=pyoxigraph.RdfFormat.TURTLE)
    literals, iris = set(), set()
    for triple in triples:
        for term in (triple.subject, triple.object):
            if isinstance(term, pyoxigraph.Literal):
                literals.add(term.value)
            elif isinstance(term, pyoxigraph.NamedNode):
                iris.add(term.value)
    return literals, iris


def test_every_bullet_link_and_email_of_the_page_is_in_catalog_ttl(seed_build: Path, seed_dir: Path) -> None:
    """Read the page with plain regular expressions, independently of the importer."""
    text = (seed_dir / SEED_PAGE).read_text(encoding="utf-8")
    literals, iris = _catalog_terms(seed_build)
    bullets = [m.group(1).rstrip() for m in re.finditer(r"^- (.+)$", text, re.MULTILINE)]
    emails = re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text)
    links = [url for url in re.findall(r"\]\((https?://[^)\s]+)\)", text)]
    assert len(bullets) == 19 and emails == ["contact@ldt-toolbox.eu"] and len(links) == 8
    bullet_values = {b for b in bullets if b not in emails}
    missing_bullets = [b for b in bullet_values if b not in literals]
    assert missing_bullets == []
    assert [e for e in emails if f"mailto:{e}" not in iris] == []
    assert [url for url in links if url not in iris] == []


def test_markdown_formatting_is_kept(seed_build: Path) -> None:
    literals, _ = _catalog_terms(seed_build)
    assert any("**Policy-Ready Data as a Service (PRDaaS)**" in value for value in literals)
    assert any("citizens—offering" in value for value in literals)


def test_build_is_deterministic(tmp_path: Path, seed_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # report.json carries the time
    first, second = tmp_path / "a", tmp_path / "b"
    assert main(["build", str(seed_dir), "--out", str(first), "-q"]) == 0
    assert main(["build", str(seed_dir), "--out", str(second), "-q"]) == 0
    written = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert Path("site/index.html") in written  # the site too: clean diffs in the hub's repository
    assert written == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for path in written:
        assert (first / path).read_bytes() == (second / path).read_bytes(), path


def test_reordered_sections_keep_ids_and_entities(tmp_path: Path, seed_dir: Path) -> None:
    text = (seed_dir / SEED_PAGE).read_text(encoding="utf-8")
    head, toolbox, duet = re.split(r"(?m)^(?=## )", text)
    reordered = tmp_path / "pages"
    reordered.mkdir()
    (reordered / SEED_PAGE).write_text(head + duet.rstrip("\n") + "\n\n" + toolbox, encoding="utf-8")
    out_a, out_b = tmp_path / "a", tmp_path / "b"
    assert main(["build", str(seed_dir), "--out", str(out_a), "-q"]) == 0
    assert main(["build", str(reordered), "--out", str(out_b), "-q"]) == 0

    def comparable(out: Path) -> dict[str, dict[str, object]]:
        entities = json.loads((out / "entities.jsonld").read_text())
        for entity in entities:
            for key in ("line", "fieldLines", "contentSha256"):
                entity["provenance"]["json"].pop(key, None)
        return {entity["id"]: entity for entity in entities}

    a, b = comparable(out_a), comparable(out_b)
    assert a.keys() == b.keys()
    for entity_id in a:
        if "Initiative" in entity_id:
            assert a[entity_id] == b[entity_id]


BAD_PAGE = """\
# Broken Initiatives

Intro.

## GOOD – A Good One

**Short Description:**
Fine.

**Webpage / Reference Link:**
[https://good.example.eu](https://good.example.eu)

## NOWEB – No Webpage Here

**Short Description:**
It has no webpage.

**Main contact point:**
- contact@broken

## GOOD – Duplicate

**Short Description:**
Same acronym again.

**Webpage / Reference Link:**
https://dup.example.eu
"""


def _existing_dist(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    out = tmp_path / "dist"
    out.mkdir()
    (out / "entities.jsonld").write_text("[]\n")
    (out / "keep-me.txt").write_text("user file\n")
    return out, {p.name: p.read_bytes() for p in out.iterdir()}


def test_bad_input_lists_every_problem_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "broken.md").write_text(BAD_PAGE, encoding="utf-8")
    out, before = _existing_dist(tmp_path)
    assert main(["build", str(pages), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    path = (pages / "broken.md").as_posix()
    lines = [line for line in err.splitlines() if line.startswith(path)]
    assert any(line.startswith(f"{path}:13:") and "webpage" in line.lower() for line in lines), err
    assert any(line.startswith(f"{path}:19:") and "contact@broken" in line for line in lines), err
    assert any(line.startswith(f"{path}:21:") and "duplicate" in line.lower() for line in lines), err
    assert "nothing was written" in err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_validate_writes_nothing(tmp_path: Path, seed_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pages = tmp_path / "pages"
    shutil.copytree(seed_dir, pages)
    assert main(["validate", str(pages)]) == 0
    assert "valid: 2 initiative(s), 1 cluster(s)" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pages"]


@pytest.mark.parametrize(
    "command",
    [
        ["build", "{missing}"],
        ["validate", "{missing}"],
        ["publish", "{missing}", "--broker", "http://127.0.0.1:9"],
        ["build", "--federation", "{missing}"],
        ["listen", "--baseline", "{missing}"],
        ["subscribe", "--dir", "{missing}"],
        ["query", "webpages", "--out", "{missing}"],
    ],
)
def test_a_missing_input_path_is_a_usage_error_of_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    missing = str(tmp_path / "nope")
    with pytest.raises(SystemExit) as exit_info:
        main([part.format(missing=missing) for part in command])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"usage: ldt-catalog {command[0]} " in err
    assert f"no such file or directory: {missing}" in err
    assert [p.name for p in tmp_path.iterdir()] == []


def test_usage_errors_exit_2_with_the_commands_usage(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("build", "validate", "publish", "query", "listen", "subscribe"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--bogus"])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith(f"usage: ldt-catalog {command} "), err
        assert "unrecognized arguments: --bogus" in err
    with pytest.raises(SystemExit) as exit_info:
        main([])
    assert exit_info.value.code == 2


def test_help_documents_exit_codes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ldt_catalog", "--help"], capture_output=True, text=True, check=True
    )
    for code in ("0  success", "1  invalid input", "2  usage error", "3  publishing", "4  a resource"):
        assert code in result.stdout


EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "federation.example.toml"


@pytest.fixture(scope="module")
def federated_build(tmp_path_factory: pytest.TempPathFactory, seed_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("federated") / "dist"
    args = ["build", str(seed_dir), "--out", str(out), "-q", "--federation", str(EXAMPLE_CONFIG)]
    assert main([*args, "--base-url", "https://data.example.eu/ldt/"]) == 0
    return out


def test_federation_outputs_are_written_with_a_config(federated_build: Path) -> None:
    assert {"dcat.ttl", "dcat.jsonld", "gaiax.jsonld"} <= {p.name for p in federated_build.iterdir()}
    dcat = (federated_build / "dcat.ttl").read_text()
    assert "https://data.example.eu/ldt/entities.jsonld" in dcat


def test_dcat_turtle_is_isomorphic_to_pyld_of_dcat_jsonld(federated_build: Path) -> None:
    document = json.loads((federated_build / "dcat.jsonld").read_text())
    expected = jsonld.to_rdf(document, jsonld_options(format="application/n-quads"))
    assert_same_terms(expected, turtle_as_ntriples((federated_build / "dcat.ttl").read_text()))


def test_without_a_config_federation_outputs_are_skipped_with_a_note(
    tmp_path: Path, seed_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["build", str(seed_dir), "--out", "dist"]) == 0
    assert "dcat.ttl, dcat.jsonld and gaiax.jsonld skipped" in capsys.readouterr().err
    assert not (tmp_path / "dist" / "dcat.ttl").exists()


def test_validate_dcat_and_gaiax_on_the_seed_report_zero_violations(
    seed_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["validate", str(seed_dir), "--federation", str(EXAMPLE_CONFIG), "--dcat", "--gaiax"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "DCAT-AP 3.0.1: 0 violation(s)" in out
    assert "Gaia-X 25.11: 0 violation(s), 0 warning(s)" in out


def test_validate_dcat_without_config_is_an_error(
    tmp_path: Path, seed_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["validate", str(seed_dir), "--dcat"]) == 1
    assert "federation config" in capsys.readouterr().err
