"""The service description (GET /sparql without a query), negotiated, and the home page."""

from __future__ import annotations

import json

import pytest
from conftest import ITEM_COUNT, ITEMS, PEOPLE, PLACES
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")
FORMATS = Namespace("http://www.w3.org/ns/formats/")
ENDPOINT = URIRef("http://testserver/sparql")
TRIPLES = 3 + 6 + 2 + 3 * ITEM_COUNT  # the sample dataset


@pytest.fixture(scope="module")
def description(client) -> Graph:
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"
    return Graph().parse(data=r.text, format="turtle")


def test_it_is_a_sparql_11_query_service(description):
    assert (ENDPOINT, RDF.type, SD.Service) in description
    assert (ENDPOINT, SD.endpoint, ENDPOINT) in description
    assert (ENDPOINT, SD.supportedLanguage, SD.SPARQL11Query) in description
    assert (ENDPOINT, SD.supportedLanguage, SD.SPARQL11Update) not in description


def test_it_lists_every_result_format(description):
    formats = set(description.objects(ENDPOINT, SD.resultFormat))
    assert formats == {
        FORMATS[n]
        for n in (
            "SPARQL_Results_JSON",
            "SPARQL_Results_XML",
            "SPARQL_Results_CSV",
            "SPARQL_Results_TSV",
            "Turtle",
            "N-Triples",
            "N-Quads",
            "TriG",
            "JSON-LD",
            "RDF_XML",
        )
    }


def test_features(description):
    features = set(description.objects(ENDPOINT, SD.feature))
    assert SD.UnionDefaultGraph in features
    # We never dereference IRIs or federate.
    assert SD.DereferencesURIs not in features and SD.BasicFederatedQuery not in features


def test_default_dataset_with_void_statistics(description):
    dataset = description.value(ENDPOINT, SD.defaultDataset)
    assert (dataset, RDF.type, SD.Dataset) in description
    assert description.value(dataset, VOID.triples) == Literal(TRIPLES)
    default = description.value(dataset, SD.defaultGraph)
    assert description.value(default, VOID.triples) == Literal(TRIPLES)
    assert description.value(default, VOID.classes) == Literal(3)  # Person, City, Item
    assert description.value(default, VOID.entities) == Literal(3 + 1 + ITEM_COUNT)
    assert description.value(default, VOID.properties) == Literal(7)


def test_named_graphs(description):
    dataset = description.value(ENDPOINT, SD.defaultDataset)
    graphs = {}
    for named in description.objects(dataset, SD.namedGraph):
        assert (named, RDF.type, SD.NamedGraph) in description
        name = description.value(named, SD.name)
        graphs[str(name)] = description.value(description.value(named, SD.graph), VOID.triples)
    assert graphs == {PEOPLE: Literal(6), PLACES: Literal(2), ITEMS: Literal(3 * ITEM_COUNT)}


@pytest.mark.parametrize(
    "accept,media,parse",
    [
        ("application/ld+json", "application/ld+json", "json-ld"),
        ("application/rdf+xml", "application/rdf+xml", "xml"),
        ("application/n-triples", "application/n-triples", "nt"),
        ("*/*", "text/turtle", "turtle"),
        (None, "text/turtle", "turtle"),
    ],
)
def test_negotiated(client, accept, media, parse):
    headers = {"Accept": accept} if accept else {}
    r = client.get("/sparql", headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == f"{media}; charset=utf-8"
    g = Graph().parse(data=r.text, format=parse)
    assert (ENDPOINT, RDF.type, SD.Service) in g


def test_format_param(client):
    r = client.get("/sparql?format=jsonld")
    assert r.headers["content-type"].startswith("application/ld+json")
    json.loads(r.text)
    assert client.get("/sparql?format=html").headers["content-type"].startswith("text/html")


def test_browsers_get_a_page_with_a_query_form(client):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r = client.get("/sparql", headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    page = r.text
    assert '<form method="get"' in page and 'name="query"' in page
    assert "text/tab-separated-values" in page and PEOPLE in page
    assert 'id="truncated"' in page
    # Offline: nothing loaded from elsewhere.
    assert "<script src" not in page and "cdn" not in page.lower()


def test_service_description_406(client):
    r = client.get("/sparql", headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 406
    assert "text/turtle" in r.text and "text/html" in r.text


def test_home_page(client):
    r = client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    for link in ('href="/sparql"', 'href="/queries"', 'href="/health"'):
        assert link in r.text


def test_no_cdn_docs(client):
    # FastAPI's /docs loads Swagger UI from a CDN: it is off; the OpenAPI JSON stays.
    assert client.get("/docs").status_code == 404
    doc = client.get("/openapi.json").json()
    assert "/sparql" in doc["paths"]
