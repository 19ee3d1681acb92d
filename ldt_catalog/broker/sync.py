"""Publish: compare the catalogue with what the broker holds, and write only what differs.

``plan.py`` decides, per entity and per attribute, what to write (``compare.py`` tells equal from
different); this module reads the broker and sends.  The work overlaps: while the broker answers
the reads of the next chunks (``read_ahead`` of them, each ``chunk_size`` entities read by id)
and a writer thread sends the writes of earlier ones, the caller's thread compares.  At most
``write_behind`` chunks of writes wait, so memory stays flat whatever the catalogue's size; only
ids are kept between chunks.

Order of writes: per entity, attribute deletes before its fragment (an append would keep a
removed instance); creates and patches as the catalogue is compared; deletes of whole entities
(``prune``) last, so a crash never loses an entity that is still in the catalogue, and a re-run
re-plans from the broker's state and converges.  A patch the broker refuses is retried once as
a whole-entity upsert (some brokers refuse an attribute whose type changes, say).

Leftovers (entities of our types the broker holds that the catalogue lacks) are listed only when
the broker's count of our types says there are any.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ldt_catalog.broker import compare
from ldt_catalog.broker.client import (
    BatchResult,
    BrokerClient,
    BrokerProblem,
    BrokerUnavailable,
    EntityFailure,
    NonexistentTenant,
)
from ldt_catalog.broker.compare import Comparable as Comparable
from ldt_catalog.broker.compare import changed_attributes as changed_attributes
from ldt_catalog.broker.compare import comparable as comparable
from ldt_catalog.broker.plan import EntityWrite, Held, Plan, plan_chunk, plan_leftovers
from ldt_catalog.broker.plan import plan as plan
from ldt_catalog.ngsild.entities import Entity
from ldt_catalog.rdf import convert as rdf

COMPARE_CHUNK = 100
"""Entities compared (and their broker copies read by id) per round."""
READ_AHEAD = 4
"""Chunks whose broker copies are being read while one is compared."""
WRITE_BEHIND = 4
"""Chunks of writes that may wait for the writer before comparing pauses."""


@cache
def type_iris() -> tuple[str, ...]:
    """Our entity types as full IRIs (what we query the broker for)."""
    return compare.type_iris()


def held_copies(client: BrokerClient, ids: Sequence[str]) -> dict[str, Held]:
    """The broker's copies of ``ids`` (those it holds), as it answered them."""
    try:
        return {str(e.get("id")): Held.of(e) for e in client.entities_by_id(ids, type_iris())}
    except NonexistentTenant:
        return {}


def held_count(client: BrokerClient) -> int | None:
    """How many entities of our types the broker holds (None: it does not say)."""
    total = 0
    try:
        for entity_type in type_iris():
            response = client.request(
                "GET", "/entities", params={"type": entity_type, "limit": 0, "count": "true"}
            )
            count = response.headers.get("NGSILD-Results-Count")
            if count is None or not count.isdigit():
                return None
            total += int(count)
    except NonexistentTenant:
        return 0
    return total


def held_entities(
    client: BrokerClient, skip: Container[str] = frozenset()
) -> Iterator[tuple[str, str | None]]:
    """(id, generator) of every entity of our types the broker holds but those in ``skip``."""
    try:
        for entity in client.query_entities(list(type_iris())):
            entity_id = str(entity.get("id"))
            if entity_id not in skip:
                yield entity_id, Held.of(entity).generator
    except NonexistentTenant:
        return


@dataclass
class SyncResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failed: list[EntityFailure] = field(default_factory=list)
    replaced_after_refusal: list[str] = field(default_factory=list)  # patch refused, upserted whole
    attributes_written: int = 0

    def summary(self) -> str:
        return (
            f"created {len(self.created)}, updated {len(self.updated)}, unchanged {len(self.unchanged)}, "
            f"deleted {len(self.deleted)}, failed {len(self.failed)}"
        )

    def merge(self, other: SyncResult) -> None:
        self.created += other.created
        self.updated += other.updated
        self.failed += other.failed
        self.replaced_after_refusal += other.replaced_after_refusal
        self.attributes_written += other.attributes_written

    def to_json(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "failed": [{"id": f.entity_id, "reason": f.reason} for f in self.failed],
            "replacedAfterRefusal": self.replaced_after_refusal,
            "attributesWritten": self.attributes_written,
        }


