"""A short path for the SPARQL Protocol's query operations: GET, HEAD and POST `/sparql`
answered before routing, inside every middleware (GZip, ETag, size limits, CORS, the response
cache, metrics, security headers, the access log), by the same endpoint functions the routes
call (`api.routers.sparql`). A distinct query pays for its work and the middleware, not for
the router's match and FastAPI's endpoint machinery as well (about an eighth of the server
process's time per distinct query, measured). Exceptions go to the handlers the app
registered, as the exception middleware behind the router would send them; any other method
(PUT, DELETE, OPTIONS without CORS) goes on to the router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .middleware import app_path
from .routers.sparql import router, sparql_get, sparql_post

PATH = "/sparql"
Handler = Callable[[Request, Exception], Awaitable[Response]]


def query_routes() -> dict[str, Any]:
    """The `/sparql` route of each method this path answers (metrics and the access log name
    an answer by its route)."""
    routes: dict[str, Any] = {}
    for route in router.routes:
        if getattr(route, "path", None) == PATH:
            for method in getattr(route, "methods", ()):
                routes.setdefault(method, route)
    return {m: routes[m] for m in ("GET", "HEAD", "POST")}


class QueryLane:
    def __init__(self, app: ASGIApp, handlers: Mapping[Any, Handler]):
        self.app = app
        self.routes = query_routes()
        self.endpoints = {"GET": sparql_get, "HEAD": sparql_get, "POST": sparql_post}
        # The handlers the exception middleware would use; Exception and 500 belong to the
        # outermost server-error layer, as in Starlette, and are left to it.
        self.handlers = {
            kind: handler
            for kind, handler in handlers.items()
            if isinstance(kind, type) and kind is not Exception
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = self.endpoints.get(scope.get("method", "")) if scope["type"] == "http" else None
        if endpoint is None or app_path(scope) != PATH:
            return await self.app(scope, receive, send)
        route = self.routes[scope["method"]]
        scope.update(route=route, endpoint=route.endpoint, path_params={})
        request = Request(scope, receive)
        try:
            response = await endpoint(request)
        except Exception as exc:
            handler = self._handler_for(exc)
            if handler is None:
                raise
            response = await handler(request, exc)
        await response(scope, receive, send)

    def _handler_for(self, exc: Exception) -> Handler | None:
        for kind in type(exc).__mro__:
            if kind in self.handlers:
                return self.handlers[kind]
        return None
