"""The engines behind the endpoint, in-process, on BOTH engines: the same dataset semantics
(union default graph, FROM / FROM NAMED, protocol datasets), base IRIs, the row cap, refusals
without any network access (no isolation here: the scan alone must hold), and rdflib's engine
under concurrent threads."""

from __future__ import annotations

import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import EX, ITEM_COUNT, ITEMS, PEOPLE, PLACES
from rdflib import Literal, URIRef

import smpkg.oxigraph_engine as store
from smpkg import guard
from smpkg.build import open_dataset_engine
from smpkg.engine import DatasetSpec
from smpkg.errors import QueryRefused, QuerySyntaxError
from smpkg.formats import results_json
from smpkg.guard import check_query
from smpkg.statistics import dataset_statistics

ENGINES = ["oxigraph", "rdflib"]


@pytest.fixture(scope="module", params=ENGINES)
def engine(request, sample_trig):
    return open_dataset_engine([sample_trig], request.param)


@pytest.fixture(scope="module")
def oxigraph(sample_trig):
    return open_dataset_engine([sample_trig], "oxigraph")


def subjects(answer) -> list[str]:
    return sorted(str(row[0]) for row in answer.rows)


PERSONS = f"SELECT ?p WHERE {{ ?p a <{EX}Person> }}"


def test_default_graph_is_the_union_on_both_engines(engine):
    assert subjects(engine.execute(PERSONS)) == [f"{EX}alice", f"{EX}bob", f"{EX}carol"]


def test_from_restricts_the_default_graph(engine):
    query = f"SELECT ?p FROM <{PEOPLE}> WHERE {{ ?p a <{EX}Person> }}"
    assert subjects(engine.execute(query)) == [f"{EX}bob", f"{EX}carol"]


def test_from_named_only_leaves_an_empty_default_graph(engine):
    query = f"SELECT ?p FROM NAMED <{PEOPLE}> WHERE {{ ?p a <{EX}Person> }}"
    assert engine.execute(query).rows == []
    query = f"SELECT DISTINCT ?g FROM NAMED <{PEOPLE}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert subjects(engine.execute(query)) == [PEOPLE]


def test_protocol_dataset_overrides_the_query(engine):
    query = f"SELECT ?p FROM <{PLACES}> WHERE {{ ?p a <{EX}Person> }}"
    assert subjects(engine.execute(query, DatasetSpec((PEOPLE,)))) == [f"{EX}bob", f"{EX}carol"]
    graphs = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert subjects(engine.execute(graphs, DatasetSpec((), (PLACES, ITEMS)))) == sorted(
        [PLACES, ITEMS]
    )


def test_queries_leave_the_data_unchanged(engine):
    before = len(engine)
    for _ in range(3):
        engine.execute(f"SELECT * FROM <{PEOPLE}> FROM <{PLACES}> WHERE {{ ?s ?p ?o }}")
        engine.execute(PERSONS, DatasetSpec((PEOPLE, PLACES), (ITEMS,)))
    assert len(engine) == before
    assert subjects(engine.execute(PERSONS)) == [f"{EX}alice", f"{EX}bob", f"{EX}carol"]


def test_base_iri(engine):
    answer = engine.execute(
        "SELECT ?x WHERE { BIND(<s> AS ?x) }", base_iri="http://host.example/sparql"
    )
    assert answer.rows == [(URIRef("http://host.example/s"),)]


def test_row_cap_on_select_and_construct(engine):
    answer = engine.execute(f"SELECT ?i WHERE {{ ?i a <{EX}Item> }}", max_rows=10)
    assert len(answer.rows) == 10 and answer.truncated
    answer = engine.execute(f"SELECT ?i WHERE {{ ?i a <{EX}Item> }}", max_rows=ITEM_COUNT)
    assert len(answer.rows) == ITEM_COUNT and not answer.truncated
    answer = engine.execute(
        f"CONSTRUCT {{ ?i ?p ?o }} WHERE {{ ?i a <{EX}Item> ; ?p ?o }}", max_rows=7
    )
    assert len(answer.triples) == 7 and answer.truncated


def test_bindings(engine):
    query = f"SELECT ?p ?name WHERE {{ ?p <{EX}name> ?name }}"
    answer = engine.execute(query, bindings={"name": Literal("Carol")})
    assert [str(r[0]) for r in answer.rows] == [f"{EX}carol"]


