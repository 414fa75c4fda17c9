"""The service's VoID documents as a build product (smpkg.void_product): the build writes
them beside the store, the service serves them (its own URL put in) instead of rendering them
at start-up, and what it serves is what rendering at serve time gives."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import isomorphic
from rdflib import Graph

from api.snapshot import _documents
from api.void_documents import prepare_void
from smpkg.product_file import StaleProduct
from smpkg.release import ensure_dumps
from smpkg.void_product import (
    FORMAT,
    PLACEHOLDER,
    VOID_FILE,
    VOID_KEYS,
    load_void,
    render_void,
)

BASE = "https://w3id.org/smpkg/"
ACCEPT = {
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
    "ntriples": "application/n-triples",
}
PARSER = {"turtle": "turtle", "jsonld": "json-ld", "rdfxml": "xml", "ntriples": "nt"}


def parsed(body: bytes, key: str) -> Graph:
    return Graph().parse(data=body, format=PARSER[key])


def test_the_build_writes_every_format_naming_the_placeholder(smp_graph):
    stored = json.loads((smp_graph.directory / VOID_FILE).read_text(encoding="utf-8"))
    assert stored["format"] == FORMAT and stored["base_iri"] == BASE
    documents = load_void(smp_graph.directory, BASE)
    assert set(documents) == set(VOID_KEYS)
    for key, body in documents.items():
        assert f"{PLACEHOLDER}/sparql".encode() in body, key
        assert len(parsed(body, key)) > 1000, key


@pytest.mark.parametrize("key", VOID_KEYS)
def test_served_void_is_the_product_with_the_service_url(smp_client, smp_graph, key):
    """Byte for byte the stored document, the request's origin put in; and the same graph
    as rendering it now, at serve time, gives."""
    r = smp_client.get("/.well-known/void", headers={"Accept": ACCEPT[key]})
    assert r.status_code == 200
    stored = load_void(smp_graph.directory, BASE)[key]
    assert r.content == stored.replace(PLACEHOLDER.encode(), b"http://testserver")
    _, manifest = ensure_dumps(smp_graph)
    rendered = render_void(smp_graph, manifest, base_iri=BASE, site="http://testserver")[key]
    assert isomorphic(parsed(r.content, key), parsed(rendered, key))


def _prepared(smp_client, **settings) -> dict[str, bytes]:
    state = smp_client.app.state.snapshot
    snapshot = replace(state, settings=state.settings.with_(**settings), documents=_documents())
    prepare_void(snapshot)
    return {key: snapshot.documents.get(("void", key, "")) for key in VOID_KEYS}


def test_a_public_url_is_put_into_the_stored_documents(smp_client, smp_graph):
    site = "https://data.example.org/smpkg"
    prepared = _prepared(smp_client, public_url=site + "/")
    _, manifest = ensure_dumps(smp_graph)
    rendered = render_void(smp_graph, manifest, base_iri=BASE, site=site)
    stored = load_void(smp_graph.directory, BASE)
    for key in VOID_KEYS:
        assert prepared[key] == stored[key].replace(PLACEHOLDER.encode(), site.encode())
        assert PLACEHOLDER.encode() not in prepared[key]
        assert isomorphic(parsed(prepared[key], key), parsed(rendered[key], key)), key


def test_documents_unfit_for_the_service_are_rendered_instead(smp_client, smp_graph):
    """Another base IRI than the build's documents name, or a public URL that cannot go into
    their text as it is: the service renders its own, as it did before the product."""
    other = "https://example.org/kg/"
    with pytest.raises(StaleProduct, match="base IRI"):
        load_void(smp_graph.directory, other)
    prepared = _prepared(smp_client, base_iri=other)
    assert f"<{other}dataset>".encode() in prepared["ntriples"]
    assert f"<{BASE}dataset>".encode() not in prepared["ntriples"]
    odd = "https://example.org/a&b"
    prepared = _prepared(smp_client, public_url=odd)
    _, manifest = ensure_dumps(smp_graph)
    rendered = render_void(smp_graph, manifest, base_iri=BASE, site=odd)
    assert isomorphic(parsed(prepared["rdfxml"], "rdfxml"), parsed(rendered["rdfxml"], "rdfxml"))


def test_a_missing_or_foreign_file_is_stale(tmp_path):
    with pytest.raises(StaleProduct, match=r"no void-documents\.json"):
        load_void(tmp_path, BASE)
    (tmp_path / VOID_FILE).write_text(json.dumps({"format": "void documents 0"}))
    with pytest.raises(StaleProduct, match="void documents 0"):
        load_void(tmp_path, BASE)
    (tmp_path / VOID_FILE).write_text("{not json")
    with pytest.raises(StaleProduct, match="cannot be read"):
        load_void(tmp_path, BASE)
    stored = {"format": FORMAT, "base_iri": BASE, "site": PLACEHOLDER, "documents": {}}
    (tmp_path / VOID_FILE).write_text(json.dumps(stored))
    with pytest.raises(StaleProduct, match="every format"):
        load_void(tmp_path, BASE)
