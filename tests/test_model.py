"""Building the catalogue: fields, lines, warnings, every error rule, mentions, nothing lost."""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from pathlib import Path

import pytest

from ldt_catalog.errors import CatalogError, SourceRef
from ldt_catalog.model.catalog import (
    Block,
    Catalog,
    Contact,
    Initiative,
    Link,
    Section,
    blocks_to_markdown,
    build_catalog,
    slugify,
    title_from_file_name,
)
from ldt_catalog.sources.hub import parse_page, read_page

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed" / "Local_Digital_Twins_Related_Initiatives.md"
PAGES = Path(__file__).resolve().parent / "pages"
VARIANTS = PAGES / "Data_Space_Initiatives.md"
MOBILITY = PAGES / "Smart_Mobility_Initiatives.md"
BROKEN = PAGES / "invalid" / "Broken_Initiatives.md"
SEED_PATH = "seed/Local_Digital_Twins_Related_Initiatives.md"


def load(*paths: Path) -> Catalog:
    return build_catalog([read_page(p, p.relative_to(ROOT).as_posix()) for p in paths])


def errors_of(*texts: tuple[str, str]) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        build_catalog([parse_page(text, path) for path, text in texts])
    return [str(d) for d in caught.value.diagnostics]


def by_slug(catalog: Catalog, slug: str) -> Initiative:
    (found,) = [i for i in catalog.initiatives if i.slug == slug]
    return found


def ref(line: int, path: str = SEED_PATH) -> SourceRef:
    return SourceRef(path, line)


# A minimal valid initiative, for the rule tests.
OK = "**Short Description:** Text.\n\n**Webpage:** https://ok.eu\n"


# --- nothing lost -------------------------------------------------------------------------------


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z0-9]+", text))


def _model_text_by_line(catalog: Catalog, path: str) -> dict[int, list[str]]:
    """Every piece of text the model holds, by the source line it came from."""
    found: dict[int, list[str]] = defaultdict(list)

    def add(where: SourceRef, *texts: str | None) -> None:
        if where.path == path:
            found[where.line] += [t for t in texts if t]

    def add_blocks(blocks: tuple[Block, ...]) -> None:
        for block in blocks:
            for k, line in enumerate(block.markdown.split("\n")):
                add(SourceRef(block.ref.path, block.ref.line + k), line, block.marker)

    for cluster in catalog.clusters:
        if not cluster.title_from_file:
            add(cluster.ref, cluster.name)
        add_blocks(cluster.description)
    for item in catalog.initiatives:
        add(item.ref, item.name, item.full_title, item.acronym)
        if item.logo:
            add(item.logo.ref, item.logo.url, item.logo.alt, item.logo.attributes)
        for section in (item.description, item.key_role, item.relevance, *item.other_sections):
            if section is not None:
                add(section.ref, section.label)
                add_blocks(section.blocks)
        for link in (*item.assets, *item.webpages):
            add(link.ref, link.url, link.title)
        for c in item.contacts:
            add(c.ref, c.email, c.url, c.name, c.role, c.organization, c.label)
        for field, where in item.field_refs.items():
            if field in ("assets", "webpages", "contacts", "logo"):
                add(where, f"<label of {field}>")
    return found


def assert_nothing_lost(catalog: Catalog, file: Path, path: str) -> int:
    """Every word of every non-blank, non-rule line is in some model field of that same line."""
    text = file.read_bytes().decode().removeprefix("\ufeff").replace("\r\n", "\n")
    text = re.sub(r"<!--.*?-->", lambda m: "\n" * m.group().count("\n"), text, flags=re.S)
    held = _model_text_by_line(catalog, path)
    checked = 0
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip() or re.fullmatch(r"\s*([-*_])(\s*\1){2,}\s*", line):
            continue
        texts = held.get(number, [])
        assert texts, f"{path}:{number}: line not in the model: {line!r}"
        words = _words(line) - {"mailto"}  # ``<mailto:x>`` is kept as the address x
        if any(t.startswith("<label of") for t in texts):
            words -= _words(line.split(":", 1)[0])  # the label of a link field is the field
        missing = words - _words(" ".join(texts))
        assert not missing, f"{path}:{number}: {sorted(missing)} of {line!r} not in the model"
        checked += 1
    return checked


def test_nothing_of_the_seed_is_lost() -> None:
    assert assert_nothing_lost(load(SEED), SEED, SEED_PATH) == 52


