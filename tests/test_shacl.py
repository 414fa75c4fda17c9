"""The shapes compiled to SPARQL (smpkg.shacl) against pySHACL, the reference: the same
results on the curated data and on copies of it broken in every way the shapes forbid."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS, XSD

from smpkg import shacl
from smpkg.load import Sources
from smpkg.validate import build_store, run_compiled, run_shacl

SMP = Namespace("https://w3id.org/smpkg/ontology#")
ID = Namespace("https://w3id.org/smpkg/id/")
SCHEMA = Namespace("https://schema.org/")
EX = Namespace("http://example.org/")


def keys(findings) -> set[tuple]:
    return {(f.severity, f.focus, f.source, f.path, f.value) for f in findings}


def compiled_findings(graph: Graph, ontology: Graph, shapes: Graph, tmp_path: Path):
    path = tmp_path / "data.ttl"
    graph.serialize(path, format="turtle")
    store = build_store(Sources(graph, [path]), ontology)
    return run_compiled(store, shacl.compile_shapes(shapes))


# --------------------------------------------------------------------------- the compiler


def test_the_project_shapes_compile(shapes: Graph) -> None:
    compiled = shacl.compile_shapes(shapes)
    assert len(compiled) >= 30
    # Every constraint component the shape files use is compiled, none dropped on the way.
    used = {c[0] for s in _all_shapes(compiled) for c in s.constraints}
    assert used == {
        "class",
        "datatype",
        "nodeKind",
        "pattern",
        "in",
        "languageIn",
        "minInclusive",
        "minLength",
        "or",
        "hasValue",
        "minCount",
        "maxCount",
        "uniqueLang",
        "qualifiedValueShape",
    }


def _all_shapes(shapes):
    seen, stack = {}, list(shapes)
    while stack:
        s = stack.pop()
        if s.node in seen:
            continue
        seen[s.node] = s
        stack.extend(s.properties)
        for c in s.constraints:
            if c[0] == "or":
                stack.extend(c[1])
            elif c[0] == "qualifiedValueShape":
                stack.append(c[1])
    return list(seen.values())


UNSUPPORTED = {
    "a constraint the compiler lacks": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; "
    "sh:property [ sh:path ex:p ; sh:maxInclusive 3 ] .",
    "a target the compiler lacks": "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:class ex:C .",
    "a SPARQL constraint": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; "
    'sh:sparql [ sh:select "SELECT $this WHERE { }" ] .',
    "a stray sh: statement": "ex:S a sh:NodeShape ; sh:targetClass ex:C . "
    "ex:other sh:entailment ex:x .",
    "a recursive shape": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; "
    "sh:property [ sh:path ex:p ; sh:or ( ex:S ) ] .",
    "a nested warning": "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:or ( ex:T ) . "
    "ex:T sh:severity sh:Warning ; sh:class ex:D .",
}


@pytest.mark.parametrize("text", UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_what_the_compiler_lacks_raises(text: str) -> None:
    graph = Graph().parse(
        data=f"@prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <{EX}> . {text}",
        format="turtle",
    )
    with pytest.raises(shacl.Unsupported):
        shacl.compile_shapes(graph)


# --------------------------------------------------------------------------- against pySHACL


@pytest.fixture(scope="module")
def curated_reference(curated, ontology, shapes) -> list:
    """pySHACL's findings on the curated data, computed once for the module: the reference
    takes the longest of anything here at the evidence's size."""
    return run_shacl(curated.graph, ontology, shapes)


def test_curated_data_same_findings_as_pyshacl(
    curated, ontology, shapes, curated_reference, tmp_path
) -> None:
    compiled = compiled_findings(curated.graph, ontology, shapes, tmp_path)
    reference = curated_reference
    assert not [f for f in compiled if f.severity == "violation"]
    assert [f for f in compiled if f.severity == "warning"], "the curated data has warnings"
    assert keys(compiled) == keys(reference)


def _programmes(graph: Graph) -> list[URIRef]:
    return sorted(graph.subjects(RDF.type, SMP.Programme))


