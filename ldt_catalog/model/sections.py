"""The known sections of an initiative, one handler per kind of label.

``SECTION_HANDLERS`` maps each ``LabelKind`` to the function that turns a non-empty section of
that kind into fields (texts, links, contacts, the logo).  Text a handler cannot place goes to an
other section with a warning; a bad URL or address is an error naming its line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from ldt_catalog.errors import Diagnostic, Severity, SourceRef
from ldt_catalog.model.domain import Contact, ContactKind, Link, Section
from ldt_catalog.model.values import check_url, email_problem
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
    seen = {link.url: link for link in fields.links[section.kind]}
    found, kept = _links(section, seen, report)
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


def _checked(url: str, ref: SourceRef, where: str, report: Report) -> str | None:
    """``url`` as kept (repaired with a warning if a browser would repair it), or None after an error."""
    checked = check_url(url)
    if checked.error:
        report.error(ref, f"{where}: {checked.error}")
    elif checked.repair:
        report.warn(ref, f"{where}: {checked.repair}")
    return checked.url


def _links(raw: RawSection, seen: dict[str, Link], report: Report) -> tuple[list[Link], list[RawBlock]]:
    """The links of an assets or webpages section, and the blocks holding other text too.

    ``seen`` holds the links already in the field: a link given twice is kept once, with a warning.
    """
    links: list[Link] = []
    kept: list[RawBlock] = []
    where = f'section "{raw.label}"'
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
                    if problem:
                        report.error(ref, f"{where}: {problem}")
                    continue
                url = _checked(token.url, ref, where, report)
                if url is None:
                    continue
                title = token.title if token.title is not None else lead
                title = None if title == token.url else title  # ``[url](url)`` has no title
                first = seen.get(url)
                if first is not None:
                    again = f' (here titled "{title}")' if title and title != first.title else ""
                    report.warn(
                        ref,
                        f'{where}: link "{url}"{again} repeats the one at line {first.ref.line}: kept once',
                    )
                    continue
                seen[url] = Link(url, title, ref)
                links.append(seen[url])
            if rest and not (lead and rest == leftover(lead) and all(t.title is None for t in tokens)):
                other = True
        if other:
            kept.append(block)
    return links, kept


_ITEM = re.compile(r"\s*(?:[-*+]|\d{1,9}[.)])\s+")
"""A nested bullet inside a contact bullet: each is a contact item of its own."""


def contact_items(block: RawBlock) -> list[list[tuple[str, SourceRef]]]:
    """A block's lines grouped by contact: a bullet and its continuation lines, each nested bullet."""
    items: list[list[tuple[str, SourceRef]]] = []
    for text, ref in lines_of(block):
        nested = _ITEM.match(text)
        if nested is not None or not items or block.kind == "paragraph":
            items.append([])
        items[-1].append((text[nested.end() :] if nested else text, ref))
    return items


def _contacts(raw: RawSection, report: Report) -> tuple[list[Contact], list[RawBlock]]:
    """The contact points of a contacts section, and the blocks holding other text too.

    One contact per person: an e-mail or URL alone on the line under a person's name (in the same
    bullet) is that person's.  Each contact keeps the exact text it was read from.
    """
    contacts: list[Contact] = []
    kept: list[RawBlock] = []
    where = f'section "{raw.label}"'
    for block in raw.blocks:
        other = False
        for item in contact_items(block):
            source = "\n".join(text for text, _ in item)
            person: Contact | None = None
            for text, ref in item:
                parts, tokens, rest = parse_contact_line(text)
                unread = bool(rest) or (not parts and bool(text.strip())) or any(t.tooltip for t in tokens)
                other = other or unread
                found: list[Contact] = []
                for p in parts:
                    email, url = p.email, p.url
                    if email is not None and (problem := email_problem(email)):
                        report.error(ref, f"{where}: {problem}")
                        email = None
                    if url is not None:
                        url = _checked(url, ref, where, report)
                    if email is None and url is None and not p.is_person:
                        continue
                    kind: ContactKind = "person" if p.is_person else "generic"
                    found.append(
                        Contact(ref, kind, email, url, p.name, p.role, p.organization, p.label, source)
                    )
                if (
                    person is not None
                    and found
                    and not unread
                    and all(c.kind == "generic" and not c.label for c in found)
                ):
                    person, found = _complete(person, found, contacts)  # the person's address, next line
                contacts += found
                person = next((c for c in reversed(found) if c.kind == "person"), person)
        if other:
            kept.append(block)
    return contacts, kept


def _complete(
    person: Contact, found: list[Contact], contacts: list[Contact]
) -> tuple[Contact, list[Contact]]:
    """Give ``person`` (already in ``contacts``) the first e-mail and URL of ``found`` it lacks."""
    email = next((c for c in found if c.email), None) if person.email is None else None
    url = next((c for c in found if c.url and not c.email), None) if person.url is None else None
    if email is None and url is None:
        return person, found
    whole = replace(person, email=email.email if email else person.email, url=url.url if url else person.url)
    contacts[contacts.index(person)] = whole
    return whole, [c for c in found if c is not email and c is not url]
