"""One site (api/templates/base.html): every HTML page of the service, errors included, has
the same header, main menu and footer; Health and Metrics are in the footer, not the menu."""

from __future__ import annotations

import re

import pytest
from browser import SITE_MENU

HTML = {"Accept": "text/html"}
PAGES = [
    ("/", 200),
    ("/search?q=nurse", 200),
    ("/browse", 200),
    ("/browse/programmes?country=country:MAR", 200),
    ("/compare?items=prog:palim,prog:iom-match", 200),
    ("/pictures", 200),
    ("/pictures/timeline", 200),
    ("/pictures/network?focus=prog:palim", 200),
    ("/pictures/corridors", 200),
    ("/pictures/components", 200),
    ("/sparql", 200),
    ("/ontology", 200),
    ("/download", 200),
    ("/.well-known/void", 200),
    ("/id/programme/palim", 200),
    ("/id/country/MAR", 200),
    ("/id/programme/no-such-thing", 404),
    ("/no/such/page", 404),
    ("/sparql?query=SELEC", 400),
    ("/browse/programmes?from=19", 400),
    ("/pictures/components?colour=red", 400),
    ("/id/programme/palim?format=gif", 406),
]


def menu(html: str) -> list[tuple[str, str]]:
    """The main menu's links (href, text), the mark of the current page left out."""
    nav = re.search(r'<nav aria-label="Main">(.*?)</nav>', html, re.S)
    assert nav, "no main menu"
    items = re.search(r"<ul>(.*?)</ul>", nav.group(1), re.S)
    assert items, "no menu entries"
    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', items.group(1))


def footer(html: str) -> list[str]:
    found = re.search(r'<footer class="site-footer">(.*?)</footer>', html, re.S)
    assert found, "no footer"
    return re.findall(r'<a href="([^"]+)"', found.group(1))


@pytest.fixture(scope="module")
def home(smp_client) -> str:
    return smp_client.get("/", headers=HTML).text


@pytest.mark.parametrize(("path", "status"), PAGES)
def test_every_page_has_the_one_frame(smp_client, home, path, status):
    response = smp_client.get(path, headers=HTML)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<link rel="stylesheet" href="/static/site.css">' in page
    assert '<a class="skip" href="#main">' in page and '<main id="main">' in page
    assert menu(page) == menu(home)
    assert footer(page) == footer(home)


def test_health_and_metrics_are_in_the_footer_not_the_menu(home):
    hrefs = [href for href, _ in menu(home)]
    assert "/health" not in hrefs and "/metrics" not in hrefs
    assert {"/health", "/metrics"} <= set(footer(home))
    assert [text for _, text in menu(home)] == SITE_MENU


def test_a_resource_page_leads_to_its_network_and_to_comparing_it(smp_client):
    page = smp_client.get("/id/programme/palim", headers={"Accept": "text/html"}).text
    network = re.search(r'href="(/pictures/network\?focus=[^"]+)"', page)
    compare = re.search(r'href="(/compare\?items=[^"]+)"', page)
    assert network and compare
    for link in (network, compare):
        target = smp_client.get(link.group(1).replace("&amp;", "&"))
        assert target.status_code == 200
        assert "PALIM" in target.text
