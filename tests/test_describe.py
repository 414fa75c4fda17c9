"""The description of one resource (smpkg.describe) on the repository's graph: types asserted
and inferred, relations both ways with labels, sources with sections, and the reason for each
inferred statement, the same from both engines."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, XSD

from smpkg.build import open_engine
from smpkg.describe import QUERIES, Links, Part, compact, describe, literal_note, rule_title, words
from smpkg.explain import Explainer
from smpkg.namespaces import ASSERTED_GRAPH, INFERRED_GRAPH, SMP

ID = "https://w3id.org/smpkg/id/"
MENTOR = URIRef(ID + "programme/mentor-ii")
MPF = URIRef(ID + "instrument/mpf")
EU = URIRef(ID + "organisation/european-union")


_explainers: dict[str, Explainer] = {}


def describe_with_engine(engine, iri, kg=None):
    """Describe a resource by running the description queries on an engine directly (the
    service runs the same queries through its executor)."""
    iri = URIRef(str(iri))
    rows, truncated = {}, False
    for name, query in QUERIES.items():
        answer = engine.execute(query, bindings={"this": iri})
        rows[name] = [
            {v: t for v, t in zip(answer.variables, row, strict=True) if t is not None}
            for row in answer.rows
        ]
        truncated = truncated or answer.truncated
    explainer = None
    if kg is not None:
        explainer = _explainers.get(str(kg.directory))
        if explainer is None:
            explainer = _explainers[str(kg.directory)] = Explainer(kg)
    return describe(iri, rows, explainer, truncated)


@pytest.fixture(scope="module")
def engines(smp_graph):
    return {kind: open_engine(smp_graph, kind) for kind in ("oxigraph", "rdflib")}


@pytest.fixture(scope="module")
def mentor(smp_graph, engines):
    return describe_with_engine(engines["oxigraph"], MENTOR, smp_graph)


def text(parts: list[Part]) -> str:
    return "".join(p.text for p in parts)


def value(description, predicate, term):
    for group in description.outgoing:
        if group.predicate == predicate:
            for v in group.values:
                if v.term == term:
                    return v
    raise AssertionError(f"{predicate} {term} not on the page")


def test_label_acronym_description(mentor):
    assert mentor.label == "Mediterranean Network for Training Orientation to Regular migration II"
    assert mentor.acronym == "MENTOR II"
    assert any("Morocco and Tunisia" in d for d in mentor.descriptions)


def test_types_asserted_and_inferred(mentor):
    kinds = {v.term: v.kind for v in mentor.types}
    assert kinds[SMP.Scheme] == "asserted"
    # The seed only implies MENTOR II's kind ("another example of a SMP-like project"): the
    # weaker class, and no SMP.
    assert kinds[SMP.SMPLikeInitiative] == "asserted"
    assert SMP.SkillsMobilityPartnership not in kinds
    assert kinds[SMP.EUFundedInitiative] == "inferred"
    assert kinds[SMP.Initiative] == "inferred"
    for v in mentor.types:
        assert (v.explanation is not None) == v.inferred


def test_funded_by_the_eu_through_the_mpf(mentor):
    funded = value(mentor, SMP.fundedBy, EU)
    assert funded.inferred and funded.graph == INFERRED_GRAPH
    why = funded.explanation
    assert why.rule == "prp-spo2" and why.title == "property chain"
    axiom = why.axioms[0]
    assert [p.term for p in axiom if p.term is not None][:2] == [SMP.financedThrough, SMP.fundedBy]
    assert "financed through followed by funded by implies funded by" in text(axiom)
    assert [(text(p.parts), p.status) for p in why.premises] == [
        ("MENTOR II financed through MPF", "asserted"),
        ("MPF funded by EU", "asserted"),
    ]


def test_defined_class_explained_down_to_asserted_statements(mentor):
    typing = next(v for v in mentor.types if v.term == SMP.EUFundedInitiative)
    why = typing.explanation
    assert "cax-sco" in why.rules
    sentence = " / ".join(text(a) for a in why.axioms)
    assert "initiative and (funded by value EU)" in sentence
    assert "EU-funded initiative" in sentence

    def leaves(explanation):
        for premise in explanation.premises:
            if premise.explanation is None:
                yield premise.status
            else:
                yield from leaves(premise.explanation)

    assert set(leaves(why)) == {"asserted"}


def test_incoming_relations_with_labels(mentor):
    incoming = {(g.predicate, v.term): v for g in mentor.incoming for v in g.values}
    assert incoming[(SMP.hasSuccessor, URIRef(ID + "programme/mentor-i"))].kind == "asserted"
    funds = incoming[(SMP.funds, EU)]
    assert funds.inferred and funds.explanation.rule == "prp-inv"
    assert mentor.labels[EU] == "European Union"


def test_sources_with_sections(mentor):
    assert [(s.document, s.sections) for s in mentor.sources] == [
        (
            URIRef(ID + "source/emn-oecd-inform-2022"),
            [URIRef(ID + "source/emn-oecd-inform-2022/box-2")],
        )
    ]
    assert mentor.labels[mentor.sources[0].sections[0]].startswith("Box 2:")


def test_blank_node_values_are_spelled_out(smp_graph, engines):
    strategy = describe_with_engine(
        engines["oxigraph"], ID + "framework/bulgaria-national-strategy-migration", smp_graph
    )
    period = next(g for g in strategy.outgoing if g.predicate == DCTERMS.temporal).values[0]
    details = dict(period.details)
    assert details[RDF.type] == DCTERMS.PeriodOfTime
    start = details[URIRef("http://www.w3.org/ns/dcat#startDate")]
    assert start == Literal("2021-01-01", datatype=XSD.date)
    # Shown at the precision stated beside it in the period.
    assert (strategy.text(start), strategy.note(start)) == ("2021", "year")


def test_both_engines_describe_alike(smp_graph, engines):
    for iri in (MENTOR, URIRef(ID + "country/MAR"), URIRef(ID + "source/emn-oecd-inform-2022")):
        a = describe_with_engine(engines["oxigraph"], iri, smp_graph)
        b = describe_with_engine(engines["rdflib"], iri, smp_graph)
        assert set(a.quads) == set(b.quads), iri
        assert a.labels == b.labels


def test_rdf_is_every_statement_about_it(smp_graph, mentor):
    expected = Graph()
    for name in ("ontology", "asserted", "inferred"):
        graph = getattr(smp_graph, name)
        for triple in graph.triples((MENTOR, None, None)):
            expected.add(triple)
        # Statements pointing at it from a blank node (the reified statements of its
        # evidence) are described with their passage, not with the resource.
        for triple in graph.triples((None, None, MENTOR)):
            if not isinstance(triple[0], BNode):
                expected.add(triple)
    assert set(mentor.graph()) == set(expected)
    ds = mentor.dataset()
    assert (MENTOR, SMP.financedThrough, MPF) in ds.graph(ASSERTED_GRAPH)
    assert (MENTOR, SMP.fundedBy, EU) in ds.graph(INFERRED_GRAPH)


def test_unknown_iri_has_no_description(smp_graph, engines):
    assert (
        describe_with_engine(engines["oxigraph"], ID + "programme/no-such-thing", smp_graph) is None
    )


def test_presentation_helpers():
    links = Links("https://w3id.org/smpkg/", "/prefix")
    assert links.href(MENTOR) == "/prefix/id/programme/mentor-ii"
    assert links.href(SMP.Programme) == "/prefix/ontology#Programme"
    assert (
        links.href(URIRef("http://www.wikidata.org/entity/Q472311"))
        == "http://www.wikidata.org/entity/Q472311"
    )
    assert links.href(Literal("x")) is None
    assert compact(str(MENTOR)) == "prog:mentor-ii"
    assert words("http://www.w3.org/ns/prov#wasDerivedFrom") == "was derived from"
    assert literal_note(Literal("2021", datatype=XSD.gYear)) == "year"
    assert literal_note(Literal("x", lang="en")) == "en"
    assert rule_title("cls-hv2 + cls-int1 + cax-sco") == (
        "has-value restriction, then intersection of classes, then subclass"
    )
