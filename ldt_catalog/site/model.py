"""The site's own read of NGSI-LD entity dicts: clusters, initiatives and the links between them.

Entities come from contributors' pages and may change shape, so every accessor here is defensive:
an attribute may be missing, a single value or an array, a ``LanguageProperty``, a ``Property`` or
a bare value.  Nothing here renders HTML; it only normalises and sorts (sorting makes the site
byte-identical from one build to the next).

Reading is in two steps: ``read_catalogue`` reads what links pages together (names, titles,
clusters, mentions) for every entity, and ``Catalogue.details`` reads the rest of one initiative
(sections, links, contacts, logo, provenance) when its page is made, so each of two processes
reads only the initiatives it renders.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_SLUG_UNSAFE = re.compile(r"[^a-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class Link:
    """A link a page gives (web page, key asset): the URL as written and an optional title."""

    url: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Contact:
    """One contact point, from the catalogue's shape or a vCard-like one (fn, organization-name ...)."""

    name: str = ""
    role: str = ""
    organization: str = ""
    email: str = ""
    url: str = ""
    label: str = ""
    note: str = ""
    kind: str = ""


@dataclass(frozen=True, slots=True)
class Logo:
    url: str
    alt: str


@dataclass(slots=True)
class Initiative:
    iri: str
    slug: str
    name: str
    title: str = ""
    alternate_names: tuple[str, ...] = ()
    sections: tuple[tuple[str, str], ...] = ()  # (heading, Markdown), in page order
    webpages: tuple[Link, ...] = ()
    assets: tuple[Link, ...] = ()
    contacts: tuple[Contact, ...] = ()
    logo: Logo | None = None
    cluster_iris: tuple[str, ...] = ()
    mention_iris: tuple[str, ...] = ()
    source_page: str = ""
    source_line: int | None = None
    field_lines: tuple[tuple[str, int], ...] = ()
    mentioned_by: list[str] = field(default_factory=list)
    detailed: bool = False  # whether the fields after ``title`` were read (``Catalogue.details``)


@dataclass(slots=True)
class Cluster:
    iri: str
    slug: str
    name: str
    description: str = ""
    source_page: str = ""
    source_line: int | None = None
    members: list[Initiative] = field(default_factory=list)


@dataclass(slots=True)
class Catalogue:
    """Everything the pages need, sorted; ``by_iri`` finds an initiative or a cluster by its IRI."""

    clusters: list[Cluster]
    initiatives: list[Initiative]
    by_iri: dict[str, Initiative | Cluster]
    mention_count: int
    entities: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # initiative IRI → entity

    def details(self, initiative: Initiative) -> Initiative:
        """The initiative with every field read (once; later calls return it as it is)."""
        if not initiative.detailed:
            _read_details(initiative, self.entities[initiative.iri])
        return initiative


# Sections rendered from Markdown, in the order a reader expects them.
SECTIONS = (
    ("description", "Description"),
    ("keyRole", "Key role"),
    ("relevance", "Relevance"),
    ("otherSection", "Other information"),
)


def _values(attribute: Any) -> list[Any]:
    """An attribute as a list of its values (NGSI-LD allows one instance or an array of them)."""
    if attribute is None:
        return []
    return list(attribute) if isinstance(attribute, list) else [attribute]


def _plain(value: Any) -> Any:
    """The value inside one attribute instance, whatever its NGSI-LD type (or none)."""
    if type(value) is dict:  # the usual shapes first: ABC checks are a third of reading 10k entities
        language_map = value.get("languageMap")
        if type(language_map) is dict and type(language_map.get("en")) is str:
            return language_map["en"]
        if "json" in value:
            return value["json"]
    if isinstance(value, Mapping):
        for key in ("languageMap", "json", "value", "object"):
            if key in value:
                inner = value[key]
                if key == "languageMap" and isinstance(inner, Mapping):
                    return _pick_language(inner)
                return inner
    return value


def _pick_language(language_map: Mapping[str, Any]) -> str:
    for key in ("en", "@none", *sorted(language_map)):
        text = language_map.get(key)
        if isinstance(text, str):
            return text
    return ""


def texts(entity: Mapping[str, Any], name: str) -> list[str]:
    """Every non-empty string value of an attribute (lists flattened)."""
    attribute = entity.get(name)
    if attribute is None:
        return []
    if type(attribute) is dict:  # fast path: one LanguageProperty with an English text
        language_map = attribute.get("languageMap")
        if type(language_map) is dict:
            value = language_map.get("en")
            if type(value) is str:
                value = value.strip()
                return [value] if value else []
    out: list[str] = []
    for instance in _values(entity.get(name)):
        value = _plain(instance)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str | int | float) and not isinstance(item, bool) and str(item).strip():
                out.append(str(item).strip())
    return out


