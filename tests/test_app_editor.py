"""The query editor's routes over the repository's graph (api/app/editor.py): the page, the
vocabulary it completes from and the completion route, all computed from the served data;
and the named queries it loads, with their parameters bound in the text."""

from __future__ import annotations

import html
import re

import pytest
from conftest import smp_settings
from rdflib.namespace import OWL, RDF

from smpkg.completion import MAX_LIMIT
from smpkg.namespaces import PREFIXES
from smpkg.queries import load_named_queries

SMP = "https://w3id.org/smpkg/ontology#"
ID = "https://w3id.org/smpkg/id/"
HTML = {"accept": "text/html"}


@pytest.fixture(scope="module")
def vocabulary(smp_client) -> dict:
    r = smp_client.get("/api/editor/vocabulary")
    assert r.status_code == 200
    return r.json()


def test_the_vocabulary_holds_the_graphs_own_terms(vocabulary, smp_client):
    classes = {t["iri"]: t for t in vocabulary["classes"]}
    properties = {t["iri"]: t for t in vocabulary["properties"]}
    assert classes[SMP + "Initiative"]["label"]
    assert SMP + "Country" in classes
    assert "http://www.w3.org/2000/01/rdf-schema#label" in properties
    assert any(iri.startswith(SMP) for iri in properties)
    # A class is not offered as a property, nor the reverse, unless the graph uses it so.
    assert SMP + "Initiative" not in properties
    assert vocabulary["prefixes"]["smp"] == SMP
    assert vocabulary["prefixes"] == {p: str(ns) for p, ns in PREFIXES.items()}
    # Every term is one of the graph's: the curated graph says so for each class.
    version = smp_client.get("/api/editor/vocabulary").json()["version"]
    assert version == vocabulary["version"]


def test_the_link_rule_is_the_pages_one(vocabulary, smp_client):
    rule = vocabulary["links"]
    assert rule == {"from": ID.removesuffix("id/"), "to": "/"}
    iri = ID + "programme/palim"
    local = rule["to"] + iri[len(rule["from"]) :]
    assert local == "/id/programme/palim"
    assert smp_client.get(local, headers=HTML).status_code == 200


def test_entities_complete_by_the_start_of_their_iri(smp_client):
    r = smp_client.get("/api/editor/complete", params={"kind": "entity", "q": ID + "programme/pal"})
    assert r.status_code == 200
    items = r.json()["items"]
    assert items, "no programme starts with pal"
    assert all(i["iri"].startswith(ID + "programme/pal") for i in items)
    palim = next(i for i in items if i["iri"] == ID + "programme/palim")
    assert "PALIM" in palim["label"]
    assert palim["href"] == "/id/programme/palim"
    assert [i["iri"] for i in items] == sorted(i["iri"] for i in items)


def test_entities_complete_by_name_through_the_search_index(smp_client):
    r = smp_client.get("/api/editor/complete", params={"kind": "entity", "q": "Morocco"})
    items = r.json()["items"]
    assert items[0]["iri"] == ID + "country/MAR"


def test_classes_and_properties_complete(smp_client, ontology):
    r = smp_client.get("/api/editor/complete", params={"kind": "class", "q": SMP + "Ini"})
    classes = {str(c) for c in ontology.subjects(RDF.type, OWL.Class)}
    expected = {c for c in classes if c.startswith(SMP + "Ini")}
    assert SMP + "Initiative" in expected
    assert {i["iri"] for i in r.json()["items"]} == expected
    r = smp_client.get("/api/editor/complete", params={"kind": "property", "q": SMP + "has"})
    items = r.json()["items"]
    assert items and all(i["iri"].startswith(SMP + "has") for i in items)


def test_completion_limits(smp_client):
    r = smp_client.get("/api/editor/complete", params={"kind": "entity", "q": ID, "limit": "3"})
    assert len(r.json()["items"]) == 3
    r = smp_client.get("/api/editor/complete", params={"kind": "entity", "q": ""})
    assert r.json()["items"] == []


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"kind": "shape", "q": "x"}, "kind"),
        ({"kind": "entity", "q": "x", "limit": "0"}, "limit"),
        ({"kind": "entity", "q": "x", "limit": str(MAX_LIMIT + 1)}, "limit"),
        ({"kind": "entity", "q": "x", "limit": "ten"}, "limit"),
    ],
)
def test_bad_completion_requests_are_400s(smp_client, params, names):
    r = smp_client.get(
        "/api/editor/complete", params=params, headers={"accept": "application/json"}
    )
    assert r.status_code == 400
    assert names in r.json()["detail"]


def test_the_page_works_without_javascript(smp_client):
    r = smp_client.get("/editor", headers=HTML)
    assert r.status_code == 200
    assert "default-src 'self'" in r.headers["content-security-policy"]
    page = r.text
    # A plain form to /sparql with a labelled box holding a runnable starter query.
    assert re.search(r'<form id="editor"[^>]*action="/sparql" method="get"', page)
    assert '<label for="query" id="query-label">' in page
    assert "SELECT ?programme ?name" in page
    # The named queries as examples, loaded by the server.
    assert '<option value="initiatives-by-origin"' in page
    assert 'src="/static/editor.js"' in page
    assert " style=" not in page and "<script>" not in page