def test_nothing_of_the_variant_pages_is_lost() -> None:
    catalog = load(VARIANTS, MOBILITY)
    assert assert_nothing_lost(catalog, VARIANTS, "tests/pages/Data_Space_Initiatives.md") == 57
    assert assert_nothing_lost(catalog, MOBILITY, "tests/pages/Smart_Mobility_Initiatives.md") == 5


def test_nothing_lost_check_can_fail() -> None:
    catalog = load(SEED)
    dropped = by_slug(catalog, "duet")
    broken = Catalog(
        catalog.clusters, (catalog.initiatives[0], Initiative(**{**dropped.__dict__, "contacts": ()}))
    )
    with pytest.raises(AssertionError, match=r":75: line not in the model"):
        assert_nothing_lost(broken, SEED, SEED_PATH)


# --- the seed -----------------------------------------------------------------------------------


def test_seed_catalogue() -> None:
    catalog = load(SEED)
    assert [str(w) for w in catalog.warnings] == [
        f"{SEED_PATH}:8: warning: 2 logo(s) of this page are relative paths (first "
        '"../assets/eultd_toolbox_logo.jpg"): kept as relative references, not IRIs '
        "(rule: give the URL the page is published at to resolve them)"
    ]
    (cluster,) = catalog.clusters
    assert (cluster.slug, cluster.name, cluster.title_from_file, cluster.ref) == (
        "local-digital-twins-related-initiatives",
        "Local Digital Twins Related Initiatives",
        False,
        ref(1),
    )
    assert [(b.kind, b.ref) for b in cluster.description] == [("paragraph", ref(3)), ("paragraph", ref(4))]
    assert cluster.page.sha256 == hashlib.sha256(SEED.read_bytes()).hexdigest()
    lines = SEED.read_text().split("\n")
    assert cluster.content_sha256 == hashlib.sha256(("\n".join(lines[:5]) + "\n").encode()).hexdigest()
    assert [i.slug for i in catalog.initiatives] == ["eu-ldt-toolbox", "duet"]
    assert all(i.cluster_slug == cluster.slug and i.page == cluster.page for i in catalog.initiatives)


def test_seed_toolbox() -> None:
    toolbox = by_slug(load(SEED), "eu-ldt-toolbox")
    assert (toolbox.name, toolbox.full_title, toolbox.acronym, toolbox.ref) == (
        "EU LDT Toolbox",
        "European Local Digital Twins Toolbox",
        None,
        ref(6),
    )
    assert toolbox.logo is not None
    assert (toolbox.logo.url, toolbox.logo.ref) == ("../assets/eultd_toolbox_logo.jpg", ref(8))
    assert toolbox.description is not None and toolbox.key_role is not None and toolbox.relevance is not None
    assert [b.ref.line for b in toolbox.description.paragraphs] == [12, 14]
    assert "citizens—offering guidelines" in toolbox.description.markdown
    assert "**one-stop resource**" in toolbox.description.markdown
    assert [b.ref.line for b in toolbox.key_role.paragraphs] == [17, 19]
    assert [b.ref.line for b in toolbox.key_role.bullets] == [20, 21, 22, 23, 24]
    assert toolbox.relevance.blocks[0] == Block(
        "paragraph", "The initiative contributes directly to LDT4SSC by:", ref(27)
    )
    assert toolbox.relevance.bullets[0].markdown.startswith(
        "**Catalogue of LDT Tools and Services:** Offering"
    )
    assert toolbox.relevance.markdown.count("\n- **") == 4
    url = "https://interoperable-europe.ec.europa.eu/collection/ldttoolbox"
    assert toolbox.assets == (Link(url, "EU LDT Toolbox Resources", ref(34)),)
    assert toolbox.webpages == (Link(url, None, ref(37)),)
    assert toolbox.contacts == (Contact(ref(40), "generic", email="contact@ldt-toolbox.eu"),)
    assert toolbox.other_sections == ()
    assert toolbox.field_refs == {
        "name": ref(6),
        "full_title": ref(6),
        "logo": ref(8),
        "description": ref(11),
        "key_role": ref(16),
        "relevance": ref(26),
        "assets": ref(33),
        "webpages": ref(36),
        "contacts": ref(39),
    }
    text = "".join(SEED.read_text().splitlines(keepends=True)[5:42])
    assert toolbox.content_sha256 == hashlib.sha256(text.encode()).hexdigest()


