"""Statement-level evidence (docs/modelling.md, "Evidence"): every quote is verbatim in its
seed, every covered statement of an evidenced file has a passage, evidence leaves reasoning
unchanged, and one SPARQL 1.1 query reads it on both engines."""

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph
from rdflib.namespace import RDF

from smpkg import evidence
from smpkg.namespaces import ID, PREFIXES, SMP
from smpkg.reason import reason_fast

ROOT = Path(__file__).resolve().parents[1]
DATA_FILES = sorted((ROOT / "data").rglob("*.ttl"))
ONTOLOGY = ROOT / "ontology" / "smp.ttl"
PASSAGE = f"{ID}passage/"
PROG, COUNTRY = PREFIXES["prog"], PREFIXES["country"]

EVIDENCE_QUERY = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX smp: <https://w3id.org/smpkg/ontology#>
SELECT ?passage ?quote ?section ?document WHERE {
  ?statement rdf:subject <https://w3id.org/smpkg/id/programme/palim> ;
             rdf:predicate smp:originCountry ;
             rdf:object <https://w3id.org/smpkg/id/country/MAR> .
  ?passage smp:supports ?statement ; smp:quote ?quote ; smp:inSection ?section ;
           prov:wasQuotedFrom ?document .
}
ORDER BY ?passage
"""


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return evidence.store_of([ONTOLOGY, *DATA_FILES])


@pytest.fixture(scope="module")
def data() -> Graph:
    graph = Graph()
    for path in DATA_FILES:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def report() -> list[evidence.FileCoverage]:
    return evidence.coverage(DATA_FILES, ONTOLOGY)


def seeds() -> Path:
    directory = evidence.seeds_dir()
    if not directory.is_dir():
        pytest.skip(f"{directory} is absent: the seeds live in ../shared/seeds (or $SMPKG_SEEDS)")
    return directory


# --- quotes -----------------------------------------------------------------------------------


def test_normalised_joins_line_end_hyphenation_and_whitespace():
    assert evidence.normalised("skills   mobi-\n  lity\tpartner") == "skills mobility partner"
    assert evidence.normalised("SMP-\nlike", keep_hyphen=True) == "SMP-like"


def test_quote_problem_finds_a_quote_only_in_its_lines():
    lines = ["Five SMPs have been imple-", "mented in Belgium.", "Other text."]
    iri = f"{PASSAGE}emn-oecd-inform-2022-l1-2"
    good = evidence.Passage(iri, "SMPs have been implemented in Belgium", "x", 1, 2)
    assert evidence.quote_problem(good, lines) is None
    outside = evidence.Passage(iri, "Other text", "x", 1, 2)
    assert "not found" in evidence.quote_problem(outside, lines)
    beyond = evidence.Passage(iri, "Other text", "x", 3, 9)
    assert "not in the seed" in evidence.quote_problem(beyond, lines)


def test_there_are_passages(store):
    assert len([p for p in evidence.passages(store) if isinstance(p, evidence.Passage)]) >= 20


def test_passage_iris_name_document_and_lines(store):
    assert [p for p in evidence.passages(store) if isinstance(p, str)] == []


def test_every_quote_is_verbatim_in_its_seed(store):
    assert evidence.quote_problems(store, seeds()) == []


# --- coverage ---------------------------------------------------------------------------------


def test_evidenced_files_exist_and_are_data_files():
    listed = evidence.evidenced_files()
    assert listed, "no data file is listed as evidenced yet"
    for name in listed:
        assert (ROOT / name) in DATA_FILES, f"{name} is listed but is not a data file"


def test_coverage_is_reported_for_every_file(report, capsys):
    assert [r.path for r in report] == [str(p.relative_to(ROOT)) for p in DATA_FILES]
    for row in report:
        assert 0 <= row.evidenced <= row.covered
        assert len(row.missing) == row.covered - row.evidenced
    with capsys.disabled():
        total = sum(r.covered for r in report), sum(r.evidenced for r in report)
        print(f"\nevidence coverage: {total[1]} of {total[0]} covered statements")
        for row in report:
            print(f"  {row.path}: {row.evidenced}/{row.covered}")


def test_no_covered_statement_of_an_evidenced_file_lacks_evidence(report):
    listed = set(evidence.evidenced_files())
    missing = {r.path: r.missing[:5] for r in report if r.path in listed and r.missing}
    assert missing == {}


def test_coverage_leaves_out_provenance_notes_of_curators_and_authority_links(store):
    statements = evidence.covered_statements(store)
    predicates = {line.split(" ")[1] for line in statements}
    for exempt in ("prov#wasDerivedFrom", "core#editorialNote", "core#exactMatch", "iso3166"):
        assert not any(exempt in p for p in predicates), exempt
    assert f"<{SMP.originCountry}>" in predicates


def test_a_statement_without_its_passage_counts_as_missing(tmp_path):
    prefix = "@prefix smp: <https://w3id.org/smpkg/ontology#> ."
    path = tmp_path / "one.ttl"
    path.write_text(f"{prefix}\n<{PROG}x> smp:originCountry <{COUNTRY}MAR> .\n")
    (row,) = evidence.coverage([path], ONTOLOGY, root=tmp_path)
    assert (row.covered, row.evidenced) == (1, 0)


# --- reasoning and queries ----------------------------------------------------------------------


def test_reasoning_is_the_same_with_and_without_evidence(data):
    ontology = Graph().parse(ONTOLOGY, format="turtle")
    nodes = evidence.evidence_nodes(data)
    assert nodes, "no evidence in the data to compare with"
    with_evidence, _, _ = reason_fast(ontology, data)
    without_evidence, _, _ = reason_fast(ontology, evidence.without_evidence(data))
    about_the_world = {t for t in with_evidence if t[0] not in nodes}
    assert about_the_world == without_evidence


def test_evidence_is_queryable_the_same_on_both_engines(data, store):
    from_rdflib = [
        (str(r.passage), str(r.quote), str(r.section), str(r.document))
        for r in data.query(EVIDENCE_QUERY)
    ]
    from_oxigraph = [
        (r["passage"].value, r["quote"].value, r["section"].value, r["document"].value)
        for r in store.query(EVIDENCE_QUERY)
    ]
    assert from_rdflib and from_rdflib == from_oxigraph


def test_statement_nodes_are_blank_nodes_nested_in_their_passage(data):
    statements = list(data.subjects(RDF.subject, None))
    assert statements and all(isinstance(s, BNode) for s in statements)
    assert all(len(list(data.subjects(SMP.supports, s))) == 1 for s in statements)
