"""Knowledge-hub pages (markdown) to raw records, every piece with its file and line.

A page is cut into its head (``# `` title and intro) and one ``RawInitiative`` per ``## ``
heading (up to the next ``## `` or the end).  An initiative's body is cut into sections at its
labels; the text before the first label is an unlabeled section, apart from the logo.

What is a label (``label_kind`` has the synonyms):

* a line that is only a bold ``**X:**`` (or ``**X**:``, ``__X:__``) is always a label, a known
  one or not; a bold known label (``**Webpage:** https://…``) may carry content on its line;
* a bold line with content after it (``**Funding:** Horizon Europe``) is a label too: unknown
  labels are kept and reported by ``model.py``;
* a plain ``X:`` line is a label only when ``X`` is a known label of another kind than the
  current section, so lead-in sentences ending with a colon stay text.

Within a section, text becomes blocks: paragraphs (blank lines apart; a fenced code block is one
paragraph, kept verbatim; a hard line break, two trailing spaces, ends a paragraph, since
trailing spaces are not kept) and bullets (``-``, ``*``, ``+``, ``1.``; indented or lazy continuation
lines and nested bullets stay in their bullet).  ``---``/``***``/``___`` rules, blank lines and
HTML comments only separate blocks; ``###`` headings are text.  CRLF and a UTF-8 BOM are accepted.
``find_pages`` does not descend into sub-directories.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Literal

from ldt_catalog.errors import CatalogError, Diagnostic, Severity, SourceRef
from ldt_catalog.sources.inline import image_only

LabelKind = Literal["description", "key_role", "relevance", "assets", "webpages", "contacts", "logo"]

LABEL_SYNONYMS: dict[LabelKind, str] = {
    "description": r"(short |brief )?(description|summary|overview)|about( the (initiative|project))?",
    "key_role": r"(key |main )?roles?( in (the )?.*ecosystem| and contribution)|key roles?",
    "relevance": r"relevance( (to|for) .+)?",
    "assets": r"(key |main )?(assets|resources|outputs|results|tools)"
    r"( and (assets|resources|outputs|tools))?",
    "webpages": r"(official |project )?(web ?pages?|web ?sites?|home ?pages?|urls?|links?|reference links?)",
    "contacts": r"(main )?contacts?( points?| persons?| information| info| details)?",
    "logo": r"logo",
}
"""Known labels: each ``/``-separated part of the lower-cased label must match one pattern."""


_LABEL_PATTERNS = [(kind, re.compile(pattern)) for kind, pattern in LABEL_SYNONYMS.items()]
_SPACES = re.compile(r"\s+")


@functools.lru_cache(maxsize=1024)
def label_kind(label: str) -> LabelKind | None:
    """The field a label fills (``Webpage / Reference Link`` → ``webpages``), or None if unknown."""
    # most calls miss the cache: lead-in sentences ending with a colon often name their initiative
    norm = _SPACES.sub(" ", label.lower().replace("&", " and ").replace("*", "")).strip(" :")
    parts = [p.strip() for p in norm.split("/")]
    for kind, pattern in _LABEL_PATTERNS:
        if all(pattern.fullmatch(p) for p in parts):
            return kind
    return None


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


class _Line:
    """One physical line, with what the reader asks of it worked out once."""

    __slots__ = (
        "blank",
        "code",
        "fence_close",
        "fence_open",
        "first",
        "hard_break",
        "heading",
        "indent",
        "number",
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
        self.blank = not code and not stripped.strip()
        self.indent = len(text) - len(stripped)
        self.first = stripped[:1]  # what a rule, bullet, label or heading must start with
        self.heading: tuple[int, str] | None = None
        if not code and self.first == "#":
            m = _HEADING.match(text)
            self.heading = (len(m.group(1)), m.group(2) or "") if m else None


_BLANK_LINE = _Line(0, "", False)
"""Every blank line outside code and comments (a third of a page): nothing asks one for its number."""
_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_RULE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LABEL_STARTS = frozenset("*_" + string.ascii_letters)  # what a bold or a plain label starts with
_RULE_CHARS = {"-": " \t-", "*": " \t*", "_": " \t_"}  # all a rule starting with the key may hold
_BULLET = re.compile(r"( *)([-*+]|\d{1,9}[.)])(?:( +)(.*)|$)")
_BOLD_LABEL = re.compile(
    r" {0,3}(?P<d>\*\*|__)(?P<label>[^*_\s][^*]*?)\s*(?::\s*(?P=d)|(?P=d)\s*:)\s*(?P<rest>.*)"
)
_BOLD_ONLY = re.compile(r" {0,3}(?P<d>\*\*|__)(?P<label>[^*_\s][^*]*?)(?P=d)\s*")
_PLAIN_LABEL = re.compile(r" {0,3}(?P<label>[A-Za-z][^:*\[\]<>()]{0,60}?)\s*:(?:\s+(?P<rest>.*)|\s*)")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _classify(physical: list[str], path: str, notes: list[Diagnostic]) -> list[_Line]:
    """Strip endings and comments; mark fenced code so no ``#`` in it is read as a heading."""
    lines: list[_Line] = []
    fence: str | None = None
    fence_ref: SourceRef | None = None
    in_comment = False
    for number, raw in enumerate(physical, start=1):
        if fence is None and not in_comment and "<!--" not in raw and "`" not in raw and "~" not in raw:
            kept = raw.rstrip("\r")  # the common line: no fence, no comment
            text = kept.rstrip()
            if not text:
                lines.append(_BLANK_LINE)
            else:
                lines.append(_Line(number, text, False, False, False, kept.endswith("  ")))
            continue
        text = raw.rstrip("\r").rstrip()
        if fence is not None:
            closing = _FENCE.match(text)
            close = bool(
                closing
                and closing.group(1)[0] == fence[0]
                and len(closing.group(1)) >= len(fence)
                and not text[closing.end() :].strip()
            )
            lines.append(_Line(number, text, True, fence_close=close))
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
        opening = _FENCE.match(kept) if not in_comment and ("`" in kept or "~" in kept) else None
        if opening:
            fence, fence_ref = opening.group(1), SourceRef(path, number)
            lines.append(_Line(number, kept.rstrip(), True, fence_open=True))
        else:
            hard_break = kept.endswith("  ") and bool(kept.strip())
            lines.append(_Line(number, kept.rstrip(), False, hard_break=hard_break))
    if fence is not None and fence_ref is not None:
        notes.append(
            Diagnostic.at(
                fence_ref, "code fence is never closed: the rest of the page is code", Severity.WARNING
            )
        )
    return lines


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
class _Body:
    """Turns the lines of one page part into sections of blocks."""

    path: str
    labels: bool
    sections: list[RawSection] = field(default_factory=list)
    logo: RawImage | None = None
    _label: str | None = None
    _kind: LabelKind | None = None
    _ref: SourceRef | None = None
    _blocks: list[RawBlock] = field(default_factory=list)
    _open: _Open | None = None

    def read(self, lines: Sequence[_Line]) -> None:
        for line in lines:
            if line is _BLANK_LINE and self._open is None:
                continue  # a blank line with no block to end does nothing
            self._line(line)
        self._close_section()

    def _line(self, line: _Line) -> None:
        block = self._open
        if line.code:
            if block and block.kind == "bullet" and (block.fenced or line.indent >= block.column):
                # a code block inside a bullet, blank lines and all
                block.lines += [""] * block.blank_after + [line.text[min(line.indent, block.column) :]]
                block.blank_after = 0
                block.fenced = line.fence_open or (block.fenced and not line.fence_close)
            else:
                if line.fence_open:
                    self._flush()
                    self._open = _Open("paragraph", line.number, [], code=True)
                assert self._open is not None
                self._open.lines.append(line.text)
                if line.fence_close:
                    self._flush()
            return
        if line.blank:
            if block and block.kind == "bullet":
                block.blank_after += 1
            else:
                self._flush()
            return
        chars = _RULE_CHARS.get(line.first)
        rule = chars is not None and not line.text.strip(chars) and _RULE.match(line.text) is not None
        if block and block.blank_after:
            if line.indent >= block.column and not rule:
                block.lines += [""] * block.blank_after + [line.text[block.column :]]
                block.blank_after = 0
                return
            self._flush()
        if rule:
            self._flush()
            return
        if self.labels and line.indent < 4 and line.first in _LABEL_STARTS and self._try_label(line):
            return
        heading = line.heading
        if heading is not None:
            self._flush()
            self._add(RawBlock("paragraph", line.text.strip(), SourceRef(self.path, line.number)))
            return
        if self.labels and self.logo is None and (self._label is None or self._kind == "logo"):
            image = image_only(line.text)
            if image is not None:
                self._flush()
                self.logo = RawImage(
                    image.url, image.title or "", image.attributes, SourceRef(self.path, line.number)
                )
                return
        self._text(line.number, line.text, line.indent, line.first)
        if line.hard_break and self._open and self._open.kind == "paragraph":
            self._flush()  # trailing spaces are dropped, so a break must become a block boundary

    def _text(self, number: int, text: str, indent: int, first: str) -> None:
        """Add a line of text; ``indent`` is its count of leading spaces, ``first`` the character after."""
        block = self._open
        bullet = _BULLET.fullmatch(text) if first in "-*+" or first.isdecimal() else None
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

    def _try_label(self, line: _Line) -> bool:
        """Start a section if ``line`` is a label: at most 3 spaces in, starting with ``_LABEL_STARTS``."""
        block = self._open
        if block and block.kind == "bullet" and line.indent >= block.column:
            return False
        # what each pattern needs first, to spare the regular expressions on most lines
        bold = line.text.startswith(("**", "__"), line.indent)
        if not bold and (line.first in "*_" or ":" not in line.text):
            return False
        m = (_BOLD_LABEL.fullmatch(line.text) or _BOLD_ONLY.fullmatch(line.text)) if bold else None
        if m and m.re is _BOLD_ONLY and label_kind(m.group("label")) is None:
            m = None  # ``**Some bold words**`` alone is text unless it names a known label
        if m is None:
            m = _PLAIN_LABEL.fullmatch(line.text)
            if m is None or label_kind(m.group("label")) in (None, self._kind):
                return False
        self._close_section()
        label = m.group("label").strip()
        self._label, self._kind, self._ref = label, label_kind(label), SourceRef(self.path, line.number)
        rest = ((m.group("rest") if m.re is not _BOLD_ONLY else None) or "").strip()
        if rest:
            self._text(line.number, rest, 0, rest[0])
            if line.hard_break:
                self._flush()
        return True

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


