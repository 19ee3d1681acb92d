"""The validated domain types of the catalogue, built from the raw records of ``hub.py``.

Every value keeps the ``SourceRef`` (file and line) it was read from, so that any later
problem can be reported against the page a person edits.  Nothing here touches files.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Literal
from urllib.parse import urlsplit

from ldt_catalog.errors import CatalogError, Diagnostic, Severity, SourceRef
from ldt_catalog.model.mentions import Names, find_mentions
from ldt_catalog.sources.hub import RawBlock, RawInitiative, RawPage, RawSection
from ldt_catalog.sources.inline import lead_label, leftover, parse_contact_line, scan, split_heading

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
    """A logo: ``![alt](url){ width="130" ... }``; ``attributes`` is the ``{...}`` text if any."""

    url: str
    alt: str
    attributes: str | None
    ref: SourceRef


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


# --- Building the catalogue from raw records -------------------------------------------------
#
# Every rule below reports through ``_Report`` and carries on, so one run lists every problem of
# every page; ``build_catalog`` raises them together at the end.

INITIATIVE_ID_PREFIX = "urn:ngsi-ld:Initiative:"
CLUSTER_ID_PREFIX = "urn:ngsi-ld:Cluster:"
URL_RULE = "only absolute http, https and mailto URLs without spaces are accepted"
EMAIL_RULE = "an e-mail address is name@domain.tld"
_EMAIL = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}"
)
_HOST = re.compile(r"localhost|[\d.]+|(?:[\w](?:[\w-]*\w)?\.)+[^\W\d_]{2,}")
_TRANSLIT = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "đ": "d",
        "Đ": "D",
        "ł": "l",
        "Ł": "L",
        "þ": "th",
        "Þ": "Th",
    }
)
_TEXT_KINDS = ("description", "key_role", "relevance")


def slugify(text: str) -> str:
    """``Gaia-X Ёxample`` → ``gaia-x-example``: ASCII-folded, ``[a-z0-9-]``; ValueError if empty."""
    folded = unicodedata.normalize("NFKD", text.translate(_TRANSLIT)).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")
    if not slug:
        raise ValueError(f"{text!r} has no letter or digit to make an identifier from")
    return slug


def email_problem(address: str) -> str | None:
    """Why ``address`` is not an e-mail address, or None when it is one."""
    if _EMAIL.fullmatch(address) is None:
        return f'malformed e-mail address "{address}" (rule: {EMAIL_RULE})'
    return None


def url_problem(url: str, *, relative_ok: bool = False) -> str | None:
    """Why ``url`` is not an acceptable link (``relative_ok`` for logos), or None."""
    reason = _url_reason(url, relative_ok)
    return f'malformed URL "{url}": {reason} (rule: {URL_RULE})' if reason else None


_PLAIN_WEB_URL = re.compile(
    r"(?i:https?)://(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?:[/?#]\S*)?"
)
"""A URL that every rule below accepts: checked in one step, as most links are like this."""
_SPACE = re.compile(r"\s")  # ``str.isspace`` characters, as ``re`` and Python share them


_PLAIN_RELATIVE_PATH = re.compile(r"(?!(?i:www\.))(?:\.\.?/)*[\w.-]+(?:/[\w.-]+)*")
"""A relative path (``../assets/logo.png``) that the rules accept where one may be (a logo)."""


def _url_reason(url: str, relative_ok: bool) -> str | None:
    if _PLAIN_WEB_URL.fullmatch(url) or (relative_ok and _PLAIN_RELATIVE_PATH.fullmatch(url)):
        return None
    return _url_rules(url, relative_ok)


def _url_rules(url: str, relative_ok: bool) -> str | None:
    if not url:
        return "empty"
    if _SPACE.search(url):
        return "it contains spaces"
    if url.lower().startswith("www."):
        return "no http:// or https:// in front"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a bad port
    except ValueError as e:
        return str(e)
    scheme = parts.scheme.lower()
    if not scheme:
        return None if relative_ok else "a relative path"
    if scheme == "mailto":
        address = parts.path
        return None if _EMAIL.fullmatch(address) else f'"{address}" is not an e-mail address'
    if scheme not in ("http", "https") or (relative_ok and scheme not in ("http", "https")):
        return f'scheme "{scheme}:" is not accepted'
    if not parts.hostname:
        return "no host"
    if not _HOST.fullmatch(parts.hostname):
        return f'host "{parts.hostname}" is not a domain name'
    return None


@dataclass
class _Report:
    """The diagnostics of one build; ``where`` is the initiative being built, for messages."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    where: str = ""

    @property
    def errors(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self.diagnostics)

    def error(self, ref: SourceRef, message: str) -> None:
        self.diagnostics.append(Diagnostic.at(ref, self.where + message))

    def warn(self, ref: SourceRef, message: str) -> None:
        self.diagnostics.append(Diagnostic.at(ref, self.where + message, Severity.WARNING))


