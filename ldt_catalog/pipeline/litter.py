"""No litter: each catalogue spool holds a lock while its run lives; spools whose run died are removed.

A run that is killed (SIGKILL, power loss) cannot remove its temporary directory.  Each spool
therefore holds an exclusive ``fcntl.flock`` on ``.lock`` inside it for as long as its run is alive;
the kernel releases the lock when the process dies, however it dies.  Before making its own
spool a run removes every ``ldt-catalog-spool-*`` directory in the temporary folder whose lock
it can take, which means its owner is gone.  A spool whose lock is held is another live run's and
is never touched; a spool without a lock file (made by a version without locks, or in the instant
between its creation and its lock) is removed only when it is older than ``LOCKLESS_AGE``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

PREFIX = "ldt-catalog-spool-"
LOCK_NAME = ".lock"
LOCKLESS_AGE = 24 * 3600.0


def _owner_gone(lock: Path) -> bool:
    """True if nobody holds ``lock`` (we could take it); the probe lock is released at once."""
    try:
        fd = os.open(lock, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False  # held: a live run
    finally:
        os.close(fd)  # closing releases a lock we took
    return True


def reap(temp_dir: Path | None = None, *, now: float | None = None) -> list[Path]:
    """Remove the spools of dead runs in ``temp_dir`` (default: the system's); returns them."""
    folder = Path(temp_dir or tempfile.gettempdir())
    moment = time.time() if now is None else now
    removed = []
    for candidate in sorted(folder.glob(PREFIX + "*")):
        if not candidate.is_dir() or candidate.is_symlink():
            continue
        lock = candidate / LOCK_NAME
        if lock.exists():
            dead = _owner_gone(lock)
        else:
            try:
                dead = moment - candidate.stat().st_mtime > LOCKLESS_AGE
            except OSError:
                dead = False
        if dead:
            shutil.rmtree(candidate, ignore_errors=True)
            removed.append(candidate)
    return removed


@contextlib.contextmanager
def claimed(spool: Path) -> Iterator[list[Path]]:
    """Hold the lock of ``spool`` while the block runs, after removing dead runs' spools beside it
    (yielded, to report them)."""
    fd = os.open(spool / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, f"{os.getpid()}\n".encode())
        removed = reap(spool.parent)
        yield removed
    finally:
        os.close(fd)
