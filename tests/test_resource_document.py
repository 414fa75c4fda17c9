"""A resource's RDF document read by index look-ups (smpkg.resource_document): the same
statements as the description queries on the repository's graph, blank-node details in
their graph, no blank subjects pointing in, named graphs only, the default graph for
clients that read it, deprecation and the cap."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from rdflib import URIRef

from smpkg.build import open_engine
from smpkg.describe import QUERIES, describe
from smpkg.disk_store import DISK_STORE_DIR
from smpkg.oxigraph_engine import from_ox
from smpkg.resource_document import (
    OWL_DEPRECATED,
    REPLACED_BY,
    TRUE,
    document_bytes,
    document_items,
    resource_quads,
)

EX = "http://example.org/"
G1, G2 = ox.NamedNode(EX + "g1"), ox.NamedNode(EX + "g2")


def n(local: str) -> ox.NamedNode:
    return ox.NamedNode(EX + local)


@pytest.fixture(scope="module")
def store() -> ox.Store:
    period = ox.BlankNode("period")
    blank = ox.BlankNode("someone")
    s = ox.Store()
    s.extend(
        [
            ox.Quad(n("a"), n("name"), ox.Literal("A"), G1),
            ox.Quad(n("a"), n("during"), period, G1),
            ox.Quad(period, n("start"), ox.Literal("2019"), G1),
            ox.Quad(period, n("start"), ox.Literal("2020"), G2),  # other graph: not A's
            ox.Quad(n("a"), n("kind"), n("K"), G2),
            ox.Quad(n("b"), n("knows"), n("a"), G1),
            ox.Quad(blank, n("knows"), n("a"), G1),  # a blank subject pointing in: left out
            ox.Quad(n("a"), n("name"), ox.Literal("default")),  # the default graph: left out
            ox.Quad(n("old"), OWL_DEPRECATED, TRUE, G1),
            ox.Quad(n("old"), REPLACED_BY, ox.NamedNode("http://elsewhere.org/x"), G1),
            ox.Quad(n("old"), REPLACED_BY, n("new"), G1),
        ]
    )
    return s


def test_statements_of_a_resource(store):
    found = resource_quads(store, EX + "a")
    got = {(q.subject, q.predicate, q.object, q.graph_name) for q in found.quads}
    assert got == {
        (n("a"), n("name"), ox.Literal("A"), G1),
        (n("a"), n("during"), ox.BlankNode("period"), G1),
        (ox.BlankNode("period"), n("start"), ox.Literal("2019"), G1),
        (n("a"), n("kind"), n("K"), G2),
        (n("b"), n("knows"), n("a"), G1),
    }
    assert not found.truncated and found.replacement(EX) is None


def test_unknown_resource_is_empty(store):
    assert not resource_quads(store, EX + "nothing")


def test_cap_marks_truncation(store):
    found = resource_quads(store, EX + "a", limit=1)
    assert found.truncated
    assert sum(1 for q in found.quads if q.subject == n("a")) == 1


def test_replacement_under_the_base(store):
    assert resource_quads(store, EX + "old").replacement(EX) == EX + "new"
    assert resource_quads(store, EX + "old").replacement("http://nowhere.org/") is None


def test_quad_formats_repeat_every_triple_in_the_default_graph(store):
    found = resource_quads(store, EX + "a")
    items = document_items(found.quads, with_graphs=True)
    default = {q.triple for q in items if isinstance(q.graph_name, ox.DefaultGraph)}
    assert default == {q.triple for q in found.quads}
    assert len(items) == len(default) + len(found.quads)
    triples = document_items(found.quads, with_graphs=False)
    assert set(triples) == default and len(triples) == len(default)
    text = document_bytes(found.quads, ox.RdfFormat.N_QUADS, {}).decode()
    parsed = list(ox.parse(text, format=ox.RdfFormat.N_QUADS))
    assert len(parsed) == len(items)


def test_same_statements_as_the_description_queries(smp_graph):
    """On the repository's graph, for every resource with an acronym (and a passage): the
    look-ups find exactly the statements the description queries find."""
    engine = open_engine(smp_graph, "oxigraph")
    store = ox.Store.read_only(str(smp_graph.directory / DISK_STORE_DIR))
    subjects = engine.execute(
        "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s <https://w3id.org/smpkg/ontology#acronym> ?a } }"
    ).rows
    iris = sorted(str(row[0]) for row in subjects)
    assert len(iris) > 10
    for iri in iris:
        rows = {}
        for name, query in QUERIES.items():
            answer = engine.execute(query, bindings={"this": URIRef(iri)})
            rows[name] = [
                {v: t for v, t in zip(answer.variables, row, strict=True) if t is not None}
                for row in answer.rows
            ]
        description = describe(URIRef(iri), rows)
        assert description is not None
        expected = {q for q in description.quads}
        found = resource_quads(store, iri).quads
        got = {
            tuple(from_ox(t) for t in (q.subject, q.predicate, q.object, q.graph_name))
            for q in found
        }
        assert got == expected, iri
