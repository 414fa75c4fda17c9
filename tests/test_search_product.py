"""The search index as a build product (smpkg.search_product): written by the build, read by
the service for the served snapshot, equal to the index the service builds from its queries,
and a missing or stale file is not used."""

from __future__ import annotations

import dataclasses
import json
import logging
from types import SimpleNamespace

import pytest

from api.app.pages import search_index
from smpkg.product_file import StaleProduct
from smpkg.search import SearchIndex, search_queries
from smpkg.search_product import (
    FORMAT,
    SEARCH_FILE,
    load_search_index,
    unordered,
)


@pytest.fixture(scope="module")
def stored(smp_graph) -> SearchIndex:
    return load_search_index(smp_graph.directory)


def snapshot_over(smp_client, directory):
    """The served snapshot with its build's directory replaced, and nothing derived yet."""
    served = smp_client.app.state.snapshot
    return dataclasses.replace(served, kg=SimpleNamespace(directory=directory), memo={})


def test_the_build_writes_the_index(smp_graph, stored):
    assert (smp_graph.directory / SEARCH_FILE).is_file()
    assert len(stored) > 300
    top = stored.search("PALIN")[0]
    assert (top.iri, top.tier) == ("https://w3id.org/smpkg/id/programme/palim", "fuzzy")


def test_queries_are_read_without_their_order():
    for query in search_queries().values():
        assert "ORDER BY" in query.text
        text = unordered(query.text)
        assert "ORDER BY" not in text and text.rstrip().endswith("}")


def test_the_service_answers_from_the_stored_index(smp_client, smp_graph, tmp_path):
    """A stored index whose one label differs from the data: the service's index has it."""
    body = json.loads((smp_graph.directory / SEARCH_FILE).read_text())
    labels = body["tables"]["labels"]
    labels[labels.index("Morocco")] = "Morocco as stored"
    (tmp_path / SEARCH_FILE).write_text(json.dumps(body))
    state = snapshot_over(smp_client, tmp_path)
    index = smp_client.portal.call(search_index, state)
    assert index is state.stored_search
    assert index.search("morocco")[0].label == "Morocco as stored"
    served = smp_client.get("/api/search", params={"q": "morocco"}).json()["hits"][0]
    assert served["label"] == "Morocco"


def test_the_served_snapshot_searches_its_builds_index(smp_client, stored):
    assert smp_client.get("/api/search", params={"q": "morocco"}).status_code == 200
    served = smp_client.app.state.snapshot
    assert served.stored_search is not None
    assert served.stored_search.tables == stored.tables
    assert smp_client.portal.call(search_index, served) is served.stored_search


def test_without_the_file_the_service_builds_the_same_index_from_queries(
    smp_client, stored, tmp_path, caplog
):
    state = snapshot_over(smp_client, tmp_path)
    with caplog.at_level(logging.WARNING, logger="smpkg.api"):
        built = smp_client.portal.call(search_index, state)
    assert f"the build has no {SEARCH_FILE}" in caplog.text
    assert state.stored_search is None
    assert built.tables == stored.tables
    for text in ("PALIN", "morocco", "nurse", "iom mach", "ger"):
        assert built.search(text) == stored.search(text), text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "has no"),
        ("{not json", "cannot be read"),
        (json.dumps({"format": "search index 0", "tables": {}}), "'search index 0'"),
        (json.dumps({"format": FORMAT, "tables": {"iris": []}}), "does not hold"),
        (json.dumps([1, 2]), "holds None"),
    ],
)
def test_a_missing_or_stale_file_is_refused(tmp_path, content, message):
    if content is not None:
        (tmp_path / SEARCH_FILE).write_text(content)
    with pytest.raises(StaleProduct, match=message):
        load_search_index(tmp_path)
