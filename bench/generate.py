"""A synthetic knowledge hub: N initiatives spread over pages (clusters), modelled on the seed page.

Each initiative has what ``seed/Local_Digital_Twins_Related_Initiatives.md`` has, with text of the
same size: a heading ``NAME – Full title`` (one in five ``Full title (ACRONYM)``), a logo, a two
paragraph Short Description, a key-role lead-in with five bullets, relevance bullets with bold
lead-ins, key assets as ``[[t](u), ...]``, a webpage and one to three contact points.  Text is
drawn from word lists with a seeded RNG, so a given ``(n, seed)`` always gives the same pages.
About one initiative in six names one or two others (by short name or full title), so ``mentions``
are exercised; a few assets are shared between initiatives, as real hubs link common resources.

    python bench/generate.py --n 1000 --out /tmp/hub
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CITIES = (
    "Valencia", "Pilsen", "Athens", "Flanders", "Tampere", "Rotterdam", "Bologna", "Porto", "Lyon",
    "Gdansk", "Tallinn", "Vienna", "Aarhus", "Bilbao", "Dublin", "Ljubljana", "Riga", "Turin",
    "Helsinki", "Munich", "Eindhoven", "Brno", "Cluj", "Malmo", "Ghent", "Zagreb", "Seville",
)  # fmt: skip
SECTORS = (
    "mobility", "energy", "environment", "urban planning", "water management", "air quality",
    "health", "tourism", "emergency response", "waste management", "public lighting", "heat islands",
    "flood risk", "noise", "logistics", "building renovation", "green spaces", "citizen engagement",
)  # fmt: skip
TECH = (
    "NGSI-LD", "FIWARE", "Gaia-X", "IoT sensors", "GIS", "BIM", "AI models", "3D city models",
    "open data portals", "edge computing", "simulation engines", "data spaces", "digital platforms",
    "CityGML", "OGC SensorThings", "machine learning", "dashboards", "semantic models",
)  # fmt: skip
POLICIES = (
    "Digital Decade 2030", "Data Governance Act", "AI Act", "GDPR", "Green Deal", "Data Act",
    "INSPIRE Directive", "Open Data Directive", "Interoperable Europe Act",
)  # fmt: skip
NOUNS = (
    "Twin", "Hub", "Lab", "Platform", "Observatory", "Network", "Alliance", "Toolkit", "Space",
    "Bridge", "Compass", "Pilot", "Forum", "Studio", "Engine",
)  # fmt: skip
ADJECTIVES = (
    "Urban", "Smart", "Green", "Open", "Resilient", "Connected", "Digital", "Civic", "Federated",
    "Sustainable", "Local", "Shared", "Circular", "Inclusive", "Interoperable",
)  # fmt: skip
VERBS = (
    "Providing", "Ensuring", "Supporting", "Facilitating", "Delivering", "Demonstrating", "Enabling",
    "Embedding", "Connecting", "Documenting", "Scaling", "Testing",
)  # fmt: skip
LEADS = (
    "Catalogue of LDT Tools and Services", "Best Practices and Governance Models",
    "Supporting Real-World LDT Pilots", "Integration with EU Data Spaces", "Open Standards",
    "Capacity Building", "Replicability", "Citizen Participation", "Policy-Ready Data as a Service",
)  # fmt: skip
FIRST = ("Anna", "Marco", "Eva", "Jonas", "Sofia", "Pieter", "Lena", "Tomas", "Ines", "Mikko")
LAST = ("Novak", "Rossi", "Janssens", "Kowalski", "Virtanen", "Silva", "Dubois", "Horvat", "Berg")
BR = "  "  # the seed ends most lines with two spaces (a Markdown hard break)
ROLES = ("Project Coordinator", "Technical Lead", "Communication Officer", "Data Steward")


@dataclass(frozen=True)
class Names:
    """The names of one initiative: ``short`` appears in headings and in other initiatives' text."""

    short: str
    title: str
    acronym_style: bool  # heading is ``Full title (SHORT)`` instead of ``SHORT – Full title``
    slug: str


def initiative_names(n: int, rng: random.Random) -> list[Names]:
    names = []
    for i in range(n):
        short = f"{rng.choice(ADJECTIVES)[:3].upper()}{rng.choice(NOUNS)[:3].upper()}{i:X}"
        title = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} for {rng.choice(SECTORS)} in {rng.choice(CITIES)} {i}"
        names.append(Names(short, title, rng.random() < 0.2, short.lower()))
    return names


def _sentence(rng: random.Random, subject: str) -> str:
    return rng.choice(
        (
            f"{subject} combines {rng.choice(TECH)} and {rng.choice(TECH)} to model {rng.choice(SECTORS)} "
            f"across {rng.choice(CITIES)} and {rng.choice(CITIES)}.",
            f"It helps public administrations (municipalities, regions, agencies) to simulate "
            f"{rng.choice(SECTORS)} scenarios before they decide, in line with the {rng.choice(POLICIES)}.",
            f"The work is tested in {rng.choice(CITIES)}, {rng.choice(CITIES)} and {rng.choice(CITIES)}, "
            f"three pilots with different levels of digital maturity.",
            f"Results are published as open specifications, reusable {rng.choice(TECH)} components and "
            f'"how-to" guides for cities that want to adopt Local Digital Twins.',
            f"A **one-stop resource** for {rng.choice(SECTORS)} data, it links {rng.choice(TECH)} with "
            f"{rng.choice(TECH)} so that models can be shared between cities.",
            f"Its governance model follows the {rng.choice(POLICIES)} and the {rng.choice(POLICIES)}, "
            f"reducing risks for projects on {rng.choice(SECTORS)}.",
        )
    )


