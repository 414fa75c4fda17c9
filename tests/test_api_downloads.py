"""Dumps over HTTP (/download): every file listed with its size, statement count and SHA-256;
every dump, parsed back with rdflib and with an independent parser, is isomorphic to the
graph the endpoint serves.

The independent parser is Debian's `rapper` (raptor2-utils) for Turtle, N-Triples, N-Quads,
TriG and RDF/XML; raptor has no JSON-LD parser, so JSON-LD is read back with pyoxigraph's
(a Rust implementation, independent of rdflib's)."""

from __future__ import annotations

import base64
import gzip
import hashlib
import shutil
import subprocess
from dataclasses import replace

import pyoxigraph as ox
import pytest
from conftest import IN_CI, canonical
from rdflib import Dataset, Graph

from api.negotiation import HTML
from api.routers.downloads import VOID_FORMATS
from api.snapshot import PLACEHOLDER, _documents
from api.void_documents import prepare_void

GRAPH = "https://w3id.org/smpkg/graph/"
PARTS = ("ontology", "asserted", "inferred", "full")
FORMATS = ("turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml")
RDFLIB = {
    "turtle": "turtle",
    "ntriples": "nt",
    "nquads": "nquads",
    "trig": "trig",
    "jsonld": "json-ld",
    "rdfxml": "xml",
}
RAPPER = {
    "turtle": "turtle",
    "ntriples": "ntriples",
    "nquads": "nquads",
    "trig": "trig",
    "rdfxml": "rdfxml",
}
QUADS = {"nquads", "trig", "jsonld"}  # the dumps that keep graph names


@pytest.fixture(scope="module")
def manifest(smp_client) -> dict:
    r = smp_client.get("/download", headers={"Accept": "application/json"})
    assert r.status_code == 200
    return r.json()


@pytest.fixture(scope="module")
def files(smp_client, manifest) -> dict[str, bytes]:
    out = {}
    for entry in manifest["files"]:
        r = smp_client.get(f"/download/{entry['name']}")
        assert r.status_code == 200, entry["name"]
        out[entry["name"]] = r.content
    return out


