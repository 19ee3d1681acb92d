"""One switch between our accelerated steps and the reference libraries they stand in for.

Four steps have a fast path of our own beside a reference library that gives the same answer:

=========================  ===========================================  ==============================
step                       accelerated                                  reference
=========================  ===========================================  ==============================
JSON-LD to RDF             ``rdf.convert.NodeConverter``                pyld's ``to_rdf``
RDF to Turtle              ``rdf.turtle.write_turtle``                  rdflib's N-Triples serializer
SHACL                      ``validation.fast_shacl`` (and chunks)       pySHACL on the whole graph
JSON Schema (valid or not) ``jsonschema-rs``                            ``jsonschema``
=========================  ===========================================  ==============================

In reference mode every step takes the reference library; the outputs are the same (the same
RDF, canonically, and the same diagnostics), only slower.  Like msgpack's pure-Python fallback,
it is there to check the fast paths against and to rule them out when something looks wrong.
The setting is process-wide; the library never reads it from the environment: the command line
does (``LDT_CATALOG_REFERENCE=1``) and calls ``set_reference_mode``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

_reference = False


def reference_mode() -> bool:
    """Whether the reference libraries run in place of the accelerated steps."""
    return _reference


def set_reference_mode(on: bool) -> None:
    """Route every accelerated step to its reference library (``True``) or back (``False``)."""
    global _reference
    _reference = bool(on)


@contextmanager
def reference(on: bool = True) -> Iterator[None]:
    """Reference mode ``on`` (or off) within the block, as it was afterwards."""
    before = _reference
    set_reference_mode(on)
    try:
        yield
    finally:
        set_reference_mode(before)
