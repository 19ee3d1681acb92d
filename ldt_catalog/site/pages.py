"""The body of each kind of page: index, initiative, cluster, ecosystem map and data.

Pure functions from the normalised catalogue to HTML strings (string building: a template engine
would be a tenth of a 10,000-page build on its own).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from .layout import crumbs, esc, external_link, mail_link, monogram, plural
from .markdown import keywords, render_markdown
from .model import Catalogue, Cluster, Contact, Initiative

Href = Callable[[Initiative | Cluster], str]  # a page's path from the site's top

FIELD_NAMES = {
    "name": "Name", "full_title": "Full title", "logo": "Logo", "description": "Description",
    "key_role": "Key role", "relevance": "Relevance", "assets": "Key assets", "webpages": "Web pages",
    "contacts": "Contact points",
}  # fmt: skip


def filter_key(initiative: Initiative, clusters: Sequence[Cluster]) -> str:
    """What the index filter searches: names, title, cluster names and the pages' bold keywords."""
    words = [initiative.name, initiative.title, *initiative.alternate_names]
    words += [c.name for c in clusters]
    for _, body in initiative.sections:
        words += keywords(body)
    return " ".join(" ".join(words).lower().split())


def initiative_item(initiative: Initiative, href: str, key: str, cluster_slug: str) -> str:
    before, after = index_item(initiative, href, key)
    return f"{before}{cluster_slug}{after}"


def index_item(initiative: Initiative, href: str, key: str) -> tuple[str, str]:
    """An initiative's list item in two halves, to join around each of its clusters' slugs: made
    with the initiative's page, so the index, made last, only joins strings."""
    title = f"<span>{esc(initiative.title)}</span>" if initiative.title else ""
    return f'<li data-k="{esc(key)}" data-c="', f'"><a href="{href}">{esc(initiative.name)}</a>{title}</li>'


def index_body(catalogue: Catalogue, href: Href, items: Mapping[str, tuple[str, str]]) -> str:
    """``items`` are ``index_item``'s halves by initiative IRI."""
    clusters = catalogue.clusters
    loose = [
        i
        for i in catalogue.initiatives
        if not any(isinstance(catalogue.by_iri.get(c), Cluster) for c in i.cluster_iris)
    ]
    groups: list[tuple[str, str, str | None, list[Initiative]]] = [
        (c.slug, c.name, href(c), c.members) for c in clusters
    ]
    if loose:
        groups.append(("none", "Not in a cluster", None, loose))
    options = "".join(f'<option value="{slug}">{esc(name)}</option>' for slug, name, _, _ in groups)
    sections = []
    for slug, name, cluster_href, members in groups:
        heading = f'<a href="{esc(cluster_href)}">{esc(name)}</a>' if cluster_href else esc(name)
        entries = "".join(f"{items[m.iri][0]}{slug}{items[m.iri][1]}" for m in members)
        sections.append(
            f'<section data-cluster="{slug}" data-total="{len(members)}" aria-labelledby="c-{slug}">'
            f'<h2 id="c-{slug}">{heading} <span class="count">{plural(len(members), "initiative")}</span></h2>'
            f'<ul class="initiatives">{entries}</ul></section>'
        )
    counts = (
        (len(catalogue.initiatives), "initiative", "initiatives"),
        (len(clusters), "cluster", "clusters"),
        (catalogue.mention_count, "mention between them", "mentions between them"),
    )
    stats = (
        '<ul class="stats">'
        + "".join(f"<li><strong>{n:,}</strong> {one if n == 1 else many}</li>" for n, one, many in counts)
        + "</ul>"
    )
    return (
        "<h1>Local Digital Twin ecosystem</h1>"
        '<p class="lead">The initiatives of the LDT4SSC knowledge hub, by cluster.</p>'
        f"{stats}"
        '<form id="filter" class="filter card" role="search" aria-label="Filter initiatives">'
        '<div><label for="q">Filter by name, cluster or keyword</label>'
        '<input id="q" name="q" type="search" autocomplete="off" placeholder="e.g. mobility, DUET"></div>'
        '<div><label for="cluster">Cluster</label><select id="cluster" name="cluster">'
        f'<option value="">All clusters</option>{options}</select></div>'
        f'<p id="shown" role="status" aria-live="polite">{len(catalogue.initiatives):,} initiatives</p></form>'
        f'<div class="cluster-list">{"".join(sections)}</div>'
    )


