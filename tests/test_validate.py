"""validate(): the compiled validator (pyoxigraph) against the reference (pySHACL and the
checks on rdflib), the setting that chooses between them, and the fallback to pySHACL."""

from __future__ import annotations

import pytest
from rdflib import BNode, Graph, Literal, Namespace
from rdflib.namespace import PROV, RDF, RDFS, TIME, XSD

from smpkg import validate as validation
from smpkg.build import build
from smpkg.cli import main
from smpkg.config import Settings
from smpkg.errors import ConfigurationError
from smpkg.load import Sources, load_turtle
from smpkg.validate import build_store, load_checks, run_checks, union_graph, validate

SMP = Namespace("https://w3id.org/smpkg/ontology#")
ID = Namespace("https://w3id.org/smpkg/id/")
EX = Namespace("http://example.org/")


@pytest.fixture(scope="module")
def checks(settings):
    return load_checks(settings.checks_dir)


def keys(findings) -> set[tuple]:
    return {
        (
            f.severity,
            f.focus,
            f.source,
            f.path,
            f.value,
            f.message if f.source.startswith("check ") else None,
        )
        for f in findings
    }


def test_curated_data_conforms_the_same_with_both(curated, ontology, shapes, checks) -> None:
    compiled = validate(curated, ontology, shapes, checks, validator="compiled")
    reference = validate(curated, ontology, shapes, checks, validator="pyshacl")
    assert compiled.conforms and reference.conforms
    assert compiled.warnings
    assert keys(compiled.findings) == keys(reference.findings)
    # Findings name the files that describe their focus.
    assert all(f.files for f in compiled.warnings if f.focus.startswith(str(ID)))


def check_faults(graph: Graph) -> Graph:
    """The curated data with something each data-quality check must catch."""
    g = Graph()
    for triple in graph:
        g.add(triple)
    progs = sorted(g.subjects(RDF.type, SMP.Programme))
    sections = sorted(g.subjects(RDF.type, SMP.SourceSection))
    source = g.value(progs[0], PROV.wasDerivedFrom)
    # Any programme's acronym will do; which programmes have one changes with curation.
    acronym = next(a for p in progs for a in g.objects(p, SMP.acronym))
    additions = [
        (progs[0], SMP.relatedTo, ID["programme/ghost"]),
        (progs[2], RDFS.label, Literal("Another English name", lang="en")),
        (progs[3], SMP.startDate, Literal("2021-06-01", datatype=XSD.date)),
        (progs[3], SMP.startDatePrecision, TIME.unitMonth),
        (progs[3], SMP.endDate, Literal("2021-03-01", datatype=XSD.date)),
        (progs[3], SMP.endDatePrecision, TIME.unitMonth),
        (ID["programme/no-source"], RDF.type, SMP.PilotProject),
        (progs[4], SMP.hasPredecessor, progs[5]),
        (progs[5], SMP.hasPredecessor, progs[4]),
        (progs[6], SMP.relatedTo, progs[6]),
        (progs[7], SMP.fundedby, progs[0]),
        (ID["country/ZZZ"], RDF.type, SMP.Country),
        (ID["country/ZZZ"], SMP.iso3166Alpha3, Literal("ZZZ")),
        (ID["country/ZZY"], RDF.type, SMP.Country),
        (ID["country/ZZY"], SMP.iso3166Alpha3, Literal("ESP")),
        (ID["source/loose/box-1"], RDF.type, SMP.SourceSection),
        (progs[8], SMP.describedIn, sections[-1]),
        (ID["programme/copy"], RDF.type, SMP.Programme),
        (ID["programme/copy"], SMP.acronym, Literal(str(acronym).lower())),
        (ID["programme/copy"], PROV.wasDerivedFrom, source),
        (progs[9], RDF.type, SMP.InternationallyImplementedInitiative),
        (ID["programme/Bad_Slug"], RDF.type, SMP.Project),
        (ID["programme/an-organisation"], RDF.type, SMP.Organisation),
        (progs[10], SMP.minimumAge, Literal(40)),
        (progs[10], SMP.maximumAge, Literal(30)),
        (ID["figure/open-range"], RDF.type, SMP.Figure),
        (ID["figure/open-range"], SMP.figureValue, Literal(1)),
        (ID["figure/open-range"], SMP.comparator, Literal("between")),
        (progs[11], SMP.partOf, progs[0]),
    ]
    smp_kind = sorted(g.subjects(RDF.type, SMP.SkillsMobilityPartnership))[0]
    additions.append((smp_kind, SMP.followsModel, ID["model/skills-mobility-partnership"]))
    passage, statement = ID["passage/loose-l1"], BNode()
    additions += [
        (passage, RDF.type, SMP.Passage),
        (passage, SMP.inSection, sections[0]),
        (passage, PROV.wasQuotedFrom, ID["source/another-document"]),
        (passage, SMP.supports, statement),
        (statement, RDF.subject, progs[0]),
        (statement, RDF.predicate, SMP.originCountry),
        (statement, RDF.object, ID["country/ZZZ"]),
    ]
    for triple in additions:
        g.add(triple)
    return g


