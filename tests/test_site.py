"""The static catalogue site: content, links, safety against hostile pages, JSON-LD, determinism."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from pyld import jsonld

from ldt_catalog.errors import LdtCatalogError
from ldt_catalog.site import graph as site_graph
from ldt_catalog.site import jsonld as site_jsonld
from ldt_catalog.site import markdown as site_markdown
from ldt_catalog.site import parallel as site_parallel
from ldt_catalog.site import read_logos, read_queries, render_site, write_site
from ldt_catalog.site import render as site_render
from ldt_catalog.site.model import read_catalogue

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = "urn:ngsi-ld:Cluster:c1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32


def build_entities(pages: Path, out: Path) -> list[dict[str, Any]]:
    """Entities as the CLI writes them (the site's real input)."""
    command = [sys.executable, "-m", "ldt_catalog", "build", str(pages), "--out", str(out)]
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    entities: list[dict[str, Any]] = json.loads((out / "entities.jsonld").read_text(encoding="utf-8"))
    return entities


@pytest.fixture(scope="session")
def seed_entities(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    return build_entities(ROOT / "seed", tmp_path_factory.mktemp("seed-build"))


def lang(text: str) -> dict[str, Any]:
    return {"type": "LanguageProperty", "languageMap": {"en": text}}


def initiative(slug: str, name: str, **attributes: Any) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "id": f"urn:ngsi-ld:Initiative:{slug}",
        "type": "Initiative",
        "name": lang(name),
        "isPartOf": {"type": "Relationship", "object": CLUSTER},
    }
    entity.update(attributes)
    return entity


def cluster(iri: str = CLUSTER, name: str = "Cluster One") -> dict[str, Any]:
    return {"id": iri, "type": "Cluster", "name": lang(name), "description": lang("A **cluster**.")}


def mentions(*slugs: str) -> list[dict[str, Any]]:
    return [{"type": "Relationship", "object": f"urn:ngsi-ld:Initiative:{s}"} for s in slugs]


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text of each <script>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False if tag == "script" else self._in_script

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts[-1] += data


def parse(content: bytes) -> Tags:
    parser = Tags()
    parser.feed(content.decode("utf-8"))
    parser.close()
    return parser


def html_files(files: dict[str, bytes]) -> Iterator[tuple[str, bytes]]:
    return ((p, c) for p, c in sorted(files.items()) if p.endswith(".html"))


def test_seed_site_has_every_page_and_its_content(seed_entities: list[dict[str, Any]]) -> None:
    files = render_site(seed_entities, data_files=["entities.jsonld", "catalog.ttl"], queries=read_queries())
    for path in ("index.html", "graph.html", "data.html", "assets/site.css", "assets/site.js"):
        assert path in files
    duet = files["initiatives/duet.html"].decode()
    assert "<h1>DUET</h1>" in duet and "Digital Urban European Twins" in duet
    assert "<strong>Policy-Ready Data as a Service (PRDaaS)</strong>" in duet  # Markdown rendered
    assert (
        '<a href="https://www.digitalurbantwins.com/technology-outputs" rel="noopener">Technology Outputs</a>'
        in duet
    )
    assert (
        "DUET Contact Page" in duet and "Local_Digital_Twins_Related_Initiatives.md, line 43</code>" in duet
    )
    assert 'href="../clusters/local-digital-twins-related-initiatives.html"' in duet
    assert 'aria-label="DUET Project Logo"' in duet  # the logo's alt text, on its stand-in
    index = files["index.html"].decode()
    assert index.count("<li data-k=") == 2 and 'for="q"' in index and "assets/site.js" in index
    data = files["data.html"].decode()
    assert 'href="../entities.jsonld"' in data and 'href="../catalog.ttl"' in data and "dcat.ttl" not in data
    assert 'href="queries/webpages.rq"' in data and "queries/webpages.rq" in files
    assert "sitemap.xml" not in files  # no base URL: a sitemap needs absolute URLs


def test_every_relative_link_resolves(seed_entities: list[dict[str, Any]]) -> None:
    entities = [*seed_entities, *crafted_entities()]
    files = render_site(entities, data_files=["entities.jsonld"], queries=read_queries())
    checked = 0
    for path, content in html_files(files):
        for tag, attrs in parse(content).tags:
            target = attrs.get("href") or attrs.get("src") if tag in ("a", "link", "script", "img") else None
            if not target or target.startswith(("https://", "http://", "mailto:", "#")):
                continue
            resolved = PurePosixPath(path).parent / target.split("#")[0]
            parts: list[str] = []
            for part in resolved.parts:
                if part == "..":
                    parts.pop() if parts else parts.append("..")
                elif part != ".":
                    parts.append(part)
            name = "/".join(parts)
            assert name in files or name == "../entities.jsonld", f"{path}: broken link {target}"
            checked += 1
    assert checked > 50


def crafted_entities() -> list[dict[str, Any]]:
    return [
        cluster(),
        initiative("alpha", "Alpha", title=lang("Alpha full title"), mentions=mentions("beta", "gamma")),
        initiative("beta", "Beta", mentions=mentions("alpha")[0]),
        initiative("gamma", "Gamma", isPartOf=None),
    ]


def test_mentions_link_both_ways_and_to_clusters() -> None:
    files = render_site(crafted_entities())
    alpha = files["initiatives/alpha.html"].decode()
    gamma = files["initiatives/gamma.html"].decode()
    assert re.search(r"<dt>Mentions</dt><dd>.*initiatives/beta.html.*initiatives/gamma.html", alpha)
    assert re.search(r"<dt>Mentioned by</dt><dd>.*initiatives/beta.html", alpha)
    assert re.search(r"<dt>Mentioned by</dt><dd><a href=\"../initiatives/alpha.html\">Alpha</a></dd>", gamma)
    assert "Not in a cluster" in files["index.html"].decode()  # gamma has no cluster
    cluster_page = files["clusters/c1.html"].decode()
    assert (
        "initiatives/alpha.html" in cluster_page and "initiatives/gamma.html" in cluster_page
    )  # gamma: grey


def hostile_entities() -> list[dict[str, Any]]:
    evil = "</script><script>alert(1)</script><!-- <img src=x onerror=alert(2)>"
    text = (
        "Hi <script>alert(3)</script> <img src=x onerror=alert(4)> [click](javascript:alert(5)) "
        "[c2](JaVaScRiPt&#58;alert(6)) <javascript:alert(7)> ![img](https://tracker.example/x.png) "
        '<a href="javascript:alert(8)">a</a> <iframe src=//evil.example></iframe>\n\n# Heading'
    )
    return [
        cluster(CLUSTER, evil),
        initiative(
            "../../etc/passwd",
            evil,
            title=lang(evil),
            alternateName=lang('"><svg onload=alert(9)>'),
            description=lang(text),
            relevance=lang(text),
            url={
                "type": "JsonProperty",
                "json": [{"url": "javascript:alert(10)"}, {"url": " data:text/html,x"}],
            },
            keyAsset={"type": "JsonProperty", "json": [{"url": "vbscript:x", "title": evil}]},
            contactPoint={
                "type": "JsonProperty",
                "json": [{"fn": evil, "email": 'a"onmouseover="x@y', "url": "javascript:1"}],
            },
            logo={"type": "JsonProperty", "json": {"url": "https://tracker.example/logo.png", "alt": evil}},
            provenance={"type": "JsonProperty", "json": {"page": evil, "line": "7"}},
            mentions=mentions("../../x"),
        ),
    ]


def test_hostile_pages_cannot_run_script_or_reach_other_hosts() -> None:
    files = render_site(hostile_entities(), base_url="https://site.example/catalogue/")
    assert all(not p.startswith(("/", "..")) and ".." not in p.split("/") for p in files)
    assert "initiatives/passwd.html" in files
    for path, content in html_files(files):
        page = parse(content)
        for tag, attrs in page.tags:
            assert tag not in ("iframe", "object", "embed", "img"), (path, tag)
            if tag == "script":
                assert (
                    attrs.get("src", "").endswith("assets/site.js")
                    or attrs.get("type") == "application/ld+json"
                )
            for name, value in attrs.items():
                assert not name.startswith("on"), (path, tag, name)
                if name in ("href", "src", "action"):
                    assert not re.match(r"\s*(javascript|vbscript|data):", value, re.I), (path, value)
                loads = tag == "link" and attrs.get("rel") not in ("canonical", "alternate")
                if name == "src" or (loads and name == "href"):
                    assert "://" not in value, (path, value)  # nothing is loaded from another host
        ld = [s for s in page.scripts if s.strip().startswith("{")]
        for script in ld:
            assert "</" not in script and "<!--" not in script
            json.loads(script)  # still valid JSON, with the escapes
        assert b"<script>alert" not in content and b"<h1>Heading" not in content
    page_text = files["initiatives/passwd.html"].decode()
    assert "Hi &lt;script&gt;alert(3)&lt;/script&gt;" in page_text  # raw HTML is shown as text
    assert "<h3>Heading</h3>" in page_text  # under the page's own h1 and h2


def test_jsonld_of_every_page_is_schema_org_rdf_naming_its_subject(
    seed_entities: list[dict[str, Any]],
) -> None:
    entities = [*seed_entities, *crafted_entities(), *hostile_entities()[1:]]
    files = render_site(entities, base_url="https://site.example/ldt/")

    def loader(url: str, options: Any = None) -> dict[str, Any]:
        if url.rstrip("/") in ("https://schema.org", "http://schema.org"):
            return {
                "contextUrl": None,
                "documentUrl": url,
                "document": {"@context": {"@vocab": "https://schema.org/"}},
            }
        raise AssertionError(f"fetch of {url}")

    pages = 0
    for path, content in html_files(files):
        if not path.startswith(("initiatives/", "clusters/")):
            continue
        scripts = [s for s in parse(content).scripts if s.strip()]
        assert len(scripts) == 1, path
        document = json.loads(scripts[0])
        beside = path.removesuffix(".html") + ".jsonld"
        assert json.loads(files[beside]) == document
        assert (
            f'<link rel="alternate" type="application/ld+json" href="{PurePosixPath(beside).name}">'
            in content.decode()
        )
        dataset = jsonld.to_rdf(document, {"documentLoader": loader})
        triples = {
            (t["predicate"]["value"], t["object"]["value"])
            for t in dataset["@default"]
            if t["subject"]["value"] == document["@id"]
        }
        assert ("https://schema.org/name", document["name"]) in triples
        assert ("https://schema.org/mainEntityOfPage", f"https://site.example/ldt/{path}") in triples
        pages += 1
    assert pages == 1 + 2 + 3 + 1 + 1  # clusters: seed's and c1; initiatives: 2 + 3 + 1 hostile
    duet = json.loads(files["initiatives/duet.jsonld"])
    assert duet["@type"] == "Project" and duet["@id"] == "urn:ngsi-ld:Initiative:duet"
    assert (
        duet["isPartOf"][0]["@id"]
        == json.loads(files["clusters/local-digital-twins-related-initiatives.jsonld"])["@id"]
    )
    assert duet["contactPoint"][0]["url"] == "https://www.digitalurbantwins.com/contact-8"
    alpha = json.loads(files["initiatives/alpha.jsonld"])
    assert [m["@id"] for m in alpha["mentions"]] == [
        "urn:ngsi-ld:Initiative:beta",
        "urn:ngsi-ld:Initiative:gamma",
    ]


def test_two_renders_and_any_input_order_give_the_same_bytes(seed_entities: list[dict[str, Any]]) -> None:
    entities = [*seed_entities, *crafted_entities()]
    first = render_site(entities, base_url="https://x.example/", queries=read_queries())
    again = render_site(list(reversed(entities)), base_url="https://x.example/", queries=read_queries())
    assert first == again
    assert not re.search(rb"20\d\d-\d\d-\d\dT", b"".join(first.values()))  # no timestamps


def test_base_url_gives_sitemap_and_canonical_urls_but_links_stay_relative() -> None:
    files = render_site(crafted_entities(), base_url="https://x.example/ldt")
    sitemap = files["sitemap.xml"].decode()
    assert "<loc>https://x.example/ldt/initiatives/alpha.html</loc>" in sitemap
    assert sitemap.count("<loc>") == sum(1 for p in files if p.endswith(".html"))
    alpha = files["initiatives/alpha.html"].decode()
    assert '<link rel="canonical" href="https://x.example/ldt/initiatives/alpha.html">' in alpha
    assert 'href="../index.html"' in alpha and 'href="https://x.example/ldt/index.html"' not in alpha


def test_odd_entity_shapes_are_read_defensively() -> None:
    entities: list[Any] = [
        "not an entity",
        {"type": "Initiative"},  # no id
        {"id": "urn:x:Other:1", "type": "Thing"},
        cluster(),
        {
            "id": "urn:ngsi-ld:Initiative:odd",
            "type": ["Initiative"],
            "name": [lang("Odd"), lang("Other name")],
            "description": {"type": "Property", "value": "plain *value*"},
            "url": {"type": "JsonProperty", "json": "https://odd.example"},
            "keyAsset": {
                "type": "JsonProperty",
                "json": [{"url": "https://a.example"}, "https://b.example", 7],
            },
            "contactPoint": {
                "type": "JsonProperty",
                "json": [
                    {
                        "fn": "Ada L.",
                        "role": "Coordinator",
                        "organization-name": "Odd Org",
                        "email": "mailto:ada@odd.example",
                        "note": "Mondays",
                    },
                    "info@odd.example",
                ],
            },
            "logo": {"type": "JsonProperty", "json": "https://odd.example/logo.png"},
            "isPartOf": [{"type": "Relationship", "object": CLUSTER}],
            "mentions": {"type": "Relationship", "object": "urn:ngsi-ld:Initiative:missing"},
        },
        initiative("bare", "Bare"),
    ]
    files = render_site(entities)
    odd = files["initiatives/odd.html"].decode()
    assert (
        "<em>value</em>" in odd and 'href="https://odd.example"' in odd and 'href="https://b.example"' in odd
    )
    assert "<strong>Ada L.</strong> (Coordinator, Odd Org)" in odd and 'href="mailto:ada@odd.example"' in odd
    assert "Mondays" in odd and 'href="mailto:info@odd.example"' in odd
    assert "logo.png" not in odd.split("<main", 1)[1].split("</h1>", 1)[0]  # not loaded from elsewhere
    document = json.loads(files["initiatives/odd.jsonld"])
    assert (
        document["logo"] == "https://odd.example/logo.png" and document["contactPoint"][0]["name"] == "Ada L."
    )
    assert (
        "initiatives/bare.html" in files
        and len([p for p in files if p.startswith("initiatives/") and p.endswith(".html")]) == 2
    )


def test_pictures_stay_readable_for_big_hubs() -> None:
    members = [
        initiative(
            f"i{n:03d}",
            f"I{n:03d}",
            mentions=mentions(f"i{(n * 7) % 150:03d}", f"o{n % 40:02d}") if n % 3 == 0 else None,
        )
        for n in range(150)
    ]
    others = [
        initiative(
            f"o{n:02d}", f"O{n:02d}", isPartOf={"type": "Relationship", "object": "urn:ngsi-ld:Cluster:c2"}
        )
        for n in range(40)
    ]
    files = render_site([cluster(), cluster("urn:ngsi-ld:Cluster:c2", "Cluster Two"), *members, *others])
    overview = files["graph.html"].decode()
    assert overview.count('class="node cluster"') == 2 and 'class="node initiative"' not in overview
    assert 'class="across"' in overview
    page = files["clusters/c1.html"].decode()
    nodes = page.count('class="node ')
    assert site_graph.CLUSTER_LIMIT < nodes <= site_graph.CLUSTER_LIMIT + site_graph.OTHER_LIMIT
    assert (
        "most connected" in page and page.count('><a href="../initiatives/') >= 150
    )  # the list stays complete
    small = render_site(crafted_entities())["graph.html"].decode()
    assert small.count('class="node initiative"') == 3 and small.count('class="mention"') == 3


def test_logos_are_copied_when_given_as_raster_images(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "a.png").write_bytes(PNG)
    (tmp_path / "assets" / "b.svg").write_bytes(b"<svg onload='alert(1)'/>")
    pages = tmp_path / "pages"
    pages.mkdir()
    entities = [
        cluster(),
        initiative(
            "a", "A", logo={"type": "JsonProperty", "json": {"url": "../assets/a.png", "alt": "A's logo"}}
        ),
        initiative("b", "B", logo={"type": "JsonProperty", "json": {"url": "../assets/b.svg", "alt": "B"}}),
    ]
    logos = read_logos(entities, pages)
    assert set(logos) == {"../assets/a.png"}
    files = render_site(entities, logos={**logos, "../assets/b.svg": b"<svg onload='alert(1)'/>"})
    copied = [p for p in files if p.startswith("logos/")]
    assert len(copied) == 1 and files[copied[0]] == PNG
    assert f'<img src="../{copied[0]}" alt="A\'s logo">' in files["initiatives/a.html"].decode()
    assert "<img" not in files["initiatives/b.html"].decode()


def test_write_site_writes_files_and_refuses_paths_outside(tmp_path: Path) -> None:
    files = render_site(crafted_entities())
    assert write_site(files, tmp_path / "site") == len(files)
    assert (tmp_path / "site" / "initiatives" / "alpha.html").read_bytes() == files["initiatives/alpha.html"]
    with pytest.raises(LdtCatalogError):
        write_site({"../escape.html": b"x"}, tmp_path / "site")
    assert not (tmp_path / "escape.html").exists()


def test_two_processes_render_the_same_bytes_as_one(seed_entities: list[dict[str, Any]]) -> None:
    entities = [*seed_entities, *crafted_entities(), *hostile_entities()]
    assert render_site(entities, workers=2, base_url="https://x.example/") == render_site(
        entities, workers=1, base_url="https://x.example/"
    )


def test_fast_summary_matches_its_regular_expression() -> None:
    """``plain_text`` skips the regex when it can; the answers must not change."""
    markup = re.compile(r"\]\([^)]*\)|[*_`#>\[\]]+")
    rng = random.Random(11)
    pieces = ["**", "*", "***", "a", "bc", " ", "\n", ":", ".", "_", "`", "#", ">", "[x]", "](u)", "](", "é"]
    pieces += ["word " * 20]
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 30)))
        for limit in (5, 40, 300):
            flat = " ".join(markup.sub(" ", text[: limit * 2]).split())
            expected = flat if len(flat) <= limit else flat[: limit - 1].rsplit(" ", 1)[0] + "…"
            assert site_markdown.plain_text(text, limit) == expected, (text, limit)


