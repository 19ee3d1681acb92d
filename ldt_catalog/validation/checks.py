"""JSON Schema on the NGSI-LD payloads, SHACL on the RDF views; every problem in one report.

The schemas and shapes live in ``shapes/``.  Validators are built once per process: building a
jsonschema validator per entity costs more than the validation itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
import rdflib
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ldt_catalog.accelerators import reference_mode
from ldt_catalog.errors import Diagnostic, Severity
from ldt_catalog.package_data import data_dir
from ldt_catalog.rdf.convert import (
    EntitySubjects,
    Iri,
    NodeConverter,
    Subject,
    TermTable,
    document_subjects,
    entity_subjects,
    to_graph,
)
from ldt_catalog.validation.chunks import CHUNK_WEIGHT, Survey, chunk, chunkable, slices, survey
from ldt_catalog.validation.fast_schema import compile_validators
from ldt_catalog.validation.fast_shacl.checker import (
    DirectShapes,
    check_part,
    check_rest,
    compile_shapes,
    exact_for,
)
from ldt_catalog.validation.shacl import ShaclIssue, ShaclReport, run_shacl
from ldt_catalog.validation.survey_store import StoredSurvey

SCHEMA_FILES = {
    "Initiative": "initiative.schema.json",
    "Cluster": "cluster.schema.json",
}
SHARED_SCHEMA_FILES = ("ngsi-ld-attributes.schema.json",)


def shapes_dir() -> Path:
    return data_dir("shapes")


def _load_json(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((shapes_dir() / name).read_text(encoding="utf-8"))
    return document


@cache
def schema_registry() -> Registry:
    resources = [
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
        for schema in (_load_json(name) for name in (*SHARED_SCHEMA_FILES, *SCHEMA_FILES.values()))
    ]
    registry: Registry = Registry().with_resources(resources)
    return registry


@cache
def entity_validator(entity_type: str) -> Draft202012Validator:
    """The validator of one entity type, built once."""
    schema = _load_json(SCHEMA_FILES[entity_type])
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=schema_registry())


# -- the fast path: jsonschema-rs decides valid or not; jsonschema explains what is wrong ----------


@cache
def _fast_validators() -> dict[str, jsonschema_rs.Validator]:
    return compile_validators(
        {entity_type: _load_json(name) for entity_type, name in SCHEMA_FILES.items()},
        [_load_json(name) for name in SHARED_SCHEMA_FILES],
    )


def is_valid_fast(entity: Mapping[str, Any]) -> bool | None:
    """Whether the fast engine finds the entity valid; None for an entity of an unknown type."""
    validator = _fast_validators().get(str(entity.get("type")))
    return None if validator is None else bool(validator.is_valid(entity))


def _error_path(error: ValidationError) -> str:
    return "/".join(str(part) for part in error.absolute_path) or "(entity)"


def _leaf_errors(error: ValidationError) -> Iterable[ValidationError]:
    """The most specific reasons: ``anyOf``/``allOf`` failures explained by their sub-errors."""
    if error.context:
        best: dict[str, ValidationError] = {}
        for sub in error.context:
            for leaf in _leaf_errors(sub):
                best.setdefault(f"{_error_path(leaf)}|{leaf.message}", leaf)
        yield from best.values()
    else:
        yield error


def describe_schema_error(entity_id: str, error: ValidationError) -> str:
    rule = error.schema.get("description") if isinstance(error.schema, dict) else None
    message = f"{entity_id}: {_error_path(error)}: {error.message}"
    return f"{message} ({rule})" if rule else message


def validate_entity(entity: Mapping[str, Any], where: str | None = None) -> list[Diagnostic]:
    """Every JSON Schema problem of one normalized entity."""
    entity_id = str(entity.get("id", "(no id)"))
    location = where or entity_id
    entity_type = entity.get("type")
    if entity_type not in SCHEMA_FILES:
        return [Diagnostic(location, f"{entity_id}: unknown entity type {entity_type!r}")]
    if not reference_mode() and is_valid_fast(entity):
        return []  # only an entity the fast check refuses is explained, error by error, by jsonschema
    problems: list[Diagnostic] = []
    for error in sorted(entity_validator(str(entity_type)).iter_errors(entity), key=lambda e: e.path):
        leaves = list(_leaf_errors(error)) if error.validator in ("anyOf", "oneOf") else [error]
        problems.extend(Diagnostic(location, describe_schema_error(entity_id, leaf)) for leaf in leaves)
    return problems


def validate_entities(
    entities: Iterable[Mapping[str, Any]],
    locate: Callable[[Mapping[str, Any]], str | None] | None = None,
) -> list[Diagnostic]:
    """JSON Schema problems of every entity; ``locate`` maps an entity to ``FILE:LINE``."""
    problems: list[Diagnostic] = []
    seen: dict[str, str] = {}
    for entity in entities:
        where = locate(entity) if locate else None
        problems.extend(validate_entity(entity, where))
        entity_id = str(entity.get("id"))
        if entity_id in seen:
            problems.append(
                Diagnostic(where or entity_id, f"duplicate entity id {entity_id} (also at {seen[entity_id]})")
            )
        seen[entity_id] = where or entity_id
    return problems


# -- SHACL --------------------------------------------------------------------------------------


@cache
def shapes_graph(name: str) -> rdflib.Graph:
    return rdflib.Graph().parse(shapes_dir() / name, format="turtle")


def shacl_problems(
    data: rdflib.Graph,
    shapes: rdflib.Graph,
    locate: Callable[[rdflib.term.Node], str | None] | None = None,
    ont_graph: rdflib.Graph | None = None,
) -> list[Diagnostic]:
    """SHACL results as diagnostics: violations are errors, warnings and infos are warnings.

    ``locate`` maps a focus node to ``FILE:LINE`` so a person is sent to the page to fix.
    """
    return _diagnostics(run_shacl(data, shapes, ont_graph=ont_graph), locate)


def shacl_problems_chunked(
    nodes: Sequence[dict[str, Any]],
    context: Any,
    shapes: rdflib.Graph,
    locate: Callable[[rdflib.term.Node], str | None] | None = None,
    chunk_weight: int = CHUNK_WEIGHT,
    processes: int = 0,
    store: Path | None = None,
) -> list[Diagnostic]:
    """``shacl_problems`` of the RDF of ``nodes``, validated part by part in bounded memory.

    ``nodes`` are NGSI-LD entities, each with its own ``@context`` (``context`` None), or the
    ``@graph`` nodes of a document whose ``@context`` is ``context``.  The diagnostics are those
    pySHACL gives for the whole graph.

    Shapes the direct checker supports (ours) are checked by it, in this process (``fast_shacl``).
    Others go to pySHACL, chunk by chunk (``chunks``), or on the whole graph when chunks are
    not exact for them; with ``processes`` > 0 the chunks are then validated by that many fresh
    worker processes, each sent only its chunk's nodes, so that the memory of a worker stays that
    of one chunk.  The direct checker does not use workers: starting them and sending them the
    nodes cost more than they saved (bench/README.md).

    In reference mode (``accelerators``), pyld makes the graph and pySHACL validates it whole.

    With ``store``, a directory, what the parts need to know of the whole (the survey) is kept
    there in SQLite rather than in memory (``survey_store``): publish's way for large catalogues.
    """
    if reference_mode():
        return shacl_problems(to_graph(_whole_graph_subjects(context, nodes)), shapes, locate)
    direct = compile_shapes(shapes)
    if direct is None and not chunkable(shapes):
        return shacl_problems(to_graph(_trees(context, nodes)), shapes, locate)
    kept = None if store is None else StoredSurvey(store)
    try:
        surveyed = survey(_indexed_trees(context, nodes), shapes, kept)
        return _surveyed_problems(nodes, context, shapes, surveyed, locate, chunk_weight, processes, direct)
    finally:
        if kept is not None:
            kept.close()


def _surveyed_problems(
    nodes: Sequence[dict[str, Any]],
    context: Any,
    shapes: rdflib.Graph,
    surveyed: Survey,
    locate: Callable[[rdflib.term.Node], str | None] | None,
    chunk_weight: int,
    processes: int,
    direct: DirectShapes | None,
) -> list[Diagnostic]:
    """The diagnostics, once the data is surveyed: by the direct checker, or pySHACL's chunks."""
    if direct is not None and exact_for(surveyed):
        issues = _direct(direct, surveyed, context, nodes, chunk_weight)
        return _diagnostics(_report(issues), locate)
    if not chunkable(shapes):
        return shacl_problems(to_graph(_trees(context, nodes)), shapes, locate)
    # lazily: ``nodes`` may be read from disk (publish's spool), one part in memory at a time
    parts = (nodes[start:end] for start, end in slices(surveyed.weights, chunk_weight))
    violations: set[ShaclIssue] = set()
    warnings: set[ShaclIssue] = set()
    shared: list[Subject] = []
    if processes <= 0:
        for part in parts:
            _merge(_validate(context, part, surveyed, shapes), violations, warnings, shared)
    else:
        import multiprocessing

        spawn = multiprocessing.get_context("forkserver")  # workers inherit none of our memory
        setup = (surveyed, shapes.serialize(format="turtle"))
        with spawn.Pool(processes, initializer=_start_worker, initargs=setup) as pool:
            for found in pool.imap_unordered(_validate_slice, ((context, part) for part in parts)):
                _merge(found, violations, warnings, shared)
    if shared:
        last = chunk(shared, surveyed, None)  # every tree of a shared root, validated together
        report = run_shacl(last.graph, shapes, ignore_focus=last.stubs, inplace=True)
        violations.update(report.violations)
        warnings.update(report.warnings)
    return _diagnostics(ShaclReport(tuple(sorted(violations)), tuple(sorted(warnings))), locate)


