"""The OWL-RL closure and the noise rule, first on small graphs, then on the real build."""

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import _toPythonMapping

from smpkg.namespaces import ID, SMP
from smpkg.reason import (
    NOISE_CLAUSES,
    class_expressions,
    filter_closure,
    noise_clause,
    owlrl_closure,
    reason,
)

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


@pytest.mark.parametrize(
    "triple, clause",
    [
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
    ],
)
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
    assert dropped["asserted"] == len(asserted)


def test_reason_keeps_information_and_drops_noise():
    asserted = small_ontology()
    inferred, report = reason(asserted)
    assert (EX.a, EX.partOf, EX.c) in inferred  # transitive
    assert (EX.c, EX.hasPart, EX.b) in inferred  # inverse
    assert (EX.a, RDF.type, EX.Initiative) in inferred  # subclass
    assert not any(isinstance(s, Literal) for s, _, _ in inferred)
    assert not any(
        str(s).startswith(str(OWL)) or str(s).startswith(str(RDFS)) for s, _, _ in inferred
    )
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


def test_anonymous_class_expressions_are_noise():
    g = small_ontology()
    restriction = BNode()
    g.add((restriction, RDF.type, OWL.Restriction))
    g.add((restriction, OWL.onProperty, EX.partOf))
    g.add((restriction, OWL.hasValue, EX.c))
    g.add((EX.PartOfC, OWL.equivalentClass, restriction))
    inferred, report = reason(g)
    assert (EX.a, RDF.type, EX.PartOfC) in inferred
    assert not any(
        p in (RDF.type, RDFS.subClassOf, OWL.equivalentClass) and restriction in (s, o)
        for s, p, o in inferred
    )
    assert report.dropped["anonymous-class"] > 0


def test_blank_nodes_of_the_data_survive():
    g = small_ontology()
    node = BNode()
    g.add((EX.a, EX.partOf, node))
    inferred, _ = reason(g)
    assert (node, EX.hasPart, EX.a) in inferred


# --------------------------------------------------------------------------- the real graph


PROG = Namespace(f"{ID}programme/")
AGENT = Namespace(f"{ID}organisation/")
COUNTRY = Namespace(f"{ID}country/")
FW = Namespace(f"{ID}framework/")


@pytest.fixture(scope="module")
def real(smp_graph):
    return smp_graph


def inferred_only(kg, triple):
    return triple in kg.inferred and triple not in kg.asserted


def test_real_inverse(real):
    assert inferred_only(
        real, (AGENT.giz, SMP.implements, PROG["skills-partnership-mobility-kosovo"])
    )
    assert inferred_only(real, (AGENT["european-union"], SMP.funds, PROG["mentor-ii"]))


def test_real_transitive_part_of(real):
    agreement = PROG["france-young-professionals-agreement-india"]
    assert (
        agreement,
        SMP.directlyPartOf,
        PROG["france-economic-migration-agreements"],
    ) in real.asserted
    assert inferred_only(
        real, (agreement, SMP.partOf, PROG["france-economic-migration-agreements"])
    )
    assert inferred_only(real, (agreement, SMP.partOf, PROG["france-migration-flow-agreements"]))


def test_real_sub_property(real):
    assert (PROG["mentor-ii"], SMP.originCountry, COUNTRY.MAR) in real.asserted
    assert inferred_only(real, (PROG["mentor-ii"], SMP.involvesPlace, COUNTRY.MAR))
    # smp:involves finds a country as place or actor in one pattern.
    assert inferred_only(real, (PROG["mentor-ii"], SMP.involves, COUNTRY.MAR))


def test_real_model_from_kind(real):
    """The kind is said once, by the class; smp:followsModel is inferred from it."""
    declaration = PROG["eu-mobility-partnership-armenia"]
    model = URIRef(f"{ID}model/mobility-partnership")
    assert (declaration, RDF.type, SMP.EUMobilityPartnership) in real.asserted
    assert inferred_only(real, (declaration, SMP.followsModel, model))
    assert inferred_only(real, (PROG["thamm-germany"], SMP.involvesActor, AGENT.giz))


def test_real_property_chains(real):
    # financedThrough ∘ fundedBy ⊑ fundedBy: MENTOR II is financed through the EU-funded MPF.
    assert inferred_only(real, (PROG["mentor-ii"], SMP.fundedBy, AGENT["european-union"]))
    # partOf ∘ relatesToFramework ⊑ relatesToFramework: each BALMR inherits the strategy.
    assert inferred_only(
        real,
        (PROG["balmr-armenia"], SMP.relatesToFramework, FW["bulgaria-national-strategy-migration"]),
    )


def test_real_domain_typing(real):
    # Declared only as an EU mobility partnership; having signatories makes it an agreement.
    declaration = PROG["eu-mobility-partnership-cape-verde"]
    assert (declaration, RDF.type, SMP.Agreement) not in real.asserted
    assert (declaration, SMP.signatory, AGENT["european-commission"]) in real.asserted
    assert inferred_only(real, (declaration, RDF.type, SMP.Agreement))


@pytest.mark.parametrize(
    "member, cls",
    [
        ("triple-win", "HealthcareInitiative"),
        ("digi-talents", "ICTInitiative"),
        ("mentor-ii", "CircularMobilityInitiative"),
        ("mentor-ii", "EUFundedInitiative"),  # only through the property chain
    ],
)
def test_real_defined_class_members(real, member, cls):
    assert inferred_only(real, (PROG[member], RDF.type, SMP[cls]))


def test_real_some_values_from_classification(real):
    members = set(real.inferred.subjects(RDF.type, SMP.InternationallyImplementedInitiative))
    assert members
    for member in members:
        implementers = set(real.asserted.objects(member, SMP.implementedBy)) | set(
            real.inferred.objects(member, SMP.implementedBy)
        )
        assert any(
            (i, RDF.type, SMP.InternationalOrganisation) in real.asserted for i in implementers
        )


def test_real_inferred_graph_holds_no_noise(real):

    expressions = class_expressions(real.asserted) | class_expressions(real.ontology)
    union = real.asserted + real.ontology
    for triple in real.inferred:
        assert noise_clause(triple, union, expressions) is None, triple
    report = real.report.as_dict()
    assert report["inferred"] == len(real.inferred)
    assert all(
        report["dropped"][clause] > 0
        for clause in ("literal-subject", "reflexive", "vocabulary", "top", "anonymous-class")
    )


def test_owlrl_leaves_rdflib_conversions_as_they_were():
    """owlrl installs its own XSD conversions while it runs; afterwards the process converts
    literals as rdflib does again (pySHACL and the pages read literal values)."""
    before = dict(_toPythonMapping)
    year = Literal("-0044", datatype=XSD.gYear)
    value = year.toPython()
    graph = Graph()
    graph.add((URIRef("http://example.org/x"), URIRef("http://example.org/p"), year))
    assert len(owlrl_closure(graph)) >= 1
    assert dict(_toPythonMapping) == before
    assert Literal("-0044", datatype=XSD.gYear).toPython() == value
