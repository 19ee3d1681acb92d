"""Benchmark of the DCAT-AP export: streamed vs the rdflib reference, against the JSON floor.

    python bench/dcat_bench.py --n 10000 --n 100000
    python bench/dcat_bench.py --n 10000 --validate     # also the SEMIC shapes check (pySHACL)

For each N the hub comes from ``bench/generate.py`` (seeded), and each measure runs in a fresh
child process, as ``bench/run.py`` does: the child makes its input untimed, resets the kernel's
peak-RSS mark (``/proc/self/clear_refs``), runs the measure alone and reports wall time, CPU time,
the RSS when it started (``input MB``) and the peak (``VmHWM``).  ``growth MB`` is the peak beyond
the input: what the measure itself holds.

* ``json-floor``: ``json.loads`` + ``json.dumps`` of the catalogue's NGSI-LD entities (GC paused);
* ``stream``: ``dcat.ttl`` + ``dcat.jsonld`` written in one pass by the streamed writer, from the
  catalogue held in memory (its input, as the build has it);
* ``stream-pages``: the same, fed page by page from the files (read, model, DCAT, next page), so
  nothing but one page is held: its whole peak is what a streamed pipeline would need;
* ``reference``: the rdflib ``Graph`` and its serializations, at N <= ``--reference-max`` only
  (10,000 by default; about 1,000 initiatives/s and several GB at 100k);
* ``validate`` (with ``--validate``, same limit): the reference graph checked against the SEMIC
  DCAT-AP 3.0.1 shapes (``validate_dcat``), graph building excluded.

The GC is paused in every timed step, as the build runs its stages.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.run import _reset_peak, _status  # noqa: E402  (after the path is set)

MEASURES = ("json-floor", "stream", "stream-pages", "reference", "validate")
TARGET_VS_FLOOR = 3.0


def _settings() -> Any:
    from ldt_catalog.federation.config import load_federation_settings

    return load_federation_settings(ROOT / "federation.example.toml", build_date=date(2026, 1, 1))


def _catalog(pages_dir: Path) -> Any:
    from ldt_catalog.cli.gc_pause import paused_gc
    from ldt_catalog.model.catalog import build_catalog
    from ldt_catalog.pipeline.stages import read_pages

    pages = read_pages([pages_dir])
    with paused_gc():
        return build_catalog(pages)


def _page_items(pages_dir: Path) -> Iterator[Any]:
    """Clusters and initiatives page by page: only the current page is held."""
    from ldt_catalog.model.catalog import build_page
    from ldt_catalog.sources import hub

    for path in hub.find_pages([pages_dir]):
        cluster, initiatives, _ = build_page(hub.read_page(path))
        if cluster is not None:
            yield cluster
        yield from initiatives


def _write_both(items: Any, out: Path, reference: bool) -> dict[str, Any]:
    from ldt_catalog.federation.dcat import write_dcat

    ttl, jsonld = out / "dcat.ttl", out / "dcat.jsonld"
    with (
        ttl.open("w", encoding="utf-8", newline="\n") as t,
        jsonld.open("w", encoding="utf-8", newline="\n") as j,
    ):
        write_dcat(items, _settings(), turtle_out=t, jsonld_out=j, reference=reference)
    return {"ttl_mb": round(ttl.stat().st_size / 1e6, 1), "jsonld_mb": round(jsonld.stat().st_size / 1e6, 1)}


def _prepare(name: str, pages_dir: Path, out: Path) -> Callable[[], dict[str, Any]]:
    """The measure to time, its input made (untimed)."""
    from ldt_catalog.cli.gc_pause import paused_gc

    if name == "stream-pages":
        return lambda: _write_both(_page_items(pages_dir), out / "pages", reference=False)
    catalog = _catalog(pages_dir)
    if name == "json-floor":
        from ldt_catalog.ngsild.entities import catalog_entities

        with paused_gc():
            text = json.dumps(list(catalog_entities(catalog)), ensure_ascii=False, separators=(",", ":"))
        del catalog

        def floor() -> dict[str, Any]:
            json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
            return {"mb": round(len(text) / 1e6)}

        return floor
    if name in ("stream", "reference"):
        from ldt_catalog.federation.dcat import catalog_items

        return lambda: _write_both(catalog_items(catalog), out / name, reference=name == "reference")
    if name == "validate":
        from ldt_catalog.federation.dcat import DEFAULT_SHAPES_DIR, dcat_graph, validate_dcat
        from ldt_catalog.validation.shacl import load_rdf_files

        with paused_gc():
            graph = dcat_graph(catalog, _settings())
        load_rdf_files(DEFAULT_SHAPES_DIR, ("shapes.ttl",))  # the shapes' parsing is not the check

        def validate() -> dict[str, Any]:
            report = validate_dcat(graph, DEFAULT_SHAPES_DIR)
            return {"conforms": report.conforms, "triples": len(graph)}

        return validate
    raise ValueError(f"unknown measure {name!r}")


def child(name: str, pages_dir: Path, out: Path) -> dict[str, Any]:
    from ldt_catalog.cli.gc_pause import paused_gc

    for sub in ("pages", "stream", "reference"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    run = _prepare(name, pages_dir, out)
    base = _status("VmRSS")
    exact = _reset_peak()
    cpu, wall = time.process_time(), time.perf_counter()
    with paused_gc():
        extra = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"s": wall, "cpu_s": cpu, "input_mb": base, "peak_mb": _status("VmHWM"), "exact": exact, **extra}


def run_child(name: str, pages_dir: Path, out: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", name, "--pages", str(pages_dir), "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(
    n: int, work: Path, seed: int, reference_max: int, validate: bool, only: set[str] | None = None
) -> dict[str, Any]:
    from bench.generate import write_pages

    pages_dir, out = work / f"pages-{n}", work / f"out-{n}"
    if not pages_dir.is_dir():
        write_pages(n, pages_dir, seed)
    names = ["json-floor", "stream", "stream-pages"]
    if n <= reference_max:
        names.append("reference")
        if validate:
            names.append("validate")
    names = [name for name in names if only is None or name in only or name == "json-floor"]
    results: dict[str, Any] = {}
    for name in names:
        print(f"n={n}: {name} ...", file=sys.stderr, flush=True)
        results[name] = run_child(name, pages_dir, out)
    return {"n": n, "results": results}


def table(runs: list[dict[str, Any]], reference_max: int) -> str:
    rows = [
        "| N | measure | s | cpu s | x JSON floor | input MB | peak MB | growth MB | notes |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        n, results = run["n"], run["results"]
        floor = results["json-floor"]["s"]
        for name in MEASURES:
            figures = results.get(name)
            if figures is None:
                if name == "reference":
                    rows.append(
                        f"| {n:,} | reference | — | | | | | | not run above N={reference_max:,} (too slow) |"
                    )
                continue
            notes = ", ".join(
                f"{key} {value}"
                for key, value in figures.items()
                if key in ("mb", "ttl_mb", "jsonld_mb", "conforms")
            )
            growth = figures["peak_mb"] - figures["input_mb"]
            rows.append(
                f"| {n:,} | {name} | {figures['s']:.2f} | {figures['cpu_s']:.2f} | {figures['s'] / floor:.2f} "
                f"| {figures['input_mb']:,.0f} | {figures['peak_mb']:,.0f} | {growth:,.0f} | {notes} |"
            )
    if len(runs) > 1:
        first, last = runs[0], runs[-1]
        for name in ("stream", "stream-pages"):
            if name not in first["results"] or name not in last["results"]:
                continue
            a, b = first["results"][name], last["results"][name]
            rows.append(
                f"\n{name}: growth {a['peak_mb'] - a['input_mb']:,.0f} MB at {first['n']:,} -> "
                f"{b['peak_mb'] - b['input_mb']:,.0f} MB at {last['n']:,}; peak {a['peak_mb']:,.0f} -> {b['peak_mb']:,.0f} MB"
            )
    for run in runs:
        if "stream" not in run["results"]:
            continue
        ratio = run["results"]["stream"]["s"] / run["results"]["json-floor"]["s"]
        verdict = "met" if ratio <= TARGET_VS_FLOOR else "NOT met"
        rows.append(
            f"N={run['n']:,}: streamed DCAT {ratio:.2f}x the JSON floor (target <= {TARGET_VS_FLOOR:g}x: {verdict})"
        )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, action="append", help="hub size (repeatable); default 10000")
    parser.add_argument(
        "--work", type=Path, help="keep pages and outputs here (default: a temporary directory)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reference-max", type=int, default=10_000, help="largest N the reference runs at")
    parser.add_argument("--validate", action="store_true", help="also time validate_dcat (pySHACL)")
    parser.add_argument(
        "--measures", help=f"comma-separated subset of {','.join(MEASURES)} (the JSON floor always runs)"
    )
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON lines")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--pages", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.pages, args.out)))
        return
    sizes = args.n or [10_000]
    with tempfile.TemporaryDirectory(prefix="dcat-bench-") as scratch:
        work = args.work or Path(scratch)
        only = set(args.measures.split(",")) if args.measures else None
        runs = [measure(n, work, args.seed, args.reference_max, args.validate, only) for n in sizes]
    if args.json:
        for run in runs:
            print(json.dumps(run))
    print(table(runs, args.reference_max))


if __name__ == "__main__":
    main()
