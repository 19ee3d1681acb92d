"""The validated domain types of the catalogue, built by ``catalog.py`` from raw records.

Every value keeps the ``SourceRef`` (file and line) it was read from, so that any later
problem can be reported against the page a person edits.  Nothing here touches files.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Literal

from ldt_catalog.errors import Diagnostic, SourceRef
from ldt_catalog.sources.records import RawBlock

BlockKind = Literal["paragraph", "bullet"]

Block = RawBlock
"""A paragraph or one bullet (see ``RawBlock``): a block holds nothing to validate, so the model
keeps the very blocks read from the page instead of a copy of each."""


@dataclass(frozen=True)
class Section:
    """A labelled section of an initiative (``**Short Description:**`` and what follows)."""

    label: str
    blocks: tuple[Block, ...]
    ref: SourceRef

    @property
    def bullets(self) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.kind == "bullet")

    @property
    def paragraphs(self) -> tuple[Block, ...]:
        return tuple(b for b in self.blocks if b.kind == "paragraph")

    @functools.cached_property
    def markdown(self) -> str:
        """The section body as markdown: paragraphs apart, consecutive bullets together."""
        return blocks_to_markdown(self.blocks)


def blocks_to_markdown(blocks: tuple[Block, ...]) -> str:
    parts: list[str] = []
    previous: BlockKind | None = None
    for block in blocks:
        text = block.markdown
        if block.kind == "bullet":
            if "\n" in text:  # continuation lines are indented under the bullet's text
                indent = "\n" + " " * (len(block.marker) + 1)
                text = text.replace("\n", indent).replace(indent + "\n", "\n\n")
            parts += (("\n" if previous == "bullet" else "\n\n") if parts else "", block.marker, " ", text)
        else:
            parts += ("\n\n" if parts else "", text)
        previous = block.kind
    return "".join(parts)


@dataclass(frozen=True)
class Link:
    """A link as written on the page: ``[title](url)``, ``<url>`` or a bare URL."""

    url: str
    title: str | None
    ref: SourceRef


@dataclass(frozen=True)
class Image:
    """A logo: ``![alt](url){ width="130" ... }``.

    ``url`` is an absolute IRI, or, when ``relative``, a relative reference that could not be
    resolved (no page URL was given).  ``attributes`` (the ``{...}`` list) is presentation: kept
    only with ``source``, the line as written, for provenance.
    """

    url: str
    alt: str
    attributes: str | None
    ref: SourceRef
    relative: bool = False
    source: str = field(default="", compare=False)


ContactKind = Literal["person", "organization", "generic"]


@dataclass(frozen=True)
class Contact:
    """One contact point: an e-mail, a contact page, or a named person with role and organisation.

    ``label`` is the lead-in or link text the page gives it (``General contact``, ``DUET Contact
    Page``).  At least one of ``email``, ``url`` or ``name`` is set.
    """

    ref: SourceRef
    kind: ContactKind = "generic"
    email: str | None = None
    url: str | None = None
    name: str | None = None
    role: str | None = None
    organization: str | None = None
    label: str | None = None
    source: str = field(default="", compare=False)
    """The exact text the contact was read from (one bullet or line), kept in provenance."""


@dataclass(frozen=True)
class Page:
    """A knowledge-hub page: ``name`` is its file name, ``path`` the path as the user gave it."""

    name: str
    path: str
    sha256: str


@dataclass(frozen=True)
class Initiative:
    """One ``## `` section of a hub page."""

    slug: str
    name: str
    full_title: str | None
    acronym: str | None
    ref: SourceRef
    page: Page
    content_sha256: str
    cluster_slug: str
    description: Section | None = None
    key_role: Section | None = None
    relevance: Section | None = None
    assets: tuple[Link, ...] = ()
    webpages: tuple[Link, ...] = ()
    contacts: tuple[Contact, ...] = ()
    logo: Image | None = None
    other_sections: tuple[Section, ...] = ()
    mentions: tuple[str, ...] = ()
    """Slugs of other initiatives of the catalogue that this one names, sorted."""
    field_refs: dict[str, SourceRef] = field(default_factory=dict, compare=False)
    """Line of every imported field by name (``name``, ``description``, ``webpages`` ...)."""


@dataclass(frozen=True)
class Cluster:
    """A thematic cluster: one hub page, its title and intro paragraphs."""

    slug: str
    name: str
    title_from_file: bool
    description: tuple[Block, ...]
    ref: SourceRef
    page: Page
    content_sha256: str

    @property
    def description_markdown(self) -> str:
        return blocks_to_markdown(self.description)


@dataclass(frozen=True)
class Catalog:
    clusters: tuple[Cluster, ...]
    initiatives: tuple[Initiative, ...]
    warnings: tuple[Diagnostic, ...] = ()