def test_seed_duet() -> None:
    duet = by_slug(load(SEED), "duet")
    assert (duet.name, duet.full_title, duet.acronym, duet.ref) == (
        "DUET",
        "Digital Urban European Twins",
        None,
        ref(43),
    )
    assert [(a.title, a.ref.line) for a in duet.assets] == [
        ("Technology Outputs", 69),
        ("Research Outputs", 69),
        ("City Twin Platform Demo", 69),
        ("Policy-Making Outputs", 69),
    ]
    assert duet.assets[3].url == "https://www.digitalurbantwins.com/policy-making-outputs"
    assert duet.webpages == (Link("https://www.digitalurbantwins.com", None, ref(72)),)
    assert duet.contacts == (
        Contact(
            ref(75), "generic", url="https://www.digitalurbantwins.com/contact-8", label="DUET Contact Page"
        ),
    )
    assert duet.relevance is not None
    assert [b.kind for b in duet.relevance.blocks] == ["paragraph"] + ["bullet"] * 4


# --- variant pages ------------------------------------------------------------------------------

V = "tests/pages/Data_Space_Initiatives.md"


def test_variant_page_warnings() -> None:
    catalog = load(VARIANTS, MOBILITY)
    assert [str(w) for w in catalog.warnings] == [
        f'{V}:31: warning: initiative "Data Space for Smart and Sustainable Cities (DS4SSCC)": text under '
        '"Resources" that is not a link kept as an other section',
        f'{V}:45: warning: initiative "Gaia-X - European Data Infrastructure": text before the first label '
        "kept as an unlabeled other section",
        f'{V}:64: warning: initiative "Gaia-X - European Data Infrastructure": unknown label "Funding" kept '
        "as an other section",
        f'{V}:69: warning: initiative "Gaia-X - European Data Infrastructure": text under "Main contact '
        'points" that is not a contact kept as an other section',
        f'{V}:88: warning: initiative "FIWARE — Open Source Platform for Smart Solutions": text under '
        '"Webpage" that is not a link kept as an other section',
    ]


def test_plain_labels_parentheses_acronym_and_bullet_variants() -> None:
    ds = by_slug(load(VARIANTS), "ds4sscc")
    assert (ds.name, ds.full_title, ds.acronym) == (
        "Data Space for Smart and Sustainable Cities",
        None,
        "DS4SSCC",
    )
    assert ds.logo is not None and (ds.logo.url, ds.logo.ref.line) == ("https://ds4sscc.eu/logo.svg", 10)
    assert ds.description == Section(
        "Short Description",
        (
            Block(
                "paragraph",
                "The DS4SSCC project prepares a common European data space for cities, building on Gaia-X "
                "and FIWARE.\nIt is a **Digital Europe** action.",
                ref(15, V),
            ),
        ),
        ref(14, V),
    )
    assert ds.key_role is not None and ds.key_role.markdown == (
        "Within the ecosystem, DS4SSCC plays a critical role by:\n\n"
        "- Defining a blueprint for city data spaces,\n  aligned with the Data Governance Act.\n"
        "- Running a multi-stakeholder governance board\n- Publishing open specifications"
    )
    assert ds.relevance is not None and ds.relevance.markdown == (
        "1. Reusable data-sharing agreements.\n2. A catalogue of **high-value datasets**:\n"
        "   - mobility\n   - energy"
    )
    assert [(a.url, a.title, a.ref.line) for a in ds.assets] == [
        ("https://ds4sscc.eu/blueprint", "Blueprint", 32),
        ("https://ds4sscc.eu/governance.pdf", "Governance guide", 33),
        ("https://ds4sscc.eu/catalogue", None, 34),
    ]
    (kept,) = ds.other_sections
    assert (kept.label, kept.ref.line, [b.markdown for b in kept.blocks]) == (
        "Resources",
        31,
        ["[Governance guide](https://ds4sscc.eu/governance.pdf) – the rules for joining"],
    )
    assert ds.webpages == (Link("https://www.ds4sscc.eu", None, ref(36, V)),)
    assert ds.contacts == (
        Contact(ref(39, V), "generic", email="info@ds4sscc.eu", label="General contact"),
        Contact(
            ref(40, V),
            "person",
            email="jane.doe@oascities.org",
            name="Jane Doe",
            role="Project Coordinator",
            organization="Open & Agile Smart Cities",
        ),
        Contact(ref(41, V), "generic", email="press@ds4sscc.eu"),
    )
    assert ds.field_refs["acronym"] == ref(8, V) and ds.field_refs["contacts"] == ref(38, V)


