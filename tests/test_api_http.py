"""HTTP done right: errors, CORS, ETag / 304, /health, /metrics, 413, the row cap."""

from __future__ import annotations

import re
import threading
import time
import xml.etree.ElementTree as ET

import httpx
import pytest
from conftest import EX, ITEM_COUNT
from fastapi.testclient import TestClient

ITEMS_QUERY = f"SELECT ?i WHERE {{ ?i a <{EX}Item> }}"


# --------------------------------------------------------------------------- errors


def test_syntax_error_is_400_with_the_parser_message(client):
    r = client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"})
    assert r.status_code == 400
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text.startswith("400 Bad Request: ")
    assert "Traceback" not in r.text and 'File "' not in r.text


@pytest.mark.parametrize(
    "accept,media",
    [
        ("application/json", "application/json"),
        ("application/sparql-results+json", "application/json"),
        ("text/html", "text/html"),
        ("text/plain", "text/plain"),
        ("*/*", "text/plain"),
        (None, "text/plain"),
    ],
)
def test_errors_in_the_negotiated_format(client, accept, media):
    headers = {"Accept": accept} if accept else {}
    r = client.get("/sparql", params={"query": "ASK {"}, headers=headers)
    assert r.status_code == 400
    assert r.headers["content-type"] == f"{media}; charset=utf-8"
    assert r.headers["cache-control"] == "no-store"
    if media == "application/json":
        assert r.json()["error"] == "QuerySyntaxError"
    if media == "text/html":
        assert "<h1>400 Bad Request</h1>" in r.text


def test_unknown_path_is_404_in_our_format(client):
    r = client.get("/nothing/here", headers={"Accept": "application/json"})
    assert r.status_code == 404
    assert r.json()["status"] == 404


def test_unexpected_errors_are_500_without_a_traceback(sample_app, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("secret internals /etc/passwd")

    monkeypatch.setattr(sample_app.state.snapshot.executor, "execute", broken)
    raw = TestClient(sample_app, raise_server_exceptions=False)
    for accept in ("application/json", "text/html", None):
        # A text no other test sends: a replay from the response cache would not fail.
        r = raw.get(
            "/sparql",
            params={"query": "ASK { ?s ?p 'unexpected error' }"},
            headers={"Accept": accept} if accept else {},
        )
        assert r.status_code == 500
        assert "secret" not in r.text and "Traceback" not in r.text
        assert "internal error" in r.text


# --------------------------------------------------------------------------- CORS


def test_cors_for_any_origin_without_credentials(client):
    r = client.get(
        "/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://yasgui.example"}
    )
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    assert "SMPKG-Truncated" in r.headers["access-control-expose-headers"]


