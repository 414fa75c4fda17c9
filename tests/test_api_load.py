"""Concurrent load on a live server, on BOTH engines: 200 mixed queries (every form, every
result format) from 16 threads, each answer checked. rdflib's query parser is not
thread-safe; ours is safe because each worker process parses one query at a time."""

from __future__ import annotations

import csv
import io
import json
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import EX, ITEM_COUNT

ENGINES = ["oxigraph", "rdflib"]
REQUESTS = 200
THREADS = 16


@pytest.fixture(scope="module")
def servers(serve, sample_trig):
    started = serve.many(*({"engine": e, "dataset": [sample_trig]} for e in ENGINES))
    return dict(zip(ENGINES, started, strict=True))


def job(n: int):
    """The n-th request: (params, headers, check). Every text is distinct (a comment with n),
    so the result cache does not answer for the engine."""
    i = n % ITEM_COUNT + 1
    tag = f"# request {n}\n"
    kind = n % 5
    if kind == 0:
        query = tag + f"SELECT ?label WHERE {{ <{EX}item{i}> <{EX}label> ?label }}"

        def check(r):
            rows = r.json()["results"]["bindings"]
            assert [row["label"]["value"] for row in rows] == [f"item {i}"]

        return {"query": query}, {"Accept": "application/sparql-results+json"}, check
    if kind == 1:
        query = tag + f"ASK {{ <{EX}item{i}> <{EX}index> {i} }}"

        def check(r):
            root = ET.fromstring(r.content)
            assert root.find("{http://www.w3.org/2005/sparql-results#}boolean").text == "true"

        return {"query": query}, {"Accept": "application/sparql-results+xml"}, check
    if kind == 2:
        k = n % 30
        query = tag + (f"SELECT (COUNT(*) AS ?c) WHERE {{ ?s <{EX}index> ?n FILTER(?n > {k}) }}")

        def check(r):
            assert list(csv.reader(io.StringIO(r.text))) == [["c"], [str(ITEM_COUNT - k)]]

        return {"query": query}, {"Accept": "text/csv"}, check
    if kind == 3:
        query = tag + f"CONSTRUCT {{ <{EX}item{i}> ?p ?o }} WHERE {{ <{EX}item{i}> ?p ?o }}"

        def check(r):
            lines = [line for line in r.text.splitlines() if line.strip()]
            assert len(lines) == 3 and all(line.startswith(f"<{EX}item{i}>") for line in lines)

        return {"query": query, "format": "ntriples"}, {}, check
    query = tag + f"SELECT ?n WHERE {{ <{EX}item{i}> <{EX}index> ?n }}"

    def check(r):
        lines = r.text.splitlines()
        assert lines[0] == "?n" and lines[1] in (
            str(i),
            f'"{i}"^^<http://www.w3.org/2001/XMLSchema#integer>',
        )

    return {"query": query}, {"Accept": "text/tab-separated-values"}, check


@pytest.mark.parametrize("engine", ENGINES)
def test_concurrent_mixed_queries_are_all_answered_correctly(servers, engine):
    server = servers[engine]
    before = httpx.get(server.url + "/metrics", timeout=5).text
    client = httpx.Client(
        base_url=server.url, timeout=60, limits=httpx.Limits(max_connections=THREADS)
    )

    def run(n: int):
        params, headers, check = job(n)
        method = "GET" if n % 2 else "POST"
        if method == "GET":
            r = client.get("/sparql", params=params, headers=headers)
        else:
            r = client.post("/sparql", data=params, headers=headers)
        assert r.status_code == 200, (n, r.text)
        check(r)
        return n

    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        done = sorted(pool.map(run, range(REQUESTS)))
    elapsed = time.monotonic() - started
    client.close()
    assert done == list(range(REQUESTS))
    assert elapsed < 60, f"{REQUESTS} queries took {elapsed:.1f} s"
    after = httpx.get(server.url + "/metrics", timeout=5).text
    assert count(after, "ok") - count(before, "ok") == REQUESTS
    assert "error" not in outcomes(after)


def count(metrics: str, outcome: str) -> int:
    total = 0
    for line in metrics.splitlines():
        if line.startswith("smpkg_queries_total{") and f'outcome="{outcome}"' in line:
            total += int(line.rsplit(" ", 1)[1])
    return total


def outcomes(metrics: str) -> set[str]:
    return {
        line.split('outcome="')[1].split('"')[0]
        for line in metrics.splitlines()
        if line.startswith("smpkg_queries_total{")
    }


def test_identical_queries_hit_the_cache(servers):
    server = servers["oxigraph"]
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s a <{EX}Item> }}"
    with httpx.Client(base_url=server.url, timeout=30) as client:
        answers = {client.get("/sparql", params={"query": query}).text for _ in range(20)}
        metrics = client.get("/metrics").text
    assert len(answers) == 1 and json.loads(answers.pop())["results"]["bindings"][0]["n"][
        "value"
    ] == str(ITEM_COUNT)
    assert count(metrics, "cached") >= 18  # the first two run: a first answer is not kept
