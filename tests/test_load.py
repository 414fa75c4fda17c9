"""Parsing: every error names the file and the line, and nothing is half-loaded."""

from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import XSD

from smpkg.errors import DataParseError
from smpkg.load import fingerprint, load_dataset, load_turtle, nt, parse_file, term_of

GOOD = """@prefix ex: <http://example.org/> .
ex:a ex:p ex:b .
"""
BROKEN = """@prefix ex: <http://example.org/> .
ex:a ex:p ex:b .

ex:c ex:p "unterminated .
ex:d ex:p ex:e .
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_broken_turtle_names_file_and_line(tmp_path):
    path = write(tmp_path, "broken.ttl", BROKEN)
    with pytest.raises(DataParseError) as err:
        parse_file(path)
    assert err.value.path == str(path)
    assert err.value.line == 4
    assert str(err.value).startswith(f"{path}:4: ")
    assert "string" in err.value.reason


def test_undefined_prefix_names_the_line(tmp_path):
    path = write(
        tmp_path, "prefix.ttl", "@prefix ex: <http://example.org/> .\n\nnope:a ex:p ex:b .\n"
    )
    with pytest.raises(DataParseError) as err:
        parse_file(path)
    assert err.value.line == 3
    assert "nope" in str(err.value)


def test_one_broken_file_loads_nothing(tmp_path):
    good = write(tmp_path, "a.ttl", GOOD)
    broken = write(tmp_path, "b.ttl", BROKEN)
    with pytest.raises(DataParseError) as err:
        load_turtle([good, broken])
    assert err.value.path == str(broken)


def test_origins_record_the_file_of_each_subject(tmp_path):
    a = write(tmp_path, "a.ttl", GOOD)
    b = write(
        tmp_path,
        "b.ttl",
        "@prefix ex: <http://example.org/> .\nex:a ex:q ex:c .\nex:z ex:q ex:c .\n",
    )
    sources = load_turtle([a, b], root=tmp_path)
    assert len(sources.graph) == 3
    assert sources.files_of(URIRef("http://example.org/a")) == ["a.ttl", "b.ttl"]
    assert sources.files_of(URIRef("http://example.org/z")) == ["b.ttl"]


def test_dataset_keeps_graph_names_of_trig(tmp_path):
    trig = write(
        tmp_path,
        "d.trig",
        "@prefix ex: <http://example.org/> .\nex:g { ex:a ex:p ex:b }\nex:c ex:p ex:d .\n",
    )
    nt = write(
        tmp_path, "e.nt", "<http://example.org/x> <http://example.org/p> <http://example.org/y> .\n"
    )
    ds = load_dataset([trig, nt])
    named = {str(g.identifier) for g in ds.graphs() if len(g)}
    assert "http://example.org/g" in named
    assert (
        URIRef("http://example.org/x"),
        URIRef("http://example.org/p"),
        URIRef("http://example.org/y"),
    ) in ds.default_graph


def test_broken_nquads_names_file(tmp_path):
    bad = write(tmp_path, "bad.nq", "<http://a> <http://b> .\n")
    with pytest.raises(DataParseError) as err:
        load_dataset([bad])
    assert err.value.path == str(bad)


def test_fingerprint_changes_with_content_and_place(tmp_path):
    a = write(tmp_path, "a.ttl", GOOD)
    first = fingerprint([a], tmp_path)
    assert first == fingerprint([a], tmp_path)
    a.write_text(GOOD + "\n# changed\n")
    assert fingerprint([a], tmp_path) != first
    (tmp_path / "sub").mkdir()
    moved = write(tmp_path / "sub", "a.ttl", GOOD)
    assert fingerprint([moved], tmp_path) != first


def test_load_turtle_names_file_and_line(tmp_path):
    good = write(tmp_path, "a.ttl", GOOD)
    broken = write(tmp_path, "b.ttl", BROKEN)
    with pytest.raises(DataParseError) as err:
        load_turtle([good, broken])
    assert err.value.line == 4
    assert str(err.value).startswith(f"{broken}:4: ")
    prefix = write(tmp_path, "p.ttl", "@prefix ex: <http://example.org/> .\n\nnope:a ex:p ex:b .\n")
    with pytest.raises(DataParseError) as err:
        load_turtle([prefix])
    assert err.value.line == 3 and "nope" in str(err.value)


def test_load_turtle_reads_terms_as_rdflib_does(tmp_path):
    """pyoxigraph reads the files; the terms are the ones rdflib's parser would make
    (typed literals in rdflib's normal form), and blank nodes of two files stay apart."""
    text = (
        "@prefix ex: <http://example.org/> .\n"
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
        'ex:a ex:n 007, "1"^^xsd:boolean, 1.50, 1e3, "2020-01-01T00:00:00Z"^^xsd:dateTime ;\n'
        '  ex:s "tab\\there \\"quoted\\" \\\\ \\u00e9 line\\nbreak", "x"@en ;\n'
        "  ex:b [ ex:c _:x ] ; ex:r <relative> .\n"
        '_:x ex:label "same label" .\n'
    )
    a = write(tmp_path, "a.ttl", text)
    b = write(tmp_path, "b.ttl", text)
    sources = load_turtle([a, b], root=tmp_path)
    reference = Graph()
    parse_file(a, reference)
    parse_file(b, reference)
    assert len(sources.triples) == len(reference)
    assert isomorphic(sources.graph, reference)


def test_terms_as_text_round_trip():

    for term in [
        URIRef("http://example.org/a"),
        BNode("b1"),
        Literal("plain"),
        Literal('tab\there "q" \\ é \x01 line\nbreak'),
        Literal("x", lang="en-GB"),
        Literal("5", datatype=XSD.integer),
        Literal("s", datatype=XSD.string),
    ]:
        assert term_of(nt(term)) == term, term
    assert nt(Literal("s", datatype=XSD.string)) != nt(Literal("s"))


def test_what_only_rdflib_reads_is_still_read(tmp_path):
    """A file pyoxigraph refuses (an IRI with `{`) loads as it did when rdflib read
    everything."""
    path = write(
        tmp_path,
        "lax.ttl",
        "@prefix ex: <http://example.org/> .\nex:a ex:p <http://example.org/{x}> .\n",
    )
    sources = load_turtle([path], root=tmp_path)
    assert sources.triples == [
        ("<http://example.org/a>", "<http://example.org/p>", "<http://example.org/{x}>")
    ]
    assert sources.files_of(URIRef("http://example.org/a")) == ["lax.ttl"]
