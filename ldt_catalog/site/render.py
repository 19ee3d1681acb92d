"""``render_site``: the whole static site as ``{relative path: bytes}``, with no file I/O.

Links between pages are relative, so the site works from ``file://`` and from any web server,
under any path.  A base URL (``https://example.org/ldt/site/``) adds what needs absolute URLs:
``<link rel="canonical">``, the pages' ``mainEntityOfPage`` in JSON-LD and ``sitemap.xml`` — which
is left out without one, as the sitemap protocol accepts only absolute URLs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin

from . import graph, parallel
from .assets import CSS, JS
from .jsonld import cluster_document, dumps, for_script, initiative_json
from .layout import esc, frame
from .markdown import plain_text
from .model import Catalogue, Cluster, Entities, Initiative, catalogue_from, classify
from .pages import cluster_body, data_body, filter_key, graph_body, index_body, index_item, initiative_body
from .parallel import Chunks

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,100}$")
_IMAGE_TYPES = {b"\x89PNG": ".png", b"\xff\xd8\xff": ".jpg", b"GIF8": ".gif", b"RIFF": ".webp"}


def href(item: Initiative | Cluster) -> str:
    """A page's path from the site's top."""
    folder = "initiatives" if isinstance(item, Initiative) else "clusters"
    return f"{folder}/{item.slug}.html"


def _absolute(base_url: str | None, path: str) -> str | None:
    return urljoin(base_url, quote(path)) if base_url else None


def _image_suffix(content: bytes) -> str | None:
    """A raster image's suffix from its first bytes; anything else (SVG included) is not copied."""
    for magic, suffix in _IMAGE_TYPES.items():
        if content.startswith(magic) and (suffix != ".webp" or content[8:12] == b"WEBP"):
            return suffix
    return None


def _ld_link(name: str) -> str:
    return f'<link rel="alternate" type="application/ld+json" href="{esc(name)}">'


def _ld_script(json_text: str) -> str:
    return f'<script type="application/ld+json">{for_script(json_text)}</script>'


def render_site(
    entities: Iterable[Mapping[str, Any]],
    *,
    base_url: str | None = None,
    data_files: Sequence[str] = (),
    queries: Mapping[str, str] | None = None,
    logos: Mapping[str, bytes] | None = None,
    workers: int | None = None,
) -> dict[str, bytes]:
    """The site for NGSI-LD entity dicts (``Cluster`` and ``Initiative``; others are ignored).

    ``data_files`` are names of files beside the site's folder (``entities.jsonld``, ...), linked
    as ``../NAME``; ``queries`` maps a SPARQL file name to its text (copied to ``queries/``);
    ``logos`` maps a logo reference as the entities give it to the image's bytes (PNG, JPEG, GIF or
    WebP are copied to ``logos/``; without one a drawn monogram stands in).  ``workers=2`` renders
    the initiative pages in two processes (``fork``; the default does so from 2,000 initiatives on
    where ``fork`` is safe), ``1`` in this one; the bytes are the same either way.  With two, a
    forked helper and this process take chunks of initiative pages from a shared counter while this
    one also makes the cluster pages and the map (``parallel``).
    """
    if base_url is not None and not base_url.endswith("/"):
        base_url += "/"
    files: dict[str, str | bytes] = {"assets/site.css": CSS, "assets/site.js": JS}
    logo_paths: dict[str, str] = {}
    for reference, content in sorted((logos or {}).items()):
        suffix = _image_suffix(content)
        if suffix:
            path = f"logos/{hashlib.sha256(content).hexdigest()[:16]}{suffix}"
            files[path] = content
            logo_paths[reference] = path

    raw = classify(entities)
    n = len(raw.initiatives)
    two = (workers if workers is not None else _auto_workers(n)) > 1
    chunks = Chunks(n, _CHUNK, shared=two)

    def helper_work(deliver: Callable[[dict[str, bytes]], None]) -> dict[str, tuple[str, str]]:
        return _Job.read(raw, base_url, logo_paths).initiative_files(chunks, deliver)

    # the helper starts before the catalogue is read: both read it (the same), neither waits
    with parallel.helper(helper_work) if two else nullcontext(None) as helped:
        job = _Job.read(raw, base_url, logo_paths)
        catalogue, colours = job.catalogue, job.colours
        # the pages only this process makes first, then initiative pages until none are left
        for cluster in catalogue.clusters:
            _cluster_files(cluster, catalogue, files, base_url, colours)
        full = len(catalogue.initiatives) <= graph.FULL_LIMIT
        picture = (graph.full_picture if full else graph.overview_picture)(catalogue, href, colours)
        legend = [(c.name, colours[c.iri]) for c in catalogue.clusters]
        files["graph.html"] = frame(
            title="Ecosystem map",
            body=graph_body(picture, legend, full),
            root="",
            current="graph.html",
            canonical=_absolute(base_url, "graph.html"),
        )
        rendered: dict[str, bytes] = {}

        def deliver(batch: dict[str, bytes]) -> None:
            rendered.update(batch)
            if helped is not None:
                helped.collect()  # the helper's files so far, between chunks of this process's own

        items = job.initiative_files(chunks, deliver)
        if helped is not None:
            their_files, their_items = helped.result()
            rendered.update(their_files)
            items.update(their_items)

        # still inside: the helper's exit overlaps the last pages, not waited for first
        files["index.html"] = frame(
            title="Initiatives",
            body=index_body(catalogue, href, items),
            root="",
            current="index.html",
            description="The initiatives of the Local Digital Twin ecosystem, by cluster.",
            canonical=_absolute(base_url, "index.html"),
            scripts=["assets/site.js"],
        )
        safe_queries = {n: t for n, t in (queries or {}).items() if _SAFE_NAME.match(n)}
        for name, query in safe_queries.items():
            files[f"queries/{name}"] = query
        present = [n for n in data_files if _SAFE_NAME.match(n)]
        files["data.html"] = frame(
            title="Data and queries",
            body=data_body(present, safe_queries, lambda n: _absolute(base_url, f"../{n}") or f"../{n}"),
            root="",
            current="data.html",
            canonical=_absolute(base_url, "data.html"),
        )
        if base_url:
            files["sitemap.xml"] = _sitemap(base_url, [*files, *rendered])
        encoded = {path: (v.encode() if isinstance(v, str) else v) for path, v in files.items()}
        encoded.update(rendered)
        return {path: encoded[path] for path in sorted(encoded)}


