"""``ldt-catalog publish`` and ``ldt-catalog serve-context``.

This module reads the environment (``NGSI_LD_BROKER_URL``, ``NGSI_LD_TOKEN``, ``NGSI_LD_OAUTH_*``)
and maps broker failures to exit codes; the work is done by ``pipeline``, ``broker`` and ``sync``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import requests

from ldt_catalog.broker import sync
from ldt_catalog.broker.cache import PublishCache, inputs_digest
from ldt_catalog.broker.client import (
    CONTEXT_MODES,
    FLAVOURS,
    HARD_MAX_BATCH,
    BrokerClient,
    BrokerConfigError,
    BrokerError,
    BrokerUnavailable,
    RetryPolicy,
)
from ldt_catalog.cli import common, connection
from ldt_catalog.cli.common import UsageError
from ldt_catalog.cli.exit_codes import ExitCode
from ldt_catalog.cli.progress import ProgressLine
from ldt_catalog.consume.context_server import ContextServer
from ldt_catalog.ngsild.context import LDT_CONTEXT_URL, entity_context, ldt_term_definitions
from ldt_catalog.package_data import data_dir
from ldt_catalog.pipeline import stages
from ldt_catalog.sources import hub

PUBLISH_EPILOG = f"""\
context modes:
  inline  each entity carries its @context (our terms inline + the core context URL), sent as
          application/ld+json; the broker fetches nothing.  The default for every flavour.
  link    entities without @context, sent as application/json with
          Link: <URL>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"
          URL is --context-url (default {LDT_CONTEXT_URL});
          the broker must be able to fetch it, e.g. from `ldt-catalog serve-context`
          + /ldt-context.jsonld.
  upload  POST our context to the broker's /ngsi-ld/v1/jsonldContexts, then link to the URL it
          returns (orion-ld, scorpio; not stellio).

{connection.ENVIRONMENT_HELP}
progress:
  On a terminal one line shows the stage, pages or entities done of the total and the rate, and
  a running total of entities sent; retries and split batches are printed as lines.  Nothing of
  this with -q or when stderr is not a terminal (retries are still printed unless -q).

exit codes:
  0  everything published (or planned, with --dry-run)
  1  invalid pages or entities (with --strict, also warnings): every problem is listed, nothing is sent
  2  usage error, or a PATH that does not exist
  3  publishing finished but some entities failed, or the broker (or the token endpoint)
     refused a request; failing ids and reasons are listed
  4  the broker (or the token endpoint) was unreachable or kept answering 429/5xx;
     re-run to finish, nothing is lost
