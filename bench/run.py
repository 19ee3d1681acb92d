"""Benchmark: every stage of ldt-catalog on a synthetic hub of N initiatives, against the JSON floor.

    python bench/run.py --n 10000              # a table
    python bench/run.py --n 10000 --json       # one JSON object per N
    python bench/run.py --n 10000 --n 100000   # several sizes, then how each stage scales

How it measures (see bench/README.md):

* the pages come from ``bench/generate.py`` (seeded, so a size always gives the same hub);
* every stage runs in a fresh child process: the child first makes the stage's input (reads the
  pages, builds the catalogue ... whatever the stage needs, untimed), then resets the kernel's
  peak-RSS mark (``/proc/self/clear_refs``), runs the stage alone and reports its wall time, its
  CPU time and the peak RSS (``VmHWM``) reached while it ran: the stage's input, which it needs
  in memory, plus everything the stage itself allocated;
* ``json_floor_s`` is ``json.loads`` + ``json.dumps`` of the same entities (what any JSON tool
  pays for the data); ``build_s`` is import -> ``entities.jsonld`` + ``entities.ttl`` in one child,
  validation excluded;
* the naive path (pyld ``expand`` + ``to_rdf`` per entity with the cached local document loader,
  and a jsonschema validator built per entity) is timed on a sample of entities spread over the
  catalogue and extrapolated to N (said so in the output);
* ``publish`` is ``ldt-catalog publish`` from the pages: every check (streamed, see
  ``ldt_catalog.pipeline.stages``, spooled), then every entity sent to the loopback test broker
  (``tests/ngsild_broker``), started in its own process so the client's CPU time is its own; the
  CPU share is that of the sending.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STAGES = ("import", "model", "entities", "json-schema", "shacl", "rdf-turtle", "jsonld", "dcat", "publish")
EXTRA = ("build", "json-floor", "naive")
NAIVE_SAMPLE = 200
TARGETS = {
    "build_vs_json": 5.0,  # build_s <= 5 x json_floor_s
    "naive_vs_build": 20.0,  # naive_s >= 20 x build_s
    "schema_vs_json": 5.0,
    "shacl_vs_json": 30.0,
    "shacl_peak_mb": 2048.0,
    "publish_cpu_share": 0.20,
    "publish_memory_growth": 2.0,  # peak at the largest N < 2 x peak at the smallest
}
BROKER_SCRIPT = (
    "import sys, time\n"
    "from tests.ngsild_broker import TestBroker\n"
    "broker = TestBroker().start()\n"
    "print(broker.url, flush=True)\n"
    "sys.stdin.read()\n"  # until the parent closes our stdin
    "broker.stop()\n"
)


# -- in the child ---------------------------------------------------------------------------------


def _status(field: str) -> float:
    """A ``/proc/self/status`` figure in MB (``VmRSS``, ``VmHWM``)."""
    text = Path("/proc/self/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(match.group(1)) / 1024 if match else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _Descendants(threading.Thread):
    """Samples our descendant processes (SHACL's workers) every 0.2 s: total RSS and CPU seconds."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_mb = 0.0
        self.cpu: dict[int, float] = {}
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(0.2):
            self.sample()

    def sample(self) -> None:
        parents: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                except (OSError, IndexError, ValueError):
                    continue
        mine, total = {os.getpid()}, 0.0
        for _ in range(4):  # children, grandchildren (a forkserver's workers) ...
            mine |= {pid for pid, parent in parents.items() if parent in mine}
        for pid in mine - {os.getpid()}:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[21]) * os.sysconf("SC_PAGE_SIZE") / 2**20
                self.cpu[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            except (OSError, IndexError, ValueError):
                continue
        self.peak_mb = max(self.peak_mb, total)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
        return True
    except OSError:
        return False


class _Inputs:
    """The stage's input, made on first use (untimed)."""

    def __init__(self, pages_dir: Path, out: Path) -> None:
        self.pages_dir, self.out = pages_dir, out
        self._cache: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        if name not in self._cache:
            self._cache[name] = getattr(self, "_" + name)()
        return self._cache[name]

    def _pages(self) -> Any:
        from bench import pipeline_parts as pipeline

        return pipeline.read_pages([self.pages_dir])

    def _catalog(self) -> Any:
        from bench import pipeline_parts as pipeline
        from ldt_catalog.model.catalog import build_catalog

        with pipeline.paused_gc():
            return build_catalog(self.get("pages"))

    def _entities(self) -> Any:
        from bench import pipeline_parts as pipeline
        from ldt_catalog.ngsild.entities import catalog_entities

        with pipeline.paused_gc():
            return list(catalog_entities(self.get("catalog")))

    def _view(self) -> Any:
        from ldt_catalog.ngsild.entities import catalog_view

        return catalog_view(self.get("catalog"))


def _write(path: Path, writer: Callable[[Any], None]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        writer(handle)


def _stage(name: str, inputs: _Inputs, options: dict[str, Any]) -> tuple[Callable[[], dict[str, Any]], int]:
    """The stage to time (returning extra figures) and how many entities it handles."""
    from bench import pipeline_parts as pipeline
    from ldt_catalog.rdf import convert as rdf
    from ldt_catalog.rdf import turtle

    get, out = inputs.get, inputs.out
    if name == "import":
        return lambda: {"pages": len(pipeline.read_pages([inputs.pages_dir]))}, options["n"]
    if name == "model":
        pages = get("pages")

        def model() -> dict[str, Any]:
            from ldt_catalog.model.catalog import build_catalog

            with pipeline.paused_gc():
                catalog = build_catalog(pages)
            return {"mentions": sum(len(i.mentions) for i in catalog.initiatives)}

        return model, options["n"]
    if name == "entities":
        catalog = get("catalog")

        def make_entities() -> dict[str, Any]:
            from ldt_catalog.ngsild.entities import catalog_entities, catalog_view

            with pipeline.paused_gc():
                made = list(catalog_entities(catalog))
                catalog_view(catalog)
            return {"entities": len(made)}

        return make_entities, options["n"]
    if name == "publish":  # from the pages, as the CLI does: it streams, so no input in memory
        return (lambda: _publish(inputs.pages_dir, options["broker"])), options["n"]
    entities = get("entities")
    if name == "json-schema":

        def schema() -> dict[str, Any]:
            from ldt_catalog.validation.checks import validate_entities

            with pipeline.paused_gc():
                return {"problems": len(validate_entities(entities))}

        return schema, len(entities)
    if name == "shacl":
        view = get("view")

        def shacl() -> dict[str, Any]:
            return {
                "problems": len(pipeline.shacl_check(entities, view)),
                "workers": pipeline.shacl_workers(len(entities)),
            }

        return shacl, len(entities)
    if name == "rdf-turtle":
        view = get("view")

        def write_both() -> dict[str, Any]:
            with pipeline.paused_gc():
                _write(out / "entities.ttl", lambda h: turtle.write_turtle(rdf.entity_subjects(entities), h))
                _write(out / "catalog.ttl", lambda h: turtle.write_turtle(rdf.document_subjects(view), h))
            return {
                "mb": round(
                    ((out / "entities.ttl").stat().st_size + (out / "catalog.ttl").stat().st_size) / 1e6
                )
            }

        return write_both, len(entities)
    if name == "jsonld":
        view = get("view")

        def jsonld() -> dict[str, Any]:
            with pipeline.paused_gc():
                _write(out / "entities.jsonld", lambda h: pipeline.write_entities_jsonld(entities, h))
                _write(out / "catalog.jsonld", lambda h: json.dump(view, h, ensure_ascii=False, indent=2))
            return {}

        return jsonld, len(entities)
    if name == "dcat":
        from ldt_catalog.federation.config import load_federation_settings

        catalog = get("catalog")
        settings = load_federation_settings(ROOT / "federation.example.toml", build_date=date(2026, 1, 1))

        def dcat() -> dict[str, Any]:
            with pipeline.paused_gc():
                for file_name, writer in pipeline.federation_writers(catalog, settings).items():
                    _write(out / file_name, writer)
            return {}

        return dcat, len(entities)
    if name == "json-floor":
        text = json.dumps(entities, ensure_ascii=False, separators=(",", ":"))

        def floor() -> dict[str, Any]:
            # measured as our stages run, with the cyclic GC paused; with it on, as Python starts
            with pipeline.paused_gc():
                json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
            started = time.perf_counter()
            json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))
            return {"mb": round(len(text) / 1e6), "gc_on_s": time.perf_counter() - started}

        return floor, len(entities)
    if name == "naive":
        return (lambda: _naive(entities, options["sample"])), len(entities)
    raise ValueError(f"unknown stage {name}")


