"""The web app end to end in real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright for Python through `executable_path`; never `playwright install`), against the
real service (`smpkg serve` on 127.0.0.1 over the repository's graph).

On every page: no request leaves 127.0.0.1 (any other host fails the test), the console has
no error, no Content-Security-Policy violation is reported, and axe-core finds no serious or
critical accessibility violation. axe-core comes from node_modules (a devDependency) and is
served to the page by the test itself under this origin, so the page's CSP applies to it as
to the app's own scripts; the app never serves it. Screenshots of each view at 1280 and
375 px wide go to SMPKG_TEST_ARTIFACTS (default tests/artifacts/).
"""

from __future__ import annotations

import csv
import re
from urllib.parse import parse_qs, urlsplit

import pytest

pytestmark = pytest.mark.network_peer


def test_search_an_acronym_with_a_typo_and_open_the_programme(visit):
    page = visit.page
    visit.goto("/")
    visit.check("home")
    box = page.get_by_role("combobox", name=re.compile("Search programmes"))
    box.fill("PALIN")
    option = page.get_by_role("option").first
    option.wait_for()
    assert "PALIM" in option.inner_text()
    box.press("ArrowDown")
    with page.expect_navigation():
        box.press("Enter")
    assert page.url.endswith("/id/programme/palim")
    assert "PALIM" in page.locator("h1").inner_text()
    visit.check("resource")

    # The results page works on its own (no script needed): the typo finds IOM-MATCH.
    visit.goto("/search?q=IOM-MACH")
    visit.check("search")
    page.get_by_role("link", name="IOM-MATCH", exact=True).click()
    page.wait_for_url("**/id/programme/iom-match")


def test_browse_programmes_by_destination_and_sector_and_download_the_csv(visit):
    page = visit.page
    visit.goto("/browse/programmes")
    visit.check("browse")
    total = page.locator("table.results tbody tr").count()
    destinations = page.get_by_role("group", name="Destination country")
    with page.expect_navigation():
        # click, not check(): the box submits the form, so it is gone before it reads checked.
        destinations.get_by_role("checkbox", name=re.compile(r"^Germany\b")).click()
    sectors = page.get_by_role("group", name="Sector")
    with page.expect_navigation():
        sectors.get_by_role("checkbox", name=re.compile(r"^healthcare\b")).click()
    assert sectors.get_by_role("checkbox", name=re.compile(r"^healthcare\b")).is_checked()
    query = parse_qs(urlsplit(page.url).query)
    assert query == {"destination": ["country:DEU"], "sector": ["sector:healthcare"]}
    visit.check("browse-filtered")
    rows = page.locator("table.results tbody tr")
    shown = [rows.nth(i).locator("td").first.inner_text() for i in range(rows.count())]
    assert 0 < len(shown) < total

    with page.expect_download() as waited:
        page.get_by_role("link", name="CSV").click()
    target = visit.tmp_path / "programmes.csv"
    waited.value.save_as(target)
    with target.open(encoding="utf-8", newline="") as f:
        downloaded = list(csv.DictReader(f))
    assert [r["name"] for r in downloaded] == [s.split(" (")[0] for s in shown]
    for r in downloaded:
        assert "Germany" in r["destination"].split(" | ")
        assert "healthcare" in r["sector"].split(" | ")


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("browse-countries", "/browse/countries"),
        ("browse-organisations", "/browse/organisations"),
        ("browse-frameworks", "/browse/frameworks"),
        ("browse-sectors", "/browse/sectors?sort=-programmes"),
        ("named-queries", "/queries"),
        ("ontology", "/ontology"),
        ("downloads", "/download"),
        ("service", "/sparql?format=html"),
        ("not-found", "/id/programme/no-such-thing"),
    ],
)
def test_other_pages_obey_the_same_rules(visit, name, path):
    if name == "not-found":
        visit.page.goto(visit.server.url + path)
        visit.console.clear()  # the 404 of the page itself is reported as a console error
    else:
        visit.goto(path)
    visit.check(name)


# --------------------------------------------------------------------------- pictures


