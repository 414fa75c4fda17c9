"""Content negotiation: every result format, q-values, wildcards, format=, 406, charsets."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from conftest import EX, PEOPLE
from rdflib import Dataset, Graph

SELECT = f"SELECT ?p ?name WHERE {{ GRAPH <{PEOPLE}> {{ ?p <{EX}name> ?name }} }} ORDER BY ?p"
CONSTRUCT = f"CONSTRUCT {{ ?p <{EX}name> ?name }} WHERE {{ ?p <{EX}name> ?name }}"
SRX = "{http://www.w3.org/2005/sparql-results#}"


def get(client, query, accept=None, **params):
    headers = {"Accept": accept} if accept is not None else {}
    return client.get("/sparql", params={"query": query, **params}, headers=headers)


def check_select(fmt: str, body: str) -> list[tuple[str, str]]:
    """The (person, name) rows, parsed from each result format."""
    if fmt == "json":
        rows = json.loads(body)["results"]["bindings"]
        return [(r["p"]["value"], r["name"]["value"]) for r in rows]
    if fmt == "xml":
        root = ET.fromstring(body)
        out = []
        for result in root.iter(f"{SRX}result"):
            cells = {b.get("name"): "".join(b.itertext()) for b in result.iter(f"{SRX}binding")}
            out.append((cells["p"], cells["name"]))
        return out
    if fmt == "csv":
        reader = csv.reader(io.StringIO(body))
        assert next(reader) == ["p", "name"]
        return [tuple(row) for row in reader]
    if fmt == "tsv":
        lines = body.splitlines()
        assert lines[0] == "?p\t?name"
        out = []
        for line in lines[1:]:
            p, name = line.split("\t")
            out.append((p.strip("<>"), name.split('"')[1]))
        return out
    raise AssertionError(fmt)


EXPECTED = [(f"{EX}bob", "Bob"), (f"{EX}carol", "Carol")]


@pytest.mark.parametrize(
    "fmt,media",
    [
        ("json", "application/sparql-results+json"),
        ("xml", "application/sparql-results+xml"),
        ("csv", "text/csv"),
        ("tsv", "text/tab-separated-values"),
    ],
)
def test_select_formats_by_accept_and_by_format_param(client, fmt, media):
    for response in (
        get(client, SELECT, media),
        get(client, SELECT, None, format=fmt),
        client.post("/sparql", data={"query": SELECT, "format": fmt}),
    ):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == f"{media}; charset=utf-8"
        assert check_select(fmt, response.text) == EXPECTED


@pytest.mark.parametrize(
    "media", ["application/sparql-results+json", "application/sparql-results+xml"]
)
def test_ask_formats(client, media):
    r = get(client, f"ASK {{ <{EX}bob> ?p ?o }}", media)
    assert r.headers["content-type"] == f"{media}; charset=utf-8"
    assert "true" in r.text


@pytest.mark.parametrize(
    "key,media,parse",
    [
        ("turtle", "text/turtle", "turtle"),
        ("ntriples", "application/n-triples", "nt"),
        ("nquads", "application/n-quads", "nquads"),
        ("trig", "application/trig", "trig"),
        ("jsonld", "application/ld+json", "json-ld"),
        ("rdfxml", "application/rdf+xml", "xml"),
    ],
)
def test_graph_formats(client, key, media, parse):
    for response in (get(client, CONSTRUCT, media), get(client, CONSTRUCT, None, format=key)):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == f"{media}; charset=utf-8"
        if parse in ("nquads", "trig"):
            dataset = Dataset()
            dataset.parse(data=response.text, format=parse)
            names = {str(q[2]) for q in dataset.quads((None, None, None, None))}
        else:
            names = {str(o) for o in Graph().parse(data=response.text, format=parse).objects()}
        assert names == {"Alice", "Bob", "Carol"}


def test_default_formats(client):
    assert get(client, SELECT).headers["content-type"].startswith("application/sparql-results+json")
    assert get(client, CONSTRUCT).headers["content-type"].startswith("text/turtle")
    assert (
        get(client, SELECT, "*/*")
        .headers["content-type"]
        .startswith("application/sparql-results+json")
    )


def test_q_values_decide(client):
    accept = "application/sparql-results+json;q=0.5, text/csv;q=0.9, application/xml;q=0.1"
    assert get(client, SELECT, accept).headers["content-type"].startswith("text/csv")
    accept = "text/turtle;q=0.2, application/n-triples;q=0.8"
    assert (
        get(client, CONSTRUCT, accept).headers["content-type"].startswith("application/n-triples")
    )


def test_wildcards(client):
    assert get(client, SELECT, "text/*").headers["content-type"].startswith("text/csv")
    assert (
        get(client, CONSTRUCT, "application/*")
        .headers["content-type"]
        .startswith("application/n-triples")
    )
    # A specific type beats a wildcard of equal q, whatever the order.
    r = get(client, SELECT, "*/*, text/tab-separated-values")
    assert r.headers["content-type"].startswith("text/tab-separated-values")
    # q=0 excludes a type that a wildcard would otherwise pick.
    r = get(client, SELECT, "application/sparql-results+json;q=0, */*;q=0.5")
    assert r.headers["content-type"].startswith("application/sparql-results+xml")


def test_browsers_get_an_html_table(client):
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r = get(client, SELECT, accept)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert '<th scope="col">p</th><th scope="col">name</th>' in r.text
    assert f'<a href="{EX}bob" title="{EX}bob">{EX}bob</a>' in r.text
    # In the site's frame, whose scripts are files (the CSP allows no inline script).
    assert 'aria-label="Main"' in r.text
    assert "2 rows" in r.text and not re.search(r"<script(?![^>]*\bsrc=)", r.text)
    r = get(client, CONSTRUCT, None, format="html")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert "3 triples" in r.text
    # HTML is only served when asked for by name: never for */*.
    assert not get(client, SELECT, "*/*").headers["content-type"].startswith("text/html")


def test_html_escapes_everything(client):
    query = 'SELECT ?x WHERE { BIND("<script>alert(1)</script>" AS ?x) }'
    r = get(client, query, "text/html")
    assert "<script>alert" not in r.text and "&lt;script&gt;" in r.text


def test_aliases(client):
    assert (
        get(client, SELECT, "application/json")
        .headers["content-type"]
        .startswith("application/sparql-results+json")
    )
    assert (
        get(client, CONSTRUCT, "application/x-turtle")
        .headers["content-type"]
        .startswith("text/turtle")
    )


def test_format_param_beats_accept(client):
    r = get(client, SELECT, "application/sparql-results+xml", format="csv")
    assert r.headers["content-type"].startswith("text/csv")


def test_format_param_json_for_a_graph_is_json_ld(client):
    """SPARQLWrapper sends format=json for a CONSTRUCT with returnFormat JSON."""
    r = get(client, CONSTRUCT, None, format="json")
    assert r.headers["content-type"].startswith("application/ld+json")


def test_several_format_params_first_usable_wins(client):
    r = client.get(
        "/sparql",
        params=[("query", SELECT), ("format", "tsv"), ("format", "text/tab-separated-values")],
    )
    assert r.headers["content-type"].startswith("text/tab-separated-values")


@pytest.mark.parametrize(
    "query,accept",
    [
        (SELECT, "text/turtle"),
        (SELECT, "image/png"),
        (CONSTRUCT, "application/sparql-results+json"),
        (CONSTRUCT, "text/csv;q=1, */*;q=0"),
    ],
)
def test_406_lists_what_we_can_serve(client, query, accept):
    r = get(client, query, accept)
    assert r.status_code == 406
    offered = (
        ["text/turtle", "application/n-triples", "application/ld+json"]
        if query is CONSTRUCT
        else ["application/sparql-results+json", "text/csv"]
    )
    for media in offered:
        assert media in r.text


def test_406_as_json(client):
    r = get(client, SELECT, "image/png, application/json;q=0.1")
    # application/json is an alias of SPARQL JSON results: served, not refused.
    assert r.status_code == 200
    r = client.get(
        "/sparql", params={"query": SELECT, "format": "png"}, headers={"Accept": "application/json"}
    )
    assert r.status_code == 406
    doc = r.json()
    assert "text/csv" in doc["available"]


def test_unknown_format_param_is_406(client):
    r = get(client, SELECT, None, format="yaml")
    assert r.status_code == 406
    assert "yaml" in r.text


def test_every_response_has_a_charset(client):
    responses = [
        get(client, SELECT, f) for f in ("application/sparql-results+json", "text/csv")
    ] + [
        get(client, "ASK {", None),
        get(client, SELECT, "image/png"),
        client.get("/sparql", headers={"Accept": "text/turtle"}),
        client.get("/sparql", headers={"Accept": "text/html"}),
        client.get("/health"),
        client.get("/metrics"),
        client.get("/"),
        client.get("/no/such/page"),
    ]
    for r in responses:
        assert "charset=utf-8" in r.headers["content-type"], (r.request.url, r.headers)
