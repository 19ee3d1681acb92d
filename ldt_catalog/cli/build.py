"""``ldt-catalog build`` and ``ldt-catalog validate``."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ldt_catalog import __version__
from ldt_catalog.cli import common
from ldt_catalog.cli.exit_codes import ExitCode
from ldt_catalog.cli.progress import ProgressLine
from ldt_catalog.errors import Diagnostic, ValidationFailed
from ldt_catalog.federation.config import DEFAULT_CONFIG_NAME, FederationSettings, load_federation_settings
from ldt_catalog.federation.dcat import DEFAULT_SHAPES_DIR as DCAT_SHAPES_DIR
from ldt_catalog.federation.dcat import dcat_graph, validate_dcat
from ldt_catalog.federation.gaiax import DEFAULT_SHAPES_DIR as GAIAX_SHAPES_DIR
from ldt_catalog.federation.gaiax import gaiax_document, validate_gaiax
from ldt_catalog.pipeline import outputs, stages
from ldt_catalog.pipeline.stages import Checked
from ldt_catalog.validation.shacl import ShaclReport

DEFAULT_SEED = common.DEFAULT_SEED
DEFAULT_OUT = Path("dist")

BUILD_EPILOG = """\
outputs:
  OUT holds exactly what the last build wrote: files an earlier build wrote and this one did not
  (dcat.ttl after a build without a federation config ...) are removed; files the tool never
  wrote are left alone.  report.json lists the tool version, the time (SOURCE_DATE_EPOCH if
  set), every page and every file written with its SHA-256.

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
        help=f"output folder (default: {DEFAULT_OUT}/)",
    )
    common.add_quiet(build)
    common.add_strict(build, "write nothing")
    build.add_argument(
        "--no-site",
        action="store_true",
        help="do not write OUT/site/, the browsable catalogue (HTML, schema.org JSON-LD, the ecosystem picture)",
    )
    common.add_page_base_url(build)
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
    common.add_quiet(validate, "print only problems and the summary line")
    common.add_strict(validate, "report the warnings as errors")
    common.add_page_base_url(validate)
    validate.set_defaults(handler=run_validate, pause_gc=True)


def _add_inputs(parser: argparse.ArgumentParser) -> None:
    common.add_pages_argument(parser)
    parser.add_argument(
        "--federation",
        type=common.existing_path,
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
        "--broker",
        default=None,
        metavar="URL",
        help="the NGSI-LD broker serving the entities, described as a dcat:DataService (overrides the config)",
    )
    common.add_alias(parser, "--broker-url", "broker")


def _federation_settings(args: argparse.Namespace) -> FederationSettings | None:
    path = args.federation
    if path is None:
        default = Path(DEFAULT_CONFIG_NAME)
        if not default.is_file():
            return None
        path = default
    settings = load_federation_settings(
        path, base_url=args.base_url, broker_url=args.broker, build_date=common.build_time(os.environ).date()
    )
    # A value still carrying the example marker would be published as it is: said loudly, refused with --strict.
    if args.strict:
        common.refuse_warnings(settings.warnings)
    for warning in settings.warnings:
        print(warning, file=sys.stderr)
    return settings


def _spool(args: argparse.Namespace) -> bool | None:
    """``--spool`` forces the spool; otherwise the pipeline decides by the pages' size."""
    return True if args.spool else None


def _pages(args: argparse.Namespace) -> list[Path]:
    paths, note = common.pages(args)
    if note and not args.quiet:
        print(note, file=sys.stderr)
    return paths


def _print_warnings(checked: Checked) -> None:
    for warning in checked.warnings:
        print(warning, file=sys.stderr)