def break_data(graph: Graph) -> tuple[Graph, dict[str, URIRef]]:
    """A copy of the curated data with one fault per constraint component (and per way the
    shapes use it), each on a resource of its own; returns the focus node of each fault."""
    g = Graph()
    for triple in graph:
        g.add(triple)
    progs = iter(_programmes(g))
    faults: dict[str, URIRef] = {}

    def prog(name: str) -> URIRef:
        faults[name] = node = next(progs)
        return node

    def replace(node, predicate, value) -> None:
        g.remove((node, predicate, None))
        if value is not None:
            g.add((node, predicate, value))

    # sh:class on a property shape, and on a node shape (the subject of smp:implements).
    g.add((prog("class"), SMP.coversSector, ID["country/AUT"]))
    faults["class on the focus"] = ID["sector/agriculture"]
    g.add((ID["sector/agriculture"], SMP.implements, _programmes(g)[0]))
    # sh:targetClass reaches instances of a subclass asserted in the data.
    faults["target subclass"] = EX["new-kind-of-organisation"]
    g.add((EX.OrgKind, RDFS.subClassOf, SMP.Organisation))
    g.add((EX["new-kind-of-organisation"], RDF.type, EX.OrgKind))
    # sh:datatype: rdf:langString, xsd:string, ill-typed xsd:integer, inside sh:or.
    faults["langString"] = ID["country/ALB"]
    replace(ID["country/ALB"], RDFS.label, Literal("Albania"))
    faults["string"] = ID["country/ARM"]
    replace(ID["country/ARM"], SMP.iso3166Alpha2, Literal("AM", lang="en"))
    g.add(
        (prog("ill-typed integer"), SMP.plannedParticipants, Literal("1.0", datatype=XSD.integer))
    )
    g.add((prog("date as a plain string"), SMP.startDate, Literal("2020")))
    g.add((prog("ill-typed date"), SMP.signedDate, Literal("2021-02-30", datatype=XSD.date)))
    figures = sorted(g.subjects(RDF.type, SMP.Figure))
    faults["figure value as a string"] = figures[0]
    replace(figures[0], SMP.figureValue, Literal("12"))
    # sh:nodeKind, sh:in, sh:pattern.
    faults["nodeKind"] = figures[1]
    replace(figures[1], SMP.statedAs, EX.notALiteral)
    faults["in"] = figures[2]
    replace(figures[2], SMP.comparator, Literal("roughly"))
    countries = sorted(g.subjects(RDF.type, SMP.Country))
    faults["pattern"] = countries[2]
    replace(countries[2], SMP.iso3166Alpha3, Literal("xx"))
    # sh:languageIn, sh:uniqueLang (and sh:maxCount 1 on the label), sh:minLength.
    g.add((prog("languageIn"), SKOS.note, Literal("Eine Notiz", lang="de")))
    g.add((prog("uniqueLang"), RDFS.label, Literal("A second English name", lang="en")))
    g.add((prog("minLength"), SMP.acronym, Literal("")))
    # sh:minCount (a violation and a warning), sh:maxCount.
    orgs = sorted(g.subjects(RDF.type, SMP.Organisation))
    faults["minCount"] = orgs[0]
    replace(orgs[0], RDFS.label, None)
    faults["minCount warning"] = orgs[1]
    replace(orgs[1], PROV.wasDerivedFrom, None)
    sections = sorted(g.subjects(RDF.type, SMP.SourceSection))
    documents = sorted(g.subjects(RDF.type, SMP.SourceDocument))
    faults["maxCount"] = sections[0]
    g.add((sections[0], SMP.sectionOf, documents[-1]))
    # sh:minInclusive on an integer, and on a value that is not a number at all.
    faults["minInclusive"] = documents[0]
    replace(documents[0], SCHEMA.numberOfPages, Literal(0))
    g.add((prog("minInclusive negative"), SMP.durationInMonths, Literal(-3)))
    # sh:or of classes on a property, of named node shapes and of property shapes on a node.
    g.add((prog("or of classes"), PROV.wasDerivedFrom, ID["sector/agriculture"]))
    p = prog("or of named shapes")
    replace(p, SMP.coversSector, None)
    replace(p, SKOS.note, None)
    faults["or of property shapes"] = countries[3]
    replace(countries[3], SMP.iso3166Alpha3, None)
    replace(countries[3], SKOS.note, None)
    # sh:qualifiedValueShape: a type path through rdfs:subClassOf+ to a sh:hasValue, and a
    # source that is a section rather than a document.
    p = prog("qualified, hasValue, oneOrMorePath")
    g.remove((p, RDF.type, None))
    g.add((p, RDF.type, SMP.Initiative))
    p = prog("qualified class")
    replace(p, PROV.wasDerivedFrom, sections[1])
    return g, faults


