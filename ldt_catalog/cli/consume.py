"""Consumer commands: ``subscribe``, ``subscriptions``, ``listen``, ``query`` and ``serve``."""

from __future__ import annotations

import argparse
import errno
import json
import os
import re
import socketserver
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ldt_catalog.broker import subscriptions
from ldt_catalog.cli import common, connection
from ldt_catalog.cli.common import UsageError
from ldt_catalog.cli.exit_codes import ExitCode
from ldt_catalog.consume import notifications, sparql
from ldt_catalog.package_data import data_dir

DEFAULT_DATA = Path("dist")
DEFAULT_SUBSCRIPTIONS = Path("subscriptions")
DEFAULT_LISTEN_PORT = 8099
"""Not 8080: Stellio listens there in deploy/ (Orion-LD 1026, Scorpio 9090)."""
DEFAULT_SERVE_PORT = 8000
QUERY_NAME = re.compile(r"[\w.-]+")
"""What a shipped query's name looks like (``contact-points``): never SPARQL, which has spaces."""


def register(subparsers: Any) -> None:
    _register_subscribe(subparsers)
    _register_subscriptions(subparsers)
    _register_listen(subparsers)
    _register_query(subparsers)
    _register_serve(subparsers)


def _parser(
    subparsers: Any, name: str, help_text: str, description: str, epilog: str | None = None
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=help_text,
        description=description,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return parser


# -- broker connection ------------------------------------------------------------------------------


def _client(args: argparse.Namespace) -> Any:
    from ldt_catalog.broker.client import BrokerClient, RetryPolicy

    env = os.environ
    url = connection.broker_url(args, env)
    connection.check_connection(args)
    import requests

    session = requests.Session()
    verify = connection.verify_setting(args)
    return BrokerClient(
        url,
        session=session,
        tenant=args.tenant,
        auth=connection.auth(args, env, session, verify),
        verify=verify,
        timeout=connection.timeouts(args),
        retry=RetryPolicy(attempts=args.retries + 1),
    )


def _guard(handler: Any) -> Any:
    """Map usage errors and an unreachable broker to their exit codes (the rest: ``cli.main``)."""

    def run(args: argparse.Namespace) -> int:
        from ldt_catalog.broker.client import BrokerConfigError, BrokerUnavailable

        try:
            code: int = handler(args)
        except (UsageError, BrokerConfigError, sparql.DataMissing) as exc:
            print(f"ldt-catalog {args.command}: {exc}", file=sys.stderr)
            return ExitCode.USAGE
        except (BrokerUnavailable, PortInUse) as exc:
            print(f"ldt-catalog {args.command}: {exc}", file=sys.stderr)
            return ExitCode.UNAVAILABLE
        return code

    return run


# -- subscribe / subscriptions ------------------------------------------------------------------------


def _register_subscribe(subparsers: Any) -> None:
    parser = _parser(
        subparsers,
        "subscribe",
        "create or update our NGSI-LD subscriptions on a broker",
        "Make the broker hold exactly the subscriptions of DIR (one JSON-LD file each, written with "
        "our @context; ids start with " + subscriptions.SUBSCRIPTION_ID_PREFIX + "). Matching is by id: "
        "missing ones are created, changed ones updated, the rest left alone, so running it again "
        "writes nothing. With --prune, ours that are no longer in DIR are deleted; subscriptions "
        "whose id does not carry our prefix are never touched. Exit 3 if some write failed.",
    )
    connection.add_connection_options(parser)
    parser.add_argument(
        "--dir",
        type=common.existing_path,
        default=DEFAULT_SUBSCRIPTIONS,
        metavar="DIR",
        help=f"folder of subscription files (default: {DEFAULT_SUBSCRIPTIONS}/)",
    )
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        help="notify this URL instead of each file's notification.endpoint.uri "
        f"(the shipped file points at {subscriptions.DEFAULT_ENDPOINT}, "
        "where `ldt-catalog listen` listens by default)",
    )
    parser.add_argument("--prune", action="store_true", help="delete our subscriptions that are not in DIR")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    parser.set_defaults(handler=_guard(run_subscribe))


def run_subscribe(args: argparse.Namespace) -> int:
    desired = subscriptions.load_subscriptions(args.dir, args.endpoint)
    client = _client(args)
    current = subscriptions.fetch_subscriptions(client)
    actions = subscriptions.plan(desired, current, prune=args.prune)
    if not args.dry_run:
        subscriptions.apply(client, actions)
    for action in actions:
        print(("would " if args.dry_run and action.kind != "unchanged" else "") + str(action))
    counts = {
        kind: sum(1 for a in actions if a.kind == kind and not a.error)
        for kind in ("create", "update", "unchanged", "delete")
    }
    failed = [a for a in actions if a.error]
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "nothing to do"
    prefix = "dry run: " if args.dry_run else ""
    print(f"{prefix}{summary}" + (f", {len(failed)} FAILED" if failed else ""))
    return ExitCode.PUBLISH_FAILED if failed else ExitCode.OK


