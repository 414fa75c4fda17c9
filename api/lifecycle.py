"""Opening the data and its query workers, at start-up and on reload.

A reload (SIGHUP, or POST /admin/reload from the machine itself) rebuilds off the event loop
and swaps the new data in only when it built completely: a file that does not parse or data
that violates a shape leaves the service answering from its last good data, and the error
(file and line, or the violations) is reported to the caller and on /health.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from smpkg.config import Settings
from smpkg.errors import ConfigurationError, SmpkgError, ValidationFailed

log = logging.getLogger("smpkg.reload")
Progress = Callable[[str], None]
_HERE = Path(__file__).resolve().parent


@dataclass
class Loaded:
    """Everything that changes when the data changes."""

    kg: object | None
    version: str
    executor: object
    info: dict
    mode: str
    files: list[Path]
    etag_seed: str


def _code_digest(settings: Settings) -> str:
    """A hash of the code and named queries that shape responses, so that ETags change when
    they do, not only when the data does."""
    digest = hashlib.sha256()
    roots = [_HERE, _HERE.parent / "smpkg"]
    files = sorted(p for root in roots for p in root.rglob("*")
                   if p.is_file() and p.suffix in (".py", ".html"))
    files += sorted(settings.queries_dir.glob("*.rq")) if settings.queries_dir.is_dir() else []
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def open_data(settings: Settings, say: Progress, observer=None) -> Loaded:
    """Build (or load from the cache) the graph, start its query workers, and describe it.
    Raises the build's error and leaves nothing running when anything fails."""
    from smpkg.executor import QueryExecutor, Source
    from smpkg.load import fingerprint

    if settings.dataset:
        files = [Path(p).resolve() for p in settings.dataset]
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise ConfigurationError(f"no such dataset file: {', '.join(missing)}")
        version = fingerprint(files, Path("/"), "dataset")[:12]
        # Parse once here so that a broken file is reported before any worker starts.
        from smpkg.load import load_dataset

        load_dataset(files)
        source = Source.of_files(files, settings.engine)
        kg, mode = None, "dataset"
        say(f"serving {len(files)} dataset file(s), version {version}")
    else:
        from smpkg.build import build

        kg = build(settings, progress=say)
        version = kg.version
        source = Source.of_graph(kg, settings.engine)
        files, mode = [], "smp"

    public_endpoint = settings.public_url.rstrip("/") + "/sparql" if settings.public_url else None
    executor = QueryExecutor(
        source, workers=settings.query_workers, timeout=settings.query_timeout,
        max_rows=settings.max_rows, version=version, base_iri=public_endpoint,
        observer=observer,
    )
    say(f"starting {settings.query_workers} {settings.engine} query worker(s)")
    executor.start()
    try:
        info = executor.info()
    except BaseException:
        executor.close()
        raise
    say(f"{info['default']['triples']} triples in the default graph, "
        f"{len(info['graphs'])} named graph(s); worker network isolation: {executor.isolation}")
    seed = hashlib.sha256(
        f"{version}|{settings.engine}|{settings.max_rows}|{settings.base_iri}|"
        f"{_code_digest(settings)}".encode()
    ).hexdigest()[:12]
    return Loaded(kg, version, executor, info, mode, files, seed)


def install(app, loaded: Loaded) -> None:
    """Put the loaded data on app.state, where every handler reads it per request."""
    state = app.state
    state.kg = loaded.kg
    state.executor = loaded.executor
    state.version = loaded.version
    state.mode = loaded.mode
    state.dataset_files = loaded.files
    state.dataset_info = loaded.info
    state.etag_seed = loaded.etag_seed
    state.description_cache = {}


def reload(app) -> dict:
    """Rebuild and swap in the new data; on failure keep the old and report why. Blocking:
    call it from a worker thread."""
    state = app.state
    started = time.perf_counter()
    try:
        loaded = open_data(state.settings, log.info, observer=state.metrics.observe_query)
    except SmpkgError as exc:
        lines = [str(exc)]
        if isinstance(exc, ValidationFailed):
            lines += [f.line() for f in exc.report.violations]
        outcome = {"ok": False, "version": state.version, "error": lines[0],
                   "details": lines[1:], "at": time.time()}
        state.last_reload = outcome
        log.warning("reload failed, still serving %s: %s", state.version, lines[0])
        return outcome
    old = state.executor
    install(app, loaded)
    # Requests already waiting on the old workers may finish there (they have at most one
    # deadline left); new ones go to the new pool.
    timer = threading.Timer(state.settings.query_timeout + 1, old.close)
    timer.daemon = True
    timer.start()
    outcome = {"ok": True, "version": loaded.version, "error": None, "details": [],
               "seconds": round(time.perf_counter() - started, 3), "at": time.time()}
    state.last_reload = outcome
    return outcome