def _lines(block: RawBlock) -> list[tuple[str, SourceRef]]:
    if "\n" not in block.markdown:
        return [(block.markdown, block.ref)]  # most blocks: one line, whose ref is the block's
    return [
        (text, SourceRef(block.ref.path, block.ref.line + i))
        for i, text in enumerate(block.markdown.split("\n"))
    ]


def _links(raw: RawSection, report: _Report) -> tuple[list[Link], list[RawBlock]]:
    """The links of an assets or webpages section, and the blocks holding other text too."""
    links: list[Link] = []
    kept: list[RawBlock] = []
    for block in raw.blocks:
        other = False
        for text, ref in _lines(block):
            tokens = [t for t in scan(text) if t.kind != "image"]
            lead, _ = lead_label(text, tokens[0] if tokens else None)
            rest = leftover(text, tokens)
            other = other or any(t.tooltip for t in tokens)  # a Link has no place for it
            for token in tokens:
                if token.kind == "email":
                    other = True  # an e-mail is no web link: keep it as text
                    problem = email_problem(token.url)
                else:
                    problem = url_problem(token.url)
                if problem:
                    report.error(ref, f'section "{raw.label}": {problem}')
                elif token.kind != "email":
                    title = token.title if token.title is not None else lead
                    title = None if title == token.url else title  # ``[url](url)`` has no title
                    links.append(Link(token.url, title, ref))
            if rest and not (lead and rest == leftover(lead) and all(t.title is None for t in tokens)):
                other = True
        if other:
            kept.append(block)
    return links, kept


def _contacts(raw: RawSection, report: _Report) -> tuple[list[Contact], list[RawBlock]]:
    """The contact points of a contacts section, and the blocks holding other text too."""
    contacts: list[Contact] = []
    kept: list[RawBlock] = []
    for block in raw.blocks:
        other = False
        for text, ref in _lines(block):
            parts, tokens, rest = parse_contact_line(text)
            bad = False
            for token in tokens:
                problem = email_problem(token.email) if token.email else url_problem(token.url)
                if problem:
                    bad = True
                    report.error(ref, f'section "{raw.label}": {problem}')
            unread = bool(rest) or (not parts and bool(text.strip())) or any(t.tooltip for t in tokens)
            other = other or unread
            if not bad:
                contacts += [
                    Contact(
                        ref,
                        "person" if p.is_person else "generic",
                        p.email,
                        p.url,
                        p.name,
                        p.role,
                        p.organization,
                        p.label,
                    )
                    for p in parts
                ]
        if other:
            kept.append(block)
    return contacts, kept


