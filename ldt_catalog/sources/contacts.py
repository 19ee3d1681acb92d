"""Contact lines: one line of a contacts section to the contact points it names.

A line is read once (its links and e-mails, a lead-in label, the other words split at commas,
dashes and parentheses), then each form of ``FORMS`` is tried in turn; the first that recognises
the line says who is named and what text is left over.  A new way of writing a contact is a new
form, not a new branch in an old one.  Nothing here judges an address: the model validates them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ldt_catalog.sources.inline import DASH, Token, clean, lead_label, scan


@dataclass(frozen=True)
class ContactParts:
    """One contact point read from a line, not yet validated."""

    email: str | None = None
    url: str | None = None
    name: str | None = None
    role: str | None = None
    organization: str | None = None
    label: str | None = None

    @property
    def is_person(self) -> bool:
        return self.name is not None


@dataclass(frozen=True)
class ContactLine:
    """What every form looks at: the line, its links, its lead-in label and its other words."""

    text: str
    tokens: list[Token]
    label: str | None
    body: str  # the text after the lead-in label
    parts: list[str]  # the words between the links, split at separators, markup stripped


@dataclass(frozen=True)
class Reading:
    """What a form made of a line: the person named (if any), the label, the text not understood."""

    person: ContactParts | None
    label: str | None
    rest: str


Form = Callable[[ContactLine], Reading | None]

# Separators between the name, role and organisation of a person line.
_PERSON_SEPARATORS = re.compile(rf"\x00|\s-\s|[{DASH}]|[,;|()]")
_BOLD_START = re.compile(r"\s*(\*\*|__)[^*_]+?\1")
# A person's name when not in bold: two to five capitalised words (particles like "van" allowed).
_NAME = re.compile(r"[A-Z][\w'.-]*(?: (?:[A-Z][\w'.-]*|van|von|de|der|da|di|del|la|le)){1,4}")
# Words that make a capitalised phrase a label or a role, not a person's name ("General Contact").
_NOT_NAME = frozenset(
    """contact contacts general info information support press media office team secretariat help
    helpdesk desk enquiries inquiries email e-mail mail project page form website web site portal
    communication communications coordinator coordination management manager lead leader officer
    technical data main point partner partners consortium association foundation network us reach
    questions administration dissemination unit department service services sales business newsletter
    social community public relations head director chair responsible platform initiative""".split()  # noqa: SIM905
)
_SPLIT = re.compile(rf"\s-\s|[{DASH}]|[,;|()]")


def is_person_name(text: str) -> bool:
    """Two to five capitalised words, none of which is a word of labels or roles."""
    return _NAME.fullmatch(text) is not None and not any(w.lower() in _NOT_NAME for w in text.split())


def _person(parts: list[str], label: str | None) -> ContactParts:
    """Name, role, organisation (the rest joins the organisation) from the parts of a person line."""
    organization = ", ".join(parts[2:]) or None
    role = parts[1] if len(parts) > 1 else None
    return ContactParts(name=parts[0], role=role, organization=organization, label=label)


def read_contact_line(text: str) -> ContactLine:
    tokens = [t for t in scan(text) if t.kind != "image"]
    label, body_start = lead_label(text, tokens[0] if tokens else None)
    masked, position = [], body_start
    for token in tokens:
        masked.append(text[position : token.start])
        masked.append("\x00")
        position = token.end
    masked.append(text[position:])
    parts = [p for p in (clean(x) for x in _PERSON_SEPARATORS.split("".join(masked))) if p]
    return ContactLine(text, tokens, label, text[body_start:], parts)


def labelled_person_form(line: ContactLine) -> Reading | None:
    """``Jane Doe, Role: jane@acme.eu``: the lead-in before the colon names a person, not a label."""
    if line.label is None or not line.tokens:
        return None
    parts = [p for p in (clean(x) for x in _SPLIT.split(line.label)) if p]
    bold = _BOLD_START.match(line.text) is not None
    if not parts or not (is_person_name(parts[0]) or (bold and len(parts) > 1)):
        return None
    return Reading(_person(parts + line.parts, None), None, "")


def mailto_name_form(line: ContactLine) -> Reading | None:
    """``[Jane Doe](mailto:jane@acme.eu), Role``: a link whose text is a person's name."""
    first = line.tokens[0] if line.tokens else None
    if first is None or first.title is None or line.label is not None:
        return None
    name = clean(first.title)
    if not is_person_name(name) or line.text[: first.start].strip(" *_"):
        return None
    return Reading(_person([name, *line.parts], None), None, "")


def person_form(line: ContactLine) -> Reading | None:
    """``**Jane Doe**, Role — Organisation — mail`` or ``Jane Doe (Role) <mail>``: a bold name, or a
    capitalised name followed by other parts."""
    parts = line.parts
    if not parts or not (_BOLD_START.match(line.body) or (len(parts) >= 2 and is_person_name(parts[0]))):
        return None
    return Reading(_person(parts, line.label), line.label, "")


def link_text_form(line: ContactLine) -> Reading | None:
    """``DUET contact page https://…``: the one other part of a line with links is their label."""
    if len(line.parts) == 1 and line.label is None and line.tokens:
        return Reading(None, line.parts[0], "")
    return None


def other_text_form(line: ContactLine) -> Reading:
    """Any other line: its words are left over (and kept by the model as text)."""
    return Reading(None, line.label, " ".join(line.parts))


FORMS: tuple[Form, ...] = (
    labelled_person_form,
    mailto_name_form,
    person_form,
    link_text_form,
    other_text_form,
)


def parse_contact_line(text: str) -> tuple[list[ContactParts], list[Token], str]:
    """Contacts of one line, the tokens they came from, and the text not understood.

    Forms: ``General contact: x@y.eu`` (label + e-mail), ``[Contact page](url)`` (link text as
    label), a bare URL or ``<mailto:…>``, and a person ``**Jane Doe**, Role — Organisation —
    jane@acme.eu``: a bold name, or a capitalised two-to-five-word name followed by other parts,
    make a person whose parts are name, role and organisation (the rest joins the organisation).
    """
    line = read_contact_line(text)
    for form in FORMS:
        reading = form(line)
        if reading is not None:
            break
    else:  # pragma: no cover -- ``other_text_form`` takes every line
        raise AssertionError(text)
    person, label, rest = reading.person, reading.label, reading.rest
    tokens = line.tokens
    if label and tokens and person is None and all(_title(t) for t in tokens):
        rest, label = " ".join(filter(None, (label, rest))), None  # every link has its own label
    contacts: list[ContactParts] = []
    emails_urls = list(tokens)
    if person is not None:
        email = next((t for t in emails_urls if t.email), None)
        url = next((t for t in emails_urls if not t.email), None)
        contacts.append(
            ContactParts(
                email=email.email if email else None,
                url=url.url if url else None,
                name=person.name,
                role=person.role,
                organization=person.organization,
                label=label,
            )
        )
        emails_urls = [t for t in emails_urls if t is not email and t is not url]
    for token in emails_urls:
        title = _title(token)
        if token.email:
            contacts.append(ContactParts(email=token.email, label=title or label))
        else:
            contacts.append(ContactParts(url=token.url, label=title or label))
    return contacts, tokens, rest


def _title(token: Token) -> str | None:
    """A link's text when it says more than the address (``[x@y.eu](mailto:x@y.eu)`` does not)."""
    title = (token.title or "").strip()
    return title if title and title not in (token.email, token.url) else None
