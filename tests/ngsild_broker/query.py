"""Entity filters of the query and subscription APIs: type expressions and a subset of ``q``.

Supported (§4.9 NGSI-LD Query Language, §4.17 type selection):

* ``type``: names separated by ``,`` or ``|`` (any of) and ``;`` (all of), no parentheses.
* ``q``: terms joined by ``;`` (and, binds tighter) and ``|`` (or); a term is ``attr`` (exists) or
  ``attr OP value`` with OP one of ``== != > >= < <= ~= !~=``; value a JSON string, number,
  ``true``/``false``, a bare token (URIs, dates), a ``,`` list (``==``/``!=``) or a ``min..max`` range.
  The attribute's value is a Property's ``value``, a Relationship's ``object`` or the main member
  of the other attribute types; an array value matches if any element does.

Not supported, answered 501 NotImplemented: parentheses, attribute paths (``attr.sub``,
``attr[key]``), and ``geoQ``/``csf``/``scopeQ``.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable
from typing import Any

from tests.ngsild_broker.entities import instances, primary_content, types_of
from tests.ngsild_broker.errors import NgsiError, bad_data
from tests.ngsild_broker.jsonld import ContextHandle

Predicate = Callable[[dict[str, Any]], bool]
_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_TERM = re.compile(r"^(?P<attr>[^=!<>~]+?)\s*(?:(?P<op>==|!=|>=|<=|>|<|~=|!~=)(?P<value>.*))?$")


def _unsupported(detail: str) -> NgsiError:
    return NgsiError("NotImplemented", detail)


def _split(text: str, separator: str) -> list[str]:
    """Split on ``separator`` outside double quotes; parentheses are not supported."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        if not quoted and char in "()":
            raise _unsupported(
                f"parentheses in q/type expressions are not supported by this test broker: {text!r}"
            )
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if quoted:
        raise bad_data(f"unbalanced quotes in {text!r}")
    parts.append("".join(current))
    return parts


def type_predicate(expression: str, handle: ContextHandle) -> Predicate:
    """Matches entities whose types satisfy ``expression`` (names expanded with ``handle``)."""
    groups: list[list[str]] = []
    for alternative in _split(expression.replace(",", "|"), "|"):
        names = [n.strip() for n in _split(alternative, ";")]
        if not all(names):
            raise bad_data(f"empty type name in {expression!r}")
        iris = []
        for name in names:
            iri = handle.expand_type(name)
            if iri is None:
                raise bad_data(f"type {name!r} does not expand to an IRI")
            iris.append(iri)
        groups.append(iris)
    return lambda entity: any(all(iri in types_of(entity) for iri in group) for group in groups)


def _parse_scalar(text: str) -> Any:
    text = text.strip()
    if text.startswith('"'):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise bad_data(f"bad quoted string in q: {text!r}") from exc
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def _compare(left: Any, op: str, right: Any) -> bool:
    if isinstance(left, list):
        return any(_compare(item, op, right) for item in left)
    if op == "~=":
        return isinstance(left, str) and re.search(str(right), left) is not None
    if isinstance(left, bool) or isinstance(right, bool):
        return op == "==" and left == right
    numeric = isinstance(left, (int, float)) and isinstance(right, (int, float))
    if not numeric and not (isinstance(left, str) and isinstance(right, str)):
        return op == "==" and left == right
    return bool(_OPERATORS[op](left, right))


def _term_predicate(term: str, handle: ContextHandle) -> Predicate:
    match = _TERM.match(term.strip())
    if match is None or not match.group("attr").strip():
        raise bad_data(f"cannot parse q term {term!r}")
    name = match.group("attr").strip()
    if ("." in name.split(":")[-1] and not name.startswith("http")) or "[" in name:
        raise _unsupported(f"attribute paths in q ({name!r}) are not supported by this test broker")
    iri = handle.expand_term(name)
    if iri is None:
        raise bad_data(f"q attribute {name!r} does not expand to an IRI")
    op, raw = match.group("op"), match.group("value")

    def values(entity: dict[str, Any]) -> list[Any]:
        return [primary_content(i) for i in instances(entity[iri])] if iri in entity else []

    if op is None:
        return lambda entity: iri in entity
    if raw is None or not raw.strip():
        raise bad_data(f"q term {term!r} has no value")
    if op in ("~=", "!~="):
        pattern = _parse_scalar(raw)
        try:
            re.compile(str(pattern))
        except re.error as exc:
            raise bad_data(f"bad pattern in q term {term!r}: {exc}") from exc
        hit: Predicate = lambda entity: any(_compare(v, "~=", pattern) for v in values(entity))  # noqa: E731
        return hit if op == "~=" else (lambda entity: iri in entity and not hit(entity))
    if ".." in raw and not raw.strip().startswith('"') and op in ("==", "!="):
        low, high = (_parse_scalar(p) for p in raw.split("..", 1))
        inside: Predicate = lambda entity: any(  # noqa: E731
            _compare(v, ">=", low) and _compare(v, "<=", high) for v in values(entity)
        )
        return inside if op == "==" else (lambda entity: iri in entity and not inside(entity))
    options = [_parse_scalar(p) for p in _split(raw, ",")] if op in ("==", "!=") else [_parse_scalar(raw)]
    compare_op = "==" if op == "!=" else op
    matched: Predicate = lambda entity: any(  # noqa: E731
        _compare(v, compare_op, o) for v in values(entity) for o in options
    )
    return matched if op != "!=" else (lambda entity: iri in entity and not matched(entity))


def q_predicate(expression: str, handle: ContextHandle) -> Predicate:
    alternatives = [[_term_predicate(t, handle) for t in _split(alt, ";")] for alt in _split(expression, "|")]
    return lambda entity: any(all(p(entity) for p in group) for group in alternatives)
