"""Where the checked catalogue lives between the stages: in memory, or spooled to a temporary folder.

The stages (``stages``) append every entity and every catalogue-view node to two ``Records`` as
each page is done, and read them back for SHACL, for the output files and for the broker.  The
two kinds of record hold the same values:

* ``MemoryRecords``: a list.  Fastest, about 30 KB per initiative for the whole catalogue.
* ``JsonLines``: one JSON line per value in a file of the spool folder; only line offsets stay in
  memory, so the catalogue's size does not show in the process's memory.

Each value is appended with its *order key* (clusters first, then initiatives, each by slug), so
that the outputs list entities in the same order however the pages were laid out.
"""

from __future__ import annotations

import json
import tempfile
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, overload

from ldt_catalog.ngsild.context import entity_context
from ldt_catalog.pipeline import litter
from ldt_catalog.pipeline.index_store import IndexStore

OrderKey = tuple[int, str]
"""``(0, cluster slug)`` or ``(1, initiative slug)``: the order of every output file."""


class Records(Sequence[dict[str, Any]]):
    """Values appended once, then read in the order they came or in order-key order."""

    def __init__(self) -> None:
        self._keys: list[OrderKey] = []

    def append(self, value: dict[str, Any], key: OrderKey) -> None:
        self._keys.append(key)
        self._put(value)

    def _put(self, value: dict[str, Any]) -> None:
        raise NotImplementedError

    def seal(self) -> None:
        """Every value is in: no more appends."""

    def in_order(self) -> Iterator[dict[str, Any]]:
        """Every value, by order key (values with equal keys in the order they came)."""
        keys = self._keys
        for position in sorted(range(len(keys)), key=keys.__getitem__):
            yield self[position]


class MemoryRecords(Records):
    """Records in a list."""

    def __init__(self) -> None:
        super().__init__()
        self._values: list[dict[str, Any]] = []

    def _put(self, value: dict[str, Any]) -> None:
        self._values.append(value)

    def __len__(self) -> int:
        return len(self._values)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self._values[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._values)


class JsonLines(Records):
    """A file of JSON lines read as a sequence, one line at a time; only line offsets are in memory.

    ``restore`` is applied to every value read (entities are spooled without their shared
    ``@context``, which is put back on reading, so the spool is not a copy of it per entity).
    """

    def __init__(self, path: Path, restore: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> None:
        super().__init__()
        self.path = path
        self._restore = restore
        self._offsets = array("q", [0])
        self._out: IO[bytes] | None = open(path, "wb")  # noqa: SIM115 - closed by seal()

    def _put(self, value: Mapping[str, Any]) -> None:
        if self._out is None:
            raise ValueError(f"{self.path} is sealed")
        line = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"
        self._out.write(line)
        self._offsets.append(self._offsets[-1] + len(line))

    def seal(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            return list(self._read(start, stop))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        return next(self._read(index, index + 1))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._read(0, len(self))

    def in_order(self) -> Iterator[dict[str, Any]]:
        # One open file for the whole walk: a seek per value instead of an open per value.
        keys = self._keys
        self.seal()
        with open(self.path, "rb") as handle:
            for position in sorted(range(len(keys)), key=keys.__getitem__):
                handle.seek(self._offsets[position])
                yield self._decode(handle.readline())

    def _read(self, start: int, stop: int) -> Iterator[dict[str, Any]]:
        if start >= stop:
            return
        self.seal()
        with open(self.path, "rb") as handle:
            handle.seek(self._offsets[start])
            for _ in range(stop - start):
                yield self._decode(handle.readline())

    def _decode(self, line: bytes) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(line)
        return self._restore(value) if self._restore else value


def _with_entity_context(entity: dict[str, Any]) -> dict[str, Any]:
    entity["@context"] = entity_context()  # last, as ``ngsild.entities`` puts it
    return entity


@dataclass
class CatalogStore:
    """The index of the first pass, and the entities and view nodes of the second.

    ``folder`` is the spool folder, or None when everything is in memory.
    """

    index: IndexStore
    entities: Records
    view_nodes: Records
    folder: Path | None = None
    spooled_entity_context: bool = field(default=False)

    def add_entity(self, entity: dict[str, Any], key: OrderKey) -> None:
        if self.spooled_entity_context:
            del entity["@context"]  # put back on reading (``_with_entity_context``)
        self.entities.append(entity, key)

    def seal(self) -> None:
        self.entities.seal()
        self.view_nodes.seal()


@contextmanager
def open_store(spool: bool) -> Iterator[CatalogStore]:
    """A store in memory, or (``spool``) in a temporary folder removed on exit, however it exits.

    A spool is locked while its run lives; spools of runs that died (SIGKILL) are removed first
    (``litter``)."""
    if not spool:
        index = IndexStore(None)
        try:
            yield CatalogStore(index, MemoryRecords(), MemoryRecords())
        finally:
            index.close()
        return
    with tempfile.TemporaryDirectory(prefix=litter.PREFIX) as spool_dir, litter.claimed(Path(spool_dir)):
        folder = Path(spool_dir)
        index = IndexStore(folder)
        store = CatalogStore(
            index,
            JsonLines(folder / "entities.jsonl", _with_entity_context),
            JsonLines(folder / "view.jsonl"),
            folder,
            spooled_entity_context=True,
        )
        try:
            yield store
        finally:
            store.seal()
            index.close()