def _register_subscriptions(subparsers: Any) -> None:
    parser = _parser(
        subparsers,
        "subscriptions",
        "list our subscriptions on a broker with their delivery status",
        "List the broker's subscriptions whose id starts with "
        + subscriptions.SUBSCRIPTION_ID_PREFIX
        + " (all with --all): status, endpoint, notifications sent and failed, and when the last "
        "notification, success and failure happened.",
    )
    connection.add_connection_options(parser)
    parser.add_argument("--all", action="store_true", help="also list subscriptions that are not ours")
    parser.add_argument("--json", action="store_true", help="print them as JSON on stdout")
    common.add_alias(parser, "--format", "legacy_format", choices=("table", "json"))
    parser.set_defaults(handler=_guard(run_subscriptions))


def run_subscriptions(args: argparse.Namespace) -> int:
    found = subscriptions.statuses(_client(args), everyone=args.all)
    if args.json or getattr(args, "legacy_format", None) == "json":
        print(json.dumps([vars(s) for s in found], indent=2))
        return ExitCode.OK
    if not found:
        print("no subscription" + ("" if args.all else " of ours (try --all)"))
        return ExitCode.OK
    for sub in found:
        print(sub.id)
        print(
            f"  status {sub.status or '-'}, notification {sub.notification_status or '-'}, "
            f"endpoint {sub.endpoint or '-'}"
        )
        print(
            f"  sent {_count(sub.times_sent)}, failed {_count(sub.times_failed)}; "
            f"last notification {sub.last_notification or 'never'}, last success {sub.last_success or 'never'}, "
            f"last failure {sub.last_failure or 'never'}"
        )
    return ExitCode.OK


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


# -- listen -----------------------------------------------------------------------------------------


def _register_listen(subparsers: Any) -> None:
    parser = _parser(
        subparsers,
        "listen",
        "receive notifications and print one readable line per entity",
        "Run an HTTP endpoint for NGSI-LD notifications (POST to any path; it answers 204, or 400 "
        "with the problems when the body is not a notification) and print a line per notified "
        "entity, such as 'Initiative DUET updated: description'. Names are read with the "
        "notification's @context (inline or from the Link header). Ctrl-C stops it.",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_LISTEN_PORT,
        help=f"port (default: {DEFAULT_LISTEN_PORT}, where the shipped subscription notifies)",
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1; 0.0.0.0 to accept a broker running elsewhere)",
    )
    parser.add_argument(
        "--baseline",
        type=common.existing_path,
        metavar="FILE",
        help="entities.jsonld as built, to list only the attributes that really changed "
        "in the first notification of each entity",
    )
    parser.add_argument(
        "--fetch-contexts",
        action="store_true",
        help="fetch a Link-header @context we do not vendor (e.g. one the broker serves)",
    )
    parser.set_defaults(handler=_guard(run_listen))


