"""Time the static site against the JSON floor for the same entities, side by side in one run.

    python bench/site_bench.py --n 10000            # generate, build, time (best of --repeat)
    python bench/site_bench.py --entities OUT/entities.jsonld

The hub is made by ``bench/generate.py`` and built by ``ldt-catalog build`` (untimed); the site's
input is the entity dicts read from its ``entities.jsonld``.  The JSON floor is ``json.loads`` +
``json.dumps`` (compact, ``ensure_ascii=False``) of that file with the cyclic GC paused, as the
other stages are timed; ``render_site`` runs with the GC paused too, and the two are timed in turn,
best of ``--repeat``, so both see the same machine load.  Writing the files is timed apart.
"""

from __future__ import annotations

import argparse
import gc
import json
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


def _timed(action: Any) -> float:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        action()
        return time.perf_counter() - start
    finally:
        gc.enable()


def measure(entities_path: Path, repeat: int, out_dir: Path) -> dict[str, Any]:
    text = entities_path.read_text(encoding="utf-8")
    entities = json.loads(text)
    queries = read_queries()
    data_files = ["entities.jsonld", "catalog.ttl"]
    floor, site = [], []
    files: dict[str, bytes] = {}
    for _ in range(repeat):
        floor.append(_timed(lambda: json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":"))))

        def render() -> None:
            files.clear()
            files.update(render_site(entities, data_files=data_files, queries=queries))

        site.append(_timed(render))
    write = _timed(lambda: write_site(files, out_dir))
    initiatives = sum(1 for e in entities if e.get("type") == "Initiative")
    return {
        "initiatives": initiatives,
        "entities MB": round(len(text.encode()) / 1e6, 1),
        "json floor s": round(min(floor), 3),
        "site render s": round(min(site), 3),
        "ratio": round(min(site) / min(floor), 2),
        "site files": len(files),
        "site MB": round(sum(map(len, files.values())) / 1e6, 1),
        "write s": round(write, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=10000, help="initiatives in the synthetic hub")
    parser.add_argument("--entities", type=Path, help="time this entities.jsonld instead of generating a hub")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best is kept")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="site-bench-") as temp:
        work = Path(temp)
        path = args.entities or _build(args.n, work)
        result = measure(path, args.repeat, work / "site")
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")


if __name__ == "__main__":
    main()
