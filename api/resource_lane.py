"""A short path for the RDF documents of `/id/...`: answered before routing, inside every
middleware (ETag, CORS, the response cache, metrics, security headers, the access log), so
that such a document costs what its look-ups and writing cost plus the middleware, not the
router's walk over every route and FastAPI's endpoint machinery as well (a profile of a
Turtle page put them at about a third of the server's time). Anything else, and any `/id/`
request this path does not answer (a page for a browser, an error of negotiation), goes on
to the router, which answers it as before (`api.routers.resources`)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from .middleware import app_path
from .routers.resources import rdf_document, router

PREFIX = "/id/"
TEMPLATE = PREFIX + "{path:path}"


def resource_route() -> Any:
    """The `/id/` route (GET), which the metrics and the access log name an answer by."""
    return next(
        r
        for r in router.routes
        if getattr(r, "path", None) == TEMPLATE and "GET" in getattr(r, "methods", ())
    )


class ResourceLane:
    def __init__(self, app: ASGIApp):
        self.app = app
        self.route = resource_route()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        path = app_path(scope)
        if not path.startswith(PREFIX):
            return await self.app(scope, receive, send)
        response = await rdf_document(Request(scope, receive), path[len(PREFIX) :])
        if response is None:
            return await self.app(scope, receive, send)
        scope["route"] = self.route
        await response(scope, receive, send)