def test_cors_preflight(client):
    r = client.options(
        "/sparql",
        headers={
            "Origin": "https://yasgui.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, accept",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "content-type" in r.headers["access-control-allow-headers"].lower()


def test_cors_on_errors_too(client):
    r = client.get("/sparql", params={"query": "ASK {"}, headers={"Origin": "https://a.example"})
    assert r.status_code == 400
    assert r.headers["access-control-allow-origin"] == "*"


# --------------------------------------------------------------------------- ETag / 304


def test_etag_and_304(client):
    params = {"query": f"SELECT ?p WHERE {{ ?p a <{EX}Person> }}"}
    first = client.get("/sparql", params=params)
    tag = first.headers["etag"]
    assert tag.startswith('W/"')
    assert first.headers["cache-control"].startswith("public, max-age=")
    assert "Accept" in first.headers["vary"]
    again = client.get("/sparql", params=params, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag
    # Another representation, another tag.
    csv = client.get("/sparql", params=params, headers={"Accept": "text/csv"})
    assert csv.headers["etag"] != tag
    assert (
        client.get(
            "/sparql", params=params, headers={"Accept": "text/csv", "If-None-Match": tag}
        ).status_code
        == 200
    )
    # A list of tags, one matching.
    r = client.get("/sparql", params=params, headers={"If-None-Match": f'"x", {tag}'})
    assert r.status_code == 304


def test_etag_on_the_service_description(client):
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    tag = r.headers["etag"]
    r = client.get("/sparql", headers={"Accept": "text/turtle", "If-None-Match": tag})
    assert r.status_code == 304


def test_nondeterministic_queries_are_not_cached(client):
    params = {"query": "SELECT (RAND() AS ?r) (STRUUID() AS ?u) WHERE {}"}
    first, second = client.get("/sparql", params=params), client.get("/sparql", params=params)
    assert "etag" not in first.headers
    assert first.headers["cache-control"] == "no-store"
    assert first.json() != second.json()


def test_no_etag_on_errors_or_health(client):
    assert "etag" not in client.get("/sparql", params={"query": "ASK {"}).headers
    assert "etag" not in client.get("/health").headers
    assert client.get("/health").headers["cache-control"] == "no-store"


# --------------------------------------------------------------------------- health, metrics


def test_health(client):
    r = client.get("/health")
    assert r.status_code == 200
    doc = r.json()
    assert doc["status"] == "ok"
    assert doc["engine"] == "oxigraph"
    assert doc["workers"] == {"configured": 2, "ready": 2, "restarts": 0}
    assert doc["triples"] > 0 and doc["version"]


METRIC_LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]+="[^"]*",?)*\})? [0-9.e+-]+$')


def test_metrics(client):
    client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    client.get("/sparql", params={"query": "ASK {"})
    r = client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = r.text
    for line in text.splitlines():
        assert line.startswith("# ") or METRIC_LINE.match(line), line
    assert 'smpkg_http_requests_total{method="GET",route="/sparql",status="200"}' in text
    assert 'smpkg_http_requests_total{method="GET",route="/sparql",status="400"}' in text
    assert 'smpkg_queries_total{form="ASK",outcome="ok"}' in text
    assert 'smpkg_query_errors_total{type="QuerySyntaxError"}' in text
    assert "smpkg_query_timeouts_total 0" in text
    assert 'smpkg_http_request_duration_seconds_bucket{route="/sparql",le="+Inf"}' in text
    assert 'smpkg_query_workers{state="ready"} 2' in text
    assert re.search(r"^smpkg_query_cache_hits_total \d+$", text, re.M)


# --------------------------------------------------------------------------- 413


def test_oversized_query_string_is_413(client):
    query = 'ASK { FILTER("' + "x" * (20 * 1024) + '" = "") }'
    r = client.get("/sparql", params={"query": query})
    assert r.status_code == 413
    assert "limit" in r.text


def test_oversized_body_is_413(client):
    body = b'ASK { FILTER("' + b"x" * (20 * 1024) + b'" = "") }'
    r = client.post("/sparql", content=body, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 413


def test_oversized_chunked_body_is_413(client):
    def chunks():
        yield b'ASK { FILTER("'
        for _ in range(20):
            yield b"x" * 1024
        yield b'" = "") }'

    r = client.post(
        "/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"}
    )
    assert r.status_code == 413


def test_a_body_under_the_limit_is_fine(client):
    body = ('ASK { FILTER("' + "x" * (8 * 1024) + '" != "") }').encode()
    r = client.post("/sparql", content=body, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 200 and r.json()["boolean"] is True


# --------------------------------------------------------------------------- row cap


def test_row_cap_cuts_select_with_a_signal(client):
    r = client.get("/sparql", params={"query": ITEMS_QUERY})
    assert r.status_code == 200
    assert r.headers["smpkg-truncated"] == "true"
    assert r.headers["smpkg-max-rows"] == "25"
    doc = r.json()
    assert len(doc["results"]["bindings"]) == 25
    assert doc["head"]["link"] == ["http://testserver/sparql#truncated"]


def test_row_cap_in_xml_and_csv(client):
    r = client.get("/sparql", params={"query": ITEMS_QUERY, "format": "xml"})
    root = ET.fromstring(r.text)
    ns = "{http://www.w3.org/2005/sparql-results#}"
    assert root.find(f"{ns}head/{ns}link").get("href").endswith("#truncated")
    assert len(root.findall(f"{ns}results/{ns}result")) == 25
    r = client.get("/sparql", params={"query": ITEMS_QUERY, "format": "csv"})
    assert r.headers["smpkg-truncated"] == "true"
    assert len(r.text.strip().splitlines()) == 26


def test_row_cap_cuts_construct_too(client):
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s a <{EX}Item> ; ?p ?o }}"
    r = client.get("/sparql", params={"query": query, "format": "ntriples"})
    assert r.headers["smpkg-truncated"] == "true"
    assert len(r.text.strip().splitlines()) == 25


def test_no_signal_under_the_cap(client):
    r = client.get("/sparql", params={"query": ITEMS_QUERY + " LIMIT 25"})
    assert "smpkg-truncated" not in r.headers
    assert "link" not in r.json()["head"]
    assert len(r.json()["results"]["bindings"]) == 25
    assert ITEM_COUNT > 25


def test_304_and_413_are_counted_under_their_route(client):
    params = {"query": "ASK { ?s ?p ?o }"}
    tag = client.get("/sparql", params=params).headers["etag"]
    assert client.get("/sparql", params=params, headers={"If-None-Match": tag}).status_code == 304
    text = client.get("/metrics").text
    assert 'smpkg_http_requests_total{method="GET",route="/sparql",status="304"}' in text


def test_health_is_degraded_while_every_worker_is_busy(serve, runaway_ttl):
    """The probe: two slow queries held every worker while /health said ok."""
    server = serve(dataset=[runaway_ttl], workers=1, timeout=4)
    assert server.health()["status"] == "ok"
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
    thread = threading.Thread(
        target=lambda: httpx.get(server.url + "/sparql", params={"query": slow}, timeout=30)
    )
    thread.start()
    deadline = time.monotonic() + 3
    seen = set()
    while time.monotonic() < deadline and "degraded" not in seen:
        seen.add(server.health()["status"])
        time.sleep(0.05)
    thread.join()
    assert "degraded" in seen
    assert server.wait_workers()["status"] == "ok"