@pytest.fixture(scope="module")
def broken(curated) -> tuple[Graph, dict[str, URIRef]]:
    return break_data(curated.graph)


def test_broken_data_same_findings_as_pyshacl(
    broken, curated_reference, ontology, shapes, tmp_path
) -> None:
    graph, faults = broken
    compiled = compiled_findings(graph, ontology, shapes, tmp_path)
    reference = run_shacl(graph, ontology, shapes)
    assert keys(compiled) == keys(reference)
    # ... and both see every fault: something new is reported on each faulty resource.
    before = keys(curated_reference)
    new = {k[1] for k in keys(compiled) - before}
    missed = {name: str(node) for name, node in faults.items() if str(node) not in new}
    assert not missed, missed


def test_broken_data_hits_every_component(broken, ontology, shapes, tmp_path) -> None:
    graph, _ = broken
    path = tmp_path / "data.ttl"
    graph.serialize(path, format="turtle")
    store = build_store(Sources(graph, [path]), ontology)
    results = shacl.run(store, shacl.compile_shapes(shapes))
    hit = {r.component for r in results}
    # hasValue sits inside the qualified value shape, so it reports as that.
    assert hit == {
        "class",
        "datatype",
        "nodeKind",
        "pattern",
        "in",
        "languageIn",
        "minInclusive",
        "minLength",
        "or",
        "minCount",
        "maxCount",
        "uniqueLang",
        "qualifiedValueShape",
    }


SMALL_SHAPES = """
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Paths a sh:NodeShape ; rdfs:label "paths" ; sh:targetClass ex:Thing ;
  sh:property [ rdfs:label "inverse" ; sh:path [ sh:inversePath ex:owns ] ; sh:maxCount 1 ] ,
    [ rdfs:label "sequence" ; sh:path ( ex:part ex:size ) ; sh:datatype xsd:integer ] ,
    [ rdfs:label "alternative" ; sh:path [ sh:alternativePath ( ex:a ex:b ) ] ;
      sh:minCount 2 ] ,
    [ rdfs:label "closure" ; sh:path [ sh:zeroOrMorePath ex:next ] ; sh:class ex:Thing ] .
ex:Off a sh:NodeShape ; rdfs:label "off" ; sh:targetClass ex:Thing ; sh:deactivated true ;
  sh:property [ sh:path ex:a ; sh:minCount 5 ] .
ex:Info a sh:NodeShape ; rdfs:label "info" ; sh:targetSubjectsOf ex:size ;
  sh:severity sh:Info ; sh:message "too big" ;
  sh:property [ rdfs:label "small" ; sh:path ex:size ; sh:severity sh:Info ;
                sh:minInclusive 0 ; sh:datatype xsd:integer ] .
"""

SMALL_DATA = """
@prefix ex: <http://example.org/> .
ex:t1 a ex:Thing ; ex:part ex:p1 ; ex:a 1 ; ex:b 2 ; ex:next ex:t2 .
ex:t2 a ex:Thing ; ex:part ex:p2 ; ex:a 1 ; ex:next ex:x .
ex:o1 ex:owns ex:t2 . ex:o2 ex:owns ex:t2 .
ex:p1 ex:size 3 . ex:p2 ex:size "big" .
ex:p3 ex:size -1 .
"""


