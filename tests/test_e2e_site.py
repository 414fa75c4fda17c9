"""One site, in real Chromium (fixtures `visit` and `app_server` of conftest.py): the same
frame on the pages the other browser tests do not open (errors among them), the keyboard's way
in, and every picture's downloads (PNG or SVG, and CSV) and its state in the URL."""

from __future__ import annotations

import csv
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from browser import SITE_MENU

pytestmark = pytest.mark.network_peer


def frame(page) -> tuple[list[str], list[str]]:
    """The main menu's entries and the footer's links."""
    menu = page.locator("nav[aria-label=Main] ul a").all_inner_texts()
    footer = page.locator("footer.site-footer a").all_inner_texts()
    return menu, footer


@pytest.mark.parametrize(
    ("name", "path", "status"),
    [
        ("browse-index", "/browse", 200),
        ("pictures-index", "/pictures", 200),
        ("void", "/.well-known/void", 200),
        ("sparql-error", "/sparql?query=SELEC", 400),
        ("not-acceptable", "/id/programme/palim?format=gif", 406),
        ("no-page", "/no/such/page", 404),
    ],
)
def test_every_page_has_the_same_frame(visit, name, path, status):
    response = visit.page.goto(visit.server.url + path)
    assert response is not None and response.status == status
    visit.console.clear()  # an error status is reported on the console by the browser itself
    menu, footer = frame(visit.page)
    assert menu == SITE_MENU
    assert {"Health", "Metrics"} <= set(footer)  # out of the main menu, in the footer
    visit.check(name)


def test_the_keyboard_skips_to_the_content_with_a_visible_focus(visit):
    page = visit.page
    visit.goto("/browse/programmes")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    assert skip.evaluate("a => a === document.activeElement")
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # on screen once focused
    outline = skip.evaluate("a => getComputedStyle(a).outlineStyle")
    assert outline not in ("", "none")
    page.keyboard.press("Enter")
    # The fragment navigation completes after the key press returns: wait for it, then check.
    page.wait_for_url("**#main", timeout=5000)
    assert urlsplit(page.url).fragment == "main"
    page.keyboard.press("Tab")
    inside = page.evaluate("document.activeElement.closest('main') !== null")
    assert inside


def csv_rows(download, tmp_path, name) -> list[dict[str, str]]:
    target = tmp_path / name
    download.save_as(target)
    with target.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_network_downloads_png_and_csv_and_filters_by_relation(visit):
    page = visit.page
    visit.goto("/pictures/network?focus=prog:palim")
    page.wait_for_function("() => Number(document.getElementById('network').dataset.nodes) > 0")
    legend = page.get_by_role("list", name="Colours by kind").locator("li").all_inner_texts()
    assert {"programme", "country", "organisation"} <= {t.strip() for t in legend}

    with page.expect_download() as waited:
        page.get_by_role("button", name="PNG").click()
    png = visit.tmp_path / "network.png"
    waited.value.save_as(png)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    relations = page.get_by_role("group", name="Relations shown").get_by_role("checkbox")
    first = relations.first
    relation = first.get_attribute("value")
    first.uncheck()
    assert parse_qs(urlsplit(page.url).query)["hide"] == [relation]
    shown = page.locator("#network-table tbody tr:not([hidden])")
    assert shown.count() > 0
    assert (
        page.locator(f'#network-table tbody tr[data-relation="{relation}"]:not([hidden])').count()
        == 0
    )
    with page.expect_download() as waited:
        page.locator("#network-csv").click()
    rows = csv_rows(waited.value, visit.tmp_path, "network.csv")
    assert len(rows) == shown.count()
    visit.check("network-filtered")

    page.goto(page.url)  # the shared address reopens the same picture
    page.wait_for_function("() => Number(document.getElementById('network').dataset.nodes) > 0")
    assert not page.locator(f'.relations input[value="{relation}"]').is_checked()
    assert page.locator("#network-table tbody tr:not([hidden])").count() == len(rows)


def test_components_filter_in_the_url_and_svg_and_csv(visit):
    page = visit.page
    visit.goto("/pictures/components")
    everything = page.locator("table.matrix tbody tr").count()
    page.get_by_label("Sector").select_option("sector:healthcare")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    assert parse_qs(urlsplit(page.url).query) == {"sector": ["sector:healthcare"]}
    names = page.locator("table.matrix tbody th").all_inner_texts()
    assert 0 < len(names) < everything
    with page.expect_download() as waited:
        page.get_by_role("link", name="CSV").click()
    assert [r["name"] for r in csv_rows(waited.value, visit.tmp_path, "m.csv")] == names
    with page.expect_download() as waited:
        page.get_by_role("link", name="SVG").click()
    svg = visit.tmp_path / "m.svg"
    waited.value.save_as(svg)
    assert svg.read_text(encoding="utf-8").count("<circle") == page.locator("td.on").count()
    visit.check("components-filtered")


def test_timeline_downloads_svg_and_csv_of_what_is_shown(visit):
    page = visit.page
    visit.goto("/pictures/timeline?sector=sector:healthcare")
    bars = page.locator("svg.timeline g.bar").count()
    undated = int(re.search(r"\((\d+)\)", page.locator("#undated").inner_text()).group(1))
    with page.expect_download() as waited:
        page.get_by_role("link", name="CSV").click()
    rows = csv_rows(waited.value, visit.tmp_path, "t.csv")
    assert len(rows) == bars + undated
    with page.expect_download() as waited:
        page.get_by_role("link", name="SVG").click()
    svg = visit.tmp_path / "t.svg"
    waited.value.save_as(svg)
    assert svg.read_text(encoding="utf-8").count('<g class="bar">') == bars


def test_corridors_filter_by_sector_kind_framework_and_download_the_map(visit):
    page = visit.page
    visit.goto("/pictures/corridors")
    labels = page.locator("form.picture-filters label").all_inner_texts()
    assert [t.split("\n")[0].strip() for t in labels] == ["Sector", "Kind", "Framework"]
    page.locator("#corridor-map path.corridor").first.wait_for()
    with page.expect_download() as waited:
        page.get_by_role("button", name="map as SVG").click()
    svg = visit.tmp_path / "map.svg"
    waited.value.save_as(svg)
    assert svg.read_text(encoding="utf-8").startswith("<svg")
    with page.expect_download() as waited:
        page.get_by_role("link", name="CSV").click()
    rows = csv_rows(waited.value, visit.tmp_path, "c.csv")
    assert len(rows) == page.locator("table.corridors tbody tr").count()
