"""The HTTP service: `create_app(settings)` and one router per surface.

`create_app` builds the graph once (served from the build cache when the inputs are
unchanged) or takes the `--dataset` files, starts the query workers (smpkg.executor), and
returns the FastAPI app with its routers, exception handlers and middleware. There is no
module-level app: `smpkg serve` calls `create_app`, and so can
`uvicorn --factory api:create_app` (settings from the SMPKG_ environment).

Why FastAPI rather than plain Starlette: the service uses neither FastAPI's request
validation nor its dependency injection (handlers read the request and the served snapshot
themselves, so that a client mistake gets the service's own 400 with the parser's message),
but it does use the OpenAPI document FastAPI writes from the routes: every operation, its
path and query parameters, media types and error statuses, in one place with the handler
that serves it. On plain Starlette that document would be a second, hand-kept description
of the routes, free to drift from them. The price is start-up (importing FastAPI is about a
third of it); what FastAPI would build per route beyond that is avoided: handlers declare no
path parameter (each is a pydantic model built at start-up, 35 ms for the service's 21 with
pydantic.v1's import, measured) but read `request.path_params`, and `api.openapi` documents
each `{name}` of a path from the path itself. Routes are plain `router.get` /
`add_api_route` registrations; new routers are added in `_app` with `include_router`.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable
from contextlib import asynccontextmanager

from smpkg import forkserver
from smpkg.config import Settings

__all__ = ["create_app", "create_app_after_forkserver"]

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def create_app(settings: Settings | None = None, progress: Progress | None = None):
    """The service for `settings` (default: from the environment), ready to serve."""
    # Deferred, here and in `_app`: `smpkg serve --workers N` hands uvicorn
    # `create_app_after_forkserver`, which must start the fork server before the web stack
    # (FastAPI, the routers) is imported, so that the two sets of imports overlap.
    from . import lifecycle  # noqa: PLC0415 - after the fork server (see above)
    from .metrics import Metrics  # noqa: PLC0415 - after the fork server (see above)

    settings = settings or Settings.from_env()
    settings.check()
    say = progress or _quiet

    metrics = Metrics()
    # The query workers load their data while this process imports the web stack and sets
    # up its routes (lifecycle imports none of it: tests/test_architecture.py); they are
    # waited for at the end.
    loaded = lifecycle.open_data(settings, say, observer=metrics.observe_query, wait=False)
    try:
        app = _app(settings, metrics, loaded)
        metrics.watch(lambda: app.state.snapshot.executor)
        loaded.executor.start()
    except BaseException:
        loaded.executor.close()
        raise
    say(
        f"{settings.query_workers} query worker(s) ready; network isolation: "
        f"{loaded.executor.isolation}"
    )
    return app


def create_app_after_forkserver():
    """`create_app`, the query workers' fork server started first: the factory `smpkg serve
    --workers N` gives uvicorn for each server process, so that in each the fork server's
    imports overlap the app's (settings from the SMPKG_ environment)."""
    forkserver.start()
    return create_app()


def _stop(app) -> None:
    """At shutdown: the query workers, then this process's share of the metrics."""
    app.state.snapshot.executor.close()
    app.state.metrics.close()


def _app(settings: Settings, metrics, loaded):
    # asyncio is 30 of the 39 ms `import api.cli` took with it at the top (`python -X
    # importtime`): every `smpkg` command imports this package, and only serving needs it.
    import asyncio  # noqa: PLC0415 - measured above

    from fastapi import FastAPI  # noqa: PLC0415 - after the fork server (see create_app)
    from starlette.concurrency import run_in_threadpool  # noqa: PLC0415

    from . import errors, lifecycle, openapi, void_documents  # noqa: PLC0415
    from .app import routes as webapp  # noqa: PLC0415
    from .routers import admin, downloads, ops, queries, resources, service, sparql  # noqa: PLC0415

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not app.state.snapshot.executor.started:
            await run_in_threadpool(app.state.snapshot.executor.start)
        loop = asyncio.get_running_loop()
        # Not the main thread (TestClient) or no signals here: /admin/reload remains.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(
                signal.SIGHUP,
                lambda: asyncio.ensure_future(run_in_threadpool(lifecycle.reload, app)),
            )
        yield
        await run_in_threadpool(_stop, app)

    app = FastAPI(
        title="smpkg",
        summary="The open knowledge graph of skills mobility partnerships",
        version=loaded.version,
        # The interactive docs load their scripts from a CDN: off, so that every page works
        # offline. /openapi.json stays.
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        # FastAPI's own OpenTelemetry hooks: the service reports through /metrics and its
        # access log; left on, they ask the OpenTelemetry providers on every request
        # (about 4 % of a stored resource document's time, measured).
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    state = app.state
    state.settings = settings
    state.metrics = metrics
    state.started_at = time.time()
    state.last_reload = None
    lifecycle.install(app, loaded)
    # The build's VoID documents (rendered here only for a service they do not fit), so that
    # no request pays for them.
    void_documents.prepare_void(loaded)

    errors.install(app)
    # The query endpoint first: a router tries its routes in order, and a distinct query
    # should not be matched against every page of the site before its own route (no page
    # shares its path). Then /health and /metrics, asked by every probe and scrape: FastAPI
    # readies an included router's routes when a request first reaches it, so the first
    # /health after start (the readiness signal) no longer waits for the site's (4 ms, measured).
    app.include_router(sparql.router)
    app.include_router(ops.router)
    webapp.install(app)
    app.include_router(service.router)
    app.include_router(admin.router)
    app.include_router(resources.router)
    app.include_router(downloads.router)
    queries.install(app)
    openapi.install(app)

    _install_middleware(app, settings, metrics)
    return app


def _install_middleware(app, settings: Settings, metrics) -> None:
    """Added innermost first: the short paths of RDF resource documents and of SPARQL
    queries, GZip (not for the dump files), ETag/304, size limits (413/431), CORS, the
    response cache, the shortest path (stored Turtle documents, answered inside the edge
    only), and outermost the response edge: security headers, metrics and the access log in
    one layer, which sees every response, replayed ones included."""
    from . import middleware, response_edge, security, snapshot  # noqa: PLC0415 - see _app
    from .document_lane import StoredDocumentLane  # noqa: PLC0415 - see _app
    from .query_lane import QueryLane  # noqa: PLC0415 - see _app
    from .resource_lane import ResourceLane  # noqa: PLC0415 - see _app

    app.add_middleware(ResourceLane)
    app.add_middleware(QueryLane, handlers=app.exception_handlers)
    app.add_middleware(middleware.GZipExceptDumps, minimum_size=middleware.GZIP_MINIMUM)
    app.add_middleware(
        middleware.ETagMiddleware, seed=lambda scope: snapshot.pinned(scope, app).etag_seed
    )
    app.add_middleware(middleware.SizeLimitMiddleware, **middleware.size_limits(settings))
    app.add_middleware(
        security.ReadOnlyCors,
        expose_headers=("ETag", "SMPKG-Truncated", "SMPKG-Max-Rows", "Retry-After"),
    )
    app.add_middleware(
        middleware.ResponseCache,
        seed=lambda scope: snapshot.pinned(scope, app).etag_seed,
        metrics=metrics,
        **middleware.cache_bounds(settings),
    )
    app.add_middleware(StoredDocumentLane, snapshot=lambda scope: snapshot.pinned(scope, app))
    app.add_middleware(
        response_edge.ResponseEdge,
        metrics=metrics,
        engine="remote" if settings.store_url else settings.engine,
        log_queries=settings.log_queries,
        known_paths=frozenset({"/", "/sparql", "/health", "/metrics", "/openapi.json", "/queries"}),
    )