def run_build(args: argparse.Namespace) -> int:
    settings = _federation_settings(args)
    progress = ProgressLine(quiet=args.quiet)
    built_at = common.build_time(os.environ)
    pages = _pages(args)
    try:
        with stages.checked_catalog(
            pages, spool=_spool(args), page_base_url=args.page_base_url, progress=progress.status
        ) as checked:
            if args.strict:
                common.refuse_warnings(checked.warnings)
            progress.clear()
            _print_warnings(checked)
            writers = outputs.output_writers(checked)
            if settings is not None:
                progress.status("DCAT-AP and Gaia-X")
                writers.update(outputs.federation_writers(checked, settings))
            elif not args.quiet:
                print(
                    f"note: dcat.ttl, dcat.jsonld and gaiax.jsonld skipped: no federation config "
                    f"(give --federation FILE or create ./{DEFAULT_CONFIG_NAME} from federation.example.toml)",
                    file=sys.stderr,
                )
            files: dict[str, outputs.Output] = dict(writers)
            if not args.no_site:
                progress.status("the site")
                base_url = args.base_url or (settings.base_url if settings is not None else None)
                files.update(outputs.site_files(checked, base_url=base_url, data_files=writers, pages=pages))
            progress.status(f"writing {len(files) + 1} files")
            outcome = outputs.write_outputs(
                args.out,
                files,
                lambda files: outputs.build_report(checked, files, version=__version__, built_at=built_at),
            )
    finally:
        progress.clear()
    for note in outcome.notes:
        print(f"note: {note}", file=sys.stderr)
    if not args.quiet:
        print(
            f"built {checked.initiatives} initiative(s) in {checked.clusters} cluster(s): "
            f"{len(checked.entities)} entities, checks: {', '.join(checked.checks)}"
        )
        site = args.out.resolve() / outputs.SITE_DIR
        for path in outcome.written:
            if site not in path.parents:  # the site's files are many: one line for them below
                print(f"  wrote {stages.display_path(path)}")
        if not args.no_site:
            count = sum(site in p.parents for p in outcome.written)
            print(
                f"  wrote {stages.display_path(site)}/ ({count} files): open {(site / 'index.html').as_uri()}"
            )
        old_site = [p for p in outcome.removed if site in p.parents]
        for path in outcome.removed:
            if site not in path.parents:
                print(f"  removed {stages.display_path(path)} (written by an earlier build, not by this one)")
        if old_site:
            print(f"  removed {stages.display_path(site)}/ ({len(old_site)} files of an earlier build)")
    return ExitCode.OK


def run_validate(args: argparse.Namespace) -> int:
    federated = args.dcat or args.gaiax
    settings = _federation_settings(args) if (federated or args.federation) else None
    if federated and settings is None:
        raise ValidationFailed(
            [Diagnostic(DEFAULT_CONFIG_NAME, "--dcat/--gaiax need a federation config (--federation FILE)")]
        )
    progress = ProgressLine(quiet=args.quiet)
    try:
        with stages.checked_catalog(
            _pages(args), spool=_spool(args), page_base_url=args.page_base_url, progress=progress.status
        ) as checked:
            if args.strict:
                common.refuse_warnings(checked.warnings)
            catalog = checked.catalog() if federated else None
        reports: list[tuple[str, ShaclReport]] = []
        if catalog is not None and settings is not None:
            if args.dcat:
                progress.status("DCAT-AP 3.0.1 shapes")
                reports.append(("DCAT-AP 3.0.1", validate_dcat(dcat_graph(catalog, settings), args.shapes)))
            if args.gaiax:
                progress.status("Gaia-X 25.11 shapes")
                reports.append(
                    ("Gaia-X 25.11", validate_gaiax(gaiax_document(catalog, settings), args.gaiax_shapes))
                )
    finally:
        progress.clear()
    _print_warnings(checked)
    failed = False
    for name, report in reports:
        print(f"{name}: {report.text}")
        failed = failed or not report.conforms
    if failed:
        print("ldt-catalog: the federation outputs break the official shapes", file=sys.stderr)
        return ExitCode.INVALID
    # Every warning printed counts: the pages', the federation config's and the official shapes'.
    warnings = len(checked.warnings) + sum(len(report.warnings) for _, report in reports)
    warnings += len(settings.warnings) if settings is not None else 0
    print(
        f"valid: {checked.initiatives} initiative(s), {checked.clusters} cluster(s), "
        f"{len(checked.entities)} entities; checks: {', '.join([*checked.checks, *(n for n, _ in reports)])}; "
        f"{warnings} warning(s)"
    )
    return ExitCode.OK
