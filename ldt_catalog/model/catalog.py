"""The catalogue built from the raw records of ``ldt_catalog.sources``, reporting every error.

Every rule reports through ``Report`` and carries on, so one run lists every problem of every
page; ``build_catalog`` raises them together at the end.  Sections are turned into fields by the
handlers of ``sections.py``; single values are checked by ``values.py``.  The domain types are in
``domain.py`` and exported from here too, as the model's public face.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import PurePath
from urllib.parse import urljoin, urlsplit

from ldt_catalog.errors import CatalogError, Diagnostic, Severity, SourceRef
from ldt_catalog.model.domain import (
    Block,
    BlockKind,
    Catalog,
    Cluster,
    Contact,
    ContactKind,
    Image,
    Initiative,
    Link,
    Page,
    Section,
    blocks_to_markdown,
)
from ldt_catalog.model.mentions import Names, find_mentions
from ldt_catalog.model.sections import SECTION_HANDLERS, TEXT_KINDS, Fields, Report
from ldt_catalog.model.values import (
    CLUSTER_ID_PREFIX,
    EMAIL_RULE,
    INITIATIVE_ID_PREFIX,
    URL_RULE,
    check_url,
    email_problem,
    slugify,
    url_problem,
)
from ldt_catalog.sources.inline import split_heading
from ldt_catalog.sources.records import RawInitiative, RawPage

__all__ = [
    "CLUSTER_ID_PREFIX",
    "EMAIL_RULE",
    "INITIATIVE_ID_PREFIX",
    "URL_RULE",
    "Block",
    "BlockKind",
    "Catalog",
    "Cluster",
    "Contact",
    "ContactKind",
    "Image",
    "Initiative",
    "Link",
    "Page",
    "Section",
    "blocks_to_markdown",
    "build_catalog",
    "build_page",
    "duplicate_id_errors",
    "email_problem",
    "mention_names",
    "mention_text",
    "slugify",
    "title_from_file_name",
    "url_problem",
]


def _logo(raw: RawInitiative, page_base_url: str | None, report: Report) -> Image | None:
    """The logo as an IRI: a relative path is resolved against ``page_base_url`` when given."""
    if raw.logo is None:
        return None
    checked = check_url(raw.logo.url, relative_ok=True)
    if checked.error or checked.url is None:
        report.error(raw.logo.ref, f"logo: {checked.error}")
        return None
    if checked.repair:
        report.warn(raw.logo.ref, f"logo: {checked.repair}")
    url = checked.url
    relative = ":" not in url or not urlsplit(url).scheme  # no colon, no scheme: spares the split
    if relative and page_base_url is not None:
        url, relative = urljoin(page_base_url, url), False
    return Image(url, raw.logo.alt, raw.logo.attributes, raw.logo.ref, relative, raw.logo.source)


def _build_initiative(
    raw: RawInitiative, page: Page, cluster_slug: str, report: Report, page_base_url: str | None = None
) -> Initiative | None:
    report.where = f'initiative "{raw.heading}": ' if raw.heading else "initiative with an empty heading: "
    heading = split_heading(raw.heading)
    slug: str | None = None
    if not heading.name:
        report.error(
            raw.ref, 'the heading gives no name (rule: "## Name \u2013 Full title" or "## Full title (ACR)")'
        )
    else:
        try:
            slug = slugify(heading.acronym or heading.name)
        except ValueError:
            report.error(raw.ref, f'the name "{heading.name}" has no letter or digit to make an id from')
    refs: dict[str, SourceRef] = {"name": raw.ref}
    if heading.full_title:
        refs["full_title"] = raw.ref
    if heading.acronym:
        refs["acronym"] = raw.ref
    fields = Fields()
    first: dict[str, SourceRef] = {}
    logo = _logo(raw, page_base_url, report)
    if raw.logo is not None:
        refs["logo"] = raw.logo.ref
    for section in raw.sections:
        label = section.label or ""
        kind = section.kind
        if kind is None:
            fields.others.append(Section(label, section.blocks, section.ref))
            if section.label is None:
                report.warn(section.ref, "text before the first label kept as an unlabeled other section")
            else:
                report.warn(section.ref, f'unknown label "{label}" kept as an other section')
            continue
        if kind in first and kind in TEXT_KINDS:
            fields.others.append(Section(label, section.blocks, section.ref))
            report.warn(
                section.ref,
                f'label "{label}" repeats the one at line {first[kind].line}: kept as an other section',
            )
            continue
        if kind in first:
            report.warn(section.ref, f'label "{label}" repeats the one at line {first[kind].line}: merged')
        first.setdefault(kind, section.ref)
        refs.setdefault(kind, section.ref)
        if not section.blocks:
            if not (kind == "logo" and raw.logo is not None):
                report.error(section.ref, f'empty section "{label}" (rule: a known label needs content)')
            continue
        SECTION_HANDLERS[kind](section, fields, report)
    if "description" not in first:
        report.error(raw.ref, "no Short Description (rule: the Short Description section is required)")
    if "webpages" not in first:
        report.error(raw.ref, 'no webpage (rule: a "Webpage:" section with a link is required)')
    report.where = ""
    if slug is None:
        return None
    return Initiative(
        slug=slug,
        name=heading.name,
        full_title=heading.full_title,
        acronym=heading.acronym,
        ref=raw.ref,
        page=page,
        content_sha256=raw.sha256,
        cluster_slug=cluster_slug,
        description=fields.texts.get("description"),
        key_role=fields.texts.get("key_role"),
        relevance=fields.texts.get("relevance"),
        assets=tuple(fields.links["assets"]),
        webpages=tuple(fields.links["webpages"]),
        contacts=tuple(fields.contacts),
        logo=logo,
        other_sections=tuple(fields.others),
        field_refs=refs,
    )


def title_from_file_name(name: str) -> str:
    """What the hub's site calls a page without a ``# `` title (as MkDocs does)."""
    title = PurePath(name).stem.replace("-", " ").replace("_", " ").strip()
    return title.capitalize() if title.lower() == title else title


