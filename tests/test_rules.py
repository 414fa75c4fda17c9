"""The compiled reasoner gives exactly owlrl's closure after the noise rule, and explains
every triple it derives."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF

from smpkg.build import read_derivations, write_text_derivations
from smpkg.load import Terms
from smpkg.namespaces import ID, SMP
from smpkg.reason import reason, reason_fast, reason_text
from smpkg.rules import CompiledSchema, Unsupported

PROG = Namespace(f"{ID}programme/")
AGENT = Namespace(f"{ID}organisation/")


def owlrl_reference(ontology: Graph, data: Graph) -> set:
    inferred, _ = reason(ontology + data)
    return set(inferred)


@pytest.fixture(scope="module")
def curated(smp_graph):
    """The compiled reasoner's result on the curated graph: (inferred, report, derivations)."""
    return reason_fast(smp_graph.ontology, smp_graph.asserted)


def test_equal_to_owlrl_on_the_curated_graph(smp_graph, curated):
    fast, _, _ = curated
    assert set(fast) == owlrl_reference(smp_graph.ontology, smp_graph.asserted)
    assert len(fast) > 1000
    assert set(fast) == set(smp_graph.inferred)


def replicate(data: Graph, copies: int) -> Graph:
    """A synthetic graph shaped like the curated one: `copies` copies of it whose own IRIs
    are renamed per copy, so the same classes, properties and fan-outs recur at scale, while
    shared vocabulary (concepts, countries) is kept and links the copies together."""
    shared = (
        f"{ID}country/",
        f"{ID}component/",
        f"{ID}sector/",
        f"{ID}mobility-type/",
        f"{ID}feature/",
        f"{ID}status/",
        f"{ID}unit/",
        f"{ID}model/",
        f"{ID}skill-level/",
    )

    def rename(term, copy: int):
        if (
            isinstance(term, URIRef)
            and str(term).startswith(str(ID))
            and not str(term).startswith(shared)
        ):
            return URIRef(f"{term}-copy{copy}")
        if isinstance(term, BNode):
            return BNode(f"{term}c{copy}")
        return term

    out = Graph()
    for i in range(copies):
        for s, p, o in data:
            out.add((rename(s, i), p, rename(o, i)))
    return out


def test_equal_to_owlrl_on_a_synthetic_graph(smp_graph):
    data = replicate(smp_graph.asserted, 2)
    assert len(data) > 1.5 * len(smp_graph.asserted)
    fast, _, _ = reason_fast(smp_graph.ontology, data)
    assert set(fast) == owlrl_reference(smp_graph.ontology, data)


def test_every_derived_triple_is_explained(smp_graph, curated):
    fast, _, derivations = curated
    union = smp_graph.ontology + smp_graph.asserted
    data_subjects = set(smp_graph.asserted.subjects())
    # Everything about the data's own resources was derived by the rules, so is explained;
    # what owlrl derived while closing the ontology alone is about ontology terms.
    about_data = [t for t in fast if t[0] in data_subjects]
    assert about_data
    assert all(t in derivations for t in about_data)
    for triple, derivation in derivations.items():
        assert derivation.premises, triple
        for premise in derivation.premises:
            assert premise in union or premise in fast or premise in derivations, premise


def test_chain_derivation_names_its_premises(curated):
    _, _, derivations = curated
    why = derivations[(PROG["mentor-ii"], SMP.fundedBy, AGENT["european-union"])]
    assert why.rule == "prp-spo2"
    assert (PROG["mentor-ii"], SMP.financedThrough, URIRef(f"{ID}instrument/mpf")) in why.premises
    assert (URIRef(f"{ID}instrument/mpf"), SMP.fundedBy, AGENT["european-union"]) in why.premises
    assert {a[2] for a in why.axioms} == {SMP.financedThrough, SMP.fundedBy}


def test_text_derivations_read_back_as_the_rdflib_ones(tmp_path, smp_graph, curated):
    """The build reasons on N-Triples text and writes the derivations from it: reading them
    back gives what `reason_fast` returns on rdflib graphs."""
    terms = Terms()
    done = reason_text(terms.to_text(smp_graph.ontology), terms.to_text(smp_graph.asserted))
    fast, report, derivations = curated
    assert {terms.to_triple(t) for t in done.inferred} == fast
    assert done.report.as_dict()["kept"] == report.as_dict()["kept"]
    path = tmp_path / "d.json"
    write_text_derivations(path, done.derivations)
    assert read_derivations(path) == derivations


def test_built_graph_explains_its_inferences(smp_graph):
    triple = (PROG["mentor-ii"], SMP.involvesPlace, URIRef(f"{ID}country/MAR"))
    assert triple in smp_graph.inferred
    why = smp_graph.explain(triple)
    assert why is not None and why.rule == "prp-spo1"
    assert (
        smp_graph.explain((PROG["mentor-ii"], SMP.originCountry, URIRef(f"{ID}country/MAR")))
        is None
    )


EX = Namespace("http://example.org/")


@pytest.mark.parametrize(
    "axiom",
    [
        (EX.p, RDF.type, OWL.FunctionalProperty),
        (EX.C, OWL.disjointWith, EX.D),
        (EX.a, OWL.sameAs, EX.b),
    ],
)
def test_unsupported_schema_is_refused(axiom):
    schema = Graph()
    schema.add(axiom)
    with pytest.raises(Unsupported):
        CompiledSchema.from_closure(schema)


def test_longer_chains_and_symmetry():
    ontology = Graph()
    chain = BNode()
    ontology.add((EX.q, OWL.propertyChainAxiom, chain))

    Collection(ontology, chain, [EX.p1, EX.p2, EX.p3])
    ontology.add((EX.r, RDF.type, OWL.SymmetricProperty))
    data = Graph()
    for triple in [
        (EX.a, EX.p1, EX.b),
        (EX.b, EX.p2, EX.c),
        (EX.c, EX.p3, EX.d),
        (EX.a, EX.r, EX.z),
        (EX.s, EX.label, Literal("x")),
    ]:
        data.add(triple)
    fast, _, why = reason_fast(ontology, data)
    assert (EX.a, EX.q, EX.d) in fast and (EX.z, EX.r, EX.a) in fast
    assert set(fast) == owlrl_reference(ontology, data)
    assert len(why[(EX.a, EX.q, EX.d)].premises) == 3


def test_closure_is_independent_of_input_order(smp_graph):
    """The build's reasoner (`reason_text`) on the data in two orders: the same inferences,
    and those the build kept."""
    terms = Terms()
    ontology = terms.to_text(smp_graph.ontology)
    data = terms.to_text(smp_graph.asserted)
    forward = reason_text(ontology, sorted(data))
    backward = reason_text(ontology, sorted(data, reverse=True))
    assert set(forward.inferred) == set(backward.inferred)
    assert {terms.to_triple(t) for t in forward.inferred} == set(smp_graph.inferred)
