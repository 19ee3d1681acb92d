"""JSON Schema on the NGSI-LD payloads, SHACL on the RDF views; every problem in one report.

The schemas and shapes live in ``shapes/``.  Validators are built once per process: building a
jsonschema validator per entity costs more than the validation itself.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import rdflib
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ldt_catalog.errors import Diagnostic, Severity
from ldt_catalog.shacl import run_shacl

SHAPES_DIR = Path(__file__).resolve().parent.parent / "shapes"
SCHEMA_FILES = {
    "Initiative": "initiative.schema.json",
    "Cluster": "cluster.schema.json",
}
SHARED_SCHEMA_FILES = ("ngsi-ld-attributes.schema.json",)


def shapes_dir() -> Path:
    # An installed package carries the files inside it; a source checkout has them at the top.
    installed = Path(__file__).resolve().parent / "shapes"
    return installed if (installed / "initiative.schema.json").is_file() else SHAPES_DIR


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
    report = run_shacl(data, shapes, ont_graph=ont_graph)
    problems = []
    for issue in (*report.violations, *report.warnings):
        where = (locate(issue.focus) if locate and issue.focus is not None else None) or issue.focus_node
        value = f" (value: {issue.value})" if issue.value else ""
        level = Severity.ERROR if issue in report.violations else Severity.WARNING
        problems.append(Diagnostic(where, f"{issue.focus_node}: {issue.path}: {issue.message}{value}", level))
    return sorted(problems, key=lambda d: (d.where, d.message))
