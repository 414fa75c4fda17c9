"""The engine interface every query engine answers: `Engine.execute()` returns an `Answer`
(in rdflib terms) for a text and a `DatasetSpec`. Each engine asks the query guard
(smpkg.guard) first, in the query worker, so that what could write or reach the network never
reaches the engine."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rdflib import Graph
from rdflib.term import Identifier

READ_ONLY = (
    "SPARQL Update is not accepted: this endpoint is read-only "
    "(the graph is built from curated files; see the README)"
)
NO_SERVICE = (
    "SERVICE is disabled: this endpoint never makes outbound requests "
    "(federate from your own client instead)"
)


@dataclass
class Answer:
    """The result of a query, engine-neutral."""

    form: str  # "SELECT", "ASK", "CONSTRUCT" or "DESCRIBE"
    variables: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)  # rdflib terms or None, per variable
    boolean: bool | None = None
    triples: list[tuple] = field(default_factory=list)
    truncated: bool = False
    # Links for the `link` member of a SPARQL JSON/XML results head (e.g. the truncation note).
    links: list[str] = field(default_factory=list)

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")

    def graph(self) -> Graph:
        g = Graph()
        for triple in self.triples:
            g.add(triple)
        return g


@dataclass(frozen=True)
class DatasetSpec:
    """The SPARQL dataset a request asks for (protocol default-graph-uri / named-graph-uri)."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


NO_DATASET = DatasetSpec()


class Engine:
    name = "engine"

    def execute(
        self,
        text: str,
        dataset: DatasetSpec = NO_DATASET,
        bindings: Mapping[str, Identifier] | None = None,
        max_rows: int | None = None,
        base_iri: str | None = None,
    ) -> Answer:
        """Run one read-only query. `max_rows` caps SELECT rows and CONSTRUCT/DESCRIBE
        triples (Answer.truncated says so); `base_iri` resolves relative IRIs in the text."""
        raise NotImplementedError

    def graph_names(self) -> list[str]:
        raise NotImplementedError

    @functools.cached_property
    def held_graphs(self) -> frozenset[str]:
        """The named graphs a query's FROM / FROM NAMED may name (the guard's `graphs`):
        asked of the engine once, since its data never changes."""
        return frozenset(self.graph_names())

    def __len__(self) -> int:
        raise NotImplementedError


def cap(rows: Iterable, max_rows: int | None) -> tuple[list, bool]:
    if max_rows is None:
        return list(rows), False
    out: list = []
    for row in rows:
        if len(out) == max_rows:
            return out, True
        out.append(row)
    return out, False


def first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