def test_syntax_errors_and_refusals(engine):
    with pytest.raises(QuerySyntaxError):
        engine.execute("SELECT ?x WHERE { ?x }")
    with pytest.raises(QueryRefused, match="read-only"):
        engine.execute("CLEAR ALL")
    with pytest.raises(QueryRefused, match="SERVICE"):
        engine.execute("SELECT * WHERE { SERVICE <http://example.org/> { ?s ?p ?o } }")


@pytest.mark.parametrize(
    "text",
    [
        "SELECT ?x WHERE { ?x }",
        "not sparql at all",
        "",
        "CLEAR ALL",
        "INSERT DATA { <http://a> <http://b> <http://c> }",
        "LOAD <http://example.org/data.ttl>",
        "SELECT * WHERE { BIND(<http://www.w3.org/2001/XMLSchema#integerx>(1) AS ?x) }",
        "SELECT * WHERE " + "{" * 200 + "}" * 200,
    ],
)
def test_a_text_the_run_parses_fails_as_the_guard_says(oxigraph, text):
    """A text without SERVICE or FROM is parsed by the run itself, not by the guard first:
    what it fails with is still the guard's verdict, word for word."""
    with pytest.raises((QueryRefused, QuerySyntaxError)) as expected:
        check_query(text, oxigraph.held_graphs)
    with pytest.raises(type(expected.value)) as got:
        oxigraph.execute(text)
    assert str(got.value) == str(expected.value)


@pytest.mark.parametrize(
    "text, form",
    [
        (PERSONS, "SELECT"),
        (f"ASK {{ ?p a <{EX}Person> }}", "ASK"),
        (f"CONSTRUCT {{ ?p a <{EX}Person> }} WHERE {{ ?p a <{EX}Person> }}", "CONSTRUCT"),
        (f"DESCRIBE ?p WHERE {{ ?p a <{EX}Person> }}", "DESCRIBE"),
    ],
)
def test_a_text_is_parsed_once_when_only_the_parse_decides(oxigraph, text, form, monkeypatch):
    class NoSecondParse:
        def query(self, *args, **kwargs):
            raise AssertionError("the guard parsed a text the run parses anyway")

    monkeypatch.setattr(guard, "_empty", NoSecondParse())
    assert oxigraph.execute(text).form == form


# --------------------------------------------------------------------------- no network


@pytest.fixture(scope="module")
def listener():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def run():
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            seen.append(conn.recv(1024))
            conn.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", seen
    stop.set()
    thread.join(2)
    sock.close()


