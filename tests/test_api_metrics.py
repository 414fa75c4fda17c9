"""/metrics for the whole service: with `smpkg serve --workers N` every server process's
requests are counted, whichever process answers the scrape (prometheus_client's multiprocess
mode, in a directory the command line makes for each run)."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from api.metrics import MULTIPROCESS_DIR, Metrics

REQUESTS = 40
ASK = "ASK { ?s ?p ?o }"
# New connections every time: a kept-alive connection stays with one server process.
FRESH = httpx.Limits(max_keepalive_connections=0)


def value(text: str, series: str) -> float:
    """The value of one series (name and labels as written) in an exposition text, 0 if
    absent."""
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


@pytest.fixture(scope="module")
def two_processes(serve):
    """Two server processes over the repository's graph, one query worker each."""
    return serve(args=["--workers", "2"], workers=1)


def test_every_process_is_counted_whichever_answers(two_processes):
    """Requests that both processes answered (/health says which) are all counted, in the
    scrape of either; and the query workers of both are summed."""
    server = two_processes
    health = 'smpkg_http_requests_total{method="GET",route="/health",status="200"}'
    with httpx.Client(timeout=30, limits=FRESH) as client, ThreadPoolExecutor(4) as pool:

        def pid(_: int) -> int:
            return client.get(server.url + "/health").json()["pid"]

        assert len(answering(pool, pid)) == 2, "both server processes are up"
        before = settled(client, server.url, health)
        answered: list[int] = []
        deadline = time.monotonic() + 60
        while len(set(answered)) < 2 and time.monotonic() < deadline:
            answered += pool.map(pid, range(REQUESTS))
        assert len(set(answered)) == 2, "the requests were answered by both processes"
        after = settled(client, server.url, health, at_least=before + len(answered))
        assert after == before + len(answered)

        def ask(i: int) -> int:
            # Each text its own, so that every one is executed (none answered from a cache).
            query = f"{ASK} # {i}"
            return client.post(server.endpoint, data={"query": query}).status_code

        assert set(pool.map(ask, range(REQUESTS))) == {200}
        text = scrape_until(
            client, server.url, 'smpkg_queries_total{form="ASK",outcome="ok"}', REQUESTS
        )
    assert value(text, 'smpkg_queries_total{form="ASK",outcome="ok"}') == REQUESTS
    assert value(text, 'smpkg_http_request_duration_seconds_count{route="/sparql"}') == REQUESTS
    # One query worker in each of the two processes: the pool gauges are summed too.
    assert value(text, 'smpkg_query_workers{state="configured"}') == 2
    assert value(text, 'smpkg_query_workers{state="ready"}') == 2


def answering(pool: ThreadPoolExecutor, pid, limit: float = 60.0) -> set[int]:
    """The processes that answer, until two have (the second may still be starting)."""
    seen: set[int] = set()
    deadline = time.monotonic() + limit
    while len(seen) < 2 and time.monotonic() < deadline:
        seen.update(pool.map(pid, range(8)))
    return seen


def scrape_until(client: httpx.Client, url: str, series: str, at_least: float) -> str:
    """A scrape once the series reaches `at_least`, or the last one after 10 s: a process
    records a request as its response ends, so the last may land just after the client has
    read it."""
    deadline = time.monotonic() + 10
    while True:
        text = client.get(url + "/metrics").text
        if value(text, series) >= at_least or time.monotonic() > deadline:
            return text
        time.sleep(0.05)


def settled(client: httpx.Client, url: str, series: str, at_least: float = 0) -> float:
    """The series' value once two scrapes 0.2 s apart agree (and it has reached
    `at_least`)."""
    last = value(scrape_until(client, url, series, at_least), series)
    for _ in range(50):
        time.sleep(0.2)
        now = value(client.get(url + "/metrics").text, series)
        if now == last:
            return now
        last = now
    return last


def test_one_process_needs_no_directory(client, monkeypatch):
    """In-process (one server process), the figures come from the process itself."""
    monkeypatch.delenv(MULTIPROCESS_DIR, raising=False)
    assert Metrics().directory is None
    before = value(client.get("/metrics").text, 'smpkg_queries_total{form="ASK",outcome="ok"}')
    assert client.get("/sparql", params={"query": ASK + " # metrics"}).status_code == 200
    after = client.get("/metrics").text
    assert value(after, 'smpkg_queries_total{form="ASK",outcome="ok"}') == before + 1
    assert value(after, 'smpkg_query_workers{state="configured"}') == 2


def test_made_up_methods_share_one_series(client):
    """A client may send any token as a method: each would be a series of its own, and the
    server's memory would grow with them."""
    for n in range(30):
        client.request(f"BREW{n}", "/health")
    text = client.get("/metrics").text
    assert "BREW" not in text
    assert (
        value(text, 'smpkg_http_requests_total{method="other",route="/health",status="405"}') >= 30
    )
