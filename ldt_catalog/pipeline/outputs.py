"""The output files of a build: written in full first, then moved in; OUT holds what the build wrote.

Every file is written into a hidden staging folder inside OUT; only when all are complete are they
moved into place (one rename each), so a failing writer leaves OUT exactly as it was.  The build
owns what its ``report.json`` lists under ``files``: files an earlier build wrote and this one did
not are removed (with the folders they leave empty), and anything else in OUT is left alone.
Folders and files are created with the usual modes (the umask decides), and an existing OUT keeps
its own mode.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import urljoin

from ldt_catalog.accelerators import reference_mode
from ldt_catalog.federation.config import FederationSettings
from ldt_catalog.federation.dcat import write_dcat_jsonld, write_dcat_turtle
from ldt_catalog.federation.gaiax import gaiax_document
from ldt_catalog.model.catalog import Cluster, Initiative
from ldt_catalog.ngsild.entities import Entity, catalog_context
from ldt_catalog.pipeline.stages import Checked
from ldt_catalog.rdf import convert, turtle
from ldt_catalog.site import read_logos, read_queries, render_site

ENTITIES_JSONLD = "entities.jsonld"
ENTITIES_TTL = "entities.ttl"
CATALOG_JSONLD = "catalog.jsonld"
CATALOG_TTL = "catalog.ttl"
REPORT_JSON = "report.json"
DCAT_TTL = "dcat.ttl"
DCAT_JSONLD = "dcat.jsonld"
GAIAX_JSONLD = "gaiax.jsonld"

TOOL = "ldt-catalog"
EARLIER_OUTPUTS = (
    ENTITIES_JSONLD,
    ENTITIES_TTL,
    CATALOG_JSONLD,
    CATALOG_TTL,
    DCAT_TTL,
    DCAT_JSONLD,
    GAIAX_JSONLD,
)
"""What builds wrote before ``report.json`` listed its files: owned when such a report is found."""

Writer = Callable[[IO[str]], None]
Output = Writer | bytes
"""A text file's writer, or a file's bytes as they are (the site's pages and pictures)."""
SITE_DIR = "site"


def write_entities_jsonld(entities: Iterable[Entity], out: IO[str]) -> None:
    """A JSON array, one entity per line: valid JSON, and diffs show one line per entity."""
    out.write("[")
    for index, entity in enumerate(entities):
        out.write("\n" if index == 0 else ",\n")
        out.write(json.dumps(entity, ensure_ascii=False, separators=(",", ":")))
    out.write("\n]\n")


def output_writers(checked: Checked) -> dict[str, Writer]:
    """File name → a function that writes it: the entities and the catalogue view (the report is
    written last by ``write_outputs``, from what the others wrote)."""

    def view() -> dict[str, Any]:
        return {"@context": catalog_context(), "@graph": list(checked.view_in_order())}

    return {
        ENTITIES_JSONLD: lambda out: write_entities_jsonld(checked.entities_in_order(), out),
        ENTITIES_TTL: lambda out: turtle.write_turtle(
            convert.entity_subjects(checked.entities_in_order()), out
        ),
        CATALOG_JSONLD: lambda out: _write_json(view(), out),
        CATALOG_TTL: lambda out: turtle.write_turtle(convert.document_subjects(view()), out),
    }


def federation_writers(checked: Checked, settings: FederationSettings) -> dict[str, Writer]:
    """The DCAT-AP files, streamed page by page (through rdflib's graph in reference mode), and the
    Gaia-X description when the settings have a Gaia-X part."""

    def items() -> Iterator[Cluster | Initiative]:
        for cluster, initiatives in checked.page_models():
            if cluster is not None:
                yield cluster
            yield from initiatives

    reference = reference_mode()
    writers: dict[str, Writer] = {
        DCAT_TTL: lambda out: write_dcat_turtle(items(), settings, out, reference=reference),
        DCAT_JSONLD: lambda out: write_dcat_jsonld(items(), settings, out, reference=reference),
    }
    if settings.gaiax is not None:
        writers[GAIAX_JSONLD] = lambda out: _write_json(gaiax_document(items(), settings), out)
    return writers


def site_files(
    checked: Checked, *, base_url: str | None, data_files: Iterable[str], pages: Sequence[Path]
) -> dict[str, Output]:
    """The browsable site, as ``site/...`` files: built from the same entities as the data files.

    ``base_url`` is where OUT is published (the site is its ``site/``): it gives the sitemap and
    absolute links; without it links are relative and no sitemap is written.  Logo files that the
    pages refer to relatively are copied when they are found beside the pages.
    """
    logos: dict[str, bytes] = {}
    for folder in sorted({p if p.is_dir() else p.parent for p in pages}):
        logos.update(read_logos(checked.entities_in_order(), folder))
    rendered = render_site(
        checked.entities_in_order(),
        base_url=urljoin(base_url.rstrip("/") + "/", SITE_DIR + "/") if base_url else None,
        data_files=sorted(data_files),
        queries=read_queries(),
        logos=logos,
    )
    return {f"{SITE_DIR}/{name}": content for name, content in sorted(rendered.items())}


def _write_json(document: Any, out: IO[str]) -> None:
    json.dump(document, out, ensure_ascii=False, indent=2)
    out.write("\n")


@dataclass(frozen=True)
class WrittenFile:
    """One output file: its path inside OUT (``/``-separated), SHA-256 and size in bytes."""

    path: str
    sha256: str
    size: int

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "bytes": self.size}


