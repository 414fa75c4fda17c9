"""Scale-out on one machine: `smpkg serve --workers N` runs N server processes on one port,
which share one on-disk store written once per build (in the parent, before they start) and
opened read-only by every query worker of every process."""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from smpkg.build import build
from smpkg.config import Settings
from smpkg.disk_store import (
    DISK_STORE_DIR,
    DISK_STORE_MARKER,
    disk_store_info,
    ensure_disk_store,
    open_disk_store,
)
from smpkg.executor import QueryExecutor, Source
from smpkg.namespaces import GRAPH_FILES
from smpkg.statistics import dataset_statistics

GRAPHS = {name: str(iri) for name, iri in GRAPH_FILES.items()}
COUNT = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"


def copy_build(kg, root: Path) -> Path:
    """A copy of a build's directory (without its on-disk store) under `root`, where
    build() finds it as the cached build of the same inputs."""
    target = root / kg.directory.name
    target.mkdir(parents=True)
    for path in kg.directory.iterdir():
        if path.is_file() and not path.name.startswith("."):
            shutil.copy2(path, target / path.name)
    return target


@pytest.fixture
def cache(tmp_path, smp_graph) -> Path:
    """A private build cache holding the curated build, with no on-disk store yet: one per
    test, so that a test that writes the store leaves none for the next to find."""
    copy_build(smp_graph, tmp_path)
    return tmp_path


def store_identity(directory: Path) -> tuple[int, int]:
    store = directory / DISK_STORE_DIR
    return store.stat().st_ino, (store / DISK_STORE_MARKER).stat().st_mtime_ns


def pids_seen(url: str, wanted: int = 2, limit: float = 60.0) -> set[int]:
    """The server processes that answer /health, over many new connections (a kept-alive
    connection stays with one process), until `wanted` have answered or `limit` seconds
    have passed (the second process may still be starting when the first answers)."""
    seen: set[int] = set()
    deadline = time.monotonic() + limit
    limits = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(timeout=10, limits=limits) as client, ThreadPoolExecutor(4) as pool:
        while len(seen) < wanted and time.monotonic() < deadline:
            seen.update(pool.map(lambda _: client.get(url + "/health").json()["pid"], range(8)))
            time.sleep(0.01)
    return seen


# --------------------------------------------------------------------------- the store


