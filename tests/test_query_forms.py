"""api/query_forms.py over the repository's graph: the pickers of role parameters (funder,
implementer, party, what figures are about, a class with members), built from the values the graph holds in that role; the link from a
form to the editor; a declared line chart."""

from __future__ import annotations

import html
import json
import re

import pytest

from smpkg.describe import compact

HTML = {"accept": "text/html"}
JSON = {"accept": "application/sparql-results+json"}
SMP = "https://w3id.org/smpkg/ontology#"

# Each role parameter, and a query that lists what the graph holds in that role, written
# here apart from the service's own choices queries.
ROLES = {
    ("initiatives-by-funder", "funder"): f"""
        SELECT DISTINCT ?v WHERE {{ ?i a <{SMP}Initiative> .
          {{ ?i <{SMP}fundedBy> ?v }} UNION {{ ?i <{SMP}financedThrough> ?v }} }}""",
    ("initiatives-by-implementer", "implementer"): f"""
        SELECT DISTINCT ?v WHERE {{ ?i a <{SMP}Initiative> ; <{SMP}implementedBy> ?a .
          ?a <http://www.w3.org/ns/org#subOrganizationOf>* ?v }}""",
    ("figures", "about"): f"""
        SELECT DISTINCT ?v WHERE {{ ?f a <{SMP}Figure> ; <{SMP}figureAbout> ?v }}""",
    ("iom-prerequisites", "guidance"): f"""
        SELECT DISTINCT ?v WHERE {{ ?p a <{SMP}Prerequisite> ; <{SMP}describedIn> ?c .
          ?c <{SMP}sectionOf> ?v }}""",
}


def datalist(page: str, name: str) -> list[tuple[str, str]]:
    """(label, CURIE) of each suggestion of the field `name`."""
    found = re.search(rf'<datalist id="l-{name}">(.*?)</datalist>', page, re.S)
    assert found, f"no suggestions for {name}"
    return [
        (html.unescape(label), curie)
        for label, curie in re.findall(r'<option value="([^"]*)">([^ <]*)', found.group(1))
    ]


@pytest.mark.parametrize(("query", "param"), sorted(ROLES))
def test_a_role_parameter_offers_what_the_graph_holds_in_that_role(smp_client, query, param):
    page = smp_client.get(f"/queries/{query}", headers=HTML).text
    assert f'<input id="p-{param}" name="{param}" type="text" list="l-{param}"' in page
    offered = datalist(page, param)
    answer = smp_client.post("/sparql", data={"query": ROLES[(query, param)]}, headers=JSON)
    held = {compact(b["v"]["value"]) for b in answer.json()["results"]["bindings"]}
    assert held and {curie for _, curie in offered} == held
    # Every suggestion, given by its name, runs and finds initiatives.
    for label, curie in offered:
        r = smp_client.get(f"/queries/{query}", params={param: label}, headers=JSON)
        assert r.status_code == 200, (label, r.text[:200])
        assert r.json()["results"]["bindings"], f"{label} ({curie}) finds nothing"


def test_funders_are_actors_and_instruments_alike(smp_client):
    offered = dict(
        datalist(smp_client.get("/queries/initiatives-by-funder", headers=HTML).text, "funder")
    )
    assert offered["European Union"] == "agent:european-union"
    assert offered["Migration Partnership Facility"] == "instr:mpf"


@pytest.mark.parametrize(
    "typed", ["European Union", "european union", "EU", "agent:european-union"]
)
def test_a_funder_by_name_acronym_or_curie(smp_client, typed):
    r = smp_client.get("/queries/initiatives-by-funder", params={"funder": typed}, headers=JSON)
    assert r.status_code == 200
    funders = {b["funder"]["value"] for b in r.json()["results"]["bindings"]}
    assert funders == {"https://w3id.org/smpkg/id/organisation/european-union"}


