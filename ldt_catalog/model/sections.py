"""The known sections of an initiative, one handler per kind of label.

``SECTION_HANDLERS`` maps each ``LabelKind`` to the function that turns a non-empty section of
that kind into fields (texts, links, contacts, the logo).  Text a handler cannot place goes to an
other section with a warning; a bad URL or address is an error naming its line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ldt_catalog.errors import Diagnostic, Severity, SourceRef
from ldt_catalog.model.domain import Contact, Link, Section
from ldt_catalog.model.values import email_problem, url_problem
from ldt_catalog.sources.contacts import parse_contact_line
from ldt_catalog.sources.inline import lead_label, leftover, scan
from ldt_catalog.sources.labels import LabelKind
from ldt_catalog.sources.records import RawBlock, RawSection

TEXT_KINDS = ("description", "key_role", "relevance")


@dataclass
class Report:
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


@dataclass
class Fields:
    """What the sections of one initiative fill, as they are read."""

    texts: dict[str, Section] = field(default_factory=dict)
    links: dict[str, list[Link]] = field(default_factory=lambda: {"assets": [], "webpages": []})
    contacts: list[Contact] = field(default_factory=list)
    others: list[Section] = field(default_factory=list)

    def keep_other(self, section: RawSection, kept: list[RawBlock], what: str, report: Report) -> None:
        """Blocks a handler could not place, kept verbatim under their label, with a warning."""
        if kept:
            label = section.label or ""
            self.others.append(Section(label, tuple(kept), section.ref))
            report.warn(section.ref, f'text under "{label}" that is not {what} kept as an other section')


SectionHandler = Callable[[RawSection, Fields, Report], None]


def lines_of(block: RawBlock) -> list[tuple[str, SourceRef]]:
    if "\n" not in block.markdown:
        return [(block.markdown, block.ref)]  # most blocks: one line, whose ref is the block's
    return [
        (text, SourceRef(block.ref.path, block.ref.line + i))
        for i, text in enumerate(block.markdown.split("\n"))
    ]


def text_section(section: RawSection, fields: Fields, report: Report) -> None:
    """Description, key role, relevance: the blocks as written."""
    assert section.kind is not None
    fields.texts[section.kind] = Section(section.label or "", section.blocks, section.ref)


def link_section(section: RawSection, fields: Fields, report: Report) -> None:
    """Key assets and web pages: every link, each checked."""
    assert section.kind in ("assets", "webpages")
    errors = report.errors
    found, kept = _links(section, report)
    fields.links[section.kind] += found
    fields.keep_other(section, kept, "a link", report)
    if section.kind == "webpages" and not fields.links["webpages"] and errors == report.errors:
        report.error(section.ref, f'section "{section.label}" has no link (rule: a webpage is required)')


def contact_section(section: RawSection, fields: Fields, report: Report) -> None:
    """Contact points: one or more per line, each address checked."""
    found, kept = _contacts(section, report)
    fields.contacts += found
    fields.keep_other(section, kept, "a contact", report)


def logo_section(section: RawSection, fields: Fields, report: Report) -> None:
    """The image under a ``Logo:`` label is read with the page; any other text there is kept."""
    fields.keep_other(section, list(section.blocks), "the logo", report)


SECTION_HANDLERS: dict[LabelKind, SectionHandler] = {
    "description": text_section,
    "key_role": text_section,
    "relevance": text_section,
    "assets": link_section,
    "webpages": link_section,
    "contacts": contact_section,
    "logo": logo_section,
}


def _links(raw: RawSection, report: Report) -> tuple[list[Link], list[RawBlock]]:
    """The links of an assets or webpages section, and the blocks holding other text too."""
    links: list[Link] = []
    kept: list[RawBlock] = []
    for block in raw.blocks:
        other = False
        for text, ref in lines_of(block):
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


def _contacts(raw: RawSection, report: Report) -> tuple[list[Contact], list[RawBlock]]:
    """The contact points of a contacts section, and the blocks holding other text too."""
    contacts: list[Contact] = []
    kept: list[RawBlock] = []
    for block in raw.blocks:
        other = False
        for text, ref in lines_of(block):
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
