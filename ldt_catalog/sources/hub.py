"""Knowledge-hub pages (markdown) to raw records, every piece with its file and line.

A page is cut into its head (``# `` title and intro) and one ``RawInitiative`` per ``## ``
heading, or per line meant as one (``headings.py``), up to the next or the end.  An initiative's body is cut into sections at its
labels (``labels.py``) and its text into blocks (``body.py``); the text before the first label is
an unlabeled section, apart from the logo.  CRLF and a UTF-8 BOM are accepted.
``find_pages`` does not descend into sub-directories.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from pathlib import Path, PurePath

from ldt_catalog.errors import CatalogError, Diagnostic, Severity, SourceRef
from ldt_catalog.sources.body import Body
from ldt_catalog.sources.headings import initiative_starts
from ldt_catalog.sources.labels import LABEL_SYNONYMS, LabelKind, label_kind
from ldt_catalog.sources.lines import Line, classify
from ldt_catalog.sources.records import RawBlock, RawImage, RawInitiative, RawPage, RawSection

__all__ = [
    "LABEL_SYNONYMS",
    "LabelKind",
    "RawBlock",
    "RawImage",
    "RawInitiative",
    "RawPage",
    "RawSection",
    "find_pages",
    "label_kind",
    "parse_page",
    "read_page",
]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


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
    lines = classify(physical, path, notes)
    headings = [i for i, line in enumerate(lines) if line.heading]
    starts = initiative_starts(lines, path, notes)
    head_end = starts[0].index if starts else len(lines)
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
    intro = Body(path, labels=False)
    # the title line reads as a blank one: it ends any block before it
    intro.read(
        [Line(line.number, "", False) if i == title_at else line for i, line in enumerate(lines[:head_end])]
    )
    initiatives = []
    for k, start in enumerate(starts):
        end = starts[k + 1].index if k + 1 < len(starts) else len(lines)
        body = Body(path, labels=True)
        body.read(lines[start.body : end])
        initiatives.append(
            RawInitiative(
                start.text,
                SourceRef(path, lines[start.index].number),
                _sha256(text[offset(start.index) : offset(end)]),
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