def _paragraph(rng: random.Random, subject: str, sentences: int) -> str:
    return " ".join(_sentence(rng, subject) for _ in range(sentences))


def _bullet(rng: random.Random) -> str:
    return (
        f"{rng.choice(VERBS)} {rng.choice(TECH)} for {rng.choice(SECTORS)} and {rng.choice(SECTORS)} "
        f"(e.g., {rng.choice(CITIES)}, {rng.choice(CITIES)})."
    )


def initiative_markdown(me: Names, others: list[Names], rng: random.Random, shared_assets: list[str]) -> str:
    heading = f"{me.title} ({me.short})" if me.acronym_style else f"{me.short} – {me.title}"
    host = f"https://www.{me.slug}.example.eu"
    description = [_paragraph(rng, me.short, 4), _paragraph(rng, "The project", 4)]
    if others and rng.random() < 1 / 6:
        named = rng.sample(others, k=min(len(others), rng.choice((1, 2))))
        refs = " and ".join(o.short if rng.random() < 0.7 else o.title for o in named)
        description[1] += f" It builds on the results of {refs}."
    bullets = "\n".join(f"- {_bullet(rng)}{BR}" for _ in range(5))
    relevance = "\n".join(f"- **{lead}:** {_sentence(rng, me.short)}{BR}" for lead in rng.sample(LEADS, 4))
    assets = [
        f"[{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {k}]({host}/assets/{k})"
        for k in range(rng.randint(1, 4))
    ]
    if shared_assets and rng.random() < 0.1:
        assets.append(rng.choice(shared_assets))
    contacts = [f"- contact@{me.slug}.example.eu{BR}"]
    if rng.random() < 0.5:
        contacts.append(
            f"- **{rng.choice(FIRST)} {rng.choice(LAST)}**, {rng.choice(ROLES)} — "
            f"{me.short} Consortium — {rng.choice(FIRST).lower()}@{me.slug}.example.eu{BR}"
        )
    if rng.random() < 0.3:
        contacts.append(f"- [{me.short} Contact Page]({host}/contact){BR}")
    contact_lines = "\n".join(contacts)
    return f"""## {heading}{BR}

![{me.short} Logo](../assets/{me.slug}_logo.png){{ width="130" align="center" }}{BR}
---{BR}

**Short Description:**{BR}
{description[0]}{BR}

{description[1]}{BR}

**Key role in the LDT Ecosystem:**{BR}
{_paragraph(rng, me.short, 2)}{BR}

Within the ecosystem, {me.short} plays a critical role by:{BR}
{bullets}

**Relevance to LDT4SSC:**{BR}
The initiative contributes directly to LDT4SSC by:{BR}
{relevance}

**Key Assets and Resources:**{BR}
[{", ".join(assets)}]{BR}

**Webpage / Reference Link:**{BR}
[{host}]({host}){BR}

**Main contact point:**{BR}
{contact_lines}

"""


def page_sizes(n: int, rng: random.Random, low: int = 100, high: int = 500) -> list[int]:
    """How many initiatives each page holds: 100 to 500 (fewer for a small N)."""
    sizes: list[int] = []
    while sum(sizes) < n:
        sizes.append(min(rng.randint(low, high), n - sum(sizes)))
    return sizes


def pages(n: int, seed: int = 0) -> Iterator[tuple[str, str]]:
    """``(file name, markdown)`` of every page of an ``n``-initiative hub."""
    rng = random.Random(seed)
    names = initiative_names(n, rng)
    shared_assets = [
        f"[EU LDT Toolbox {k}](https://interoperable-europe.ec.europa.eu/ldt/{k})" for k in range(20)
    ]
    start = 0
    for number, size in enumerate(page_sizes(n, rng)):
        theme = rng.choice(SECTORS)
        title = f"{theme.title()} Initiatives {number + 1}"
        parts = [
            f"# {title}\n\n**{theme.title()}** initiatives of the LDT ecosystem: "
            f"{_paragraph(rng, 'This cluster', 2)}{BR}\n\n"
        ]
        for index in range(start, start + size):
            window = names[max(0, index - 2000) : index] + names[index + 1 : index + 2000]
            others = rng.sample(window, k=min(len(window), 3)) if window else []
            parts.append(initiative_markdown(names[index], others, rng, shared_assets))
        start += size
        yield f"Cluster_{number + 1:04d}_{theme.replace(' ', '_').title()}.md", "".join(parts)


def write_pages(n: int, out: Path, seed: int = 0) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in pages(n, seed):
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="number of initiatives")
    parser.add_argument("--out", type=Path, required=True, help="directory to write the pages into")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    paths = write_pages(args.n, args.out, args.seed)
    print(f"wrote {args.n} initiatives in {len(paths)} pages to {args.out}")


if __name__ == "__main__":
    main()