def test_the_store_is_written_once_whatever_the_callers(tmp_path, smp_graph):
    directory = copy_build(smp_graph, tmp_path)
    results, writes = [], []

    def stats(engine):
        writes.append(threading.get_ident())
        return dataset_statistics(engine)

    threads = [
        threading.Thread(
            target=lambda: results.append(ensure_disk_store(directory, GRAPHS, statistics=stats))
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(writes) == 1
    assert len({r[1]["written"] for r in results}) == 1
    meta = disk_store_info(directory)
    assert meta["graphs"] == {iri: len(getattr(smp_graph, name)) for name, iri in GRAPHS.items()}
    assert not [p for p in directory.iterdir() if p.name.startswith(".oxigraph-")]
    # Two read-only openings at once, as two query workers do.
    first, second = (
        open_disk_store(directory / DISK_STORE_DIR),
        open_disk_store(directory / DISK_STORE_DIR),
    )
    assert len(first) == len(second) == sum(meta["graphs"].values())
    assert meta["statistics"] == dataset_statistics(first)


def test_a_store_of_another_pyoxigraph_is_rewritten(tmp_path, smp_graph):
    directory = copy_build(smp_graph, tmp_path)
    ensure_disk_store(directory, GRAPHS)
    marker = directory / DISK_STORE_DIR / DISK_STORE_MARKER
    marker.write_text(marker.read_text().replace('"pyoxigraph": "', '"pyoxigraph": "0.0.0-'))
    assert disk_store_info(directory) is None
    _, meta = ensure_disk_store(directory, GRAPHS)
    assert disk_store_info(directory) == meta


def test_query_workers_open_the_store(tmp_path, smp_graph):
    directory = copy_build(smp_graph, tmp_path)
    kg = build(Settings.from_env(cache_dir=tmp_path))
    assert kg.directory == directory
    assert Source.of_graph(kg, "oxigraph").kind == "graph"  # no store yet: N-Triples
    ensure_disk_store(directory, GRAPHS)
    source = Source.of_graph(kg, "oxigraph")
    assert source.kind == "disk" and Source.of_graph(kg, "rdflib").kind == "graph"
    copied = Source.of_graph(kg, "oxigraph", memory_up_to=len(smp_graph.asserted) * 10)
    assert copied.kind == "memory" and copied.in_memory and not source.in_memory
    assert not Source.of_graph(kg, "oxigraph", memory_up_to=100).in_memory
    expected = [
        f"{iri},{len(getattr(smp_graph, name))}"
        for iri, name in sorted((iri, name) for name, iri in GRAPHS.items())
    ]
    for each in (source, copied):
        with QueryExecutor(each, workers=2, timeout=10) as executor:
            body = executor.execute_blocking(COUNT, accept="text/csv").body.decode()
        assert body.splitlines()[1:] == expected


# --------------------------------------------------------------------------- settings


def test_settings_travel_through_the_environment(tmp_path):
    settings = Settings.from_env(
        {},
        query_timeout=2.5,
        max_rows=7,
        cache_dir=tmp_path,
        dataset=(tmp_path / "a.ttl", tmp_path / "b.trig"),
        store_url="http://127.0.0.1:7878/store",
    )
    assert Settings.from_env(settings.to_env()) == settings
    assert Settings.from_env({"SMPKG_STORE": "http://h/store"}).store_url == "http://h/store"
    assert (
        Settings.from_env({"SMPKG_STORE": "http://a", "SMPKG_STORE_URL": "http://b"}).store_url
        == "http://b"
    )


# --------------------------------------------------------------------------- live servers


def test_two_server_processes_share_one_store(serve, cache, smp_graph):
    # Small builds are loaded into each worker's memory by default; this test is about the
    # store on disk that large ones share.
    env = {"SMPKG_CACHE_DIR": str(cache), "SMPKG_MEMORY_STORE_UP_TO": "0"}
    directory = cache / smp_graph.directory.name
    assert disk_store_info(directory) is None
    server = serve(args=["--workers", "2"], workers=1, env=env)
    assert server.stderr.count("writing the on-disk store") == 1  # by the parent, once
    identity = store_identity(directory)

    assert len(pids_seen(server.url)) == 2
    doc = server.health()
    assert doc["store"] == "disk" and doc["status"] == "ok"
    r = httpx.post(
        server.endpoint, data={"query": COUNT}, headers={"Accept": "text/csv"}, timeout=30
    )
    assert r.status_code == 200
    assert r.text.splitlines()[1:] == [
        f"{iri},{len(getattr(smp_graph, name))}"
        for iri, name in sorted((iri, name) for name, iri in GRAPHS.items())
    ]
    named = httpx.get(
        server.url + "/queries/initiatives-by-origin",
        params={"country": "country:MAR", "format": "csv"},
        timeout=30,
    )
    assert named.status_code == 200 and "Morocco" in named.text
    assert store_identity(directory) == identity  # no server process wrote it again
    server.stop()


def test_start_up_from_the_cache(serve, cache, smp_graph):
    """One server process, the build and its store cached: the store is opened, not written
    again; and how long until /health answers. (The target is
    under 1 s on an idle machine; the bound here allows for a loaded CI machine.)"""
    env = {"SMPKG_CACHE_DIR": str(cache)}
    directory = cache / smp_graph.directory.name
    ensure_disk_store(directory, GRAPHS)
    identity = store_identity(directory)
    server = serve(workers=2, env=env)
    assert "writing the on-disk store" not in server.stderr
    assert server.health()["store"] == "memory"  # the curated build is small
    assert store_identity(directory) == identity
    print(f"\nstart-up from the cached build and store: {server.ready_after:.2f} s")
    assert server.ready_after < 10
    server.stop()