@dataclass
class Outcome:
    """What ``write_outputs`` did: files written (``report.json`` last), files of earlier builds
    removed, and notes worth telling (an unreadable earlier report ...)."""

    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def build_report(
    checked: Checked, files: Sequence[WrittenFile], *, version: str, built_at: datetime
) -> dict[str, Any]:
    """The build report: tool, time, every page with its SHA-256, counts, checks, problems, files.

    ``built_at`` is the caller's (the CLI honours ``SOURCE_DATE_EPOCH``), so this stays pure.
    """
    return {
        "tool": {"name": TOOL, "version": version},
        "builtAt": built_at.isoformat().replace("+00:00", "Z"),
        "pages": sorted(
            ({"path": page.shown, "sha256": page.sha256} for page in checked.pages), key=_by_path
        ),
        "counts": {
            "clusters": checked.clusters,
            "initiatives": checked.initiatives,
            "entities": len(checked.entities),
        },
        "checks": checked.checks,
        "errors": [str(d) for d in checked.errors],
        "warnings": [str(d) for d in checked.warnings],
        "files": [written.to_json() for written in sorted(files, key=lambda f: f.path)],
    }


def _by_path(item: Mapping[str, Any]) -> str:
    return str(item["path"])


def write_outputs(
    out_dir: Path,
    writers: Mapping[str, Output],
    report: Callable[[Sequence[WrittenFile]], Mapping[str, Any]],
) -> Outcome:
    """Write every file, then ``report(files)`` as ``report.json``, and move them into ``out_dir``.

    Names may contain ``/`` (files in sub-folders the build owns).  Files that the previous
    ``report.json`` lists and this build did not write are removed.  If a writer fails, nothing
    in ``out_dir`` has changed (and an ``out_dir`` created for this build is removed again).
    """
    for name in writers:
        _check_name(name)
    if REPORT_JSON in writers:
        raise ValueError(f"{REPORT_JSON} is written from the report, not by a writer")
    out_dir = out_dir.resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"{out_dir} exists and is not a directory")
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    outcome = Outcome()
    staging = Path(tempfile.mkdtemp(prefix=".ldt-catalog-build.", dir=out_dir))
    try:
        files = [_write_one(staging, name, write) for name, write in writers.items()]
        _write_one(staging, REPORT_JSON, lambda out: _write_json(report(files), out))
        owned_before = _owned_by_last_build(out_dir, outcome.notes)
        for name in [*writers, REPORT_JSON]:
            if name == REPORT_JSON:  # last: the list of what this build owns
                outcome.removed = _remove_leftovers(out_dir, owned_before - set(writers))
            target = out_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staging / name, target)
            outcome.written.append(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not outcome.written:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
    shutil.rmtree(staging, ignore_errors=True)
    return outcome


def _check_name(name: str) -> None:
    """An output name is a relative path inside OUT: no ``..``, no absolute path, no backslash."""
    if not _safe_name(name):
        raise ValueError(f"output name {name!r} is not a relative path inside the output folder")


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and "\\" not in name and not path.is_absolute() and ".." not in path.parts


def _write_one(staging: Path, name: str, write: Output) -> WrittenFile:
    path = staging / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(write, bytes):
        path.write_bytes(write)
    else:
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            write(handle)
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
            size += len(block)
    return WrittenFile(name, digest.hexdigest(), size)


def _owned_by_last_build(out_dir: Path, notes: list[str]) -> set[str]:
    """The files the previous build in ``out_dir`` wrote, from its ``report.json``."""
    path = out_dir / REPORT_JSON
    if not path.exists():
        return set()
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        notes.append(f"{path}: unreadable ({exc}); files of earlier builds, if any, are left in place")
        return set()
    if not isinstance(report, dict):
        notes.append(f"{path}: not a report of {TOOL}; files of earlier builds, if any, are left in place")
        return set()
    files = report.get("files")
    if files is None:
        # A report of a version that did not list its files: it wrote the usual names.
        return set(EARLIER_OUTPUTS) if {"counts", "checks"} <= report.keys() else set()
    names = (
        {str(entry.get("path")) for entry in files if isinstance(entry, dict)}
        if isinstance(files, list)
        else set()
    )
    unsafe = sorted(name for name in names if not _safe_name(name))
    if unsafe:
        notes.append(f"{path}: files: ignored entries outside the output folder: {', '.join(unsafe)}")
    return {name for name in names if _safe_name(name)}


def _remove_leftovers(out_dir: Path, names: set[str]) -> list[Path]:
    """Remove the files named (relative to ``out_dir``), then the folders they leave empty."""
    removed: list[Path] = []
    for name in sorted(names):
        path = out_dir / name
        if path.is_symlink() or path.is_file():
            path.unlink()
            removed.append(path)
            _remove_empty_parents(path.parent, out_dir)
    return removed


def _remove_empty_parents(folder: Path, out_dir: Path) -> None:
    while folder != out_dir and out_dir in folder.parents:
        try:
            folder.rmdir()  # only when empty: a file of the user's keeps its folder
        except OSError:
            return
        folder = folder.parent
