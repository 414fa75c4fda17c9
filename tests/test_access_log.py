"""The access log: one JSON line per request, the query named by its hash, its text only when
the operator asks, limit hits and failures at WARNING."""

from __future__ import annotations

import json
import logging
import re
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from conftest import make_settings
from fastapi.testclient import TestClient

from api import create_app
from api.access_log import QUERY_KEY, QueryNote, write_line
from api.middleware import REPLAYED_KEY
from smpkg.query_text import query_hash

QUERY = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


@pytest.fixture(scope="module")
def apps(sample_trig):
    made = {}
    for name, log_queries in (("plain", False), ("verbose", True)):
        app = create_app(
            make_settings(dataset=(sample_trig,), query_workers=1, log_queries=log_queries)
        )
        made[name] = app
    yield made
    for app in made.values():
        app.state.snapshot.executor.close()


def lines(caplog) -> list[dict]:
    return [json.loads(r.getMessage()) for r in caplog.records if r.name == "smpkg.access"]


def test_one_line_per_request_with_the_query_hash_and_no_text(apps, caplog):
    caplog.set_level(logging.INFO, logger="smpkg.access")
    with TestClient(apps["plain"]) as client:
        response = client.get("/sparql", params={"query": QUERY, "format": "json"})
        assert response.status_code == 200
    [line] = lines(caplog)
    assert line["method"] == "GET" and line["path"] == "/sparql" and line["status"] == 200
    assert line["bytes"] == len(response.content)
    assert line["ms"] >= 0 and line["time"].endswith("+00:00")
    assert line["engine"] == "oxigraph"
    assert line["query_hash"] == query_hash(QUERY)
    assert "query" not in line
    assert QUERY not in caplog.text


def test_the_text_when_configured_and_cache_hits_named(apps, caplog):
    caplog.set_level(logging.INFO, logger="smpkg.access")
    text = QUERY + " # verbose"
    with TestClient(apps["verbose"]) as client:
        for _ in range(3):
            client.get("/sparql", params={"query": text, "format": "json"})
        client.post("/sparql", content=text, headers={"Content-Type": "application/sparql-query"})
    first, second, third, fourth = lines(caplog)
    assert first["query"] == text and first["cache"] == second["cache"] == "miss"
    assert third["cache"] == "response"  # replayed whole, without entering the app
    assert fourth["cache"] == "result"  # another request, the same query and format


def test_failures_and_limits_at_warning(apps, caplog):
    caplog.set_level(logging.INFO, logger="smpkg.access")
    with TestClient(apps["plain"]) as client:
        assert client.get("/sparql", params={"query": "SELECT * WHERE {"}).status_code == 400
        big = "x" * (2 * 1_048_576)
        assert client.post("/sparql", content=big).status_code == 413
    records = [r for r in caplog.records if r.name == "smpkg.access"]
    assert [json.loads(r.getMessage())["status"] for r in records] == [400, 413]
    assert [r.levelno for r in records] == [logging.INFO, logging.WARNING]


def test_a_live_server_logs_each_request_at_the_default_level(serve, sample_trig):
    server = serve(dataset=[sample_trig], workers=1)
    httpx.get(server.url + "/sparql", params={"query": QUERY})
    httpx.get(server.url + "/no/such/page")
    wanted = {("/sparql", 200), ("/no/such/page", 404)}
    deadline = time.monotonic() + 10  # the lines reach us through a pipe and a reader thread
    while True:
        found = [json.loads(x) for x in server.stderr.splitlines() if x.startswith("{")]
        seen = {(x["path"], x["status"]) for x in found}
        if seen >= wanted or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert seen >= wanted


def test_the_line_is_json_whatever_the_path_and_query_hold(caplog):
    """The line is written field by field: quotes, backslashes, control characters and
    non-ASCII text in the path or the query still make one valid JSON object, non-ASCII kept
    as it is, and the time is ISO 8601 in UTC to the millisecond."""
    caplog.set_level(logging.INFO, logger="smpkg.access")
    path = '/id/"quoted"\\back\nslash\x01é'
    text = 'SELECT ("é\\t" AS ?x) {}\n'
    scope = {"method": "GET", "path": path, QUERY_KEY: QueryNote("abc", text, None)}
    write_line(scope, 200, 12, 0.0123456, "oxigraph", log_queries=True)
    scope[REPLAYED_KEY] = True
    write_line(scope, 200, 12, 0.0, "oxigraph", log_queries=False)
    first, replayed = lines(caplog)
    assert first["path"] == path and first["query"] == text and first["cache"] is None
    assert first["ms"] == 12.35 and first["bytes"] == 12
    assert "é" in caplog.records[0].getMessage()  # not escaped to \u00e9
    stamp = datetime.fromisoformat(first["time"])
    assert stamp.utcoffset() == timedelta(0)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", first["time"])
    assert replayed["cache"] == "response" and "query" not in replayed
