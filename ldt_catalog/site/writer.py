"""File I/O around the pure renderer: write the site, read logos and the shipped SPARQL queries."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from ldt_catalog.errors import LdtCatalogError
from ldt_catalog.package_data import data_dir

MAX_LOGO_BYTES = 2_000_000
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


def write_site(files: Mapping[str, bytes], out_dir: Path, *, clean: bool = True) -> int:
    """Write ``render_site``'s files under ``out_dir`` (emptied first when ``clean``); returns how many."""
    out_dir = Path(out_dir)
    by_folder: dict[PurePosixPath, list[tuple[str, bytes]]] = {}
    for relative, content in files.items():
        path = PurePosixPath(relative)
        if not path.parts or path.is_absolute() or ".." in path.parts:
            raise LdtCatalogError(f"site: refusing to write outside {out_dir}: {relative!r}")
        by_folder.setdefault(path.parent, []).append((path.name, content))
    if clean and out_dir.exists():
        shutil.rmtree(out_dir)
    # one open folder per folder and plain os calls: 20,000 pathlib writes spent more time in
    # Python than in the kernel
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    for folder, entries in by_folder.items():
        target = out_dir.joinpath(*folder.parts)
        target.mkdir(parents=True, exist_ok=True)
        if os.open in os.supports_dir_fd:
            folder_fd = os.open(target, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            try:
                for name, content in entries:
                    _write(os.open(name, flags, 0o666, dir_fd=folder_fd), content)
            finally:
                os.close(folder_fd)
        else:
            for name, content in entries:
                _write(os.open(target / name, flags, 0o666), content)
    return len(files)


def _write(fd: int, content: bytes) -> None:
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def read_queries(folder: Path | None = None) -> dict[str, str]:
    """The SPARQL queries (``*.rq``) of ``folder``, by default the ones shipped with the tool."""
    folder = folder or data_dir("queries")
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.rq"))}


def read_logos(entities: Iterable[Mapping[str, Any]], pages_dir: Path) -> dict[str, bytes]:
    """Logo files that initiatives refer to relatively (``../assets/x.png``, relative to their page in
    ``pages_dir``), for ``render_site(logos=...)``; absent, too large or non-raster files are skipped."""
    found: dict[str, bytes] = {}
    for entity in entities:
        logo = entity.get("logo")
        value = logo.get("json", logo.get("value")) if isinstance(logo, Mapping) else None
        url = (value.get("relativeUrl") or value.get("url")) if isinstance(value, Mapping) else value
        if not isinstance(url, str) or "://" in url or url.startswith(("/", "data:")) or url in found:
            continue
        path = Path(pages_dir) / url
        if path.suffix.lower() in LOGO_SUFFIXES and path.is_file() and path.stat().st_size <= MAX_LOGO_BYTES:
            found[url] = path.read_bytes()
    return found
