"""Diagnostics and the one exception tree of ldt-catalog.

    LdtCatalogError                  base of everything we raise on purpose
    ├── CatalogError                 the input is wrong; carries every Diagnostic found
    ├── ValidationFailed             JSON Schema or SHACL rejected the produced data
    ├── ContextError                 a JSON-LD context could not be resolved (network refused ...)
    └── BrokerError                  talking to an NGSI-LD broker failed (see ``broker.py``)

Every message names where the problem is (``FILE:LINE`` or an entity id) and the rule broken.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True, slots=True)  # slots: one per entity is kept by publish
class SourceRef:
    """Where a value came from: a page path (as given by the user) and a 1-based line."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the input or the output, printed as ``FILE:LINE: message``."""

    where: str
    message: str
    severity: Severity = Severity.ERROR

    @classmethod
    def at(cls, ref: SourceRef, message: str, severity: Severity = Severity.ERROR) -> Diagnostic:
        return cls(str(ref), message, severity)

    def __str__(self) -> str:
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        return f"{self.where}: {prefix}{self.message}"


class LdtCatalogError(Exception):
    """Base class of every error ldt-catalog raises on purpose."""


class ReportedError(LdtCatalogError):
    """An error that carries a list of diagnostics, all found in one pass."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = [d for d in diagnostics if d.severity is Severity.ERROR]
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class CatalogError(ReportedError):
    """The knowledge-hub pages cannot be turned into a catalogue."""


class ValidationFailed(ReportedError):
    """The produced entities or RDF break a JSON Schema or SHACL rule."""


class ContextError(LdtCatalogError):
    """A JSON-LD context could not be resolved locally."""