def _build_initiative(
    raw: RawInitiative, page: Page, cluster_slug: str, report: _Report
) -> Initiative | None:
    report.where = f'initiative "{raw.heading}": ' if raw.heading else "initiative with an empty heading: "
    heading = split_heading(raw.heading)
    slug: str | None = None
    if not heading.name:
        report.error(
            raw.ref, 'the heading gives no name (rule: "## Name \u2013 Full title" or "## Full title (ACR)")'
        )
    else:
        try:
            slug = slugify(heading.acronym or heading.name)
        except ValueError:
            report.error(raw.ref, f'the name "{heading.name}" has no letter or digit to make an id from')
    refs: dict[str, SourceRef] = {"name": raw.ref}
    if heading.full_title:
        refs["full_title"] = raw.ref
    if heading.acronym:
        refs["acronym"] = raw.ref
    texts: dict[str, Section] = {}
    links: dict[str, list[Link]] = {"assets": [], "webpages": []}
    contacts: list[Contact] = []
    others: list[Section] = []
    first: dict[str, SourceRef] = {}
    logo: Image | None = None
    if raw.logo is not None:
        problem = url_problem(raw.logo.url, relative_ok=True)
        if problem:
            report.error(raw.logo.ref, f"logo: {problem}")
        logo = Image(raw.logo.url, raw.logo.alt, raw.logo.attributes, raw.logo.ref)
        refs["logo"] = raw.logo.ref
    for section in raw.sections:
        label = section.label or ""
        kind = section.kind
        if kind is None:
            others.append(Section(label, section.blocks, section.ref))
            if section.label is None:
                report.warn(section.ref, "text before the first label kept as an unlabeled other section")
            else:
                report.warn(section.ref, f'unknown label "{label}" kept as an other section')
            continue
        if kind in first and kind in _TEXT_KINDS:
            others.append(Section(label, section.blocks, section.ref))
            report.warn(
                section.ref,
                f'label "{label}" repeats the one at line {first[kind].line}: kept as an other section',
            )
            continue
        if kind in first:
            report.warn(section.ref, f'label "{label}" repeats the one at line {first[kind].line}: merged')
        first.setdefault(kind, section.ref)
        refs.setdefault(kind, section.ref)
        if not section.blocks:
            if not (kind == "logo" and raw.logo is not None):
                report.error(section.ref, f'empty section "{label}" (rule: a known label needs content)')
            continue
        if kind in _TEXT_KINDS:
            texts[kind] = Section(label, section.blocks, section.ref)
            continue
        errors = report.errors
        if kind == "contacts":
            found, kept = _contacts(section, report)
            contacts += found
            what = "a contact"
        elif kind == "logo":
            kept, what = list(section.blocks), "the logo"
        else:
            found_links, kept = _links(section, report)
            links[kind] += found_links
            what = "a link"
        if kept:
            others.append(Section(label, tuple(kept), section.ref))
            report.warn(section.ref, f'text under "{label}" that is not {what} kept as an other section')
        if kind == "webpages" and not links["webpages"] and errors == report.errors:
            report.error(section.ref, f'section "{label}" has no link (rule: a webpage is required)')
    if "description" not in first:
        report.error(raw.ref, "no Short Description (rule: the Short Description section is required)")
    if "webpages" not in first:
        report.error(raw.ref, 'no webpage (rule: a "Webpage:" section with a link is required)')
    report.where = ""
    if slug is None:
        return None
    return Initiative(
        slug=slug,
        name=heading.name,
        full_title=heading.full_title,
        acronym=heading.acronym,
        ref=raw.ref,
        page=page,
        content_sha256=raw.sha256,
        cluster_slug=cluster_slug,
        description=texts.get("description"),
        key_role=texts.get("key_role"),
        relevance=texts.get("relevance"),
        assets=tuple(links["assets"]),
        webpages=tuple(links["webpages"]),
        contacts=tuple(contacts),
        logo=logo,
        other_sections=tuple(others),
        field_refs=refs,
    )


def title_from_file_name(name: str) -> str:
    """What the hub's site calls a page without a ``# `` title (as MkDocs does)."""
    title = PurePath(name).stem.replace("-", " ").replace("_", " ").strip()
    return title.capitalize() if title.lower() == title else title