def _contact(contact: Contact) -> str:
    who = esc(contact.name or contact.label or contact.organization or "Contact")
    details = [esc(x) for x in (contact.role, contact.organization if contact.name else "") if x]
    parts = [f"<strong>{who}</strong>" + (f" ({', '.join(details)})" if details else "")]
    if contact.email:
        parts.append(mail_link(contact.email))
    if contact.url:
        parts.append(external_link(contact.url, contact.label if contact.label and contact.name else None))
    if contact.note:
        parts.append(f'<span class="muted">{esc(contact.note)}</span>')
    return "<li>" + " · ".join(parts) + "</li>"


def _links(title: str, anchor: str, items: str) -> str:
    return f'<section aria-labelledby="{anchor}"><h2 id="{anchor}">{title}</h2><ul class="links">{items}</ul></section>'


def initiative_body(
    initiative: Initiative,
    catalogue: Catalogue,
    href: Href,
    *,
    clusters: Sequence[Cluster],
    mentions: Sequence[Initiative],
    logo_src: str | None,
    colour: str,
    data_href: str,
) -> list[str]:
    """The page's body in parts, to join; ``clusters`` and ``mentions`` are the initiative's, found
    in the catalogue by the caller."""
    root = "../"
    mentioned_by = [
        m for m in (catalogue.by_iri.get(i) for i in initiative.mentioned_by) if isinstance(m, Initiative)
    ]
    trail: list[tuple[str | None, str]] = [(root + href(c), c.name) for c in clusters[:1]]
    trail.append((None, initiative.name))

    alt = initiative.logo.alt if initiative.logo else f"{initiative.name} logo"
    if logo_src:
        picture = f'<img src="{esc(logo_src)}" alt="{esc(alt)}">'
    else:
        picture = monogram(initiative.name, alt, colour)
    head = [f'<div class="title-row"><div class="logo">{picture}</div><div><h1>{esc(initiative.name)}</h1>']
    if initiative.title:
        head.append(f'<p class="lead">{esc(initiative.title)}</p>')
    if initiative.alternate_names:
        head.append(f'<p class="muted">Also known as {esc(", ".join(initiative.alternate_names))}</p>')
    head.append("</div></div>")

    main = []
    for number, (heading, body) in enumerate(initiative.sections):
        main.append(
            f'<section aria-labelledby="s{number}"><h2 id="s{number}">{esc(heading)}</h2>'
            f"{render_markdown(body)}</section>"
        )
    if initiative.assets:
        main.append(
            _links(
                "Key assets",
                "assets",
                "".join(f"<li>{external_link(a.url, a.title or None)}</li>" for a in initiative.assets),
            )
        )
    if initiative.webpages:
        main.append(
            _links(
                "Web pages",
                "web",
                "".join(f"<li>{external_link(w.url, w.title or None)}</li>" for w in initiative.webpages),
            )
        )
    if initiative.contacts:
        main.append(_links("Contact points", "contacts", "".join(_contact(c) for c in initiative.contacts)))

    def page_links(items: Sequence[Initiative | Cluster]) -> str:
        return (
            ", ".join(f'<a href="{root}{href(x)}">{esc(x.name)}</a>' for x in items)
            or '<span class="muted">none</span>'
        )

    facts = [f"<dt>Cluster</dt><dd>{page_links(clusters)}</dd>"]
    facts.append(f"<dt>Mentions</dt><dd>{page_links(mentions)}</dd>")
    facts.append(f"<dt>Mentioned by</dt><dd>{page_links(mentioned_by)}</dd>")
    source = esc(initiative.source_page) or "unknown page"
    if initiative.source_line is not None:
        source += f", line {initiative.source_line}"
    lines = "".join(
        f"<dt>{FIELD_NAMES.get(k) or esc(k)}</dt><dd>line {v}</dd>" for k, v in initiative.field_lines
    )
    where = (
        f'<details><summary>Line of each field</summary><dl class="facts">{lines}</dl></details>'
        if lines
        else ""
    )
    side = (
        '<aside><div class="card"><h2 id="related">In the ecosystem</h2>'
        f'<dl class="facts">{"".join(facts)}</dl></div>'
        '<div class="card"><h2 id="source">Source</h2>'
        f"<p>From <code>{source}</code> of the knowledge hub.</p>{where}"
        f'<p><a href="{esc(data_href)}">This page as JSON-LD</a> (schema.org)</p>'
        f"<p><code>{esc(initiative.iri)}</code></p></div></aside>"
    )
    # parts, not one string: each is encoded apart, so the ASCII ones (the sections, mostly) are copies
    return [crumbs(root, trail), *head, '<div class="profile"><div>', *main, "</div>", side, "</div>"]


