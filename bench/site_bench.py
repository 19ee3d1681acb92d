"""Time the static site against the JSON floor for the same entities, side by side in one run.

    python bench/site_bench.py --n 10000            # generate, build, time (median of --repeat)
    python bench/site_bench.py --entities OUT/entities.jsonld

The hub is made by ``bench/generate.py`` and built by ``ldt-catalog build`` (untimed); the site's
input is the entity dicts read from its ``entities.jsonld``.  The JSON floor is ``json.loads`` +
``json.dumps`` (compact, ``ensure_ascii=False``) of that file with the cyclic GC paused, as the
other stages are timed; ``render_site`` runs with the GC paused too, and the two are timed in turn,
``--repeat`` times, so both see the same machine load.  Each figure is the median of the runs (the
best is printed beside it); CPU time counts the forked helper process too, so a render that gains
its wall time from a second core shows what it spends.  Writing the files (``write_site``, into a
fresh folder) is timed after each render, and "build" is render + write.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from ldt_catalog.site import read_queries, render_site, write_site  # noqa: E402


def _build(n: int, work: Path) -> Path:
    pages, out = work / "pages", work / "out"
    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), "--n", str(n), "--out", str(pages)], check=True
    )
    command = [sys.executable, "-m", "ldt_catalog", "build", str(pages), "--out", str(out)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return out / "entities.jsonld"


def _cpu() -> float:
    """CPU seconds of this process and of its ended children (the forked helper)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed(action: Any) -> tuple[float, float]:
    """Wall and CPU seconds of one call, with the cyclic GC paused."""
    gc.collect()
    gc.disable()
    try:
        start, cpu = time.perf_counter(), _cpu()
        action()
        return time.perf_counter() - start, _cpu() - cpu
    finally:
        gc.enable()


def _median_best(values: list[float]) -> tuple[float, float]:
    return round(statistics.median(values), 3), round(min(values), 3)


def measure(entities_path: Path, repeat: int, out_dir: Path, workers: int | None = None) -> dict[str, Any]:
    text = entities_path.read_text(encoding="utf-8")
    entities = json.loads(text)
    queries = read_queries()
    data_files = ["entities.jsonld", "catalog.ttl"]
    floor: list[float] = []
    site: list[float] = []
    site_cpu: list[float] = []
    write: list[float] = []
    files: dict[str, bytes] = {}
    for _ in range(repeat):
        floor.append(
            _timed(lambda: json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":")))[0]
        )

        def render() -> None:
            files.clear()
            files.update(render_site(entities, data_files=data_files, queries=queries, workers=workers))

        wall, cpu = _timed(render)
        site.append(wall)
        site_cpu.append(cpu)
        shutil.rmtree(out_dir, ignore_errors=True)  # each write starts from an empty folder, untimed
        write.append(_timed(lambda: write_site(files, out_dir))[0])
    initiatives = sum(1 for e in entities if e.get("type") == "Initiative")
    floor_m, floor_b = _median_best(floor)
    site_m, site_b = _median_best(site)
    write_m, write_b = _median_best(write)
    build = [r + w for r, w in zip(site, write, strict=True)]
    return {
        "initiatives": initiatives,
        "entities MB": round(len(text.encode()) / 1e6, 1),
        "runs": repeat,
        "json floor s": floor_m,
        "site render s": site_m,
        "ratio": round(site_m / floor_m, 2),
        "render cpu s": _median_best(site_cpu)[0],
        "write s": write_m,
        "build s": _median_best(build)[0],
        "build ratio": round(statistics.median(build) / floor_m, 2),
        "best floor s": floor_b,
        "best render s": site_b,
        "best ratio": round(site_b / floor_b, 2),
        "best write s": write_b,
        "site files": len(files),
        "site MB": round(sum(map(len, files.values())) / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10000, help="initiatives in the synthetic hub")
    parser.add_argument("--entities", type=Path, help="time this entities.jsonld instead of generating a hub")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each; the median is reported")
    parser.add_argument(
        "--workers", type=int, choices=(1, 2), help="processes for render_site (default: its own choice)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="site-bench-") as temp:
        work = Path(temp)
        path = args.entities or _build(args.n, work)
        result = measure(path, args.repeat, work / "site", args.workers)
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")


if __name__ == "__main__":
    main()
