"""Where initiatives start: ``## `` headings, and the lines that were meant to be one.

The page's initiative level is 2 (``## Name – Title``).  Other ways of writing a heading are
found by one handler each (``FORMS``) and judged as MkDocs (Python-Markdown) would show them and by
what follows them:

* ``##DUET – …`` (no space): Python-Markdown shows a level-2 heading, CommonMark plain text: it
  starts an initiative, with a warning;
* ``### DUET – …`` (another level), a setext heading (a lone line underlined with ``---`` or
  ``===``) and a bold line standing alone (``**DUET – …**``) start an initiative when labelled
  sections follow at once (only a logo, rules and blank lines between) and the line either reads as
  an initiative heading (``Name – Title`` or ``Title (ACR)``) or is followed by a description
  label; with a warning naming the line;
* such a line that reads as an initiative heading but is not followed by labels stays text of the
  section it is in, with a warning: never merged into another initiative unreported.

A line alone that is only an image (the logo) followed by ``---`` is never a heading: the hub
writes a rule under each logo.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ldt_catalog.errors import Diagnostic, Severity, SourceRef
from ldt_catalog.sources.inline import image_only, split_heading
from ldt_catalog.sources.labels import BOLD_ONLY, label_kind, read_label
from ldt_catalog.sources.lines import BULLET, Line, is_rule

INITIATIVE_LEVEL = 2


@dataclass(frozen=True, slots=True)
class Candidate:
    """A line that may start an initiative: its form, level, text, and where its body starts."""

    form: str
    index: int
    level: int
    text: str
    body: int
    shown: str  # how the form is named in messages


@dataclass(frozen=True, slots=True)
class Start:
    """An initiative's heading line (``index``), its text, and its first body line."""

    index: int
    text: str
    body: int


_SPACELESS = re.compile(r"(#{1,6})([^#\s].*?)(?:[ \t]+#+)?[ \t]*")
_UNDERLINE = re.compile(r" {0,3}(=+|-+)[ \t]*")


def _starts_paragraph(lines: Sequence[Line], i: int) -> bool:
    return i == 0 or lines[i - 1].blank or lines[i - 1].heading is not None or is_rule(lines[i - 1])


def atx_form(lines: Sequence[Line], i: int) -> Candidate | None:
    heading = lines[i].heading
    if heading is None:
        return None
    return Candidate(
        "atx", i, heading[0], heading[1], i + 1, f'a level-{heading[0]} heading "{"#" * heading[0]} "'
    )


def spaceless_form(lines: Sequence[Line], i: int) -> Candidate | None:
    """``##DUET``: a heading for Python-Markdown, which needs no space after the hashes."""
    line = lines[i]
    if line.code or line.heading is not None or not line.text.startswith("#"):
        return None
    m = _SPACELESS.fullmatch(line.text)
    if m is None:
        return None
    level = len(m.group(1))
    return Candidate("spaceless", i, level, m.group(2).strip(), i + 1, f'"{"#" * level}" without a space')


def setext_form(lines: Sequence[Line], i: int) -> Candidate | None:
    """A lone line of text underlined with ``---`` (level 2) or ``===`` (level 1)."""
    if i + 1 >= len(lines):
        return None
    line, under = lines[i], lines[i + 1]
    if line.code or line.blank or line.heading is not None or under.code or line.indent >= 4:
        return None
    m = _UNDERLINE.fullmatch(under.text)
    if m is None or not _starts_paragraph(lines, i) or is_rule(line):
        return None
    if (
        BULLET.fullmatch(line.text)
        or image_only(line.text)
        or read_label(line.text, line.indent, line.first, None)
    ):
        return None
    level = 1 if m.group(1)[0] == "=" else 2
    return Candidate(
        "setext", i, level, line.text.strip(), i + 2, f'a line underlined with "{m.group(1)[:3]}"'
    )


