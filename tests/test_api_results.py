"""api/results.py: the HTML page of /sparql results, rendered by the service in the site's
frame (the workers send SPARQL JSON or N-Triples, never HTML)."""

from __future__ import annotations

import pytest

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PREFIXES = "PREFIX smp: <https://w3id.org/smpkg/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"


def page(client, query: str, headers=BROWSER, **params) -> str:
    response = client.get("/sparql", params={"query": query, **params}, headers=headers)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return response.text


def test_a_select_page_is_in_the_site_frame_with_labels_and_local_links(smp_client):
    body = page(
        smp_client,
        PREFIXES + "SELECT ?country ?code WHERE { ?country smp:iso3166Alpha3 ?code } "
        "ORDER BY ?code LIMIT 3",
    )
    # The frame of every page: the main navigation, with SPARQL as the current entry.
    assert 'aria-label="Main"' in body and 'href="/sparql" aria-current="page"' in body
    assert 'href="/queries"' in body and 'class="site-footer"' in body
    assert "3 rows" in body
    # The country's label, linked to this service's page; the code as a value.
    assert '<a href="/id/country/ALB" title="country:ALB">Albania</a>' in body
    assert "<td>ALB</td>" in body
    assert 'href="https://w3id.org/smpkg' not in body


def test_typed_and_tagged_literals_show_their_values_only(smp_client):
    body = page(
        smp_client,
        'SELECT ?y ?t WHERE { BIND ("2019"^^<http://www.w3.org/2001/XMLSchema#gYear> AS ?y) '
        'BIND ("Maroc"@fr AS ?t) }',
    )
    assert "<td>2019</td>" in body and "<td>Maroc</td>" in body
    assert "XMLSchema#gYear" not in body.split("<h2>Query</h2>")[0]
    assert "@fr" not in body.split("<h2>Query</h2>")[0]


def test_the_page_escapes_what_the_data_holds(smp_client):
    body = page(smp_client, "SELECT ?x WHERE { BIND ('<script>alert(1)</script>' AS ?x) }")
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body


def test_ask_and_construct_pages(smp_client):
    assert '<p class="boolean">true</p>' in page(smp_client, "ASK {}")
    body = page(
        smp_client,
        PREFIXES + "CONSTRUCT { ?c rdfs:label ?l } WHERE { ?c smp:iso3166Alpha3 'MAR' ; "
        "rdfs:label ?l }",
    )
    assert "1 triple" in body and '<a href="/id/country/MAR"' in body


@pytest.mark.parametrize("accept", ["*/*", "application/sparql-results+json", None])
def test_clients_that_do_not_ask_for_html_get_data(smp_client, accept):
    headers = {"Accept": accept} if accept else {}
    response = smp_client.get("/sparql", params={"query": "ASK {}"}, headers=headers)
    assert response.headers["content-type"].startswith("application/sparql-results+json")
    forced = smp_client.get(
        "/sparql", params={"query": "ASK {}", "format": "html"}, headers=headers
    )
    assert forced.headers["content-type"] == "text/html; charset=utf-8"
