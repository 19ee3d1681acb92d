"""Pure: the active context of our JSON-LD documents, resolved once into a table of terms."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ldt_catalog.ngsild.context import load_context_document
from ldt_catalog.rdf.terms import UnsupportedJsonLd

KEYWORD_ALIASES = {"@id", "@type"}


@dataclass(frozen=True, slots=True)
class TermDefinition:
    iri: str
    type_mapping: str | None = None  # "@id", "@vocab", "@json" or a datatype IRI
    language: str | None = None
    container: str | None = None


class TermTable:
    """The active context of a list of contexts (later ones win), resolved once."""

    def __init__(self, contexts: Sequence[dict[str, Any] | str]) -> None:
        raw: dict[str, Any] = {}
        self.vocab: str | None = None
        for context in contexts:
            definitions = load_context_document(context)["@context"] if isinstance(context, str) else context
            for key, value in definitions.items():
                if key == "@vocab":
                    self.vocab = value
                elif not key.startswith("@"):
                    raw[key] = value
        self._raw = raw
        self.terms: dict[str, TermDefinition] = {}
        self.aliases: dict[str, str] = {}
        for term, value in raw.items():
            if isinstance(value, str) and value in KEYWORD_ALIASES:
                self.aliases[term] = value
            elif isinstance(value, str):
                self.terms[term] = TermDefinition(self._expand_compact(value))
            elif isinstance(value, dict):
                type_mapping = value.get("@type")
                if type_mapping is not None and not type_mapping.startswith("@"):
                    type_mapping = self._expand_compact(type_mapping)
                self.terms[term] = TermDefinition(
                    self._expand_compact(value.get("@id", term)),
                    type_mapping,
                    value.get("@language"),
                    value.get("@container"),
                )

    def _expand_compact(self, value: str) -> str:
        """A term's IRI: a prefix:suffix with a known prefix, an absolute IRI, or another term."""
        prefix, colon, suffix = value.partition(":")
        if colon and not suffix.startswith("//"):
            prefix_value = self._raw.get(prefix)
            if isinstance(prefix_value, str):
                return prefix_value + suffix
            if isinstance(prefix_value, dict) and "@id" in prefix_value:
                return str(prefix_value["@id"]) + suffix
            return value
        if colon:
            return value
        target = self._raw.get(value)
        if isinstance(target, str) and target != value:
            return self._expand_compact(target)
        if self.vocab is not None:
            return self.vocab + value
        raise UnsupportedJsonLd(f"term {value!r} has no IRI in the active context")

    def expand_vocab(self, value: str) -> str:
        """Expand a type name or property key, as JSON-LD does with ``vocab: true``."""
        definition = self.terms.get(value)
        if definition is not None:
            return definition.iri
        if ":" in value:
            return self._expand_compact(value)
        if self.vocab is not None:
            return self.vocab + value
        raise UnsupportedJsonLd(f"{value!r} is not a term of the active context and there is no @vocab")
