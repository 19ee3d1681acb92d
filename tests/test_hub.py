"""Reading pages into raw records: structure, labels, blocks, lines, files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ldt_catalog.errors import CatalogError, SourceRef
from ldt_catalog.sources.contacts import parse_contact_line
from ldt_catalog.sources.hub import RawPage, RawSection, find_pages, label_kind, parse_page, read_page
from ldt_catalog.sources.inline import image_only, scan, split_heading

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seed" / "Local_Digital_Twins_Related_Initiatives.md"
PAGES = Path(__file__).resolve().parent / "pages"


def section(page: RawPage, initiative: int, label: str | None) -> RawSection:
    found = [s for s in page.initiatives[initiative].sections if s.label == label]
    assert len(found) == 1, [s.label for s in page.initiatives[initiative].sections]
    return found[0]


def blocks(sec: RawSection) -> list[tuple[str, int, str]]:
    return [(b.kind, b.ref.line, b.markdown) for b in sec.blocks]


# --- the seed ---------------------------------------------------------------------------------


def test_seed_structure_and_lines() -> None:
    page = read_page(SEED, "seed/p.md")
    assert (page.title, page.title_ref, page.name) == (
        "Local Digital Twins Related Initiatives",
        SourceRef("seed/p.md", 1),
        SEED.name,
    )
    assert [(b.kind, b.ref.line) for b in page.intro] == [("paragraph", 3), ("paragraph", 4)]
    assert page.intro[0].markdown.startswith("**Local Digital Twins (LDTs)** are virtual replicas")
    assert page.intro[1].markdown.endswith("interoperable and scalable implementations.")
    toolbox, duet = page.initiatives
    assert (toolbox.heading, toolbox.ref.line) == ("EU LDT Toolbox – European Local Digital Twins Toolbox", 6)
    assert (duet.heading, duet.ref.line) == ("DUET – Digital Urban European Twins", 43)
    assert toolbox.logo is not None
    assert (toolbox.logo.url, toolbox.logo.alt, toolbox.logo.attributes, toolbox.logo.ref.line) == (
        "../assets/eultd_toolbox_logo.jpg",
        "EU LDT Toolbox Logo",
        ' width="130" align="center" ',
        8,
    )
    assert [(s.label, s.kind, s.ref.line) for s in toolbox.sections] == [
        ("Short Description", "description", 11),
        ("Key role in the LDT Ecosystem", "key_role", 16),
        ("Relevance to LDT4SSC", "relevance", 26),
        ("Key Assets and Resources", "assets", 33),
        ("Webpage / Reference Link", "webpages", 36),
        ("Main contact point", "contacts", 39),
    ]
    key_role = blocks(section(page, 0, "Key role in the LDT Ecosystem"))
    assert [(k, n) for k, n, _ in key_role] == [("paragraph", 17), ("paragraph", 19)] + [
        ("bullet", n) for n in range(20, 25)
    ]
    assert key_role[1][2] == "Within the ecosystem, the EU LDT Toolbox plays a critical role by:"
    assert key_role[2][2] == "Providing a standardized framework for LDT development and deployment."
    relevance = blocks(section(page, 1, "Relevance to LDT4SSC"))
    assert relevance[2] == (
        "bullet",
        64,
        "**Policy-Ready Data as a Service (PRDaaS):** Offering cities "
        "ready-to-use data services for better policy design and implementation.",
    )
    assert blocks(section(page, 1, "Main contact point")) == [
        ("paragraph", 75, "[DUET Contact Page](https://www.digitalurbantwins.com/contact-8)")
    ]


def test_seed_hashes() -> None:
    data = SEED.read_bytes()
    page = read_page(SEED)
    assert page.sha256 == hashlib.sha256(data).hexdigest()
    lines = data.decode().split("\n")
    assert page.head_sha256 == hashlib.sha256("\n".join(lines[:5]).encode() + b"\n").hexdigest()
    toolbox_text = "\n".join(lines[5:42]) + "\n"
    assert page.initiatives[0].sha256 == hashlib.sha256(toolbox_text.encode()).hexdigest()
    assert page.initiatives[1].sha256 == hashlib.sha256("\n".join(lines[42:]).encode()).hexdigest()


def test_initiative_hash_ignores_the_rest_of_the_page() -> None:
    one = parse_page("# T\n\n## A\nsame\n\n## B\none\n", "p.md")
    two = parse_page("# U\nchanged intro\n## A\nsame\n\n## B\ntwo\n", "p.md")
    assert one.initiatives[0].sha256 == two.initiatives[0].sha256
    assert one.initiatives[1].sha256 != two.initiatives[1].sha256
    assert one.head_sha256 != two.head_sha256


# --- labels -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("Short Description", "description"),
        ("description", "description"),
        ("Summary", "description"),
        ("Overview", "description"),
        ("Key role in the LDT Ecosystem", "key_role"),
        ("Key Role", "key_role"),
        ("Role in the LDT Ecosystem", "key_role"),
        ("Key Roles", "key_role"),
        ("Relevance", "relevance"),
        ("Relevance to LDT4SSC", "relevance"),
        ("RELEVANCE FOR THE LDT4SSC PROJECT", "relevance"),
        ("Key Assets and Resources", "assets"),
        ("Key Assets & Resources", "assets"),
        ("Resources", "assets"),
        ("Key Assets", "assets"),
        ("Website", "webpages"),
        ("Webpage", "webpages"),
        ("Web page", "webpages"),
        ("Reference Links", "webpages"),
        ("Webpage / Reference Link", "webpages"),
        ("Contact", "contacts"),
        ("Contacts", "contacts"),
        ("Main contact points", "contacts"),
        ("Main contact point", "contacts"),
        ("Contact information", "contacts"),
        ("Logo", "logo"),
        ("Funding", None),
        ("Partners", None),
        ("Webpage / Funding", None),
        ("Within the ecosystem, the EU LDT Toolbox plays a critical role by", None),
        ("General contact", None),
        ("Role", None),
    ],
)
def test_label_synonyms(label: str, kind: str | None) -> None:
    assert label_kind(label) == kind


LABEL_FORMS = """## X (XY)
**Short Description:**
bold with colon inside
**Key Role**:
bold with colon outside
Relevance:
plain known label
Within the programme, X acts by:
a lead-in sentence is text
**Webpage:** https://x.eu
__Funding:__
underscored unknown label
**Key Assets**
bold known label without colon
**Just bold words**
are text
Contact: info@x.eu
Contact: second line of the same section is text
"""


def test_label_forms() -> None:
    page = parse_page(LABEL_FORMS, "l.md")
    sections = page.initiatives[0].sections
    assert [(s.label, s.kind, s.ref.line) for s in sections] == [
        ("Short Description", "description", 2),
        ("Key Role", "key_role", 4),
        ("Relevance", "relevance", 6),
        ("Webpage", "webpages", 10),
        ("Funding", None, 11),
        ("Key Assets", "assets", 13),
        ("Contact", "contacts", 17),
    ]
    assert [b.markdown for b in sections[2].blocks] == [
        "plain known label\nWithin the programme, X acts by:\na lead-in sentence is text"
    ]
    assert [(b.ref.line, b.markdown) for b in sections[3].blocks] == [(10, "https://x.eu")]
    assert [b.markdown for b in sections[5].blocks] == [
        "bold known label without colon\n**Just bold words**\nare text"
    ]
    assert [(b.ref.line, b.markdown) for b in sections[6].blocks] == [
        (17, "info@x.eu\nContact: second line of the same section is text")
    ]


def test_bullet_lines_are_never_labels_and_plain_labels_need_a_known_name() -> None:
    page = parse_page("## A\n**Relevance:**\n- **Webpage:** in a bullet\nNote: plain text\n", "b.md")
    (relevance,) = page.initiatives[0].sections
    assert blocks(relevance) == [("bullet", 3, "**Webpage:** in a bullet\nNote: plain text")]


# --- blocks -------------------------------------------------------------------------------------


def test_bullets_markers_numbers_nesting_and_continuations() -> None:
    text = (
        "## A\n**Key Role:**\n"
        "Lead-in:\n"  # 3
        "* star\n"  # 4
        "  continued\n"  # 5
        "+ plus\n"  # 6
        "lazy continuation\n"  # 7
        "1. one\n"  # 8
        "   - nested\n"  # 9
        "     deeper\n"  # 10
        "\n"
        "   after a blank\n"  # 12
        "2) two\n"  # 13
        "\n"
        "Paragraph.\n"  # 15
    )
    (sec,) = parse_page(text, "b.md").initiatives[0].sections
    assert [(b.kind, b.marker, b.ref.line, b.markdown) for b in sec.blocks] == [
        ("paragraph", "-", 3, "Lead-in:"),
        ("bullet", "-", 4, "star\ncontinued"),
        ("bullet", "-", 6, "plus\nlazy continuation"),
        ("bullet", "1.", 8, "one\n- nested\n  deeper\n\nafter a blank"),
        ("bullet", "2)", 13, "two"),
        ("paragraph", "-", 15, "Paragraph."),
    ]


def test_code_and_blank_lines_inside_a_bullet_keep_line_numbers() -> None:
    text = "## A\n**Summary:**\n- run:\n\n  ```sh\n  make\n\n  # test\n  ```\n\n\n  done\nafter\n\n## B\n"
    page = parse_page(text, "k.md")
    assert [i.heading for i in page.initiatives] == ["A", "B"]
    (sec,) = page.initiatives[0].sections
    assert blocks(sec) == [("bullet", 3, "run:\n\n```sh\nmake\n\n# test\n```\n\n\ndone\nafter")]


def test_separators_trailing_spaces_and_hard_breaks() -> None:
    text = "## A  \n\n**Summary:**  \nfirst line  \nsecond line\nthird line\n***\n___\n- - -\n---  \nlast\n"
    page = parse_page(text, "s.md")
    assert page.initiatives[0].heading == "A"
    (sec,) = page.initiatives[0].sections
    assert blocks(sec) == [
        ("paragraph", 4, "first line"),
        ("paragraph", 5, "second line\nthird line"),
        ("paragraph", 11, "last"),
    ]


def test_html_comments_are_skipped() -> None:
    text = "## A\n**Summary:**\nkept <!-- dropped --> too\n<!-- one\ntwo\n-->\nafter\n"
    (sec,) = parse_page(text, "c.md").initiatives[0].sections
    assert blocks(sec) == [("paragraph", 3, "kept  too"), ("paragraph", 7, "after")]


def test_fenced_code_is_one_verbatim_block_and_never_structure() -> None:
    text = "## A\n**Summary:**\n```md\n# T\n## B\n**Webpage:** x\n```\n~~~\n  ## C\n~~~\n"
    page = parse_page(text, "f.md")
    assert [i.heading for i in page.initiatives] == ["A"]
    assert page.title is None
    (sec,) = page.initiatives[0].sections
    assert blocks(sec) == [
        ("paragraph", 3, "```md\n# T\n## B\n**Webpage:** x\n```"),
        ("paragraph", 8, "~~~\n  ## C\n~~~"),
    ]


def test_unclosed_fence_is_a_warning() -> None:
    page = parse_page("## A\n```\n## B\n", "u.md")
    assert [i.heading for i in page.initiatives] == ["A"]
    assert [str(n) for n in page.notes] == [
        "u.md:2: warning: code fence is never closed: the rest of the page is code"
    ]


def test_sub_headings_stay_in_the_section() -> None:
    text = "## A\n**Summary:**\nintro\n### Sub\nmore\n#### Deeper\n## B\n"
    page = parse_page(text, "h.md")
    assert [i.heading for i in page.initiatives] == ["A", "B"]
    assert blocks(page.initiatives[0].sections[0]) == [
        ("paragraph", 3, "intro"),
        ("paragraph", 4, "### Sub"),
        ("paragraph", 5, "more"),
        ("paragraph", 6, "#### Deeper"),
    ]


def test_logo_and_text_before_the_first_label() -> None:
    text = "## A\nOpening words.\n\n![A logo](img/a.png)\n![second](b.png)\n**Summary:** s\n"
    initiative = parse_page(text, "g.md").initiatives[0]
    assert initiative.logo is not None
    assert (initiative.logo.url, initiative.logo.alt, initiative.logo.attributes) == (
        "img/a.png",
        "A logo",
        None,
    )
    assert initiative.logo.ref == SourceRef("g.md", 4)
    preamble = initiative.sections[0]
    assert (preamble.label, preamble.kind, preamble.ref.line) == (None, None, 2)
    assert blocks(preamble) == [("paragraph", 2, "Opening words."), ("paragraph", 5, "![second](b.png)")]


def test_logo_under_a_logo_label() -> None:
    initiative = parse_page("## A\n**Logo:**\n![L](l.svg){ width=80 }\n", "g.md").initiatives[0]
    assert initiative.logo is not None
    assert (initiative.logo.url, initiative.logo.attributes, initiative.logo.ref.line) == (
        "l.svg",
        " width=80 ",
        3,
    )
    assert [(s.kind, s.blocks) for s in initiative.sections] == [("logo", ())]


# --- page level ---------------------------------------------------------------------------------


def test_crlf_and_bom_fixture() -> None:
    path = PAGES / "Smart_Mobility_Initiatives.md"
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    page = read_page(path, "pages/Smart_Mobility_Initiatives.md")
    assert page.sha256 == hashlib.sha256(raw).hexdigest()
    assert (page.title, page.title_ref, page.name) == (None, None, "Smart_Mobility_Initiatives.md")
    assert blocks(RawSection(None, None, SourceRef("x", 1), page.intro)) == [
        ("paragraph", 1, "Introductory text for a page without a title.")
    ]
    (initiative,) = page.initiatives
    assert initiative.heading == "MobiDataLab – Mobility Data Sharing Lab"
    assert [(s.label, s.ref.line, [b.markdown for b in s.blocks]) for s in initiative.sections] == [
        ("Short Description", 5, ["MobiDataLab builds a data-sharing lab for mobility providers."]),
        ("Webpage", 7, ["<https://mobidatalab.eu>"]),
        ("Contact", 8, ["<mailto:info@mobidatalab.eu>"]),
    ]
    expected = hashlib.sha256(raw[3:].split(b"\r\n", 2)[2]).hexdigest()
    assert initiative.sha256 == expected


def test_text_before_title_and_second_title_are_kept_and_noted() -> None:
    page = parse_page("front words\n# Title\nintro\n# Again\n## A\n", "t.md", name="t.md")
    assert page.title == "Title"
    assert [b.markdown for b in page.intro] == ["front words", "intro", "# Again"]
    assert [str(n) for n in page.notes] == [
        "t.md:1: warning: text before the page title kept in the cluster description",
        't.md:4: warning: a second "# " title is kept as text',
    ]


def test_page_without_initiatives_and_empty_page() -> None:
    assert parse_page("# Only a title\n\nSome words.\n", "e.md").initiatives == ()
    empty = parse_page("", "empty.md")
    assert (empty.title, empty.intro, empty.initiatives) == (None, (), ())
    assert empty.sha256 == hashlib.sha256(b"").hexdigest()


def test_name_defaults_to_the_base_name() -> None:
    assert parse_page("## A\n", "some/dir/Page_One.md").name == "Page_One.md"
    assert parse_page("## A\n", "x.md", name="Other.md").name == "Other.md"


# --- files --------------------------------------------------------------------------------------


def test_read_page_rejects_bad_utf8_naming_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(b"# T\n## A\nbad \xff byte\n")
    with pytest.raises(CatalogError) as caught:
        read_page(path, "pages/bad.md")
    assert str(caught.value) == "pages/bad.md:3: page is not UTF-8 text (byte 0xff at offset 13)"


def test_read_page_reports_an_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as caught:
        read_page(tmp_path, "pages/dir.md")
    assert str(caught.value) == "pages/dir.md: cannot read the page: Is a directory"


def test_find_pages(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("## B\n")
    (tmp_path / "a.md").write_text("## A\n")
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.md").write_text("## C\n")
    single = tmp_path / "sub" / "c.md"
    assert find_pages([tmp_path, single, tmp_path / "a.md"]) == [tmp_path / "a.md", tmp_path / "b.md", single]


def test_find_pages_reports_every_bad_path(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(CatalogError) as caught:
        find_pages([tmp_path / "missing.md", tmp_path / "empty", PAGES])
    assert [str(d) for d in caught.value.diagnostics] == [
        f"{tmp_path / 'missing.md'}: no such file or directory",
        f"{tmp_path / 'empty'}: directory has no .md pages",
    ]


# --- inline -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("heading", "parts"),
    [
        (
            "EU LDT Toolbox – European Local Digital Twins Toolbox",
            ("EU LDT Toolbox", "European Local Digital Twins Toolbox", None),
        ),
        ("FIWARE — Open Source Platform", ("FIWARE", "Open Source Platform", None)),
        ("Gaia-X - European Data Infrastructure", ("Gaia-X", "European Data Infrastructure", None)),
        ("Gaia-X", ("Gaia-X", None, None)),
        ("Horizon 2021–2027 Cities", ("Horizon 2021–2027 Cities", None, None)),
        (
            "Data Space for Smart and Sustainable Cities (DS4SSCC)",
            ("Data Space for Smart and Sustainable Cities", None, "DS4SSCC"),
        ),
        ("Digital Urban Twins (Phase 2)", ("Digital Urban Twins (Phase 2)", None, None)),
        ("Urban Platform (Europe)", ("Urban Platform (Europe)", None, None)),
        ("**DUET** – Digital Urban European Twins", ("DUET", "Digital Urban European Twins", None)),
        ("DUET –", ("DUET", None, None)),
        ("DUET – Digital Urban European Twins { #duet }", ("DUET", "Digital Urban European Twins", None)),
        ("– Only a title", ("", "Only a title", None)),
        ("-", ("", None, None)),
        ("", ("", None, None)),
    ],
)
def test_split_heading(heading: str, parts: tuple[str, str | None, str | None]) -> None:
    got = split_heading(heading)
    assert (got.name, got.full_title, got.acronym) == parts


def test_scan_finds_every_link_form() -> None:
    text = (
        "![l](a.png){ w=1 } [[A](https://a.eu), [B](https://b.eu/x_(y))] <https://c.eu> "
        'see https://d.eu/p. or <e@f.eu>, g@h.eu. [T](https://t.eu "tip") www.w.eu **https://bold.eu**'
    )
    assert [(t.kind, t.url, t.title) for t in scan(text)] == [
        ("image", "a.png", "l"),
        ("link", "https://a.eu", "A"),
        ("link", "https://b.eu/x_(y)", "B"),
        ("autolink", "https://c.eu", None),
        ("bare", "https://d.eu/p", None),
        ("email", "e@f.eu", None),
        ("email", "g@h.eu", None),
        ("link", "https://t.eu", "T"),
        ("bare", "www.w.eu", None),
        ("bare", "https://bold.eu", None),
    ]
    assert scan("[T](https://t.eu 'tip')")[0].tooltip == "tip"
    assert image_only("![l](a.png){ w=1 }  ") is not None
    assert image_only("![l](a.png) and words") is None


@pytest.mark.parametrize(
    ("line", "contacts", "rest"),
    [
        ("General contact: x@y.eu", [("x@y.eu", None, None, None, None, "General contact")], ""),
        ("**General contact:** x@y.eu", [("x@y.eu", None, None, None, None, "General contact")], ""),
        (
            "**Jane Doe**, Project Coordinator — ACME Ltd — jane@acme.eu",
            [("jane@acme.eu", None, "Jane Doe", "Project Coordinator", "ACME Ltd", None)],
            "",
        ),
        (
            "Jan van Dijk (Lead, City of Utrecht, NL) <jan@utrecht.nl>",
            [("jan@utrecht.nl", None, "Jan van Dijk", "Lead", "City of Utrecht, NL", None)],
            "",
        ),
        ("**Ana Lima**", [(None, None, "Ana Lima", None, None, None)], ""),
        (
            "[DUET Contact Page](https://d.eu/contact-8)",
            [(None, "https://d.eu/contact-8", None, None, None, "DUET Contact Page")],
            "",
        ),
        ("https://d.eu/contact", [(None, "https://d.eu/contact", None, None, None, None)], ""),
        ("<mailto:x@y.eu>", [("x@y.eu", None, None, None, None, None)], ""),
        ("[x@y.eu](mailto:x@y.eu?subject=Hi)", [("x@y.eu", None, None, None, None, None)], ""),
        (
            "a@b.eu, c@d.eu",
            [("a@b.eu", None, None, None, None, None), ("c@d.eu", None, None, None, None, None)],
            "",
        ),
        (
            "Reach us at <i@g.eu> for questions.",
            [("i@g.eu", None, None, None, None, None)],
            "Reach us at for questions",
        ),
        (
            "Form: [Contact us](https://g.eu/c)",
            [(None, "https://g.eu/c", None, None, None, "Contact us")],
            "Form",
        ),
        ("Please write to us.", [], "Please write to us"),
    ],
)
def test_contact_lines(line: str, contacts: list[tuple[str | None, ...]], rest: str) -> None:
    found, _, leftover = parse_contact_line(line)
    assert [(c.email, c.url, c.name, c.role, c.organization, c.label) for c in found] == contacts
    assert leftover == rest