def run_listen(args: argparse.Namespace) -> int:
    tracker = notifications.ChangeTracker()
    if args.baseline is not None:
        entities = json.loads(args.baseline.read_text(encoding="utf-8"))
        tracker = notifications.ChangeTracker.from_entities(entities)
    server = _listening(
        args,
        lambda: notifications.NotificationReceiver(
            args.host, args.port, tracker=tracker, fetch_contexts=args.fetch_contexts
        ),
    )
    print(f"listening for notifications on {server.url} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    _serve_until_interrupted(server)
    print(f"stopped after {len(server.received)} notification(s)", file=sys.stderr)
    return ExitCode.OK


# -- query / serve ----------------------------------------------------------------------------------


def _add_data_options(parser: argparse.ArgumentParser) -> None:
    """Where the export is, for ``query`` and ``serve``."""
    parser.add_argument(
        "--out",
        dest="data",
        type=common.existing_path,
        default=DEFAULT_DATA,
        metavar="DIR",
        help=f"the folder `ldt-catalog build --out DIR` wrote (default: {DEFAULT_DATA}/)",
    )
    common.add_alias(parser, "--data", "data", type=common.existing_path)
    parser.add_argument(
        "--with-entities",
        action="store_true",
        help=f"also load entities.ttl (NGSI-LD RDF) into the named graph <{sparql.ENTITIES_GRAPH}>",
    )


def _query_dirs() -> list[Path]:
    return [Path("queries"), data_dir("queries")]


def shipped_queries() -> dict[str, Path]:
    """Name → file of every ``queries/*.rq`` (the working directory's first, then the source tree's)."""
    found: dict[str, Path] = {}
    for directory in _query_dirs():
        if directory.is_dir():
            for path in sorted(directory.glob("*.rq")):
                found.setdefault(path.stem, path)
    return found


def _query_text(argument: str) -> str:
    shipped = shipped_queries()
    named = shipped.get(argument.removesuffix(".rq")) if "/" not in argument else None
    if named is not None and not Path(argument).is_file():
        return named.read_text(encoding="utf-8")
    if argument != "-" and QUERY_NAME.fullmatch(argument) and not Path(argument).is_file():
        raise UsageError(
            f"no shipped query named {argument!r} and no such file; the shipped queries: "
            f"{common.names_list(sorted(shipped))} (see --list)"
        )
    return sparql.read_query(argument)


def _register_query(subparsers: Any) -> None:
    parser = _parser(
        subparsers,
        "query",
        "run a SPARQL query over the exported catalogue",
        "Run a SPARQL 1.1 SELECT, ASK, CONSTRUCT or DESCRIBE query over DIR/catalog.ttl (the "
        "plain-triples view: schema:Project initiatives, skos:Collection clusters, dcat:contactPoint "
        "vcard nodes, ldt:keyAsset resources ...). The prefixes ldt schema dcterms dcat vcard skos "
        "ngsi-ld rdf xsd are predeclared. Updates and SERVICE are refused. Exit 1 for a syntax "
        "error, 2 when DIR has no export yet (run `ldt-catalog build`).",
    )
    parser.add_argument(
        "query",
        nargs="?",
        metavar="QUERY",
        help="a shipped query's name (see --list), a .rq file, '-' for stdin, or SPARQL text",
    )
    _add_data_options(parser)
    parser.add_argument(
        "--format",
        default="table",
        choices=(*sparql.RESULT_FORMATS, *sparql.GRAPH_FORMATS),
        help="table (default; long values shortened), csv, tsv, json (SPARQL results "
        "JSON), xml; turtle, ntriples or rdfxml for CONSTRUCT/DESCRIBE",
    )
    parser.add_argument("--list", action="store_true", help="list the shipped queries and exit")
    parser.set_defaults(handler=_guard(run_query))


def run_query(args: argparse.Namespace) -> int:
    if args.list:
        for name, path in shipped_queries().items():
            print(f"{name:30} {sparql.first_comment(path)}")
        return ExitCode.OK
    if not args.query:
        raise UsageError("give a QUERY (a name from --list, a .rq file or SPARQL text)")
    text = _query_text(args.query)
    store = sparql.load_store(args.data, args.with_entities)
    try:
        result = sparql.run_query(store, text)
    except sparql.SparqlError as exc:
        print(f"ldt-catalog query: {exc}", file=sys.stderr)
        return ExitCode.INVALID
    try:
        output = sparql.serialize(result, args.format)
    except sparql.SparqlError as exc:
        raise UsageError(str(exc)) from exc
    sys.stdout.buffer.write(output)
    sys.stdout.flush()
    return ExitCode.OK


def _register_serve(subparsers: Any) -> None:
    parser = _parser(
        subparsers,
        "serve",
        "serve the exported catalogue as a read-only SPARQL 1.1 endpoint",
        "Serve DIR/catalog.ttl at /sparql by the SPARQL 1.1 Protocol: GET ?query=..., POST "
        "query=... (form) or an application/sparql-query body. Results by content negotiation: "
        "SPARQL results JSON (default), XML, CSV, TSV; CONSTRUCT as Turtle (default), N-Triples or "
        "RDF/XML. Updates (update=, application/sparql-update) and SERVICE get 403, a malformed "
        "query 400, an Accept we cannot meet 406. Ctrl-C stops it.",
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_SERVE_PORT, help=f"port (default: {DEFAULT_SERVE_PORT})"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    _add_data_options(parser)
    parser.set_defaults(handler=_guard(run_serve))


S = TypeVar("S")


class PortInUse(Exception):
    """The port to listen on is taken: exit 4, like any unavailable resource."""


def _listening(args: argparse.Namespace, make: Callable[[], S]) -> S:
    """The server ``make`` starts; a busy port is said with its fix (exit 4), not as an errno."""
    try:
        return make()
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(
                f"port {args.port} on {args.host} is already in use (another server, or a broker: "
                f"Stellio uses 8080); choose another with --port"
            ) from None
        raise


def _serve_until_interrupted(server: socketserver.BaseServer) -> None:
    """Serve until Ctrl-C, then close the socket (both servers print their own summary)."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def run_serve(args: argparse.Namespace) -> int:
    store = sparql.load_store(args.data, args.with_entities)
    server = _listening(args, lambda: sparql.SparqlServer(store, args.host, args.port))
    print(f"SPARQL endpoint on {server.url} over {args.data} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    _serve_until_interrupted(server)
    print("stopped", file=sys.stderr)
    return ExitCode.OK
