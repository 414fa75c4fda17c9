"""The short path of RDF resource documents (api.resource_lane): answered before routing but
inside every middleware (security headers, ETag and 304, metrics under the route's
template), the rest of `/id/` left to the route; and a document too big to write on the
event loop is written in a thread, the same bytes."""

from __future__ import annotations

import asyncio

import pytest

from api.middleware import app_path
from api.routers import resources
from api.routers.resources import OX_FORMATS, _made, quads_document
from smpkg.formats import BY_KEY

ID = "https://w3id.org/smpkg/id/"
PATH = "/id/programme/mentor-ii"


def test_a_document_keeps_every_middleware(smp_client):
    r = smp_client.get(PATH, headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
    assert r.headers["x-content-type-options"] == "nosniff" and "etag" in r.headers
    assert r.headers["content-location"] == f"{PATH}.ttl"
    again = smp_client.get(
        PATH, headers={"Accept": "text/turtle", "If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304
    metrics = smp_client.get("/metrics").text
    assert 'route="/id/{path:path}"' in metrics


def test_pages_and_refusals_still_go_to_the_route(smp_client):
    page = smp_client.get(PATH, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "<html" in page.text
    refused = smp_client.get(PATH, headers={"Accept": "image/png"})
    assert refused.status_code == 406
    unknown = smp_client.get("/id/programme/no-such-thing", headers={"Accept": "text/turtle"})
    assert unknown.status_code == 404


@pytest.mark.parametrize("key", ["turtle", "nquads", "jsonld"])
def test_a_big_document_is_written_in_a_thread_the_same(smp_client, monkeypatch, key):
    store = smp_client.app.state.snapshot.pages.store
    fmt = BY_KEY[key]
    name, base = f"{ID}programme/mentor-ii", "https://w3id.org/smpkg/"
    whole = quads_document(store, name, fmt, base, None)
    assert whole.found and (key not in OX_FORMATS or whole.body)
    monkeypatch.setattr(resources, "INLINE_STATEMENTS", 2)  # every document is "big"
    made = asyncio.run(_made(store, name, fmt, base, None))
    assert made.found.quads == whole.found.quads
    if key in OX_FORMATS:
        assert made.body == whole.body
    capped = asyncio.run(_made(store, name, fmt, base, 1))  # a cap under the probe's
    assert capped.found.truncated
    assert sum(1 for q in capped.found.quads if q.subject.value == name) == 1


@pytest.mark.parametrize(
    ("root", "path", "inside"),
    [
        ("", "/id/x", "/id/x"),
        ("/smp", "/smp/id/x", "/id/x"),
        ("/smp", "/other/id/x", "/other/id/x"),
    ],
)
def test_the_lane_reads_the_path_within_a_mounted_app(root, path, inside):
    """Behind a proxy that mounts the service under a root path, `/id/` is matched on the
    path within the app (as the dump files' no-gzip rule is)."""
    assert app_path({"type": "http", "path": path, "root_path": root}) == inside
