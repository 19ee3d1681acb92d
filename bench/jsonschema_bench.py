"""JSON Schema engines side by side on the entities of a synthetic hub of N initiatives.

    python bench/jsonschema_bench.py --n 10000

Every engine answers only "valid or not" for each entity (what ``validate_entity`` asks the fast
engine; ``jsonschema`` explains the invalid ones). In one run, on the same entities:

* ``json floor``: ``json.loads`` + ``json.dumps`` of the entities (what any JSON tool pays);
* ``jsonschema``: ``Draft202012Validator.is_valid``, the reference;
* ``fastjsonschema``, the engine jsonschema-rs replaced: the 2020-12 schemas rewritten to its
  draft-07 reading, below (skipped when it is not installed);
* ``jsonschema-rs, raw patterns``: ``jsonschema_rs.validator_for`` on the schemas as they are;
* ``jsonschema-rs (is_valid_fast)``: the engine of ``validation.checks``, patterns rewritten to mean
  what they mean to Python's ``re`` (``validation.fast_schema``);
* ``validate_entities``, and SHACL on the entities (``shacl_problems_chunked``), with the cyclic GC
  on, then paused around them: the library no longer pauses it itself (the CLI pauses it around
  whole commands), this shows what a caller that does not pause it pays.

Before the timings, each engine is asked about the broken entities of
``tests/test_validate_fast.py`` and a few more: where one decides otherwise than ``jsonschema``,
the case is printed and counted.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

Entity = dict[str, Any]
Check = Callable[[Entity], bool]


def hub_entities(n: int) -> list[Entity]:
    from bench.generate import write_pages
    from ldt_catalog.ngsild.entities import catalog_entities
    from ldt_catalog.pipeline import stages as pipeline

    with tempfile.TemporaryDirectory() as work:
        write_pages(n, Path(work) / "hub")
        return list(catalog_entities(pipeline.load_catalog([Path(work) / "hub"])))


# -- fastjsonschema, the engine jsonschema-rs replaced -------------------------------------------
#
# fastjsonschema reads schemas the draft-07 way, so each schema is bundled (the shared ``$defs``
# copied in) and rewritten into the same constraints in that dialect: ``$ref`` beside other
# keywords becomes an ``allOf``, ``prefixItems`` an ``items`` array with ``additionalItems``, and a
# pattern's ``$`` is spelled ``(?=\n?\Z)``, which is what ``$`` means to Python's ``re``.

_SHARED_REF_PREFIX = "ngsi-ld-attributes.schema.json#"
_ANNOTATIONS = frozenset({"description", "title", "$comment"})


def _python_dollar(pattern: str) -> str:
    """``pattern`` with each ``$`` anchor spelled as a lookahead for the end (or a final newline): ``re``'s ``$``."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            if char == "$":
                raise ValueError(f"pattern {pattern!r}: a $ in a character class is not supported")
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            out.append(r"(?=\n?\Z)")
            continue
        out.append(char)
    return "".join(out)


