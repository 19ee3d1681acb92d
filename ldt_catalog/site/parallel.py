"""Two processes for a big site: a forked helper and this one take chunks of pages from one counter.

Fork, not spawn: the helper inherits the catalogue, so nothing is sent to it.  Chunks taken from a
shared counter, rather than two halves fixed up front, keep both processes busy to the end even
when other work on the machine slows one of them down; the pages are the same bytes whichever
process makes them.  The helper's files (half the site, ~70 MB at 10,000 initiatives) come back
through an in-memory file (``memfd``) shared across the fork, a chunk at a time as they are made:
through a pipe, pickled at the end, they took 0.3 s, as long as a tenth of the pages took to make.
Where there is no ``memfd`` the pipe is used.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from multiprocessing.connection import Connection
from typing import Any, Generic, TypeVar, cast

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


class Helper(Generic[T]):
    """A forked process running ``work(deliver)``; each batch of files it delivers is written to the
    shared file and announced on a pipe, and ``collect`` reads what has come, so this process
    copies the helper's files while it still has its own to make, not all at the end."""

    def __init__(self, work: Callable[[Deliver], T]) -> None:
        context = multiprocessing.get_context("fork")
        self._fd = os.memfd_create("site-pages", os.MFD_CLOEXEC) if hasattr(os, "memfd_create") else None
        self._receive, send = context.Pipe(duplex=False)
        with suppress(OSError, AttributeError):  # room for every announcement, so the helper never waits
            fcntl.fcntl(send.fileno(), fcntl.F_SETPIPE_SZ, 1 << 20)
        self._process = context.Process(target=self._serve, args=(work, send), name="site-pages", daemon=True)
        self._process.start()
        send.close()
        self.files: Files = {}
        self._at = 0  # where the next announced file starts in the shared file
        self._done = False
        self._extra: T | None = None

    def _serve(self, work: Callable[[Deliver], T], send: Connection) -> None:
        """In the helper: do the work, announcing each batch of files, then send the rest."""

        def deliver(files: Files) -> None:
            if self._fd is None:
                send.send(("files", files, None))
                return
            _write_all(self._fd, list(files.values()))
            send.send(("files", list(files), [len(b) for b in files.values()]))

        try:
            message: tuple[Any, ...] = ("done", work(deliver))
        except BaseException:  # reported to the parent, which raises it; the helper just ends
            message = ("error", traceback.format_exc())
        try:
            send.send(message)
        finally:
            send.close()

    def _take(self, message: tuple[Any, ...]) -> None:
        if message[0] == "files":
            _, paths, lengths = message
            if lengths is None:
                self.files.update(paths)
                return
            assert self._fd is not None
            for path, length in zip(paths, lengths, strict=True):
                self.files[path] = os.pread(self._fd, length, self._at)
                self._at += length
        elif message[0] == "done":
            self._done, self._extra = True, message[1]
        else:
            raise LdtCatalogError(f"site: the helper process failed making its pages:\n{message[1]}")

    def collect(self) -> None:
        """Read the files announced so far, without waiting for more."""
        while not self._done and self._receive.poll():
            self._take(self._receive.recv())

    def result(self) -> tuple[Files, T]:
        """Wait for the helper to finish; its files and what ``work`` returned."""
        while not self._done:
            try:
                message = self._receive.recv()
            except EOFError:
                self._process.join()
                raise LdtCatalogError(
                    f"site: the helper process ended (exit code {self._process.exitcode}) "
                    "without sending its pages"
                ) from None
            self._take(message)
        extra = cast(T, self._extra)  # set with _done, from what work returned
        return self.files, extra

    def close(self) -> None:
        self._receive.close()
        if not self._done:
            self._process.terminate()
        self._process.join()
        if self._fd is not None:
            os.close(self._fd)


@contextmanager
def helper(work: Callable[[Deliver], T]) -> Iterator[Helper[T]]:
    """Run ``work(deliver)`` in a forked process from now on; it hands its files to ``deliver`` as it
    makes them and returns the rest of its result (``Helper.result``).  Leaving the block ends the
    helper (stopped if this process failed first)."""
    running = Helper(work)
    try:
        yield running
    finally:
        running.close()
