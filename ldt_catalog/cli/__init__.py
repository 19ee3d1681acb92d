"""Command line: arguments, progress, printing and exit codes; nothing else.

Each sub-command lives in its own module with ``register(subparsers)``; the module's handler
returns an exit code.  This is the only place that reads environment variables or exits.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType, ModuleType

from ldt_catalog import __version__
from ldt_catalog.errors import ContextError, LdtCatalogError, ReportedError

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2
EXIT_PUBLISH_FAILED = 3
EXIT_UNAVAILABLE = 4

EXIT_CODES_HELP = """\
first steps:
  ldt-catalog build                          # seed/ -> dist/ (entities, Turtle, report)
  ldt-catalog query --list                   # shipped SPARQL queries over dist/catalog.ttl
  ldt-catalog query contact-points
  ldt-catalog publish --broker URL           # bring a broker in line with the catalogue
  ldt-catalog listen &                       # print notifications as they arrive
  ldt-catalog subscribe --broker URL         # subscriptions/*.jsonld -> broker
  ldt-catalog <command> --help               # every command explains itself

exit codes:
  0  success
  1  invalid input: the pages or the produced data break a rule; every problem is
     listed as FILE:LINE: message and nothing is written or sent
  2  usage error: unknown command or option, missing argument
  3  publishing finished but some entities failed (see the summary)
  4  a resource was unavailable: broker unreachable, file not writable, ...
  130, 143  interrupted (Ctrl-C) or terminated (SIGTERM); temporary files are removed
"""


def build_parser() -> argparse.ArgumentParser:
    from ldt_catalog.cli import build as build_command

    parser = argparse.ArgumentParser(
        prog="ldt-catalog",
        description=(
            "Publish the European Local Digital Twin ecosystem catalogue as linked data: "
            "knowledge-hub pages become NGSI-LD entities, Turtle and DCAT-AP, validated with "
            "JSON Schema and SHACL, and kept in step with an NGSI-LD context broker."
        ),
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (build_command, *_optional_commands()):
        module.register(subparsers)
    return parser


def _optional_commands() -> list[ModuleType]:
    """Command modules beyond build/validate, in the order ``--help`` lists them."""
    import importlib

    modules = []
    for name in ("publish", "consume"):
        try:
            modules.append(importlib.import_module(f"ldt_catalog.cli.{name}"))
        except ModuleNotFoundError as exc:
            if exc.name != f"ldt_catalog.cli.{name}":
                raise
    return modules


class Terminated(BaseException):
    """SIGTERM arrived: raised where the program is, so that every ``finally`` runs (spools and
    partial outputs are removed) as on Ctrl-C."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    on_term = None
    if threading.current_thread() is threading.main_thread():  # only there can a handler be set
        on_term = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return _run(args)
    finally:
        if on_term is not None:
            signal.signal(signal.SIGTERM, on_term)


def _run(args: argparse.Namespace) -> int:
    try:
        code: int = args.handler(args)
    except ReportedError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        print(f"ldt-catalog: {len(exc.diagnostics)} problem(s); nothing was written", file=sys.stderr)
        return EXIT_INVALID
    except ContextError as exc:
        print(f"ldt-catalog: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except LdtCatalogError as exc:
        print(f"ldt-catalog: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        # The reader went away (``ldt-catalog query ... | head``): not an error of ours.
        _silence_stdout()
        return EXIT_OK
    except OSError as exc:
        print(f"ldt-catalog: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except KeyboardInterrupt:
        print("ldt-catalog: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("ldt-catalog: terminated", file=sys.stderr)
        return 143
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def run() -> None:
    sys.exit(main())