def cluster_body(cluster: Cluster, href: Href, picture: str, left_out: int, data_href: str) -> str:
    root = "../"
    items = "".join(
        initiative_item(m, root + href(m), "", cluster.slug).replace(' data-k=""', "", 1)
        for m in cluster.members
    )
    note = (
        f" It shows the {len(cluster.members) - left_out} most connected of its {len(cluster.members):,} "
        "initiatives; all are listed below."
        if left_out
        else ""
    )
    description = render_markdown(cluster.description) if cluster.description else ""
    source = esc(cluster.source_page) or "unknown page"
    if cluster.source_line is not None:
        source += f", line {cluster.source_line}"
    return (
        crumbs(root, [(None, cluster.name)])
        + f"<h1>{esc(cluster.name)}</h1>"
        + f'<p class="lead">{plural(len(cluster.members), "initiative")}</p>'
        + description
        + '<h2 id="map">Map</h2>'
        + f'<figure class="picture">{picture}<figcaption>Initiatives of this cluster (coloured) and '
        f"those of other clusters they mention or are mentioned by (grey); arrows point to the "
        f"initiative mentioned. Each dot links to its page.{note}</figcaption></figure>"
        + f'<h2 id="list">Initiatives</h2><ul class="initiatives">{items}</ul>'
        + f'<p class="muted">From <code>{source}</code>. <a href="{esc(data_href)}">This page as JSON-LD</a>.</p>'
    )


def graph_body(picture: str, legend: Sequence[tuple[str, str]], full: bool) -> str:
    dots = "".join(
        f'<span><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="6" fill="{colour}"/></svg> {esc(name)}</span>'
        for name, colour in legend
    )
    what = (
        "Clusters (large dots), their initiatives and the mentions between initiatives (arrows)."
        if full
        else "Each cluster with its number of initiatives; a line joins two clusters whose "
        "initiatives mention each other, thicker for more mentions. Each cluster's page has a "
        "picture of its initiatives."
    )
    return (
        "<h1>Ecosystem map</h1>"
        f'<p class="lead">{what} Every dot links to its page.</p>'
        f'<div class="legend">{dots}</div>'
        f'<figure class="picture">{picture}<figcaption>Laid out at build time; the lists on the '
        'pages are complete, <a href="index.html">the index</a> has them all.</figcaption></figure>'
    )


def data_body(data_files: Sequence[str], queries: Mapping[str, str], data_href: Callable[[str], str]) -> str:
    what = {
        "entities.jsonld": "NGSI-LD entities (JSON-LD), as loaded into a broker",
        "catalog.ttl": "the catalogue as RDF (Turtle)",
        "catalog.jsonld": "the catalogue as JSON-LD",
        "dcat.ttl": "the DCAT description of the catalogue (Turtle)",
        "dcat.jsonld": "the DCAT description of the catalogue (JSON-LD)",
    }
    files = "".join(
        f'<li><a href="{esc(data_href(name))}">{esc(name)}</a>: {esc(what.get(name, "data"))}</li>'
        for name in data_files
    )
    body = [
        "<h1>Data and queries</h1>",
        '<p class="lead">The catalogue behind these pages, to download and query.</p>',
    ]
    body.append(
        f'<h2 id="files">Files</h2><ul class="links">{files}</ul>'
        if files
        else '<h2 id="files">Files</h2><p>No data files were published with this site.</p>'
    )
    body.append(
        "<p>Each initiative and cluster page also has its schema.org description as a <code>.jsonld</code> "
        "file beside it, and inline in the page.</p>"
    )
    if queries:
        body.append(
            '<h2 id="queries">SPARQL queries</h2><p>Shipped with ldt-catalog; run them on <code>catalog.ttl</code>.</p>'
        )
        for name in sorted(queries):
            text = queries[name]
            first = next((ln.lstrip("# ").strip() for ln in text.splitlines() if ln.startswith("#")), "")
            body.append(
                f'<h3 id="q-{esc(name)}"><a href="queries/{esc(name)}">{esc(name)}</a></h3>'
                + (f"<p>{esc(first)}</p>" if first else "")
                + f"<pre><code>{esc(text)}</code></pre>"
            )
    return "".join(body)
