"""The summary of a resource page (smpkg.summary) on the repository's graph, from the page
queries run on both engines: kinds, facts by role with the passages that state them, the
statements a passage supports."""

from __future__ import annotations

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import XSD
from test_describe import describe_with_engine

from smpkg.build import open_engine
from smpkg.namespaces import SMP
from smpkg.summary import PAGE_QUERIES, Evidence, most_specific_kinds, summarise

ID = "https://w3id.org/smpkg/id/"
PALIM = URIRef(ID + "programme/palim")
BEL = URIRef(ID + "country/BEL")
BOX_6 = URIRef(ID + "source/emn-oecd-inform-2022/box-6")
PASSAGE = URIRef(ID + "passage/emn-oecd-inform-2022-l414-415")


def page_rows(engine, iri: URIRef) -> dict[str, list[dict]]:
    rows = {}
    for name, text in PAGE_QUERIES.items():
        answer = engine.execute(text, bindings={"this": iri})
        rows[name] = [
            {v: t for v, t in zip(answer.variables, row, strict=True) if t is not None}
            for row in answer.rows
        ]
    return rows


@pytest.fixture(scope="module")
def engines(smp_graph):
    return {kind: open_engine(smp_graph, kind) for kind in ("oxigraph", "rdflib")}


def summary_of(engine, iri):
    description = describe_with_engine(engine, iri)
    return description, summarise(description, page_rows(engine, iri))


@pytest.mark.parametrize("kind", ["oxigraph", "rdflib"])
def test_destination_with_its_box_6_quote(engines, kind):
    description, summary = summary_of(engines[kind], PALIM)
    lines = {line.title: line for s in summary.sections for line in s.lines}
    (destination,) = lines["Destination"].facts
    assert destination.term == BEL
    assert destination.evidence, "PALIM's destination has evidence"
    assert {e.short for e in destination.evidence} == {"Box 6"}
    assert all(e.section == BOX_6 for e in destination.evidence)
    assert any(e.passage == PASSAGE and "PALIM project" in e.quote for e in destination.evidence)
    assert [f.term for f in lines["Origin"].facts] == [URIRef(ID + "country/MAR")]
    # Stored as 2019-03-01 at month precision, shown as the seed states it, with its evidence.
    (start,) = lines["Start"].facts
    assert start.term == Literal("2019-03-01", datatype=XSD.date) and start.evidence
    assert (description.text(start.term), description.note(start.term)) == (
        "2019-03",
        "year and month",
    )
    assert summary.kinds[:2] == ["Project", "Skills mobility partnership"]
    assert not summary.is_passage and summary.supported == []


def test_both_engines_find_the_same_evidence(engines):
    _, a = summary_of(engines["oxigraph"], PALIM)
    _, b = summary_of(engines["rdflib"], PALIM)
    assert a.evidence == b.evidence
    assert a.kinds == b.kinds


def test_a_passage_lists_what_it_supports(engines):
    description, summary = summary_of(engines["oxigraph"], PASSAGE)
    assert summary.is_passage
    triples = {(s.subject, s.predicate, s.object) for s in summary.supported}
    assert (PALIM, SMP.destinationCountry, BEL) in triples
    assert description.text(BEL) == "Belgium"


def test_country_links_to_programmes_filtered_by_it(engines):
    _, summary = summary_of(engines["oxigraph"], BEL)
    hrefs = {b.href for b in summary.browse}
    assert "/browse/programmes?destination=country:BEL" in hrefs
    assert summary.kinds == ["Country"]


def test_most_specific_kinds_skip_superclasses_and_unlabelled_classes():
    a, b, c = (URIRef(f"http://example.org/{n}") for n in "abc")
    rows = [
        {"type": a, "typeLabel": Literal("alpha", lang="en"), "super": b},
        {"type": b, "typeLabel": Literal("beta", lang="en")},
        {"type": c},
    ]
    assert most_specific_kinds(rows, set()) == ["Alpha"]
    assert Evidence(a, "q", None, "", None).short == "Passage"
    assert Evidence(a, "q", b, "Footnote 25: AMIF", None).short == "Footnote 25"
