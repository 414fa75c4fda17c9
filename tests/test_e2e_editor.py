"""The query editor (/editor) end to end in real headless Chromium, against the real service:
run a query and see its rows with local links, sort them, share the URL; a broken query shows
the server's own message; a named query loads as an example; completion offers the graph's
own classes and resources. Every page obeys the rules of `visit.check` (no request leaves
127.0.0.1, which also proves that yasqe's prefix.cc and LOV completers stay off)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

pytestmark = pytest.mark.network_peer

SMP = "https://w3id.org/smpkg/ontology#"
QUERY = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX smp: <{SMP}>
SELECT ?country ?name
WHERE {{ ?country a smp:Country ; rdfs:label ?name . FILTER (LANG(?name) IN ("en", "")) }}
ORDER BY ?name
LIMIT 12
"""
BROKEN = "SELECT ?x WHERE { ?x ?y }"


def open_editor(visit, path: str = "/editor") -> None:
    visit.goto(path)
    visit.page.wait_for_selector("#editor[data-ready='true']")


def set_query(page, text: str) -> None:
    """The text typed into the editor as a user pastes it (the editor's own input path)."""
    page.locator(".editor-box .CodeMirror").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def cell_texts(page, column: int) -> list[str]:
    return page.locator(f"#table tbody tr td:nth-child({column})").all_inner_texts()


def test_run_a_query_and_see_its_rows_with_local_links(visit):
    page = visit.page
    open_editor(visit)
    visit.check("editor")
    set_query(page, QUERY)
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("#table table.results tbody tr")
    assert page.locator("#status").inner_text().startswith("12 rows")
    names = cell_texts(page, 2)
    assert len(names) == 12 and names == sorted(names, key=str.casefold)
    link = page.locator("#table tbody tr td:nth-child(1) a").first
    href = link.get_attribute("href")
    assert href is not None and href.startswith("/id/country/")
    # Sorting by a column's button, descending on the second press.
    sort = page.locator("#table thead button", has_text="name")
    sort.click()
    sort.click()
    assert cell_texts(page, 2) == sorted(names, key=str.casefold, reverse=True)
    assert page.locator("th[aria-sort='descending']").count() == 1
    # Downloads of the same query.
    csv_link = page.get_by_role("link", name="CSV")
    assert parse_qs(urlsplit(csv_link.get_attribute("href") or "").query)["format"] == ["csv"]
    visit.check("editor-results")

    # The URL holds the query: opening it restores the query and runs it again.
    shared = page.url
    assert parse_qs(urlsplit(shared).query) == {"query": [QUERY], "run": ["1"]}
    page.goto(shared)
    page.wait_for_selector("#table table.results tbody tr")
    assert cell_texts(page, 2) == names
    with page.expect_navigation():
        page.locator(f'#table a[href="{href}"]').first.click()
    assert urlsplit(page.url).path == href


def test_a_broken_query_shows_the_servers_message_inline(visit):
    page = visit.page
    open_editor(visit)
    set_query(page, BROKEN)
    page.get_by_role("button", name="Run").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    server = page.evaluate(
        """async (query) => {
            const r = await fetch('/sparql', {method: 'POST', body: new URLSearchParams({query}),
                                            headers: {Accept: 'application/json'}});
            return [r.status, (await r.json()).detail];
        }""",
        BROKEN,
    )
    assert server[0] == 400 and server[1]
    assert "The query has an error" in alert.inner_text()
    assert server[1].strip() in alert.inner_text()
    assert page.locator("#table tr").count() == 0
    # The editor marks the line too; its tooltip is built without an inline style.
    page.locator(".parseErrorIcon").first.hover()
    assert "Expected" in page.locator(".yasqe_tooltip").inner_text()
    # Chromium logs every 4xx answer to fetch() (the editor's and this test's own) as a
    # console error; those two are expected here, and nothing else may be there.
    expected = "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    assert visit.console == [expected, expected]
    visit.console.clear()
    visit.check("editor-error")


def test_load_a_named_query_as_an_example(visit):
    page = visit.page
    open_editor(visit)
    page.get_by_label("Example").select_option("initiatives-by-origin")
    with page.expect_navigation():
        page.get_by_role("button", name="Load").click()
    page.wait_for_selector("#editor[data-ready='true']")
    code = page.locator(".editor-box .CodeMirror-code").inner_text()
    assert "Initiatives by origin country" in code
    assert parse_qs(urlsplit(page.url).query) == {"example": ["initiatives-by-origin"]}
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("#table table.results tbody tr")
    visit.check("editor-example")