def apply_writes(client: BrokerClient, writes: Sequence[EntityWrite]) -> SyncResult:
    """Send one chunk's writes: attribute deletes, one batch of fragments, one batch of whole entities."""
    done = SyncResult()
    refused: list[EntityWrite] = []
    fragments = []
    for write in writes:
        if write.kind != "patch":
            continue
        try:
            for gone in write.deletes:
                client.delete_attribute(write.entity_id, gone.attribute, gone.dataset_id, gone.delete_all)
        except BrokerProblem:
            refused.append(write)
            continue
        if write.fragment is not None:
            fragments.append(write)
        else:
            done.updated.append(write.entity_id)
            done.attributes_written += write.attributes_written
    by_id = {w.entity_id: w for w in writes}
    if fragments:
        outcome = client.update([w.fragment for w in fragments if w.fragment is not None])
        for entity_id in outcome.succeeded:
            done.updated.append(entity_id)
            done.attributes_written += by_id[entity_id].attributes_written
        refused += [by_id[f.entity_id] for f in outcome.failed if f.entity_id in by_id]
    whole = [w for w in writes if w.kind != "patch"] + refused
    if whole:
        outcome = client.upsert([w.entity for w in whole])
        again = {w.entity_id for w in refused}
        for entity_id in outcome.succeeded:
            write = by_id[entity_id]
            (done.created if write.kind == "create" else done.updated).append(entity_id)
            if entity_id in again:
                done.replaced_after_refusal.append(entity_id)
            done.attributes_written += EntityWrite(entity_id, "create", write.entity).attributes_written
        done.failed += outcome.failed
    return done


def synchronise(
    client: BrokerClient,
    desired: Iterable[Entity],
    *,
    prune: bool = False,
    dry_run: bool = False,
    progress: Callable[[str], None] | None = None,
    before_writes: Callable[[], None] | None = None,
    chunk_size: int = COMPARE_CHUNK,
    replace: bool = False,
    exact: bool = False,
    read_ahead: int = READ_AHEAD,
    write_behind: int = WRITE_BEHIND,
) -> tuple[Plan, SyncResult | None]:
    """Compare and (unless ``dry_run``) write, chunk by chunk; returns the plan and the result.

    ``replace`` writes every changed entity whole (an upsert) instead of patching its attributes;
    ``exact`` compares every entity through RDF (the reference) instead of the fast form first.
    ``before_writes`` runs once, before the first write (upload mode puts our @context on the
    broker there, so an unchanged publish writes nothing).
    """
    todo = Plan()
    result = None if dry_run else SyncResult()
    total = len(desired) if isinstance(desired, Sequence) else None
    wanted: set[str] = set()
    found = 0
    compared = 0
    readers = ThreadPoolExecutor(max_workers=max(1, read_ahead), thread_name_prefix="ldt-sync-read")
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ldt-sync-write")
    reads: deque[tuple[list[Entity], Future[dict[str, Held]]]] = deque()
    pending: deque[Future[SyncResult]] = deque()
    chunks = _chunks(desired, chunk_size)
    started_writing = False

    def read_more() -> None:
        while len(reads) < max(1, read_ahead):
            chunk = next(chunks, None)
            if chunk is None:
                return
            ids = [str(entity["id"]) for entity in chunk]
            reads.append((chunk, readers.submit(held_copies, client, ids)))

    def settle(keep: int) -> None:
        while len(pending) > keep:
            done = pending.popleft().result()
            if result is not None:
                result.merge(done)

    try:
        read_more()
        while reads:
            chunk, reading = reads.popleft()
            held = reading.result()
            read_more()
            wanted.update(str(entity["id"]) for entity in chunk)
            found += len(held)
            writes = plan_chunk(chunk, held, todo, replace=replace, exact=exact)
            compared += len(chunk)
            if progress and (compared % (chunk_size * 20) < chunk_size or not reads):
                of = f"/{total}" if total is not None else ""
                sent = len(result.created) + len(result.updated) if result is not None else 0
                progress(
                    f"compared {compared}{of}: {len(todo.create)} new, {len(todo.update)} changed, "
                    f"{len(todo.unchanged)} unchanged; {sent} written so far"
                )
            if result is None or not writes:
                continue
            if not started_writing and before_writes is not None:
                before_writes()
            started_writing = True
            pending.append(writer.submit(apply_writes, client, writes))
            settle(max(0, write_behind))
        settle(0)
        created = len(result.created) if result is not None else 0
        count = held_count(client)
        if count is None or count > found + created:
            if progress:
                progress("listing what the broker holds of our types that the catalogue lacks")
            plan_leftovers(held_entities(client, wanted), wanted, todo, prune=prune)
        if result is not None:
            result.unchanged = list(todo.unchanged)
            if todo.delete:
                if progress:
                    progress(f"deleting {len(todo.delete)} entities no longer in the catalogue")
                removed = client.delete(todo.delete)
                result.deleted.extend(removed.succeeded)
                result.failed.extend(removed.failed)
    except BrokerUnavailable as exc:
        if dry_run:
            raise BrokerUnavailable(
                f"{exc}\ndry run stopped after comparing {compared} entities; nothing was sent"
            ) from None
        if not started_writing:
            raise BrokerUnavailable(
                f"{exc}\nnothing was sent; run publish again when the broker answers"
            ) from None
        raise BrokerUnavailable(
            f"{exc}\n{compared} entities were compared so far; nothing is lost: run publish again to "
            "finish (it re-reads the broker and sends only what is still missing)"
        ) from None
    finally:
        readers.shutdown(wait=True, cancel_futures=True)
        writer.shutdown(wait=True, cancel_futures=True)
    return todo, result


def _chunks(items: Iterable[Entity], size: int) -> Iterator[list[Entity]]:
    chunk: list[Entity] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


__all__ = ["BatchResult", "Plan", "SyncResult", "plan", "rdf", "synchronise"]
