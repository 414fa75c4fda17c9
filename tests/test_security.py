"""Security headers (api/security.py) on the service's responses, and pages that obey them
(no inline script, style or event handler)."""

from __future__ import annotations

import re

import pytest

PAGES = [
    "/",
    "/search?q=palim",
    "/browse/programmes",
    "/id/programme/palim",
    "/ontology",
    "/download",
    "/sparql?format=html",
    "/sparql?format=html&query=SELECT%20*%20WHERE%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D%20LIMIT%202",
    "/no/such/page",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_html_page_has_a_strict_policy(smp_client, path):
    r = smp_client.get(path, headers={"Accept": "text/html"})
    assert r.headers["content-type"].startswith("text/html")
    policy = r.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    # What the policy would block: inline scripts (JSON-LD data blocks are not scripts),
    # inline styles and event-handler attributes.
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", r.text)
    assert all('type="application/ld+json"' in attrs for attrs in scripts), scripts
    assert "<style" not in r.text
    assert not re.search(r"\sstyle=\"", r.text)
    assert not re.search(r"\son[a-z]+=", r.text)


def test_data_responses_get_nosniff_but_no_page_policy(smp_client):
    r = smp_client.get(
        "/sparql", params={"query": "ASK {}"}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in r.headers


CROSS_SITE = {"Origin": "http://elsewhere.example"}


@pytest.mark.parametrize(
    "path",
    [
        "/sparql?query=ASK%7B%7D",
        "/queries",
        "/id/country/MAR",
        "/ontology",
        "/.well-known/void",
        "/api/search?q=PALIM",
        "/openapi.json",
    ],
)
def test_read_only_data_routes_allow_cross_origin_reads(smp_client, path):
    response = smp_client.get(path, headers=CROSS_SITE, follow_redirects=False)
    assert response.headers.get("access-control-allow-origin") == "*", path


@pytest.mark.parametrize("path", ["/", "/browse/programmes", "/health", "/metrics", "/search"])
def test_pages_and_operations_get_no_cors(smp_client, path):
    response = smp_client.get(path, headers=CROSS_SITE)
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers, path


def test_no_preflight_is_granted_for_admin(smp_client):
    response = smp_client.options(
        "/admin/reload",
        headers={**CROSS_SITE, "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in response.headers
    assert response.status_code in (404, 405)


def test_pages_may_not_be_framed(smp_client):
    response = smp_client.get("/")
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