def test_hyphen_heading_unknown_label_code_and_inline_label_content() -> None:
    gaia = by_slug(load(VARIANTS), "gaia-x")
    assert (gaia.name, gaia.full_title, gaia.logo) == ("Gaia-X", "European Data Infrastructure", None)
    assert gaia.description is not None and gaia.description.label == "Summary"
    assert [b.markdown for b in gaia.description.blocks][1:] == [
        "### Lighthouse projects",
        "Several lighthouse projects apply the Gaia-X framework:",
        "```text\n# not a heading\n## not an initiative\n**Webpage:** not a label\n```",
    ]
    assert gaia.key_role is not None and gaia.key_role.ref.line == 60
    assert [(s.label, s.ref.line, [b.markdown for b in s.blocks]) for s in gaia.other_sections] == [
        ("", 45, ["The Gaia-X association was founded in 2021."]),
        ("Funding", 64, ["Horizon Europe and national programmes."]),
        (
            "Main contact points",
            69,
            [
                "Contact form: https://gaia-x.eu/contact\nJohn Smith, CTO, Gaia-X AISBL, "
                "john.smith@gaia-x.eu\nReach us at <info@gaia-x.eu> for general questions."
            ],
        ),
    ]
    assert [(w.url, w.title, w.ref.line) for w in gaia.webpages] == [
        ("https://gaia-x.eu", None, 66),
        ("https://gaia-x-hub.de", "Gaia-X Hub Germany", 66),
        ("https://docs.gaia-x.eu", "Project website", 67),
    ]
    assert gaia.contacts == (
        Contact(ref(70, V), "generic", url="https://gaia-x.eu/contact", label="Contact form"),
        Contact(
            ref(71, V),
            "person",
            email="john.smith@gaia-x.eu",
            name="John Smith",
            role="CTO",
            organization="Gaia-X AISBL",
        ),
        Contact(ref(72, V), "generic", email="info@gaia-x.eu"),
    )


def test_em_dash_heading_comment_link_tooltip_and_bold_label_colon_outside() -> None:
    fiware = by_slug(load(VARIANTS), "fiware")
    assert (fiware.name, fiware.full_title) == ("FIWARE", "Open Source Platform for Smart Solutions")
    assert fiware.description is not None
    assert [(b.ref.line, b.markdown[:20]) for b in fiware.description.blocks] == [
        (77, "FIWARE is an open-so"),
        (81, "Many FIWARE-based pl"),
    ]
    assert [a.title for a in fiware.assets] == ["Context Broker", "Smart Data Models"]
    assert fiware.field_refs["assets"] == ref(83, V)
    assert fiware.webpages == (Link("https://www.fiware.org", "FIWARE", ref(89, V)),)
    assert fiware.contacts == (Contact(ref(91, V), "generic", email="info@fiware.org"),)


def test_page_without_title_is_named_after_its_file() -> None:
    (cluster,) = load(MOBILITY).clusters
    assert (cluster.slug, cluster.name, cluster.title_from_file, cluster.ref) == (
        "smart-mobility-initiatives",
        "Smart Mobility Initiatives",
        True,
        ref(1, "tests/pages/Smart_Mobility_Initiatives.md"),
    )
    assert [b.markdown for b in cluster.description] == ["Introductory text for a page without a title."]


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("Smart_Mobility_Initiatives.md", "Smart Mobility Initiatives"),
        ("energy-twins.md", "Energy twins"),
        ("LDT_in_EU.md", "LDT in EU"),
    ],
)
def test_title_from_file_name(name: str, title: str) -> None:
    assert title_from_file_name(name) == title


# --- mentions -----------------------------------------------------------------------------------


def test_mentions_across_pages() -> None:
    catalog = load(SEED, VARIANTS)
    mentions = {i.slug: i.mentions for i in catalog.initiatives}
    assert mentions == {
        "eu-ldt-toolbox": ("fiware", "gaia-x"),  # seed page, FIWARE defined on the other page
        "duet": (),
        "ds4sscc": ("fiware", "gaia-x"),
        "gaia-x": (),
        "fiware": ("duet",),  # "DUET pilots"; its own "FIWARE-based" is not another initiative
    }
    assert by_slug(load(SEED), "eu-ldt-toolbox").mentions == ()


