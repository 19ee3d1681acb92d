"""Pure: domain objects to NGSI-LD normalized entities, and the keyValues catalogue view.

Attribute kinds are chosen so that every entity is accepted unchanged by a conformant broker.
ETSI GS CIM 009 §4.6.4 forbids ``< > " ' = ; ( )`` in Property string values, and the pages are
full of parentheses and quotes, so:

* human text (names, titles, section bodies) is a ``LanguageProperty`` (``en``), kept as the
  markdown written on the page;
* structured values (links, contact points, the logo, provenance) are ``JsonProperty``;
* ties between entities are ``Relationship``.

No plain ``Property`` carries page text, so no encoding of page text is ever needed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

from ldt_catalog.model.catalog import Catalog, Cluster, Contact, Image, Initiative, Link, Section
from ldt_catalog.ngsild.context import CATALOG_CONTEXT_URL, entity_context, load_context_document

Entity = dict[str, Any]

GENERATOR = "ldt-catalog"
"""Value of ``provenance.generator``: marks the entities this tool owns (``--prune`` relies on it)."""

INITIATIVE_TYPE = "Initiative"
CLUSTER_TYPE = "Cluster"
ENTITY_TYPES = (INITIATIVE_TYPE, CLUSTER_TYPE)


def initiative_id(slug: str) -> str:
    return f"urn:ngsi-ld:{INITIATIVE_TYPE}:{slug}"


def cluster_id(slug: str) -> str:
    return f"urn:ngsi-ld:{CLUSTER_TYPE}:{slug}"


def mention_dataset_id(slug: str) -> str:
    """One ``mentions`` instance per target, told apart by a datasetId derived from the target."""
    return f"urn:ngsi-ld:Dataset:mentions:{slug}"


def _language_property(text: str) -> dict[str, Any]:
    return {"type": "LanguageProperty", "languageMap": {"en": text}}


def _json_property(value: Any) -> dict[str, Any]:
    return {"type": "JsonProperty", "json": value}


def _link_json(link: Link) -> dict[str, str]:
    value = {"url": link.url}
    if link.title:
        value["title"] = link.title
    return value


def contact_json(contact: Contact) -> dict[str, str]:
    """A contact point as a JSON object with only the fields the page gives."""
    value: dict[str, str] = {"kind": contact.kind}
    for key in ("name", "role", "organization", "email", "url", "label"):
        field_value = getattr(contact, key)
        if field_value:
            value[key] = field_value
    return value


FIELD_ATTRIBUTES = {
    "full_title": "title",
    "acronym": "alternateName",
    "key_role": "keyRole",
    "assets": "keyAsset",
    "webpages": "url",
    "contacts": "contactPoint",
}
"""The attribute each model field becomes, where their names differ (``provenance.fieldLines`` keys)."""


def _provenance(
    page_name: str,
    line: int,
    content_sha256: str,
    fields: dict[str, int] | None = None,
    sources: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "generator": GENERATOR,
        "page": page_name,
        "line": line,
        "contentSha256": content_sha256,
    }
    if fields:
        value["fieldLines"] = dict(sorted(fields.items()))
    if sources:
        value["sourceText"] = sources
    return _json_property(value)


def source_texts(initiative: Initiative) -> dict[str, list[str]]:
    """The exact page text of the values a parse reshapes (contacts, the logo), by attribute."""
    sources: dict[str, list[str]] = {}
    if initiative.contacts:
        # several contacts of one bullet share its text: kept once, in page order
        sources["contactPoint"] = list(dict.fromkeys(c.source for c in initiative.contacts if c.source))
    if initiative.logo is not None and initiative.logo.source:
        sources["logo"] = [initiative.logo.source]
    return {k: v for k, v in sources.items() if v}


def logo_json(image: Image) -> dict[str, str]:
    """``{url, alt}``, or ``{relativeUrl, alt}`` for a path that no page URL resolved: never a
    relative path under a key that promises an IRI."""
    return {"relativeUrl" if image.relative else "url": image.url, "alt": image.alt}


def other_sections_markdown(sections: Iterable[Section]) -> str:
    """Sections with labels we do not know, kept verbatim under their own label."""
    parts = []
    for section in sections:
        body = section.markdown
        parts.append(f"**{section.label}:**\n{body}" if body else f"**{section.label}:**")
    return "\n\n".join(parts)


def initiative_entity(initiative: Initiative, with_context: bool = True) -> Entity:
    """The NGSI-LD normalized entity of one initiative (attributes in a fixed order)."""
    entity: Entity = {"id": initiative_id(initiative.slug), "type": INITIATIVE_TYPE}
    entity["name"] = _language_property(initiative.name)
    if initiative.full_title:
        entity["title"] = _language_property(initiative.full_title)
    if initiative.acronym and initiative.acronym != initiative.name:
        entity["alternateName"] = _language_property(initiative.acronym)
    for attribute, section in (
        ("description", initiative.description),
        ("keyRole", initiative.key_role),
        ("relevance", initiative.relevance),
    ):
        if section is not None and section.blocks:
            entity[attribute] = _language_property(section.markdown)
    if initiative.other_sections:
        entity["otherSection"] = _language_property(other_sections_markdown(initiative.other_sections))
    if initiative.logo is not None:
        entity["logo"] = _json_property(logo_json(initiative.logo))
    if initiative.webpages:
        entity["url"] = _json_property([_link_json(link) for link in initiative.webpages])
    if initiative.assets:
        entity["keyAsset"] = _json_property([_link_json(link) for link in initiative.assets])
    if initiative.contacts:
        entity["contactPoint"] = _json_property([contact_json(c) for c in initiative.contacts])
    entity["isPartOf"] = {"type": "Relationship", "object": cluster_id(initiative.cluster_slug)}
    if initiative.mentions:
        entity["mentions"] = [
            {"type": "Relationship", "object": initiative_id(slug), "datasetId": mention_dataset_id(slug)}
            for slug in initiative.mentions
        ]
    fields = {FIELD_ATTRIBUTES.get(name, name): ref.line for name, ref in initiative.field_refs.items()}
    entity["provenance"] = _provenance(
        initiative.page.name, initiative.ref.line, initiative.content_sha256, fields, source_texts(initiative)
    )
    if with_context:
        entity["@context"] = entity_context()
    return entity


def cluster_entity(cluster: Cluster, with_context: bool = True) -> Entity:
    entity: Entity = {"id": cluster_id(cluster.slug), "type": CLUSTER_TYPE}
    entity["name"] = _language_property(cluster.name)
    if cluster.description:
        entity["description"] = _language_property(cluster.description_markdown)
    entity["provenance"] = _provenance(cluster.page.name, cluster.ref.line, cluster.content_sha256)
    if with_context:
        entity["@context"] = entity_context()
    return entity


def catalog_entities(catalog: Catalog, with_context: bool = True) -> Iterator[Entity]:
    """Every entity of the catalogue: clusters first, then initiatives, each sorted by id.

    Sorting by id keeps the output stable when pages or sections are re-ordered.  The entities
    share one ``@context`` object (nothing changes an entity's context in place): not a copy of it
    per entity, and the Turtle writer sees at once that the context is the previous one.
    """
    context = entity_context() if with_context else None
    for entity in itertools.chain(
        (cluster_entity(c, False) for c in sorted(catalog.clusters, key=lambda c: c.slug)),
        (initiative_entity(i, False) for i in sorted(catalog.initiatives, key=lambda i: i.slug)),
    ):
        if context is not None:
            entity["@context"] = context  # last, as ``initiative_entity`` puts it
        yield entity


# -- the SPARQL-friendly view: concise nodes, plain triples ------------------------------------


def catalog_context() -> dict[str, Any]:
    """The inline term definitions of the catalogue view (``contexts/ldt-catalog-context.jsonld``)."""
    inner: dict[str, Any] = load_context_document(CATALOG_CONTEXT_URL)["@context"]
    return dict(inner)


def _contact_node(contact: Contact) -> dict[str, Any]:
    node_type = {"person": "Individual", "organization": "Organization"}.get(contact.kind, "Contact")
    node: dict[str, Any] = {"type": node_type}
    if contact.name:
        node["fn"] = contact.name
    if contact.role:
        node["role"] = contact.role
    if contact.organization:
        node["organizationName"] = contact.organization
    if contact.email:
        node["hasEmail"] = "mailto:" + contact.email
    if contact.url:
        node["hasURL"] = contact.url
    if contact.label:
        node["note"] = contact.label
    return node


def _logo_node(image: Image) -> dict[str, Any]:
    """A ``schema:ImageObject``: its ``schema:contentUrl`` is an IRI, or an ``xsd:anyURI`` literal for
    a relative reference (which RDF cannot hold as an IRI without inventing a base)."""
    node: dict[str, Any] = {"type": "ImageObject"}
    node["relativeUrl" if image.relative else "contentUrl"] = image.url
    if image.alt:
        node["caption"] = image.alt
    return node


def _source(page_name: str, line: int, content_sha256: str) -> dict[str, Any]:
    return {"sourcePage": page_name, "sourceLine": line, "contentHash": content_sha256}


def initiative_view(initiative: Initiative) -> dict[str, Any]:
    """One initiative as plain triples: every bullet, link and e-mail is its own value."""
    node: dict[str, Any] = {"id": initiative_id(initiative.slug), "type": "Initiative"}
    node["name"] = initiative.name
    if initiative.full_title:
        node["title"] = initiative.full_title
    if initiative.acronym and initiative.acronym != initiative.name:
        node["alternateName"] = initiative.acronym
    if initiative.description is not None and initiative.description.blocks:
        node["description"] = initiative.description.markdown
    for text_key, item_key, section in (
        ("keyRole", "keyRoleItem", initiative.key_role),
        ("relevance", "relevanceItem", initiative.relevance),
    ):
        if section is not None and section.blocks:
            node[text_key] = section.markdown
            if section.bullets:
                node[item_key] = [bullet.markdown for bullet in section.bullets]
    if initiative.other_sections:
        node["otherSection"] = [other_sections_markdown([s]) for s in initiative.other_sections]
    if initiative.logo is not None:
        node["logo"] = _logo_node(initiative.logo)
    if initiative.webpages:
        node["url"] = [link.url for link in initiative.webpages]
    if initiative.assets:
        node["keyAsset"] = [
            {"id": link.url, "type": "Resource", **({"title": link.title} if link.title else {})}
            for link in initiative.assets
        ]
    if initiative.contacts:
        node["contactPoint"] = [_contact_node(c) for c in initiative.contacts]
    node["isPartOf"] = cluster_id(initiative.cluster_slug)
    if initiative.mentions:
        node["mentions"] = [initiative_id(slug) for slug in initiative.mentions]
    node.update(_source(initiative.page.name, initiative.ref.line, initiative.content_sha256))
    return node


def cluster_view(cluster: Cluster, members: Iterable[Initiative]) -> dict[str, Any]:
    node: dict[str, Any] = {"id": cluster_id(cluster.slug), "type": "Cluster", "name": cluster.name}
    if cluster.description:
        node["description"] = cluster.description_markdown
    parts = sorted(initiative_id(i.slug) for i in members if i.cluster_slug == cluster.slug)
    if parts:
        node["hasPart"] = parts
    node.update(_source(cluster.page.name, cluster.ref.line, cluster.content_sha256))
    return node


def catalog_view(catalog: Catalog) -> dict[str, Any]:
    """The whole catalogue as one JSON-LD document with the catalogue context inline."""
    members: dict[str, list[Initiative]] = {}
    for initiative in catalog.initiatives:  # each cluster's members at once, not a scan per cluster
        members.setdefault(initiative.cluster_slug, []).append(initiative)
    graph: list[dict[str, Any]] = [
        cluster_view(cluster, members.get(cluster.slug, ()))
        for cluster in sorted(catalog.clusters, key=lambda c: c.slug)
    ]
    graph.extend(initiative_view(i) for i in sorted(catalog.initiatives, key=lambda i: i.slug))
    return {"@context": catalog_context(), "@graph": graph}
