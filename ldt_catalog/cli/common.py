"""What several commands share: input paths and their checks, the build time, ``--strict``,
``-q``, and old option spellings kept as hidden aliases."""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from ldt_catalog.errors import Diagnostic, Severity, ValidationFailed
from ldt_catalog.package_data import data_dir

DEFAULT_SEED = Path("seed")


class UsageError(Exception):
    """The command line cannot be run as given (contradicting options, a missing input): exit 2."""


def existing_path(text: str) -> Path:
    """An argparse type: a path that exists (else a usage error, exit 2, naming it)."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"no such file or directory: {text}")
    return path


def add_pages_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        type=existing_path,
        metavar="PATH",
        help=f"pages, or folders of pages (*.md); default: ./{DEFAULT_SEED}/, else the seed shipped with the tool",
    )


def pages(args: argparse.Namespace) -> tuple[list[Path], str | None]:
    """The pages to read and, when the shipped seed stands in for a missing ./seed/, a note saying so."""
    if args.paths:
        return list(args.paths), None
    if DEFAULT_SEED.is_dir():
        return [DEFAULT_SEED], None
    try:
        shipped = data_dir("seed")
    except (FileNotFoundError, ValueError):
        raise UsageError(f"no ./{DEFAULT_SEED}/ here: give the pages to read (PATH ...)") from None
    return [
        shipped
    ], f"note: no ./{DEFAULT_SEED}/ here; reading the seed shipped with ldt-catalog ({shipped})"


def http_url(text: str) -> str:
    """An absolute http(s) URL, or a usage error that says so."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"not an absolute http(s) URL: {text!r}")
    return text


def add_page_base_url(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--page-base-url",
        metavar="URL",
        type=http_url,
        default=None,
        help=(
            "the URL the pages' folder is published at (ending with /): relative logo paths are "
            "resolved against it, as the hub's site resolves them; without it they stay relative "
            "references (xsd:anyURI) with a warning"
        ),
    )


def add_quiet(parser: argparse.ArgumentParser, help_text: str = "print only problems") -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help=help_text + "; no progress")


def add_strict(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--strict",
        action="store_true",
        help=f"treat every warning as an error: exit 1 and {what} (for the hub's own CI)",
    )


def add_alias(parser: argparse.ArgumentParser, old: str, dest: str, **kwargs: object) -> None:
    """An old spelling of an option, accepted for one release and hidden from ``--help``."""
    parser.add_argument(old, dest=dest, default=argparse.SUPPRESS, help=argparse.SUPPRESS, **kwargs)  # type: ignore[arg-type]


def refuse_warnings(warnings: Iterable[Diagnostic]) -> None:
    """``--strict``: every warning becomes an error (``ValidationFailed``, exit 1), still at its place."""
    errors = [
        replace(d, message=f"{d.message} (a warning, an error with --strict)", severity=Severity.ERROR)
        for d in warnings
    ]
    if errors:
        raise ValidationFailed(errors)


def build_time(env: Mapping[str, str]) -> datetime:
    """``SOURCE_DATE_EPOCH`` (reproducible builds) if set, else now; UTC, to the second."""
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), UTC)
        except (ValueError, OverflowError, OSError):
            raise UsageError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds since 1970") from None
    return datetime.now(UTC).replace(microsecond=0)


def names_list(names: Sequence[str]) -> str:
    return ", ".join(names) if names else "(none)"
