"""The dataset's VoID-style counts: triples, entities, classes, properties, distinct subjects
and objects, for the default graph (the union of the named graphs) and each named graph.

One definition, two ways to count: `sparql_statistics` asks an engine with SPARQL aggregates
(the oxigraph engine and external stores, which scan their indexes themselves), and
`dataset_statistics` counts rdflib's quads in Python for the rdflib engine. Both give the same
numbers (tests/test_store.py checks it).

The VoID description of a build counts more (`store_statistics`): instances per class,
triples per property, links to other datasets, vocabularies and sources, and the usage the
ontology documentation shows, asked of the build's on-disk store once, at build time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from rdflib import URIRef
from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
from rdflib.namespace import RDF, RDFS

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


def text_statistics(triples: Mapping[str, Iterable[tuple]], graphs: Mapping[str, str]) -> dict:
    """The counts `sparql_statistics` asks an oxigraph store for, counted over the text
    triples a build has just written into it (`triples`: file stem -> its triples, each
    once; `graphs`: file stem -> graph IRI), so that the build does not scan the new store for
    them (at 200k data triples: 1.4 CPU s here, 3.5 by SPARQL on the store)."""
    rdf_type = f"<{_RDF_TYPE}>"

    def counts(found: set) -> dict[str, int]:
        subjects = {s for s, _, _ in found}
        return {
            "triples": len(found),
            "entities": sum(1 for s in subjects if s.startswith("<")),
            "classes": len({o for _, p, o in found if p == rdf_type}),
            "properties": len({p for _, p, _ in found}),
            "distinct_subjects": len(subjects),
            "distinct_objects": len({o for _, _, o in found}),
        }

    named = {}
    union: set = set()
    for name, found in triples.items():
        held = set(found)
        union |= held
        if held:
            named[graphs[name]] = counts(held)
    return {
        "default": counts(union),
        "graphs": dict(sorted(named.items())),
        "unnamed_triples": 0,
        "engine": "oxigraph",
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
    examples: list[URIRef] = field(default_factory=list)  # of those VoID may name, the present


# --------------------------------------------------------------------------- from the store

_UNION = "{ SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"


def _rows(engine: Queryable, text: str) -> list[list]:
    return [list(row) for row in engine.execute(text).rows]


def _counter(engine: Queryable, text: str) -> dict[str, int]:
    """{term: n} of a query selecting ?t and ?n (IRIs only)."""
    return {str(t): int(n) for t, n in _rows(engine, text) if isinstance(t, URIRef)}


def text_links(
    triples: Mapping[str, Iterable[tuple]], link_targets: Mapping[str, str]
) -> list[list]:
    """[authority key, predicate, distinct triples] of the links into each URI space, in the
    order of `link_targets`, then by predicate, counted over the text triples of the graphs
    (one pass in Python: a SPARQL scan of the store with a test per space cost ten times
    more CPU)."""
    union: set = set()
    for found in triples.values():
        union.update(found)
    spaces = [(key, f"<{space}") for key, space in link_targets.items()]
    counted: dict[str, Counter] = {key: Counter() for key in link_targets}
    for _, p, o in union:
        if o.startswith("<"):
            for key, space in spaces:
                if o.startswith(space):
                    counted[key][p[1:-1]] += 1
                    break
    return [[key, t, n] for key, found in counted.items() for t, n in sorted(found.items())]


def store_statistics(
    engine: Queryable,
    graphs: Mapping[str, str],
    examples: Iterable[str],
    links: list[list],
    counts: dict | None = None,
) -> dict:
    """Instances per class, triples per property, links, vocabularies, sources, and the usage
    the ontology documentation shows, asked of a store with SPARQL aggregates (the store scans
    its own indexes: nothing is loaded here), as JSON: `Statistics.from_json` reads it back.
    `links`: `text_links`; `counts`: the store's `dataset_statistics`, when already made (the
    store's marker keeps them), so that the store is not scanned for them twice."""
    found = counts if counts is not None else engine.statistics()  # type: ignore[attr-defined]
    by_iri = {iri: name for name, iri in graphs.items()}
    rdf_type = f"<{RDF.type}>"
    classes = _counter(
        engine,
        f"SELECT ?t (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s {rdf_type} ?t }} }} "
        "GROUP BY ?t",
    )
    properties = _counter(
        engine,
        f"SELECT ?t (COUNT(*) AS ?n) WHERE {{ SELECT ?s ?t ?o WHERE "
        f"{_UNION.replace('?p', '?t')} }} GROUP BY ?t",
    )
    sources = sorted(
        str(s)
        for (s,) in _rows(
            engine,
            f"SELECT DISTINCT ?s WHERE {{ GRAPH ?g {{ ?s {rdf_type} <{SMP.SourceDocument}> }} "
            "FILTER(isIRI(?s)) }",
        )
    )
    asserted = graphs["asserted"]
    mentioned = [
        iri
        for iri in examples
        if engine.execute(f"ASK {{ GRAPH <{asserted}> {{ <{iri}> ?p ?o }} }}").boolean
    ]
    return {
        "union": found["default"],
        "graphs": {by_iri[g]: c for g, c in found["graphs"].items() if g in by_iri},
        "class_instances": classes,
        "property_triples": properties,
        "links": links,
        "vocabularies": _vocabularies(set(classes) | set(properties)),
        "sources": sources,
        "examples": mentioned,
        "usage": _usage(engine, graphs),
    }


