"""The query executor: worker processes, deadlines that kill, the result cache, errors."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time

import pytest
from conftest import EX, ITEM_COUNT, PEOPLE
from rdflib import Literal

import smpkg.oxigraph_engine as store
from smpkg.build import open_dataset_engine
from smpkg.cache import ResultCache, key_bytes
from smpkg.engine import DatasetSpec
from smpkg.errors import (
    DataParseError,
    ParameterError,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    UnsupportedFormat,
)
from smpkg.executor import QueryExecutor, QueryResult, Source, WorkersBusy
from smpkg.formats import BY_KEY, choose_format
from smpkg.worker import QueryRequest, answer_query

CROSS_PRODUCT = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l . ?m ?o ?q }"
)


@pytest.fixture(scope="module")
def executor(sample_trig):
    with QueryExecutor(
        Source.of_files([sample_trig], "oxigraph"),
        workers=2,
        timeout=5,
        max_rows=30,
        version="test",
    ) as ex:
        yield ex


# --------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    "form,accept,param,key",
    [
        ("SELECT", None, None, "json"),
        ("SELECT", "text/csv", None, "csv"),
        ("SELECT", "text/csv", "tsv", "tsv"),
        ("SELECT", None, ["bogus", "text/tab-separated-values"], "tsv"),
        ("ASK", "application/sparql-results+xml", None, "xml"),
        ("CONSTRUCT", None, None, "turtle"),
        ("CONSTRUCT", None, "json", "jsonld"),
        ("CONSTRUCT", None, "xml", "rdfxml"),
        ("DESCRIBE", "application/n-triples", None, "ntriples"),
        # A browser's Accept: the workers' formats hold no HTML (the service renders it).
        ("SELECT", "text/html,*/*;q=0.8", None, "json"),
    ],
)
def test_choose_format(form, accept, param, key):
    assert choose_format(form, accept, param).key == key


def test_choose_format_refuses():
    with pytest.raises(UnsupportedFormat) as info:
        choose_format("SELECT", "text/turtle")
    assert "application/sparql-results+json" in info.value.available
    with pytest.raises(UnsupportedFormat):
        choose_format("CONSTRUCT", None, "csv")
    with pytest.raises(UnsupportedFormat):
        choose_format("SELECT", None, "html")


def test_result_cache_is_a_bounded_lru():
    key = key_bytes(("a",))  # the same for every one-letter key: bytes count keys too
    cache = ResultCache(max_entries=2, max_bytes=2 * key + 10, max_item_bytes=key + 6)

    def result(body: bytes) -> QueryResult:
        return QueryResult(body, BY_KEY["json"], "SELECT", False)

    cache.put(("a",), result(b"1234"))
    cache.put(("b",), result(b"12"))
    assert cache.get(("a",)) is not None  # a is now the most recent
    cache.put(("c",), result(b"1"))  # over 2 entries: b goes
    assert cache.get(("b",)) is None and cache.get(("c",)) is not None
    cache.put(("d",), result(b"123456"))  # over 10 bytes of values: the oldest go
    assert cache.size_bytes <= 2 * key + 10
    cache.put(("e",), result(b"1234567"))  # too big to keep
    assert cache.get(("e",)) is None


# --------------------------------------------------------------------------- running


def test_execute_blocking(executor):
    result = executor.execute_blocking(
        f"SELECT ?p WHERE {{ ?p a <{EX}Person> }} ORDER BY ?p", accept="text/csv"
    )
    assert result.format.key == "csv" and result.form == "SELECT" and not result.truncated
    assert result.body.decode().split() == ["p", f"{EX}alice", f"{EX}bob", f"{EX}carol"]


def test_execute_async_in_parallel(executor):
    async def many():
        return await asyncio.gather(
            *(executor.execute(f"ASK {{ <{EX}item{i}> <{EX}index> {i} }}") for i in range(1, 30))
        )

    results = asyncio.run(many())
    assert all(json.loads(r.body)["boolean"] is True for r in results)


def test_dataset_and_bindings(executor):
    result = executor.execute_blocking(
        f"SELECT ?p ?name WHERE {{ ?p <{EX}name> ?name }}",
        dataset=DatasetSpec((PEOPLE,)),
        bindings={"name": Literal("Carol")},
        accept="text/csv",
    )
    assert result.body.decode().split() == ["p,name", f"{EX}carol,Carol"]


def test_cache_hits_and_misses(executor):
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s <{EX}index> ?i }}"
    # A result is kept from its second use (QUERY_MIN_USES): the third is a hit.
    first, second, third = (executor.execute_blocking(query) for _ in range(3))
    assert not first.cached and not second.cached and third.cached
    assert first.body == second.body == third.body
    # The key holds the negotiated format, the dataset and the bindings.
    for _ in range(2):
        assert not executor.execute_blocking(query, accept="text/csv").cached
        assert not executor.execute_blocking(query, dataset=DatasetSpec((PEOPLE,))).cached
    assert executor.execute_blocking(query, accept="*/*").cached  # negotiates to json again


def test_nondeterministic_queries_are_never_cached(executor):
    query = "SELECT (RAND() AS ?r) (NOW() AS ?t) WHERE {}"
    first, second = executor.execute_blocking(query), executor.execute_blocking(query)
    assert not second.cached and not first.cacheable and first.body != second.body


def test_row_cap_and_truncation_link(executor):
    result = executor.execute_blocking(
        f"SELECT ?i WHERE {{ ?i a <{EX}Item> }}", base_iri="http://h.example/sparql"
    )
    assert result.truncated
    doc = json.loads(result.body)
    assert doc["head"]["link"] == ["http://h.example/sparql#truncated"]
    assert len(doc["results"]["bindings"]) == executor.max_rows < ITEM_COUNT


def test_the_executor_renders_no_html(executor):
    # The results page is the service's (api/results.py, in the site's frame), rendered from
    # SPARQL JSON: a client that only takes HTML gets 406 from the executor itself.
    with pytest.raises(UnsupportedFormat):
        executor.execute_blocking(f"SELECT ?p WHERE {{ ?p a <{EX}Person> }}", accept="text/html")


def test_errors_come_back_as_smpkg_errors(executor):
    with pytest.raises(QuerySyntaxError):
        executor.execute_blocking("SELECT ?x WHERE { ?x }")
    with pytest.raises(QueryRefused, match="read-only"):
        executor.execute_blocking("INSERT DATA { <a> <b> <c> }")
    with pytest.raises(QueryRefused, match="SERVICE"):
        executor.execute_blocking("SELECT * { SERVICE <http://x/> { ?s ?p ?o } }")
    with pytest.raises(UnsupportedFormat):
        executor.execute_blocking("SELECT * { ?s ?p ?o }", accept="image/png")
    # A syntax error is reported before a format the client cannot get.
    with pytest.raises(QuerySyntaxError):
        executor.execute_blocking("SELECT ?x WHERE { ?x }", accept="image/png")


def test_info(executor):
    info = executor.info()
    assert info["default"]["triples"] == 3 + 6 + 2 + 3 * ITEM_COUNT
    assert set(info["graphs"]) == {f"{EX}graph/people", f"{EX}graph/places", f"{EX}graph/items"}
    assert executor.isolation


# --------------------------------------------------------------------------- deadlines


def test_timeout_kills_and_replaces_the_worker(executor):
    restarts = executor.restarts
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"0\.5 s deadline"):
        executor.execute_blocking(CROSS_PRODUCT, timeout=0.5)
    assert time.monotonic() - started < 2
    assert executor.restarts == restarts + 1
    # The other worker answers at once; the replacement joins in the background.
    assert executor.execute_blocking("ASK {}").body
    deadline = time.monotonic() + 30
    while executor.ready_workers < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert executor.ready_workers == 2


def wait_for_workers(executor, count: int) -> None:
    deadline = time.monotonic() + 30
    while executor.ready_workers < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert executor.ready_workers == count


def test_timeout_on_the_event_loop(executor):
    """`execute` (async) awaits the worker's pipe on the loop; the deadline holds there too."""
    restarts = executor.restarts
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match=r"0\.5 s deadline"):
        asyncio.run(executor.execute(CROSS_PRODUCT, timeout=0.5))
    assert time.monotonic() - started < 2
    assert executor.restarts == restarts + 1
    wait_for_workers(executor, 2)


