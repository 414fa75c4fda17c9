"""The HTTP service: `create_app(settings)` and one router per surface.

`create_app` builds the graph once (served from the build cache when the inputs are
unchanged) or takes the `--dataset` files, starts the query workers (smpkg.executor), and
returns the FastAPI app with its routers, exception handlers and middleware. There is no
module-level app: `smpkg serve` calls `create_app`, and so can
`uvicorn --factory api:create_app` (settings from the SMPKG_ environment).
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from contextlib import asynccontextmanager

from smpkg.config import Settings

__all__ = ["create_app"]

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def create_app(settings: Settings | None = None, progress: Progress | None = None):
    """The service for `settings` (default: from the environment), ready to serve."""
    from . import lifecycle
    from .metrics import Metrics

    settings = settings or Settings.from_env()
    settings.check()
    say = progress or _quiet

    metrics = Metrics()
    # The query workers load their data while this process imports the web stack and sets
    # up its routes; they are waited for at the end.
    loaded = lifecycle.open_data(settings, say, observer=metrics.observe_query, wait=False)
    try:
        app = _app(settings, metrics, loaded)
        loaded.executor.start()
    except BaseException:
        loaded.executor.close()
        raise
    say(
        f"{settings.query_workers} query worker(s) ready; network isolation: "
        f"{loaded.executor.isolation}"
    )
    return app


def _app(settings: Settings, metrics, loaded):
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware
    from starlette.concurrency import run_in_threadpool
    from starlette.middleware.gzip import GZipMiddleware

    from . import app as webapp
    from . import errors, lifecycle, middleware, security
    from .routers import admin, downloads, ops, queries, resources, service, sparql

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not app.state.executor.started:
            await run_in_threadpool(app.state.executor.start)
        loop = asyncio.get_running_loop()
        try:
            loop.add_signal_handler(
                signal.SIGHUP,
                lambda: asyncio.ensure_future(run_in_threadpool(lifecycle.reload, app)),
            )
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # not the main thread (TestClient) or no signals here: /admin/reload remains
        yield
        await run_in_threadpool(app.state.executor.close)

    app = FastAPI(
        title="smpkg",
        summary="The open knowledge graph of skills mobility partnerships",
        version=loaded.version,
        # The interactive docs load their scripts from a CDN: off, so that every page works
        # offline. /openapi.json stays.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    state = app.state
    state.settings = settings
    state.metrics = metrics
    state.started_at = time.time()
    state.last_reload = None
    lifecycle.install(app, loaded)

    errors.install(app)
    webapp.install(app)
    app.include_router(sparql.router)
    app.include_router(service.router)
    app.include_router(ops.router)
    app.include_router(admin.router)
    app.include_router(resources.router)
    app.include_router(downloads.router)
    queries.install(app)
    state.has_named_queries = True

    # Added innermost first: GZip, ETag/304, size limit (413), CORS, the response cache,
    # metrics (outermost, so that it counts replayed responses too).
    app.add_middleware(GZipMiddleware, minimum_size=2048)
    app.add_middleware(middleware.ETagMiddleware, seed=lambda: state.etag_seed)
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
    app.add_middleware(
        middleware.ResponseCache,
        seed=lambda: state.etag_seed,
        metrics=metrics,
        max_entries=settings.response_cache_entries,
    )
    app.add_middleware(
        middleware.MetricsMiddleware,
        metrics=metrics,
        known_paths=frozenset({"/", "/sparql", "/health", "/metrics", "/openapi.json", "/queries"}),
    )
    app.add_middleware(security.SecurityHeaders)
    return app