def _publish(pages_dir: Path, broker_url: str) -> dict[str, Any]:
    """``ldt-catalog publish`` without the printing: every check on the pages, then the sync."""
    from ldt_catalog.broker import sync
    from ldt_catalog.broker.client import BrokerClient
    from ldt_catalog.pipeline import stages

    client = BrokerClient(broker_url)
    wall, cpu = time.perf_counter(), time.process_time()
    with stages.checked_catalog([pages_dir], spool=True) as checked:
        check_s, check_cpu_s = time.perf_counter() - wall, time.process_time() - cpu
        wall, cpu = time.perf_counter(), time.process_time()
        plan, result = sync.synchronise(client, checked.entities)
        sync_s, sync_cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    assert result is not None
    return {
        "created": len(result.created),
        "failed": len(result.failed),
        "writes": plan.writes,
        "check_s": check_s,
        "check_own_cpu_s": check_cpu_s,
        "sync_s": sync_s,
        "sync_cpu_s": sync_cpu_s,
    }


def _naive(entities: list[dict[str, Any]], sample: int) -> dict[str, Any]:
    """pyld and a per-entity jsonschema validator on ``sample`` entities spread over the catalogue."""
    from jsonschema import Draft202012Validator
    from pyld import jsonld

    from ldt_catalog.ngsild.context import jsonld_options
    from ldt_catalog.validation.checks import SCHEMA_FILES, _load_json, schema_registry

    step = max(1, len(entities) // sample)
    chosen = entities[::step][:sample]
    started = time.perf_counter()
    for entity in chosen:
        expanded = jsonld.expand(entity, jsonld_options())
        jsonld.to_rdf(expanded, jsonld_options(format="application/n-quads"))
    rdf_each = (time.perf_counter() - started) / len(chosen)
    started = time.perf_counter()
    for entity in chosen:
        validator = Draft202012Validator(_load_json(SCHEMA_FILES[entity["type"]]), registry=schema_registry())
        list(validator.iter_errors(entity))
    schema_each = (time.perf_counter() - started) / len(chosen)
    return {"sample": len(chosen), "rdf_s": rdf_each * len(entities), "schema_s": schema_each * len(entities)}


def _build(inputs: _Inputs) -> dict[str, Any]:
    """import -> entities.jsonld + entities.ttl, validation excluded, each step timed."""
    from bench import pipeline_parts as pipeline
    from ldt_catalog.model.catalog import build_catalog
    from ldt_catalog.ngsild.entities import catalog_entities
    from ldt_catalog.rdf import convert as rdf
    from ldt_catalog.rdf import turtle

    steps: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(step: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps[step], clock = now - clock, now

    with pipeline.paused_gc():
        pages = pipeline.read_pages([inputs.pages_dir])
        lap("import")
        catalog = build_catalog(pages)
        lap("model")
        entities = list(catalog_entities(catalog))
        lap("entities")
        _write(inputs.out / "entities.jsonld", lambda h: pipeline.write_entities_jsonld(entities, h))
        lap("jsonld")
        _write(inputs.out / "entities.ttl", lambda h: turtle.write_turtle(rdf.entity_subjects(entities), h))
        lap("ttl")
    return {"steps": steps}


def child(name: str, pages_dir: Path, out: Path, options: dict[str, Any]) -> dict[str, Any]:
    """One stage in this fresh process, with the cyclic GC paused as ``ldt-catalog`` pauses it around
    a whole command (the JSON floor measures both ways itself)."""
    if name == "json-floor":
        return _child(name, pages_dir, out, options)
    from ldt_catalog.cli.gc_pause import paused_gc

    with paused_gc():
        return _child(name, pages_dir, out, options)


def _child(name: str, pages_dir: Path, out: Path, options: dict[str, Any]) -> dict[str, Any]:
    inputs = _Inputs(pages_dir, out)
    run: Callable[[], dict[str, Any]]
    if name == "build":
        run, count = (lambda: _build(inputs)), options["n"]
    else:
        run, count = _stage(name, inputs, options)
    base = _status("VmRSS")
    exact = _reset_peak()
    descendants = _Descendants()
    descendants.start()
    cpu, wall = time.process_time(), time.perf_counter()
    extra = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    descendants.stop()
    if name == "json-floor":
        wall -= extra["gc_on_s"]
    peak = _status("VmHWM")
    if descendants.cpu:  # worker processes: their RSS (sampled) adds to ours, their CPU too
        extra["own_peak_rss_mb"], extra["workers_peak_rss_mb"] = peak, descendants.peak_mb
        peak += descendants.peak_mb
        cpu += sum(descendants.cpu.values())
    return {
        "s": wall,
        "cpu_s": cpu,
        "count": count,
        "input_rss_mb": base,
        "peak_rss_mb": peak,
        "peak_exact": exact,
        **extra,
    }


# -- in the parent --------------------------------------------------------------------------------


def run_child(name: str, pages_dir: Path, out: Path, options: dict[str, Any]) -> dict[str, Any]:
    command = [
        sys.executable,
        __file__,
        "--child",
        name,
        "--pages",
        str(pages_dir),
        "--out",
        str(out),
        "--options",
        json.dumps(options),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"stage {name} failed:\n{done.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def start_broker() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-c", BROKER_SCRIPT],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def stop_broker(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    process.stdin.close()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def measure(
    n: int, stages: list[str], work: Path, seed: int, sample: int, say: Callable[[str], None]
) -> dict[str, Any]:
    from bench.generate import write_pages

    pages_dir, out = work / f"pages-{n}", work / f"out-{n}"
    out.mkdir(parents=True, exist_ok=True)
    if not pages_dir.is_dir():
        started = time.perf_counter()
        write_pages(n, pages_dir, seed)
        say(
            f"n={n}: generated {len(list(pages_dir.glob('*.md')))} pages in {time.perf_counter() - started:.1f} s"
        )
    options: dict[str, Any] = {"n": n, "sample": sample}
    results: dict[str, Any] = {}
    for name in [*EXTRA, *stages]:
        broker = None
        if name == "publish":
            broker, options["broker"] = start_broker()
        try:
            say(f"n={n}: {name} ...")
            results[name] = run_child(name, pages_dir, out, options)
        finally:
            if broker is not None:
                stop_broker(broker)
    return summarise(n, results)


def summarise(n: int, results: dict[str, Any]) -> dict[str, Any]:
    build, floor, naive = results["build"], results["json-floor"], results["naive"]
    naive_s = build["s"] - build["steps"]["ttl"] + naive["rdf_s"]
    stages = {
        name: {key: round(value, 3) if isinstance(value, float) else value for key, value in figures.items()}
        for name, figures in results.items()
        if name in STAGES
    }
    summary: dict[str, Any] = {
        "n": n,
        "json_floor_s": round(floor["s"], 3),
        "json_floor_gc_on_s": round(floor["gc_on_s"], 3),
        "naive_s": round(naive_s, 3),
        "build_s": round(build["s"], 3),
        "stages": stages,
        "build_steps_s": {k: round(v, 3) for k, v in build["steps"].items()},
        "naive": {
            "sample": naive["sample"],
            "extrapolated": True,
            "rdf_s": round(naive["rdf_s"], 3),
            "schema_s": round(naive["schema_s"], 3),
        },
    }
    return summary


def checks(summary: dict[str, Any]) -> list[tuple[str, float, str, bool]]:
    """(target, measured, bound, met) for one size."""
    floor, stages = summary["json_floor_s"], summary["stages"]
    rows = [
        ("build / json floor", summary["build_s"] / floor, f"<= {TARGETS['build_vs_json']:g}", None),
        ("naive / build", summary["naive_s"] / summary["build_s"], f">= {TARGETS['naive_vs_build']:g}", None),
        # the one step the naive build does another way: RDF by pyld per entity, or our Turtle writer
        (
            "naive RDF (pyld) / our Turtle writer",
            summary["naive"]["rdf_s"] / summary["build_steps_s"]["ttl"],
            "(info)",
            None,
        ),
    ]
    if "json-schema" in stages:
        rows.append(
            (
                "json-schema / json floor",
                stages["json-schema"]["s"] / floor,
                f"<= {TARGETS['schema_vs_json']:g}",
                None,
            )
        )
        rows.append(
            (
                "jsonschema per entity (naive) / ours",
                summary["naive"]["schema_s"] / stages["json-schema"]["s"],
                "(info)",
                None,
            )
        )
        rows.append(
            (
                "naive RDF + JSON Schema / ours",
                (summary["naive"]["rdf_s"] + summary["naive"]["schema_s"])
                / (summary["build_steps_s"]["ttl"] + stages["json-schema"]["s"]),
                "(info)",
                None,
            )
        )
    if "shacl" in stages:
        rows.append(
            ("shacl / json floor", stages["shacl"]["s"] / floor, f"<= {TARGETS['shacl_vs_json']:g}", None)
        )
        # what SHACL itself holds: the bench hands it the whole catalogue in memory, publish a spool
        shacl_own = stages["shacl"]["peak_rss_mb"] - stages["shacl"]["input_rss_mb"]
        rows.append(("shacl memory beyond its input, MB", shacl_own, f"< {TARGETS['shacl_peak_mb']:g}", None))
    if "publish" in stages:
        publish = stages["publish"]
        share = publish["sync_cpu_s"] / publish["sync_s"]
        rows.append(
            ("publish: sending, client CPU / wall", share, f"< {TARGETS['publish_cpu_share']:g}", None)
        )
        rows.append(("publish: checks before sending, s", publish["check_s"], "(info)", None))
    out = []
    for name, value, bound, _ in rows:
        if bound.startswith("("):
            out.append((name, value, bound, True))
            continue
        op, limit = bound.split()
        met = {"<=": value <= float(limit), ">=": value >= float(limit), "<": value < float(limit)}[op]
        out.append((name, value, bound, met))
    return out


def table(summary: dict[str, Any]) -> str:
    n, floor = summary["n"], summary["json_floor_s"]
    lines = [
        f"n = {n} initiatives",
        f"{'stage':<12} {'s':>9} {'cpu s':>9} {'entities/s':>11} {'x json':>7} {'peak RSS MB':>12} {'input MB':>9}",
    ]
    for name, row in summary["stages"].items():
        rate = row["count"] / row["s"] if row["s"] else float("inf")
        lines.append(
            f"{name:<12} {row['s']:>9.2f} {row['cpu_s']:>9.2f} {rate:>11,.0f} {row['s'] / floor:>7.1f} "
            f"{row['peak_rss_mb']:>12,.0f} {row['input_rss_mb']:>9,.0f}"
        )
    steps = ", ".join(f"{k} {v:.2f}" for k, v in summary["build_steps_s"].items())
    naive = summary["naive"]
    lines += [
        f"json floor (json.loads + json.dumps of the entities, GC paused as in our stages): {floor:.2f} s "
        f"({summary['json_floor_gc_on_s']:.2f} s with the GC on)",
        f"build (import -> entities.jsonld + entities.ttl, no validation): {summary['build_s']:.2f} s  [{steps}]",
        f"naive build (pyld expand + to_rdf per entity): {summary['naive_s']:.2f} s, its RDF part extrapolated "
        f"from a sample of {naive['sample']} entities; naive JSON Schema (validator per entity): "
        f"{naive['schema_s']:.2f} s, extrapolated likewise",
        "targets:",
    ]
    for name, value, bound, met in checks(summary):
        mark = "" if bound.startswith("(") else (" ok" if met else " NOT MET")
        lines.append(f"  {name:<38} {value:>9.2f}  {bound}{mark}")
    return "\n".join(lines)


def scaling(summaries: list[dict[str, Any]]) -> str:
    small, large = summaries[0], summaries[-1]
    factor = large["n"] / small["n"]
    lines = [
        f"scaling {small['n']} -> {large['n']} (x{factor:g}): time ratio per stage (linear = {factor:g})"
    ]
    for name in large["stages"]:
        if name in small["stages"]:
            t = large["stages"][name]["s"] / small["stages"][name]["s"]
            m = large["stages"][name]["peak_rss_mb"] / small["stages"][name]["peak_rss_mb"]
            lines.append(
                f"  {name:<12} time x{t:6.1f}  peak RSS x{m:5.1f}{'  superlinear' if t > 1.25 * factor else ''}"
            )
    for key in ("json_floor_s", "build_s"):
        lines.append(f"  {key:<12} time x{large[key] / small[key]:6.1f}")
    if "publish" in small["stages"] and "publish" in large["stages"]:
        growth = large["stages"]["publish"]["peak_rss_mb"] / small["stages"]["publish"]["peak_rss_mb"]
        limit = TARGETS["publish_memory_growth"]
        lines.append(
            f"  publish peak RSS x{growth:.2f} (target < {limit:g}){'' if growth < limit else ' NOT MET'}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, action="append", help="initiatives (repeat for several sizes)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per size")
    parser.add_argument("--save", type=Path, help="also append each size's JSON object to this file")
    parser.add_argument(
        "--stages", default=",".join(STAGES), help=f"comma-separated subset of {','.join(STAGES)}"
    )
    parser.add_argument(
        "--sample", type=int, default=NAIVE_SAMPLE, help="entities the naive path is timed on"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--work", type=Path, default=None, help="keep pages and outputs here (default: a temp dir)"
    )
    parser.add_argument(
        "--publish-compare",
        action="store_true",
        help="then, for each size, publish side by side with a blind batch upsert against the same "
        "broker (bench/publish_compare.py; --broker URL to use a real one)",
    )
    parser.add_argument("--broker", default=None, help="with --publish-compare: a real broker's URL")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--pages", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--options", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.pages, args.out, json.loads(args.options))))
        return
    stages = [s for s in args.stages.split(",") if s]
    unknown = set(stages) - set(STAGES)
    if unknown:
        parser.error(f"unknown stage(s): {', '.join(sorted(unknown))}")
    work = args.work or Path(tempfile.mkdtemp(prefix="ldt-bench-"))
    say = (lambda m: print(m, file=sys.stderr, flush=True)) if args.json else (lambda m: print(m, flush=True))
    summaries = []
    try:
        for n in sorted(args.n or [1000]):
            summary = measure(n, stages, work, args.seed, args.sample, say)
            summaries.append(summary)
            print(json.dumps(summary) if args.json else table(summary), flush=True)
            if args.save:
                with open(args.save, "a", encoding="utf-8") as saved:
                    saved.write(json.dumps(summary) + "\n")
        if len(summaries) > 1 and not args.json:
            print(scaling(summaries))
        if args.publish_compare:
            for n in sorted(args.n or [1000]):
                command = [sys.executable, str(Path(__file__).with_name("publish_compare.py")), "--n", str(n)]
                subprocess.run([*command, *(["--broker", args.broker] if args.broker else [])], check=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