def test_long_texts_and_replies_on_uvloop(executor):
    """The server's loop is uvloop, which makes a watched pipe non-blocking: a query and a
    reply longer than a pipe's buffer (64 KiB) still go through whole, and the worker stays."""
    uvloop = pytest.importorskip("uvloop", reason="uvloop comes with uvicorn[standard]")
    restarts = executor.restarts
    long_value = "x" * 300_000
    text = f'SELECT ?v WHERE {{ VALUES ?v {{ "{long_value}" }} }}'

    async def twice():
        return [await executor.execute(f"{text} # {i}") for i in range(2)]

    for result in uvloop.run(twice()):
        assert json.loads(result.body)["results"]["bindings"][0]["v"]["value"] == long_value
    assert executor.restarts == restarts
    assert executor.execute_blocking("ASK {}").body  # the pipes are blocking again


def test_a_cancelled_request_does_not_leave_a_worker_owing_a_reply(executor):
    """A client that goes away mid-query cancels the awaiting task; the worker's late reply
    is collected (here: the deadline passes, so it is replaced), never read by the next
    query."""
    wait_for_workers(executor, 2)
    restarts = executor.restarts

    async def cancel_mid_query():
        task = asyncio.ensure_future(executor.execute(CROSS_PRODUCT, timeout=0.5))
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return await asyncio.gather(
            *(executor.execute(f"ASK {{ <{EX}item{i}> <{EX}index> {i} }}") for i in range(1, 9))
        )

    answers = asyncio.run(cancel_mid_query())
    assert all(json.loads(a.body)["boolean"] is True for a in answers)
    deadline = time.monotonic() + 10
    while executor.restarts == restarts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert executor.restarts == restarts + 1
    wait_for_workers(executor, 2)


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="SCHED_BATCH is Linux's")
def test_workers_step_aside_for_the_server(executor):
    wait_for_workers(executor, 2)
    assert [os.sched_getscheduler(pid) for pid in executor.pool.pids] == [os.SCHED_BATCH] * 2
    # The server (this test process) keeps the policy it inherited.
    assert os.sched_getscheduler(0) == os.sched_getscheduler(os.getppid())


