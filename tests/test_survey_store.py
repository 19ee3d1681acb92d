"""The survey kept in SQLite answers as the one kept in dictionaries."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from ldt_catalog.rdf import convert as rdf
from ldt_catalog.validation import survey_store
from ldt_catalog.validation.chunks import MemorySurvey, Survey
from ldt_catalog.validation.survey_store import StoredSurvey

IRIS = [f"urn:x:{i}" for i in range(7)]


def _note(found: Survey) -> None:
    for iri in [*IRIS[:5], IRIS[1], IRIS[1], IRIS[3]]:
        found.note_root(iri)
    for iri, cls in [(IRIS[0], "urn:c:A"), (IRIS[0], "urn:c:B"), (IRIS[0], "urn:c:A"), (IRIS[6], "urn:c:A")]:
        found.note_type(iri, cls)
    notes: list[tuple[str, str, rdf.Term]] = [
        (IRIS[2], "urn:p:has", rdf.Iri(IRIS[0])),
        (IRIS[2], "urn:p:has", rdf.Iri(IRIS[1])),  # not the first: the first subject is kept
        (IRIS[2], "urn:p:other", rdf.BlankNode("b7")),
        (IRIS[5], "urn:p:has", rdf.Iri(IRIS[0])),  # a target rooting no tree
        (IRIS[6], "urn:p:has", rdf.BlankNode("b1")),
        (IRIS[5], "urn:p:has", rdf.Iri(IRIS[3])),
    ]
    for iri, predicate, subject in notes:
        found.note_incoming(iri, predicate, subject)
    found.seal()


def _answers(found: Survey) -> tuple[Any, ...]:
    asked = [*IRIS, "urn:x:unknown"]
    return (
        [found.trees_rooted_at(iri) for iri in asked],
        [sorted(found.types_of(iri)) for iri in asked],
        [dict(found.pointed_at_by(iri)) for iri in asked],
        sorted(found.targets_without_trees()),
    )


@pytest.mark.parametrize("batch", [1, 3, 20_000])
def test_stored_survey_answers_as_the_memory_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch: int
) -> None:
    monkeypatch.setattr(survey_store, "_BATCH", batch)
    monkeypatch.setattr(survey_store, "_CACHED", 2)  # the cache fills and empties while asked
    memory, stored = MemorySurvey(), StoredSurvey(tmp_path)
    _note(memory)
    _note(stored)
    expected = _answers(memory)
    assert expected[0] == [1, 3, 1, 2, 1, 0, 0, 0]
    assert expected[1][0] == ["urn:c:A", "urn:c:B"]
    assert expected[2][2] == {"urn:p:has": rdf.Iri(IRIS[0]), "urn:p:other": rdf.BlankNode("b7")}
    assert expected[3] == [IRIS[5], IRIS[6]]
    assert _answers(stored) == expected
    assert _answers(stored) == expected  # again, from the cache
    sent = pickle.loads(pickle.dumps(stored))  # a worker process reads the same file
    assert _answers(sent) == expected
    sent.close()
    assert stored.path.exists()  # only the survey's owner removes it
    stored.close()
    assert not list(tmp_path.iterdir())


def test_an_unsealed_survey_is_not_sent(tmp_path: Path) -> None:
    stored = StoredSurvey(tmp_path)
    stored.note_root(IRIS[0])
    with pytest.raises(ValueError, match="sealed"):
        pickle.dumps(stored)
    stored.close()
