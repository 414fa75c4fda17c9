"""The build on a tiny project of its own: cache, validation gate, all-or-nothing parsing."""

import json

import pytest
from conftest import DATA
from rdflib import Namespace
from rdflib.namespace import RDF

import smpkg.build as build_module
from smpkg.build import build, open_engine
from smpkg.disk_store import ensure_disk_store, open_disk_store
from smpkg.errors import DataParseError, ValidationFailed
from smpkg.namespaces import GRAPH_FILES
from smpkg.statistics import dataset_statistics

EX = Namespace("http://example.org/")


def test_cold_build_reasons_and_caches(project):
    kg = build(project)
    assert not kg.from_cache
    assert (EX.a, EX.partOf, EX.c) in kg.inferred
    assert (EX.c, EX.hasPart, EX.a) in kg.inferred
    assert (EX.a, RDF.type, EX.Initiative) in kg.inferred
    assert len(kg.asserted) == 8
    meta = json.loads((kg.directory / "build.json").read_text())
    assert meta["reasoning"]["inferred"] == len(kg.inferred)
    steps = {"parse data", "validate", "reason", "store", "statistics", "explanations", "dumps"}
    assert set(meta["timings"]) >= steps
    # CPU time per step too (what a loaded machine does not inflate), for the same steps.
    assert set(meta["cpu_timings"]) == set(meta["timings"])
    assert all(meta["cpu_timings"][s] >= 0 for s in steps)
    assert kg.cpu_timings == meta["cpu_timings"]


def test_unchanged_input_is_not_reasoned_twice(project, monkeypatch):
    first = build(project)

    def fail(_):
        raise AssertionError("reasoned again")

    monkeypatch.setattr(build_module, "reason", fail)
    second = build(project)
    assert second.from_cache
    assert second.version == first.version
    assert set(second.inferred) == set(first.inferred)


def test_changed_input_changes_the_version(project):
    first = build(project)
    path = project.data_dir / "programmes.ttl"
    path.write_text(DATA + 'ex:d a ex:Programme ; rdfs:label "D" .\n')
    second = build(project)
    assert second.version != first.version
    assert not second.from_cache


def test_broken_file_fails_the_build_and_writes_nothing(project):
    build(project)
    entries = set(project.cache_path.iterdir())
    bad = project.data_dir / "broken.ttl"
    bad.write_text('@prefix ex: <http://example.org/> .\nex:x ex:p "oops .\n')
    with pytest.raises(DataParseError) as err:
        build(project)
    assert err.value.line == 2
    assert err.value.path.endswith("broken.ttl")
    assert set(project.cache_path.iterdir()) == entries


def test_shape_violation_fails_the_build(project):
    (project.data_dir / "more.ttl").write_text(
        "@prefix ex: <http://example.org/> .\nex:nameless a ex:Programme .\n"
    )
    with pytest.raises(ValidationFailed) as err:
        build(project)
    [finding] = err.value.report.violations
    assert finding.focus == str(EX.nameless)
    assert finding.message == "a programme needs a label"
    assert finding.files == ["data/more.ttl"]


def test_quality_check_violation_fails_the_build(project):
    (project.data_dir / "cycle.ttl").write_text(
        "@prefix ex: <http://example.org/> .\nex:c ex:partOf ex:c .\n"
    )
    with pytest.raises(ValidationFailed) as err:
        build(project)
    [finding] = err.value.report.violations
    assert finding.source == "check no-self-part"
    assert finding.message == "part of itself"
    assert finding.files == ["data/cycle.ttl", "data/programmes.ttl"]


@pytest.mark.parametrize("engine", ["rdflib", "oxigraph"])
def test_engines_serve_the_three_graphs(project, engine):
    kg = build(project)
    eng = open_engine(kg, engine)
    assert eng.graph_names() == [
        "https://w3id.org/smpkg/graph/asserted",
        "https://w3id.org/smpkg/graph/inferred",
        "https://w3id.org/smpkg/graph/ontology",
    ]
    union = eng.execute(
        "ASK { <http://example.org/a> <http://example.org/partOf> <http://example.org/c> }"
    )
    assert union.boolean is True
    only_asserted = eng.execute(
        "ASK { GRAPH <https://w3id.org/smpkg/graph/asserted> "
        "{ <http://example.org/a> <http://example.org/partOf> <http://example.org/c> } }"
    )
    assert only_asserted.boolean is False


def test_on_disk_store_holds_the_build_and_its_statistics(project):
    """The index is bulk-loaded from the build's files and counts its statistics with SPARQL
    aggregates: the same counts as going through every quad in Python."""
    kg = build(project)
    path, meta = ensure_disk_store(
        kg.directory, {k: str(v) for k, v in GRAPH_FILES.items()}, statistics=dataset_statistics
    )
    engine = open_disk_store(path)
    assert meta["graphs"][str(GRAPH_FILES["inferred"])] == len(kg.inferred)
    assert len(engine) == len(kg.ontology) + len(kg.asserted) + len(kg.inferred)
    # The reference: the same files counted in Python over rdflib's quads.
    reference = dataset_statistics(open_engine(kg, "rdflib"))
    assert {k: v for k, v in meta["statistics"].items() if k != "engine"} == {
        k: v for k, v in reference.items() if k != "engine"
    }
    assert meta["statistics"]["default"]["triples"] == len(engine)
