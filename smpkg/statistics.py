"""The dataset's VoID-style counts: triples, entities, classes, properties, distinct subjects
and objects, for the default graph (the union of the named graphs) and each named graph.

One definition, two ways to count: `sparql_statistics` asks an engine with SPARQL aggregates
(the oxigraph engine and external stores, which scan their indexes themselves), and
`dataset_statistics` counts rdflib's quads in Python for the rdflib engine. Both give the same
numbers (tests/test_store.py checks it).

The VoID description of a build counts more (`build_statistics`): instances per class,
triples per property, links to other datasets, vocabularies and sources, over the build's
graphs as rdflib holds them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from rdflib import URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF

from .namespaces import ID, PREFIXES, SMP

KEYS = ("triples", "entities", "classes", "properties", "distinct_subjects", "distinct_objects")


class Queryable(Protocol):
    name: str

    def execute(self, text: str) -> Any: ...


_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def sparql_statistics(engine: Queryable, graphs: Iterable[str], unnamed_triples: int) -> dict:
    """VoID-style counts for the default graph (the union) and each named graph, as
    `dataset_statistics` counts them over rdflib's quads, but by the engine with
    SPARQL aggregates (one query per graph and one for the union)."""

    def counts(pattern: str) -> dict[str, int]:
        answer = engine.execute(f"""SELECT * WHERE {{
  {{ SELECT (COUNT(*) AS ?triples) (COUNT(DISTINCT ?s) AS ?distinct_subjects)
            (COUNT(DISTINCT ?p) AS ?properties) (COUNT(DISTINCT ?o) AS ?distinct_objects)
     WHERE {{ {pattern} }} }}
  {{ SELECT (COUNT(DISTINCT ?s) AS ?entities) WHERE {{ {pattern} FILTER (isIRI(?s)) }} }}
  {{ SELECT (COUNT(DISTINCT ?o) AS ?classes)
     WHERE {{ {pattern} FILTER (?p = <{_RDF_TYPE}>) }} }}
}}""")
        row = dict(zip(answer.variables, answer.rows[0], strict=True))
        return {k: int(row[k]) for k in KEYS}

    named = {}
    for graph in graphs:
        found = counts(f"GRAPH <{graph}> {{ ?s ?p ?o }}")
        if found["triples"]:
            named[graph] = found
    return {
        "default": counts("{ SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }"),
        "graphs": dict(sorted(named.items())),
        "unnamed_triples": unnamed_triples,
        "engine": engine.name,
    }


def dataset_statistics(engine) -> dict:
    """VoID-style counts for the default graph (the union) and each named graph. The
    oxigraph engine and external stores count for themselves with SPARQL; rdflib's quads
    are counted here."""
    if hasattr(engine, "statistics"):
        return engine.statistics()
    rdf_type = str(RDF.type)
    # Per graph, distinct terms; the triples of a named graph are counted (a graph holds each
    # triple once), those of the union and of the unnamed graphs are collected, once each.
    per_graph: dict[str | None, dict[str, Any]] = {}
    union: set[tuple[str, str, str]] = set()
    unnamed: set[tuple[str, str, str]] = set()

    def add(graph: str | None, s: str, p: str, o: str, s_is_iri: bool):
        bucket = per_graph.get(graph)
        if bucket is None:
            bucket = per_graph[graph] = {
                "triples": 0,
                "subjects": set(),
                "properties": set(),
                "objects": set(),
                "classes": set(),
                "entities": set(),
            }
        bucket["triples"] += 1
        bucket["subjects"].add(s)
        bucket["properties"].add(p)
        bucket["objects"].add(o)
        if p == rdf_type:
            bucket["classes"].add(o)
        if s_is_iri:
            bucket["entities"].add(s)
        union.add((s, p, o))
        if graph is None:
            unnamed.add((s, p, o))

    for s, p, o, g in engine.dataset.quads((None, None, None, None)):
        ident = getattr(g, "identifier", g)
        name = (
            str(ident) if isinstance(ident, URIRef) and ident != DATASET_DEFAULT_GRAPH_ID else None
        )
        add(name, s.n3(), str(p), o.n3(), isinstance(s, URIRef))
    if None in per_graph:
        per_graph[None]["triples"] = len(unnamed)

    def counts(bucket: dict) -> dict[str, int]:
        return {
            "triples": bucket["triples"],
            "entities": len(bucket["entities"]),
            "classes": len(bucket["classes"]),
            "properties": len(bucket["properties"]),
            "distinct_subjects": len(bucket["subjects"]),
            "distinct_objects": len(bucket["objects"]),
        }

    everything: dict = {
        k: set() for k in ("subjects", "properties", "objects", "classes", "entities")
    }
    for bucket in per_graph.values():
        for k in everything:
            everything[k] |= bucket[k]
    everything["triples"] = len(union)
    return {
        "default": counts(everything),
        "graphs": {
            g: counts(b)
            for g, b in sorted(per_graph.items(), key=lambda i: i[0] or "")
            if g is not None
        },
        "unnamed_triples": len(unnamed),
        "engine": engine.name,
    }


@dataclass
class Counts:
    triples: int = 0
    entities: int = 0
    classes: int = 0
    properties: int = 0
    distinct_subjects: int = 0
    distinct_objects: int = 0


@dataclass
class Statistics:
    union: Counts
    graphs: dict[str, Counts]  # part name -> counts
    class_instances: Counter = field(default_factory=Counter)
    property_triples: Counter = field(default_factory=Counter)
    links: Counter = field(default_factory=Counter)  # (authority key, predicate) -> triples
    vocabularies: list[str] = field(default_factory=list)
    sources: list[URIRef] = field(default_factory=list)


def counts_of(triples: set) -> Counts:
    subjects = {s for s, _, _ in triples}
    return Counts(
        triples=len(triples),
        entities=sum(1 for s in subjects if isinstance(s, URIRef)),
        classes=len({o for _, p, o in triples if p == RDF.type}),
        properties=len({p for _, p, _ in triples}),
        distinct_subjects=len(subjects),
        distinct_objects=len({o for _, _, o in triples}),
    )


def build_statistics(kg, link_targets: Mapping[str, str]) -> Statistics:
    """The counts VoID gives of a build: per part and for the union, instances per class,
    triples per property, links per (`link_targets` key, predicate) to IRIs under that key's
    URI space, the vocabularies used, the source documents."""
    parts = {name: set(getattr(kg, name)) for name in ("ontology", "asserted", "inferred")}
    union = set().union(*parts.values())
    instances: dict = {}
    for s, p, o in union:
        if p == RDF.type:
            instances.setdefault(o, set()).add(s)
    links: Counter = Counter()
    for _s, p, o in union:
        if isinstance(o, URIRef):
            for key, uri_space in link_targets.items():
                if str(o).startswith(uri_space):
                    links[(key, p)] += 1
    used = {p for _, p, _ in union} | set(instances)
    vocabularies = sorted(
        {
            str(ns)
            for prefix, ns in PREFIXES.items()
            if not str(ns).startswith(str(ID)) and any(str(t).startswith(str(ns)) for t in used)
        }
    )

    sources = sorted(s for s in instances.get(SMP.SourceDocument, ()) if isinstance(s, URIRef))
    stats = Statistics(
        union=counts_of(union),
        graphs={name: counts_of(triples) for name, triples in parts.items()},
        class_instances=Counter({c: len(s) for c, s in instances.items()}),
        property_triples=Counter(p for _, p, _ in union),
        links=links,
        vocabularies=vocabularies,
        sources=sources,
    )
    return stats