def test_details_read_later_are_the_details_read_at_once(seed_entities: list[dict[str, Any]]) -> None:
    entities = [*seed_entities, *crafted_entities(), *hostile_entities()]
    whole = read_catalogue(entities)
    light = read_catalogue(entities, details=False)
    assert not any(i.detailed for i in light.initiatives) and light.initiatives[0].sections == ()
    assert [light.details(i) for i in light.initiatives] == whole.initiatives


def test_two_processes_share_many_chunks_and_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    entities = [
        cluster(),
        *(initiative(f"i{n:02d}", f"I{n:02d}", mentions=mentions("i00")) for n in range(40)),
    ]
    monkeypatch.setattr(site_render, "_CHUNK", 3)  # 14 chunks, taken by whichever process is free
    one = render_site(entities, workers=1)
    assert render_site(entities, workers=2) == one
    with monkeypatch.context() as without:
        without.delattr(site_parallel.os, "memfd_create")  # as where there is none: files come by pipe
        assert render_site(entities, workers=2) == one

    chunks = site_parallel.Chunks(10, 3, shared=True)

    def work(deliver: Callable[[dict[str, bytes]], None]) -> list[list[int]]:
        taken = []
        for part in iter(chunks.take, None):
            deliver({f"{n}.html": str(n).encode() * 9000 for n in part} | {f"{part[0]}.empty": b""})
            taken.append(list(part))
        return taken

    with site_parallel.helper(work) as mine:
        theirs = [list(r) for r in iter(chunks.take, None)]
        mine.collect()
        files, taken = mine.result()
    numbers = sorted(n for r in [*taken, *theirs] for n in r)
    assert numbers == list(range(10))  # each item once, to one process or the other
    assert files == {
        name: content
        for part in taken
        for name, content in [
            *((f"{n}.html", str(n).encode() * 9000) for n in part),
            (f"{part[0]}.empty", b""),
        ]
    }

    def broken(deliver: Callable[[dict[str, bytes]], None]) -> None:
        raise ValueError("no page for urn:x")

    with pytest.raises(LdtCatalogError, match="no page for urn:x"), site_parallel.helper(broken) as failing:
        failing.result()


