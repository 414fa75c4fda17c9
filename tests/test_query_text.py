"""smpkg.query_text.with_parameters: a named query's parameters written into its text as a
SPARQL user writes them (the editor's examples), terms escaped, never pasted raw."""

from __future__ import annotations

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import XSD

from smpkg.errors import QueryFailed
from smpkg.query_text import BoundParameter, form_of, form_of_safe, with_parameters

EX = "http://example.org/"
QUERY = "PREFIX ex: <http://example.org/>\nSELECT ?x ?name\nWHERE {\n  ?x ex:name ?name .\n}\n"


@pytest.fixture(scope="module")
def graph() -> Graph:
    g = Graph()
    g.add((URIRef(EX + "a"), URIRef(EX + "name"), Literal('say "hi"\nthere')))
    g.add((URIRef(EX + "b"), URIRef(EX + "name"), Literal("B")))
    return g


def test_each_parameter_gets_a_commented_values_line_in_the_where_group(graph):
    text = with_parameters(QUERY, [BoundParameter("x", URIRef(EX + "a"), "A, the example")])
    assert (
        "WHERE {\n  # Parameter ?x: A, the example\n  VALUES ?x { <http://example.org/a> }\n"
        in (text)
    )
    assert [str(r.x) for r in graph.query(text)] == [EX + "a"]


def test_literals_are_escaped_and_a_note_stays_on_its_comment_line(graph):
    value = Literal('say "hi"\nthere')
    note = "a note\nVALUES ?x { <http://example.org/b> }"
    text = with_parameters(QUERY, [BoundParameter("name", value, note)])
    assert '"say \\"hi\\"\\nthere"' in text
    # The note's line break is folded: the second VALUES stays inside the comment.
    assert "  # Parameter ?name: a note VALUES ?x { <http://example.org/b> }\n" in text
    assert [str(r.x) for r in graph.query(text)] == [EX + "a"]


def test_typed_literals_keep_their_datatype():
    text = with_parameters(QUERY, [BoundParameter("name", Literal("2020", datatype=XSD.gYear), "")])
    assert f'VALUES ?name {{ "2020"^^<{XSD.gYear}> }}' in text
    assert "# Parameter ?name\n" in text


def test_a_sub_select_alone_is_wrapped(graph):
    query = "SELECT ?x WHERE { SELECT ?x { ?x ?p ?o } }"
    text = with_parameters(query, [BoundParameter("x", URIRef(EX + "b"), "B")])
    assert {str(r.x) for r in graph.query(text)} == {EX + "b"}


def test_what_could_break_out_of_a_term_is_refused():
    with pytest.raises(QueryFailed):
        with_parameters(QUERY, [BoundParameter("x", URIRef(EX + "a> } ?s ?p ?o {"), "")])
    with pytest.raises(QueryFailed, match="not a variable name"):
        with_parameters(QUERY, [BoundParameter("x }", URIRef(EX + "a"), "")])


def test_no_parameters_leave_the_text_as_it_is():
    assert with_parameters(QUERY, []) == QUERY


def test_form_of():
    assert form_of("PREFIX x: <http://x/> SELECT * {}") == "SELECT"
    assert form_of("CONSTRUCT { ?s ?p ?o } WHERE { { SELECT * {} } }") == "CONSTRUCT"
    assert form_of("# ASK\nDESCRIBE <x>") == "DESCRIBE"
    assert form_of("garbage") is None


def test_form_of_safe_is_none_where_the_scan_fails(monkeypatch):
    def failing(_):
        raise RecursionError("too deep")

    assert form_of_safe("ASK {}") == "ASK"
    monkeypatch.setattr("smpkg.query_text.scan", failing)
    with pytest.raises(RecursionError):
        form_of("ASK {}")
    assert form_of_safe("ASK {}") is None
