"""The benchmark harness: the generator makes valid hub pages, run.py reports every figure asked for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.generate import pages, write_pages
from ldt_catalog.pipeline import stages

ROOT = Path(__file__).resolve().parent.parent


def test_generated_hub_is_deterministic_valid_and_has_mentions(tmp_path: Path) -> None:
    assert list(pages(300, seed=5)) == list(pages(300, seed=5))
    write_pages(300, tmp_path, seed=5)
    catalog = stages.load_catalog([tmp_path])
    assert len(catalog.initiatives) == 300
    assert len(catalog.clusters) >= 1
    assert sum(bool(i.mentions) for i in catalog.initiatives) > 10
    assert all(i.description and i.key_role and len(i.key_role.bullets) == 5 for i in catalog.initiatives)
    with stages.checked_catalog([tmp_path]) as checked:
        assert checked.errors == []


def test_run_prints_one_json_object_with_the_figures(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "bench/run.py", "--n", "40", "--json", "--stages", "import,json-schema,publish", "--sample", "5",
         "--work", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    summary = json.loads(done.stdout)
    assert summary["n"] == 40
    for key in ("json_floor_s", "naive_s", "build_s"):
        assert summary[key] > 0
    assert set(summary["stages"]) == {"import", "json-schema", "publish"}
    assert summary["stages"]["publish"]["failed"] == 0
    assert summary["stages"]["publish"]["created"] == summary["stages"]["publish"]["writes"] > 40
    for figures in summary["stages"].values():
        assert figures["s"] > 0 and figures["peak_rss_mb"] > 0
    assert summary["naive"]["extrapolated"] is True