def parse_page(text: str, path: str, name: str | None = None) -> RawPage:
    """Read one page's text; ``path`` is used in every ``SourceRef``, ``name`` defaults to its base name."""
    name = name if name is not None else PurePath(path).name
    digest = _sha256(text)
    text = text.removeprefix("\ufeff")
    physical = text.split("\n")
    if physical[-1] == "":
        physical.pop()  # the text ends with a line ending, not with an empty line
    lengths = list(itertools.accumulate(map(len, physical), initial=0))

    def offset(i: int) -> int:
        """Where line ``i`` starts in ``text`` (``len(physical)``: where the last one ends), to hash spans."""
        return min(lengths[i] + i, len(text))  # each line is followed by its "\n", but maybe the last

    notes: list[Diagnostic] = []
    lines = _classify(physical, path, notes)
    headings = [i for i, line in enumerate(lines) if line.heading]
    starts = [i for i in headings if (lines[i].heading or (0,))[0] == 2]
    head_end = starts[0] if starts else len(lines)
    title_at = next((i for i in range(head_end) if (lines[i].heading or (0,))[0] == 1), None)
    title_ref = SourceRef(path, lines[title_at].number) if title_at is not None else None
    title = (lines[title_at].heading or (1, ""))[1] if title_at is not None else None
    for i in range(head_end):
        if title_at is not None and i < title_at and not lines[i].blank:
            notes.append(
                Diagnostic.at(
                    SourceRef(path, lines[i].number),
                    "text before the page title kept in the cluster description",
                    Severity.WARNING,
                )
            )
            break
    for i in headings:
        if (lines[i].heading or (0,))[0] == 1 and i != title_at:
            notes.append(
                Diagnostic.at(
                    SourceRef(path, lines[i].number), 'a second "# " title is kept as text', Severity.WARNING
                )
            )
    intro = _Body(path, labels=False)
    # the title line reads as a blank one: it ends any block before it
    intro.read(
        [_Line(line.number, "", False) if i == title_at else line for i, line in enumerate(lines[:head_end])]
    )
    initiatives = []
    for k, start in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        body = _Body(path, labels=True)
        body.read(lines[start + 1 : end])
        heading = lines[start].heading
        assert heading is not None
        initiatives.append(
            RawInitiative(
                heading[1],
                SourceRef(path, lines[start].number),
                _sha256(text[offset(start) : offset(end)]),
                body.logo,
                tuple(body.sections),
            )
        )
    return RawPage(
        path=path,
        name=name,
        sha256=digest,
        title=title,
        title_ref=title_ref,
        intro=tuple(b for s in intro.sections for b in s.blocks),
        head_sha256=_sha256(text[: offset(head_end)]),
        initiatives=tuple(initiatives),
        notes=tuple(notes),
    )