def test_mentions_are_whole_words_case_sensitive_for_names() -> None:
    def page(heading: str, text: str) -> str:
        return f"## {heading}\n**Short Description:** {text}\n**Webpage:** https://x.eu\n"

    catalog = build_catalog(
        [
            parse_page(
                "".join(
                    [
                        page("Gaia - short", "no hit"),
                        page("Gaia-X", "no hit"),
                        page("DUET – Digital Urban European Twins", "no hit"),
                        page("ORION (ORN)", "no hit"),
                        page("A", "fiware, Gaia-X, duets, SUPERDUET, the digital urban european twins."),
                        page("B", "Gaia and ORN."),
                    ]
                ),
                "m.md",
            )
        ]
    )
    assert by_slug(catalog, "a").mentions == ("duet", "gaia-x")
    assert by_slug(catalog, "b").mentions == ("gaia", "orn")


# --- errors -------------------------------------------------------------------------------------

B = "tests/pages/invalid/Broken_Initiatives.md"
URL = "(rule: only absolute http, https and mailto URLs are accepted)"
MAIL = "(rule: an e-mail address is name@domain.tld)"
NO_NAME = 'the heading gives no name (rule: "## Name – Full title" or "## Full title (ACR)")'
NO_DESC = "no Short Description (rule: the Short Description section is required)"
NO_WEB = 'no webpage (rule: a "Webpage:" section with a link is required)'


def test_every_error_of_the_broken_page_at_once() -> None:
    with pytest.raises(CatalogError) as caught:
        load(BROKEN)
    bad = 'initiative "Bad Links (BADL)": '
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{B}:5: initiative with an empty heading: {NO_NAME}",
        f'{B}:11: initiative "NoWeb – Initiative without a webpage": {NO_WEB}',
        f'{B}:23: {bad}empty section "Key Role" (rule: a known label needs content)',
        f'{B}:26: {bad}section "Key Assets": malformed URL "ftp://files.example.eu/manual.pdf": '
        f'scheme "ftp:" is not accepted {URL}',
        f'{B}:27: {bad}section "Key Assets": malformed URL "docs/guide.pdf": a relative path {URL}',
        f'{B}:28: {bad}section "Key Assets": malformed URL "https://": no host {URL}',
        f'{B}:30: {bad}section "Key Assets": malformed URL "www.example.eu": no http:// or https:// in front {URL}',
        f'{B}:32: {bad}section "Webpage" has no link (rule: a webpage is required)',
        f'{B}:36: {bad}section "Contact": malformed e-mail address "foo@" {MAIL}',
        f'{B}:37: {bad}section "Contact": malformed e-mail address "a@b" {MAIL}',
        f'{B}:38: {bad}section "Contact": malformed e-mail address "jane@@example.eu" {MAIL}',
        f'{B}:40: initiative "No Description": {NO_DESC}',
        f'{B}:42: initiative "No Description": section "Webpage": malformed URL "http://host_without_dot": '
        f'host "host_without_dot" is not a domain name {URL}',
        f'{B}:50: initiative "–": {NO_NAME}',
        f'{B}:50: initiative "–": {NO_DESC}',
        f'{B}:50: initiative "–": {NO_WEB}',
        f"{B}:44: duplicate initiative id urn:ngsi-ld:Initiative:badl (first defined at {B}:16)",
    ]


def test_duplicates_across_pages_report_both_places_and_errors_of_all_pages() -> None:
    seed = SEED.read_text()
    assert errors_of(("seed/a.md", seed), ("seed/b.md", seed + "## Lonely\n")) == [
        'seed/b.md:76: initiative "Lonely": ' + NO_DESC,
        'seed/b.md:76: initiative "Lonely": ' + NO_WEB,
        "seed/b.md:1: duplicate cluster id urn:ngsi-ld:Cluster:local-digital-twins-related-initiatives "
        "(first defined at seed/a.md:1)",
        "seed/b.md:6: duplicate initiative id urn:ngsi-ld:Initiative:eu-ldt-toolbox (first defined at seed/a.md:6)",
        "seed/b.md:43: duplicate initiative id urn:ngsi-ld:Initiative:duet (first defined at seed/a.md:43)",
    ]


def test_page_without_initiative() -> None:
    assert errors_of(("a.md", "# Just a title\n\nwords\n"), ("Untitled.md", "")) == [
        'a.md:1: page has no initiative (rule: a page needs at least one "## " heading)',
        'Untitled.md:1: page has no initiative (rule: a page needs at least one "## " heading)',
    ]