def text(entity: Mapping[str, Any], name: str) -> str:
    found = texts(entity, name)
    return found[0] if found else ""


def objects(entity: Mapping[str, Any], name: str) -> list[str]:
    """The target IRIs of a Relationship attribute (one or many instances)."""
    out: list[str] = []
    for instance in _values(entity.get(name)):
        value = _plain(instance)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item:
                out.append(item)
    return out


def _json_items(entity: Mapping[str, Any], name: str) -> list[Any]:
    out: list[Any] = []
    for instance in _values(entity.get(name)):
        value = _plain(instance)
        out.extend(value if isinstance(value, list) else [value])
    return out


def _str(mapping: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = mapping.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def links(entity: Mapping[str, Any], name: str) -> tuple[Link, ...]:
    out: list[Link] = []
    for item in _json_items(entity, name):
        if type(item) is dict and type(item.get("url")) is str and len(item) <= 2:  # {url, title?}
            title = item.get("title")
            out.append(Link(item["url"].strip(), title.strip() if type(title) is str else ""))
        elif isinstance(item, str) and item.strip():
            out.append(Link(item.strip()))
        elif isinstance(item, Mapping):
            url = _str(item, "url", "@id", "href")
            if url:
                out.append(Link(url, _str(item, "title", "name", "label")))
    return tuple(out)


# contact entry keys (the catalogue's and vCard-like ones) → Contact field, in order of preference
_CONTACT_ALIASES = (
    ("name", "name"), ("fn", "name"), ("role", "role"), ("title", "role"),
    ("organization", "organization"), ("organization-name", "organization"), ("org", "organization"),
    ("email", "email"), ("hasEmail", "email"), ("url", "url"), ("hasURL", "url"), ("label", "label"),
    ("note", "note"), ("kind", "kind"),
)  # fmt: skip
_CONTACT_KEYS = dict(_CONTACT_ALIASES)
_CONTACT_RANK = {key: rank for rank, (key, _) in enumerate(_CONTACT_ALIASES)}


def contacts(entity: Mapping[str, Any]) -> tuple[Contact, ...]:
    out: list[Contact] = []
    for item in _json_items(entity, "contactPoint"):
        if isinstance(item, str) and item.strip():
            value = item.strip()
            is_mail = "@" in value and "://" not in value
            out.append(Contact(email=value.removeprefix("mailto:")) if is_mail else Contact(url=value))
        elif isinstance(item, Mapping):
            # one pass over the few keys an entry has; the first alias found wins, as listed
            found: dict[str, str] = {}
            for key, value in sorted(item.items(), key=lambda kv: _CONTACT_RANK.get(kv[0], 99)):
                target = _CONTACT_KEYS.get(key)
                if target and target not in found and isinstance(value, str) and value.strip():
                    found[target] = value.strip()
            if "email" in found:
                found["email"] = found["email"].removeprefix("mailto:")
            contact = Contact(**found)
            if any((contact.name, contact.organization, contact.email, contact.url, contact.label)):
                out.append(contact)
    return tuple(out)


def logo(entity: Mapping[str, Any], name: str) -> Logo | None:
    for item in _json_items(entity, "logo"):
        if isinstance(item, str) and item.strip():
            return Logo(item.strip(), f"{name} logo")
        if isinstance(item, Mapping):
            url = _str(item, "url", "@id", "contentUrl", "relativeUrl")
            if url:
                return Logo(url, _str(item, "alt", "caption") or f"{name} logo")
    return None


def provenance(entity: Mapping[str, Any]) -> tuple[str, int | None, tuple[tuple[str, int], ...]]:
    for item in _json_items(entity, "provenance"):
        if isinstance(item, Mapping):
            line = item.get("line")
            fields = item.get("fieldLines")
            field_lines = (
                tuple(
                    sorted(
                        (str(k), v)
                        for k, v in fields.items()
                        if isinstance(v, int) and not isinstance(v, bool)
                    )
                )
                if isinstance(fields, Mapping)
                else ()
            )
            good_line = line if isinstance(line, int) and not isinstance(line, bool) else None
            return _str(item, "page"), good_line, field_lines
    return "", None, ()


def slug_for(iri: str, taken: set[str]) -> str:
    """A file-name-safe, unique slug from the IRI's last segment (``urn:...:Initiative:duet`` → ``duet``)."""
    tail = re.split(r"[:/#]", iri.rstrip(":/#"))[-1].lower()
    base = _SLUG_UNSAFE.sub("-", tail).strip("-_")[:80] or "item"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def _type_names(entity: Mapping[str, Any]) -> set[str]:
    return {t.rsplit("/", 1)[-1].rsplit("#", 1)[-1].rsplit(":", 1)[-1] for t in texts(entity, "type")}


@dataclass(frozen=True, slots=True)
class Entities:
    """The entity dicts the site uses, by IRI, in input order: a catalogue before it is read."""

    clusters: dict[str, Mapping[str, Any]]
    initiatives: dict[str, Mapping[str, Any]]


def read_catalogue(entities: Iterable[Mapping[str, Any]], *, details: bool = True) -> Catalogue:
    """Clusters and initiatives from entity dicts, sorted by name then IRI, with mentions both ways.

    Entities of other types are ignored, and so is a second entity with an id already seen.  With
    ``details=False`` only the fields that link pages are read; ``Catalogue.details`` reads the rest.
    """
    return catalogue_from(classify(entities), details=details)


def classify(entities: Iterable[Mapping[str, Any]]) -> Entities:
    """The clusters and initiatives among entity dicts (others, and repeated ids, left out)."""
    raw_clusters: dict[str, Mapping[str, Any]] = {}
    raw_initiatives: dict[str, Mapping[str, Any]] = {}
    for entity in entities:
        if not isinstance(entity, Mapping):
            continue
        iri = entity.get("id") or entity.get("@id")
        if not isinstance(iri, str) or not iri or iri in raw_clusters or iri in raw_initiatives:
            continue
        types = _type_names(entity)
        if "Cluster" in types:
            raw_clusters[iri] = entity
        elif "Initiative" in types or "Project" in types:
            raw_initiatives[iri] = entity
    return Entities(raw_clusters, raw_initiatives)


def catalogue_from(raw: Entities, *, details: bool = True) -> Catalogue:
    """``read_catalogue`` after ``classify``."""
    raw_clusters, raw_initiatives = raw.clusters, raw.initiatives

    def sort_key(item: tuple[str, Mapping[str, Any]]) -> tuple[str, str]:
        return (text(item[1], "name") or item[0]).casefold(), item[0]

    taken: set[str] = set()
    clusters: list[Cluster] = []
    for iri, entity in sorted(raw_clusters.items(), key=sort_key):
        page, line, _ = provenance(entity)
        name = text(entity, "name") or iri
        clusters.append(Cluster(iri, slug_for(iri, taken), name, text(entity, "description"), page, line))
    by_iri: dict[str, Initiative | Cluster] = {c.iri: c for c in clusters}

    taken = set()
    initiatives: list[Initiative] = []
    ordered = sorted(raw_initiatives.items(), key=sort_key)
    for iri, entity in ordered:
        initiative = Initiative(
            iri=iri,
            slug=slug_for(iri, taken),
            name=text(entity, "name") or iri,
            title=text(entity, "title"),
            cluster_iris=tuple(dict.fromkeys(objects(entity, "isPartOf"))),
            mention_iris=tuple(dict.fromkeys(m for m in objects(entity, "mentions") if m != iri)),
        )
        initiatives.append(initiative)
        by_iri[iri] = initiative

    mention_count = 0
    for initiative in initiatives:
        for target in initiative.mention_iris:
            other = by_iri.get(target)
            if isinstance(other, Initiative):
                other.mentioned_by.append(initiative.iri)
                mention_count += 1
        for cluster_iri in initiative.cluster_iris:
            cluster = by_iri.get(cluster_iri)
            if isinstance(cluster, Cluster):
                cluster.members.append(initiative)
    catalogue = Catalogue(clusters, initiatives, by_iri, mention_count, dict(ordered))
    if details:
        for initiative in initiatives:
            catalogue.details(initiative)
    return catalogue


def _read_details(initiative: Initiative, entity: Mapping[str, Any]) -> None:
    """Fill in what only the initiative's own page and JSON-LD need."""
    name = initiative.name
    initiative.alternate_names = tuple(n for n in texts(entity, "alternateName") if n != name)
    initiative.sections = tuple((heading, body) for key, heading in SECTIONS for body in texts(entity, key))
    initiative.webpages = links(entity, "url")
    initiative.assets = links(entity, "keyAsset")
    initiative.contacts = contacts(entity)
    initiative.logo = logo(entity, name)
    initiative.source_page, initiative.source_line, initiative.field_lines = provenance(entity)
    initiative.detailed = True