def _draft07(node: Any) -> Any:
    """A 2020-12 (sub)schema as the same constraints in the draft-07 reading of fastjsonschema."""
    if isinstance(node, list):
        return [_draft07(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = (
                "#" + value[len(_SHARED_REF_PREFIX) :] if value.startswith(_SHARED_REF_PREFIX) else value
            )
        elif key == "pattern" and isinstance(value, str):
            out[key] = _python_dollar(value)
        elif key in ("properties", "$defs", "patternProperties"):
            out[key] = {name: _draft07(sub) for name, sub in value.items()}
        else:
            out[key] = _draft07(value)
    if "prefixItems" in out:
        prefix = out.pop("prefixItems")
        if "items" in out:
            out["additionalItems"] = out.pop("items")
        out["items"] = prefix
    if "$ref" in out and set(out) - _ANNOTATIONS - {"$ref"}:
        ref = out.pop("$ref")
        out = {"allOf": [{"$ref": ref}, out]}
    return out


def fast_schema(entity_type: str) -> dict[str, Any]:
    """The entity type's schema bundled with the shared definitions, in fastjsonschema's dialect."""
    schema = _load(_schema_files()[entity_type])
    shared: dict[str, Any] = {}
    for name in _shared_files():
        shared.update(_load(name).get("$defs", {}))
    bundled = {key: value for key, value in schema.items() if key not in ("$schema", "$id")}
    bundled["$defs"] = {**shared, **schema.get("$defs", {})}
    converted: dict[str, Any] = _draft07(bundled)
    converted["$schema"] = "https://json-schema.org/draft/2019-09/schema"
    return converted


def _schema_files() -> dict[str, str]:
    from ldt_catalog.validation.checks import SCHEMA_FILES

    return SCHEMA_FILES


def _shared_files() -> tuple[str, ...]:
    from ldt_catalog.validation.checks import SHARED_SCHEMA_FILES

    return SHARED_SCHEMA_FILES


def _load(name: str) -> dict[str, Any]:
    from ldt_catalog.validation.checks import _load_json

    return _load_json(name)


def fast_validator(entity_type: str) -> Callable[[Any], Any] | None:
    """fastjsonschema's compiled check of one entity type (None when it is not installed)."""
    try:
        import fastjsonschema
    except ImportError:
        return None
    check: Callable[[Any], Any] = fastjsonschema.compile(
        fast_schema(entity_type), use_default=False, use_formats=False
    )
    return check


def engines() -> dict[str, Check]:
    from ldt_catalog.validation.checks import entity_validator, is_valid_fast

    def reference(entity: Entity) -> bool:
        return bool(entity_validator(entity["type"]).is_valid(entity))

    found: dict[str, Check] = {"jsonschema": reference}
    compiled = {name: fast_validator(name) for name in _schema_files()}
    if all(check is not None for check in compiled.values()):

        def fast(entity: Entity) -> bool:
            check = compiled[entity["type"]]
            assert check is not None
            try:
                check(entity)
            except Exception:
                return False
            return True

        found["fastjsonschema"] = fast
    raw = rust_validators()
    found["jsonschema-rs, raw patterns"] = lambda entity: bool(raw[entity["type"]].is_valid(entity))
    found["jsonschema-rs (is_valid_fast)"] = lambda entity: bool(is_valid_fast(entity))
    return found


def rust_validators() -> dict[str, Any]:
    """jsonschema-rs on the schemas as they are, without the pattern rewriting of ``fast_schema``."""
    import jsonschema_rs

    from ldt_catalog.validation.checks import SCHEMA_FILES, SHARED_SCHEMA_FILES, _load_json

    registry = jsonschema_rs.Registry(
        [
            (_load_json(name)["$id"], _load_json(name))
            for name in (*SHARED_SCHEMA_FILES, *SCHEMA_FILES.values())
        ]
    )
    return {
        entity_type: jsonschema_rs.validator_for(_load_json(name), registry=registry, validate_formats=False)
        for entity_type, name in SCHEMA_FILES.items()
    }


def broken_cases() -> Iterator[tuple[str, Entity]]:
    """The corpus of ``tests/test_validate_fast.py``, and characters where regex engines part ways."""
    from tests.test_validate_fast import CASES, base

    for entity_type, label, mutate in CASES:
        entity = base(entity_type)
        mutate(entity)
        yield f"{entity_type}: {label}", entity
    for char in ("\x1c", "\x1f", "\x85", "\xa0", "\u2028", "\u3000", "\u200b", "\ufeff"):
        entity = base("Initiative")
        entity["url"]["json"] = [{"url": f"https://x.eu/a{char}b"}]
        yield f"Initiative: url with U+{ord(char):04X}", entity
        entity = copy.deepcopy(entity)
        entity["url"]["json"] = [{"url": "https://x.eu"}]
        entity[f"name{char}x"] = {"type": "Property", "value": 1}
        yield f"Initiative: attribute name with U+{ord(char):04X}", entity


def disagreements(checks: dict[str, Check]) -> dict[str, list[str]]:
    reference = checks["jsonschema"]
    found: dict[str, list[str]] = {name: [] for name in checks if name != "jsonschema"}
    for label, entity in broken_cases():
        expected = reference(entity)
        for name, check in checks.items():
            if name != "jsonschema" and check(entity) != expected:
                found[name].append(f"{label} (jsonschema: {'valid' if expected else 'invalid'})")
    return found


def timed(run: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10000, help="initiatives in the synthetic hub")
    parser.add_argument("--repeat", type=int, default=3, help="runs per engine; the best is kept")
    args = parser.parse_args(argv)

    from ldt_catalog.validation.checks import validate_entities

    checks = engines()
    for name, cases in disagreements(checks).items():
        print(f"{name}: {len(cases)} disagreement(s) with jsonschema")
        for case in cases:
            print(f"  {case}")
    entities = hub_entities(args.n)
    for check in checks.values():  # warm: validators built and schemas compiled before timing
        check(entities[0])
    text = json.dumps(entities, ensure_ascii=False, separators=(",", ":"))
    results = {"json floor": timed(lambda: json.dumps(json.loads(text)), args.repeat)}
    for name, check in checks.items():
        verdicts: list[bool] = []
        results[name] = timed(
            lambda check=check, verdicts=verdicts: verdicts.append(all(map(check, entities))), args.repeat
        )
        assert all(verdicts), f"{name} refuses an entity of the hub"

    def entities_checked() -> None:
        assert not validate_entities(entities)

    from ldt_catalog.validation.checks import shacl_problems_chunked, shapes_graph

    shapes = shapes_graph("entities.shacl.ttl")

    def shacl_checked() -> None:  # the other step that paused the GC itself (survey, direct checker)
        assert not shacl_problems_chunked(entities, None, shapes)

    for name, step in (("validate_entities", entities_checked), ("SHACL of the entities", shacl_checked)):
        results[f"{name}, GC on"] = timed(step, args.repeat)
        gc.disable()
        try:
            results[f"{name}, GC paused"] = timed(step, args.repeat)
        finally:
            gc.enable()
    floor = results["json floor"]
    print(f"\n{len(entities):,} entities ({args.n:,} initiatives), best of {args.repeat}")
    print(f"{'engine':<34} {'s':>8} {'entities/s':>12} {'x json':>7}")
    for name, seconds in results.items():
        print(f"{name:<34} {seconds:8.3f} {len(entities) / seconds:12,.0f} {seconds / floor:7.2f}")


if __name__ == "__main__":
    main()
