"""Two processes for a big site: a forked helper and this one take chunks of pages from one counter.

Fork, not spawn: the helper inherits the catalogue, so nothing is sent to it.  Chunks taken from a
shared counter, rather than two halves fixed up front, keep both processes busy to the end even
when other work on the machine slows one of them down; the pages are the same bytes whichever
process makes them.  The helper's files (half the site, ~70 MB at 10,000 initiatives) come back
through an in-memory file (``memfd``) shared across the fork: through a pipe, pickled, they took
0.3 s, as long as a tenth of the pages took to make.  Where there is no ``memfd`` the pipe is used.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar

from ldt_catalog.errors import LdtCatalogError

T = TypeVar("T")
Files = dict[str, bytes]
_IOV_MAX = 1024  # buffers per writev call (the POSIX minimum of IOV_MAX)


def can_fork() -> bool:
    """Forking is available and safe: no other thread whose locks the child could inherit held."""
    return (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and (os.cpu_count() or 1) > 1
    )


class Chunks:
    """``range``s of ``size`` consecutive items out of ``total``, each handed out once, to whichever
    process asks first (``shared``: across a fork, through a counter in shared memory)."""

    def __init__(self, total: int, size: int, *, shared: bool) -> None:
        self._total, self._size, self._local = total, max(size, 1), 0
        self._shared: Any = multiprocessing.get_context("fork").Value("q", 0) if shared else None

    def take(self) -> range | None:
        if self._shared is None:
            start, self._local = self._local, self._local + self._size
        else:
            with self._shared.get_lock():
                start = self._shared.value
                self._shared.value = start + self._size
        return range(start, min(start + self._size, self._total)) if start < self._total else None


def _write_all(fd: int, blobs: list[bytes]) -> None:
    for first in range(0, len(blobs), _IOV_MAX):
        batch = blobs[first : first + _IOV_MAX]
        written = os.writev(fd, batch)
        for blob in batch:  # after a short write, the rest one buffer at a time
            if written >= len(blob):
                written -= len(blob)
                continue
            view, written = memoryview(blob)[written:], 0
            while view:
                view = view[os.write(fd, view) :]


Deliver = Callable[[Files], None]


class _Helper(Generic[T]):
    def __init__(self, work: Callable[[Deliver], T]) -> None:
        context = multiprocessing.get_context("fork")
        self._fd = os.memfd_create("site-pages", os.MFD_CLOEXEC) if hasattr(os, "memfd_create") else None
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=self._serve, args=(work, send), name="site-pages", daemon=True)
        self._process.start()
        send.close()
        self.received = False

    def _serve(self, work: Callable[[Deliver], T], send: Connection) -> None:
        """In the helper: do the work, writing each batch of files to the shared file as it is
        delivered (or keeping them, without one), then say where they are."""
        paths: list[str] = []
        lengths: list[int] = []
        kept: Files = {}

        def deliver(files: Files) -> None:
            if self._fd is None:
                kept.update(files)
                return
            _write_all(self._fd, list(files.values()))
            paths.extend(files)
            lengths.extend(map(len, files.values()))

        try:
            extra = work(deliver)
            message: tuple[Any, ...] = (
                ("ok", kept, None, extra) if self._fd is None else ("ok", paths, lengths, extra)
            )
        except BaseException:  # reported to the parent, which raises it; the helper just ends
            message = ("error", traceback.format_exc())
        try:
            send.send(message)
        finally:
            send.close()

    def result(self) -> tuple[Files, T]:
        try:
            message = self._receive.recv()
        except EOFError:
            self._process.join()
            raise LdtCatalogError(
                f"site: the helper process ended (exit code {self._process.exitcode}) "
                "without sending its pages"
            ) from None
        if message[0] != "ok":
            raise LdtCatalogError(f"site: the helper process failed making its pages:\n{message[1]}")
        self.received = True
        _, paths, lengths, extra = message
        if lengths is None:
            return paths, extra
        files: Files = {}
        total = sum(lengths)
        if total:
            assert self._fd is not None
            flags = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)  # one fault, not one a page
            with mmap.mmap(self._fd, total, flags=flags, prot=mmap.PROT_READ) as shared:
                at = 0
                for path, length in zip(paths, lengths, strict=True):
                    files[path] = shared[at : at + length]
                    at += length
        else:
            files = dict.fromkeys(paths, b"")
        return files, extra

    def close(self) -> None:
        self._receive.close()
        if not self.received:
            self._process.terminate()
        self._process.join()
        if self._fd is not None:
            os.close(self._fd)


@contextmanager
def helper(work: Callable[[Deliver], T]) -> Iterator[Callable[[], tuple[Files, T]]]:
    """Run ``work(deliver)`` in a forked process from now on; it hands its files to ``deliver`` as it
    makes them and returns the rest of its result.  The yielded function waits for the files and that
    result.  Leaving the block ends the helper (stopped if this process failed first)."""
    running = _Helper(work)
    try:
        yield running.result
    finally:
        running.close()
