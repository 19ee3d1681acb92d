"""Python's cyclic garbage collector paused while a command builds many long-lived objects.

Only the CLI's entry points pause it (``cli.main``, for build, validate and publish): a library
caller's heap is theirs, never frozen by us.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a stage builds many long-lived objects.

    The pages, the model and the entities are trees without reference cycles, freed by reference
    counting; the collector would only re-scan them, again and again as they grow (a large share of
    a big build's time: ``bench/README.md``).  It is switched back on afterwards, if it was on, with
    what exists by then frozen (``gc.freeze``): otherwise its first run would scan every object made
    meanwhile once more.  Frozen objects are still freed by reference
    counting; only reference cycles among them would outlive the process, and these trees have none.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()
