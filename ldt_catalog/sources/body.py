"""One part of a page (the head, or an initiative's body) to sections of blocks.

Each line goes to the first handler that takes it among those ``Body.HANDLERS`` lists for its
kind (``Line.kind``, worked out once): code, blank, the line after a blank inside a bullet, rule,
label, heading, logo, text.  A new kind of line is a new handler, not a new branch in an old one.

Within a section, text becomes blocks: paragraphs (blank lines apart; a fenced code block is one
paragraph, kept verbatim; a hard line break, two trailing spaces, ends a paragraph, since
trailing spaces are not kept) and bullets (``-``, ``*``, ``+``, ``1.``; indented or lazy continuation
lines and nested bullets stay in their bullet).  ``---``/``***``/``___`` rules, blank lines and
HTML comments only separate blocks; ``###`` headings are text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from ldt_catalog.errors import SourceRef
from ldt_catalog.sources.inline import image_only
from ldt_catalog.sources.labels import LABEL_STARTS, LabelKind, read_label
from ldt_catalog.sources.lines import BLANK_LINE, BULLET, Line, LineKind
from ldt_catalog.sources.records import BlockKind, RawBlock, RawImage, RawSection


@dataclass(slots=True)
class _Open:
    """The block being read."""

    kind: BlockKind
    line: int
    lines: list[str]
    marker: str = "-"
    column: int = 0  # where a bullet's text starts; deeper lines belong to it
    code: bool = False
    blank_after: int = 0  # blank lines read since its last line
    fenced: bool = False  # a bullet inside whose code fence we are


@dataclass(slots=True)
class Body:
    """Turns the lines of one page part into sections of blocks (``labels``: cut at labels)."""

    path: str
    labels: bool
    sections: list[RawSection] = field(default_factory=list)
    logo: RawImage | None = None
    _label: str | None = None
    _kind: LabelKind | None = None
    _ref: SourceRef | None = None
    _blocks: list[RawBlock] = field(default_factory=list)
    _open: _Open | None = None

    HANDLERS: ClassVar[dict[LineKind, tuple[Callable[[Body, Line], bool], ...]]]

    def read(self, lines: Sequence[Line]) -> None:
        handlers = self.HANDLERS
        for line in lines:
            if line is BLANK_LINE and self._open is None:
                continue  # a blank line with no block to end does nothing
            for handler in handlers[line.kind]:
                if handler(self, line):
                    break
        self._close_section()

    # -- the line handlers, in the order they are tried --------------------------------------

    def _code_line(self, line: Line) -> bool:
        if not line.code:
            return False
        block = self._open
        if block and block.kind == "bullet" and (block.fenced or line.indent >= block.column):
            # a code block inside a bullet, blank lines and all
            block.lines += [""] * block.blank_after + [line.text[min(line.indent, block.column) :]]
            block.blank_after = 0
            block.fenced = line.fence_open or (block.fenced and not line.fence_close)
            return True
        if line.fence_open:
            self._flush()
            self._open = _Open("paragraph", line.number, [], code=True)
        assert self._open is not None
        self._open.lines.append(line.text)
        if line.fence_close:
            self._flush()
        return True

    def _blank_line(self, line: Line) -> bool:
        if not line.blank:
            return False
        block = self._open
        if block and block.kind == "bullet":
            block.blank_after += 1
        else:
            self._flush()
        return True

    def _after_blank(self, line: Line) -> bool:
        """An indented line after blank lines continues its bullet; anything else ends it."""
        block = self._open
        if not (block and block.blank_after):
            return False
        if line.indent >= block.column and not line.rule:
            block.lines += [""] * block.blank_after + [line.text[block.column :]]
            block.blank_after = 0
            return True
        self._flush()
        return False

    def _rule_line(self, line: Line) -> bool:
        if not line.rule:
            return False
        self._flush()
        return True

    def _label_line(self, line: Line) -> bool:
        if not self.labels or line.first not in LABEL_STARTS:  # as read_label's own first test
            return False
        block = self._open
        if block and block.kind == "bullet" and line.indent >= block.column:
            return False
        found = read_label(line.text, line.indent, line.first, self._kind)
        if found is None:
            return False
        self._close_section()
        self._label, self._kind, self._ref = found.label, found.kind, SourceRef(self.path, line.number)
        if found.rest:
            self._text(line.number, found.rest, 0, found.rest[0])
            if line.hard_break:
                self._flush()
        return True

    def _heading_line(self, line: Line) -> bool:
        if line.heading is None:
            return False
        self._flush()
        self._add(RawBlock("paragraph", line.text.strip(), SourceRef(self.path, line.number)))
        return True

    def _logo_line(self, line: Line) -> bool:
        if not (self.labels and self.logo is None and (self._label is None or self._kind == "logo")):
            return False
        image = image_only(line.text)
        if image is None:
            return False
        self._flush()
        ref = SourceRef(self.path, line.number)
        self.logo = RawImage(image.url, image.title or "", image.attributes, ref, line.text.strip())
        return True

    def _text_line(self, line: Line) -> bool:
        self._text(line.number, line.text, line.indent, line.first)
        if line.hard_break and self._open and self._open.kind == "paragraph":
            self._flush()  # trailing spaces are dropped, so a break must become a block boundary
        return True

    # -- blocks and sections -------------------------------------------------------------------

    def _text(self, number: int, text: str, indent: int, first: str) -> None:
        """Add a line of text; ``indent`` is its count of leading spaces, ``first`` the character after."""
        block = self._open
        bullet = BULLET.fullmatch(text) if first in "-*+" or first.isdecimal() else None
        if block and block.kind == "bullet" and (indent >= block.column or (not bullet and not block.code)):
            block.lines.append(text[min(indent, block.column) :])
            return
        if bullet and indent < 4:
            self._flush()
            _, marker, spaces, content = bullet.groups()
            width = len(spaces or " ")
            column = indent + len(marker) + (width if width <= 4 else 1)
            marker = "-" if marker in "-*+" else marker
            self._open = _Open("bullet", number, [content or ""], marker, column)
        elif block and not block.code:
            block.lines.append(text.strip())
        else:
            self._flush()
            self._open = _Open("paragraph", number, [text.strip()])

    def _add(self, block: RawBlock) -> None:
        if self._ref is None:
            self._ref = block.ref
        self._blocks.append(block)

    def _flush(self) -> None:
        block, self._open = self._open, None
        if block is not None:  # as ``_add`` does, without a call for every block
            ref = SourceRef(self.path, block.line)
            if self._ref is None:
                self._ref = ref
            self._blocks.append(RawBlock(block.kind, "\n".join(block.lines), ref, block.marker))

    def _close_section(self) -> None:
        self._flush()
        if self._label is not None or self._blocks:
            assert self._ref is not None
            self.sections.append(RawSection(self._label, self._kind, self._ref, tuple(self._blocks)))
        self._label, self._kind, self._ref, self._blocks = None, None, None, []


# Each kind of line gets the handlers that may take it, in the order of the module docstring:
# ``_code_line`` takes every code line, ``_blank_line`` every blank one, ``_rule_line`` every rule
# and ``_heading_line`` every heading (a heading is no label: it starts with ``#``).
Body.HANDLERS = {
    "code": (Body._code_line,),
    "blank": (Body._blank_line,),
    "rule": (Body._after_blank, Body._rule_line),
    "heading": (Body._after_blank, Body._heading_line),
    "text": (Body._after_blank, Body._label_line, Body._logo_line, Body._text_line),
}
