"""The OWL-RL closure and the noise rule, first on small graphs, then on the real build."""

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD

from smpkg.reason import NOISE_CLAUSES, filter_closure, noise_clause, reason

EX = Namespace("http://example.org/")


def small_ontology() -> Graph:
    g = Graph()
    g.add((EX.partOf, RDF.type, OWL.TransitiveProperty))
    g.add((EX.partOf, RDF.type, OWL.ObjectProperty))
    g.add((EX.hasPart, OWL.inverseOf, EX.partOf))
    g.add((EX.Programme, RDFS.subClassOf, EX.Initiative))
    g.add((EX.a, RDF.type, EX.Programme))
    g.add((EX.a, EX.partOf, EX.b))
    g.add((EX.b, EX.partOf, EX.c))
    g.add((EX.a, EX.start, Literal("2019", datatype=XSD.gYear)))
    return g


@pytest.mark.parametrize("triple, clause", [
    ((Literal("x"), RDF.type, XSD.string), "literal-subject"),
    ((EX.a, OWL.sameAs, EX.a), "reflexive"),
    ((EX.C, RDFS.subClassOf, EX.C), "reflexive"),
    ((EX.p, RDFS.subPropertyOf, EX.p), "reflexive"),
    ((RDFS.label, RDF.type, OWL.AnnotationProperty), "vocabulary"),
    ((OWL.Thing, RDF.type, OWL.Class), "vocabulary"),
    ((XSD.integer, RDF.type, RDFS.Datatype), "vocabulary"),
    ((EX.a, RDF.type, OWL.Thing), "top"),
    ((EX.C, RDFS.subClassOf, OWL.Thing), "top"),
    ((EX.a, RDF.type, EX.Initiative), None),
    ((EX.a, OWL.sameAs, EX.b), None),
    ((EX.b, EX.hasPart, EX.a), None),
])
def test_noise_clause(triple, clause):
    assert noise_clause(triple, Graph()) == clause


def test_asserted_triples_are_not_counted_as_inferred():
    asserted = small_ontology()
    closure = Graph()
    for t in asserted:
        closure.add(t)
    closure.add((EX.a, RDF.type, EX.Initiative))
    inferred, kept, dropped = filter_closure(closure, asserted)
    assert set(inferred) == {(EX.a, RDF.type, EX.Initiative)}
    assert kept["rdf:type"] == 1
    assert "asserted" not in dropped


def test_reason_keeps_information_and_drops_noise():
    asserted = small_ontology()
    inferred, report = reason(asserted)
    assert (EX.a, EX.partOf, EX.c) in inferred          # transitive
    assert (EX.c, EX.hasPart, EX.b) in inferred         # inverse
    assert (EX.a, RDF.type, EX.Initiative) in inferred  # subclass
    assert not any(isinstance(s, Literal) for s, _, _ in inferred)
    assert not any(str(s).startswith(str(OWL)) or str(s).startswith(str(RDFS))
                   for s, _, _ in inferred)
    assert not any(p == OWL.sameAs and s == o for s, p, o in inferred)
    assert not any(o == OWL.Thing for _, _, o in inferred)
    assert not set(inferred) & set(asserted)
    assert report.inferred == len(inferred)
    assert report.closure > report.asserted + report.inferred  # owlrl added noise we dropped
    assert sum(report.dropped.values()) > 0
    assert set(report.as_dict()["dropped"]) == set(NOISE_CLAUSES)


def test_reason_does_not_touch_its_input():
    asserted = small_ontology()
    before = set(asserted)
    reason(asserted)
    assert set(asserted) == before


def test_blank_nodes_of_the_data_survive():
    g = small_ontology()
    node = BNode()
    g.add((EX.a, EX.partOf, node))
    inferred, _ = reason(g)
    assert (node, EX.hasPart, EX.a) in inferred
