"""What a build writes for the linked-data side (smpkg.products), on the repository's graph:
the derivation index answers as the build's derivations do, the statistics count what the
graphs hold, and the dumps are there, all inside the cache entry."""

from __future__ import annotations

import json

from rdflib import URIRef
from rdflib.namespace import RDF

from smpkg.disk_store import DISK_STORE_DIR, open_disk_store
from smpkg.load import nt
from smpkg.namespaces import GRAPH_FILES
from smpkg.products import INDEX_FILE, DerivationIndex, read_statistics, triple_key
from smpkg.release import dumps_directory, read_manifest
from smpkg.search_product import SEARCH_FILE
from smpkg.statistics import text_links, text_statistics
from smpkg.void import AUTHORITIES


def test_every_product_is_in_the_cache_entry(smp_graph):
    directory = smp_graph.directory
    for name in ("oxigraph", INDEX_FILE, "linked-data.json", SEARCH_FILE):
        assert (directory / name).exists(), name
    manifest = read_manifest(dumps_directory(smp_graph))
    assert manifest is not None and manifest["build"] == smp_graph.version


def test_index_holds_every_derivation_with_its_premises(smp_graph):
    index = DerivationIndex(smp_graph.directory / INDEX_FILE)
    rows = json.loads((smp_graph.directory / "derivations.json").read_text())
    assert rows, "the compiled reasoner records derivations"
    for row in rows[:200]:
        found = index.get(triple_key(row["triple"]))
        assert found is not None
        assert found["rule"] == row["rule"]
        assert [p[:3] for p in found["premises"]] == row["premises"]
        assert {p[3] for p in found["premises"]} <= {
            "asserted",
            "ontology",
            "inferred",
            "intermediate",
        }
    some = next(iter(smp_graph.asserted))
    assert index.get(triple_key(nt(t) for t in some)) is None  # asserted: no derivation


def test_statistics_count_what_the_graphs_hold(smp_graph):
    stats = read_statistics(smp_graph.directory)
    for name in ("ontology", "asserted", "inferred"):
        assert stats["graphs"][name]["triples"] == len(getattr(smp_graph, name)), name
    asserted = smp_graph.asserted
    typings = {}
    for _, o in asserted.subject_objects(RDF.type):
        typings[str(o)] = typings.get(str(o), 0) + 1
    assert stats["usage"]["typings_asserted"] == typings
    uses = {}
    for _, p, _ in asserted:
        uses[str(p)] = uses.get(str(p), 0) + 1
    assert stats["usage"]["uses_asserted"] == uses


def test_links_counted_from_the_text_are_those_into_each_space(smp_graph):
    # The links into each authority's URI space (distinct triples of the union, per
    # predicate) are counted over the build's text triples; here over the rdflib graphs.
    union = set(smp_graph.ontology) | set(smp_graph.asserted) | set(smp_graph.inferred)
    expected = []
    for authority in AUTHORITIES:
        counted: dict[str, int] = {}
        for _, p, o in union:
            if isinstance(o, URIRef) and str(o).startswith(authority.uri_space):
                counted[str(p)] = counted.get(str(p), 0) + 1
        expected += [[authority.key, p, n] for p, n in sorted(counted.items())]
    assert expected, "the curated graph links to the authorities"
    targets = {a.key: a.uri_space for a in AUTHORITIES}
    assert text_links(text_triples(smp_graph), targets) == expected
    assert read_statistics(smp_graph.directory)["links"] == expected


def text_triples(kg) -> dict:
    """The text triples of a build, as it holds them: the lines of its N-Triples files."""
    triples = {}
    for name in GRAPH_FILES:
        lines = kg.path(name).read_text(encoding="utf-8").splitlines()
        triples[name] = [tuple(line[:-2].split(" ", 2)) for line in lines]
    return triples


def test_counts_made_from_the_text_are_the_stores_own(smp_graph):
    # The build counts the new store's triples, terms and classes from the text triples it
    # loaded (the lines of its N-Triples files), not by SPARQL; the store, asked, must give
    # the same counts.
    graphs = {name: str(iri) for name, iri in GRAPH_FILES.items()}
    asked = open_disk_store(smp_graph.directory / DISK_STORE_DIR).statistics()
    assert text_statistics(text_triples(smp_graph), graphs) == asked
    assert asked["default"]["triples"] > 1000
