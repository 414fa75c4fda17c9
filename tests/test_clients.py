"""Real clients against a real server (uvicorn on 127.0.0.1): SPARQLWrapper (GET and POST; JSON,
XML, CSV, TSV; CONSTRUCT as Turtle) and rasqal's roqet, checking the answers, not just the
status."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess

import pytest
from conftest import EX, IN_CI, PEOPLE
from rdflib import Graph, Literal, URIRef
from SPARQLWrapper import CSV, GET, JSON, POST, TSV, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

SELECT = f"SELECT ?p ?name WHERE {{ ?p <{EX}name> ?name }} ORDER BY ?p"
EXPECTED = [(f"{EX}alice", "Alice"), (f"{EX}bob", "Bob"), (f"{EX}carol", "Carol")]


@pytest.fixture(scope="module")
def server(serve, sample_trig):
    return serve(engine="oxigraph", dataset=[sample_trig])


def wrapper(server, method=GET, fmt=JSON, query=SELECT):
    sparql = SPARQLWrapper(server.endpoint)
    sparql.setMethod(method)
    sparql.setReturnFormat(fmt)
    sparql.setQuery(query)
    return sparql


# --------------------------------------------------------------------------- SPARQLWrapper


def rows_of(fmt, result) -> list[tuple[str, str]]:
    if fmt == JSON:
        return [(b["p"]["value"], b["name"]["value"]) for b in result["results"]["bindings"]]
    if fmt == XML:
        out = []
        for node in result.getElementsByTagName("result"):
            cells = {}
            for binding in node.getElementsByTagName("binding"):
                cells[binding.getAttribute("name")] = "".join(
                    t.data for el in binding.childNodes for t in el.childNodes
                )
            out.append((cells["p"], cells["name"]))
        return out
    text = result.decode("utf-8")
    if fmt == CSV:
        reader = csv.reader(io.StringIO(text))
        assert next(reader) == ["p", "name"]
        return [tuple(r) for r in reader]
    lines = text.splitlines()
    assert lines[0] == "?p\t?name"
    cells = [line.split("\t") for line in lines[1:]]
    return [(p.strip("<>"), n.split('"')[1]) for p, n in cells]


@pytest.mark.parametrize("method", [GET, POST])
@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
def test_sparqlwrapper_select(server, method, fmt):
    result = wrapper(server, method, fmt).query()
    assert result.response.status == 200
    assert rows_of(fmt, result.convert()) == EXPECTED


@pytest.mark.parametrize("method", [GET, POST])
def test_sparqlwrapper_ask(server, method):
    assert wrapper(server, method, JSON, f'ASK {{ ?p <{EX}name> "Carol" }}').queryAndConvert() == {
        "head": {},
        "boolean": True,
    }
    assert (
        wrapper(server, method, XML, f'ASK {{ ?p <{EX}name> "Dave" }}')
        .query()
        .convert()
        .getElementsByTagName("boolean")[0]
        .firstChild.data
        == "false"
    )


@pytest.mark.parametrize("method", [GET, POST])
def test_sparqlwrapper_construct_turtle(server, method):
    query = f"CONSTRUCT {{ ?p <{EX}called> ?name }} WHERE {{ ?p <{EX}name> ?name }}"
    result = wrapper(server, method, TURTLE, query).query()
    assert result.response.headers["content-type"] == "text/turtle; charset=utf-8"
    graph = Graph().parse(data=result.convert().decode("utf-8"), format="turtle")
    assert (URIRef(f"{EX}bob"), URIRef(f"{EX}called"), Literal("Bob", lang="en")) in graph
    assert len(graph) == 3


def test_sparqlwrapper_dataset_parameters(server):
    sparql = wrapper(server, GET, JSON)
    sparql.addDefaultGraph(PEOPLE)
    assert rows_of(JSON, sparql.queryAndConvert()) == EXPECTED[1:]


def test_sparqlwrapper_sees_errors(server):

    with pytest.raises(QueryBadFormed) as info:
        wrapper(server, GET, JSON, "SELECT ?x WHERE { ?x }").query()
    assert "Bad Request" in str(info.value)


# --------------------------------------------------------------------------- roqet


def roqet(server, query: str, *args: str) -> subprocess.CompletedProcess:
    if shutil.which("roqet") is None:
        message = "roqet is not installed (Debian package rasqal-utils; .ci/run installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return subprocess.run(
        ["roqet", "-i", "sparql11-query", "-p", server.endpoint, "-e", query, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_roqet_select(server):
    done = roqet(server, SELECT)
    assert done.returncode == 0, done.stderr
    assert "Query returned 3 results" in done.stderr
    assert f'row: [p=uri<{EX}bob>, name=string("Bob"@en)]' in done.stdout
    assert f'row: [p=uri<{EX}alice>, name=string("Alice")]' in done.stdout


def test_roqet_csv_output(server):
    done = roqet(server, SELECT, "-r", "csv")
    assert done.returncode == 0, done.stderr
    assert list(csv.reader(io.StringIO(done.stdout))) == [["p", "name"]] + [
        list(r) for r in EXPECTED
    ]


def test_roqet_default_graph(server):
    done = roqet(server, SELECT, "-D", PEOPLE)  # sent as default-graph-uri
    assert done.returncode == 0, done.stderr
    assert "Query returned 2 results" in done.stderr
    assert "alice" not in done.stdout


def test_roqet_named_graph(server):
    done = roqet(server, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", "-G", PEOPLE)
    assert done.returncode == 0, done.stderr
    assert "Query returned 1 results" in done.stderr
    assert f"g=uri<{PEOPLE}>" in done.stdout


def test_roqet_reads_no_boolean_from_ask(server):
    # The README warns roqet users: roqet (rasqal 0.9.33) takes the SPARQL XML boolean of an
    # ASK for an empty table, whether the answer is true or false. The answer itself is
    # right (the protocol tests check it); should a newer roqet read it, this test fails and
    # the README's warning goes.
    for ask in (f"ASK {{ <{EX}alice> ?p ?o }}", f"ASK {{ <{EX}nobody> ?p ?o }}"):
        done = roqet(server, ask)
        assert done.returncode == 0, done.stderr
        assert "Query has a variable bindings result" in done.stderr
        assert "Query returned 0 results" in done.stderr


def test_roqet_construct_asks_for_xml_results_and_gets_406(server):
    # rasqal asks every service for application/sparql-results+xml; for a graph that is not
    # something we can produce, and saying so beats silently sending another format.
    done = roqet(server, "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    assert "406" in done.stderr
