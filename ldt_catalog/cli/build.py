"""``ldt-catalog build`` and ``ldt-catalog validate``."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ldt_catalog.cli.exit_codes import ExitCode
from ldt_catalog.errors import Diagnostic, ValidationFailed
from ldt_catalog.federation.config import DEFAULT_CONFIG_NAME, FederationSettings, load_federation_settings
from ldt_catalog.federation.dcat import DEFAULT_SHAPES_DIR as DCAT_SHAPES_DIR
from ldt_catalog.federation.dcat import dcat_graph, validate_dcat
from ldt_catalog.federation.gaiax import DEFAULT_SHAPES_DIR as GAIAX_SHAPES_DIR
from ldt_catalog.federation.gaiax import gaiax_document, validate_gaiax
from ldt_catalog.pipeline import outputs, stages
from ldt_catalog.pipeline.stages import Checked
from ldt_catalog.validation.shacl import ShaclReport

DEFAULT_SEED = Path("seed")
DEFAULT_OUT = Path("dist")

BUILD_EPILOG = """\
federation (DCAT-AP 3 and Gaia-X):
  With a federation config (--federation FILE, or federation.toml in the current directory),
  build also writes dcat.ttl and dcat.jsonld, and gaiax.jsonld when the config has a [gaiax]
  part.  The config holds what the pages do not say: publisher, licence, base URL, and the
  Gaia-X provider's legal data.  Start from federation.example.toml.  Without a config these
  files are skipped, with a note.  Dates missing from the config are the build date
  (SOURCE_DATE_EPOCH if set, else today).

examples:
  ldt-catalog build                         # seed/ -> dist/
  ldt-catalog build pages/ --out public/ --federation federation.toml --base-url https://x.eu/ldt/
"""


def register(subparsers: Any) -> None:
    build = subparsers.add_parser(
        "build",
        help="turn knowledge-hub pages into NGSI-LD entities, RDF, DCAT-AP and a validation report",
        description=(
            "Read knowledge-hub pages (a directory gives all its *.md files), build the catalogue, "
            "check it (JSON Schema on every entity, SHACL on both RDF views) and write, into OUT: "
            "entities.jsonld (exactly what a broker receives), entities.ttl, catalog.jsonld, "
            "catalog.ttl (the SPARQL-friendly view) and report.json.  If any check fails, every "
            "problem is listed as FILE:LINE: message and OUT is left exactly as it was."
        ),
        epilog=BUILD_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
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
    build.set_defaults(handler=run_build, pause_gc=True)

    validate = subparsers.add_parser(
        "validate",
        help="run every check on the pages and write nothing",
        description=(
            "Build the catalogue in memory, run every check and print every problem; writes nothing.  "
            "--dcat and --gaiax also check the federation outputs against the official SEMIC DCAT-AP "
            "3.0.1 and Gaia-X 25.11 SHACL shapes (violations fail, recommended-shape results are warnings)."
        ),
    )
    _add_inputs(validate)
    validate.add_argument(
        "--dcat", action="store_true", help="also check the DCAT-AP export (needs a federation config)"
    )
    validate.add_argument(
        "--shapes",
        type=Path,
        default=DCAT_SHAPES_DIR,
        metavar="DIR",
        help="directory with the SEMIC DCAT-AP 3.0.1 shapes (shapes.ttl, range.ttl, ...)",
    )
    validate.add_argument("--gaiax", action="store_true", help="also check the Gaia-X description")
    validate.add_argument(
        "--gaiax-shapes",
        type=Path,
        default=GAIAX_SHAPES_DIR,
        metavar="DIR",
        help="directory with the Gaia-X 25.11 files (gx.shacl.ttl, gx.owl.ttl, gx.context.jsonld)",
    )
    validate.set_defaults(handler=run_validate, pause_gc=True)


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help=f"pages or directories of pages (default: {DEFAULT_SEED}/)",
    )
    parser.add_argument(
        "--federation",
        type=Path,
        default=None,
        metavar="FILE",
        help=f"federation config for DCAT-AP and Gaia-X (default: ./{DEFAULT_CONFIG_NAME} if present)",
    )
    parser.add_argument(
        "--base-url",
        default=None,
        metavar="URL",
        help="where the outputs are published (overrides the config)",
    )
    parser.add_argument(
        "--spool",
        action="store_true",
        help="keep the catalogue in a temporary folder, not in memory (automatic for pages over 64 MB)",
    )
    parser.add_argument(
        "--broker-url",
        default=None,
        metavar="URL",
        help="the NGSI-LD broker serving the entities, described as a dcat:DataService (overrides the config)",
    )


def build_date() -> date:
    """``SOURCE_DATE_EPOCH`` (reproducible builds) if set, else today (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), UTC).date()
    return datetime.now(UTC).date()