def test_ids_need_a_letter_or_digit() -> None:
    assert errors_of(("x.md", f"# ★ ★\n## ★★ – Stars\n{OK}")) == [
        'x.md:1: the page title "★ ★" has no letter or digit to make an id from',
        'x.md:2: initiative "★★ – Stars": the name "★★" has no letter or digit to make an id from',
    ]


def test_empty_known_sections_and_duplicate_labels() -> None:
    text = (
        "## A\n**Short Description:**\n---\n**Relevance:**\n\n**Main contact points:**\n"
        "**Webpage:** https://a.eu\n**Key Assets:**\n"
    )
    assert errors_of(("e.md", text)) == [
        'e.md:2: initiative "A": empty section "Short Description" (rule: a known label needs content)',
        'e.md:4: initiative "A": empty section "Relevance" (rule: a known label needs content)',
        'e.md:6: initiative "A": empty section "Main contact points" (rule: a known label needs content)',
        'e.md:8: initiative "A": empty section "Key Assets" (rule: a known label needs content)',
    ]


def test_repeated_labels_are_kept() -> None:
    text = f"## A\n{OK}**Summary:** again\n**Website:** https://b.eu\n"
    catalog = build_catalog([parse_page(text, "r.md")])
    (a,) = catalog.initiatives
    assert [str(w) for w in catalog.warnings] == [
        'r.md:5: warning: initiative "A": label "Summary" repeats the one at line 2: kept as an other section',
        'r.md:6: warning: initiative "A": label "Website" repeats the one at line 4: merged',
    ]
    assert [w.url for w in a.webpages] == ["https://ok.eu", "https://b.eu"]
    assert [(s.label, s.markdown) for s in a.other_sections] == [("Summary", "again")]
    assert a.field_refs["webpages"] == ref(4, "r.md")


def test_mailto_and_emails_in_link_sections() -> None:
    text = (
        "## A\n**Short Description:** d\n**Webpage:** [Write](mailto:a@b.eu) https://a.eu\n"
        "**Resources:** bad@ x@y.eu [M](mailto:nope)\n"
    )
    assert errors_of(("m.md", text)) == [
        'm.md:4: initiative "A": section "Resources": malformed e-mail address "bad@" ' + MAIL,
        'm.md:4: initiative "A": section "Resources": malformed URL "mailto:nope": "nope" is not an e-mail '
        "address " + URL,
    ]
    ok = build_catalog([parse_page(text.replace("bad@ ", "").replace("nope", "n@o.eu"), "m.md")])
    (a,) = ok.initiatives
    assert [(w.url, w.title) for w in a.webpages] == [("mailto:a@b.eu", "Write"), ("https://a.eu", None)]
    assert [(w.url, w.title) for w in a.assets] == [("mailto:n@o.eu", "M")]
    assert [s.label for s in a.other_sections] == ["Resources"]  # the bare e-mail is kept as text


def test_warnings_alone_do_not_raise() -> None:
    catalog = build_catalog([parse_page(f"## A\nfree text\n{OK}**Partners:** many\n", "w.md")])
    assert [w.message for w in catalog.warnings] == [
        'initiative "A": text before the first label kept as an unlabeled other section',
        'initiative "A": unknown label "Partners" kept as an other section',
    ]
    assert [w.where for w in catalog.warnings] == ["w.md:2", "w.md:6"]


# --- slugs and markdown -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("EU LDT Toolbox", "eu-ldt-toolbox"),
        ("DUET", "duet"),
        ("Gaia-X", "gaia-x"),
        ("Données  Ouvertes — Île-de-France", "donnees-ouvertes-ile-de-france"),
        ("Straße & Øresund", "strasse-oresund"),
        ("--A__b--", "a-b"),
        ("DS4SSCC", "ds4sscc"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)


@pytest.mark.parametrize("text", ["", "   ", "★", "—"])
def test_slugify_never_returns_empty(text: str) -> None:
    with pytest.raises(ValueError, match="no letter or digit"):
        slugify(text)


def test_blocks_to_markdown_keeps_ordered_markers() -> None:
    r = ref(1, "x.md")
    blocks = (
        Block("paragraph", "Lead:", r),
        Block("bullet", "one\n- sub", r, "1."),
        Block("bullet", "two\n\nmore", r, "10."),
        Block("bullet", "x", r),
    )
    assert blocks_to_markdown(blocks) == "Lead:\n\n1. one\n   - sub\n10. two\n\n    more\n- x"
