"""The on-disk store of a build: `<build>/oxigraph`, a pyoxigraph store written once per build
version from the build's N-Triples files (whole or absent, under a lock), then opened
read-only by every query worker of every server process."""

from __future__ import annotations

import fcntl
import gc
import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import pyoxigraph as ox

from .atomic import staged_directory
from .engine import Engine, first_line
from .errors import ConfigurationError
from .namespaces import graph_file
from .oxigraph_engine import OxigraphEngine, count_of

DISK_STORE_DIR = "oxigraph"
DISK_STORE_MARKER = "smpkg-store.json"


def disk_store_info(directory: Path | str) -> dict | None:
    """The marker of the on-disk store in a build directory, or None when there is no usable
    store there (absent, or written by another pyoxigraph version)."""
    marker = Path(directory) / DISK_STORE_DIR / DISK_STORE_MARKER
    try:
        meta = json.loads(marker.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("pyoxigraph") != ox.__version__:
        return None
    return meta


def ensure_disk_store(
    directory: Path | str,
    graphs: Mapping[str, str],
    statistics: Callable[[Engine], dict] | None = None,
    progress: Callable[[str], None] | None = None,
) -> tuple[Path, dict]:
    """The on-disk pyoxigraph store of a build, `<directory>/oxigraph`, written the first time
    from the build's N-Triples files (`graphs`: file stem -> graph IRI, each file into its
    named graph) and reused afterwards: (its path, its marker).

    The store is bulk-loaded into a temporary directory, closed, and renamed into place, so it
    is whole or absent; processes that start together wait on a lock file and the later ones
    find it built. `statistics`, if given, is computed once from the new store and kept in the
    marker, so that servers starting from the store do not count the dataset again."""
    directory = Path(directory)
    target = directory / DISK_STORE_DIR
    meta = disk_store_info(directory)
    if meta is not None:
        return target, meta
    with open(directory / ".oxigraph.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        meta = disk_store_info(directory)
        if meta is not None:
            return target, meta
        if progress:
            progress(f"writing the on-disk store {target}")
        started = time.perf_counter()
        with staged_directory(target, ".oxigraph-") as tmp:
            store = ox.Store(str(tmp))
            triples: dict[str, int] = {}
            for name, iri in graphs.items():
                graph = ox.NamedNode(str(iri))
                # The build wrote these files from terms a parser has checked already.
                store.bulk_load(
                    path=str(graph_file(directory, name)),
                    format=ox.RdfFormat.N_TRIPLES,
                    to_graph=graph,
                    lenient=True,
                )
                counted = store.query(
                    f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}"
                )
                triples[str(iri)] = count_of(counted)
            store.optimize()
            stats = statistics(OxigraphEngine(store)) if statistics else None
            del store
            gc.collect()  # closes the store (pyoxigraph has no close())
            meta = {
                "pyoxigraph": ox.__version__,
                "graphs": triples,
                "statistics": stats,
                "seconds": round(time.perf_counter() - started, 3),
                "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            (tmp / DISK_STORE_MARKER).write_text(json.dumps(meta, indent=1))
    return target, meta


def open_disk_store(path: Path | str) -> OxigraphEngine:
    """The engine over an on-disk store, opened read-only: any number of processes may open
    the same store at once (nothing writes to it once it is renamed into place)."""
    try:
        return OxigraphEngine(ox.Store.read_only(str(path)))
    except OSError as exc:
        raise ConfigurationError(f"cannot open the store {path}: {first_line(exc)}") from None
