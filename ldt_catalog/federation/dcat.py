"""The catalogue as a DCAT-AP 3 ``dcat:Catalog`` (``dcat.ttl``, ``dcat.jsonld``), and its check.

Every node has an IRI under ``base_url`` (``<base>#catalog``, ``<base>#dataset``,
``<base>#publisher`` ...), so two builds of the same pages diff cleanly.

Layout (``<b>`` is the base URL)::

    <b>#catalog        dcat:Catalog   title/description (every language given), publisher, licence,
                                      issued/modified, language, homepage, themeTaxonomy,
                                      dcat:dataset, dcat:service (broker), dcat:resource (assets)
    <b>#dataset        dcat:Dataset   the catalogue data; themes, keywords, contact point,
                                      dcat:distribution ->
    <b>#distribution-<file>           entities.jsonld, catalog.ttl, entities.ttl: accessURL and
                                      downloadURL <b><file>, mediaType (IANA), format (EU file type)
    <b>#broker         dcat:DataService  only with a broker: endpointURL, conformsTo NGSI-LD, plus
    <b>#distribution-broker           a distribution whose accessService is the broker
    <asset URL>        dcat:Resource  each initiative's key assets; contact points of the initiative
    <b>#contact[-<slug>-<n>]          vcard:Kind (Individual / Organization) contact points

The controlled-vocabulary terms we use (EU data themes, languages, file types, IANA media types,
licence) are typed and labelled in the graph itself, so the file validates on its own.

Two ways to the same graph:

* streamed (the default): ``dcat_stream.dcat_nodes`` yields subject trees one initiative at a
  time from any iterable of clusters and initiatives, and the writers here put them out as Turtle
  (``rdf.turtle.TurtleWriter``) and as flattened JSON-LD, node by node: time linear, memory flat;
* the reference (``reference=True``): ``dcat_reference.dcat_graph`` builds an rdflib ``Graph`` of
  the whole catalogue; it is what the tests compare the streamed files with, and what
  ``validate_dcat`` (SEMIC shapes, through pySHACL) checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from rdflib import Graph

from ldt_catalog.federation.config import FederationSettings
from ldt_catalog.federation.dcat_reference import dcat_graph, dcat_jsonld, dcat_turtle
from ldt_catalog.federation.dcat_stream import Item, catalog_items, dcat_nodes, initiative_nodes
from ldt_catalog.federation.dcat_vocab import (
    DCAT,
    DCTERMS,
    DEFAULT_SHAPES_DIR,
    DISTRIBUTIONS,
    EU_AUTHORITY,
    IANA_MEDIA_TYPES,
    JSONLD_CONTEXT,
    MANDATORY_SHAPES,
    NGSI_LD_STANDARD,
    RECOMMENDED_SHAPES,
    VCARD,
)
from ldt_catalog.model.catalog import Catalog, Cluster, Initiative
from ldt_catalog.rdf.convert import RDF_TYPE, XSD_STRING, BlankNode, Iri, Literal, Subject
from ldt_catalog.rdf.turtle import TurtleWriter
from ldt_catalog.validation.shacl import ShaclReport, load_rdf_files, run_shacl

_PLAIN_LOCAL = re.compile(r"[^/#:]+")
"""A local part a compact IRI may have: not empty, no ``/``, ``#`` or ``:`` (which would read as an IRI)."""

__all__ = [
    "DCAT",
    "DCTERMS",
    "DEFAULT_SHAPES_DIR",
    "DISTRIBUTIONS",
    "EU_AUTHORITY",
    "IANA_MEDIA_TYPES",
    "JSONLD_CONTEXT",
    "MANDATORY_SHAPES",
    "NGSI_LD_STANDARD",
    "RECOMMENDED_SHAPES",
    "VCARD",
    "Item",
    "catalog_items",
    "dcat_graph",
    "dcat_jsonld",
    "dcat_nodes",
    "dcat_turtle",
    "initiative_nodes",
    "run_shacl",
    "validate_dcat",
    "write_dcat",
    "write_dcat_jsonld",
    "write_dcat_turtle",
]


def write_dcat_turtle(
    items: Iterable[Item], settings: FederationSettings, out: IO[str], *, reference: bool = False
) -> None:
    """``dcat.ttl``: streamed from ``items`` (one pass), or through the rdflib graph with ``reference``."""
    write_dcat(items, settings, turtle_out=out, reference=reference)


def write_dcat_jsonld(
    items: Iterable[Item], settings: FederationSettings, out: IO[str], *, reference: bool = False
) -> None:
    """``dcat.jsonld``: streamed from ``items`` (one pass), or through the rdflib graph with ``reference``."""
    write_dcat(items, settings, jsonld_out=out, reference=reference)


