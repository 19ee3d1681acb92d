"""The SHACL survey of a large graph kept on disk, in SQLite, instead of in dictionaries.

The survey (``chunks.Survey``) knows something of every IRI of the data: how many subject
trees it roots, its types, which target predicates point at it.  For a large catalogue that is
several IRIs per initiative, which in dictionaries would be most of what publish holds (figures in
bench/README.md).  Here the notes are appended to plain tables while the survey walks the data,
and ``seal`` turns them into tables keyed by IRI; the checks then look IRIs up one at a time
(the recent ones cached).  Memory stays that of SQLite's page cache.

The answers are those of ``MemorySurvey`` (tests/test_validate_chunks.py and
tests/test_shacl_direct.py run every case with both).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ldt_catalog.rdf import terms as rdf
from ldt_catalog.validation.chunks import Survey

_BATCH = 20_000  # notes written per executemany
_CACHED = 20_000  # lookups remembered, per kind: a part of the data asks about the same IRIs again

_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE root_note (iri TEXT NOT NULL);
CREATE TABLE type_note (iri TEXT NOT NULL, cls TEXT NOT NULL);
CREATE TABLE incoming_note (iri TEXT NOT NULL, predicate TEXT NOT NULL, blank INTEGER NOT NULL,
                            subject TEXT NOT NULL);
"""

# A bare column beside min() takes its value from the row holding the minimum (SQLite's rule):
# the first subject noted for each predicate, as MemorySurvey keeps it.
_SEAL = """
CREATE TABLE root (iri TEXT PRIMARY KEY, trees INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO root SELECT iri, count(*) FROM root_note GROUP BY iri;
CREATE TABLE type (iri TEXT NOT NULL, cls TEXT NOT NULL, PRIMARY KEY (iri, cls)) WITHOUT ROWID;
INSERT INTO type SELECT DISTINCT iri, cls FROM type_note;
CREATE TABLE incoming (iri TEXT NOT NULL, predicate TEXT NOT NULL, blank INTEGER NOT NULL,
                       subject TEXT NOT NULL, PRIMARY KEY (iri, predicate)) WITHOUT ROWID;
INSERT INTO incoming SELECT iri, predicate, blank, subject FROM
    (SELECT iri, predicate, blank, subject, min(rowid) FROM incoming_note GROUP BY iri, predicate);
DROP TABLE root_note;
DROP TABLE type_note;
DROP TABLE incoming_note;
"""


class StoredSurvey(Survey):
    """A survey in an SQLite file of its own, created in ``directory`` and removed by ``close``."""

    def __init__(self, directory: Path) -> None:
        super().__init__()
        handle, name = tempfile.mkstemp(prefix="survey-", suffix=".sqlite", dir=directory)
        os.close(handle)  # SQLite opens an empty file as an empty database
        self.path = Path(name)
        self._owner = True  # the process that removes the file
        self._db = sqlite3.connect(self.path)
        self._db.executescript(_SCHEMA)
        self._sealed = False
        self._roots: list[tuple[str]] = []
        self._types: list[tuple[str, str]] = []
        self._incoming: list[tuple[str, str, int, str]] = []
        self._reset_caches()

    def _reset_caches(self) -> None:
        self._trees: dict[str, int] = {}
        self._classes: dict[str, Sequence[str]] = {}
        self._pointers: dict[str, Mapping[str, rdf.Term]] = {}

    # -- noting --------------------------------------------------------------------------------

    def note_root(self, iri: str) -> None:
        self._roots.append((iri,))
        if len(self._roots) >= _BATCH:
            self._flush()

    def note_type(self, iri: str, cls: str) -> None:
        self._types.append((iri, cls))
        if len(self._types) >= _BATCH:
            self._flush()

    def note_incoming(self, iri: str, predicate: str, subject: rdf.Term) -> None:
        blank = type(subject) is rdf.BlankNode
        value = subject.label if blank else subject.value  # type: ignore[union-attr]
        self._incoming.append((iri, predicate, int(blank), value))
        if len(self._incoming) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        db = self._db
        db.executemany("INSERT INTO root_note VALUES (?)", self._roots)
        db.executemany("INSERT INTO type_note VALUES (?, ?)", self._types)
        db.executemany("INSERT INTO incoming_note VALUES (?, ?, ?, ?)", self._incoming)
        self._roots, self._types, self._incoming = [], [], []

    def seal(self) -> None:
        if self._sealed:
            return
        self._flush()
        self._db.executescript(_SEAL)
        self._db.commit()
        self._sealed = True

    # -- reading -------------------------------------------------------------------------------

    def trees_rooted_at(self, iri: str) -> int:
        found = self._trees.get(iri)
        if found is None:
            row = self._db.execute("SELECT trees FROM root WHERE iri = ?", (iri,)).fetchone()
            found = row[0] if row else 0
            self._remember(self._trees, iri, found)
        return found

    def types_of(self, iri: str) -> Sequence[str]:
        found = self._classes.get(iri)
        if found is None:
            rows = self._db.execute("SELECT cls FROM type WHERE iri = ?", (iri,)).fetchall()
            found = tuple(cls for (cls,) in rows)
            self._remember(self._classes, iri, found)
        return found

    def pointed_at_by(self, iri: str) -> Mapping[str, rdf.Term]:
        found = self._pointers.get(iri)
        if found is None:
            rows = self._db.execute(
                "SELECT predicate, blank, subject FROM incoming WHERE iri = ?", (iri,)
            ).fetchall()
            found = {p: rdf.BlankNode(s) if blank else rdf.Iri(s) for p, blank, s in rows}
            self._remember(self._pointers, iri, found)
        return found

    def targets_without_trees(self) -> Iterator[str]:
        rows = self._db.execute(
            "SELECT DISTINCT incoming.iri FROM incoming LEFT JOIN root ON root.iri = incoming.iri"
            " WHERE root.iri IS NULL"
        ).fetchall()
        return (iri for (iri,) in rows)

    @staticmethod
    def _remember(cache: dict[str, Any], iri: str, value: Any) -> None:
        if len(cache) >= _CACHED:
            cache.clear()
        cache[iri] = value

    # -- life ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database, and remove its file unless it was sent here from another process."""
        self._db.close()
        if self._owner:
            self.path.unlink(missing_ok=True)

    def __getstate__(self) -> dict[str, Any]:
        """A worker process gets the file's path and reads it (the survey must be sealed)."""
        if not self._sealed:
            raise ValueError("only a sealed survey can be sent to another process")
        return {"path": self.path, "subclass": self.subclass, "weights": self.weights}

    def __setstate__(self, state: dict[str, Any]) -> None:
        Survey.__init__(self)
        self.path, self.subclass, self.weights = state["path"], state["subclass"], state["weights"]
        self._db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
        self._sealed, self._owner = True, False
        self._reset_caches()
