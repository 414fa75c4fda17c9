"""What the query editor completes (smpkg.completion), on small known rows."""

from __future__ import annotations

from smpkg.completion import Term, TermIndex, prefixes, terms_query, vocabulary_from_rows

EX = "http://example.org/"


def test_terms_start_with_what_was_typed_in_iri_order():
    index = TermIndex(
        Term(EX + name, name.upper(), "entity") for name in ("palim", "pal", "palm", "match", "pa")
    )
    assert [t.iri for t in index.starting_with(EX + "pal", 10)] == [
        EX + "pal",
        EX + "palim",
        EX + "palm",
    ]
    assert [t.iri for t in index.starting_with(EX + "pal", 2)] == [EX + "pal", EX + "palim"]
    assert index.starting_with(EX + "z", 10) == []
    assert len(index.starting_with(EX, 100)) == len(index) == 5


def test_a_term_appears_once_with_its_label():
    rows = [
        {"term": EX + "Thing", "kind": "class"},
        {"term": EX + "Thing", "kind": "class", "label": "thing"},
        {"term": EX + "name", "kind": "property", "label": "name"},
        {"term": EX + "Thing", "kind": "property"},
        {"term": EX + "odd", "kind": "shape"},
    ]
    vocabulary = vocabulary_from_rows(rows)
    assert [t.as_json() for t in vocabulary["class"].terms] == [
        {"iri": EX + "Thing", "label": "thing", "kind": "class"}
    ]
    assert [t.iri for t in vocabulary["property"].terms] == [EX + "Thing", EX + "name"]
    assert set(vocabulary) == {"class", "property"}


def test_the_query_and_the_prefixes():
    query = terms_query()
    assert query.params == [] and "SELECT ?term ?kind" in query.text
    assert prefixes()["smp"] == "https://w3id.org/smpkg/ontology#"
    assert prefixes()["prog"] == "https://w3id.org/smpkg/id/programme/"
