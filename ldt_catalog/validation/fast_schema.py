"""The fast JSON Schema engine: jsonschema-rs decides valid or not, as ``jsonschema`` would.

jsonschema-rs reads our 2020-12 schemas as they are (``$ref`` to the shared definitions through a
registry).  Only the regular expressions of ``pattern`` are rewritten, because jsonschema-rs reads
them as ECMA-262 does and ``jsonschema`` as Python's ``re`` does; two constructs we use mean
different things:

* ``$``: to ``re``, the end or just before a final newline (``"a\\n"`` matches ``^a$``); to
  ECMA-262, the end only.  It is spelled ``(?=\\n?\\z)``.
* ``\\s``: to ``re``, every character ``str.isspace`` accepts (U+001C–U+001F and U+0085
  included); to ECMA-262 another set (with U+FEFF, without those).  It is spelled as ``re``'s set.

Constructs whose meanings differ and that our schemas do not use (``\\d``, ``\\w``, ``\\b``, their
negations, ``\\S``, ``.``, ``$`` in a class) are refused when the validator is built, rather than
read differently.  tests/test_validate_fast.py proves both engines agree on every entity we
produce and on a corpus of broken ones.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import jsonschema_rs

from ldt_catalog.errors import LdtCatalogError


class UnsupportedPattern(LdtCatalogError):
    """A schema's pattern uses a construct the two regex dialects read differently."""


_END = r"(?=\n?\z)"  # what ``$`` means to Python's ``re``


def _whitespace_ranges() -> str:
    """Python's ``\\s`` (``str.isspace``) as ranges of a character class, in ``\\uXXXX`` escapes."""
    spaces = [code for code in range(sys.maxunicode + 1) if chr(code).isspace()]
    ranges: list[tuple[int, int]] = []
    for code in spaces:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return "".join(f"\\u{a:04X}" if a == b else f"\\u{a:04X}-\\u{b:04X}" for a, b in ranges)


_SPACES = _whitespace_ranges()
_REFUSED_ESCAPES = frozenset("dDwWbBS")
_LITERAL_KEYWORDS = frozenset({"const", "enum", "default", "examples"})


def python_regex(pattern: str) -> str:
    """``pattern`` rewritten so that an ECMA-262 engine matches what Python's ``re`` matches."""
    out: list[str] = []
    in_class = escaped = False
    for char in pattern:
        if escaped:
            escaped = False
            if char in _REFUSED_ESCAPES:
                raise UnsupportedPattern(
                    f"pattern {pattern!r}: \\{char} means other things to re and ECMA-262"
                )
            if char == "s":
                out.append(_SPACES if in_class else f"[{_SPACES}]")
            else:
                out.append("\\" + char)
        elif char == "\\":
            escaped = True
        elif in_class:
            if char == "$":
                raise UnsupportedPattern(f"pattern {pattern!r}: a $ in a character class is not supported")
            in_class = char != "]"
            out.append(char)
        elif char == "[":
            in_class = True
            out.append(char)
        elif char == "$":
            out.append(_END)
        elif char == ".":
            raise UnsupportedPattern(f"pattern {pattern!r}: . means other things to re and ECMA-262")
        else:
            out.append(char)
    return "".join(out)


def with_python_patterns(node: Any) -> Any:
    """A copy of a schema with each ``pattern`` (and ``patternProperties`` key) rewritten."""
    if isinstance(node, list):
        return [with_python_patterns(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "pattern" and isinstance(value, str):
            out[key] = python_regex(value)
        elif key == "patternProperties" and isinstance(value, dict):
            out[key] = {python_regex(name): with_python_patterns(sub) for name, sub in value.items()}
        elif key in _LITERAL_KEYWORDS:  # data, not schemas: as it is
            out[key] = value
        elif key in ("properties", "$defs"):  # names here are not keywords: only their values
            out[key] = {name: with_python_patterns(sub) for name, sub in value.items()}
        else:
            out[key] = with_python_patterns(value)
    return out


def compile_validators(
    schemas: dict[str, dict[str, Any]], shared: Iterable[dict[str, Any]]
) -> dict[str, jsonschema_rs.Validator]:
    """A validator per entity type; ``shared`` are the schemas their ``$ref`` point into (by ``$id``).

    Formats are not asserted, as ``jsonschema`` does not assert them by default.
    """
    resources = [with_python_patterns(schema) for schema in (*shared, *schemas.values())]
    registry = jsonschema_rs.Registry([(resource["$id"], resource) for resource in resources])
    return {
        entity_type: jsonschema_rs.validator_for(
            with_python_patterns(schema), registry=registry, validate_formats=False
        )
        for entity_type, schema in schemas.items()
    }