def write_dcat(
    items: Iterable[Item],
    settings: FederationSettings,
    *,
    turtle_out: IO[str] | None = None,
    jsonld_out: IO[str] | None = None,
    reference: bool = False,
) -> None:
    """Both DCAT files (either may be left out) in one pass over ``items``.

    Streamed, the files list the nodes in the order met (head, initiatives, dataset) and a subject
    may appear in several blocks; the reference writes each subject once, sorted.  Both are the
    same graph, and each is byte-identical from one build of the same pages to the next.
    """
    if reference:
        clusters: list[Cluster] = []
        initiatives: list[Initiative] = []
        for item in items:
            if isinstance(item, Initiative):
                initiatives.append(item)
            else:
                clusters.append(item)
        graph = dcat_graph(Catalog(tuple(clusters), tuple(initiatives)), settings)
        if turtle_out is not None:
            dcat_turtle(graph, turtle_out)
        if jsonld_out is not None:
            json.dump(dcat_jsonld(graph), jsonld_out, ensure_ascii=False, indent=2)
            jsonld_out.write("\n")
        return
    turtle = TurtleWriter(turtle_out, dict(JSONLD_CONTEXT)) if turtle_out is not None else None
    jsonld = JsonLdNodeWriter(jsonld_out) if jsonld_out is not None else None
    for node in dcat_nodes(items, settings):
        if turtle is not None:
            turtle.write(node)
        if jsonld is not None:
            jsonld.write(node)
    if jsonld is not None:
        jsonld.close()


class JsonLdNodeWriter:
    """Flattened JSON-LD, one node object per subject tree, under the inline prefix ``@context``.

    A node object is ``{"@id", "@type": [...], "<prefix:local>": [value objects]}``: predicates in
    the order the tree gives them (the stream's order is fixed by the code, never by a hash),
    literals as ``@value`` with their ``@language`` or ``@type``, IRIs compacted with the prefixes
    where the local part is a plain name.  One line per node, so the encoder is the C one.
    """

    def __init__(self, out: IO[str], context: dict[str, Any] | None = None) -> None:
        self._out = out
        context = context if context is not None else JSONLD_CONTEXT
        longest_first = sorted(context.items(), key=lambda p: -len(p[1]))
        self._prefixes = {namespace: prefix for prefix, namespace in reversed(longest_first)}
        self._namespace = re.compile(
            "|".join(re.escape(namespace) for _, namespace in longest_first) or "(?!)"
        )
        self._compacted: dict[str, str] = {}
        self._first = True
        self._encode = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
        out.write('{\n  "@context": ')
        out.write(json.dumps(context, ensure_ascii=False, sort_keys=True))
        out.write(',\n  "@graph": [')

    def compact(self, iri: str) -> str:
        """``prefix:local`` when ``iri`` is in a prefix's namespace and the rest a plain name, else ``iri``."""
        cached = self._compacted.get(iri)
        if cached is not None:
            return cached
        text = iri
        namespace = self._namespace.match(iri)
        if namespace is not None and _PLAIN_LOCAL.fullmatch(iri, namespace.end()):
            text = f"{self._prefixes[namespace.group()]}:{iri[namespace.end() :]}"
        if len(self._compacted) < 4096:  # the vocabulary's terms; instance IRIs mostly miss
            self._compacted[iri] = text
        return text

    def write(self, subject: Subject) -> None:
        if not subject.pairs:
            return
        if isinstance(subject.term, BlankNode):
            raise TypeError(f"DCAT nodes are named, not blank: {subject.term!r}")
        cache, compact = self._compacted, self.compact  # most predicates and classes are cached
        node: dict[str, Any] = {"@id": compact(subject.term.value)}
        value: str | dict[str, str]
        for predicate, obj in subject.pairs:
            if isinstance(obj, Iri):
                if predicate == RDF_TYPE:
                    key, value = "@type", cache.get(obj.value) or compact(obj.value)
                else:
                    key, value = cache.get(predicate) or compact(predicate), {"@id": compact(obj.value)}
            elif isinstance(obj, Literal):
                key = cache.get(predicate) or compact(predicate)
                if obj.language is not None:
                    value = {"@value": obj.lexical, "@language": obj.language}
                elif obj.datatype != XSD_STRING:
                    value = {"@value": obj.lexical, "@type": compact(obj.datatype)}
                else:
                    value = {"@value": obj.lexical}
            else:
                raise TypeError(f"DCAT nodes hold IRIs and literals only, not {obj!r}")
            values = node.get(key)
            if values is None:
                node[key] = [value]
            else:
                values.append(value)
        self._out.write(("\n    " if self._first else ",\n    ") + self._encode(node))
        self._first = False

    def close(self) -> None:
        self._out.write("\n  ]\n}\n")


def validate_dcat(graph: Graph, shapes_dir: Path, *, recommended: bool = True) -> ShaclReport:
    """Check ``graph`` against the SEMIC DCAT-AP 3.0.1 shapes in ``shapes_dir``.

    ``shapes.ttl``, ``range.ttl``, ``mdr-vocabularies.shape.ttl`` (and the warnings of
    ``deprecateduris.ttl``) decide conformance; with ``recommended``, every result of
    ``shapes_recommended.ttl`` is added as a warning.
    """
    report = run_shacl(graph, load_rdf_files(shapes_dir, MANDATORY_SHAPES))
    if recommended:
        report = report.merged(
            run_shacl(graph, load_rdf_files(shapes_dir, RECOMMENDED_SHAPES)), as_warnings=True
        )
    return report