@pytest.fixture(scope="module")
def served(smp_client, smp_graph) -> dict[str, Graph]:
    """Each named graph of the build the service serves. The evidence makes the asserted
    graph larger than the endpoint's row cap, so the graphs are read from the build; the
    endpoint is asked only that it holds as many statements in each."""
    out = {part: getattr(smp_graph, part) for part in ("ontology", "asserted", "inferred")}
    for part, graph in out.items():
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{GRAPH}{part}> {{ ?s ?p ?o }} }}"
        r = smp_client.get(
            "/sparql",
            params={"query": query},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert r.status_code == 200
        assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == len(graph), part
    union = Graph()
    for graph in out.values():
        for triple in graph:
            union.add(triple)
    out["full"] = union
    return out


def entry_for(manifest, part, fmt, compression=None) -> dict:
    return next(
        f
        for f in manifest["files"]
        if f["part"] == part and f["format"] == fmt and f["compression"] == compression
    )


def test_every_part_in_every_format_plain_and_gzip(manifest, smp_graph):
    listed = {(f["part"], f["format"], f["compression"]) for f in manifest["files"]}
    assert listed == {(p, f, c) for p in PARTS for f in FORMATS for c in (None, "gzip")}
    assert manifest["version"] == f"0.2.0+{smp_graph.version}"
    assert manifest["triples"] == {
        "ontology": len(smp_graph.ontology),
        "asserted": len(smp_graph.asserted),
        "inferred": len(smp_graph.inferred),
        "full": len(smp_graph.ontology) + len(smp_graph.asserted) + len(smp_graph.inferred),
    }


def test_sizes_and_checksums_match(smp_client, manifest, files):
    for entry in manifest["files"]:
        data = files[entry["name"]]
        assert len(data) == entry["bytes"], entry["name"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["name"]
        if entry["compression"] == "gzip":
            plain = gzip.decompress(data)
            assert hashlib.sha256(plain).hexdigest() == entry["uncompressed_sha256"]
            assert plain == files[entry["name"][:-3]]
    sums = smp_client.get("/download/SHA256SUMS").text.splitlines()
    listed = dict(reversed(line.split("  ", 1)) for line in sums)
    for entry in manifest["files"]:
        assert listed[entry["name"]] == entry["sha256"]
    r = smp_client.get("/download/manifest.json")
    assert hashlib.sha256(r.content).hexdigest() == listed["manifest.json"]


def test_repr_digest_and_content_types(smp_client, manifest):
    entry = entry_for(manifest, "asserted", "turtle")
    r = smp_client.get(f"/download/{entry['name']}")
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"
    digest = base64.b64encode(bytes.fromhex(entry["sha256"])).decode()
    assert r.headers["repr-digest"] == f"sha-256=:{digest}:"
    gz = entry_for(manifest, "full", "nquads", "gzip")
    r = smp_client.get(f"/download/{gz['name']}", headers={"Accept-Encoding": "identity"})
    assert r.headers["content-type"] == "application/gzip"
    assert hashlib.sha256(r.content).hexdigest() == gz["sha256"]


def parse_rdflib(data: bytes, fmt: str):
    if fmt in QUADS:
        ds = Dataset()
        ds.parse(data=data, format=RDFLIB[fmt])
        return ds
    return Graph().parse(data=data, format=RDFLIB[fmt])


_CANONICAL: dict[int, tuple[Graph, frozenset[str]]] = {}


def canonical_once(graph: Graph) -> frozenset[str]:
    """`conftest.canonical`, kept for the served graphs, which every dump is compared with
    (kept with the graph, so an id is never reused for another)."""
    kept = _CANONICAL.get(id(graph))
    if kept is not None and kept[0] is graph:
        return kept[1]
    found = canonical(graph)
    _CANONICAL[id(graph)] = (graph, found)
    return found


def isomorphic(a: Graph, b: Graph) -> bool:
    return canonical_once(a) == canonical_once(b)


def compare(parsed, part: str, fmt: str, served: dict) -> None:
    """A dump read back against the served graphs: graph by graph when it keeps names."""
    if fmt in QUADS and isinstance(parsed, Dataset):
        names = ("ontology", "asserted", "inferred") if part == "full" else (part,)
        for name in names:
            got = parsed.graph(f"{GRAPH}{name}")
            assert isomorphic(got, served[name]), f"{part}.{fmt}: graph {name}"
        total = sum(1 for _ in parsed.quads((None, None, None, None)))
        assert total == sum(len(served[n]) for n in names), f"{part}.{fmt}: extra statements"
    else:
        assert isomorphic(parsed, served[part]), f"{part}.{fmt}"


@pytest.mark.parametrize("part", PARTS)
def test_dumps_round_trip_through_rdflib(part, manifest, files, served):
    for fmt in FORMATS:
        entry = entry_for(manifest, part, fmt)
        parsed = parse_rdflib(files[entry["name"]], fmt)
        compare(parsed, part, fmt, served)
        count = (
            sum(1 for _ in parsed.quads((None, None, None, None)))
            if isinstance(parsed, Dataset)
            else len(parsed)
        )
        assert count == entry["triples"], entry["name"]


def rapper() -> str:
    path = shutil.which("rapper")
    if path is None:
        message = "rapper (Debian's raptor2-utils) is needed to check the dumps independently"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.mark.parametrize("part", PARTS)
def test_dumps_round_trip_through_rapper(part, manifest, files, served, tmp_path):
    program = rapper()
    for fmt, syntax in RAPPER.items():
        entry = entry_for(manifest, part, fmt)
        path = tmp_path / entry["name"]
        path.write_bytes(files[entry["name"]])
        out = "nquads" if fmt in QUADS else "ntriples"
        done = subprocess.run(
            [program, "-q", "-i", syntax, "-o", out, str(path)], capture_output=True, timeout=120
        )
        assert done.returncode == 0, done.stderr.decode()
        if fmt in QUADS:
            ds = Dataset()
            ds.parse(data=done.stdout, format="nquads")
            compare(ds, part, fmt, served)
        else:
            compare(Graph().parse(data=done.stdout, format="nt"), part, fmt, served)


@pytest.mark.parametrize("part", PARTS)
def test_jsonld_dumps_through_pyoxigraph(part, manifest, files, served):

    entry = entry_for(manifest, part, "jsonld")
    nquads = ox.serialize(
        ox.parse(files[entry["name"]], format=ox.RdfFormat.JSON_LD), format=ox.RdfFormat.N_QUADS
    )
    ds = Dataset()
    ds.parse(data=nquads, format="nquads")
    compare(ds, part, "jsonld", served)


def test_download_page(smp_client, manifest):
    r = smp_client.get("/download", headers={"Accept": "text/html"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    for entry in manifest["files"]:
        assert f'href="/download/{entry["name"]}"' in r.text
        assert entry["sha256"] in r.text
    assert 'href="/.well-known/void"' in r.text


def test_versioned_and_unknown_files(smp_client, manifest):
    version = manifest["version"]
    entry = entry_for(manifest, "ontology", "turtle")
    r = smp_client.get(f"/download/{version}/{entry['name']}")
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == entry["sha256"]
    assert smp_client.get(f"/download/0.0.1+000000000000/{entry['name']}").status_code == 404
    assert smp_client.get("/download/no-such-file.ttl").status_code == 404
    assert smp_client.get("/download/..%2Fbuild.json").status_code == 404


def test_graph_iris_redirect_to_their_dumps(smp_client):
    r = smp_client.get(
        "/graph/inferred", headers={"Accept": "application/n-triples"}, follow_redirects=False
    )
    assert r.status_code == 303 and r.headers["location"] == "/download/smpkg-inferred.nt"
    r = smp_client.get("/graph/asserted", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/download#asserted"
    assert smp_client.get("/graph/other").status_code == 404


def test_void_is_rendered_with_the_snapshot(smp_client):
    """The VoID documents are made when a snapshot is created (off the request path): a fresh
    snapshot's cache holds every RDF format after `prepare_void`, and what a request gets is
    that document with the service's own URL put in."""
    snapshot = replace(smp_client.app.state.snapshot, documents=_documents())
    assert len(snapshot.documents) == 0
    prepare_void(snapshot)
    keys = {("void", fmt.key, "") for fmt in VOID_FORMATS if fmt is not HTML}
    assert all(snapshot.documents.get(key) is not None for key in keys)
    prepared = snapshot.documents.get(("void", "turtle", ""))
    assert f"{PLACEHOLDER}/sparql".encode() in prepared
    r = smp_client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    expected = prepared.replace(PLACEHOLDER.encode(), b"http://testserver")
    assert isomorphic(
        Graph().parse(data=r.content, format="turtle"),
        Graph().parse(data=expected, format="turtle"),
    )


def test_dumps_are_not_compressed_on_the_fly(smp_client, manifest):
    """A client that accepts gzip gets a dump as it is (its `.gz` twin is the compressed
    one); other responses are still compressed."""
    name = entry_for(manifest, "full", "nquads")["name"]
    gzip_ok = {"Accept-Encoding": "gzip"}
    dump = smp_client.get(f"/download/{name}", headers=gzip_ok)
    assert dump.status_code == 200 and "content-encoding" not in dump.headers
    assert (
        hashlib.sha256(dump.content).hexdigest() == entry_for(manifest, "full", "nquads")["sha256"]
    )
    page = smp_client.get("/download", headers={**gzip_ok, "Accept": "text/html"})
    assert page.headers.get("content-encoding") == "gzip"
