"""The dataset description (VoID + DCAT) at /.well-known/void: its counts are those the
service reports (/health, the service description) and those SPARQL counts; its dumps,
endpoint and links resolve."""

from __future__ import annotations

import hashlib

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, VOID, XSD

from smpkg.release import ensure_dumps
from smpkg.void import void_graph

DCAT = Namespace("http://www.w3.org/ns/dcat#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
BASE = "https://w3id.org/smpkg/"
DATASET = URIRef(BASE + "dataset")
ENDPOINT = URIRef("http://testserver/sparql")


@pytest.fixture(scope="module")
def void(smp_client) -> Graph:
    r = smp_client.get("/.well-known/void", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"
    return Graph().parse(data=r.text, format="turtle")


def count(smp_client, query: str) -> dict:
    r = smp_client.get(
        "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert r.status_code == 200, r.text
    rows = r.json()["results"]["bindings"]
    return [{k: v["value"] for k, v in row.items()} for row in rows]


def number(graph: Graph, node, prop) -> int:
    value = graph.value(node, prop)
    assert value is not None, f"{node} has no {prop}"
    return int(value)


def test_metadata(void, smp_graph):
    assert (DATASET, RDF.type, VOID.Dataset) in void
    assert (DATASET, RDF.type, DCAT.Dataset) in void
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.issued, DCTERMS.modified):
        assert void.value(DATASET, prop) is not None, prop
    assert void.value(DATASET, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    publisher = void.value(DATASET, DCTERMS.publisher)
    assert void.value(publisher, FOAF.name) == Literal("smpkg project")
    version = f"0.2.0+{smp_graph.version}"
    assert void.value(DATASET, DCAT.version) == Literal(version)
    assert void.value(DATASET, DCAT.hasCurrentVersion) == URIRef(f"{BASE}dataset/{version}")
    assert void.value(DATASET, DCTERMS.modified).datatype == XSD.dateTime
    assert void.value(DATASET, VOID.sparqlEndpoint) == ENDPOINT
    assert URIRef(BASE + "id/programme/mentor-ii") in set(
        void.objects(DATASET, VOID.exampleResource)
    )
    assert URIRef(BASE + "id/source/emn-oecd-inform-2022") in set(
        void.objects(DATASET, DCTERMS.source)
    )


def test_counts_equal_what_the_service_reports(smp_client, void):
    health = smp_client.get("/health").json()
    assert number(void, DATASET, VOID.triples) == health["triples"]
    (row,) = count(smp_client, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    assert number(void, DATASET, VOID.triples) == int(row["n"])
    (row,) = count(
        smp_client,
        """SELECT (COUNT(DISTINCT ?s) AS ?subjects)
        (COUNT(DISTINCT ?p) AS ?properties) (COUNT(DISTINCT ?o) AS ?objects)
        WHERE { ?s ?p ?o }""",
    )
    assert number(void, DATASET, VOID.properties) == int(row["properties"])
    assert number(void, DATASET, VOID.distinctObjects) == int(row["objects"])
    assert number(void, DATASET, VOID.distinctSubjects) == int(row["subjects"])
    (row,) = count(
        smp_client, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER(isIRI(?s)) }"
    )
    assert number(void, DATASET, VOID.entities) == int(row["n"])
    (row,) = count(smp_client, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }")
    assert number(void, DATASET, VOID.classes) == int(row["n"])
    # The same numbers as the service description's VoID statistics.
    description = Graph().parse(
        data=smp_client.get("/sparql", headers={"Accept": "text/turtle"}).text, format="turtle"
    )
    sd_dataset = description.value(ENDPOINT, SD.defaultDataset)
    for prop in (VOID.triples, VOID.entities, VOID.classes, VOID.properties):
        assert number(void, DATASET, prop) == number(description, sd_dataset, prop)


def test_graph_subsets(smp_client, void):
    rows = count(
        smp_client, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    )
    expected = {row["g"]: int(row["n"]) for row in rows}
    subsets = {
        str(s): number(void, s, VOID.triples)
        for s in void.objects(DATASET, VOID.subset)
        if (s, RDF.type, VOID.Linkset) not in void
    }
    assert subsets == expected


def test_class_and_property_partitions(smp_client, void):
    classes = {
        void.value(p, VOID["class"]): number(void, p, VOID.entities)
        for p in void.objects(DATASET, VOID.classPartition)
    }
    rows = count(
        smp_client,
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c FILTER(isIRI(?c)) } GROUP BY ?c",
    )
    assert {str(k): v for k, v in classes.items()} == {r["c"]: int(r["n"]) for r in rows}
    properties = {
        str(void.value(p, VOID.property)): number(void, p, VOID.triples)
        for p in void.objects(DATASET, VOID.propertyPartition)
    }
    rows = count(smp_client, "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p")
    assert properties == {r["p"]: int(r["n"]) for r in rows}
    assert sum(properties.values()) == number(void, DATASET, VOID.triples)


@pytest.mark.parametrize(
    "space",
    [
        "http://publications.europa.eu/resource/authority/country/",
        "http://data.europa.eu/esco/isco/",
        "http://data.europa.eu/ux2/nace2/",
        "http://www.wikidata.org/entity/",
    ],
)
def test_linksets(smp_client, void, space):
    target = next(t for t in void.subjects(VOID.uriSpace, Literal(space)))
    linksets = list(void.subjects(VOID.objectsTarget, target))
    assert linksets
    found = {}
    for linkset in linksets:
        assert (linkset, RDF.type, VOID.Linkset) in void
        assert (DATASET, VOID.subset, linkset) in void
        assert void.value(linkset, VOID.subjectsTarget) == DATASET
        found[str(void.value(linkset, VOID.linkPredicate))] = number(void, linkset, VOID.triples)
    rows = count(
        smp_client,
        f"""SELECT ?p (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o
        FILTER(isIRI(?o) && STRSTARTS(STR(?o), "{space}")) }} GROUP BY ?p""",
    )
    assert found == {r["p"]: int(r["n"]) for r in rows}
    assert str(SKOS.exactMatch) in found


def test_dumps_and_distributions(smp_client, void):
    manifest = smp_client.get("/download/manifest.json").json()
    by_url = {f"http://testserver/download/{f['name']}": f for f in manifest["files"]}
    dumps = {str(d) for d in void.objects(None, VOID.dataDump)}
    assert dumps == set(by_url)
    full = {str(d) for d in void.objects(DATASET, VOID.dataDump)}
    assert full == {u for u, f in by_url.items() if f["part"] == "full"}
    for dist in void.objects(None, DCAT.distribution):
        entry = by_url[str(void.value(dist, DCAT.downloadURL))]
        assert number(void, dist, DCAT.byteSize) == entry["bytes"]
        checksum = void.value(dist, SPDX.checksum)
        assert str(void.value(checksum, SPDX.checksumValue)) == entry["sha256"]
        assert void.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    url = next(
        u
        for u, f in by_url.items()
        if f["part"] == "asserted" and f["format"] == "trig" and f["compression"] is None
    )
    r = smp_client.get(url.removeprefix("http://testserver"))
    assert hashlib.sha256(r.content).hexdigest() == by_url[url]["sha256"]


@pytest.mark.parametrize(
    "accept,parser",
    [
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-triples", "nt"),
    ],
)
def test_other_formats_say_the_same(smp_client, void, accept, parser):
    """The same statements (compared without the blank nodes of the partitions, which make a
    full isomorphism check slow)."""
    r = smp_client.get("/.well-known/void", headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    other = Graph().parse(data=r.content, format=parser)
    assert len(other) == len(void)

    def ground(graph):
        return {t for t in graph if not any(isinstance(x, BNode) for x in t)}

    assert ground(other) == ground(void)


def test_dataset_iri_and_links_to_it(smp_client, smp_graph):
    r = smp_client.get("/dataset", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-location"] == "/.well-known/void"
    version = f"0.2.0+{smp_graph.version}"
    assert (
        smp_client.get(f"/dataset/{version}", headers={"Accept": "text/turtle"}).status_code == 200
    )
    assert smp_client.get("/dataset/0.0.0+nothing").status_code == 404
    browser = smp_client.get("/.well-known/void", headers={"Accept": "text/html"})
    assert browser.headers["content-type"].startswith("text/html")
    home = smp_client.get("/").text
    assert 'href="/.well-known/void"' in home
    description = Graph().parse(
        data=smp_client.get("/sparql", headers={"Accept": "text/turtle"}).text, format="turtle"
    )
    dataset = description.value(ENDPOINT, SD.defaultDataset)
    assert (dataset, RDFS.seeAlso, URIRef("http://testserver/.well-known/void")) in description


def test_release_description_names_its_previous_version(smp_graph):

    _, manifest = ensure_dumps(smp_graph)
    g = void_graph(
        smp_graph,
        manifest,
        base_iri=BASE,
        endpoint=None,
        download_base=f"{BASE}download/{manifest['version']}/",
        versioned=True,
        previous="0.0.9+abc",
    )
    node = URIRef(f"{BASE}dataset/{manifest['version']}")
    assert (node, DCAT.isVersionOf, DATASET) in g
    assert (node, DCAT.previousVersion, URIRef(f"{BASE}dataset/0.0.9+abc")) in g
    assert (node, OWL.versionInfo, Literal(manifest["version"])) in g
    assert all(
        str(d).startswith(f"{BASE}download/{manifest['version']}/")
        for d in g.objects(node, VOID.dataDump)
    )
