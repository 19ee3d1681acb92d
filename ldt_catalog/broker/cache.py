"""What the last successful publish to a broker and tenant checked, to skip checks whose inputs did not change.

A publish checks the pages (JSON Schema, SHACL) before anything is sent.  When the pages' bytes,
the tool's version and the shapes are exactly those of the last successful publish to the same
broker and tenant, the checks would find what they found then: nothing.  ``PublishCache`` keeps,
per (broker, tenant), one digest of those inputs; ``fresh`` says whether the digest of this run
matches.  Any change of any page, shape file or of the version gives another digest, so a check
whose input changed is never skipped.  The broker itself is still read and compared on every run
(hand edits are repaired whatever the cache says).

Where the cache lives is the caller's choice (the CLI passes ``$XDG_CACHE_HOME/ldt-catalog``);
nothing here reads the environment.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from ldt_catalog import __version__


def inputs_digest(pages: Iterable[Path], shapes: Iterable[Path], version: str = __version__) -> str:
    """One SHA-256 over the version, every shape file's bytes and every page's path and bytes."""
    digest = hashlib.sha256(f"ldt-catalog {version}\n".encode())
    for label, paths in (("shape", shapes), ("page", pages)):
        for path in sorted(Path(p) for p in paths):
            digest.update(f"{label} {path.name if label == 'shape' else path}\n".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


class PublishCache:
    """One small JSON file per (broker, tenant) under ``directory``; written atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _file(self, broker_url: str, tenant: str | None) -> Path:
        key = hashlib.sha256(f"{broker_url.rstrip('/')}\n{tenant or ''}".encode()).hexdigest()[:32]
        return self.directory / f"publish-{key}.json"

    def fresh(self, broker_url: str, tenant: str | None, digest: str) -> bool:
        """Whether the last successful publish to this broker and tenant had these inputs."""
        try:
            recorded = json.loads(self._file(broker_url, tenant).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return isinstance(recorded, dict) and recorded.get("inputs") == digest

    def record(self, broker_url: str, tenant: str | None, digest: str) -> None:
        """After a successful publish (nothing failed): these inputs passed every check."""
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self._file(broker_url, tenant)
        body = json.dumps({"broker": broker_url, "tenant": tenant, "inputs": digest}) + "\n"
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".publish-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(body)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
