"""The campaign against a live service (`smpkg serve` on 127.0.0.1): mixed traffic at 16
connections with zero errors and resident memory flat from the first to the last quarter;
query workers killed under traffic; SIGTERM with requests in flight.

The load runs 60 s in CI; with `--hours H` it runs a third of H and its figures (requests,
errors, peak memory) go to the artefacts."""

from __future__ import annotations

import itertools
import json
import os
import signal
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from browser import ARTIFACTS

pytestmark = [pytest.mark.network_peer, pytest.mark.campaign]

CONNECTIONS = 16
SHORT_SECONDS = 60
# Requests of every kind the service answers, as a browser, a linked-data client and a
# SPARQL client send them. `{n}` makes an ad-hoc query distinct, so caches keep filling.
MIX = [
    (
        "GET",
        "/sparql?query=SELECT%20(COUNT(*)%20AS%20%3Fn)%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D%20%23{n}",
        {},
    ),
    (
        "GET",
        "/sparql?query=ASK%7B%3Fs%20a%20%3Chttps://w3id.org/smpkg/ontology%23Initiative%3E%7D",
        {},
    ),
    ("GET", "/queries/initiatives-by-origin?country=country:MAR&format=csv", {}),
    ("GET", "/id/programme/palim", {"Accept": "text/html"}),
    ("GET", "/id/programme/palim", {"Accept": "text/turtle"}),
    ("GET", "/id/country/MAR", {"Accept": "application/ld+json"}),
    ("GET", "/api/search?q=palim", {}),
    ("GET", "/", {}),
    ("GET", "/browse/programmes", {}),
    ("GET", "/.well-known/void", {}),
    ("GET", "/health", {}),
]


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def descendants(pid: int) -> list[int]:
    found = children_of(pid)
    return found + [d for child in found for d in descendants(child)]


def worker_pids(pid: int) -> list[int]:
    """The query workers: started by the fork server, the server's one child that has
    children of its own."""
    return [w for child in children_of(pid) for w in children_of(child)]


def rss_of_tree(pid: int) -> int:
    """Resident bytes of the server and every process under it (fork server, workers)."""
    total = 0
    for one in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


@dataclass
class Run:
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    memory: list[int] = field(default_factory=list)


def load(url: str, seconds: float, pid: int) -> Run:
    run = Run()
    stop = threading.Event()
    counter = itertools.count()
    lock = threading.Lock()

    def client() -> None:
        with httpx.Client(base_url=url, timeout=30) as http:
            while not stop.is_set():
                n = next(counter)
                method, path, headers = MIX[n % len(MIX)]
                try:
                    response = http.request(method, path.format(n=n), headers=headers)
                except httpx.HTTPError as exc:
                    with lock:
                        run.errors.append(f"{path}: {exc!r}")
                    continue
                with lock:
                    run.requests += 1
                    if response.status_code != 200:
                        run.errors.append(f"{path}: {response.status_code} {response.text[:120]}")

    with httpx.Client(base_url=url, timeout=60) as http:
        # Warm: what the service builds once, at the first page of a kind, is not growth.
        for method, path, headers in MIX:
            http.request(method, path.format(n="warm"), headers=headers)
    threads = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        run.memory.append(rss_of_tree(pid))
        time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join()
    return run


@pytest.fixture(scope="module")
def server(serve):
    return serve(workers=2)


def test_mixed_load_has_no_error_and_flat_memory(server, campaign_hours):
    seconds = campaign_hours * 3600 / 3 if campaign_hours else SHORT_SECONDS
    run = load(server.url, seconds, server.process.pid)
    assert run.errors == [], run.errors[:10]
    assert run.requests > 20 * seconds
    quarter = max(1, len(run.memory) // 4)
    first = statistics.median(run.memory[:quarter])
    last = statistics.median(run.memory[-quarter:])
    report = {
        "seconds": round(seconds),
        "connections": CONNECTIONS,
        "requests": run.requests,
        "errors": len(run.errors),
        "rss_first_quarter_mib": round(first / 2**20),
        "rss_last_quarter_mib": round(last / 2**20),
        "rss_peak_mib": round(max(run.memory) / 2**20),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "campaign-load.json").write_text(json.dumps(report, indent=1))
    # Flat: caches are bounded and fill in the first quarter; past it, no growth worth a name.
    assert last <= first * 1.10 + 32 * 2**20, report


def test_killed_workers_are_replaced_under_traffic(server):
    """Each query worker killed in turn while clients query: the service answers throughout
    (a query on the killed worker may fail, with a message and never a traceback) and every
    worker is back afterwards."""
    before = server.health()["workers"]["restarts"]
    failures: list[str] = []
    stop = threading.Event()

    def client() -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            n = 0
            while not stop.is_set():
                n += 1
                query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }} # kill {n}"
                response = http.get("/sparql", params={"query": query})
                if response.status_code != 200:
                    assert "Traceback" not in response.text
                    failures.append(response.text)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for _ in range(2):
            time.sleep(1)
            victims = worker_pids(server.process.pid)
            assert victims, "the server has query workers"
            os.kill(victims[0], signal.SIGKILL)
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    health = server.wait_workers()
    assert health["workers"]["restarts"] >= before + 2
    assert len(failures) <= 8, failures[:3]  # only the queries the killed workers held
    response = httpx.get(server.url + "/sparql", params={"query": "ASK {}"})
    assert response.status_code == 200