def _build_cluster(raw: RawPage, page: Page, report: Report) -> Cluster | None:
    ref = raw.title_ref or SourceRef(raw.path, 1)
    name = raw.title if raw.title is not None else title_from_file_name(raw.name)
    if not raw.initiatives:
        report.error(ref, 'page has no initiative (rule: a page needs at least one "## " heading)')
    try:
        slug = slugify(name)
    except ValueError:
        report.error(ref, f'the page title "{name}" has no letter or digit to make an id from')
        return None
    return Cluster(slug, name, raw.title is None, raw.intro, ref, page, raw.head_sha256)


def mention_names(initiative: Initiative) -> Names:
    """How other initiatives' text names this one: short name and acronym as written, full title in any
    case (the name is the full title when the heading is ``Full Name (ACR)``)."""
    if initiative.acronym and not initiative.full_title:
        return Names(initiative.slug, (initiative.acronym,), (initiative.name,))
    exact = tuple(n for n in (initiative.name, initiative.acronym) if n)
    return Names(initiative.slug, exact, (initiative.full_title,) if initiative.full_title else ())


def mention_text(initiative: Initiative) -> str:
    """The text searched for mentions of other initiatives."""
    sections = [initiative.description, initiative.key_role, initiative.relevance, *initiative.other_sections]
    return "\n\n".join(s.markdown for s in sections if s is not None)


def _with_mentions(initiatives: list[Initiative]) -> list[Initiative]:
    found = find_mentions([mention_names(i) for i in initiatives], [mention_text(i) for i in initiatives])
    return [
        replace(initiative, mentions=slugs) if slugs else initiative
        for initiative, slugs in zip(initiatives, found, strict=True)
    ]


def _line_of(diagnostic: Diagnostic) -> int:
    return int(diagnostic.where.rsplit(":", 1)[1])


def build_page(
    raw: RawPage, page_base_url: str | None = None
) -> tuple[Cluster | None, list[Initiative], list[Diagnostic]]:
    """One page's cluster and initiatives (without mentions), and its problems in line order.

    ``page_base_url`` is the URL the page's folder is published at (ending with ``/``): relative
    logo paths are resolved against it as MkDocs resolves them against the page's file.
    """
    report = Report(list(raw.notes))
    page = Page(raw.name, raw.path, raw.sha256)
    cluster = _build_cluster(raw, page, report)
    cluster_slug = cluster.slug if cluster is not None else ""
    initiatives = []
    for raw_initiative in raw.initiatives:
        initiative = _build_initiative(raw_initiative, page, cluster_slug, report, page_base_url)
        if initiative is not None:
            initiatives.append(initiative)
    relative = [i.logo for i in initiatives if i.logo is not None and i.logo.relative]
    if relative:
        report.warn(
            relative[0].ref,
            f'{len(relative)} logo(s) of this page are relative paths (first "{relative[0].url}"): kept as '
            "relative references, not IRIs (rule: give the URL the page is published at to resolve them)",
        )
    return cluster, initiatives, sorted(report.diagnostics, key=_line_of)


def duplicate_id_errors(
    clusters: Iterable[tuple[str, SourceRef]], initiatives: Iterable[tuple[str, SourceRef]]
) -> list[Diagnostic]:
    """An error for every cluster or initiative whose id was already taken, ``(slug, ref)`` in page order."""
    errors = []
    for prefix, items in ((CLUSTER_ID_PREFIX, clusters), (INITIATIVE_ID_PREFIX, initiatives)):
        what = "cluster" if prefix == CLUSTER_ID_PREFIX else "initiative"
        seen: dict[str, SourceRef] = {}
        for slug, ref in items:
            if slug in seen:
                errors.append(
                    Diagnostic.at(ref, f"duplicate {what} id {prefix}{slug} (first defined at {seen[slug]})")
                )
            else:
                seen[slug] = ref
    return errors


def build_catalog(pages: Sequence[RawPage], page_base_url: str | None = None) -> Catalog:
    """The catalogue of ``pages``; ``CatalogError`` lists every error of every page at once.

    ``page_base_url``: see ``build_page``; it must be an absolute http(s) URL.
    """
    diagnostics: list[Diagnostic] = []
    if page_base_url is not None and (problem := url_problem(page_base_url)):
        raise CatalogError([Diagnostic("page_base_url", problem)])
    clusters: list[Cluster] = []
    initiatives: list[Initiative] = []
    for raw in pages:
        cluster, found, problems = build_page(raw, page_base_url)
        if cluster is not None:
            clusters.append(cluster)
        initiatives += found
        diagnostics += problems
    diagnostics += duplicate_id_errors(
        ((c.slug, c.ref) for c in clusters), ((i.slug, i.ref) for i in initiatives)
    )
    if any(d.severity is Severity.ERROR for d in diagnostics):
        raise CatalogError(diagnostics)
    warnings = tuple(d for d in diagnostics if d.severity is Severity.WARNING)
    return Catalog(tuple(clusters), tuple(_with_mentions(initiatives)), warnings)
