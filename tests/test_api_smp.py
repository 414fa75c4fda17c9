"""The service over a built graph (`smpkg serve` without --dataset): the three named graphs
ontology / asserted / inferred, the default graph their union, FROM and GRAPH picking one.

Runs on a tiny project of its own (so it does not depend on the curated data in progress),
then a few checks on the repository's own graph (skipped locally while it does not build)."""

from __future__ import annotations

import pytest
from conftest import make_settings, smp_settings
from fastapi.testclient import TestClient
from rdflib import Graph, Literal, Namespace, URIRef

from api import create_app

GRAPH = "https://w3id.org/smpkg/graph/"
ASSERTED, INFERRED, ONTOLOGY = GRAPH + "asserted", GRAPH + "inferred", GRAPH + "ontology"
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")

TINY_ONTOLOGY = """@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Programme a owl:Class ; rdfs:subClassOf ex:Initiative ; rdfs:label "Programme" .
ex:Initiative a owl:Class ; rdfs:label "Initiative" .
"""
TINY_DATA = """@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:thamm a ex:Programme ; rdfs:label "THAMM" .
ex:palim a ex:Programme ; rdfs:label "PALIM" .
"""


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):

    root = tmp_path_factory.mktemp("tiny")
    (root / "ontology").mkdir()
    (root / "data").mkdir()
    (root / "queries").mkdir()
    (root / "ontology" / "tiny.ttl").write_text(TINY_ONTOLOGY)
    (root / "data" / "programmes.ttl").write_text(TINY_DATA)
    app = create_app(make_settings(root=root, cache_dir=root / ".cache"))
    with TestClient(app) as client:
        yield client


def rows(client, query, **params):
    r = client.get("/sparql", params={"query": query, **params})
    assert r.status_code == 200, r.text
    return [{k: v["value"] for k, v in b.items()} for b in r.json()["results"]["bindings"]]


def test_three_named_graphs(tiny):
    found = rows(tiny, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g")
    assert [r["g"] for r in found] == [ASSERTED, INFERRED, ONTOLOGY]


def test_default_graph_is_asserted_plus_inferred(tiny):
    query = "SELECT ?s WHERE { ?s a <http://example.org/Initiative> } ORDER BY ?s"
    assert [r["s"] for r in rows(tiny, query)] == [
        "http://example.org/palim",
        "http://example.org/thamm",
    ]


def test_from_picks_one_graph(tiny):
    query = "SELECT ?s FROM <{}> WHERE {{ ?s a <http://example.org/Initiative> }}"
    assert rows(tiny, query.format(ASSERTED)) == []
    assert len(rows(tiny, query.format(INFERRED))) == 2
    assert (
        len(
            rows(
                tiny,
                "SELECT ?s WHERE { ?s a <http://example.org/Initiative> }",
                **{"default-graph-uri": INFERRED},
            )
        )
        == 2
    )


def test_graph_picks_one_graph(tiny):
    query = (
        "SELECT ?g WHERE { GRAPH ?g { <http://example.org/thamm> a "
        "<http://example.org/Programme> } }"
    )
    assert [r["g"] for r in rows(tiny, query)] == [ASSERTED]


def test_service_description_lists_the_three_graphs(tiny):
    r = tiny.get("/sparql", headers={"Accept": "text/turtle"})
    g = Graph().parse(data=r.text, format="turtle")
    names = {str(g.value(n, SD.name)): n for n in g.subjects(SD.name, None)}
    assert set(names) == {ASSERTED, INFERRED, ONTOLOGY}
    asserted = g.value(names[ASSERTED], SD.graph)
    assert g.value(asserted, VOID.triples) == Literal(4)
    endpoint = URIRef("http://testserver/sparql")
    dataset = g.value(endpoint, SD.defaultDataset)
    assert int(g.value(dataset, VOID.triples)) > 4 + 5


def test_health_says_smp(tiny):
    doc = tiny.get("/health").json()
    assert doc["dataset"] == "smp"


# --------------------------------------------------------------------------- the real graph


@pytest.fixture(scope="module")
def real():

    settings = smp_settings()
    app = create_app(settings)
    with TestClient(app) as client:
        yield client


def test_real_graph_has_its_named_graphs_and_classes(real):
    found = rows(real, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert {r["g"] for r in found} >= {ASSERTED, INFERRED, ONTOLOGY}
    classes = rows(
        real,
        "PREFIX owl: <http://www.w3.org/2002/07/owl#> SELECT ?c WHERE { ?c a owl:Class } LIMIT 5",
    )
    assert classes


def test_real_graph_named_queries_are_mounted(real):
    r = real.get("/queries", headers={"Accept": "application/json"})
    assert r.status_code == 200