"""


def register(subparsers: Any) -> None:
    publish = subparsers.add_parser(
        "publish",
        help="build, validate and publish the catalogue to an NGSI-LD context broker",
        description=(
            "Build and validate the catalogue (nothing is sent if any check fails), read what the broker "
            "holds of our entity types, and send only what changed: new entities are created, changed "
            "ones replaced, unchanged ones left alone; with --prune, entities this tool created that are "
            "no longer in the catalogue are deleted (never entities made by anyone else)."
        ),
        epilog=PUBLISH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    common.add_pages_argument(publish)
    connection.add_connection_options(publish)
    publish.add_argument(
        "--flavour",
        choices=sorted(FLAVOURS),
        default="generic",
        help="which broker this is; sets batch, page and context defaults (default: generic)",
    )
    publish.add_argument(
        "--context-mode",
        choices=CONTEXT_MODES,
        default=None,
        help="how the broker gets our @context (default: per flavour, inline)",
    )
    publish.add_argument("--context-url", metavar="URL", help="context URL for --context-mode link")
    publish.add_argument(
        "--batch-size",
        type=int,
        metavar="N",
        help=f"entities per batch request (default: per flavour, 100; at most {HARD_MAX_BATCH})",
    )
    publish.add_argument(
        "--max-batch-bytes",
        type=int,
        metavar="N",
        help="largest batch request body in bytes (default: per flavour, 900000)",
    )
    publish.add_argument(
        "--dry-run", action="store_true", help="read the broker and print the plan; write nothing"
    )
    publish.add_argument("--json", action="store_true", help="print the plan or the result as JSON on stdout")
    publish.add_argument(
        "--prune",
        action="store_true",
        help="delete entities of our types that we created and that left the catalogue",
    )
    # -- attribute-level sync and the check cache (broker/sync.py, broker/cache.py) --
    publish.add_argument(
        "--replace",
        action="store_true",
        help="write every changed entity whole (upsert) instead of only its changed attributes",
    )
    publish.add_argument(
        "--no-cache",
        action="store_true",
        help="run every check even if the pages, shapes and version are those of the last "
        "successful publish to this broker and tenant",
    )
    common.add_quiet(publish, "print only problems and the summary line")
    common.add_strict(publish, "send nothing")
    common.add_page_base_url(publish)
    publish.set_defaults(handler=run_publish, pause_gc=True)

    serve = subparsers.add_parser(
        "serve-context",
        help="serve contexts/ read-only over HTTP, for --context-mode link",
        description=(
            "Serve the JSON-LD context files of contexts/ (GET and HEAD only, application/ld+json, "
            "no directory listing) until interrupted; prints the URL to give to --context-url."
        ),
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default: 8765; 0 picks a free one)")
    serve.set_defaults(handler=run_serve_context)


# --- publish -------------------------------------------------------------------------------------


def _client(args: argparse.Namespace, env: Mapping[str, str], progress: ProgressLine) -> BrokerClient:
    url = connection.broker_url(args, env)
    connection.check_connection(args)
    if args.batch_size is not None and not 1 <= args.batch_size <= HARD_MAX_BATCH:
        raise UsageError(f"--batch-size must be between 1 and {HARD_MAX_BATCH}")
    if args.max_batch_bytes is not None and args.max_batch_bytes < 1024:
        raise UsageError("--max-batch-bytes must be at least 1024")
    flavour = FLAVOURS[args.flavour]
    mode = args.context_mode or flavour.default_context_mode
    if args.context_url and mode != "link":
        raise UsageError("--context-url is only used with --context-mode link")
    if mode == "upload" and not flavour.jsonld_contexts:
        raise UsageError(
            f"--context-mode upload: {flavour.name} has no /jsonldContexts endpoint; use inline or link"
        )
    verify = connection.verify_setting(args)
    session = requests.Session()
    return BrokerClient(
        url,
        session=session,
        tenant=args.tenant,
        auth=connection.auth(args, env, session, verify),
        flavour=flavour,
        context_mode=mode,
        context_url=(args.context_url or LDT_CONTEXT_URL) if mode == "link" else None,
        inline_context=entity_context(),
        timeout=connection.timeouts(args),
        retry=RetryPolicy(attempts=args.retries + 1, unreachable=not args.dry_run),
        verify=verify,
        progress=progress.client,
        batch_size=args.batch_size,
        max_batch_bytes=args.max_batch_bytes,
    )


def _name(iri: str) -> str:
    return iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _print_plan(todo: sync.Plan, dry_run: bool) -> None:
    verb = "would " if dry_run else ""
    for entity_id in todo.create:
        print(f"  {verb}create {entity_id}")
    for entity_id, attributes in todo.update:
        print(f"  {verb}update {entity_id} ({', '.join(_name(a) for a in attributes)})")
    for entity_id in todo.delete:
        print(f"  {verb}delete {entity_id}")
    for entity_id in todo.stale:
        print(f"  keep {entity_id}: no longer in the catalogue (use --prune to delete it)")
    for entity_id in todo.foreign:
        print(f"  keep {entity_id}: not created by ldt-catalog, never touched")


def run_publish(args: argparse.Namespace) -> int:
    env = os.environ
    progress = ProgressLine(quiet=args.quiet)
    try:
        client = _client(args, env, progress)
        paths, note = common.pages(args)
    except (UsageError, BrokerConfigError) as exc:
        print(f"ldt-catalog publish: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    if note and not args.quiet:
        print(note, file=sys.stderr)
    # the check cache: SHACL is skipped only when no input of it changed since the last success
    cache = PublishCache(Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ldt-catalog")
    digest = inputs_digest(hub.find_pages(paths), sorted(data_dir("shapes").glob("*.ttl")))
    skip = not args.no_cache and cache.fresh(client.base_url, client.tenant, digest)
    if skip and not args.quiet:
        print(
            "pages, shapes and version as at the last successful publish here: SHACL skipped", file=sys.stderr
        )
    # exit 1 through cli.main when a page or a check fails; nothing has been sent then
    try:
        with stages.checked_catalog(
            paths, spool=True, shacl=not skip, page_base_url=args.page_base_url, progress=progress.status
        ) as checked:
            if args.strict:
                common.refuse_warnings(checked.warnings)
            progress.clear()
            for warning in checked.warnings:
                print(warning, file=sys.stderr)
            if not args.quiet:
                print(f"checks passed: {', '.join(checked.checks)}", file=sys.stderr)
            code = _send(args, client, checked.entities, progress)
    finally:
        progress.clear()
    if code == ExitCode.OK and not args.dry_run:
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            cache.record(client.base_url, client.tenant, digest)
    return code


def _send(
    args: argparse.Namespace, client: BrokerClient, entities: Sequence[dict[str, Any]], progress: ProgressLine
) -> int:
    where = f"{client.base_url}" + (f" (tenant {client.tenant})" if client.tenant else "")
    if not args.quiet and not args.json:
        print(
            f"publishing {len(entities)} entities to {where}: flavour {client.flavour.name}, "
            f"context {client.context_mode}{' (dry run)' if args.dry_run else ''}"
        )
    try:
        upload = None
        if client.context_mode == "upload":

            def upload() -> None:
                url = client.upload_context({"@context": ldt_term_definitions()})
                if not args.quiet and not args.json:
                    print(f"  uploaded our @context; linking to {url}")

        todo, result = sync.synchronise(
            client,
            progress.counted(entities, "compared", len(entities), "entities"),
            prune=args.prune,
            dry_run=args.dry_run,
            progress=progress.client,
            before_writes=upload,
            replace=args.replace,
        )
        progress.clear()
    except BrokerUnavailable as exc:
        print(f"ldt-catalog publish: {client.scrub(str(exc))}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    except BrokerError as exc:
        print(f"ldt-catalog publish: {client.scrub(str(exc))}", file=sys.stderr)
        return ExitCode.PUBLISH_FAILED
    if args.json:
        document: dict[str, Any] = {
            "broker": client.base_url,
            "tenant": client.tenant,
            "dryRun": args.dry_run,
            "plan": todo.to_json(),
        }
        if result is not None:
            document["result"] = result.to_json()
        print(json.dumps(document, indent=2, ensure_ascii=False))
    elif not args.quiet:
        _print_plan(todo, args.dry_run)
    if result is None:
        if not args.json:
            print(
                f"dry run: would create {len(todo.create)}, update {len(todo.update)}, delete "
                f"{len(todo.delete)}; unchanged {len(todo.unchanged)}; nothing was sent"
            )
        return ExitCode.OK
    for failure in result.failed:
        print(f"failed {failure.entity_id}: {client.scrub(failure.reason)}", file=sys.stderr)
    if not args.json:
        print(result.summary())
    return ExitCode.PUBLISH_FAILED if result.failed else ExitCode.OK


# --- serve-context -------------------------------------------------------------------------------


def run_serve_context(args: argparse.Namespace) -> int:
    try:
        server = ContextServer((args.host, args.port))
    except OSError as exc:
        print(
            f"ldt-catalog serve-context: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}; "
            "choose another port with --port",
            file=sys.stderr,
        )
        return ExitCode.UNAVAILABLE
    with server:
        print(f"serving {len(server.files)} context file(s) read-only at {server.url}/", flush=True)
        for name in server.files:
            print(f"  {server.url}{name}", flush=True)
        print(
            f"for link mode: --context-mode link --context-url {server.url}/ldt-context.jsonld "
            "(Ctrl-C to stop)",
            flush=True,
        )
        try:
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            print("stopped", flush=True)
    return ExitCode.OK
