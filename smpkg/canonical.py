"""The one canonical form of the project's Turtle files: rdflib's `longturtle` (subjects and
predicates sorted, one statement per line) with the project prefixes and canonical blank-node
labels. Reformatting is
idempotent, so `smpkg format --check` in the tests keeps every diff reviewable."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph
from rdflib.compare import to_canonical_graph

from .load import parse_file
from .namespaces import bind_all


def canonical_turtle(path: Path) -> str:
    parsed = parse_file(path)
    # Blank nodes get content-derived labels first, so nested `[ ... ]` blocks sort the same
    # way on every run.
    graph = bind_all(Graph())
    for triple in to_canonical_graph(parsed):
        graph.add(triple)
    return graph.serialize(format="longturtle")
