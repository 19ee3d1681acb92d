"""How every broker command reaches the broker: one set of options for publish, subscribe and
subscriptions (URL, tenant, token, OAuth2, TLS, timeout, retries), read the same way everywhere."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path

import requests

from ldt_catalog.broker.auth import BearerToken, OAuth2ClientCredentials
from ldt_catalog.broker.client import Auth
from ldt_catalog.cli.common import UsageError

ENV_BROKER = "NGSI_LD_BROKER_URL"
ENV_TOKEN = "NGSI_LD_TOKEN"
ENV_OAUTH = ("NGSI_LD_OAUTH_TOKEN_URL", "NGSI_LD_OAUTH_CLIENT_ID", "NGSI_LD_OAUTH_CLIENT_SECRET")

ENVIRONMENT_HELP = f"""\
environment:
  {ENV_BROKER}    broker URL when --broker is not given
  {ENV_TOKEN}         bearer token (prefer --token-file; the token is never printed)
  {ENV_OAUTH[0]}, {ENV_OAUTH[1]}, {ENV_OAUTH[2]}
                        OAuth2 client credentials when the options are not given
"""


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("broker connection")
    group.add_argument("--broker", metavar="URL", help=f"broker base URL (default: ${ENV_BROKER})")
    group.add_argument(
        "--tenant",
        metavar="TENANT",
        help="NGSI-LD tenant (NGSILD-Tenant header; default: the default tenant)",
    )
    group.add_argument(
        "--token-file", type=Path, metavar="FILE", help=f"file holding a bearer token (else ${ENV_TOKEN})"
    )
    group.add_argument("--oauth-token-url", metavar="URL", help="OAuth2 token endpoint (client credentials)")
    group.add_argument("--oauth-client-id", metavar="ID", help="OAuth2 client id")
    group.add_argument(
        "--oauth-client-secret-file", type=Path, metavar="FILE", help="file holding the client secret"
    )
    group.add_argument(
        "--ca-bundle", type=Path, metavar="FILE", help="CA certificates to verify the broker with"
    )
    group.add_argument(
        "--insecure", action="store_true", help="do not verify TLS certificates (explicit opt-in)"
    )
    group.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="read timeout per request (connect timeout: 5 s or less; default: 30)",
    )
    group.add_argument(
        "--retries",
        type=int,
        default=4,
        metavar="N",
        help="retries after connection errors and 429/502/503/504 (default: 4)",
    )


def broker_url(args: argparse.Namespace, env: Mapping[str, str]) -> str:
    url: str | None = args.broker or env.get(ENV_BROKER)
    if not url:
        raise UsageError(f"no broker: give --broker URL or set {ENV_BROKER}")
    return url


def check_connection(args: argparse.Namespace) -> None:
    if args.insecure and args.ca_bundle:
        raise UsageError("--insecure and --ca-bundle contradict each other")
    if args.retries < 0 or args.timeout <= 0:
        raise UsageError("--retries must be >= 0 and --timeout > 0")


def verify_setting(args: argparse.Namespace) -> bool | str:
    """What ``requests`` verifies TLS with: False (``--insecure``), a CA bundle, or the system's."""
    return False if args.insecure else (str(args.ca_bundle) if args.ca_bundle else True)


def timeouts(args: argparse.Namespace) -> tuple[float, float]:
    """(connect, read) timeouts: connecting never waits longer than 5 s."""
    return (min(5.0, args.timeout), args.timeout)


def read_secret_file(path: Path, what: str) -> str:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UsageError(f"{what} {path}: {exc.strerror or exc}") from None
    if not value:
        raise UsageError(f"{what} {path} is empty")
    return value


def auth(
    args: argparse.Namespace, env: Mapping[str, str], session: requests.Session, verify: bool | str
) -> Auth | None:
    """OAuth2 client credentials, else a bearer token (file, then environment), else none."""
    token_url = args.oauth_token_url or env.get(ENV_OAUTH[0])
    if token_url:
        client_id = args.oauth_client_id or env.get(ENV_OAUTH[1])
        if args.oauth_client_secret_file:
            secret = read_secret_file(args.oauth_client_secret_file, "client secret file")
        else:
            secret = env.get(ENV_OAUTH[2], "")
        if not client_id or not secret:
            raise UsageError(
                "OAuth2 needs --oauth-client-id and --oauth-client-secret-file "
                f"(or {ENV_OAUTH[1]} and {ENV_OAUTH[2]})"
            )
        return OAuth2ClientCredentials(
            token_url, client_id, secret, session=session, verify=verify, timeout=timeouts(args)
        )
    if args.token_file:
        return BearerToken(read_secret_file(args.token_file, "token file"))
    if env.get(ENV_TOKEN, "").strip():
        return BearerToken(env[ENV_TOKEN])
    return None
