"""The one canonical form of the project's Turtle files: rdflib's `longturtle` (subjects and
predicates sorted, one statement per line) with the project prefixes. Reformatting is
idempotent, so `smpkg format --check` in the tests keeps every diff reviewable."""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph

from .load import parse_file
from .namespaces import bind_all


def canonical_turtle(path: Path) -> str:
    graph = bind_all(Graph())
    parse_file(path, graph)
    return graph.serialize(format="longturtle")