def test_network_view_expands_a_node_on_click(visit):
    page = visit.page
    visit.goto("/pictures/network?focus=prog:palim")
    page.wait_for_function("() => Number(document.getElementById('network').dataset.nodes) > 0")
    before = page.evaluate("document.getElementById('network').cy.nodes().length")
    table_rows = page.locator("#network-table tbody tr").count()
    x, y = page.evaluate(
        """() => {
            const cy = document.getElementById('network').cy;
            const p = cy.nodes().filter((n) => n.data('key') === 'country:MAR')[0].renderedPosition();
            return [p.x, p.y];
        }"""
    )
    page.locator("#network").click(position={"x": x, "y": y})
    page.wait_for_function(
        "(n) => document.getElementById('network').cy.nodes().length > n", arg=before
    )
    assert parse_qs(urlsplit(page.url).query)["expand"] == ["country:MAR"]
    assert page.locator("#network-table tbody tr").count() > table_rows  # the table grows
    visit.check("network-expanded")
    # The keyboard way: the table's "add its neighbours" link expands in place.
    more = page.locator("#network-table a[data-expand]").first
    key = more.get_attribute("data-expand")
    more.press("Enter")
    page.wait_for_function(
        "(key) => new URLSearchParams(location.search).get('expand').split(',').includes(key)",
        arg=key,
    )
    assert page.locator(f'#network-table a[data-expand="{key}"]').count() == 0
    visit.goto("/pictures/network?focus=country:MAR")
    page.wait_for_function("() => Number(document.getElementById('network').dataset.nodes) > 0")
    visit.check("network")


def test_timeline_shows_bars_and_the_undated_apart(visit):
    page = visit.page
    visit.goto("/pictures/timeline")
    bars = page.locator("svg.timeline g.bar rect")
    assert bars.count() > 0
    assert page.locator("#undated").is_visible()
    visit.check("timeline")


def test_clicking_a_corridor_lists_its_programmes(visit):
    page = visit.page
    visit.goto("/pictures/corridors")
    page.locator("#corridor-map path.corridor").first.wait_for()
    flow = page.locator("#corridor-flows path.corridor").first
    flow.press("Enter")  # a corridor is a button: the keyboard reaches it too
    listed = page.locator("#corridor-programmes li")
    assert listed.count() > 0
    assert "corridor" in parse_qs(urlsplit(page.url).query)
    visit.check("corridors")
    line = page.locator("#corridor-map path.corridor").last
    line.dispatch_event("click")
    heading = page.locator("#corridor-programmes h2").inner_text()
    assert line.get_attribute("aria-label").split(":")[0].replace(" to ", " → ") in heading


def test_component_matrix_reads_as_a_table(visit):
    visit.goto("/pictures/components")
    assert visit.page.locator("table.matrix td.on").count() > 0
    visit.check("components")


def test_compare_two_programmes_picked_by_name(visit):
    page = visit.page
    visit.goto("/compare")
    search = page.get_by_role("combobox", name="Add a programme by name")
    for name in ("PALIM", "IOM-MATCH"):
        search.fill(name)
        option = page.locator("#compare-suggestions [role=option]").first
        option.wait_for()
        if name == "IOM-MATCH":
            with page.expect_navigation():
                option.click()
        else:
            option.click()
    assert parse_qs(urlsplit(page.url).query)["items"] == ["prog:palim, prog:iom-match"]
    differing = page.locator("table.compare tr.differs")
    assert differing.count() > 0
    assert "differs" in differing.first.inner_text()
    visit.check("compare")


def test_a_resource_page_shows_its_evidence_and_leads_to_the_passage(visit):
    """PALIM's page: the destination Belgium beside its Box 6 quote; the types behind a toggle
    opened from the keyboard; the quote's link, followed from the keyboard, opens the
    passage's page, which lists the statements it supports."""
    page = visit.page
    visit.goto("/id/programme/palim")
    visit.check("resource-palim")
    destination = page.locator("section.summary .fact").filter(
        has=page.locator("dt", has_text=re.compile(r"^Destination$"))
    )
    assert "Belgium" in destination.inner_text()
    evidence = destination.locator("p.evidence").first
    assert evidence.inner_text().startswith("Box 6:")

    toggle = page.locator("details.more")
    assert toggle.evaluate("d => !d.open")
    assert not page.get_by_role("heading", name="Types", exact=True).is_visible()
    toggle.locator(":scope > summary").focus()
    page.keyboard.press("Enter")
    assert toggle.evaluate("d => d.open")
    assert page.get_by_role("heading", name="Types", exact=True).is_visible()

    evidence.get_by_role("link").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/id/passage/emn-oecd-inform-2022-" in page.url
    visit.check("passage")
    rows = page.locator("table.supported tbody tr")
    assert rows.count() > 0
    assert rows.filter(has_text="destination country").filter(has_text="Belgium").count() == 1