def test_a_dead_worker_is_replaced(executor):
    victim = executor.pool.pids[0]
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.2)
    for i in range(6):
        assert executor.execute_blocking(f"ASK {{ <{EX}item{i + 1}> ?p ?o }}").body
    deadline = time.monotonic() + 30
    while executor.ready_workers < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert executor.ready_workers == 2


def test_workers_busy(sample_trig):
    with QueryExecutor(Source.of_files([sample_trig], "rdflib"), workers=1, timeout=3) as ex:
        outcome = {}

        def runaway():
            try:
                ex.execute_blocking(CROSS_PRODUCT)
            except QueryTimeout as exc:
                outcome["runaway"] = exc

        thread = threading.Thread(target=runaway)
        thread.start()
        time.sleep(0.3)
        with pytest.raises(WorkersBusy, match="busy"):
            ex.execute_blocking("ASK {}", timeout=0.5)
        thread.join()
        assert isinstance(outcome["runaway"], QueryTimeout)
        assert not isinstance(outcome["runaway"], WorkersBusy)


def test_requests_wait_for_a_worker_on_the_event_loop(sample_trig):
    """More requests than workers: the others wait on the loop for the next free worker;
    past the deadline they get WorkersBusy, and a worker freed later is not lost."""
    with QueryExecutor(Source.of_files([sample_trig], "oxigraph"), workers=1, timeout=3) as ex:

        async def crowd():
            texts = [f"ASK {{ <{EX}item{i}> <{EX}index> {i} }}" for i in range(1, 25)]
            return await asyncio.gather(*(ex.execute(t) for t in texts))

        assert all(json.loads(r.body)["boolean"] for r in asyncio.run(crowd()))

        async def busy():
            runaway = asyncio.ensure_future(ex.execute(CROSS_PRODUCT, timeout=1.5))
            await asyncio.sleep(0.2)
            with pytest.raises(WorkersBusy, match="busy"):
                await ex.execute("ASK { ?s ?p ?o }", timeout=0.3)
            with pytest.raises(QueryTimeout):
                await runaway
            return await ex.execute("ASK { ?s ?p ?o } # after")

        assert json.loads(asyncio.run(busy()).body)["boolean"] is True
        assert ex.busy == 1


def test_close_leaves_no_process(sample_trig):
    ex = QueryExecutor(Source.of_files([sample_trig], "oxigraph"), workers=2).start()
    pids = ex.pool.pids
    assert len(pids) == 2 and all(_alive(pid) for pid in pids)
    ex.close()
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie does not: it has exited, unreaped)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def test_a_bad_dataset_fails_at_start_with_file_and_line(tmp_path):
    bad = tmp_path / "bad.ttl"
    bad.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n")
    with pytest.raises(DataParseError, match=r"bad\.ttl"):
        QueryExecutor(Source.of_files([bad], "oxigraph"), workers=1).start()


def test_bindings_must_be_rdf_terms(executor):

    with pytest.raises(ParameterError, match="'x'"):
        executor.execute_blocking("SELECT ?x WHERE {}", bindings={"x": "not a term"})
    assert executor.execute_blocking("ASK {}").body  # no worker was lost
    assert executor.ready_workers == 2


@pytest.mark.parametrize("budget", [None, 64])
def test_a_worker_answers_json_natively_or_past_the_budget_alike(sample_trig, monkeypatch, budget):
    """The worker's two ways to SPARQL JSON on the oxigraph engine, pyoxigraph's writer and
    (past the byte budget) the capped Python one, give the same capped answer."""
    if budget is not None:
        monkeypatch.setattr(store, "json_budget", lambda max_rows: budget)
    engine = open_dataset_engine([sample_trig], "oxigraph")
    text = f"SELECT ?i WHERE {{ ?i a <{EX}Item> }} ORDER BY ?i"
    request = QueryRequest(
        text,
        accept="application/sparql-results+json",
        max_rows=7,
        format_key="json",
        link="/sparql#truncated",
    )
    reply = answer_query(engine, request)
    doc = json.loads(reply.body)
    assert (reply.format_key, reply.form, reply.truncated) == ("json", "SELECT", True)
    assert doc["head"] == {"vars": ["i"], "link": ["/sparql#truncated"]}
    assert [b["i"]["value"] for b in doc["results"]["bindings"]] == [
        f"{EX}item{n}" for n in sorted(range(1, ITEM_COUNT + 1), key=str)
    ][:7]
