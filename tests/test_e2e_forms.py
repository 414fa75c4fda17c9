"""Named queries as forms, end to end in real headless Chromium against the real service
(the `visit` fixture of tests/conftest.py: no off-host request, no console error, no CSP
violation, axe-core, screenshots at 1280 and 375 px, no page overflow).

The expected rows are read off the repository's graph through an engine, with the query's
own text and the country bound as an IRI, so the test follows the data."""

from __future__ import annotations

import re

import pytest
from conftest import smp_settings

from smpkg.build import build, open_engine
from smpkg.describe import Links
from smpkg.queries import load_named_queries

pytestmark = pytest.mark.network_peer

QUERIES = load_named_queries(smp_settings().queries_dir)


@pytest.fixture(scope="module")
def engine():
    return open_engine(build(smp_settings()), "oxigraph")


def expected_rows(engine, name: str, **values) -> list[dict]:
    query = QUERIES[name]
    answer = engine.execute(query.text, bindings=query.bindings(values))
    return [dict(zip(answer.variables, row, strict=True)) for row in answer.rows]


def test_run_a_named_query_from_its_form_with_a_country_picked_by_name(visit, engine):
    page = visit.page
    query = QUERIES["initiatives-by-origin"]
    visit.goto("/queries")
    visit.check("queries")
    with page.expect_navigation():
        page.get_by_role("link", name=query.summary, exact=True).click()
    assert page.url.endswith("/queries/initiatives-by-origin")
    visit.check("query-form")

    page.get_by_label("Country").fill("Morocco")
    with page.expect_navigation():
        page.get_by_role("button", name="Run").click()
    assert "country=Morocco" in page.url

    expected = expected_rows(engine, "initiatives-by-origin", country="country:MAR")
    assert expected, "the graph names no initiative with Morocco as an origin"
    table = page.get_by_role("region", name="Results of initiatives-by-origin")
    rows = table.locator("tbody tr")
    assert rows.count() == len(expected)
    href = Links(smp_settings().base_iri).href
    for row in expected:
        link = table.locator(f'a[href="{href(row["initiative"])}"]').first
        assert link.inner_text() == str(row["initiativeLabel"])
        assert href(row["initiative"]).startswith("/id/programme/")
    # Every link of the table stays on this service; no datatype IRI is printed.
    targets = table.locator("a").evaluate_all("links => links.map((a) => a.href)")
    assert targets and all(t.startswith(visit.server.url) for t in targets)
    assert "XMLSchema" not in table.inner_text() and "^^" not in table.inner_text()
    downloads = page.get_by_role("link", name=re.compile("^(CSV|TSV|JSON)$"))
    assert downloads.count() == 3
    visit.check("query-results")

    # A link of the table opens this service's page of the programme.
    first = expected[0]
    with page.expect_navigation():
        table.get_by_role("link", name=str(first["initiativeLabel"]), exact=True).first.click()
    assert page.url == visit.server.url + href(first["initiative"])


def test_a_declared_chart_is_drawn(visit, engine):
    page = visit.page
    visit.goto("/queries/origin-ranking")
    chart = page.locator("#query-chart svg")
    chart.wait_for()
    rows = expected_rows(engine, "origin-ranking", kind="smp:Initiative")
    assert chart.locator("rect.bar").count() == min(len(rows), 25)
    visit.check("query-chart")


def test_a_misspelt_country_shows_the_form_again_with_suggestions(visit):
    page = visit.page
    response = page.goto(visit.server.url + "/queries/initiatives-by-origin?country=country%3Amar")
    assert response is not None and response.status == 400
    alert = page.get_by_role("alert")
    assert "did you mean Morocco (country:MAR)" in alert.inner_text()
    assert page.get_by_label("Country").input_value() == "country:mar"
