"""Hand-built catalogues for tests that should not depend on the importer."""

from __future__ import annotations

import hashlib

from ldt_catalog.errors import SourceRef
from ldt_catalog.model.catalog import Block, Catalog, Cluster, Contact, Image, Initiative, Link, Page, Section

PAGE = Page(name="Crafted_Page.md", path="tests/pages/Crafted_Page.md", sha256="0" * 64)


def _ref(line: int) -> SourceRef:
    return SourceRef(PAGE.path, line)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def make_cluster(slug: str = "crafted-cluster") -> Cluster:
    return Cluster(
        slug=slug,
        name="Crafted Cluster (tests)",
        title_from_file=False,
        description=(Block("paragraph", 'Intro with **bold**, (parentheses) and "quotes" = ok;', _ref(3)),),
        ref=_ref(1),
        page=PAGE,
        content_sha256=_sha(slug),
    )


def make_initiative(slug: str, name: str, line: int, mentions: tuple[str, ...] = ()) -> Initiative:
    description = Section(
        "Short Description",
        (
            Block(
                "paragraph",
                f'{name} (the "{name}" initiative) uses <NGSI-LD>; a=b.\nSecond line.',
                _ref(line + 3),
            ),
            Block("paragraph", "Ünïcödé — em dash and ‘curly’ quotes.", _ref(line + 5)),
        ),
        _ref(line + 2),
    )
    key_role = Section(
        "Key role in the LDT Ecosystem",
        (
            Block("paragraph", "It plays a role by:", _ref(line + 8)),
            Block("bullet", "Providing a framework (open).", _ref(line + 9)),
            Block("bullet", "Ensuring interoperability with FIWARE.", _ref(line + 10)),
        ),
        _ref(line + 7),
    )
    relevance = Section(
        "Relevance to LDT4SSC",
        (Block("bullet", "**Lead-in:** with a [link](https://example.org/a?b=c).", _ref(line + 13)),),
        _ref(line + 12),
    )
    return Initiative(
        slug=slug,
        name=name,
        full_title=f"{name} Full Title (long form)",
        acronym=None,
        ref=_ref(line),
        page=PAGE,
        content_sha256=_sha(slug),
        cluster_slug="crafted-cluster",
        description=description,
        key_role=key_role,
        relevance=relevance,
        assets=(Link("https://example.org/assets?x=1", "Assets (all)", _ref(line + 15)),),
        webpages=(Link(f"https://{slug}.example.org/", None, _ref(line + 17)),),
        contacts=(
            Contact(
                _ref(line + 19), kind="generic", email=f"contact@{slug}.example.org", label="General contact"
            ),
            Contact(
                _ref(line + 20),
                kind="person",
                name="Jane O'Doe",
                role="Coordinator",
                organization="ACME (EU)",
                email="jane@acme.example.org",
            ),
            Contact(_ref(line + 21), kind="generic", url="https://example.org/contact", label="Contact page"),
        ),
        logo=Image("../assets/logo.png", f"{name} Logo", '{ width="130" }', _ref(line + 1), relative=True),
        other_sections=(
            Section(
                "Funding",
                (Block("paragraph", "Horizon Europe (grant 123).", _ref(line + 23)),),
                _ref(line + 22),
            ),
        ),
        mentions=mentions,
        field_refs={"name": _ref(line), "description": _ref(line + 2)},
    )


def make_catalog() -> Catalog:
    return Catalog(
        clusters=(make_cluster(),),
        initiatives=(
            make_initiative("alpha", "Alpha", 10, mentions=("beta",)),
            make_initiative("beta", "Beta", 40),
        ),
    )
