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
from ldt_catalog.broker.auth import BearerToken, OAuth2ClientCredentials
from ldt_catalog.broker.cache import PublishCache, inputs_digest
from ldt_catalog.broker.client import (
    CONTEXT_MODES,
    FLAVOURS,
    HARD_MAX_BATCH,
    Auth,
    BrokerClient,
    BrokerConfigError,
    BrokerError,
    BrokerUnavailable,
    RetryPolicy,
)
from ldt_catalog.cli.build import DEFAULT_SEED
from ldt_catalog.cli.exit_codes import ExitCode
from ldt_catalog.consume.context_server import ContextServer
from ldt_catalog.ngsild.context import LDT_CONTEXT_URL, entity_context, ldt_term_definitions
from ldt_catalog.package_data import data_dir
from ldt_catalog.pipeline import stages
from ldt_catalog.sources import hub

ENV_BROKER = "NGSI_LD_BROKER_URL"
ENV_TOKEN = "NGSI_LD_TOKEN"
ENV_OAUTH = ("NGSI_LD_OAUTH_TOKEN_URL", "NGSI_LD_OAUTH_CLIENT_ID", "NGSI_LD_OAUTH_CLIENT_SECRET")

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

environment:
  {ENV_BROKER}    broker URL when --broker is not given
  {ENV_TOKEN}         bearer token (prefer --token-file; the token is never printed)
  {ENV_OAUTH[0]}, {ENV_OAUTH[1]}, {ENV_OAUTH[2]}
                        OAuth2 client credentials when the options are not given

exit codes:
  0  everything published (or planned, with --dry-run)
  1  invalid pages or entities: every problem is listed, nothing is sent
  2  usage error
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
    publish.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help=f"pages or directories of pages (default: {DEFAULT_SEED}/)",
    )
    publish.add_argument("--broker", metavar="URL", help=f"broker base URL (default: ${ENV_BROKER})")
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
        "--tenant", help="NGSI-LD tenant (NGSILD-Tenant header); default: the default tenant"
    )
    publish.add_argument(
        "--token-file", type=Path, metavar="FILE", help=f"file holding a bearer token (else ${ENV_TOKEN})"
    )
    publish.add_argument(
        "--oauth-token-url", metavar="URL", help="OAuth2 token endpoint (client credentials)"
    )
    publish.add_argument("--oauth-client-id", metavar="ID", help="OAuth2 client id")
    publish.add_argument(
        "--oauth-client-secret-file", type=Path, metavar="FILE", help="file holding the client secret"
    )
    publish.add_argument(
        "--ca-bundle", type=Path, metavar="FILE", help="CA certificates to verify the broker with"
    )
    publish.add_argument(
        "--insecure", action="store_true", help="do not verify TLS certificates (explicit opt-in)"
    )
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
    # -- end --
    publish.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="read timeout per request (connect timeout: 5 s or less; default: 30)",
    )
    publish.add_argument(
        "--retries",
        type=int,
        default=4,
        metavar="N",
        help="retries after connection errors and 429/502/503/504 (default: 4)",
    )
    publish.add_argument(
        "--quiet", "-q", action="store_true", help="print only problems and the summary line"
    )
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


class UsageError(Exception):
    pass


def _read_secret_file(path: Path, what: str) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"{what} {path}: {exc.strerror or exc}") from None
    if not value:
        raise UsageError(f"{what} {path} is empty")
    return value


def _auth(
    args: argparse.Namespace, env: Mapping[str, str], session: requests.Session, verify: bool | str
) -> Auth | None:
    token_url = args.oauth_token_url or env.get(ENV_OAUTH[0])
    if token_url:
        client_id = args.oauth_client_id or env.get(ENV_OAUTH[1])
        if args.oauth_client_secret_file:
            secret = _read_secret_file(args.oauth_client_secret_file, "client secret file")
        else:
            secret = env.get(ENV_OAUTH[2], "")
        if not client_id or not secret:
            raise UsageError(
                "OAuth2 needs --oauth-client-id and --oauth-client-secret-file "
                f"(or {ENV_OAUTH[1]} and {ENV_OAUTH[2]})"
            )
        return OAuth2ClientCredentials(
            token_url,
            client_id,
            secret,
            session=session,
            verify=verify,
            timeout=(min(5.0, args.timeout), args.timeout),
        )
    if args.token_file:
        return BearerToken(_read_secret_file(args.token_file, "token file"))
    if env.get(ENV_TOKEN, "").strip():
        return BearerToken(env[ENV_TOKEN])
    return None


def _client(args: argparse.Namespace, env: Mapping[str, str]) -> BrokerClient:
    url = args.broker or env.get(ENV_BROKER)
    if not url:
        raise UsageError(f"no broker: give --broker URL or set {ENV_BROKER}")
    if args.insecure and args.ca_bundle:
        raise UsageError("--insecure and --ca-bundle contradict each other")
    if args.retries < 0 or args.timeout <= 0:
        raise UsageError("--retries must be >= 0 and --timeout > 0")
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
    verify: bool | str = False if args.insecure else (str(args.ca_bundle) if args.ca_bundle else True)
    session = requests.Session()
    progress = None if args.quiet else _progress
    return BrokerClient(
        url,
        session=session,
        tenant=args.tenant,
        auth=_auth(args, env, session, verify),
        flavour=flavour,
        context_mode=mode,
        context_url=(args.context_url or LDT_CONTEXT_URL) if mode == "link" else None,
        inline_context=entity_context(),
        timeout=(min(5.0, args.timeout), args.timeout),
        retry=RetryPolicy(attempts=args.retries + 1, unreachable=not args.dry_run),
        verify=verify,
        progress=progress,
        batch_size=args.batch_size,
        max_batch_bytes=args.max_batch_bytes,
    )


def _progress(message: str) -> None:
    print(f"  ... {message}", file=sys.stderr, flush=True)


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
    try:
        client = _client(args, env)
    except (UsageError, BrokerConfigError) as exc:
        print(f"ldt-catalog publish: {exc}", file=sys.stderr)
        return ExitCode.USAGE
    paths = args.paths or [DEFAULT_SEED]
    # -- the check cache: SHACL is skipped only when no input of it changed since the last success --
    cache = PublishCache(Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ldt-catalog")
    digest = inputs_digest(hub.find_pages(paths), sorted(data_dir("shapes").glob("*.ttl")))
    skip = not args.no_cache and cache.fresh(client.base_url, client.tenant, digest)
    if skip and client.progress:
        client.progress("pages, shapes and version as at the last successful publish here: SHACL skipped")
    # -- end --
    # exit 1 through cli.main when a page or a check fails; nothing has been sent then
    with stages.checked_catalog(paths, spool=True, shacl=not skip, progress=client.progress) as checked:
        for warning in checked.warnings:
            print(warning, file=sys.stderr)
        code = _send(args, client, checked.entities)
    if code == ExitCode.OK and not args.dry_run:
        with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
            cache.record(client.base_url, client.tenant, digest)
    return code


def _send(args: argparse.Namespace, client: BrokerClient, entities: Sequence[dict[str, Any]]) -> int:
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
            entities,
            prune=args.prune,
            dry_run=args.dry_run,
            progress=client.progress,
            before_writes=upload,
            replace=args.replace,
        )
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
            f"ldt-catalog serve-context: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}",
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
