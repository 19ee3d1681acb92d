"""Fault injection for the test broker.

A ``FaultPlan`` holds rules; each matches a method (or any) and a path prefix (either the full
path, ``/ngsi-ld/v1/entityOperations``, or the part after ``/ngsi-ld/v1``, ``/entityOperations``)
and applies to the next ``times`` matching requests (``times=None``: all of them).  Several rules
may match one request; they compose in this order: ``delay`` (sleep, then go on), then
``drop_connection`` (close the socket, no response), then ``status`` (answer with that status
and a ProblemDetails body, nothing applied), then ``partial_207`` (inside a batch, fail the given
entity ids with a ProblemDetails each while applying the rest).

``kill_after(n)`` counts successful write requests (POST/PATCH/PUT/DELETE answered < 400); once
``n`` have succeeded every later connection is dropped, as if the broker died mid-publish.
``revive()`` brings it back, state intact.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

API_PREFIX = "/ngsi-ld/v1"
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


@dataclass
class Fault:
    kind: str  # "delay" | "drop" | "status" | "partial_207"
    method: str | None
    path: str
    times: int | None
    seconds: float = 0.0
    status: int = 503
    retry_after: str | None = None
    entity_ids: frozenset[str] = field(default_factory=frozenset)
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return path.startswith(self.path) or path.startswith(API_PREFIX + self.path)


class FaultPlan:
    """Faults to inject; methods return the ``Fault`` so a test can check ``fault.hits``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._kill_after: int | None = None
        self._writes_ok = 0
        self.killed = False

    def _add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def delay(
        self, seconds: float, *, method: str | None = None, path: str = "/", times: int | None = 1
    ) -> Fault:
        return self._add(Fault("delay", method, path, times, seconds=seconds))

    def drop_connection(self, *, method: str | None = None, path: str = "/", times: int | None = 1) -> Fault:
        return self._add(Fault("drop", method, path, times))

    def status(
        self,
        status: int,
        *,
        method: str | None = None,
        path: str = "/",
        times: int | None = 1,
        retry_after: str | int | None = None,
    ) -> Fault:
        retry = None if retry_after is None else str(retry_after)
        return self._add(Fault("status", method, path, times, status=status, retry_after=retry))

    def partial_207(
        self,
        entity_ids: list[str] | set[str] | tuple[str, ...],
        *,
        method: str | None = "POST",
        path: str = "/entityOperations/",
        times: int | None = 1,
        status: int = 400,
    ) -> Fault:
        """Fail these ids inside the next batch (with a ProblemDetails of ``status``)."""
        return self._add(
            Fault("partial_207", method, path, times, status=status, entity_ids=frozenset(entity_ids))
        )

    def kill_after(self, successful_writes: int) -> None:
        with self._lock:
            self._kill_after = successful_writes
            self._writes_ok = 0
            self.killed = successful_writes <= 0

    def revive(self) -> None:
        with self._lock:
            self._kill_after = None
            self.killed = False

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._kill_after = None
            self._writes_ok = 0
            self.killed = False

    def take(
        self, method: str, path: str, kinds: tuple[str, ...] = ("delay", "drop", "status")
    ) -> list[Fault]:
        """The faults of ``kinds`` matching this request, each consuming one of its ``times``."""
        taken = []
        with self._lock:
            for fault in list(self._faults):
                if fault.kind in kinds and fault.matches(method, path):
                    fault.hits += 1
                    taken.append(fault)
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
        order = {"delay": 0, "drop": 1, "status": 2, "partial_207": 3}
        return sorted(taken, key=lambda f: order[f.kind])

    def record_result(self, method: str, status: int) -> None:
        """Count a finished request towards ``kill_after``."""
        with self._lock:
            if self._kill_after is None or method not in WRITE_METHODS or status >= 400:
                return
            self._writes_ok += 1
            if self._writes_ok >= self._kill_after:
                self.killed = True
