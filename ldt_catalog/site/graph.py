"""Pictures of the ecosystem: SVG graphs laid out at build time with networkx.

What a person can read decides what is drawn.  A small hub (up to ``FULL_LIMIT`` initiatives) is
drawn whole: clusters, every initiative, ``isPartOf`` and ``mentions``.  A bigger one gets an
overview of clusters only (size by initiatives, edges by mentions across clusters) and, on each
cluster page, a picture of at most ``CLUSTER_LIMIT`` initiatives: the cluster's own when they fit,
otherwise those with the most mentions, with the initiatives they mention in other clusters drawn
grey.  Every list on the pages stays complete; the pictures are a map, not the index.

Layouts are networkx's Fruchterman-Reingold (``spring_layout``) with a fixed seed and coordinates
rounded to whole pixels, so the SVG is the same from one build to the next.  Each picture has at
most a few dozen nodes, so 36 of them at 10,000 initiatives cost a fraction of a second.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import networkx as nx

from .model import Catalogue, Cluster, Initiative

FULL_LIMIT = 60
CLUSTER_LIMIT = 30
OTHER_LIMIT = 15
WIDTH, HEIGHT, MARGIN = 960, 620, 70
SEED = 7
PALETTE = ("#1f5fa8", "#b3470e", "#1d7a46", "#7a3e9d", "#9a6a00", "#0f7a85", "#b02a5b", "#4a5a6a")

_esc = html.escape


@dataclass(frozen=True, slots=True)
class Node:
    key: str
    label: str
    href: str
    kind: str  # "cluster", "initiative" or "other" (an initiative of another cluster)
    colour: str
    radius: int
    tooltip: str


def colour_of(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _layout(graph: nx.Graph[str], iterations: int = 60) -> dict[str, tuple[int, int]]:
    """Node → rounded pixel position; positions are scaled into the picture's margins."""
    if graph.number_of_nodes() == 0:
        return {}
    if graph.number_of_nodes() == 1:
        return {next(iter(graph.nodes)): (WIDTH // 2, HEIGHT // 2)}
    # a longer ideal edge than the default (1/sqrt(n)) keeps a pair's two labels apart
    k = 3.0 / graph.number_of_nodes() ** 0.5
    raw = nx.spring_layout(graph, k=k, seed=SEED, iterations=iterations, weight="weight")
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    inner_w, inner_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    return {
        key: (
            round(MARGIN + (float(p[0]) - min(xs)) / span_x * inner_w),
            round(MARGIN + (float(p[1]) - min(ys)) / span_y * inner_h),
        )
        for key, p in raw.items()
    }


def _svg(
    title: str,
    nodes: Sequence[Node],
    edges: Sequence[tuple[str, str, str, float]],
    graph: nx.Graph[str],
) -> str:
    """SVG markup (to inline in a page): edges ``(a, b, kind, width)`` under linked, labelled nodes."""
    position = _layout(graph)
    parts = [
        f'<svg class="graph" viewBox="0 0 {WIDTH} {HEIGHT}" role="group" aria-labelledby="graph-title" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="graph-title">{_esc(title)}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" fill="#8a4b08"/>'
        "</marker></defs>",
        '<g class="edges">',
    ]
    radius = {n.key: n.radius for n in nodes}
    for a, b, kind, width in edges:
        (x1, y1), (x2, y2) = position[a], position[b]
        if kind == "mention":
            # stop the arrow at the target's rim so the head stays visible
            dx, dy = x2 - x1, y2 - y1
            length = max((dx * dx + dy * dy) ** 0.5, 1.0)
            x2, y2 = round(x2 - dx / length * (radius[b] + 3)), round(y2 - dy / length * (radius[b] + 3))
            parts.append(
                f'<line class="mention" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
                f'stroke-width="{width:g}" marker-end="url(#arrow)"/>'
            )
        else:
            parts.append(
                f'<line class="{kind}" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke-width="{width:g}"/>'
            )
    parts.append('</g><g class="nodes">')
    for node in nodes:
        x, y = position[node.key]
        anchor, dx = ("end", -node.radius - 4) if x > WIDTH - 200 else ("start", node.radius + 4)
        parts.append(
            f'<a href="{_esc(node.href)}" class="node {node.kind}">'
            f"<title>{_esc(node.tooltip)}</title>"
            f'<circle cx="{x}" cy="{y}" r="{node.radius}" fill="{node.colour}"/>'
            f'<text x="{x + dx}" y="{y + 4}" text-anchor="{anchor}">{_esc(node.label)}</text></a>'
        )
    parts.append("</g></svg>")
    return "".join(parts)


def full_picture(
    catalogue: Catalogue, href: Callable[[Initiative | Cluster], str], colours: dict[str, str]
) -> str:
    """Clusters, all initiatives, membership and mentions (a small hub)."""
    graph: nx.Graph[str] = nx.Graph()
    nodes: list[Node] = []
    edges: list[tuple[str, str, str, float]] = []
    for cluster in catalogue.clusters:
        graph.add_node(cluster.iri)
        label = f"{cluster.name} ({len(cluster.members)})"
        nodes.append(
            Node(cluster.iri, label, href(cluster), "cluster", colours[cluster.iri], 16, f"Cluster: {label}")
        )
    for initiative in catalogue.initiatives:
        graph.add_node(initiative.iri)
        colour = next((colours[c] for c in initiative.cluster_iris if c in colours), "#555")
        tip = f"{initiative.name}: {initiative.title}" if initiative.title else initiative.name
        nodes.append(Node(initiative.iri, initiative.name, href(initiative), "initiative", colour, 7, tip))
        for cluster_iri in initiative.cluster_iris:
            if cluster_iri in colours:
                graph.add_edge(initiative.iri, cluster_iri, weight=1.0)
                edges.append((initiative.iri, cluster_iri, "member", 1))
    for initiative in catalogue.initiatives:
        for target in initiative.mention_iris:
            if isinstance(catalogue.by_iri.get(target), Initiative):
                graph.add_edge(initiative.iri, target, weight=0.5)
                edges.append((initiative.iri, target, "mention", 1.5))
    return _svg("Ecosystem: clusters, initiatives and mentions", nodes, edges, graph)


def overview_picture(
    catalogue: Catalogue, href: Callable[[Initiative | Cluster], str], colours: dict[str, str]
) -> str:
    """Clusters only: node size by initiatives, edge width by mentions between two clusters."""
    home = {
        i.iri: i.cluster_iris[0]
        for i in catalogue.initiatives
        if i.cluster_iris and i.cluster_iris[0] in colours
    }
    across: Counter[tuple[str, str]] = Counter()
    for initiative in catalogue.initiatives:
        for target in initiative.mention_iris:
            a, b = home.get(initiative.iri), home.get(target)
            if a and b and a != b:
                across[(min(a, b), max(a, b))] += 1
    graph: nx.Graph[str] = nx.Graph()
    biggest = max((len(c.members) for c in catalogue.clusters), default=1) or 1
    nodes = []
    for cluster in catalogue.clusters:
        graph.add_node(cluster.iri)
        label = f"{cluster.name} ({len(cluster.members)})"
        radius = round(8 + 22 * (len(cluster.members) / biggest) ** 0.5)
        nodes.append(
            Node(
                cluster.iri,
                label,
                href(cluster),
                "cluster",
                colours[cluster.iri],
                radius,
                f"Cluster: {label}",
            )
        )
    most = max(across.values(), default=1)
    edges = []
    for (a, b), count in sorted(across.items()):
        graph.add_edge(a, b, weight=count / most)
        edges.append((a, b, "across", round(1 + 5 * count / most, 1)))
    return _svg("Ecosystem overview: clusters, linked by mentions between them", nodes, edges, graph)


def cluster_picture(
    catalogue: Catalogue,
    cluster: Cluster,
    href: Callable[[Initiative | Cluster], str],
    colours: dict[str, str],
) -> tuple[str, int]:
    """The cluster's initiatives and their mentions; returns the SVG and how many initiatives it left out."""
    members = {m.iri for m in cluster.members}
    if len(cluster.members) <= CLUSTER_LIMIT:
        chosen = list(cluster.members)
    else:
        # the most connected first: mentions are what a picture shows better than a list
        ranked = sorted(
            (m for m in cluster.members if m.mention_iris or m.mentioned_by),
            key=lambda m: (-(len(m.mention_iris) + len(m.mentioned_by)), m.name.casefold(), m.iri),
        )
        chosen = ranked[:CLUSTER_LIMIT]
    chosen_iris = {m.iri for m in chosen}
    graph: nx.Graph[str] = nx.Graph()
    nodes: list[Node] = []
    edges: list[tuple[str, str, str, float]] = []
    colour = colours.get(cluster.iri, "#555")

    def add(initiative: Initiative, kind: str) -> None:
        graph.add_node(initiative.iri)
        tip = f"{initiative.name}: {initiative.title}" if initiative.title else initiative.name
        fill = colour if kind == "initiative" else "#6b7280"
        nodes.append(
            Node(
                initiative.iri,
                initiative.name,
                href(initiative),
                kind,
                fill,
                8 if kind == "initiative" else 6,
                tip,
            )
        )

    for member in chosen:
        add(member, "initiative")
    others: dict[str, Initiative] = {}
    pairs: list[tuple[str, str]] = []
    for member in chosen:
        for target in member.mention_iris:
            pairs.append((member.iri, target))
        for source in member.mentioned_by:
            if source not in members:
                pairs.append((source, member.iri))
    for a, b in pairs:
        for end in (a, b):
            other = catalogue.by_iri.get(end)
            if end not in chosen_iris and end not in members and isinstance(other, Initiative):
                others.setdefault(end, other)
    # other clusters' initiatives fill what room is left, the most linked first (and cap the layout's cost)
    links_to: Counter[str] = Counter(end for pair in dict.fromkeys(pairs) for end in pair if end in others)
    room = max(CLUSTER_LIMIT + OTHER_LIMIT - len(chosen), 0)
    kept = sorted(others, key=lambda k: (-links_to[k], others[k].name.casefold(), k))[:room]
    others = {k: others[k] for k in sorted(kept, key=lambda k: (others[k].name.casefold(), k))}
    for iri in others:
        add(others[iri], "other")
    shown = chosen_iris | set(others)
    for a, b in dict.fromkeys(pairs):
        if a in shown and b in shown:
            graph.add_edge(a, b, weight=1.0)
            edges.append((a, b, "mention", 1.5))
    title = f"Initiatives of {cluster.name} and their mentions"
    return _svg(title, nodes, edges, graph), len(cluster.members) - len(chosen)