def test_initiative_json_is_the_documents_sorted_compact_json(seed_entities: list[dict[str, Any]]) -> None:
    odd = 'Quote " back\\slash </script> <!-- & \u2028 \x01 tab\t é 漢 \U0001f600'
    contacts = [
        {"name": odd, "role": odd, "organization": odd, "note": odd, "email": odd, "url": "https://c.example"}
    ]
    contacts += [{"label": "Desk", "url": "ftp://no.example"}, "x@y.example"]
    entities = [
        *seed_entities,
        *crafted_entities(),
        *hostile_entities(),
        initiative(
            "odd",
            odd,
            title=lang(odd),
            alternateName=[lang("Other"), lang(odd)],
            description=lang(f"**{odd}** and `code`"),
            url={
                "type": "JsonProperty",
                "json": ["https://a.example/é", "javascript:x", "https://b.example"],
            },
            keyAsset={
                "type": "JsonProperty",
                "json": [{"url": "https://k.example", "title": odd}, "https://l.example"],
            },
            contactPoint={"type": "JsonProperty", "json": contacts},
            logo={"type": "JsonProperty", "json": {"url": "https://logo.example/x.png", "alt": odd}},
            mentions=mentions("alpha", "beta"),
        ),
    ]
    catalogue = read_catalogue(entities)
    checked = 0
    for item in catalogue.initiatives:
        clusters = [c for c in catalogue.clusters if c.iri in item.cluster_iris]
        cited = [m for m in catalogue.initiatives if m.iri in item.mention_iris]
        for page_url, logo_url in ((None, None), ("https://s.example/p.html", "https://s.example/l.png")):
            document = site_jsonld.initiative_document(item, page_url, clusters, cited)
            if logo_url:
                document["logo"] = logo_url
            assert site_jsonld.initiative_json(
                item, page_url, clusters, cited, logo_url
            ) == site_jsonld.dumps(document), item.iri
            checked += 1
    assert checked == 2 * len(catalogue.initiatives) >= 14 and any(
        i.contacts and i.assets and i.mention_iris for i in catalogue.initiatives
    )
