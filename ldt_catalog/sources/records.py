"""The raw records a page is read into: text as written, with the file and line of every piece.

Nothing here is validated; ``ldt_catalog.model`` builds the domain types from these records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ldt_catalog.errors import Diagnostic, SourceRef
from ldt_catalog.sources.labels import LabelKind

BlockKind = Literal["paragraph", "bullet"]


@dataclass(frozen=True)
class RawBlock:
    """A paragraph or one bullet, as markdown exactly as written (trailing spaces dropped).

    It spans ``ref.line`` to ``ref.line + markdown.count('\\n')``: a paragraph spread over several
    source lines keeps its line breaks.  A bullet's text excludes its ``- `` marker; nested bullets
    stay inside their parent's text.  ``marker`` is ``-`` for every unordered bullet (``*``, ``+``
    too) and the number of an ordered one (``1.``).  ``model.Block`` is this very class.
    """

    kind: BlockKind
    markdown: str
    ref: SourceRef
    marker: str = "-"


@dataclass(frozen=True)
class RawImage:
    url: str
    alt: str
    attributes: str | None
    ref: SourceRef
    source: str = ""
    """The line as written, attribute list included."""


@dataclass(frozen=True)
class RawSection:
    """``label`` as written (None for the text before the first label), ``kind`` if known."""

    label: str | None
    kind: LabelKind | None
    ref: SourceRef
    blocks: tuple[RawBlock, ...]


@dataclass(frozen=True)
class RawInitiative:
    heading: str
    ref: SourceRef
    sha256: str
    logo: RawImage | None
    sections: tuple[RawSection, ...]


@dataclass(frozen=True)
class RawPage:
    path: str
    name: str
    sha256: str
    title: str | None
    title_ref: SourceRef | None
    intro: tuple[RawBlock, ...]
    head_sha256: str
    initiatives: tuple[RawInitiative, ...]
    notes: tuple[Diagnostic, ...] = ()
    """Warnings found while reading (text before the title, an unclosed code fence ...)."""
