"""The shortest path (api.document_lane): a stored Turtle document answered without the
store, the same answer, header by header, as the longer path gives with the stored documents
out of the way; and every case it does not answer left to that path."""

from __future__ import annotations

import gzip
from dataclasses import replace

import pytest

from api.routers import resources

PATHS = [
    "/id/programme/thamm",
    "/id/programme/mentor-ii",
    "/id/organisation/giz",
    "/id/framework/gamm",
]
REQUESTS = [
    ("GET", "", {"Accept": "text/turtle"}),
    ("GET", "", {"Accept": "*/*", "Accept-Encoding": "identity"}),
    ("GET", ".ttl", {"Accept": "text/html"}),
    ("HEAD", "", {"Accept": "text/turtle"}),
    ("GET", "", {"Accept": "text/turtle", "Accept-Encoding": "gzip"}),
]


@pytest.fixture
def store_reads(monkeypatch):
    """How many documents were read from the store."""
    calls = []
    real = resources.resource_quads

    def counted(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(resources, "resource_quads", counted)
    return calls


def _send(client, method, path, headers):
    r = client.request(method, path, headers=headers)
    kept = sorted(
        (k.lower(), v)
        for k, v in r.headers.multi_items()
        if k.lower() not in ("content-length", "date")
    )
    return r.status_code, kept, r.content, r.headers.get("content-length")


def _known(smp_client, path):
    snapshot = smp_client.app.state.snapshot
    iri = snapshot.settings.base_iri + path[1:]
    return snapshot.resource_documents.turtle(iri) is not None


@pytest.mark.parametrize("path", PATHS)
def test_the_stored_answer_is_the_longer_paths_answer(smp_client, store_reads, monkeypatch, path):
    snapshot = smp_client.app.state.snapshot
    assert snapshot.resource_documents is not None and _known(smp_client, path)
    for method, extension, headers in REQUESTS:
        fast = _send(smp_client, method, path + extension, headers)
        assert store_reads == [], (method, extension, headers)
        with monkeypatch.context() as patch:
            patch.setitem(snapshot.__dict__, "resource_documents", None)
            # Not a replay of the fast answer from the response cache: it never kept one.
            slow = _send(smp_client, method, path + extension, headers)
        assert fast[:3] == slow[:3], (method, extension, headers)
        # The client accepts gzip unless told otherwise; the stored gzip bytes are not
        # GZip's, so only an uncompressed answer has the longer path's length.
        if "gzip" not in headers.get("Accept-Encoding", "gzip"):
            assert fast[3] == slow[3]
        store_reads.clear()
    body = smp_client.get(path, headers={"Accept": "text/turtle"}).content
    assert body.startswith(b"@prefix") and b"<https://w3id.org/smpkg/id/" in body


def test_a_big_document_goes_gzipped_as_stored(smp_client):
    snapshot = smp_client.app.state.snapshot
    iri = snapshot.settings.base_iri + "id/programme/thamm"
    compressed, size = snapshot.resource_documents.turtle(iri)
    assert size >= 2048
    r = smp_client.get(
        "/id/programme/thamm", headers={"Accept": "text/turtle", "Accept-Encoding": "gzip"}
    )
    assert r.headers["content-encoding"] == "gzip"
    assert r.headers["content-length"] == str(len(compressed))
    assert r.content == gzip.decompress(compressed)
    assert r.headers["vary"] == "Accept, Accept-Encoding, Origin"


@pytest.mark.parametrize(
    "path, headers",
    [
        ("/id/programme/thamm?format=ttl", {}),
        ("/id/programme/thamm", {"Accept": "text/turtle", "Origin": "http://example.org"}),
        ("/id/programme/thamm", {"Accept": "application/n-triples"}),
        ("/id/programme/thamm.nt", {}),
        ("/id/programme/thamm", {"Accept": "text/html"}),
        ("/id/programme/no-such-thing", {"Accept": "text/turtle"}),
    ],
)
def test_what_is_not_stored_or_not_plain_goes_the_longer_way(
    smp_client, store_reads, path, headers
):
    # No replay from the response cache, which would read nothing either.
    r = smp_client.get(path, headers={**headers, "Cache-Control": "no-cache"})
    assert r.status_code in (200, 404)
    assert store_reads or "text/html" in r.headers["content-type"], (path, headers)
    if "Origin" in headers:
        assert r.headers["access-control-allow-origin"] == "*"


def test_a_conditional_request_gets_its_304(smp_client):
    r = smp_client.get("/id/programme/thamm", headers={"Accept": "text/turtle"})
    again = smp_client.get(
        "/id/programme/thamm", headers={"Accept": "text/turtle", "If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304


def test_a_row_limit_under_the_stored_documents_keeps_them_out(smp_client):
    snapshot = smp_client.app.state.snapshot
    small = replace(snapshot, settings=replace(snapshot.settings, max_rows=10))
    assert small.resource_documents is None and snapshot.resource_documents is not None


def test_answers_are_counted_and_logged_under_the_route(smp_client):
    smp_client.get("/id/framework/gamm", headers={"Accept": "text/turtle"})
    metrics = smp_client.get("/metrics").text
    assert 'route="/id/{path:path}"' in metrics
