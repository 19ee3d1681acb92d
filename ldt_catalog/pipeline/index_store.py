"""What the pipeline's first pass keeps of the whole catalogue: SQLite, on disk when spooled.

The pipeline goes over the pages twice (``stages``); between the passes it must remember, for every
initiative of the catalogue, its id and page line (to point problems at the source and to find
duplicated ids) and its names (to find mentions).  In dictionaries that grows with the catalogue
(``bench/README.md`` has the figures).  Here it is a file in the spool directory; what stays in memory
is the set of words that names are filed under (a text's words are checked against it before
SQLite is asked) and SQLite's page cache.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ldt_catalog.errors import SourceRef
from ldt_catalog.model.mentions import FiledName, Names

_BATCH = 20_000  # rows written per executemany

_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE source (id TEXT NOT NULL, kind TEXT NOT NULL, slug TEXT NOT NULL, path TEXT NOT NULL,
                     line INTEGER NOT NULL);
CREATE TABLE name (key TEXT NOT NULL, text TEXT NOT NULL, any_case INTEGER NOT NULL);
CREATE TABLE filed (word BLOB NOT NULL, key TEXT NOT NULL, text TEXT NOT NULL, any_case INTEGER NOT NULL,
                    other_words BLOB NOT NULL);
"""


class IndexStore:
    """Ids with their page lines, and names, of a whole catalogue: an SQLite file in ``directory``."""

    def __init__(self, directory: Path | None) -> None:
        # No directory: the same tables in an in-memory database (a catalogue held in memory).
        self.path: Path | None = None
        if directory is not None:
            handle, name = tempfile.mkstemp(prefix="index-", suffix=".sqlite", dir=directory)
            os.close(handle)  # SQLite opens an empty file as an empty database
            self.path = Path(name)
        self._db = sqlite3.connect(self.path or ":memory:")
        self._db.executescript(_SCHEMA)
        self._sources: list[tuple[str, str, str, str, int]] = []
        self._names: list[tuple[str, str, int]] = []
        self._sealed = False

    def add_source(self, entity_id: str, kind: str, slug: str, ref: SourceRef) -> None:
        """An entity made from the page line ``ref``: ``kind`` is ``cluster`` or ``initiative``."""
        self._sources.append((entity_id, kind, slug, ref.path, ref.line))
        if len(self._sources) >= _BATCH:
            self._flush()

    def add_names(self, names: Names) -> None:
        rows = [(names.key, n, 0) for n in names.exact] + [(names.key, n, 1) for n in names.any_case]
        self._names += rows
        if len(self._names) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO source VALUES (?, ?, ?, ?, ?)", self._sources)
        self._db.executemany("INSERT INTO name VALUES (?, ?, ?)", self._names)
        self._sources, self._names = [], []

    def seal(self) -> None:
        """Every page is indexed: the ids are made searchable."""
        if not self._sealed:
            self._flush()
            self._db.execute("CREATE INDEX source_id ON source (id)")
            self._db.commit()
            self._sealed = True

    def repeated(self, kind: str) -> list[tuple[str, SourceRef]]:
        """``(slug, ref)`` in page order of every ``kind`` entity whose id is given more than once."""
        rows = self._db.execute(
            "SELECT slug, path, line FROM source WHERE kind = ? AND id IN "
            "(SELECT id FROM source WHERE kind = ? GROUP BY id HAVING count(*) > 1) ORDER BY rowid",
            (kind, kind),
        )
        return [(slug, SourceRef(path, line)) for slug, path, line in rows]

    def locate(self, entity_id: str) -> SourceRef | None:
        """The page line an entity was made from (the first, if its id were given twice)."""
        row = self._db.execute(
            "SELECT path, line FROM source WHERE id = ? ORDER BY rowid LIMIT 1", (entity_id,)
        ).fetchone()
        return SourceRef(row[0], row[1]) if row else None

    def names(self) -> Iterator[Names]:
        """Every initiative's names, in the order they were added."""
        rows = self._db.execute("SELECT key, text, any_case FROM name ORDER BY rowid")
        for key, group in itertools.groupby(rows, key=lambda row: row[0]):
            texts = list(group)
            yield Names(key, tuple(t for _, t, c in texts if not c), tuple(t for _, t, c in texts if c))

    def filing(self) -> StoredFiling:
        """Where a ``MentionIndex`` files the names, in this database."""
        return StoredFiling(self._db)

    def close(self) -> None:
        """Close the database and remove its file."""
        self._db.close()
        if self.path is not None:
            self.path.unlink(missing_ok=True)


class StoredFiling:
    """A ``mentions.Filing`` in SQLite: only the words names are filed under stay in memory."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._words: set[bytes] = set()
        self._rows: list[tuple[bytes, str, str, int, bytes]] = []

    def file(self, word: bytes, key: str, text: str, any_case: bool, other_words: list[bytes]) -> None:
        self._words.add(word)
        self._rows.append((word, key, text, int(any_case), b" ".join(other_words)))  # words have no space
        if len(self._rows) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO filed VALUES (?, ?, ?, ?, ?)", self._rows)
        self._rows = []

    def seal(self) -> None:
        self._flush()
        self._db.execute("CREATE INDEX filed_word ON filed (word)")
        self._db.execute("DROP TABLE name")  # read by now: the names are filed
        self._db.commit()

    def under(self, words: Iterable[bytes]) -> Iterator[FiledName]:
        for word in self._words.intersection(words):
            rows = self._db.execute(
                "SELECT key, text, any_case, other_words FROM filed WHERE word = ?", (word,)
            ).fetchall()
            for key, text, any_case, others in rows:
                yield FiledName(key, text, bool(any_case), tuple(others.split()))
