"""Opening the data and its query workers, at start-up and on reload.

A reload (SIGHUP, or POST /admin/reload with the admin token) rebuilds off the event loop
and swaps the new data in only when it built completely: a file that does not parse or data
that violates a shape leaves the service answering from its last good data, and the error
(file and line, or the violations) is reported to the caller and on /health.

What the query workers open: with the oxigraph engine, the build's on-disk store, written
once per build version by the first process to start (`serving.prepare_store`) and opened
read-only by every worker of every server process; with SMPKG_STORE_URL, an external SPARQL
store that must hold the build (`check_store`), while the build itself is still made here,
for what does not come from SPARQL (dumps, ontology documentation). Builds and stores are made
under a lock in the cache, so processes that start together make each one once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NamedTuple

from smpkg.config import Settings
from smpkg.errors import ConfigurationError, SmpkgError, ValidationFailed
from smpkg.executor import QueryExecutor, Source
from smpkg.load import fingerprint, load_dataset
from smpkg.namespaces import GRAPH_FILES
from smpkg.remote_store import redacted
from smpkg.serving import build_once, executor_limits, prepare_store

from .snapshot import Snapshot
from .void_documents import prepare_void

log = logging.getLogger("smpkg.reload")
Progress = Callable[[str], None]
_HERE = Path(__file__).resolve().parent


def _code_digest(settings: Settings) -> str:
    """A hash of the code and named queries that shape responses, so that ETags change when
    they do, not only when the data does."""
    digest = hashlib.sha256()
    files = sorted(p for root in (_HERE, _HERE.parent / "smpkg") for p in _code_files(root))
    files += sorted(settings.queries_dir.glob("*.rq")) if settings.queries_dir.is_dir() else []
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _code_files(root: Path) -> Iterator[Path]:
    """The .py and .html files under `root`, at start-up: os.walk lists each directory once
    and stats no file, and __pycache__ is skipped (4.5 ms for both packages, where
    `rglob("*")` with `is_file` took 7, measured)."""
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = [d for d in subdirectories if d != "__pycache__"]
        yield from (Path(directory, n) for n in names if n.endswith((".py", ".html")))


class Opened(NamedTuple):
    """What the workers will serve, before they start."""

    kg: Any  # the build, None for --dataset files
    version: str
    files: list[Path]
    mode: str  # "smp" or "dataset"
    source: Source
    known: dict | None  # dataset statistics known without asking a worker


def _open_files(settings: Settings, say: Progress) -> Opened:
    """The --dataset files, parsed once here so that a broken file is reported before any
    worker starts."""
    if settings.store_url:
        raise ConfigurationError(
            "SMPKG_STORE_URL serves the published SMP graph; it cannot be combined with --dataset"
        )
    files = [Path(p).resolve() for p in settings.dataset]
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise ConfigurationError(f"no such dataset file: {', '.join(missing)}")
    version = fingerprint(files, Path("/"), "dataset")[:12]
    load_dataset(files)
    say(f"serving {len(files)} dataset file(s), version {version}")
    return Opened(None, version, files, "dataset", Source.of_files(files, settings.engine), None)


def _open_build(settings: Settings, say: Progress) -> Opened:
    """The build (from the cache when its inputs are unchanged), served by its on-disk store,
    its files, or the external store it was published to."""
    kg = build_once(settings, say)
    if settings.store_url:
        graphs = [str(g) for g in GRAPH_FILES.values()]
        source = Source.of_store(settings.store_url, graphs, timeout=settings.query_timeout)
        say(f"answering from the external store {redacted(source.url or '')}")
        return Opened(kg, kg.version, [], "smp", source, None)
    known = prepare_store(kg, settings, say)
    source = Source.of_graph(kg, settings.engine, settings.memory_store_up_to)
    return Opened(kg, kg.version, [], "smp", source, known)


def open_data(settings: Settings, say: Progress, observer=None, wait: bool = True) -> Snapshot:
    """Build (or load from the cache) the graph, start its query workers, and describe it.
    Raises the build's error and leaves nothing running when anything fails. With `wait`
    false, the workers are only launched when the dataset is described without them (the
    caller then calls `executor.start()` to wait for them)."""
    opened = _open_files(settings, say) if settings.dataset else _open_build(settings, say)
    kg, version, files, mode, source, known = opened
    public_endpoint = settings.public_url.rstrip("/") + "/sparql" if settings.public_url else None
    executor = QueryExecutor(
        source,
        workers=settings.query_workers,
        timeout=settings.query_timeout,
        max_rows=settings.max_rows,
        version=version,
        base_iri=public_endpoint,
        observer=observer,
        info=known,
        # Shared by every server process of `smpkg serve --workers N`, per data version.
        crash_dir=settings.cache_path / "crashes" / version,
        **executor_limits(settings),
    )
    say(
        f"starting {settings.query_workers} {source.engine} query worker(s)"
        + (" in memory" if source.in_memory else " on the on-disk store" if source.store else "")
    )
    if wait or known is None or source.url:
        executor.start()
    else:
        executor.launch()
    try:
        info = executor.info()
        if source.url:
            check_store(kg, executor, redacted(source.url))
    except BaseException:
        executor.close()
        raise
    say(
        f"{info['default']['triples']} triples in the default graph, "
        f"{len(info['graphs'])} named graph(s)"
        + (f"; worker network isolation: {executor.isolation}" if executor.started else "")
    )
    seed = hashlib.sha256(
        f"{version}|{settings.engine}|{settings.max_rows}|{settings.base_iri}|"
        f"{settings.store_url}|{_code_digest(settings)}".encode()
    ).hexdigest()[:12]
    return Snapshot(settings, kg, executor, version, mode, tuple(files), info, seed)


def local_graph_counts(kg) -> dict[str, int]:
    """Triples per named graph of a build, from its N-Triples files (one triple a line)."""
    counts = {}
    for name, iri in GRAPH_FILES.items():
        with open(kg.path(name), "rb") as f:
            counts[str(iri)] = sum(
                1 for line in f if line.strip() and not line.lstrip().startswith(b"#")
            )
    return counts


def check_store(kg, executor, url: str) -> None:
    """Refuse to serve from an external store that does not hold this build (never
    published, or published from other data): named queries would contradict the resource
    pages and dumps, which come from the local build."""
    info = executor.info()
    remote = {g: c["triples"] for g, c in info["graphs"].items()}
    for graph, count in local_graph_counts(kg).items():
        if remote.get(graph, 0) != count:
            raise ConfigurationError(
                f"the store at {url} does not hold build {kg.version}: graph <{graph}> has "
                f"{remote.get(graph, 0)} triples there and {count} here; publish the build "
                f"first (smpkg publish --to <the store's Graph Store Protocol URL>)"
            )


def install(app, snapshot: Snapshot) -> None:
    """Serve `snapshot` from now on: one assignment, which every request reads once
    (`snapshot.current`)."""
    app.state.snapshot = snapshot


@dataclass(frozen=True)
class ReloadOutcome:
    """What a reload did: kept on the app state for /health and answered to the admin."""

    ok: bool
    version: str
    at: float
    error: str | None = None
    details: tuple[str, ...] = ()
    seconds: float | None = None
    busy: bool = False

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"details": list(self.details)}

    def public(self) -> dict[str, Any]:
        """For anyone (/health): whether it worked and when, not the files it read."""
        return {"ok": self.ok, "version": self.version, "at": self.at}


# One reload at a time, in this process: SIGHUP and POST /admin/reload share it, and a second
# one asked for meanwhile is refused at once rather than building a second copy beside it.
_reloading = threading.Lock()


def reload(app) -> ReloadOutcome:
    """Rebuild and swap in the new data; on failure keep the old and report why. Blocking:
    call it from a worker thread."""
    state = app.state
    if not _reloading.acquire(blocking=False):
        return ReloadOutcome(
            ok=False,
            version=state.snapshot.version,
            at=time.time(),
            error="a reload is already running; try again when it has finished",
            busy=True,
        )
    try:
        outcome = _rebuild(app)
    finally:
        _reloading.release()
    state.last_reload = outcome
    return outcome


def _rebuild(app) -> ReloadOutcome:
    state = app.state
    started = time.perf_counter()
    try:
        loaded = open_data(state.settings, log.info, observer=state.metrics.observe_query)
    except SmpkgError as exc:
        lines = [str(exc)]
        if isinstance(exc, ValidationFailed):
            lines += [f.line() for f in exc.report.violations]
        root = f"{state.settings.root}/"
        lines = [line.replace(root, "") for line in lines]
        log.warning("reload failed, still serving %s: %s", state.snapshot.version, lines[0])
        return ReloadOutcome(
            ok=False,
            version=state.snapshot.version,
            at=time.time(),
            error=lines[0],
            details=tuple(lines[1:]),
        )
    # Made here, off the request path, so that the first resource page, search or VoID after
    # a reload does not wait for them (at start-up the explainer, the search index and the
    # stored documents are made at their first use, start-up time counting more; VoID, read
    # from the new build's products, is put in by create_app).
    _ = loaded.explainer
    _ = loaded.stored_search
    _ = loaded.resource_documents
    prepare_void(loaded)
    old = state.snapshot.executor
    install(app, loaded)
    # Requests already waiting on the old workers may finish there (they have at most one
    # deadline left); new ones go to the new pool.
    timer = threading.Timer(state.settings.query_timeout + 1, old.close)
    timer.daemon = True
    timer.start()
    log.info("reloaded: now serving %s", loaded.version)
    return ReloadOutcome(
        ok=True,
        version=loaded.version,
        at=time.time(),
        seconds=round(time.perf_counter() - started, 3),
    )
