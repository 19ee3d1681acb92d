"""Page variants the real hub may hold: headings, contact forms, URLs to repair, repeated links.

The importer will be tried on real hub pages that no test has seen, so besides the table of
variants a seeded generator writes random pages from many ways of writing the same thing (blank
lines, CRLF, tabs, trailing ``#``s, dashes, labels with the colon in or out of the bold, nested
lists) and checks that no line is both missing from the model and missing from the diagnostics.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from urllib.parse import unquote

import pytest
import rdflib

from ldt_catalog.errors import CatalogError, Diagnostic, SourceRef
from ldt_catalog.model.catalog import Catalog, Contact, build_catalog
from ldt_catalog.ngsild.entities import catalog_view, initiative_entity
from ldt_catalog.rdf import convert as rdf
from ldt_catalog.sources.hub import parse_page

P = "p.md"
TOOLBOX = (
    "## EU LDT Toolbox – European Local Digital Twins Toolbox\n\n"
    '![Toolbox Logo](../assets/toolbox.png){ width="130" align="center" }\n---\n\n'
    "**Short Description:**\nThe toolbox.\n\n**Webpage:** https://toolbox.example.eu\n\n"
)
DUET_BODY = (
    '\n![DUET Logo](../assets/duet_logo.png){ width="130" }\n---\n\n'
    "**Short Description:**\nDUET builds twins.\n\n**Webpage / Reference Link:**\n"
    "[https://www.digitalurbantwins.com](https://www.digitalurbantwins.com)\n"
)


def build(text: str, page_base_url: str | None = None) -> Catalog:
    return build_catalog([parse_page(text, P)], page_base_url)


def warnings(catalog: Catalog) -> list[str]:
    return [str(w) for w in catalog.warnings]


# -- headings ------------------------------------------------------------------------------------

HEADINGS = {
    "no space": ("##DUET – Digital Urban European Twins\n", '"##" without a space'),
    "level 3": ("### DUET – Digital Urban European Twins\n", 'a level-3 heading "### "'),
    "setext": ("DUET – Digital Urban European Twins\n---\n", 'a line underlined with "---"'),
    "bold alone": ("**DUET – Digital Urban European Twins**\n", "a bold line standing alone"),
    "level 4, trailing hashes": (
        "#### DUET – Digital Urban European Twins ####\n",
        'a level-4 heading "#### "',
    ),
    "setext, equals": ("DUET – Digital Urban European Twins\n===\n", 'a line underlined with "==="'),
}


@pytest.mark.parametrize("variant", HEADINGS)
def test_a_heading_written_another_way_is_the_initiative_it_was_meant_to_be(variant: str) -> None:
    heading, form = HEADINGS[variant]
    text = "# Cluster\n\nIntro.\n\n" + TOOLBOX + heading + DUET_BODY
    catalog = build(text)
    duet = next(i for i in catalog.initiatives if i.slug == "duet")
    assert (duet.name, duet.full_title, duet.ref.line) == ("DUET", "Digital Urban European Twins", 15)
    assert duet.logo is not None and duet.logo.url == "../assets/duet_logo.png"
    toolbox = next(i for i in catalog.initiatives if i.slug == "eu-ldt-toolbox")
    assert not toolbox.other_sections and toolbox.description is not None
    assert [w for w in warnings(catalog) if ":15:" in w] == [
        w for w in warnings(catalog) if w.startswith(f"{P}:15: warning: {form}")
    ]
    assert any(w.startswith(f"{P}:15: warning: {form}") for w in warnings(catalog))


@pytest.mark.parametrize(
    "heading",
    [
        "### DUET – Digital Urban European Twins\n",
        "**DUET – Digital Urban European Twins**\n",
        "DUET – Digital Urban European Twins\n---\n",
    ],
)
def test_a_heading_without_labels_after_it_stays_text_with_a_warning(heading: str) -> None:
    text = "# Cluster\n\n" + TOOLBOX + heading + "\nJust a paragraph.\n"
    catalog = build(text)
    assert [i.slug for i in catalog.initiatives] == ["eu-ldt-toolbox"]
    (toolbox,) = catalog.initiatives
    assert any("DUET" in s.markdown for s in toolbox.other_sections) or "DUET" in (
        toolbox.description.markdown if toolbox.description else ""
    )
    assert any(
        w.startswith(f"{P}:13: warning:") and "no labelled section follows" in w for w in warnings(catalog)
    )


def test_sub_headings_and_the_logo_rule_are_not_initiatives() -> None:
    text = "# Cluster\n\n" + TOOLBOX + "### Lighthouse projects\n\nSeveral projects.\n"
    catalog = build(text)
    assert [i.slug for i in catalog.initiatives] == ["eu-ldt-toolbox"]
    assert catalog.initiatives[0].logo is not None  # the logo line over "---" stays a logo
    assert not any(":13:" in w for w in warnings(catalog))


def test_crlf_tabs_and_trailing_hashes() -> None:
    text = (
        "# Cluster\r\n\r\n## ACME \u2012 Acme Twin ##\r\n\r\n**Short Description**: Text.\r\n\r\n"
        "**Webpage:** https://acme.eu\r\n\r\n**Contacts:**\r\n\t- Jane Doe, Lead: jane@acme.eu\r\n\t- info@acme.eu\r\n"
    )
    (acme,) = build(text).initiatives
    assert (acme.name, acme.full_title) == ("ACME", "Acme Twin")
    assert [(c.kind, c.name, c.email) for c in acme.contacts] == [
        ("person", "Jane Doe", "jane@acme.eu"),
        ("generic", None, "info@acme.eu"),
    ]


# -- contacts ------------------------------------------------------------------------------------

CONTACTS = {
    "Name, Role: mail": ("- Jane Doe, Project Coordinator: jane@acme.eu", ("Jane Doe", "Project Coordinator", None)),
    "Name, Role (Org) — mail": ("- Jane Doe, Coordinator (ACME Labs) — jane@acme.eu", ("Jane Doe", "Coordinator", "ACME Labs")),
    "bold name, mail on the next line": (
        "- **Jane Doe**, Coordinator – ACME Labs\n  jane@acme.eu",
        ("Jane Doe", "Coordinator", "ACME Labs"),
    ),
    "Name (Role) <mail>": ("- Jane Doe (Coordinator) <jane@acme.eu>", ("Jane Doe", "Coordinator", None)),
    "mailto link": ("- [Jane Doe](mailto:jane@acme.eu), Coordinator", ("Jane Doe", "Coordinator", None)),
    "bold name, mailto on the next line": (
        "- **Jane Doe**, Coordinator\n  [jane@acme.eu](mailto:jane@acme.eu)",
        ("Jane Doe", "Coordinator", None),
    ),
    "particles": ("Jan van der Berg — Data Officer, City of Ghent — jane@acme.eu", ("Jan van der Berg", "Data Officer", "City of Ghent")),
}  # fmt: skip


def contacts_of(lines: str) -> tuple[tuple[Contact, ...], Catalog]:
    text = f"# C\n\n## ACME – Acme twin\n\n**Short Description:** Text.\n\n**Webpage:** https://acme.eu\n\n**Contacts:**\n{lines}\n"
    catalog = build(text)
    return catalog.initiatives[0].contacts, catalog


@pytest.mark.parametrize("form", CONTACTS)
def test_each_person_is_one_individual(form: str) -> None:
    lines, (name, role, organization) = CONTACTS[form]
    (contact,), catalog = contacts_of(lines)
    assert (contact.kind, contact.name, contact.role, contact.organization, contact.email) == (
        "person",
        name,
        role,
        organization,
        "jane@acme.eu",
    )
    assert contact.source == "\n".join(line.strip().removeprefix("- ") for line in lines.split("\n"))
    assert catalog.warnings == ()
    (node,) = catalog_view(catalog)["@graph"][1]["contactPoint"]
    assert node["type"] == "Individual" and node["fn"] == name and node["hasEmail"] == "mailto:jane@acme.eu"


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ("- General contact: info@acme.eu", "General contact"),
        ("- info@acme.eu", None),
        ("- **Press office:** info@acme.eu", "Press office"),
    ],
)
def test_labels_and_bare_addresses_are_kinds_never_names(line: str, label: str | None) -> None:
    (contact,), catalog = contacts_of(line)
    assert (contact.kind, contact.name, contact.label, contact.email) == (
        "generic",
        None,
        label,
        "info@acme.eu",
    )
    (node,) = catalog_view(catalog)["@graph"][1]["contactPoint"]
    assert "fn" not in node and node.get("note") == label and node["type"] == "Contact"


def test_a_bullet_of_several_people_gives_each_its_own_contact() -> None:
    contacts, _ = contacts_of(
        "- Contacts:\n  - Jane Doe, Lead: jane@acme.eu\n  - Max Mustermann, CTO: max@acme.eu"
    )
    assert [(c.name, c.role, c.email, c.ref.line) for c in contacts] == [
        ("Jane Doe", "Lead", "jane@acme.eu", 11),
        ("Max Mustermann", "CTO", "max@acme.eu", 12),
    ]


# -- URLs, logos, repeated links -----------------------------------------------------------------


def test_a_url_with_a_space_is_percent_encoded_with_a_warning() -> None:
    text = "# C\n\n## ACME – Acme twin\n\n**Short Description:** Text.\n\n**Webpage:** https://acme.eu\n\n**Key Assets:**\n- [Guide](https://acme.eu/the guide.pdf)\n"
    catalog = build(text)
    assert [link.url for link in catalog.initiatives[0].assets] == ["https://acme.eu/the%20guide.pdf"]
    assert warnings(catalog) == [
        f'{P}:10: warning: initiative "ACME – Acme twin": section "Key Assets": URL "https://acme.eu/the guide.pdf" '
        'has spaces: kept percent-encoded as "https://acme.eu/the%20guide.pdf", as a browser follows it'
    ]
    graph = rdf.to_graph(rdf.document_subjects(catalog_view(catalog)))
    assert (None, None, rdflib.URIRef("https://acme.eu/the%20guide.pdf")) in graph


@pytest.mark.parametrize(
    ("url", "reason"),
    [("acme.eu/the guide.pdf", "a relative path"), ("https://ac me.eu/x", "is not a domain name")],
)
def test_what_a_browser_cannot_repair_stays_an_error(url: str, reason: str) -> None:
    text = f"# C\n\n## ACME – Acme twin\n\n**Short Description:** Text.\n\n**Webpage:** [x]({url})\n"
    with pytest.raises(CatalogError, match=rf"{P}:7: .*{reason}"):
        build(text)


def test_an_email_with_two_ats_stays_an_error() -> None:
    contacts_of("- Jane Doe, Lead: jane@acme.eu")  # the form works ...
    with pytest.raises(CatalogError, match=r"p.md:10: .*malformed e-mail address \"jane@@acme.eu\""):
        contacts_of("- Jane Doe, Lead: jane@@acme.eu")


def test_a_link_given_twice_in_a_field_is_kept_once() -> None:
    text = (
        "# C\n\n## ACME – Acme twin\n\n**Short Description:** Text.\n\n**Webpage:** https://acme.eu\n\n"
        "**Key Assets:**\n- [Guide](https://acme.eu/guide)\n- [The guide](https://acme.eu/guide)\n"
    )
    catalog = build(text)
    assert [(link.url, link.title) for link in catalog.initiatives[0].assets] == [
        ("https://acme.eu/guide", "Guide")
    ]
    assert warnings(catalog) == [
        f'{P}:11: warning: initiative "ACME – Acme twin": section "Key Assets": link "https://acme.eu/guide" '
        '(here titled "The guide") repeats the one at line 10: kept once'
    ]


def test_logos_are_iris_when_the_page_url_is_given_and_typed_references_otherwise() -> None:
    text = "# C\n\n" + TOOLBOX
    relative = build(text)
    (toolbox,) = relative.initiatives
    assert toolbox.logo is not None and (toolbox.logo.url, toolbox.logo.relative) == (
        "../assets/toolbox.png",
        True,
    )
    entity = initiative_entity(toolbox)
    assert entity["logo"]["json"] == {"relativeUrl": "../assets/toolbox.png", "alt": "Toolbox Logo"}
    assert entity["provenance"]["json"]["sourceText"]["logo"] == [
        '![Toolbox Logo](../assets/toolbox.png){ width="130" align="center" }'
    ]
    graph = rdf.to_graph(rdf.document_subjects(catalog_view(relative)))
    (url,) = graph.objects(None, rdflib.URIRef("https://schema.org/contentUrl"))
    assert url == rdflib.Literal("../assets/toolbox.png", datatype=rdflib.XSD.anyURI)
    assert len(relative.warnings) == 1 and "relative paths" in str(relative.warnings[0])

    resolved = build(text, page_base_url="https://hub.example.eu/docs/initiatives/")
    assert resolved.warnings == ()
    entity = initiative_entity(resolved.initiatives[0])
    assert entity["logo"]["json"] == {
        "url": "https://hub.example.eu/docs/assets/toolbox.png",
        "alt": "Toolbox Logo",
    }
    graph = rdf.to_graph(rdf.document_subjects(catalog_view(resolved)))
    assert (None, None, rdflib.URIRef("https://hub.example.eu/docs/assets/toolbox.png")) in graph
    with pytest.raises(CatalogError, match="page_base_url"):
        build(text, page_base_url="hub.example.eu")


def test_full_name_with_acronym_gives_name_and_alternate_name() -> None:
    text = (
        "# C\n\n## Urban Mobility Data Platform (UMDP)\n\n"
        + "**Short Description:** Text.\n\n**Webpage:** https://umdp.eu\n"
    )
    catalog = build(text)
    (umdp,) = catalog.initiatives
    entity = initiative_entity(umdp, with_context=False)
    assert umdp.slug == "umdp"
    assert entity["name"]["languageMap"] == {"en": "Urban Mobility Data Platform"}
    assert entity["alternateName"]["languageMap"] == {"en": "UMDP"}
    assert "title" not in entity
    assert entity["provenance"]["json"]["fieldLines"] == {
        "alternateName": 3,
        "description": 5,
        "name": 3,
        "url": 7,
    }


# -- nothing is lost: random pages ---------------------------------------------------------------

HEADING_FORMS = ["## {h}", "##{h}", "### {h}", "{h}\n---", "**{h}**", "## {h} ##", "#### {h}"]
LABELS = ["**{l}:**", "**{l}**:", "{l}:", "__{l}:__"]
CONTACT_LINES = [
    "- Jane Doe, Lead: jane{n}@acme.eu",
    "- **Max Mustermann**, CTO \u2013 ACME\n  max{n}@acme.eu",
    "- General contact: info{n}@acme.eu",
    "- [Ann Lee](mailto:ann{n}@acme.eu), Officer",
    "- Reach us at <help{n}@acme.eu> for questions.",
    "* [Contact page](https://acme{n}.eu/contact)",
]
LINK_LINES = [
    "- [Guide {n}](https://acme{n}.eu/guide)",
    "- [Spaced](https://acme{n}.eu/a b)",
    "- https://acme{n}.eu/data",
    "[[Tools](https://acme{n}.eu/tools)]",
    "- [Guide {n}](https://acme{n}.eu/guide)",
    "\t- [Nested](https://acme{n}.eu/nested)",
]
TEXT_LINES = [
    "Some text about twins {n}.",
    "- a bullet {n}",
    "  1. a numbered item",
    "",
    "",
    "***",
    "### Sub {n}",
]
DASHES = ["\u2013", "\u2014", "-", "\u2012"]


def random_page(rng: random.Random) -> str:
    parts = ["# Cluster", "", "Intro text."]
    for n in range(rng.randint(1, 4)):
        name = f"INI{n}"
        heading = f"{name} {rng.choice(DASHES)} Initiative number {n}"
        parts += ["", rng.choice(HEADING_FORMS).format(h=heading), ""]
        if rng.random() < 0.6:
            parts += [f'![{name} Logo](../assets/{name.lower()}.png){{ width="130" }}', "---", ""]
        for label, body in (
            ("Short Description", [rng.choice(TEXT_LINES).format(n=n) or "Text." for _ in range(3)]),
            ("Key role in the LDT Ecosystem", [rng.choice(TEXT_LINES).format(n=n) for _ in range(3)]),
            ("Key Assets and Resources", [rng.choice(LINK_LINES).format(n=n) for _ in range(3)]),
            ("Webpage", [f"https://ini{n}.example.eu"]),
            ("Main contact point", [rng.choice(CONTACT_LINES).format(n=n) for _ in range(rng.randint(1, 3))]),
        ):
            parts += [rng.choice(LABELS).format(l=label), *body, *([""] * rng.randint(1, 2))]
    text = "\n".join(parts) + "\n"
    return text.replace("\n", "\r\n") if rng.random() < 0.3 else text


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9]+", unquote(text)))


def held_by_line(catalog: Catalog) -> dict[int, set[str]]:
    """The words the model holds, by the source line they came from."""
    found: dict[int, set[str]] = defaultdict(set)

    def add(ref: SourceRef, *texts: str | None) -> None:
        for t in texts:
            found[ref.line] |= _words(t or "")

    for cluster in catalog.clusters:
        add(cluster.ref, cluster.name)
        for block in cluster.description:
            for k, line in enumerate(block.markdown.split("\n")):
                add(SourceRef(P, block.ref.line + k), line)
    for item in catalog.initiatives:
        add(item.ref, item.name, item.full_title, item.acronym)
        if item.logo:
            add(item.logo.ref, item.logo.source)
        for section in (item.description, item.key_role, item.relevance, *item.other_sections):
            if section is not None:
                add(section.ref, section.label)
                for block in section.blocks:
                    for k, line in enumerate(block.markdown.split("\n")):
                        add(SourceRef(P, block.ref.line + k), line, block.marker)
        for link in (*item.assets, *item.webpages):
            add(link.ref, link.url, link.title)
        for contact in item.contacts:
            for k, line in enumerate(contact.source.split("\n")):
                add(SourceRef(P, contact.ref.line + k), line)
        for name, ref in item.field_refs.items():
            if name in ("assets", "webpages", "contacts", "logo"):
                found[ref.line].add("<label>")
    return found


def unaccounted(text: str, catalog: Catalog | None, diagnostics: list[Diagnostic]) -> list[str]:
    """Lines none of whose words the model holds at that line, and that no diagnostic names."""
    named = {int(d.where.rsplit(":", 1)[1]) for d in diagnostics}
    held = held_by_line(catalog) if catalog is not None else {}
    lost = []
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not line.strip() or re.fullmatch(r"\s*([-*_=])(\s*\1){2,}\s*", line) or number in named:
            continue
        words = _words(line)
        if "<label>" in held.get(number, set()):
            words -= _words(line.split(":", 1)[0])
        if words - held.get(number, set()) - {"mailto"}:
            lost.append(f"{number}: {line!r} missing {sorted(words - held.get(number, set()))}")
    return lost


@pytest.mark.parametrize("seed", range(6))
def test_no_line_of_a_random_page_is_lost_silently(seed: int) -> None:
    rng = random.Random(seed)
    built = 0
    for _ in range(60):
        text = random_page(rng)
        try:
            catalog: Catalog | None = build(text)
            diagnostics = list(catalog.warnings) if catalog else []
        except CatalogError as e:
            catalog, diagnostics = None, list(e.diagnostics)
        if catalog is None:
            assert diagnostics, text
            continue  # an error stops the build: nothing is written, the lines are reported
        assert not unaccounted(text, catalog, diagnostics), text
        built += 1
    assert built >= 40  # most random pages are valid: the check is not run on error lists only


def test_the_lost_line_check_can_fail() -> None:
    text = "# C\n\n" + TOOLBOX
    catalog = build(text)
    emptied = Catalog(
        catalog.clusters,
        tuple(i.__class__(**{**i.__dict__, "description": None}) for i in catalog.initiatives),
    )
    assert unaccounted(text, emptied, []) == [
        "8: '**Short Description:**' missing ['Description', 'Short']",
        "9: 'The toolbox.' missing ['The', 'toolbox']",
    ]