def test_engines_never_reach_the_network(engine, listener):
    """No worker isolation here: the query guard and the engine configuration alone hold.
    FROM / FROM NAMED of a graph the dataset does not hold is refused (403), not empty."""
    url, seen = listener
    refused = [
        f"SELECT * WHERE {{ SERVICE <{url}/> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ \\u0053ERVICE <{url}/> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ service silent <{url}/> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ VALUES ?u {{ <{url}/> }} SERVICE ?u {{ ?s ?p ?o }} }}",
        f"LOAD <{url}/data.ttl>",
        f"SELECT * FROM <{url}/data.ttl> WHERE {{ ?s ?p ?o }}",
        f"SELECT * FROM NAMED <{url}/g> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    ]
    for query in refused:
        with pytest.raises(QueryRefused):
            engine.execute(query)
    answered = [
        ("SELECT * WHERE { ?s ?p ?o }", DatasetSpec((f"{url}/a",), (f"{url}/b",))),
        (f"DESCRIBE <{url}/thing>", DatasetSpec()),
    ]
    for query, dataset in answered:
        answer = engine.execute(query, dataset)
        assert not answer.rows and not answer.triples
    time.sleep(0.3)
    assert seen == []


# --------------------------------------------------------------------------- threads


def test_rdflib_engine_is_safe_under_concurrent_threads(sample_trig):
    """rdflib's parser is not thread-safe: the engine serialises parsing, and evaluation of
    distinct queries from 16 threads gives every right answer."""
    engine = open_dataset_engine([sample_trig], "rdflib")

    def run(n: int) -> bool:
        i = n % ITEM_COUNT + 1
        query = f"# {n}\nSELECT ?label WHERE {{ <{EX}item{i}> <{EX}label> ?label }}"
        answer = engine.execute(query)
        return [str(r[0]) for r in answer.rows] == [f"item {i}"]

    with ThreadPoolExecutor(16) as pool:
        assert all(pool.map(run, range(320)))


def test_oxigraph_counts_its_statistics_as_rdflib_quads_are_counted(tmp_path):
    """The oxigraph engine counts with SPARQL; the reference counts rdflib's quads in Python.
    Unnamed triples, a triple in two graphs, blank nodes and literals included."""
    (tmp_path / "default.ttl").write_text('<http://e/a> a <http://e/C> ; <http://e/p> "x", _:b .\n')
    (tmp_path / "named.trig").write_text(
        '<http://e/g1> { <http://e/a> a <http://e/C> . <http://e/b> <http://e/q> "x"@en . }\n'
        "<http://e/g2> { <http://e/a> a <http://e/D> . _:c <http://e/q> <http://e/b> . }\n"
    )
    files = [tmp_path / "default.ttl", tmp_path / "named.trig"]
    counted = {
        kind: dataset_statistics(open_dataset_engine(files, kind))
        for kind in ("oxigraph", "rdflib")
    }
    assert counted["oxigraph"]["engine"] == "oxigraph"
    for stats in counted.values():
        stats.pop("engine")
    assert counted["oxigraph"] == counted["rdflib"]
    assert counted["oxigraph"]["unnamed_triples"] == 3
    assert counted["oxigraph"]["default"]["triples"] == 6
    assert sorted(counted["oxigraph"]["graphs"]) == ["http://e/g1", "http://e/g2"]


# --------------------------------------------------------------------------- SPARQL JSON


@pytest.fixture(scope="module")
def engines(sample_trig):
    return {name: open_dataset_engine([sample_trig], name) for name in ENGINES}


JSON_TEXTS = [
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o",
    f"SELECT ?p ?name ?missing WHERE {{ ?p a <{EX}Person> ; ?q ?name "
    f"OPTIONAL {{ ?p <{EX}none> ?missing }} }} ORDER BY ?p ?q ?name",
    "SELECT ?l ?n ?b WHERE { BIND ('é\\n\"x\"\\t/\\\\'@en-gb AS ?l) BIND (42 AS ?n) "
    "BIND ('t' AS ?b) }",
    "SELECT ?x WHERE { BIND (BNODE() AS ?x) }",
    f"ASK {{ ?s a <{EX}Person> }}",
    "ASK { ?s a <http://example.org/Nothing> }",
]


@pytest.mark.parametrize("text", JSON_TEXTS)
def test_pyoxigraph_writes_the_json_the_python_writer_writes(engines, text):
    """The oxigraph engine has pyoxigraph write SPARQL JSON; the Python writer (rdflib
    engine, external stores) must give the same bytes for the same answer."""
    answer, body = engines["oxigraph"].results_json(text)
    assert not answer.truncated
    python = results_json(engines["oxigraph"].execute(text))
    if "BNODE" not in text:  # fresh blank nodes differ between two runs
        assert body == python
        assert body == results_json(engines["rdflib"].execute(text))
    assert json.loads(body)["head"] == json.loads(python)["head"]


def test_json_rows_beyond_the_cap_are_cut_with_the_link(engines):
    text = f"SELECT ?i WHERE {{ ?i a <{EX}Item> }} ORDER BY ?i"
    engine = engines["oxigraph"]
    expected = [str(r[0]) for r in engine.execute(text).rows]
    assert len(expected) == ITEM_COUNT
    for cap in (0, 1, ITEM_COUNT - 1):
        answer, body = engine.results_json(text, max_rows=cap, link="/sparql#truncated")
        doc = json.loads(body)
        assert answer.truncated
        assert doc["head"]["link"] == ["/sparql#truncated"]
        assert [b["i"]["value"] for b in doc["results"]["bindings"]] == expected[:cap]
    for cap in (ITEM_COUNT, ITEM_COUNT + 1, None):
        answer, body = engine.results_json(text, max_rows=cap, link="/sparql#truncated")
        assert not answer.truncated and "link" not in json.loads(body)["head"]
        assert len(json.loads(body)["results"]["bindings"]) == ITEM_COUNT


def test_json_of_a_graph_result_is_left_to_execute(engines):
    assert engines["oxigraph"].results_json("CONSTRUCT WHERE { ?s ?p ?o }") is None


def test_json_past_the_budget_is_left_to_execute(engines, monkeypatch):
    """pyoxigraph writes every row before the cap can cut them: a body past the budget is
    abandoned, and the capped `execute` answers instead."""
    text = f"SELECT ?i WHERE {{ ?i a <{EX}Item> }}"
    engine = engines["oxigraph"]
    assert engine.results_json(text, max_rows=5) is not None
    monkeypatch.setattr(store, "json_budget", lambda max_rows: 200)
    assert engine.results_json(text, max_rows=5) is None
    assert engine.results_json("ASK { ?s ?p ?o }", max_rows=5) is not None
