"""Reloading: bad input is reported with its file and line and the service stays on its last
good data; good input is swapped in, with a new version and new ETags."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from conftest import DATA
from fastapi.testclient import TestClient

from api import create_app
from smpkg.void_product import PLACEHOLDER, load_void

COUNT = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a <http://example.org/Programme> }"


def count(client) -> int:
    response = client.get(
        "/sparql", params={"query": COUNT}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


TOKEN = "reload-token-for-tests"
ADMIN = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}


@pytest.fixture
def client(project):
    app = create_app(project.with_(query_workers=1, admin_token=TOKEN))
    with TestClient(app, headers=ADMIN) as c:
        yield c


def test_broken_file_keeps_the_last_good_data(client, project):
    version = client.get("/health").json()["version"]
    assert count(client) == 3
    (project.data_dir / "broken.ttl").write_text(
        '@prefix ex: <http://example.org/> .\n\nex:d a ex:Programme ;\n  ex:name "oops .\n'
    )
    response = client.post("/admin/reload")
    assert response.status_code == 422
    body = response.json()
    assert body["ok"] is False
    assert "data/broken.ttl:4" in body["error"] or "broken.ttl:4:" in body["error"]
    assert "Traceback" not in response.text
    assert str(project.root) not in response.text
    assert count(client) == 3
    health = client.get("/health")
    assert health.json()["version"] == version
    assert health.json()["last_reload"]["ok"] is False
    assert health.json()["status"] == "degraded"
    assert "broken.ttl" not in health.text  # /health is public: no file names, no paths


def test_shape_violation_keeps_the_last_good_data(client, project):
    (project.data_dir / "nameless.ttl").write_text(
        "@prefix ex: <http://example.org/> .\nex:nameless a ex:Programme .\n"
    )
    response = client.post("/admin/reload")
    assert response.status_code == 422
    body = response.json()
    assert "validation failed" in body["error"]
    assert any("a programme needs a label" in d and "nameless.ttl" in d for d in body["details"])
    assert count(client) == 3


def test_good_change_is_swapped_in(client, project):
    first = client.get("/sparql", params={"query": COUNT})
    old_tag = first.headers["etag"]
    version = client.get("/health").json()["version"]
    (project.data_dir / "programmes.ttl").write_text(
        DATA + 'ex:d a ex:Programme ; rdfs:label "D" .\n'
    )
    assert client.app.state.snapshot.resource_documents.turtle("http://example.org/d") is None
    response = client.post("/admin/reload")
    assert response.status_code == 200, response.text
    assert response.json()["version"] != version
    assert count(client) == 4
    # The stored resource documents are the new build's.
    assert client.app.state.snapshot.resource_documents.turtle("http://example.org/d")
    again = client.get("/sparql", params={"query": COUNT}, headers={"If-None-Match": old_tag})
    assert again.status_code == 200  # the old ETag no longer matches


def test_reload_serves_the_new_builds_void(client, project):
    """VoID comes from the build's products: after a reload, the new build's documents."""
    before = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    old = client.app.state.snapshot
    (project.data_dir / "programmes.ttl").write_text(
        DATA + 'ex:d a ex:Programme ; rdfs:label "D" .\n'
    )
    assert client.post("/admin/reload").status_code == 200
    new = client.app.state.snapshot
    assert new.kg.directory != old.kg.directory
    after = client.get("/.well-known/void", headers={"Accept": "application/n-triples"})
    stored = load_void(new.kg.directory, project.base_iri)["ntriples"]
    assert after.content == stored.replace(PLACEHOLDER.encode(), b"http://testserver")
    assert after.content != before.content
    assert f'"{new.version}"'.encode() in after.content
    assert f'"{old.version}"'.encode() not in after.content


def test_admin_is_off_without_a_token(project):
    app = create_app(project.with_(query_workers=1))
    with TestClient(app) as c:
        response = c.post("/admin/reload", headers=ADMIN)
        assert response.status_code == 403
        assert "SMPKG_ADMIN_TOKEN" in response.json()["detail"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": TOKEN},
        # The probe's bypass: a forwarded address that looks local counts for nothing.
        {"X-Forwarded-For": "localhost"},
        {"X-Forwarded-For": "127.0.0.1"},
    ],
)
def test_reload_needs_the_token_whatever_the_address(project, headers):
    app = create_app(project.with_(query_workers=1, admin_token=TOKEN))
    with TestClient(app) as c:
        response = c.post("/admin/reload", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "headers",
    [
        # What a page on another site sends with a text/plain POST (no preflight needed).
        {"Origin": "http://attacker.example", "Content-Type": "text/plain"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_reload_refuses_cross_site_requests_even_with_the_token(client, headers):
    response = client.post("/admin/reload", headers=headers)
    assert response.status_code == 403
    assert "another site" in response.json()["detail"]
    assert "access-control-allow-origin" not in response.headers


def test_concurrent_reloads_are_serialised(client, project):
    """Twenty at once: one builds, the others are told at once that one is running."""
    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(lambda _: client.post("/admin/reload").status_code, range(20)))
    assert statuses.count(200) >= 1
    assert set(statuses) <= {200, 409}
    assert statuses.count(409) >= 1
    assert count(client) == 3


def test_a_live_server_ignores_forwarded_addresses(serve, project):
    """uvicorn believes X-Forwarded-For from loopback by default; here it must not, so the
    access log and every address check see the real client."""
    server = serve(
        engine="oxigraph",
        env={"SMPKG_ROOT": str(project.root), "SMPKG_CACHE_DIR": str(project.cache_path)},
        workers=1,
    )
    reply = httpx.post(server.url + "/admin/reload", headers={"X-Forwarded-For": "localhost"})
    assert reply.status_code == 403  # no token configured: admin is off for every address


def test_sighup_reloads_a_live_server(serve, project):
    server = serve(
        engine="oxigraph",
        env={"SMPKG_ROOT": str(project.root), "SMPKG_CACHE_DIR": str(project.cache_path)},
        workers=1,
    )
    version = server.health()["version"]
    (project.data_dir / "programmes.ttl").write_text(
        DATA + 'ex:e a ex:Programme ; rdfs:label "E" .\n'
    )
    os.kill(server.process.pid, signal.SIGHUP)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.health()["version"] == version:
        time.sleep(0.2)
    assert server.health()["version"] != version
    response = httpx.get(server.endpoint, params={"query": COUNT}, headers={"Accept": "text/csv"})
    assert response.text.splitlines()[1] == "4"
