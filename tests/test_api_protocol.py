"""The SPARQL 1.1 Protocol through the in-process app: the three ways to send a query, the
dataset parameters, the four query forms, and the protocol errors."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from conftest import EX, ITEM_COUNT, PEOPLE, PLACES
from rdflib import Graph

SELECT_PEOPLE = f"SELECT ?p WHERE {{ ?p a <{EX}Person> }} ORDER BY ?p"


def bindings(response, var: str) -> list[str]:
    assert response.status_code == 200, response.text
    doc = response.json()
    return [row[var]["value"] for row in doc["results"]["bindings"] if var in row]


def boolean(response) -> bool:
    assert response.status_code == 200, response.text
    return response.json()["boolean"]


# --------------------------------------------------------------------------- the three ways


def test_get(client):
    r = client.get("/sparql", params={"query": SELECT_PEOPLE})
    assert r.headers["content-type"] == "application/sparql-results+json; charset=utf-8"
    assert bindings(r, "p") == [f"{EX}alice", f"{EX}bob", f"{EX}carol"]


def test_post_form(client):
    r = client.post("/sparql", data={"query": SELECT_PEOPLE})
    assert bindings(r, "p") == [f"{EX}alice", f"{EX}bob", f"{EX}carol"]


def test_post_direct(client):
    r = client.post(
        "/sparql",
        content=SELECT_PEOPLE.encode(),
        headers={"Content-Type": "application/sparql-query"},
    )
    assert bindings(r, "p") == [f"{EX}alice", f"{EX}bob", f"{EX}carol"]


def test_post_direct_with_utf8_charset_and_non_ascii(client):
    query = 'SELECT ?x WHERE { BIND("Zürich — 東京" AS ?x) }'
    r = client.post(
        "/sparql",
        content=query.encode("utf-8"),
        headers={"Content-Type": "application/sparql-query; charset=UTF-8"},
    )
    assert bindings(r, "x") == ["Zürich — 東京"]


def test_head_answers_like_get(client):
    r = client.head("/sparql", params={"query": "ASK {}"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/sparql-results+json")


def test_trailing_slash_reaches_the_endpoint(client):
    r = client.get("/sparql/", params={"query": "ASK {}"}, follow_redirects=True)
    assert boolean(r) is True


# --------------------------------------------------------------------------- the forms


def test_ask(client):
    assert boolean(client.get("/sparql", params={"query": f"ASK {{ <{EX}bob> ?p ?o }}"}))
    assert not boolean(client.get("/sparql", params={"query": f"ASK {{ <{EX}nobody> ?p ?o }}"}))


def test_construct(client):
    query = f"CONSTRUCT {{ ?p <{EX}seen> true }} WHERE {{ ?p a <{EX}Person> }}"
    r = client.get("/sparql", params={"query": query}, headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"
    g = Graph().parse(data=r.text, format="turtle")
    assert len(g) == 3


def test_describe(client):
    r = client.get(
        "/sparql",
        params={"query": f"DESCRIBE <{EX}bob>"},
        headers={"Accept": "application/n-triples"},
    )
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="nt")
    assert {str(p) for p in g.predicates()} >= {f"{EX}name", f"{EX}age"}


def test_relative_iris_resolve_against_the_endpoint(client):
    r = client.post(
        "/sparql",
        content=b"CONSTRUCT { <s> <p> 1 } WHERE {}",
        headers={"Content-Type": "application/sparql-query", "Accept": "application/n-triples"},
    )
    assert r.status_code == 200
    assert "<http://testserver/s> <http://testserver/p>" in r.text


# --------------------------------------------------------------------------- the dataset


def test_default_graph_is_the_union(client):
    r = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s a ?c }"})
    assert bindings(r, "n") == [str(3 + 1 + ITEM_COUNT)]


def test_default_graph_uri_selects_graphs(client):
    r = client.get(f"/sparql?query={quote(SELECT_PEOPLE)}&default-graph-uri={quote(PEOPLE)}")
    assert bindings(r, "p") == [f"{EX}bob", f"{EX}carol"]


def test_repeated_default_graph_uri_merges(client):
    query = "SELECT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) } GROUP BY ?s ORDER BY ?s"
    r = client.get(
        f"/sparql?query={quote(query)}&default-graph-uri={quote(PEOPLE)}"
        f"&default-graph-uri={quote(PLACES)}"
    )
    assert bindings(r, "s") == [f"{EX}bob", f"{EX}carol", f"{EX}paris"]


def test_named_graph_uri_limits_graph_patterns(client):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = client.get(f"/sparql?query={quote(query)}&named-graph-uri={quote(PLACES)}")
    assert bindings(r, "g") == [PLACES]
    # Named graphs only: the default graph is then empty.
    r = client.get(f"/sparql?query={quote('ASK { ?s ?p ?o }')}&named-graph-uri={quote(PLACES)}")
    assert boolean(r) is False


def test_protocol_dataset_overrides_from(client):
    query = f"SELECT ?p FROM <{PLACES}> WHERE {{ ?p a <{EX}Person> }} ORDER BY ?p"
    assert bindings(client.get("/sparql", params={"query": query}), "p") == []
    r = client.get(f"/sparql?query={quote(query)}&default-graph-uri={quote(PEOPLE)}")
    assert bindings(r, "p") == [f"{EX}bob", f"{EX}carol"]


def test_from_and_from_named_in_the_query(client):
    query = (
        f"SELECT ?g ?s FROM <{PEOPLE}> FROM NAMED <{PLACES}> WHERE "
        f"{{ {{ ?s a <{EX}Person> }} UNION {{ GRAPH ?g {{ ?s a ?c }} }} }}"
    )
    r = client.get("/sparql", params={"query": query})
    rows = {
        (row.get("g", {}).get("value"), row["s"]["value"])
        for row in r.json()["results"]["bindings"]
    }
    assert rows == {(None, f"{EX}bob"), (None, f"{EX}carol"), (PLACES, f"{EX}paris")}


def test_dataset_parameters_in_a_form_body(client):
    r = client.post("/sparql", data={"query": SELECT_PEOPLE, "default-graph-uri": PEOPLE})
    assert bindings(r, "p") == [f"{EX}bob", f"{EX}carol"]


def test_a_graph_we_do_not_hold_is_empty(client):
    r = client.get(
        "/sparql",
        params={"query": "ASK { ?s ?p ?o }", "default-graph-uri": "http://example.net/unknown"},
    )
    assert boolean(r) is False


def test_default_graph_uri_must_be_an_iri(client):
    r = client.get("/sparql", params={"query": "ASK {}", "default-graph-uri": "not an iri"})
    assert r.status_code == 400
    assert "default-graph-uri" in r.text


# --------------------------------------------------------------------------- protocol errors


def test_two_queries_are_refused(client):
    r = client.get("/sparql?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert r.status_code == 400
    assert "exactly one" in r.text


def test_query_in_url_and_body_is_refused(client):
    r = client.post(
        "/sparql?query=ASK%20%7B%7D",
        content=b"ASK {}",
        headers={"Content-Type": "application/sparql-query"},
    )
    assert r.status_code == 400


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/json"])
def test_wrong_or_missing_media_type_is_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post("/sparql", content=b"query=ASK%20%7B%7D", headers=headers)
    assert r.status_code == 415
    assert "application/sparql-query" in r.text


def test_non_utf8_direct_post_is_refused(client):
    r = client.post(
        "/sparql",
        content="ASK {}".encode("utf-16"),
        headers={"Content-Type": "application/sparql-query; charset=UTF-16"},
    )
    assert r.status_code == 415
    r = client.post(
        "/sparql",
        content=b'ASK { FILTER("\xff\xfe") }',
        headers={"Content-Type": "application/sparql-query"},
    )
    assert r.status_code == 400
    assert "UTF-8" in r.text


def test_non_utf8_form_is_refused(client):
    r = client.post(
        "/sparql",
        content=b"query=ASK%20%7B%7D%FF",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 400


def test_form_without_query_is_400(client):
    r = client.post("/sparql", data={"default-graph-uri": PEOPLE})
    assert r.status_code == 400


def test_other_methods_are_405(client):
    r = client.put(
        "/sparql?query=ASK%20%7B%7D",
        content=b"",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 405
    assert "GET" in r.headers["allow"] and "POST" in r.headers["allow"]
    assert client.delete("/sparql").status_code == 405


# --------------------------------------------------------------------------- read-only


UPDATES = [
    "INSERT DATA { <http://example.org/x> <http://example.org/p> 1 }",
    "CLEAR ALL",
    "DROP GRAPH <http://example.org/graph/people>",
    "LOAD <http://example.org/data.ttl>",
    "PREFIX ex: <http://example.org/> DELETE WHERE { ?s ex:name ?o }",
    "WITH <http://example.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
]


@pytest.mark.parametrize("update", UPDATES)
def test_updates_are_refused_every_way(client, update):
    attempts = [
        client.post(
            "/sparql",
            content=update.encode(),
            headers={"Content-Type": "application/sparql-update"},
        ),
        client.post("/sparql", data={"update": update}),
        client.get("/sparql", params={"update": update}),
        client.get("/sparql", params={"query": update}),
        client.post("/sparql", data={"query": update}),
        client.post(
            "/sparql", content=update.encode(), headers={"Content-Type": "application/sparql-query"}
        ),
    ]
    for r in attempts:
        assert r.status_code == 403, (r.request.method, r.request.url, r.text)
        assert "read-only" in r.text
    # Nothing changed.
    r = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) { ?s a ?c }"})
    assert bindings(r, "n") == [str(3 + 1 + ITEM_COUNT)]


def test_service_is_refused_with_its_reason(client):
    r = client.get(
        "/sparql", params={"query": "SELECT * { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"}
    )
    assert r.status_code == 403
    assert "SERVICE" in r.text and "outbound" in r.text


def test_json_error_body(client):
    r = client.get("/sparql", params={"query": "ASK {"}, headers={"Accept": "application/json"})
    assert r.status_code == 400
    doc = json.loads(r.text)
    assert doc["status"] == 400 and doc["error"] == "QuerySyntaxError"
    assert doc["detail"]


@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
def test_a_graph_that_is_no_iri_is_the_clients_mistake(smp_client, param):
    response = smp_client.get(
        "/sparql", params={"query": "ASK {}", param: "http://example.org/\U000f8519"}
    )
    assert response.status_code == 400
    assert "not a valid IRI" in response.text


def test_an_unknown_function_is_the_clients_mistake(smp_client):
    """The probe's `BIND(<…#integerx>(1) AS ?x)` answered 500."""
    query = "SELECT ?x WHERE { BIND (<http://www.w3.org/2001/XMLSchema#integerx>(1) AS ?x) }"
    response = smp_client.get("/sparql", params={"query": query}, headers={"Accept": "*/*"})
    assert response.status_code == 400, response.text
    assert "integerx> is not supported" in response.text
