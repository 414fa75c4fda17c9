"""Releases (`smpkg export --release DIR`): the dumps with their manifest and checksums, the
release's VoID description, and the changelog computed between two releases of a small
project of its own (entities added, changed and removed)."""

from __future__ import annotations

import gzip
import json
import subprocess

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF

from smpkg.build import build
from smpkg.cli import main
from smpkg.config import Settings
from smpkg.release import (
    CHANGELOG_JSON,
    CHANGELOG_MD,
    MANIFEST,
    VOID_FILE,
    load_graphs,
    release_version,
    verify,
    write_release,
)

EX = Namespace("http://example.org/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
BASE = "https://w3id.org/smpkg/"

ONTOLOGY = """@prefix ex: <http://example.org/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<http://example.org/onto> a owl:Ontology ; owl:versionInfo "2.1.0" .
ex:Programme a owl:Class ; rdfs:subClassOf ex:Initiative .
ex:partner a owl:ObjectProperty ; rdfs:range ex:Country .
"""
V1 = """@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
ex:alpha a ex:Programme ; rdfs:label "Alpha" ; ex:partner ex:xland .
ex:beta a ex:Programme ; rdfs:label "Beta" ;
    dcterms:temporal [ dcat:startDate "2020" ] .
ex:gamma a ex:Programme ; rdfs:label "Gamma" .
ex:yland rdfs:label "Yland" .
"""
# beta's period changes (inside a blank node), gamma goes, delta comes; yland only gains an
# inferred statement (delta's partner, it is inferred to be a country).
V2 = """@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
ex:alpha a ex:Programme ; rdfs:label "Alpha" ; ex:partner ex:xland .
ex:beta a ex:Programme ; rdfs:label "Beta" ;
    dcterms:temporal [ dcat:startDate "2021" ] .
ex:delta a ex:Programme ; rdfs:label "Delta" ; ex:partner ex:yland .
ex:yland rdfs:label "Yland" .
"""


def project(root, data: str) -> Settings:
    (root / "ontology").mkdir(parents=True, exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "ontology" / "onto.ttl").write_text(ONTOLOGY)
    (root / "data" / "programmes.ttl").write_text(data)
    return Settings(root=root, cache_dir=root / "cache")


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory):
    base = tmp_path_factory.mktemp("releases")
    releases = base / "out"
    settings = project(base / "project", V1)
    first = write_release(build(settings), releases, BASE)
    (base / "project" / "data" / "programmes.ttl").write_text(V2)
    # A cache of its own: reason.py's on-disk schema closure cannot be read back when the
    # ontology has literal-subject triples in its closure (reported to the lead).
    kg = build(settings.with_(cache_dir=base / "project" / "cache-2"))
    second = write_release(kg, releases, BASE)
    return first, second, kg


def test_version_is_ontology_version_plus_build(two_releases):
    first, second, kg = two_releases
    assert second.version == release_version(kg) == f"2.1.0+{kg.version}"
    assert first.version != second.version
    assert first.directory.parent == second.directory.parent
    assert second.directory.name == second.version


def test_files_manifest_and_checksums(two_releases):
    _, second, kg = two_releases
    directory = second.directory
    manifest = json.loads((directory / MANIFEST).read_text())
    names = {f["name"] for f in manifest["files"]}
    assert {CHANGELOG_JSON, CHANGELOG_MD, VOID_FILE} <= names
    assert len([n for n in names if n.startswith("smpkg-")]) == 4 * 6 * 2
    assert verify(directory) == []
    (directory / "smpkg-asserted.ttl").write_bytes(b"# tampered\n")
    assert verify(directory) == ["smpkg-asserted.ttl"]
    plain = (directory / "smpkg-full.trig.gz").read_bytes()
    assert gzip.decompress(plain) == (directory / "smpkg-full.trig").read_bytes()
    graphs = load_graphs(directory)
    assert isomorphic(graphs["asserted"], kg.asserted)
    assert isomorphic(graphs["inferred"], kg.inferred)


def test_changelog_between_two_releases(two_releases):
    first, second, _ = two_releases
    assert first.changelog["previous"] is None
    log = json.loads((second.directory / CHANGELOG_JSON).read_text())
    assert log["previous"] == first.version and log["version"] == second.version
    assert [e["iri"] for e in log["added"]] == [str(EX.delta)]
    assert [e["iri"] for e in log["removed"]] == [str(EX.gamma)]
    assert log["removed"][0]["label"] == "Gamma"
    changed = {c["iri"]: c for c in log["changed"]}
    assert set(changed) == {str(EX.beta), str(EX.yland)}
    yland = changed[str(EX.yland)]
    assert yland["inferred_only"] and yland["removed"] == []
    assert yland["added"] == [
        {"graph": "inferred", "predicate": str(RDF.type), "object": f"<{EX.Country}>"}
    ]
    beta = changed[str(EX.beta)]
    assert not beta["inferred_only"]
    assert [s["object"] for s in beta["added"]] == [
        '[<http://www.w3.org/ns/dcat#startDate> "2021"]'
    ]
    assert [s["object"] for s in beta["removed"]] == [
        '[<http://www.w3.org/ns/dcat#startDate> "2020"]'
    ]
    assert log["summary"]["added"] == 1 and log["summary"]["removed"] == 1
    text = (second.directory / CHANGELOG_MD).read_text()
    assert f"since {first.version}" in text and "## Added" in text and "Gamma" in text


def test_release_void_names_the_previous_version(two_releases):
    first, second, _ = two_releases
    g = Graph().parse(second.directory / VOID_FILE, format="turtle")
    node = URIRef(f"{BASE}dataset/{second.version}")
    assert (node, DCAT.previousVersion, URIRef(f"{BASE}dataset/{first.version}")) in g
    assert (node, DCAT.isVersionOf, URIRef(f"{BASE}dataset")) in g


def test_writing_a_version_again_replaces_it(two_releases):
    first, second, kg = two_releases
    again = write_release(kg, second.directory.parent, BASE)
    assert again.previous == first.version
    assert sorted(p.name for p in second.directory.parent.iterdir()) == sorted(
        [first.version, second.version]
    )


def test_command_line(tmp_path, monkeypatch, capsys):
    settings = project(tmp_path / "project", V1)
    monkeypatch.setenv("SMPKG_CACHE_DIR", str(settings.cache_path))
    code = main(["--root", str(settings.root), "export", "--release", str(tmp_path / "out")])
    assert code == 0
    out = capsys.readouterr().out
    assert "release 2.1.0+" in out and "the first release" in out
    (directory,) = (tmp_path / "out").iterdir()
    done = subprocess.run(
        ["sha256sum", "-c", "SHA256SUMS"], cwd=directory, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_release_of_the_curated_graph(smp_graph, tmp_path):
    release = write_release(smp_graph, tmp_path, BASE)
    assert release.version == f"0.2.0+{smp_graph.version}"
    assert verify(release.directory) == []
    assert release.changelog["summary"]["added"] > 500
