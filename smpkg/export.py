"""Exports of the built graph in every common RDF format, named graphs kept where the format
can carry them."""

from __future__ import annotations

from pathlib import Path

from rdflib import Dataset, Graph

from .build import KnowledgeGraph
from .errors import UnsupportedFormat
from .formats import GRAPH_FORMATS, Format, lookup, serialize_graph
from .namespaces import bind_all

PARTS = ("ontology", "asserted", "inferred", "full")


def part_graph(kg: KnowledgeGraph, part: str, asserted_only: bool = False) -> Graph | Dataset:
    """One part of the dataset: a single named graph, or `full` as a Dataset of all three."""
    if part == "full":
        return kg.dataset(include_inferred=not asserted_only)
    if part not in ("ontology", "asserted", "inferred"):
        raise UnsupportedFormat(part, list(PARTS))
    return getattr(kg, part)


def export_bytes(
    kg: KnowledgeGraph, fmt_name: str, part: str = "full", asserted_only: bool = False
) -> bytes:
    fmt = graph_format(fmt_name)
    graph = part_graph(kg, part, asserted_only)
    if isinstance(graph, Dataset) and not fmt.quads:
        # Triple formats cannot name graphs: the union is written instead.
        merged = bind_all(Graph())
        for s, p, o, _ in graph.quads((None, None, None, None)):
            merged.add((s, p, o))
        graph = merged
    return serialize_graph(graph, fmt)


def graph_format(name: str) -> Format:
    fmt = lookup(name)
    if fmt is None or fmt not in GRAPH_FORMATS:
        raise UnsupportedFormat(name, [f.key for f in GRAPH_FORMATS])
    return fmt


def export_to(
    kg: KnowledgeGraph, target: Path, fmt_name: str, part: str = "full", asserted_only: bool = False
) -> Path:
    target.write_bytes(export_bytes(kg, fmt_name, part, asserted_only))
    return target
