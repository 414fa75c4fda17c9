"""The HTTP service: `create_app(settings)` and one router per surface.

`create_app` builds the graph once (served from the build cache when the inputs are
unchanged) or takes the `--dataset` files, starts the query workers (smpkg.executor), and
returns the FastAPI app with its routers, exception handlers and middleware. There is no
module-level app: `smpkg serve` calls `create_app`, and so can
`uvicorn --factory api:create_app` (settings from the SMPKG_ environment).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Callable

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.concurrency import run_in_threadpool
from starlette.middleware.gzip import GZipMiddleware

from smpkg.config import Settings
from smpkg.errors import ConfigurationError

__all__ = ["create_app"]

Progress = Callable[[str], None]
_HERE = Path(__file__).resolve().parent


def _quiet(_: str) -> None:
    pass


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


def create_app(settings: Settings | None = None, progress: Progress | None = None) -> FastAPI:
    """The service for `settings` (default: from the environment), ready to serve."""
    from smpkg.executor import QueryExecutor, Source
    from smpkg.load import fingerprint

    from . import errors, middleware
    from .metrics import Metrics
    from .routers import ops, service, sparql

    settings = settings or Settings.from_env()
    settings.check()
    say = progress or _quiet

    if settings.dataset:
        files = [Path(p).resolve() for p in settings.dataset]
        missing = [str(p) for p in files if not p.is_file()]
        if missing:
            raise ConfigurationError(f"no such dataset file: {', '.join(missing)}")
        version = fingerprint(files, Path("/"), "dataset")[:12]
        source = Source.of_files(files, settings.engine)
        kg = None
        mode = "dataset"
        say(f"serving {len(files)} dataset file(s), version {version}")
    else:
        from smpkg.build import build

        kg = build(settings, progress=say)
        version = kg.version
        source = Source.of_graph(kg, settings.engine)
        files = []
        mode = "smp"

    metrics = Metrics()
    public_endpoint = settings.public_url.rstrip("/") + "/sparql" if settings.public_url else None
    executor = QueryExecutor(
        source,
        workers=settings.query_workers,
        timeout=settings.query_timeout,
        max_rows=settings.max_rows,
        version=version,
        base_iri=public_endpoint,
        observer=metrics.observe_query,
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

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not executor.started:
            await run_in_threadpool(executor.start)
        yield
        await run_in_threadpool(executor.close)

    app = FastAPI(
        title="smpkg",
        summary="The open knowledge graph of skills mobility partnerships",
        version=version,
        # The interactive docs load their scripts from a CDN: off, so that every page works
        # offline. /openapi.json stays.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    state = app.state
    state.settings = settings
    state.kg = kg
    state.executor = executor
    state.version = version
    state.mode = mode
    state.dataset_files = files
    state.dataset_info = info
    state.metrics = metrics
    state.started_at = time.time()
    state.description_cache = {}
    state.etag_seed = hashlib.sha256(
        f"{version}|{settings.engine}|{settings.max_rows}|{settings.base_iri}|"
        f"{_code_digest(settings)}".encode()
    ).hexdigest()[:12]

    errors.install(app)
    app.include_router(sparql.router)
    app.include_router(service.router)
    app.include_router(ops.router)
    state.has_named_queries = False
    if importlib.util.find_spec("api.routers.queries") is not None:
        queries = importlib.import_module("api.routers.queries")
        if hasattr(queries, "install"):
            queries.install(app)
        else:
            app.include_router(queries.router)
        state.has_named_queries = True

    # Added innermost first: GZip, ETag/304, size limit (413), CORS, metrics (outermost).
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    app.add_middleware(middleware.ETagMiddleware, seed=state.etag_seed)
    app.add_middleware(middleware.SizeLimitMiddleware, limit=settings.max_request_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=False,
        allow_methods=["GET", "POST", "HEAD", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=["ETag", "SMPKG-Truncated", "SMPKG-Max-Rows", "Retry-After"],
        max_age=86400,
    )
    app.add_middleware(middleware.MetricsMiddleware, metrics=metrics, known_paths=frozenset(
        {"/", "/sparql", "/health", "/metrics", "/openapi.json", "/queries"}))
    return app