HOSTILE = [
    # (name, method, query, statuses the service may answer)
    (
        "cross product sorted",
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } ORDER BY ?c ?f ?i",
        {503, 504},
    ),
    (
        "a one-row string of 256 MiB",
        'SELECT ?a28 WHERE { BIND("x" AS ?a0) '
        + " ".join(f"BIND(CONCAT(?a{i}, ?a{i}) AS ?a{i + 1})" for i in range(28))
        + " }",
        {200, 503, 504},
    ),
    ("3,000 nested braces", "ASK " + "{" * 3000 + "}" * 3000, {403}),
    ("an ORDER BY the engine panics on", "SELECT ?o WHERE { ?s ?p ?o } ORDER BY ?o", {200, 500}),
]


def test_memory_returns_to_its_baseline_after_hostile_queries(server):
    """The probe's hostile queries, each answered with a status that names what happened, and
    the service's resident memory (server, fork server, workers) back near where it was."""
    server.wait_workers()
    baseline = rss_of_tree(server.process.pid)
    with httpx.Client(base_url=server.url, timeout=60) as http:
        for name, query, allowed in HOSTILE:
            response = http.post(
                "/sparql", content=query, headers={"Content-Type": "application/sparql-query"}
            )
            assert response.status_code in allowed, (name, response.status_code, response.text)
            assert "Traceback" not in response.text
        for n in range(60):  # distinct 1 MB texts: caches hold bytes, not texts, past bounds
            text = f"ASK {{ }} #{n} " + "x" * 1_000_000
            response = http.post(
                "/sparql", content=text, headers={"Content-Type": "application/sparql-query"}
            )
            assert response.status_code == 200, response.text[:200]
    server.wait_workers(limit=60)
    time.sleep(1)  # a recycled worker's replacement settles
    after = rss_of_tree(server.process.pid)
    assert after <= baseline * 1.15 + 64 * 2**20, (baseline // 2**20, after // 2**20)


def test_sigterm_finishes_the_requests_in_flight(serve):
    """Sixteen requests in flight when SIGTERM arrives: every one is answered, then the
    server exits cleanly."""
    server = serve(workers=2)
    query = (
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . "
        "FILTER (STRLEN(STR(?c)) < 3 && STRLEN(STR(?f)) < 3) } # {n}"
    )
    statuses: list[int | str] = []
    lock = threading.Lock()
    ready = threading.Barrier(CONNECTIONS + 1)

    def client(n: int) -> None:
        # Connected before the signal: a client still setting up is not "in flight".
        with httpx.Client(base_url=server.url, timeout=60) as http:
            http.get("/health")
            ready.wait()
            try:
                response = http.get("/sparql", params={"query": query.replace("{n}", str(n))})
                outcome: int | str = response.status_code
            except httpx.HTTPError as exc:
                outcome = repr(exc)
        with lock:
            statuses.append(outcome)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    ready.wait()
    time.sleep(1.0)  # every request sent: two workers answer, the others wait their turn
    server.process.send_signal(signal.SIGTERM)
    for thread in threads:
        thread.join()
    # uvicorn shuts down gracefully, then raises the signal again: exit by SIGTERM, or 0.
    assert server.process.wait(timeout=60) in (0, -signal.SIGTERM)
    # Answered, not dropped: a result, or the deadline's or the busy pool's clear refusal.
    assert len(statuses) == CONNECTIONS
    assert all(s in (200, 503, 504) for s in statuses), statuses
    assert statuses.count(200) >= 2