_CHUNK = 250  # initiatives per chunk: small enough to balance two processes, big enough to be cheap


def _clusters_of(initiative: Initiative, catalogue: Catalogue) -> list[Cluster]:
    return [c for c in (catalogue.by_iri.get(i) for i in initiative.cluster_iris) if isinstance(c, Cluster)]


def _auto_workers(initiatives: int) -> int:
    """Two processes for a big site, where forking is available and safe."""
    return 2 if initiatives >= 2000 and parallel.can_fork() else 1


@dataclass(frozen=True, slots=True)
class _Job:
    catalogue: Catalogue
    base_url: str | None
    colours: dict[str, str]
    logo_paths: Mapping[str, str]

    @classmethod
    def read(cls, raw: Entities, base_url: str | None, logo_paths: Mapping[str, str]) -> _Job:
        """The catalogue's linking fields (each page reads the rest of its initiative)."""
        catalogue = catalogue_from(raw, details=False)
        colours = {c.iri: graph.colour_of(n) for n, c in enumerate(catalogue.clusters)}
        return cls(catalogue, base_url, colours, logo_paths)

    def initiative_files(
        self, chunks: Chunks, deliver: Callable[[dict[str, bytes]], None]
    ) -> dict[str, tuple[str, str]]:
        """The pages and JSON-LD of the initiatives in the chunks this process takes, handed to
        ``deliver`` a chunk at a time; returns their entries in the index (IRI → halves)."""
        items: dict[str, tuple[str, str]] = {}
        catalogue = self.catalogue
        while (part := chunks.take()) is not None:
            files: dict[str, bytes] = {}
            for index in part:
                initiative = catalogue.details(catalogue.initiatives[index])
                clusters = _clusters_of(initiative, catalogue)
                key = filter_key(initiative, clusters)
                items[initiative.iri] = index_item(initiative, href(initiative), key)
                _initiative_files(
                    initiative, catalogue, clusters, files, self.base_url, self.colours, self.logo_paths
                )
            deliver(files)
        return items


def _initiative_files(
    initiative: Initiative,
    catalogue: Catalogue,
    clusters: list[Cluster],
    files: dict[str, bytes],
    base_url: str | None,
    colours: Mapping[str, str],
    logo_paths: Mapping[str, str],
) -> None:
    path = href(initiative)
    mentions = [
        m for m in (catalogue.by_iri.get(i) for i in initiative.mention_iris) if isinstance(m, Initiative)
    ]
    logo_path = logo_paths.get(initiative.logo.url) if initiative.logo else None
    logo_url = _absolute(base_url, logo_path) if logo_path else None
    json_text = initiative_json(initiative, _absolute(base_url, path), clusters, mentions, logo_url)
    data_name = f"{initiative.slug}.jsonld"
    files[f"initiatives/{data_name}"] = (json_text + "\n").encode()
    description = next((b for h, b in initiative.sections if h == "Description"), initiative.title)
    files[path] = frame(
        title=initiative.name,
        body=initiative_body(
            initiative,
            catalogue,
            href,
            clusters=clusters,
            mentions=mentions,
            logo_src=f"../{logo_path}" if logo_path else None,
            colour=next((colours[c.iri] for c in clusters), "#4b5563"),
            data_href=data_name,
        ),
        root="../",
        description=plain_text(description, 160) if description else "",
        canonical=_absolute(base_url, path),
        head=[_ld_link(data_name), _ld_script(json_text)],
    )


def _cluster_files(
    cluster: Cluster,
    catalogue: Catalogue,
    files: dict[str, str | bytes],
    base_url: str | None,
    colours: Mapping[str, str],
) -> None:
    path = href(cluster)
    json_text = dumps(cluster_document(cluster, _absolute(base_url, path)))
    data_name = f"{cluster.slug}.jsonld"
    files[f"clusters/{data_name}"] = json_text + "\n"
    picture, left_out = graph.cluster_picture(catalogue, cluster, lambda x: "../" + href(x), dict(colours))
    files[path] = frame(
        title=cluster.name,
        body=cluster_body(cluster, href, picture, left_out, data_name),
        root="../",
        description=plain_text(cluster.description, 160) if cluster.description else "",
        canonical=_absolute(base_url, path),
        head=[_ld_link(data_name), _ld_script(json_text)],
    )


def _sitemap(base_url: str, files: Iterable[str]) -> str:
    urls = "".join(
        f"<url><loc>{esc(urljoin(base_url, quote(path)))}</loc></url>\n"
        for path in sorted(files)
        if path.endswith(".html")
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'
    )