def test_paths_severity_and_deactivation_as_pyshacl(tmp_path) -> None:
    shapes = Graph().parse(data=SMALL_SHAPES, format="turtle")
    data = Graph().parse(data=SMALL_DATA, format="turtle")
    compiled = compiled_findings(data, Graph(), shapes, tmp_path)
    reference = run_shacl(data, Graph(), shapes)
    assert keys(compiled) == keys(reference)
    sources = {f.source for f in compiled}
    assert {
        "shape inverse",
        "shape sequence",
        "shape alternative",
        "shape closure",
        "shape small",
    } <= sources
    assert "shape off" not in sources
    assert {f.severity for f in compiled if f.source == "shape small"} == {"info"}


# --------------------------------------------------------------------------- datatypes


WELL_FORMED = {
    XSD.integer: ["1", "-7", "+5", "01"],
    XSD.decimal: ["1.5", "-0.25", "3", ".5"],
    XSD.date: ["2020-02-29", "2021-12-31", "2021-02-28Z"],
    XSD.gYear: ["2021", "-0044", "2021Z"],
    XSD.gYearMonth: ["2021-12", "1999-01"],
}
ILL_TYPED = {
    XSD.integer: ["1.0", "one", "1e3"],
    XSD.decimal: ["abc", "1,5"],
    XSD.date: ["2021-02-30", "1900-02-29", "2021-13-01", "21-01-01"],
    XSD.gYear: ["21", "year", "2021-01"],
    XSD.gYearMonth: ["2021-13", "2021-1", "2021"],
}


# rdflib warns when it writes the ill-typed numbers this test writes on purpose.
@pytest.mark.filterwarnings("ignore:Serializing weird numerical")
@pytest.mark.parametrize("datatype", sorted(WELL_FORMED), ids=lambda d: d.split("#")[1])
def test_datatype_rejects_ill_typed_literals(datatype: URIRef, tmp_path) -> None:
    shapes = Graph().parse(
        data=f"""
        @prefix sh: <http://www.w3.org/ns/shacl#> . @prefix ex: <{EX}> .
        ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:v ;
          sh:property [ sh:path ex:v ; sh:datatype <{datatype}> ] .""",
        format="turtle",
    )
    data = Graph()
    for i, text in enumerate(WELL_FORMED[datatype]):
        data.add((EX[f"good{i}"], EX.v, Literal(text, datatype=datatype)))
    for i, text in enumerate(ILL_TYPED[datatype]):
        data.add((EX[f"bad{i}"], EX.v, Literal(text, datatype=datatype)))
    data.add((EX.other, EX.v, Literal("2021", datatype=XSD.string)))
    flagged = {f.focus for f in compiled_findings(data, Graph(), shapes, tmp_path)}
    expected = {str(EX[f"bad{i}"]) for i in range(len(ILL_TYPED[datatype]))} | {str(EX.other)}
    assert flagged == expected
    # pySHACL goes by rdflib's conversion to Python: it agrees on the SPARQL 1.1 numeric
    # types and xsd:date, is laxer on "1e3"^^xsd:integer-like forms, and cannot tell an
    # ill-typed gYear or gYearMonth at all. The compiled validator follows XSD.
    reference = {f.focus for f in run_shacl(data, Graph(), shapes)}
    assert reference <= flagged
    if datatype in (XSD.decimal, XSD.date):
        assert reference == flagged


def test_store_is_loaded_from_the_files(curated, ontology) -> None:
    store = build_store(curated, ontology)
    assert len(store) == len(curated.graph) + len(ontology)


def test_blank_node_labels_are_per_file(tmp_path) -> None:
    first, second = tmp_path / "a.ttl", tmp_path / "b.ttl"
    first.write_text(f'_:x <{EX.p}> "1" .')
    second.write_text(f'_:x <{EX.p}> "2" .')
    store = ox.Store()
    shacl.load_files(store, [first, second])
    assert len({q.subject for q in store}) == 2
