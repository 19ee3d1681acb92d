"""A read-only HTTP server for our JSON-LD contexts and vocabulary, so a broker can fetch them.

Used by ``ldt-catalog serve-context`` for publishing in link mode, and by the tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from ldt_catalog.consume.httpserver import BackgroundServer
from ldt_catalog.ngsild.context import contexts_dir

MEDIA_TYPES = {".jsonld": "application/ld+json", ".ttl": "text/turtle"}


class _ContextHandler(BaseHTTPRequestHandler):
    server: ContextServer
    server_version = "ldt-catalog-context"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _file(self) -> tuple[bytes, str] | None:
        name = self.path.split("?", 1)[0].split("#", 1)[0]
        return self.server.files.get(name)

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _serve(self, body: bool) -> None:
        found = self._file()
        if found is None:
            return self._plain(404, "not found\n", body)
        content, media_type = found
        self.send_response(200)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(content)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if body:
            self.wfile.write(content)

    def _refuse(self) -> None:
        self._plain(405, "read-only: GET and HEAD only\n", True, {"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _refuse

    def _plain(self, status: int, text: str, body: bool, headers: Mapping[str, str] | None = None) -> None:
        payload = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(payload)


class ContextServer(BackgroundServer):
    """Serves the contexts (``*.jsonld``, as ``application/ld+json``) and vocabularies (``*.ttl``, as
    ``text/turtle``) found in a folder at start-up, by name, from memory; nothing else."""

    thread_name = "context-server"

    def __init__(self, address: tuple[str, int], directory: Path | None = None) -> None:
        folder = directory or contexts_dir()
        self.files = {
            f"/{p.name}": (p.read_bytes(), MEDIA_TYPES[p.suffix])
            for p in sorted(folder.iterdir())
            if p.suffix in MEDIA_TYPES and p.is_file()
        }
        super().__init__(address, _ContextHandler)

    @property
    def url(self) -> str:
        return self.base_url
