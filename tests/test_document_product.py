"""The stored Turtle documents (smpkg.document_product): each is the document the service
would write from the store, a long or replaced resource is left to the store, the pool of
writers writes what one process writes, and a missing or foreign file is refused."""

from __future__ import annotations

import gzip
import json

import pyoxigraph as ox
import pytest

from smpkg import document_product
from smpkg.disk_store import DISK_STORE_DIR
from smpkg.document_product import (
    DOCUMENTS_FILE,
    INDEX_FILE,
    ResourceDocuments,
    write_resource_documents,
)
from smpkg.product_file import StaleProduct
from smpkg.rdf_writer import OX_PREFIXES
from smpkg.resource_document import document_bytes, resource_quads

THAMM = "https://w3id.org/smpkg/id/programme/thamm"


@pytest.fixture(scope="module")
def built(smp_graph):
    location = smp_graph.directory / DISK_STORE_DIR
    return ox.Store.read_only(str(location)), location


def _stored(directory) -> dict[str, tuple[bytes, int]]:
    documents = ResourceDocuments(directory)
    iris = json.loads((directory / INDEX_FILE).read_text())["documents"]
    assert len(documents) == len(iris)
    return {iri: documents.turtle(iri) for iri in iris}


def test_the_build_stores_each_document_as_the_store_writes_it(smp_graph, built):
    store, _ = built
    documents = ResourceDocuments(smp_graph.directory)
    stored = _stored(smp_graph.directory)
    assert THAMM in stored and len(stored) > 500
    for iri in sorted(stored)[::7] + [THAMM]:
        found = resource_quads(store, iri, documents.limit)
        body = document_bytes(found.quads, ox.RdfFormat.TURTLE, OX_PREFIXES)
        compressed, size = stored[iri]
        assert gzip.decompress(compressed) == body and size == len(body)
    assert documents.turtle("https://w3id.org/smpkg/id/programme/no-such-thing") is None


def test_long_and_replaced_resources_are_left_to_the_store(tmp_path, built, monkeypatch):
    store, location = built
    monkeypatch.setattr(document_product, "LIMIT", 3)
    write_resource_documents(tmp_path, store, location)
    stored = _stored(tmp_path)
    assert THAMM not in stored  # more than three statements point at it
    for iri in stored:
        found = resource_quads(store, iri, 3)
        assert not found.truncated and found.replacement("") is None
    subjects = {s[0].value for s in store.query(document_product._SUBJECTS)}
    left = subjects - set(stored)
    assert left and all(resource_quads(store, iri, 3).truncated for iri in sorted(left)[:50])


def test_two_writer_processes_write_what_one_writes(tmp_path, built, monkeypatch):
    store, location = built
    (tmp_path / "one").mkdir()
    write_resource_documents(tmp_path / "one", store, location)
    monkeypatch.setattr(document_product, "PARALLEL_FROM", 1)
    monkeypatch.setattr(document_product, "CHUNK", 400)
    (tmp_path / "two").mkdir()
    write_resource_documents(tmp_path / "two", store, location)
    one, two = _stored(tmp_path / "one"), _stored(tmp_path / "two")
    assert one and one.keys() == two.keys()
    assert all(gzip.decompress(one[k][0]) == gzip.decompress(two[k][0]) for k in one)


def test_a_missing_or_foreign_file_is_refused(tmp_path):
    with pytest.raises(StaleProduct, match="has no"):
        ResourceDocuments(tmp_path)
    (tmp_path / INDEX_FILE).write_text('{"format": "resource documents 0"}')
    (tmp_path / DOCUMENTS_FILE).write_bytes(b"")
    with pytest.raises(StaleProduct, match="resource documents 0"):
        ResourceDocuments(tmp_path)
    (tmp_path / INDEX_FILE).write_bytes(b"\xff not JSON")
    with pytest.raises(StaleProduct, match="cannot be read"):
        ResourceDocuments(tmp_path)