def _direct(
    shapes: DirectShapes, surveyed: Survey, context: Any, nodes: Sequence[dict[str, Any]], weight: int
) -> set[ShaclIssue]:
    """The direct checker's results, part by part: only one part's subject trees are in memory."""
    found: set[ShaclIssue] = set()
    shared: list[Subject] = []
    deferred: list[Subject] = []
    for start, end in slices(surveyed.weights, weight):
        issues, part_shared, part_deferred = check_part(shapes, surveyed, _trees(context, nodes[start:end]))
        found |= issues
        shared += part_shared
        deferred += part_deferred

    def load(iris: set[str]) -> list[Subject]:
        return [t for t in _trees(context, nodes) if isinstance(t.term, Iri) and t.term.value in iris]

    return found | check_rest(shapes, surveyed, shared, deferred, load)


def _report(found: Iterable[ShaclIssue]) -> ShaclReport:
    """The results sorted as ``run_shacl`` sorts them: info results count as warnings."""
    violations = sorted(issue for issue in found if issue.severity == "Violation")
    warnings = sorted(issue for issue in found if issue.severity != "Violation")
    return ShaclReport(tuple(violations), tuple(warnings))


_Found = tuple[set[ShaclIssue], set[ShaclIssue], list[Subject]]
_worker_state: dict[str, Any] = {}
_converters: dict[str, NodeConverter] = {}  # one per distinct entity @context, kept across calls