def _build_cluster(raw: RawPage, page: Page, report: _Report) -> Cluster | None:
    ref = raw.title_ref or SourceRef(raw.path, 1)
    name = raw.title if raw.title is not None else title_from_file_name(raw.name)
    if not raw.initiatives:
        report.error(ref, 'page has no initiative (rule: a page needs at least one "## " heading)')
    try:
        slug = slugify(name)
    except ValueError:
        report.error(ref, f'the page title "{name}" has no letter or digit to make an id from')
        return None
    return Cluster(slug, name, raw.title is None, raw.intro, ref, page, raw.head_sha256)


def mention_names(initiative: Initiative) -> Names:
    """How other initiatives' text names this one: name and acronym as written, full title in any case."""
    exact = tuple(n for n in (initiative.name, initiative.acronym) if n)
    return Names(initiative.slug, exact, (initiative.full_title,) if initiative.full_title else ())


def mention_text(initiative: Initiative) -> str:
    """The text searched for mentions of other initiatives."""
    sections = [initiative.description, initiative.key_role, initiative.relevance, *initiative.other_sections]
    return "\n\n".join(s.markdown for s in sections if s is not None)


def _with_mentions(initiatives: list[Initiative]) -> list[Initiative]:
    found = find_mentions([mention_names(i) for i in initiatives], [mention_text(i) for i in initiatives])
    return [
        replace(initiative, mentions=slugs) if slugs else initiative
        for initiative, slugs in zip(initiatives, found, strict=True)
    ]


def _line_of(diagnostic: Diagnostic) -> int:
    return int(diagnostic.where.rsplit(":", 1)[1])


def build_page(raw: RawPage) -> tuple[Cluster | None, list[Initiative], list[Diagnostic]]:
    """One page's cluster and initiatives (without mentions), and its problems in line order."""
    report = _Report(list(raw.notes))
    page = Page(raw.name, raw.path, raw.sha256)
    cluster = _build_cluster(raw, page, report)
    cluster_slug = cluster.slug if cluster is not None else ""
    initiatives = []
    for raw_initiative in raw.initiatives:
        initiative = _build_initiative(raw_initiative, page, cluster_slug, report)
        if initiative is not None:
            initiatives.append(initiative)
    return cluster, initiatives, sorted(report.diagnostics, key=_line_of)


def duplicate_id_errors(
    clusters: Iterable[tuple[str, SourceRef]], initiatives: Iterable[tuple[str, SourceRef]]
) -> list[Diagnostic]:
    """An error for every cluster or initiative whose id was already taken, ``(slug, ref)`` in page order."""
    errors = []
    for prefix, items in ((CLUSTER_ID_PREFIX, clusters), (INITIATIVE_ID_PREFIX, initiatives)):
        what = "cluster" if prefix == CLUSTER_ID_PREFIX else "initiative"
        seen: dict[str, SourceRef] = {}
        for slug, ref in items:
            if slug in seen:
                errors.append(
                    Diagnostic.at(ref, f"duplicate {what} id {prefix}{slug} (first defined at {seen[slug]})")
                )
            else:
                seen[slug] = ref
    return errors


def build_catalog(pages: Sequence[RawPage]) -> Catalog:
    """The catalogue of ``pages``; ``CatalogError`` lists every error of every page at once."""
    diagnostics: list[Diagnostic] = []
    clusters: list[Cluster] = []
    initiatives: list[Initiative] = []
    for raw in pages:
        cluster, found, problems = build_page(raw)
        if cluster is not None:
            clusters.append(cluster)
        initiatives += found
        diagnostics += problems
    diagnostics += duplicate_id_errors(
        ((c.slug, c.ref) for c in clusters), ((i.slug, i.ref) for i in initiatives)
    )
    if any(d.severity is Severity.ERROR for d in diagnostics):
        raise CatalogError(diagnostics)
    warnings = tuple(d for d in diagnostics if d.severity is Severity.WARNING)
    return Catalog(tuple(clusters), tuple(_with_mentions(initiatives)), warnings)
