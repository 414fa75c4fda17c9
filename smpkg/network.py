"""The network picture: a resource and its neighbours, from picture-neighbours.rq's rows.

Nodes carry a kind (programme, organisation, country, framework, sector, grouping) for their
colour; an edge goes from subject to object of the curated statement, named by its property.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from .describe import compact

SMP = "https://w3id.org/smpkg/ontology#"
# Most specific first: a resource of two kinds takes the first.
KINDS = (
    ("Initiative", "programme"),
    ("Country", "country"),
    ("Organisation", "organisation"),
    ("PolicyInstrument", "framework"),
    ("Sector", "sector"),
    ("Grouping", "grouping"),
)
KIND_NAMES = tuple(name for _, name in KINDS)


def kind_of(class_iris: Iterable[str]) -> str:
    names = {iri.removeprefix(SMP) for iri in class_iris}
    return next((name for local, name in KINDS if local in names), "other")


@dataclass(frozen=True)
class Node:
    id: str  # the IRI
    label: str
    kind: str
    key: str  # the CURIE, for URLs


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    relation: str  # the CURIE of the property
    label: str


@dataclass(frozen=True)
class Neighbourhood:
    focus: Node
    nodes: tuple[Node, ...]  # the neighbours, by label
    edges: tuple[Edge, ...]

    def as_json(self) -> dict:
        return {
            "focus": asdict(self.focus),
            "nodes": [asdict(n) for n in (self.focus, *self.nodes)],
            "edges": [asdict(e) for e in self.edges],
        }

    @property
    def relations(self) -> list[tuple[str, str]]:
        """(CURIE, label) of the relations present, by label."""
        return sorted({(e.relation, e.label) for e in self.edges}, key=lambda r: r[1].casefold())


def focus_node(iri: str, rows: Iterable[Mapping[str, str]]) -> Node | None:
    """The centre from picture-node.rq's rows; None when the graph says nothing of it."""
    rows = list(rows)
    label = next((r["label"] for r in rows if r.get("label")), "")
    kinds = [r["kind"] for r in rows if r.get("kind")]
    if not label and not kinds:
        return None
    return Node(iri, label or compact(iri), kind_of(kinds), compact(iri))


def neighbourhood(focus: Node, rows: Iterable[Mapping[str, str]]) -> Neighbourhood:
    kinds: dict[str, list[str]] = {}
    labels: dict[str, str] = {}
    edges: dict[tuple[str, str, str], Edge] = {}
    for row in rows:
        node = row["node"]
        kinds.setdefault(node, []).append(row["kind"])
        labels[node] = labels.get(node) or row.get("nodeLabel", "")
        relation = row["relation"]
        label = row.get("relationLabel") or relation.removeprefix(SMP)
        source, target = (focus.id, node) if row["direction"] == "out" else (node, focus.id)
        edges[(source, target, relation)] = Edge(source, target, compact(relation), label)
    nodes = [
        Node(iri, labels[iri] or compact(iri), kind_of(kinds[iri]), compact(iri))
        for iri in kinds
        if iri != focus.id
    ]
    nodes.sort(key=lambda n: (n.label.casefold(), n.id))
    ordered = sorted(edges.values(), key=lambda e: (e.label, e.source, e.target))
    return Neighbourhood(focus, tuple(nodes), tuple(ordered))


CSV_COLUMNS = (
    "source",
    "sourceName",
    "relation",
    "relationName",
    "target",
    "targetName",
    "targetKind",
)


def csv_rows(shown: View) -> list[dict[str, str]]:
    return [
        {
            "source": e.source,
            "sourceName": shown.nodes[e.source].label,
            "relation": e.relation,
            "relationName": e.label,
            "target": e.target,
            "targetName": shown.nodes[e.target].label,
            "targetKind": shown.nodes[e.target].kind,
        }
        for e in shown.edges
    ]


@dataclass(frozen=True)
class View:
    """What the picture shows: the centre, the nodes expanded, and the edges of all of them
    whose relation is not hidden (each edge once)."""

    focus: Node
    nodes: dict[str, Node]  # by IRI, every node drawn
    edges: tuple[Edge, ...]
    relations: tuple[tuple[str, str], ...]  # every relation present, hidden or not
    expanded: tuple[str, ...]  # CURIEs


def view(hoods: list[Neighbourhood], hidden: set[str]) -> View:
    """The picture of the first neighbourhood (the centre) expanded by the others."""
    nodes: dict[str, Node] = {}
    edges: dict[tuple[str, str, str], Edge] = {}
    relations: set[tuple[str, str]] = set()
    for hood in hoods:
        for node in (hood.focus, *hood.nodes):
            nodes.setdefault(node.id, node)
        for edge in hood.edges:
            relations.add((edge.relation, edge.label))
            if edge.relation not in hidden:
                edges.setdefault((edge.source, edge.target, edge.relation), edge)
    return View(
        hoods[0].focus,
        nodes,
        tuple(edges.values()),
        tuple(sorted(relations, key=lambda r: r[1].casefold())),
        tuple(h.focus.key for h in hoods[1:]),
    )