def test_completion_offers_the_graphs_classes_and_resources(visit):
    page = visit.page
    open_editor(visit)
    set_query(page, f"PREFIX smp: <{SMP}>\nSELECT * WHERE {{ ?x a smp:Initi")
    page.keyboard.press("Control+Space")
    hints = page.locator(".CodeMirror-hints")
    hints.wait_for()
    assert "smp:Initiative" in hints.inner_text()
    page.keyboard.press("Enter")
    assert "?x a smp:Initiative" in page.locator(".editor-box .CodeMirror-code").inner_text()

    # A resource, under a prefix the query does not declare yet: the service expands it.
    page.keyboard.insert_text(" ; smp:hasOrigin country:MA")
    page.keyboard.press("Control+Space")
    hints.wait_for()
    assert "country:MAR · Morocco" in hints.inner_text()
    code = page.locator(".editor-box .CodeMirror-code").inner_text()
    assert "PREFIX country: <https://w3id.org/smpkg/id/country/>" in code
    visit.check("editor-completion")


def test_a_graph_shows_as_turtle_and_a_cut_result_says_so(visit):
    page = visit.page
    open_editor(visit)
    set_query(
        page,
        f"PREFIX smp: <{SMP}>\nCONSTRUCT {{ ?c a smp:Country }} WHERE {{ ?c a smp:Country }}",
    )
    page.keyboard.press("Control+Enter")  # runs the query from inside the editor
    page.keyboard.press("Escape")  # and leaves it for the Run button
    assert page.evaluate("document.activeElement.id") == "run"
    graph = page.locator("#graph")
    graph.wait_for()
    assert "@prefix" in graph.inner_text() or "<https://w3id.org/smpkg/id/country/" in (
        graph.inner_text()
    )
    assert "Turtle" in page.locator("#status").inner_text()
    turtle = page.get_by_role("link", name="Turtle")
    assert parse_qs(urlsplit(turtle.get_attribute("href") or "").query)["format"] == ["turtle"]
    visit.check("editor-graph")

    set_query(page, f"PREFIX smp: <{SMP}>\nASK {{ ?c a smp:Country }}")
    page.get_by_role("button", name="Run").click()
    page.get_by_text("The answer is yes (true).").wait_for()

    # Every triple of countries: more rows than the service's cap of 10,000.
    set_query(
        page,
        f"PREFIX smp: <{SMP}>\nSELECT ?a ?b ?c "
        "WHERE { ?a a smp:Country . ?b a smp:Country . ?c a smp:Country }",
    )
    page.get_by_role("button", name="Run").click()
    page.wait_for_selector("#table table.results tbody tr")
    status = page.locator("#status").inner_text()
    assert status.startswith("10000 rows.")
    assert "The result was cut: the service returns at most 10000 rows" in status
    assert page.locator("#table tbody tr").count() == 500
    page.get_by_role("button", name="Show 500 more rows (500 of 10000 shown)").click()
    assert page.locator("#table tbody tr").count() == 1000


def test_a_query_past_its_time_limit_says_so(visit):
    page = visit.page
    # Counting every four countries in a row: some 15 million solutions, seconds of work.
    slow = (
        f"PREFIX smp: <{SMP}>\nSELECT (COUNT(*) AS ?n) WHERE {{ ?a a smp:Country . "
        "?b a smp:Country . ?c a smp:Country . ?d a smp:Country }"
    )
    open_editor(visit, "/editor?" + urlencode({"query": slow, "timeout": "0.2"}))
    assert page.get_by_label("Stop after (seconds)").input_value() == "0.2"
    page.get_by_role("button", name="Run").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "ran past its time limit and was stopped" in alert.inner_text()
    assert page.locator("#status").inner_text() == "Error 504."
    assert parse_qs(urlsplit(page.url).query)["timeout"] == ["0.2"]
    expected = (
        "Failed to load resource: the server responded with a status of 504 (Gateway Timeout)"
    )
    assert visit.console == [expected]
    visit.console.clear()
    visit.check("editor-timeout")
