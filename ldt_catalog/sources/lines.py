"""Physical lines of a page, classified once: code, blank, heading, rule, indent, hard break.

Line endings (CRLF too), trailing spaces and HTML comments are dropped here; fenced code is
marked so that no ``#`` in it is read as a heading and no ``**X:**`` as a label.
"""

from __future__ import annotations

import re
from typing import Literal

from ldt_catalog.errors import Diagnostic, Severity, SourceRef

LineKind = Literal["code", "blank", "heading", "rule", "text"]


class Line:
    """One physical line, with what the reader asks of it worked out once.

    ``kind`` is the first of code, blank, heading, rule, text that the line is: the readers
    dispatch on it instead of asking each question again."""

    __slots__ = (
        "blank",
        "code",
        "fence_close",
        "fence_open",
        "first",
        "hard_break",
        "heading",
        "indent",
        "kind",
        "number",
        "rule",
        "text",
    )

    def __init__(
        self,
        number: int,
        text: str,
        code: bool,
        fence_open: bool = False,
        fence_close: bool = False,
        hard_break: bool = False,
    ) -> None:
        self.number = number
        self.text = text  # without line ending, trailing spaces and HTML comments
        self.code = code  # inside a fenced code block, fences included
        self.fence_open = fence_open
        self.fence_close = fence_close
        self.hard_break = hard_break  # ended with two spaces: the paragraph shows a line break here
        stripped = text.lstrip(" ")
        self.blank = not code and (not stripped or stripped.isspace())  # ``not strip()``, uncopied
        self.indent = len(text) - len(stripped)
        first = self.first = stripped[:1]  # what a rule, bullet, label or heading must start with
        self.heading: tuple[int, str] | None = None
        # a rule is only made of its character, spaces and tabs: that test spares the regex
        chars = RULE_CHARS.get(first)
        self.rule = chars is not None and not text.strip(chars) and RULE.match(text) is not None
        kind: LineKind = "code" if code else "blank" if self.blank else "rule" if self.rule else "text"
        if kind == "text" and first == "#":
            m = HEADING.match(text)
            if m:
                self.heading, kind = (len(m.group(1)), m.group(2) or ""), "heading"
        self.kind = kind


HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
RULE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
RULE_CHARS = {"-": " \t-", "*": " \t*", "_": " \t_"}  # all a rule starting with the key may hold
BULLET = re.compile(r"( *)([-*+]|\d{1,9}[.)])(?:( +)(.*)|$)")
BLANK_LINE = Line(0, "", False)
"""Every blank line outside code and comments (a third of a page): nothing asks one for its number."""


def is_rule(line: Line) -> bool:
    """``---``, ``***`` or ``___`` (spaces allowed between): a thematic break."""
    return line.rule


def detab(text: str) -> str:
    """Leading tabs as spaces to the next multiple of 4 columns, as Markdown counts indentation."""
    body = text.lstrip(" \t")
    column = 0
    for char in text[: len(text) - len(body)]:
        column = column + 4 - column % 4 if char == "\t" else column + 1
    return " " * column + body


def classify(physical: list[str], path: str, notes: list[Diagnostic]) -> list[Line]:
    """Strip endings and comments; mark fenced code so no ``#`` in it is read as a heading.

    Leading tabs count as spaces to the next multiple of 4 (``detab``)."""
    lines: list[Line] = []
    fence: str | None = None
    fence_ref: SourceRef | None = None
    in_comment = False
    for number, raw in enumerate(physical, start=1):
        if fence is None and not in_comment and "<!--" not in raw and "`" not in raw and "~" not in raw:
            kept = raw.rstrip("\r")  # the common line: no fence, no comment
            if kept[:1] in "\t " and "\t" in kept:
                kept = detab(kept)
            text = kept.rstrip()
            if not text:
                lines.append(BLANK_LINE)
            else:
                lines.append(Line(number, text, False, False, False, kept.endswith("  ")))
            continue
        raw = detab(raw) if raw[:1] in "\t " and "\t" in raw else raw
        text = raw.rstrip("\r").rstrip()
        if fence is not None:
            closing = FENCE.match(text)
            close = bool(
                closing
                and closing.group(1)[0] == fence[0]
                and len(closing.group(1)) >= len(fence)
                and not text[closing.end() :].strip()
            )
            lines.append(Line(number, text, True, fence_close=close))
            fence = None if close else fence
            continue
        kept, rest = "", raw.rstrip("\r")
        if not in_comment and "<!--" not in rest:
            kept, rest = rest, ""
        while rest:
            marker = "-->" if in_comment else "<!--"
            at = rest.find(marker)
            if at < 0:
                kept, rest = kept + ("" if in_comment else rest), ""
            else:
                kept, rest = kept + ("" if in_comment else rest[:at]), rest[at + len(marker) :]
                in_comment = not in_comment
        opening = FENCE.match(kept) if not in_comment and ("`" in kept or "~" in kept) else None
        if opening:
            fence, fence_ref = opening.group(1), SourceRef(path, number)
            lines.append(Line(number, kept.rstrip(), True, fence_open=True))
        else:
            hard_break = kept.endswith("  ") and bool(kept.strip())
            lines.append(Line(number, kept.rstrip(), False, hard_break=hard_break))
    if fence is not None and fence_ref is not None:
        notes.append(
            Diagnostic.at(
                fence_ref, "code fence is never closed: the rest of the page is code", Severity.WARNING
            )
        )
    return lines