def read_page(path: Path, display_path: str | None = None) -> RawPage:
    """Read a page file as UTF-8; bad bytes are a ``CatalogError`` naming the file and line."""
    shown = display_path if display_path is not None else str(path)
    try:
        data = path.read_bytes()
    except OSError as e:
        raise CatalogError([Diagnostic(shown, f"cannot read the page: {e.strerror or e}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        ref = SourceRef(shown, data[: e.start].count(b"\n") + 1)
        raise CatalogError(
            [Diagnostic.at(ref, f"page is not UTF-8 text (byte 0x{data[e.start]:02x} at offset {e.start})")]
        ) from None
    return parse_page(text, shown, path.name)  # its sha256 is that of ``data``: the text is kept whole


def find_pages(paths: Sequence[Path]) -> list[Path]:
    """The pages to read: a file is itself, a directory gives its ``*.md`` files (sorted, not recursive)."""
    found: list[Path] = []
    problems: list[Diagnostic] = []
    for path in paths:
        if path.is_dir():
            pages = sorted(p for p in path.glob("*.md") if p.is_file())
            if not pages:
                problems.append(Diagnostic(str(path), "directory has no .md pages"))
            found += pages
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Diagnostic(str(path), "no such file or directory"))
    if problems:
        raise CatalogError(problems)
    unique: dict[Path, Path] = {}
    for page in found:
        unique.setdefault(page.resolve(), page)
    return list(unique.values())