def test_the_query_in_the_url_is_restored(smp_client):
    query = "SELECT ?s WHERE { ?s a <https://w3id.org/smpkg/ontology#Country> } LIMIT 2"
    r = smp_client.get("/editor", params={"query": query}, headers=HTML)
    assert "SELECT ?s WHERE { ?s a &lt;https://w3id.org/smpkg/ontology#Country&gt; } LIMIT 2" in (
        r.text
    )
    r = smp_client.get("/editor", params={"query": query, "timeout": "2.5"}, headers=HTML)
    assert re.search(r'<input id="timeout" name="timeout"[^>]*value="2.5"', r.text)
    # Into the editor's box only: the site's search box stays empty.
    assert re.search(r'id="site-search"[^>]*value=""', r.text)


def test_an_example_is_loaded_into_the_box(smp_client):
    r = smp_client.get("/editor", params={"example": "initiatives-by-origin"}, headers=HTML)
    assert r.status_code == 200
    assert "#+ summary: Initiatives by origin country" in r.text
    assert '<option value="initiatives-by-origin" selected>' in r.text
    r = smp_client.get("/editor", params={"example": "nothing-such"}, headers=HTML)
    assert r.status_code == 404
    assert "nothing-such" in r.text


def test_the_home_page_links_the_editor(smp_client):
    assert 'href="/editor"' in smp_client.get("/", headers=HTML).text


# --------------------------------------------------------------------------- named queries, bound

QUERIES = load_named_queries(smp_settings().queries_dir)
EU = ID + "organisation/european-union"


def loaded_text(smp_client, **params) -> str:
    r = smp_client.get("/editor", params=params, headers=HTML)
    assert r.status_code == 200, r.text[-500:]
    found = re.search(r'<textarea id="query"[^>]*>(.*?)</textarea>', r.text, re.S)
    assert found
    return html.unescape(found.group(1))


def rows(body: dict) -> set[tuple]:
    """The rows as a set; a GROUP_CONCAT list (" | ") is sorted: its order is not defined."""
    return {
        tuple(sorted((k, " | ".join(sorted(v["value"].split(" | ")))) for k, v in b.items()))
        for b in body["results"]["bindings"]
    }


def test_an_example_is_loaded_with_its_example_values_bound(smp_client):
    text = loaded_text(smp_client, example="initiatives-by-origin")
    assert (
        "WHERE {\n  # Parameter ?country: Morocco (country:MAR), the query's example\n"
        f"  VALUES ?country {{ <{ID}country/MAR> }}\n"
    ) in text
    page = smp_client.get("/editor", params={"example": "initiatives-by-origin"}, headers=HTML)
    assert 'href="/queries/initiatives-by-origin?country=country%3AMAR"' in page.text
    assert "<code>?country</code> = Morocco (country:MAR)" in page.text


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_named_query_loaded_in_the_editor_answers_as_its_form_does(smp_client, name):
    """The editor's text, sent to /sparql as a user would, gives the rows the named query
    gives with its examples bound by the engine."""
    query = QUERIES[name]
    text = loaded_text(smp_client, example=name)
    for param in query.params:
        if param.example is not None:
            assert f"  # Parameter ?{param.name}: " in text
            assert f"  VALUES ?{param.name} {{ " in text
    examples = {p.name: p.example for p in query.params if p.example is not None}
    json = {"accept": "application/sparql-results+json"}
    named = smp_client.get(f"/queries/{name}", params=examples, headers=json)
    edited = smp_client.post("/sparql", data={"query": text}, headers=json)
    assert named.status_code == edited.status_code == 200, edited.text[:300]
    if "boolean" in named.json():
        assert edited.json()["boolean"] == named.json()["boolean"]
    else:
        assert rows(edited.json()) == rows(named.json())


def test_values_the_link_gives_are_resolved_by_name_and_bound(smp_client):
    text = loaded_text(smp_client, example="initiatives-by-funder", funder="European Union")
    assert "# Parameter ?funder: European Union (agent:european-union), as the link gives it" in (
        text
    )
    assert f"VALUES ?funder {{ <{EU}> }}" in text
    json = {"accept": "application/sparql-results+json"}
    edited = smp_client.post("/sparql", data={"query": text}, headers=json).json()
    named = smp_client.get(
        "/queries/initiatives-by-funder", params={"funder": "agent:european-union"}, headers=json
    ).json()
    assert rows(edited) and rows(edited) == rows(named)
    # A string value is a literal, escaped: it cannot end the VALUES block.
    text = loaded_text(smp_client, example="search", text='x" } ?s ?p ?o {')
    assert 'VALUES ?text { "x\\" } ?s ?p ?o {" }' in text


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"funder": "Europen Union"}, "did you mean European Union (agent:european-union)"),
        ({"funder": "agent:european-UNION"}, "did you mean European Union"),
        ({"bogus": "1"}, "not a parameter of initiatives-by-funder"),
    ],
)
def test_a_bad_value_in_the_link_is_a_400_with_the_forms_message(smp_client, params, message):
    r = smp_client.get(
        "/editor", params={"example": "initiatives-by-funder", **params}, headers=HTML
    )
    assert r.status_code == 400
    assert html.escape(message) in r.text and "<textarea" not in r.text
