"""The document writer the build and the service share (smpkg.rdf_writer): every format reads
back as the graph it was given, with the project's prefixes."""

from __future__ import annotations

import json

import pytest
from conftest import isomorphic
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS

from smpkg.formats import BY_KEY
from smpkg.namespaces import ID, SMP
from smpkg.rdf_writer import rdf_bytes

THING = URIRef(f"{ID}programme/example")


def sample() -> Graph:
    g = Graph()
    g.add((THING, RDF.type, SMP.Programme))
    g.add((THING, RDFS.label, Literal("Exemple", lang="fr")))
    g.add((THING, RDFS.comment, BNode()))
    return g


@pytest.mark.parametrize(
    "key,parser",
    [("turtle", "turtle"), ("ntriples", "nt"), ("rdfxml", "xml"), ("jsonld", "json-ld")],
)
def test_every_graph_format_reads_back(key, parser):
    body = rdf_bytes(sample(), BY_KEY[key])
    assert isomorphic(Graph().parse(data=body, format=parser), sample())


def test_turtle_and_jsonld_use_the_project_prefixes():
    assert b"@prefix smp:" in rdf_bytes(sample(), BY_KEY["turtle"])
    document = json.loads(rdf_bytes(sample(), BY_KEY["jsonld"]))
    assert document["@context"]["smp"] == str(SMP)


def test_a_dataset_keeps_its_graph_names():
    ds = Dataset()
    ds.graph(URIRef("http://example.org/g")).add((THING, RDF.type, SMP.Programme))
    body = rdf_bytes(ds, BY_KEY["nquads"])
    assert body.strip().endswith(b"<http://example.org/g> .")
