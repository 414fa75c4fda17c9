"""Reloading: bad input is reported with its file and line and the service stays on its last
good data; good input is swapped in, with a new version and new ETags."""

from __future__ import annotations

import os
import signal
import time

import httpx
import pytest
from conftest import DATA
from fastapi.testclient import TestClient

from api import create_app

COUNT = "SELECT (COUNT(?p) AS ?n) WHERE { ?p a <http://example.org/Programme> }"


def count(client) -> int:
    response = client.get(
        "/sparql", params={"query": COUNT}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture
def client(project):
    app = create_app(project.with_(query_workers=1))
    with TestClient(app) as c:
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
    assert count(client) == 3
    health = client.get("/health").json()
    assert health["version"] == version
    assert health["last_reload"]["ok"] is False


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
    response = client.post("/admin/reload")
    assert response.status_code == 200, response.text
    assert response.json()["version"] != version
    assert count(client) == 4
    again = client.get("/sparql", params={"query": COUNT}, headers={"If-None-Match": old_tag})
    assert again.status_code == 200  # the old ETag no longer matches


def test_reload_refused_from_elsewhere(project):
    app = create_app(project.with_(query_workers=1))
    with TestClient(app, client=("192.0.2.7", 5000)) as c:
        assert c.post("/admin/reload").status_code == 403


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