def test_a_party_picker_takes_places_and_actors(smp_client):
    offered = dict(
        datalist(smp_client.get("/queries/initiatives-involving", headers=HTML).text, "party")
    )
    assert offered["Spain"] == "country:ESP"
    assert offered["International Organization for Migration"] == "agent:iom"
    r = smp_client.get("/queries/initiatives-involving", params={"party": "IOM"}, headers=JSON)
    assert r.status_code == 200 and r.json()["results"]["bindings"]


def test_a_bad_funder_is_a_400_with_suggestions(smp_client):
    page = smp_client.get(
        "/queries/initiatives-by-funder", params={"funder": "Europen Union"}, headers=HTML
    )
    assert page.status_code == 400 and 'role="alert"' in page.text
    assert html.escape("did you mean European Union (agent:european-union)?") in page.text
    assert 'value="Europen Union"' in page.text  # the form again, with what was typed
    api = smp_client.get("/queries/initiatives-by-funder", params={"funder": "agent:EU"})
    assert api.status_code == 400 and "not a known funder" in api.text


def test_the_form_opens_in_the_editor_with_the_chosen_values(smp_client):
    page = smp_client.get(
        "/queries/initiatives-by-funder", params={"funder": "EU"}, headers=HTML
    ).text
    link = re.search(r'<a class="note" id="open-in-editor" href="([^"]*)"', page)
    assert (
        link and html.unescape(link.group(1)) == "/editor?example=initiatives-by-funder&funder=EU"
    )
    editor = smp_client.get(html.unescape(link.group(1)), headers=HTML)
    assert editor.status_code == 200
    assert "VALUES ?funder { &lt;https://w3id.org/smpkg/id/organisation/european-union&gt; }" in (
        editor.text
    )
    blank = smp_client.get("/queries/initiatives-by-funder", headers=HTML).text
    assert 'href="/editor?example=initiatives-by-funder"' in blank


def test_a_line_chart_gets_a_point_per_row(smp_client):
    page = smp_client.get("/queries/initiatives-per-year", headers=HTML).text
    figure = re.search(
        r'<figure class="chart" id="query-chart" data-type="line" data-bars="([^"]*)"', page
    )
    assert figure, "no line chart"
    points = json.loads(html.unescape(figure.group(1)))
    answer = smp_client.get("/queries/initiatives-per-year", headers=JSON).json()
    rows = [(b["year"]["value"], int(b["started"]["value"])) for b in answer["results"]["bindings"]]
    assert rows and [(p["label"], p["value"]) for p in points] == rows
    assert "/static/query-chart.js" in page and "<script>" not in page


def test_a_class_picker_offers_the_classes_with_members(smp_client):
    page = smp_client.get("/queries/class-members", headers=HTML).text
    offered = dict(datalist(page, "class"))
    assert offered["EU-funded initiative"] == "smp:EUFundedInitiative"
    query = "SELECT DISTINCT ?c WHERE { ?m a ?c FILTER (isIRI(?c)) }"
    answer = smp_client.post("/sparql", data={"query": query}, headers=JSON).json()
    assert set(offered.values()) == {
        compact(b["c"]["value"]) for b in answer["results"]["bindings"]
    }
    r = smp_client.get(
        "/queries/class-members", params={"class": "EU-funded initiative"}, headers=JSON
    )
    assert r.status_code == 200 and r.json()["results"]["bindings"]


def test_an_entity_is_picked_by_name_among_the_labelled_resources(smp_client):
    page = smp_client.get("/queries/entity-card", headers=HTML).text
    offered = {curie: label for label, curie in datalist(page, "entity")}
    assert offered["country:MAR"] == "Morocco" and "Labour Migration" in offered["prog:thamm"]
    by_name = smp_client.get("/queries/entity-card", params={"entity": "THAMM"}, headers=JSON)
    by_curie = smp_client.get("/queries/entity-card", params={"entity": "prog:thamm"}, headers=JSON)
    assert by_name.status_code == 200 and by_name.json()["results"]["bindings"]
    assert by_name.json() == by_curie.json()
    typo = smp_client.get("/queries/entity-card", params={"entity": "THAMN"}, headers=HTML)
    assert typo.status_code == 400
    assert "did you mean" in typo.text and "(prog:thamm)" in typo.text