def _vocabularies(used: set[str]) -> list[str]:
    return sorted(
        {
            str(ns)
            for ns in PREFIXES.values()
            if not str(ns).startswith(str(ID)) and any(t.startswith(str(ns)) for t in used)
        }
    )


def _usage(engine: Queryable, graphs: Mapping[str, str]) -> dict:
    """How the data uses each class and property (`documentation.Usage`), and the labels the
    asserted data gives the terms the ontology names (the values of its restrictions)."""
    rdf_type = f"<{RDF.type}>"
    asserted, inferred, ontology = graphs["asserted"], graphs["inferred"], graphs["ontology"]
    labels: dict[str, list] = {}
    for s, label in _rows(
        engine,
        f"SELECT DISTINCT ?s ?l WHERE {{ GRAPH <{ontology}> {{ ?x ?y ?s }} "
        f"GRAPH <{asserted}> {{ ?s <{RDFS.label}> ?l }} FILTER(isIRI(?s)) }}",
    ):
        labels.setdefault(str(s), []).append([str(label), label.language])
    return {
        "typings_asserted": _counter(
            engine,
            f"SELECT ?t (COUNT(*) AS ?n) WHERE {{ GRAPH <{asserted}> {{ ?s {rdf_type} ?t }} }} "
            "GROUP BY ?t",
        ),
        "typings": _counter(
            engine,
            f"SELECT ?t (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?s ?t WHERE {{ "
            f"{{ GRAPH <{asserted}> {{ ?s {rdf_type} ?t }} }} UNION "
            f"{{ GRAPH <{inferred}> {{ ?s {rdf_type} ?t }} }} }} }} GROUP BY ?t",
        ),
        "uses_asserted": _counter(
            engine,
            f"SELECT ?t (COUNT(*) AS ?n) WHERE {{ GRAPH <{asserted}> {{ ?s ?t ?o }} }} GROUP BY ?t",
        ),
        "uses_inferred": _counter(
            engine,
            f"SELECT ?t (COUNT(*) AS ?n) WHERE {{ GRAPH <{inferred}> {{ ?s ?t ?o }} }} GROUP BY ?t",
        ),
        "labels": labels,
    }


def statistics_from_json(found: dict) -> Statistics:
    """The `Statistics` of `store_statistics`' JSON."""

    def counts(c: dict) -> Counts:
        return Counts(**{k: int(c[k]) for k in KEYS})

    return Statistics(
        union=counts(found["union"]),
        graphs={name: counts(c) for name, c in found["graphs"].items()},
        class_instances=Counter({URIRef(c): n for c, n in found["class_instances"].items()}),
        property_triples=Counter({URIRef(p): n for p, n in found["property_triples"].items()}),
        links=Counter({(key, URIRef(p)): n for key, p, n in found["links"]}),
        vocabularies=list(found["vocabularies"]),
        sources=[URIRef(s) for s in found["sources"]],
        examples=[URIRef(e) for e in found["examples"]],
    )
