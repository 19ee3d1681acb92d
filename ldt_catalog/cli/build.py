"""``ldt-catalog build`` and ``ldt-catalog validate``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ldt_catalog import pipeline

DEFAULT_SEED = Path("seed")
DEFAULT_OUT = Path("dist")


def register(subparsers: Any) -> None:
    build = subparsers.add_parser(
        "build",
        help="turn knowledge-hub pages into NGSI-LD entities, Turtle and a validation report",
        description=(
            "Read knowledge-hub pages (a directory gives all its *.md files), build the catalogue, "
            "check it (JSON Schema on every entity, SHACL on both RDF views) and write, into OUT: "
            "entities.jsonld (exactly what a broker receives), entities.ttl, catalog.jsonld, "
            "catalog.ttl (the SPARQL-friendly view) and report.json.  If any check fails, every "
            "problem is listed as FILE:LINE: message and OUT is left exactly as it was."
        ),
    )
    _add_inputs(build)
    build.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help=f"output directory (default: {DEFAULT_OUT}/)",
    )
    build.add_argument("--quiet", "-q", action="store_true", help="print only problems")
    build.set_defaults(handler=run_build)

    validate = subparsers.add_parser(
        "validate",
        help="run every check on the pages and write nothing",
        description="Build the catalogue in memory, run every check and print every problem; writes nothing.",
    )
    _add_inputs(validate)
    validate.set_defaults(handler=run_validate)


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help=f"pages or directories of pages (default: {DEFAULT_SEED}/)",
    )


def _checked(args: argparse.Namespace) -> pipeline.Checked:
    catalog = pipeline.load_catalog(args.paths or [DEFAULT_SEED])
    checked = pipeline.check_catalog(catalog)
    for warning in checked.warnings:
        print(warning, file=sys.stderr)
    pipeline.raise_for_errors(checked)
    return checked


def run_build(args: argparse.Namespace) -> int:
    checked = _checked(args)
    written = pipeline.write_outputs(args.out, pipeline.output_writers(checked))
    if not args.quiet:
        catalog = checked.catalog
        print(
            f"built {len(catalog.initiatives)} initiative(s) in {len(catalog.clusters)} cluster(s): "
            f"{len(checked.entities)} entities, checks: {', '.join(checked.checks)}"
        )
        for path in written:
            print(f"  wrote {path}")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    checked = _checked(args)
    catalog = checked.catalog
    print(
        f"valid: {len(catalog.initiatives)} initiative(s), {len(catalog.clusters)} cluster(s), "
        f"{len(checked.entities)} entities; checks: {', '.join(checked.checks)}; "
        f"{len(checked.warnings)} warning(s)"
    )
    return 0
