"""The response cache (api.middleware.ResponseCache): a repeated request is answered with the
app's own earlier response, byte for byte, and only when that is what the app would answer."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import EX, ITEM_COUNT, make_settings
from fastapi.testclient import TestClient

from api import create_app
from api.middleware import ResponseCache

COUNT = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?i a <{EX}Item> }}"


@pytest.fixture(scope="module")
def app(sample_trig):

    app = create_app(make_settings(dataset=(sample_trig,)))
    yield app
    app.state.snapshot.executor.close()


@pytest.fixture()
def client(app):
    with TestClient(app) as client:
        edge(app).stored.clear()
        yield client


def edge(app) -> ResponseCache:
    node = app.middleware_stack
    while node is not None and not isinstance(node, ResponseCache):
        node = getattr(node, "app", None)
    assert node is not None, "the response cache is not in the middleware stack"
    return node


def without_date(response) -> tuple:
    headers = sorted((k, v) for k, v in response.headers.items() if k != "date")
    return response.status_code, headers, response.content


def count_queries(client, outcome: str) -> int:
    total = 0
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("smpkg_queries_total{") and f'outcome="{outcome}"' in line:
            total += int(line.rsplit(" ", 1)[1])
    return total


def twice(request, *args, **kwargs):
    """The answer to a request made twice: the first time a request is seen its answer is
    not kept (`QUERY_MIN_USES`), the second time it is."""
    request(*args, **kwargs)
    return request(*args, **kwargs)


def test_a_repeated_get_is_replayed_byte_for_byte(app, client):
    cache = edge(app)
    before = cache.hits
    first = client.get("/sparql", params={"query": COUNT})
    assert len(cache) == 0  # a first use is not kept
    second = client.get("/sparql", params={"query": COUNT})
    assert len(cache) == 1 and cache.hits == before
    third = client.get("/sparql", params={"query": COUNT})
    assert first.json()["results"]["bindings"][0]["n"]["value"] == str(ITEM_COUNT)
    assert without_date(first) == without_date(second) == without_date(third)
    assert "etag" in third.headers
    assert cache.hits == before + 1 and len(cache) == 1


def test_a_stream_of_distinct_requests_leaves_a_repeated_one_kept(sample_trig):
    # A small cache: the stream outnumbers its entries and its memory of uses (4 x entries).
    app = create_app(make_settings(dataset=(sample_trig,), response_cache_entries=4))
    try:
        with TestClient(app) as client:
            cache = edge(app)
            twice(client.get, "/sparql", params={"query": COUNT})
            for n in range(4 * cache.stored.max_entries + 5):
                client.get("/sparql", params={"query": f"{COUNT} # {n}"})
            assert len(cache) == 1
            hits = cache.hits
            client.get("/sparql", params={"query": COUNT})
            assert cache.hits == hits + 1
    finally:
        app.state.snapshot.executor.close()


def test_a_replayed_query_counts_as_cached_and_as_a_request(client):
    cached_before = count_queries(client, "cached")
    for _ in range(4):
        assert client.get("/sparql", params={"query": COUNT + " #metrics"}).status_code == 200
    # The first two are run (the second one's answer is the first kept), the others replayed.
    assert count_queries(client, "cached") == cached_before + 2
    metrics = client.get("/metrics").text
    assert 'smpkg_http_requests_total{method="GET",route="/sparql",status="200"}' in metrics


def test_what_the_response_depends_on_is_in_the_key(app, client):
    cache = edge(app)
    hits = cache.hits
    as_json = twice(client.get, "/sparql", params={"query": COUNT})
    as_csv = twice(client.get, "/sparql", params={"query": COUNT}, headers={"Accept": "text/csv"})
    assert as_csv.text.splitlines() == ["n", str(ITEM_COUNT)]
    assert as_json.headers["content-type"].startswith("application/sparql-results+json")
    other_host = twice(
        client.get, "/sparql", params={"query": COUNT}, headers={"Host": "example.org"}
    )
    with_origin = twice(
        client.get, "/sparql", params={"query": COUNT}, headers={"Origin": "https://app.example"}
    )
    assert with_origin.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in as_json.headers
    assert other_host.status_code == 200
    assert len(cache) == 4 and cache.hits == hits


def test_post_bodies_are_part_of_the_key(app, client):
    cache = edge(app)
    headers = {"Content-Type": "application/sparql-query"}
    hits = cache.hits
    one = twice(client.post, "/sparql", content=COUNT, headers=headers)
    again = client.post("/sparql", content=COUNT, headers=headers)
    other = twice(client.post, "/sparql", content=f"ASK {{ ?i a <{EX}Item> }}", headers=headers)
    form = twice(client.post, "/sparql", data={"query": COUNT})
    assert without_date(one) == without_date(again)
    assert other.json()["boolean"] is True
    assert form.json() == one.json()
    assert cache.hits == hits + 1


def test_errors_and_no_store_answers_are_not_kept(app, client):
    cache = edge(app)
    hits = cache.hits
    for _ in range(2):
        bad = client.get("/sparql", params={"query": "SELECT ?x WHERE { ?x ?y }"})
        assert bad.status_code == 400 and "Traceback" not in bad.text
    random = [
        client.get("/sparql", params={"query": "SELECT (RAND() AS ?r) {}"}).json() for _ in range(2)
    ]
    assert random[0] != random[1]
    assert len(cache) == 0 and cache.hits == hits


def test_conditional_requests_and_health_go_to_the_app(app, client):
    cache = edge(app)
    hits = cache.hits
    first = twice(client.get, "/sparql", params={"query": COUNT})
    not_modified = client.get(
        "/sparql", params={"query": COUNT}, headers={"If-None-Match": first.headers["etag"]}
    )
    assert not_modified.status_code == 304
    for _ in range(2):
        assert client.get("/health").json()["status"] == "ok"
    assert len(cache) == 1 and cache.hits == hits


def test_a_new_dataset_version_starts_afresh(app, client):
    cache = edge(app)
    hits = cache.hits
    twice(client.get, "/sparql", params={"query": COUNT})
    assert len(cache) == 1
    served = app.state.snapshot
    try:
        app.state.snapshot = dataclasses.replace(served, etag_seed="another-version")
        fresh = client.get("/sparql", params={"query": COUNT})
        assert fresh.headers["etag"].startswith('W/"another-version-')
        assert len(cache) == 0 and cache.hits == hits  # the earlier uses count no more
        client.get("/sparql", params={"query": COUNT})
        assert len(cache) == 1 and cache.hits == hits
    finally:
        app.state.snapshot = served


def test_large_post_bodies_are_not_read_for_a_key(app, client):
    cache = edge(app)
    padded = COUNT + " #" + "x" * (cache.max_body_bytes + 10)
    r = client.post("/sparql", content=padded, headers={"Content-Type": "application/sparql-query"})
    assert r.status_code == 200
    assert len(cache) == 0


def test_it_can_be_turned_off(sample_trig):

    app = create_app(make_settings(dataset=(sample_trig,), response_cache_entries=0))
    try:
        with TestClient(app) as client:
            for _ in range(2):
                assert client.get("/sparql", params={"query": COUNT}).status_code == 200
            assert len(edge(app)) == 0
    finally:
        app.state.snapshot.executor.close()
