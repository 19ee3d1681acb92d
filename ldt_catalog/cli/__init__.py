"""Command line: arguments, progress, printing and exit codes; nothing else.

Each sub-command lives in its own module with ``register(subparsers)``; the module's handler
returns an exit code.  This is the only place that reads environment variables or exits.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ldt_catalog import __version__
from ldt_catalog.accelerators import reference, reference_mode
from ldt_catalog.cli.common import UsageError
from ldt_catalog.cli.exit_codes import ExitCode, exit_codes_help
from ldt_catalog.cli.gc_pause import paused_gc
from ldt_catalog.errors import ContextError, LdtCatalogError, ReportedError

FIRST_STEPS = """\
first steps (the README says more):
  ldt-catalog build                          # seed/ -> dist/ (entities, Turtle, report)
  ldt-catalog validate --strict              # every check, warnings as errors; writes nothing
  ldt-catalog query --list                   # shipped SPARQL queries over dist/catalog.ttl
  ldt-catalog query contact-points
  ldt-catalog serve &                        # SPARQL 1.1 endpoint over dist/ on http://127.0.0.1:8000/sparql

with a broker (python -m tests.ngsild_broker --port 1026 is a loopback one for trying out):
  export NGSI_LD_BROKER_URL=http://localhost:1026
  ldt-catalog publish                        # bring the broker in line with the catalogue
  ldt-catalog listen &                       # print notifications as they arrive
  ldt-catalog subscribe                      # subscriptions/*.jsonld -> the broker (idempotent)
  ldt-catalog subscriptions                  # their status: sent, failed, last notification
  A broker in a container cannot reach 127.0.0.1 of your machine: use listen --host 0.0.0.0 and
  subscribe --endpoint http://host.docker.internal:8099/notify

  ldt-catalog COMMAND --help                 # every command explains itself
"""


REFERENCE_ENV = "LDT_CATALOG_REFERENCE"


def build_parser() -> argparse.ArgumentParser:
    from ldt_catalog.cli import build as build_command
    from ldt_catalog.cli import consume as consume_commands
    from ldt_catalog.cli import publish as publish_commands

    parser = argparse.ArgumentParser(
        prog="ldt-catalog",
        description=(
            "Publish the European Local Digital Twin ecosystem catalogue as linked data: "
            "knowledge-hub pages become NGSI-LD entities, Turtle and DCAT-AP, validated with "
            "JSON Schema and SHACL, and kept in step with an NGSI-LD context broker."
        ),
        epilog=FIRST_STEPS + "\n" + exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # Hidden: run the reference libraries instead of our accelerated steps (also LDT_CATALOG_REFERENCE=1).
    parser.add_argument("--reference", action="store_true", help=argparse.SUPPRESS)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (build_command, publish_commands, consume_commands):
        module.register(subparsers)
    return parser


class Terminated(BaseException):
    """SIGTERM arrived: raised where the program is, so that every ``finally`` runs (spools and
    partial outputs are removed) as on Ctrl-C."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse; an option the command does not know is reported with that command's usage (argparse
    would show the top-level one, which does not list it)."""
    args, extras = parser.parse_known_args(argv)
    if extras:
        command = _command_parser(parser, args.command)
        command.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def _command_parser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[name]
            return found
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parse(parser, argv)
    on_term = None
    if threading.current_thread() is threading.main_thread():  # only there can a handler be set
        on_term = signal.signal(signal.SIGTERM, _raise_terminated)
    # Reference mode: every accelerated step runs its reference library instead (ARCHITECTURE.md).
    on = args.reference or os.environ.get(REFERENCE_ENV, "") not in ("", "0") or reference_mode()
    try:
        with reference(on):
            return _run(args)
    finally:
        if on_term is not None:
            signal.signal(signal.SIGTERM, on_term)


def _run(args: argparse.Namespace) -> int:
    try:
        if getattr(args, "pause_gc", False):
            with paused_gc():
                code: int = args.handler(args)
        else:
            code = args.handler(args)
    except UsageError as exc:
        print(f"ldt-catalog {args.command}: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    except ReportedError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        print(f"ldt-catalog: {len(exc.diagnostics)} problem(s); nothing was written", file=sys.stderr)
        return ExitCode.INVALID
    except ContextError as exc:
        print(f"ldt-catalog: {exc}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    except LdtCatalogError as exc:
        print(f"ldt-catalog: {exc}", file=sys.stderr)
        return ExitCode.INVALID
    except BrokenPipeError:
        # The reader went away (``ldt-catalog query ... | head``): not an error of ours.
        _silence_stdout()
        return ExitCode.OK
    except OSError as exc:
        print(f"ldt-catalog: {exc}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    except KeyboardInterrupt:
        print("ldt-catalog: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Terminated:
        print("ldt-catalog: terminated", file=sys.stderr)
        return ExitCode.TERMINATED
    return code


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def run() -> None:
    sys.exit(main())
