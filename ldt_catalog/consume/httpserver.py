"""The one base of our small HTTP servers (SPARQL endpoint, notification receiver, context server).

Each binds on loopback by default, handles requests in threads, and can run in the background for
tests (``start``/``stop``, or ``with``) or in the foreground for the CLI (``serve_forever``).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class BackgroundServer(ThreadingHTTPServer):
    daemon_threads = True
    thread_name = "ldt-catalog-server"

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._thread: threading.Thread | None = None
        super().__init__(address, handler)

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        if isinstance(host, (bytes, bytearray)):
            host = host.decode()
        return f"http://{host}:{port}"

    def start(self) -> Self:
        """Serve in a background thread; ``stop`` (or leaving ``with``) ends it."""
        self._thread = threading.Thread(
            target=self.serve_forever, args=(0.05,), name=self.thread_name, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self.server_close()

    def __exit__(self, *exc: object) -> None:
        self.stop()
