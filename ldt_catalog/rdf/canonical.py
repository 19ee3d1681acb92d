"""Pure: the canonical lexical forms JSON-LD's toRdf gives JSON literals and doubles.

``canonical_json`` is RFC 8785 (JCS), which ``rdf:JSON`` literals take; ``canonical_double`` the
``xsd:double`` form of a JSON number.  Both are written exactly as pyld writes them, so the RDF of
the fast path and of pyld are equal term for term.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from ldt_catalog.rdf.terms import UnsupportedJsonLd


def canonical_json(value: Any) -> str:
    """The RFC 8785 (JCS) form of a JSON value, as JSON-LD requires for ``rdf:JSON`` literals.

    ``json.dumps`` already sorts keys and escapes strings as JCS does; only numbers differ (JCS
    writes them as ECMAScript does), so values holding floats take the slower path.  The value is
    encoded first: that refuses what is no JSON (a cycle too) before ``_has_float`` walks it.
    """
    text = _SORTED_JSON.encode(value) if _ENCODE_SORTED is None else "".join(_ENCODE_SORTED(value, 0))
    return _jcs(value) if _has_float(value) else text


_SORTED_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))
"""``json.dumps`` with these options, made once: ``dumps`` builds an encoder on every call."""
_ENCODE_SORTED = (
    c_make_encoder(None, _SORTED_JSON.default, encode_basestring, None, ":", ",", True, False, True)
    if c_make_encoder is not None
    else None
)
"""The C encoder that ``_SORTED_JSON.encode`` makes on every call (``None`` where there is none),
made once; without the check for cycles, which a JSON tree cannot have (a cycle still fails, as
``RecursionError``)."""


_EXACT_INTEGER_LIMIT = 2**53  # beyond this, JCS (as ECMAScript) sees a double
_NESTED_FAST_DEPTH = 64  # deeper containers take the loop of ``_has_float_anywhere``, not recursion


def _has_float(value: Any, depth: int = 0) -> bool:
    """Whether a JSON value holds a float or an integer too large for a double to keep exactly.

    Dicts and lists of the exact JSON types are checked here (most items are strings and small
    integers); anything else, and deep nesting, is left to ``_has_float_anywhere``.
    """
    kind = type(value)
    if kind is dict:
        items: Iterable[Any] = value.values()
    elif kind is list:
        items = value
    else:
        return _has_float_anywhere(value)
    if depth > _NESTED_FAST_DEPTH:
        return _has_float_anywhere(value)
    for item in items:
        kind = type(item)
        if kind is str:
            continue
        if kind is int:
            if -_EXACT_INTEGER_LIMIT < item < _EXACT_INTEGER_LIMIT:
                continue
            return True
        if kind is dict or kind is list:
            if _has_float(item, depth + 1):
                return True
        elif kind is not bool and item is not None and _has_float_anywhere(item):
            return True
    return False


def _has_float_anywhere(value: Any) -> bool:
    """``_has_float`` for any value, without recursion: subclasses of the JSON types included."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:  # the common number, before the general checks below
            if -_EXACT_INTEGER_LIMIT < item < _EXACT_INTEGER_LIMIT:
                continue
            return True
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, float) or (
            isinstance(item, int) and not isinstance(item, bool) and abs(item) >= _EXACT_INTEGER_LIMIT
        ):
            return True
    return False


def _jcs(value: Any) -> str:
    if isinstance(value, float):
        return ecmascript_number(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= _EXACT_INTEGER_LIMIT:
        return ecmascript_number(float(value))
    if isinstance(value, dict):
        items = sorted(value.items())
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_jcs(v)}" for k, v in items) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def ecmascript_number(number: float) -> str:
    """ECMAScript's Number::toString, which JCS uses for every number."""
    if number != number or number in (float("inf"), float("-inf")):
        raise UnsupportedJsonLd(f"{number} has no JSON form")
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    mantissa, _, exponent_text = repr(abs(number)).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction.rstrip("0")).lstrip("0") if fraction != "0" else whole.lstrip("0")
    # point position n: the value is 0.<digits> x 10^n
    n = len(whole.lstrip("0")) if whole.strip("0") else -(len(fraction) - len(fraction.lstrip("0")))
    n += int(exponent_text or 0)
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    exponent = n - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{head}e{'+' if exponent > 0 else '-'}{abs(exponent)}"


def canonical_double(value: float) -> str:
    """The canonical xsd:double lexical form that JSON-LD's toRdf produces."""
    mantissa, exponent = f"{value:1.15E}".split("E")
    mantissa = mantissa.rstrip("0")
    if mantissa.endswith("."):
        mantissa += "0"
    return f"{mantissa}E{int(exponent)}"