def _federation_settings(args: argparse.Namespace) -> FederationSettings | None:
    path = args.federation
    if path is None:
        default = Path(DEFAULT_CONFIG_NAME)
        if not default.is_file():
            return None
        path = default
    return load_federation_settings(
        path, base_url=args.base_url, broker_url=args.broker_url, build_date=build_date()
    )


def _spool(args: argparse.Namespace) -> bool | None:
    """``--spool`` forces the spool; otherwise the pipeline decides by the pages' size."""
    return True if args.spool else None


def _print_warnings(checked: Checked) -> None:
    for warning in checked.warnings:
        print(warning, file=sys.stderr)


def run_build(args: argparse.Namespace) -> int:
    settings = _federation_settings(args)
    with stages.checked_catalog(args.paths or [DEFAULT_SEED], spool=_spool(args)) as checked:
        _print_warnings(checked)
        writers = outputs.output_writers(checked)
        if settings is not None:
            writers.update(outputs.federation_writers(checked.catalog(), settings))
        elif not args.quiet:
            print(
                f"note: dcat.ttl, dcat.jsonld and gaiax.jsonld skipped: no federation config "
                f"(give --federation FILE or create ./{DEFAULT_CONFIG_NAME} from federation.example.toml)",
                file=sys.stderr,
            )
        written = outputs.write_outputs(args.out, writers)
    if not args.quiet:
        print(
            f"built {checked.initiatives} initiative(s) in {checked.clusters} cluster(s): "
            f"{len(checked.entities)} entities, checks: {', '.join(checked.checks)}"
        )
        for path in written:
            print(f"  wrote {path}")
    return ExitCode.OK


def run_validate(args: argparse.Namespace) -> int:
    settings = _federation_settings(args) if (args.dcat or args.gaiax or args.federation) else None
    with stages.checked_catalog(args.paths or [DEFAULT_SEED], spool=_spool(args)) as checked:
        _print_warnings(checked)
        catalog = checked.catalog() if (args.dcat or args.gaiax) else None
    reports: list[tuple[str, ShaclReport]] = []
    if catalog is not None:
        if settings is None:
            raise ValidationFailed(
                [
                    Diagnostic(
                        DEFAULT_CONFIG_NAME, "--dcat/--gaiax need a federation config (--federation FILE)"
                    )
                ]
            )
        if args.dcat:
            reports.append(("DCAT-AP 3.0.1", validate_dcat(dcat_graph(catalog, settings), args.shapes)))
        if args.gaiax:
            reports.append(
                ("Gaia-X 25.11", validate_gaiax(gaiax_document(catalog, settings), args.gaiax_shapes))
            )
    failed = False
    for name, report in reports:
        print(f"{name}: {report.text}")
        failed = failed or not report.conforms
    if failed:
        print("ldt-catalog: the federation outputs break the official shapes", file=sys.stderr)
        return ExitCode.INVALID
    print(
        f"valid: {checked.initiatives} initiative(s), {checked.clusters} cluster(s), "
        f"{len(checked.entities)} entities; checks: {', '.join([*checked.checks, *(n for n, _ in reports)])}; "
        f"{len(checked.warnings)} warning(s)"
    )
    return ExitCode.OK