def test_checks_on_pyoxigraph_as_on_rdflib(curated, ontology, checks, tmp_path) -> None:
    graph = check_faults(curated.graph)
    path = tmp_path / "data.ttl"
    graph.serialize(path, format="turtle")
    store = build_store(Sources(graph, [path]), ontology)
    on_store = run_checks(store, checks)
    on_rdflib = run_checks(union_graph(ontology, graph), checks)
    assert keys(on_store) == keys(on_rdflib)
    assert {f.source for f in on_store} == {f"check {c.name}" for c in checks}
    # ... and on the curated data neither finds anything.
    clean = build_store(curated, ontology)
    assert run_checks(clean, checks) == []


def test_duplicate_acronym_pairs_both_ways(curated, ontology, checks, tmp_path) -> None:
    graph = check_faults(curated.graph)
    duplicate = next(c for c in checks if c.name == "duplicate-acronym")
    rows = run_checks(union_graph(ontology, graph), [duplicate])
    copy = str(ID["programme/copy"])
    assert copy in {f.focus for f in rows}
    assert any(copy in f.message for f in rows if f.focus != copy)


def test_in_memory_sources_are_validated_from_their_graph(
    curated, ontology, shapes, checks
) -> None:
    graph = Graph()
    for triple in curated.graph:
        graph.add(triple)
    graph.add((ID["country/ALB"], RDFS.label, Literal("Albanien", lang="de")))
    report = validate(Sources(graph, []), ontology, shapes, checks, validator="compiled")
    assert str(ID["country/ALB"]) in {f.focus for f in report.violations}


UNCOMPILABLE = f"""
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix ex: <{EX}> .
ex:Small a sh:NodeShape ; sh:targetSubjectsOf ex:size ;
  sh:property [ sh:path ex:size ; sh:maxInclusive 10 ] .
"""


def test_uncompilable_shapes_fall_back_to_pyshacl(tmp_path, caplog) -> None:
    path = tmp_path / "data.ttl"
    path.write_text(f"<{EX.a}> <{EX.size}> 11 . <{EX.b}> <{EX.size}> 3 .")
    data = load_turtle([path])
    shapes = Graph().parse(data=UNCOMPILABLE, format="turtle")
    report = validate(data, Graph(), shapes, [], validator="compiled")
    assert [(f.focus, f.value) for f in report.violations] == [(str(EX.a), "11")]
    assert "pySHACL" in caplog.text


def test_the_setting_chooses_the_validator(
    curated, ontology, shapes, project, monkeypatch, capsys
) -> None:
    """SMPKG_VALIDATOR reaches `smpkg validate` and the build, which pass it to validate().
    Where the setting goes is the point, not the size: the command and the builds run on
    the tiny project (two forced builds of the curated graph took minutes)."""
    assert Settings().validator == "compiled"
    assert Settings.from_env({"SMPKG_VALIDATOR": "pyshacl"}).validator == "pyshacl"
    with pytest.raises(ConfigurationError):
        Settings.from_env({"SMPKG_VALIDATOR": "fast"})
    used = []

    def reference(*args):
        used.append("pyshacl")
        return []

    monkeypatch.setattr(validation, "run_shacl", reference)
    monkeypatch.setenv("SMPKG_VALIDATOR", "pyshacl")
    monkeypatch.setenv("SMPKG_CACHE_DIR", str(project.cache_path))
    command = ["--root", str(project.root), "validate"]
    assert main(command) == 0
    assert used == ["pyshacl"]
    build(project.with_(validator="pyshacl"), force=True)
    assert used == ["pyshacl", "pyshacl"]
    monkeypatch.setenv("SMPKG_VALIDATOR", "compiled")
    assert main(command) == 0
    build(project.with_(validator="compiled"), force=True)
    report = validate(curated, ontology, shapes, [])
    assert used == ["pyshacl", "pyshacl"] and report.warnings
    with pytest.raises(ValueError):
        validate(curated, ontology, shapes, [], validator="fast")
    capsys.readouterr()


def test_timings_name_the_parts(curated, ontology, shapes, checks) -> None:
    timings: dict = {}
    validate(curated, ontology, shapes, checks, validator="compiled", timings=timings)
    assert {"store", "compile shapes", "shapes"} <= set(timings)
    assert {f"check {c.name}" for c in checks} <= set(timings)