def _whole_graph_subjects(context: Any, nodes: Sequence[dict[str, Any]]) -> Iterator[Subject]:
    """The subjects of every node, from one document for ``@graph`` nodes (pyld's in reference mode)."""
    if context is None:
        return entity_subjects(nodes)
    return document_subjects({"@context": context, "@graph": list(nodes)})


def _trees(context: Any, nodes: Sequence[dict[str, Any]]) -> Iterator[Subject]:
    return (tree for _, tree in _indexed_trees(context, nodes))


def _indexed_trees(context: Any, nodes: Sequence[dict[str, Any]]) -> Iterator[tuple[int, Subject]]:
    """The subject trees of ``nodes``, each with the index of the node it comes from."""
    if context is not None:
        converter = NodeConverter(TermTable(context if isinstance(context, list) else [context]))
        for index, node in enumerate(nodes):
            yield from ((index, tree) for tree in converter.subjects(node))
        return
    for index, entity in enumerate(nodes):
        yield from ((index, tree) for tree in EntitySubjects([entity], _converters))  # ours in any mode


def _start_worker(surveyed: Survey, shapes_turtle: str) -> None:
    _worker_state["survey"] = surveyed
    _worker_state["shapes"] = rdflib.Graph().parse(
        data=shapes_turtle, format="turtle"
    )  # prefixes kept: messages use them


def _validate_slice(task: tuple[Any, Sequence[dict[str, Any]]]) -> _Found:
    """In a worker: one chunk, with the survey and shapes its initializer received."""
    return _validate(task[0], task[1], _worker_state["survey"], _worker_state["shapes"])


def _validate(
    context: Any, nodes: Sequence[dict[str, Any]], surveyed: Survey, shapes: rdflib.Graph
) -> _Found:
    shared: list[Subject] = []
    part = chunk(_trees(context, nodes), surveyed, shared)
    report = run_shacl(
        part.graph, shapes, ignore_focus=part.stubs, inplace=True
    )  # the chunk is ours to spend
    return set(report.violations), set(report.warnings), shared


def _merge(
    found: _Found, violations: set[ShaclIssue], warnings: set[ShaclIssue], shared: list[Subject]
) -> None:
    violations.update(found[0])
    warnings.update(found[1])
    shared.extend(found[2])


def _diagnostics(
    report: ShaclReport, locate: Callable[[rdflib.term.Node], str | None] | None
) -> list[Diagnostic]:
    problems = []
    for issue in (*report.violations, *report.warnings):
        where = (locate(issue.focus) if locate and issue.focus is not None else None) or issue.focus_node
        value = f" (value: {issue.value})" if issue.value else ""
        level = Severity.ERROR if issue in report.violations else Severity.WARNING
        problems.append(Diagnostic(where, f"{issue.focus_node}: {issue.path}: {issue.message}{value}", level))
    return sorted(problems, key=lambda d: (d.where, d.message))
