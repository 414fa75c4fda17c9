"""A named query's parameters in real headless Chromium, against the real service: a
parameterised query loaded in the editor comes with its example bound and runs; a funder is
picked by name in a form, its results open in the editor with the same value; a declared line
chart is drawn. Every page obeys the rules of `visit.check` (no off-host request, no console
error, no CSP violation, axe-core, screenshots at 1280 and 375 px)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from smpkg.namespaces import PREFIXES

pytestmark = pytest.mark.network_peer

EU = f"{PREFIXES['agent']}european-union"
MPF = f"{PREFIXES['instr']}mpf"


def named_rows(page, name: str, **values) -> list[dict]:
    """The named query's own answer (the engine binds the values), fetched by the page."""
    return page.evaluate(
        """async ([name, values]) => {
            const r = await fetch(`/queries/${name}?${new URLSearchParams(values)}`,
                                  {headers: {Accept: 'application/sparql-results+json'}});
            return (await r.json()).results.bindings;
        }""",
        [name, values],
    )


def editor_code(page) -> str:
    return page.locator(".editor-box .CodeMirror-code").inner_text()


def run_in_editor(page) -> int:
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("#table table.results tbody tr")
    return page.locator("#table tbody tr").count()


def test_a_parameterised_query_loads_in_the_editor_with_its_example_bound(visit):
    page = visit.page
    visit.goto("/editor")
    page.wait_for_selector("#editor[data-ready='true']")
    page.get_by_label("Example").select_option("initiatives-by-funder")
    with page.expect_navigation():
        page.get_by_role("button", name="Load").click()
    page.wait_for_selector("#editor[data-ready='true']")
    code = editor_code(page)
    assert "# Parameter ?funder: European Union (agent:european-union)" in code
    assert f"VALUES ?funder {{ <{EU}> }}" in code
    assert "European Union (agent:european-union)" in page.locator("#loaded").inner_text()
    expected = named_rows(page, "initiatives-by-funder", funder="agent:european-union")
    assert expected, "the graph names no initiative funded by the European Union"
    assert run_in_editor(page) == len(expected)
    shown = set(page.locator("#table tbody tr td:nth-child(4)").all_inner_texts())
    assert shown == {row["initiativeLabel"]["value"] for row in expected}
    visit.check("editorp-example")


def test_pick_a_funder_by_name_and_open_the_query_in_the_editor(visit):
    page = visit.page
    visit.goto("/queries/initiatives-by-funder")
    funder = page.get_by_role("combobox", name="Funder (required)")
    assert funder.get_attribute("list") == "l-funder"
    suggestions = page.locator("#l-funder option").evaluate_all("os => os.map((o) => o.value)")
    assert "Migration Partnership Facility" in suggestions and "European Union" in suggestions
    visit.check("editorp-funder-form")

    funder.fill("Migration Partnership Facility")
    with page.expect_navigation():
        page.get_by_role("button", name="Run").click()
    assert parse_qs(urlsplit(page.url).query) == {"funder": ["Migration Partnership Facility"]}
    expected = named_rows(page, "initiatives-by-funder", funder="instr:mpf")
    assert expected, "the graph names no initiative financed through the MPF"
    table = page.get_by_role("region", name="Results of initiatives-by-funder")
    assert table.locator("tbody tr").count() == len(expected)
    visit.check("editorp-funder-results")

    with page.expect_navigation():
        page.get_by_role("link", name="Open in the editor").click()
    page.wait_for_selector("#editor[data-ready='true']")
    assert f"VALUES ?funder {{ <{MPF}> }}" in editor_code(page)
    assert run_in_editor(page) == len(expected)
    visit.check("editorp-funder-editor")


def test_a_line_chart_is_drawn_over_the_years(visit):
    page = visit.page
    visit.goto("/queries/initiatives-per-year")
    chart = page.locator("#query-chart svg")
    chart.wait_for()
    years = [int(row["year"]["value"]) for row in named_rows(page, "initiatives-per-year")]
    assert years
    assert chart.locator("path.line").count() == 1
    # A point per year from the first to the last, the years without a row at 0.
    assert chart.locator("circle.point").count() == max(years) - min(years) + 1
    visit.check("editorp-line-chart")
