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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Literal

from ldt_catalog.errors import CatalogError, Diagnostic, Severity, SourceRef
from ldt_catalog.inline import image_only

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


@functools.lru_cache(maxsize=1024)
def label_kind(label: str) -> LabelKind | None:
    """The field a label fills (``Webpage / Reference Link`` → ``webpages``), or None if unknown."""
    norm = re.sub(r"\s+", " ", label.lower().replace("&", " and ").replace("*", "")).strip(" :")
    parts = [p.strip() for p in norm.split("/")]
    for kind, pattern in LABEL_SYNONYMS.items():
        if all(re.fullmatch(pattern, p) for p in parts):
            return kind
    return None


BlockKind = Literal["paragraph", "bullet"]


@dataclass(frozen=True)
class RawBlock:
    """A paragraph or a bullet as written; it spans ``ref.line`` to ``ref.line + markdown.count('\\n')``."""

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
        self.heading: tuple[int, str] | None = None
        if not code and stripped[:1] == "#":
            m = _HEADING.match(text)
            self.heading = (len(m.group(1)), m.group(2) or "") if m else None


_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_RULE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
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
            lines.append(_Line(number, text, False, False, False, kept.endswith("  ") and bool(text)))
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


@dataclass
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


@dataclass
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
        if block and block.blank_after:
            if line.indent >= block.column and not _RULE.match(line.text):
                block.lines += [""] * block.blank_after + [line.text[block.column :]]
                block.blank_after = 0
                return
            self._flush()
        if _RULE.match(line.text):
            self._flush()
            return
        if self.labels and self._try_label(line):
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
        self._text(line.number, line.text)
        if line.hard_break and self._open and self._open.kind == "paragraph":
            self._flush()  # trailing spaces are dropped, so a break must become a block boundary

    def _text(self, number: int, text: str) -> None:
        block = self._open
        indent = len(text) - len(text.lstrip(" "))
        bullet = _BULLET.fullmatch(text)
        if block and block.kind == "bullet" and (indent >= block.column or (not bullet and not block.code)):
            block.lines.append(text[min(indent, block.column) :])
            return
        if bullet and indent < 4:
            self._flush()
            marker = bullet.group(2)
            spaces = len(bullet.group(3) or " ")
            column = indent + len(marker) + (spaces if spaces <= 4 else 1)
            marker = "-" if marker in "-*+" else marker
            self._open = _Open("bullet", number, [bullet.group(4) or ""], marker, column)
        elif block and not block.code:
            block.lines.append(text.strip())
        else:
            self._flush()
            self._open = _Open("paragraph", number, [text.strip()])

    def _try_label(self, line: _Line) -> bool:
        block = self._open
        if block and block.kind == "bullet" and line.indent >= block.column:
            return False
        if ":" not in line.text and "**" not in line.text[:5] and "__" not in line.text[:5]:
            return False  # no label pattern can match: spare the regular expressions
        m = _BOLD_LABEL.fullmatch(line.text) or _BOLD_ONLY.fullmatch(line.text)
        if m and "rest" not in m.groupdict() and label_kind(m.group("label")) is None:
            m = None  # ``**Some bold words**`` alone is text unless it names a known label
        if m is None:
            m = _PLAIN_LABEL.fullmatch(line.text)
            if m is None or label_kind(m.group("label")) in (None, self._kind):
                return False
        self._close_section()
        label = m.group("label").strip()
        self._label, self._kind, self._ref = label, label_kind(label), SourceRef(self.path, line.number)
        rest = (m.groupdict().get("rest") or "").strip()
        if rest:
            self._text(line.number, rest)
            if line.hard_break:
                self._flush()
        return True

    def _add(self, block: RawBlock) -> None:
        if self._ref is None:
            self._ref = block.ref
        self._blocks.append(block)

    def _flush(self) -> None:
        block, self._open = self._open, None
        if block is not None:
            ref = SourceRef(self.path, block.line)
            self._add(RawBlock(block.kind, "\n".join(block.lines), ref, block.marker))

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
    # where each line starts in ``text`` (and where the last one ends), to hash spans of lines
    offsets = [0, *itertools.accumulate(len(line) + 1 for line in physical)]
    offsets[-1] = min(offsets[-1], len(text))
    notes: list[Diagnostic] = []
    lines = _classify(physical, path, notes)
    starts = [i for i, line in enumerate(lines) if line.heading and line.heading[0] == 2]
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
    for i, line in enumerate(lines):
        if line.heading and line.heading[0] == 1 and i != title_at:
            notes.append(
                Diagnostic.at(
                    SourceRef(path, line.number), 'a second "# " title is kept as text', Severity.WARNING
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
                _sha256(text[offsets[start] : offsets[end]]),
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
        head_sha256=_sha256(text[: offsets[head_end]]),
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
