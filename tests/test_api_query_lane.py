"""The short path of SPARQL queries (api.query_lane): GET, HEAD and POST `/sparql` answered
without the router, the same answer, header by header and byte by byte, as the router gives
with the lane out of the way, errors included; every other method left to the router."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from api.query_lane import QueryLane

SELECT = "SELECT ?s WHERE { ?s a <https://w3id.org/smpkg/ontology#Initiative> } LIMIT 3"
CONSTRUCT = "CONSTRUCT { ?s a ?c } WHERE { ?s a ?c } LIMIT 2"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DIRECT = {"Content-Type": "application/sparql-query"}
# No replay from the response cache: each request is answered by the path under test.
FRESH = {"Cache-Control": "no-cache"}
REQUESTS = [
    ("GET", "?" + urlencode({"query": SELECT}), {}, b""),
    ("GET", "?" + urlencode({"query": SELECT}), {"Accept": "text/csv"}, b""),
    ("GET", "?" + urlencode({"query": CONSTRUCT}), {"Accept": "text/turtle"}, b""),
    ("GET", "?" + urlencode({"query": SELECT, "format": "json"}), {"Accept-Encoding": "gzip"}, b""),
    ("HEAD", "?" + urlencode({"query": SELECT}), {}, b""),
    ("POST", "", DIRECT, SELECT.encode()),
    ("POST", "", FORM, urlencode({"query": SELECT}).encode()),
    ("POST", "", {**DIRECT, "Origin": "http://127.0.0.1:9"}, SELECT.encode()),
    ("GET", "", {"Accept": "text/turtle"}, b""),  # the service description
    ("GET", "?" + urlencode({"query": "SELECT * WHERE {"}), {}, b""),  # 400
    ("GET", "?" + urlencode({"query": SELECT}), {"Accept": "image/png"}, b""),  # 406
    ("POST", "", DIRECT, b"CLEAR ALL"),  # 403
    ("POST", "", {"Content-Type": "text/plain"}, SELECT.encode()),  # 415
    ("POST", "", DIRECT, b"\xff\xfe"),  # 400: not UTF-8
]


def _lane(app) -> QueryLane:
    layer = app.middleware_stack
    while not isinstance(layer, QueryLane):
        layer = layer.app
    return layer


def _send(client, method, query, headers, body):
    r = client.request(method, "/sparql" + query, headers={**FRESH, **headers}, content=body)
    kept = sorted((k.lower(), v) for k, v in r.headers.multi_items() if k.lower() != "date")
    return r.status_code, kept, r.content


@pytest.fixture
def router_calls(smp_client, monkeypatch):
    """The requests that reached the router behind the lane."""
    lane = _lane(smp_client.app)
    calls = []
    behind = lane.app

    async def counted(scope, receive, send):
        calls.append((scope["method"], scope["path"]))
        await behind(scope, receive, send)

    monkeypatch.setattr(lane, "app", counted)
    return calls


@pytest.mark.parametrize("method, query, headers, body", REQUESTS)
def test_the_lanes_answer_is_the_routers_answer(
    smp_client, router_calls, monkeypatch, method, query, headers, body
):
    short = _send(smp_client, method, query, headers, body)
    assert router_calls == []
    monkeypatch.setattr(_lane(smp_client.app), "endpoints", {})
    long = _send(smp_client, method, query, headers, body)
    assert router_calls == [(method, "/sparql")]
    assert short == long
    assert short[0] in (200, 400, 403, 406, 415)


def test_other_methods_go_to_the_router(smp_client, router_calls):
    r = smp_client.request("PUT", "/sparql", content=b"x")
    assert r.status_code == 405 and "GET, HEAD, POST" in r.headers["allow"]
    assert router_calls == [("PUT", "/sparql")]
    other = smp_client.get("/queries", headers={"Accept": "application/json"})
    assert other.status_code == 200
    assert router_calls[-1] == ("GET", "/queries")


def test_an_answer_is_named_by_its_route(smp_client, router_calls, monkeypatch):
    """The metrics and the access log name an answer by its route, which the router would
    have set and the lane sets instead."""
    lane = _lane(smp_client.app)
    real = lane.endpoints["POST"]
    seen = []

    async def spy(request):
        seen.append(request.scope.get("route"))
        return await real(request)

    monkeypatch.setitem(lane.endpoints, "POST", spy)
    r = smp_client.post("/sparql", content=SELECT.encode(), headers={**DIRECT, **FRESH})
    assert r.status_code == 200 and router_calls == []
    assert seen[0].path == "/sparql" and "POST" in seen[0].methods
    assert 'route="/sparql"' in smp_client.get("/metrics").text


def test_an_unexpected_failure_is_left_to_the_server_error_layer(smp_client, monkeypatch):
    lane = _lane(smp_client.app)

    async def broken(request):
        raise RuntimeError("/srv/secret/path broke")

    monkeypatch.setitem(lane.endpoints, "GET", broken)
    client = TestClient(smp_client.app, raise_server_exceptions=False)
    r = client.get("/sparql?" + urlencode({"query": SELECT}), headers=FRESH)
    assert r.status_code == 500 and "/srv/secret" not in r.text
