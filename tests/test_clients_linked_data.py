"""Linked-data clients against the live service: Comunica (the npm package of tests/clients)
dereferencing a resource document as a source, reading its default graph as every client
does that is not asked to do otherwise, and querying /sparql as a SPARQL source. What it
finds must be what the endpoint says about the entity."""

from __future__ import annotations

import json
import shutil
import subprocess

import httpx
import pytest
from conftest import ROOT, missing
from rdflib import Dataset, Graph

ENTITY = "https://w3id.org/smpkg/id/programme/thamm"
DOCUMENT = "/id/programme/thamm"
ABOUT = f"SELECT ?p ?o WHERE {{ <{ENTITY}> ?p ?o }}"
COMUNICA = ROOT / "tests" / "clients" / "node_modules" / "@comunica" / "query-sparql"
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# Every RDF serialisation of a resource document, by its extension ("" negotiates).
DOCUMENTS = ["", ".nq", ".trig", ".ttl", ".nt", ".rdf", ".jsonld"]


def term(binding: dict) -> tuple:
    """A SPARQL JSON term, comparable across writers (a simple literal is xsd:string)."""
    if binding["type"] == "bnode":
        return ("bnode",)
    if binding["type"] == "uri":
        return ("uri", binding["value"])
    datatype = binding.get("datatype") or (None if "xml:lang" in binding else XSD_STRING)
    return ("literal", binding["value"], datatype, binding.get("xml:lang", "").lower())


def rows(bindings: list[dict]) -> list[tuple]:
    return sorted((term(b["p"]), term(b["o"])) for b in bindings)


@pytest.fixture(scope="module")
def comunica():
    """Runs Comunica's command line with sources and a query; the result's bindings."""
    node = shutil.which("node")
    script = COMUNICA / "bin" / "query.js"
    if node is None or not script.exists():
        missing(
            "Comunica is not installed: npm ci --prefix tests/clients (as .ci/run does; "
            "needs Node.js 18 or later)"
        )

    def run(*sources: str, query: str = ABOUT) -> list[dict]:
        done = subprocess.run(
            [node, str(script), *sources, "-q", query, "-t", "application/sparql-results+json"],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        return json.loads(done.stdout)["results"]["bindings"]

    return run


@pytest.fixture(scope="module")
def server(serve):
    return serve()  # the repository's own graph


@pytest.fixture(scope="module")
def endpoint_rows(server) -> list[tuple]:
    r = httpx.post(
        server.endpoint,
        data={"query": ABOUT},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    found = rows(r.json()["results"]["bindings"])
    assert len(found) > 20
    return found


@pytest.mark.parametrize("extension", DOCUMENTS, ids=lambda e: e or "negotiated")
def test_comunica_reads_the_resource_document(comunica, server, endpoint_rows, extension):
    assert rows(comunica(server.url + DOCUMENT + extension)) == endpoint_rows


def test_comunica_queries_the_endpoint(comunica, server, endpoint_rows):
    assert rows(comunica("sparql@" + server.endpoint)) == endpoint_rows
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <https://w3id.org/smpkg/ontology#Initiative> }"
    counted = comunica("sparql@" + server.endpoint, query=count)
    r = httpx.post(
        server.endpoint,
        data={"query": count},
        headers={"Accept": "application/sparql-results+json"},
        timeout=30,
    )
    expected = r.json()["results"]["bindings"][0]["n"]["value"]
    assert counted[0]["n"]["value"] == expected and int(expected) > 10


@pytest.mark.parametrize("extension,parser", [(".nq", "nquads"), (".trig", "trig")])
def test_quad_documents_hold_every_statement_in_the_default_graph(server, extension, parser):
    """The default graph of a TriG or N-Quads document is the whole Turtle document; each
    statement is also in the named graph it comes from."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        turtle = Graph().parse(data=client.get(DOCUMENT + ".ttl").text, format="turtle")
        quads = Dataset()
        quads.parse(data=client.get(DOCUMENT + extension).content, format=parser)
    default = set(quads.default_graph)
    assert len(turtle) > 20 and default == set(turtle)
    named = {
        (s, p, o)
        for s, p, o, g in quads.quads((None, None, None, None))
        if g is not None and g != quads.default_graph.identifier
    }
    assert named == default
