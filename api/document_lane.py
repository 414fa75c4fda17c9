"""The shortest path of the service: a resource's Turtle document read from the build's stored
documents (`smpkg.document_product`) and answered inside the response edge only (security
headers, metrics, the access line), before every other layer (the response cache, CORS, size
limits, ETag, GZip, the router): what those would add to such an answer is added here, by
their own rules (`etag_for`, the cache lifetime, GZip's minimum size, where CORS applies), so
the answer is the one the longer path gives (a test compares them header by header).

Only the plain case is answered here: GET or HEAD of `/id/...` negotiating Turtle (by the
Accept header or `.ttl`), no query string, no `Origin` (CORS) and no `If-None-Match` (a 304),
for a resource whose document the build stored. Anything else goes on unchanged. A client
that accepts gzip gets the stored gzip bytes as they are, where GZip would compress."""

from __future__ import annotations

import zlib
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from smpkg.errors import UnsupportedFormat
from smpkg.formats import BY_KEY

from .middleware import GZIP_MINIMUM, app_path, cache_control, etag_for
from .negotiation import choose_format
from .resource_lane import PREFIX, resource_route
from .routers.resources import OFFERED, document_response, split_extension
from .security import cors_applies
from .snapshot import Snapshot

TURTLE = BY_KEY["turtle"]
# zlib reads one gzip member in C; gzip.decompress walks members in Python first.
GZIP_WBITS = 31
_SKIP = frozenset({b"origin", b"if-none-match"})


class StoredDocumentLane:
    def __init__(self, app: ASGIApp, snapshot: Callable[[Scope], Snapshot]):
        self.app = app
        self.snapshot = snapshot
        self.route = resource_route()
        self.cache_control = cache_control()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope.get("query_string")
            or any(name in _SKIP for name, _ in scope["headers"])
        ):
            return await self.app(scope, receive, send)
        path = app_path(scope)
        if not path.startswith(PREFIX):
            return await self.app(scope, receive, send)
        state = self.snapshot(scope)
        documents = state.resource_documents
        if documents is None:
            return await self.app(scope, receive, send)
        stem, fixed = split_extension(path[len(PREFIX) :], OFFERED)
        headers = Headers(scope=scope)
        try:
            fmt = fixed or choose_format(headers.get("accept"), None, OFFERED)
        except UnsupportedFormat:
            fmt = None
        stored = documents.turtle(f"{state.settings.base_iri}id/{stem}") if fmt is TURTLE else None
        if stored is None:
            return await self.app(scope, receive, send)
        compressed, size = stored
        zipped = size >= GZIP_MINIMUM and "gzip" in headers.get("accept-encoding", "")
        body = compressed if zipped else zlib.decompress(compressed, GZIP_WBITS)
        root = scope.get("root_path", "")
        response = document_response(body, f"{root}{PREFIX}{stem}", TURTLE, fixed)
        if size >= GZIP_MINIMUM:
            response.headers.add_vary_header("Accept-Encoding")
        if cors_applies(scope["path"]):
            # Starlette's CORS names Origin in Vary on every answer it passes.
            response.headers.add_vary_header("Origin")
        if zipped:
            response.headers["Content-Encoding"] = "gzip"
        response.headers["ETag"] = etag_for(state.etag_seed, scope)
        response.headers["Cache-Control"] = self.cache_control
        scope["route"] = self.route
        await response(scope, receive, send)
