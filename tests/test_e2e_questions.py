"""Three everyday questions, each answered in at most three clicks from the home page, in real
Chromium against the real service (fixtures `visit` and `app_server` of conftest.py). The
answer on the page is checked against the graph: the expected programmes are computed by
SPARQL on the service's own engine in the test, never written down here.

The paths, click by click:

- "Which programmes bring nurses to Germany?"  Home → the "Programmes" card → the occupation
  facet's "nurses" box → the destination facet's "Germany" box: the table lists them (3 clicks).
  Nurses are an occupation (smp:targetsOccupation), not the healthcare sector.
- "Which programmes involve Morocco and who funds them?"  Home → "Programmes" → the "Country,
  in any role" facet's "Morocco" box: the table lists every programme that involves Morocco
  (smp:involves: origin, partner, signatory, participant or a place named without a role),
  with a Funders column (2 clicks).
- "What ran in 2019?"  Home → "timeline" → "2019" under "What ran in a year": the programmes
  table of those running in 2019 (started by 2019, not ended before it) (2 clicks).

The home page also offers each question as an example under its search box (1 click): the
same table.
"""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.network_peer

BASE = "https://w3id.org/smpkg/"
PREFIXES = """PREFIX smp: <https://w3id.org/smpkg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""
NURSES_TO_GERMANY = """SELECT DISTINCT ?p WHERE {
  ?p a smp:Initiative ;
     smp:targetsOccupation <https://w3id.org/smpkg/id/occupation/nurses> ;
     smp:destinationCountry <https://w3id.org/smpkg/id/country/DEU> .
}"""
MOROCCO_AND_FUNDERS = """SELECT ?p (GROUP_CONCAT(DISTINCT ?funderLabel; separator="|") AS ?funders)
WHERE {
  ?p a smp:Initiative ; smp:involves <https://w3id.org/smpkg/id/country/MAR> .
  OPTIONAL {
    { ?p smp:fundedBy ?funder } UNION { ?p smp:financedThrough/smp:fundedBy ?funder }
    ?funder rdfs:label ?funderLabel FILTER (LANG(?funderLabel) IN ("en", ""))
  }
} GROUP BY ?p"""
# The rule of the named query initiatives-in-year: the start is the first of startDate,
# launchDate, entryIntoForceDate, signedDate; it ran in Y when start year <= Y and its end
# year (if any) >= Y.
RAN_IN_2019 = """SELECT DISTINCT ?p WHERE {
  ?p a smp:Initiative .
  OPTIONAL { ?p smp:startDate ?s1 } OPTIONAL { ?p smp:launchDate ?s2 }
  OPTIONAL { ?p smp:entryIntoForceDate ?s3 } OPTIONAL { ?p smp:signedDate ?s4 }
  OPTIONAL { ?p smp:endDate ?end }
  BIND (COALESCE(?s1, ?s2, ?s3, ?s4) AS ?start)
  FILTER (BOUND(?start) && xsd:integer(SUBSTR(STR(?start), 1, 4)) <= 2019)
  FILTER (!BOUND(?end) || xsd:integer(SUBSTR(STR(?end), 1, 4)) >= 2019)
}"""


def select(server, text: str) -> list[dict[str, str]]:
    response = httpx.post(
        server.endpoint,
        data={"query": PREFIXES + text},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    response.raise_for_status()
    rows = response.json()["results"]["bindings"]
    return [{k: v["value"] for k, v in row.items()} for row in rows]


def page_of(iri: str) -> str:
    assert iri.startswith(BASE), iri
    return "/" + iri[len(BASE) :]


class Clicks:
    """Clicks that each open a page, counted."""

    def __init__(self, visit):
        self.visit = visit
        self.count = 0

    def __call__(self, locator) -> None:
        with self.visit.page.expect_navigation():
            locator.click()
        self.count += 1


def table(page) -> list[dict[str, str]]:
    """The results table as {column title: cell text}, plus `href`: the first cell's link."""
    titles = [t.strip(" ▲▼") for t in page.locator("table.results thead th").all_inner_texts()]
    out = []
    for row in page.locator("table.results tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        link = row.locator("td").first.locator("a").first.get_attribute("href")
        out.append({**dict(zip(titles, cells, strict=True)), "href": link or ""})
    return out


def example(visit, text: str) -> list[dict[str, str]]:
    """The table that the home page's example link opens (one click)."""
    visit.goto("/")
    with visit.page.expect_navigation():
        visit.page.locator("p.examples").get_by_role("link", name=text).click()
    return table(visit.page)


def test_which_programmes_bring_nurses_to_germany(visit):
    page, click = visit.page, Clicks(visit)
    visit.goto("/")
    click(page.locator(".cards a[href='/browse/programmes']"))
    click(page.get_by_role("group", name="Occupation").locator("input[value='occ:nurses']"))
    destination = page.get_by_role("group", name="Destination country")
    click(destination.locator("input[value='country:DEU']"))
    assert click.count <= 3

    expected = {page_of(r["p"]) for r in select(visit.server, NURSES_TO_GERMANY)}
    shown = table(page)
    assert expected and {r["href"] for r in shown} == expected
    assert len(shown) == len(expected)
    visit.check("question-nurses-to-germany")
    assert example(visit, "programmes bringing nurses to Germany") == shown


def test_which_programmes_involve_morocco_and_who_funds_them(visit):
    page, click = visit.page, Clicks(visit)
    visit.goto("/")
    click(page.locator(".cards a[href='/browse/programmes']"))
    any_role = page.get_by_role("group", name="Country, in any role")
    click(any_role.locator("input[value='country:MAR']"))
    assert click.count <= 3

    expected = {
        page_of(r["p"]): sorted(filter(None, r.get("funders", "").split("|")))
        for r in select(visit.server, MOROCCO_AND_FUNDERS)
    }
    shown = {r["href"]: sorted(filter(None, r["Funders"].split("\n"))) for r in table(page)}
    assert expected and shown == expected
    assert any(expected.values()), "no programme involving Morocco names a funder"
    visit.check("question-morocco-funders")
    rows = example(visit, "programmes involving Morocco, and their funders")
    assert {r["href"] for r in rows} == set(expected)


def test_what_ran_in_2019(visit):
    page, click = visit.page, Clicks(visit)
    visit.goto("/")
    click(page.get_by_role("link", name="timeline", exact=True))
    years = page.get_by_role("navigation", name="What ran in a year")
    click(years.get_by_role("link", name="2019", exact=True))
    assert click.count <= 3

    expected = {page_of(r["p"]) for r in select(visit.server, RAN_IN_2019)}
    shown = [r["href"] for r in table(page)]
    assert expected and set(shown) == expected and len(shown) == len(expected)
    visit.check("question-2019")
    assert [r["href"] for r in example(visit, "what ran in 2019")] == shown