def bold_form(lines: Sequence[Line], i: int) -> Candidate | None:
    """``**DUET – Digital Urban European Twins**`` alone between blank lines."""
    line = lines[i]
    if line.code or not line.text.startswith(("**", "__"), line.indent):
        return None
    if not (i + 1 == len(lines) or lines[i + 1].blank) or not _starts_paragraph(lines, i):
        return None  # tested before the regex: most bold lines are labels with text under them
    m = BOLD_ONLY.fullmatch(line.text)
    if m is None or m.group("label").rstrip().endswith(":") or label_kind(m.group("label")) is not None:
        return None
    return Candidate("bold", i, 0, m.group("label").strip(), i + 1, "a bold line standing alone")


Form = Callable[[Sequence[Line], int], Candidate | None]
FORMS: tuple[Form, ...] = (atx_form, spaceless_form, setext_form, bold_form)


def _first_label(lines: Sequence[Line], body: int, end: int) -> str | None:
    """The kind of the label right after a heading (a logo, rules and blank lines may come first)."""
    for line in lines[body:end]:
        if line.blank or line.code or is_rule(line) or image_only(line.text):
            continue
        found = read_label(line.text, line.indent, line.first, None)
        return found.kind if found is not None and found.kind is not None else None
    return None


def _reads_as_initiative(text: str) -> bool:
    parts = split_heading(text)
    return bool(parts.full_title or parts.acronym)


_BOLD_STARTS = frozenset("*_")
_MAY_TAKE = frozenset("#*_-=")  # the first characters of a heading, a bold line, an underline


def worth_trying(lines: Sequence[Line]) -> list[int]:
    """The lines some form of ``FORMS`` may take, by what each needs first (no regex): a ``#``
    (atx, spaceless); a bold start and a blank line or the end after it (bold); a next line made
    only of ``-`` or ``=`` and spaces (setext).  Most lines of a page are none of these."""
    found: list[int] = []
    last = len(lines) - 1
    for i, line in enumerate(lines):
        first = line.first
        if first not in _MAY_TAKE:
            continue
        if first == "#":
            found.append(i)
        elif first in _BOLD_STARTS:
            if i == last or lines[i + 1].blank:
                found.append(i)
        elif (
            i
            and line.text[-1] in "-= \t"
            and not line.text.strip(" \t-=")
            and (not found or found[-1] != i - 1)
        ):
            found.append(i - 1)  # an underline: the line above it may be a heading
    return found


def first_candidate(lines: Sequence[Line], i: int) -> Candidate | None:
    """What the first form of ``FORMS`` that takes line ``i`` makes of it."""
    for form in FORMS:
        candidate = form(lines, i)
        if candidate is not None:
            return candidate
    return None


def initiative_starts(lines: Sequence[Line], path: str, notes: list[Diagnostic]) -> list[Start]:
    """Every initiative start of a page, warnings in ``notes`` for each line read in a second way."""
    starts: list[Start] = []
    for i in worth_trying(lines):
        line = lines[i]
        heading = line.heading
        if heading is not None and heading[0] == INITIATIVE_LEVEL:
            starts.append(Start(i, heading[1], i + 1))  # what ``atx_form`` reads, the common case
            continue
        candidate = first_candidate(lines, i)
        if candidate is None:
            continue
        ref = SourceRef(path, line.number)
        if candidate.form == "spaceless" and candidate.level == INITIATIVE_LEVEL:
            starts.append(Start(i, candidate.text, candidate.body))
            notes.append(_warn(ref, f"{candidate.shown}: read as an initiative heading, as MkDocs shows it"))
            continue
        if candidate.level == 1 and candidate.form == "atx":
            continue  # the title, or a second title the page reader reports
        label = _first_label(lines, candidate.body, len(lines))
        reads = _reads_as_initiative(candidate.text)
        if label is not None and (reads or label == "description"):
            starts.append(Start(i, candidate.text, candidate.body))
            notes.append(
                _warn(
                    ref,
                    f'{candidate.shown} followed by labelled sections: read as the initiative "{candidate.text}"'
                    f' (rule: an initiative heading is "## Name – Title")',
                )
            )
        elif reads:
            notes.append(
                _warn(
                    ref,
                    f"{candidate.shown} reads as an initiative heading but no labelled section follows it: "
                    f"kept as text of the section it is in",
                )
            )
    return starts


def _warn(ref: SourceRef, message: str) -> Diagnostic:
    return Diagnostic.at(ref, message, Severity.WARNING)
