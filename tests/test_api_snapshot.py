"""The served snapshot: a reload swaps everything a request reads at once (no response mixes
two versions of the data), and the documents it caches stay within their bound whatever
`Host` clients send."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from conftest import LiveServer, make_settings
from fastapi.testclient import TestClient
from starlette.requests import Request

from api import create_app
from api.snapshot import DOCUMENT_ENTRIES, PLACEHOLDER, _plain_origin

EX = "http://example.org/"
QUERY = f"SELECT ?n WHERE {{ <{EX}data> <{EX}generation> ?n }}"
CLIENTS = 8
RELOADS = 50


def write_generation(path, n: int) -> None:
    path.write_text(f'<{EX}data> <{EX}generation> "{n}" .\n')


def test_reloads_under_load_never_mix_two_snapshots(tmp_path):
    data = tmp_path / "data.nt"
    write_generation(data, 0)
    token = "snapshot-test-token"
    server = LiveServer(
        dataset=[data], workers=1, timeout=2, env={"SMPKG_ADMIN_TOKEN": token}
    ).wait_ready()
    try:
        generation = {server.health()["version"]: "0"}  # dataset version -> its answer
        seen: list[tuple[str, str]] = []
        errors: list[str] = []
        stop = threading.Event()

        def query() -> None:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                while not stop.is_set():
                    try:
                        r = client.get(
                            "/sparql",
                            params={"query": QUERY},
                            headers={"Accept": "application/sparql-results+json"},
                        )
                    except httpx.HTTPError as exc:
                        errors.append(repr(exc))
                        continue
                    if r.status_code != 200:
                        errors.append(f"{r.status_code}: {r.text[:200]}")
                        continue
                    n = r.json()["results"]["bindings"][0]["n"]["value"]
                    seen.append((r.headers["SMPKG-Dataset-Version"], n))

        threads = [threading.Thread(target=query) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            with httpx.Client(
                base_url=server.url, timeout=120, headers={"Authorization": f"Bearer {token}"}
            ) as admin:
                for n in range(1, RELOADS + 1):
                    write_generation(data, n)
                    reply = admin.post("/admin/reload")
                    assert reply.status_code == 200, reply.text
                    generation[reply.json()["version"]] = str(n)
        finally:
            time.sleep(0.5)  # queries on the last snapshot too
            stop.set()
            for thread in threads:
                thread.join()
        assert errors == []
        assert len(generation) == RELOADS + 1  # each reload served new data
        assert len(seen) > RELOADS * CLIENTS
        mixed = [(v, n) for v, n in seen if generation.get(v) != n]
        assert mixed == []
        assert {n for _, n in seen} >= {"0", str(RELOADS)}
    finally:
        server.stop()


@pytest.mark.parametrize("path", ["/sparql", "/.well-known/void"])
def test_a_thousand_hosts_keep_the_document_cache_bounded(smp_client, path):
    snapshot = smp_client.app.state.snapshot
    before = len(snapshot.documents)
    accept = {"Accept": "text/turtle"}
    for i in range(1000):
        host = f"host{i}.example"
        r = smp_client.get(path, headers={**accept, "Host": host})
        assert r.status_code == 200
        # Each client still reads its own origin in the document, never another's.
        assert f"http://{host}/sparql" in r.text
        assert PLACEHOLDER not in r.text
        assert "host0.example" not in r.text or i == 0
        assert len(snapshot.documents) <= DOCUMENT_ENTRIES
    assert len(snapshot.documents) <= before + 1  # one document in one format, whatever the host


def test_a_host_that_is_no_plain_origin_is_not_echoed(smp_client):
    r = smp_client.get(
        "/sparql", headers={"Accept": "text/turtle", "Host": 'evil"><script>x</script>'}
    )
    assert r.status_code in (200, 400)
    assert "<script>" not in r.text


def test_the_public_url_names_the_service(sample_trig):
    app = create_app(
        make_settings(dataset=(sample_trig,), query_workers=1, public_url="https://kg.example")
    )
    with TestClient(app) as client:
        r = client.get("/sparql", headers={"Accept": "text/turtle", "Host": "other.example"})
        assert "https://kg.example/sparql" in r.text
        assert "other.example" not in r.text


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize(
    "host",
    [b"127.0.0.1:8000", b"Example.ORG", b"a-b.c:080", b"x:0", b"x:65535", b"x:65536", b"x:99999"]
    + [b"[::1]:80", b"ex ample", b"a/b", b"a:", b"", b"a@b", b"a:80:90", b"\xe9t\xe9.example"],
)
def test_the_origin_read_from_the_host_header_is_the_one_the_url_gives(scheme, host):
    """The shortcut `site_url` takes for a plain Host (no URL object built) gives what
    Starlette's `request.url` gives, and leaves every other Host to it."""
    scope = {
        "type": "http",
        "scheme": scheme,
        "path": "/sparql",
        "query_string": b"",
        "headers": [(b"host", host), (b"host", b"second.example")],
        "server": ("10.0.0.1", 8000),
    }
    url = Request(scope).url
    assert _plain_origin(scope) in (None, f"{url.scheme}://{url.netloc}")
    if host in (b"127.0.0.1:8000", b"Example.ORG", b"x:65535"):
        assert _plain_origin(scope) == f"{scheme}://{host.decode()}"
