"""ASGI middleware: request size limits (413), metrics, and ETag / 304 from the dataset version.

All three are plain ASGI so that they see every response, errors included, and add no
per-request thread hops.
"""

from __future__ import annotations

import hashlib
import time
from typing import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smpkg.errors import PayloadTooLarge

from .errors import render_error

# Freshness of a cacheable response. The dataset only changes when the service restarts on a
# new build; clients revalidate cheaply with If-None-Match afterwards.
CACHE_MAX_AGE = 300
NOT_CACHED = ("/health", "/metrics")


class SizeLimitMiddleware:
    """413 for a query string or body over `limit` bytes, checked before anything is read
    (Content-Length) and while a body without one streams in."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        accept = headers.get("accept")
        if len(scope.get("query_string", b"")) > self.limit:
            await render_error(accept, 413, f"the query string is over the limit of "
                               f"{self.limit} bytes; POST the query instead",
                               error="PayloadTooLarge")(scope, receive, send)
            return
        length = headers.get("content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await render_error(accept, 400, "invalid Content-Length",
                                   error="ProtocolError")(scope, receive, send)
                return
            if declared > self.limit:
                await render_error(accept, 413, f"the request body ({declared} bytes) is over "
                                   f"the limit of {self.limit} bytes",
                                   error="PayloadTooLarge")(scope, receive, send)
                return
        received = 0
        limit = self.limit

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(
                        f"the request body is over the limit of {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)


class MetricsMiddleware:
    """Counts and times every request by method, route template and status."""

    def __init__(self, app: ASGIApp, metrics, known_paths: frozenset[str] = frozenset()):
        self.app = app
        self.metrics = metrics
        self.known_paths = known_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or self._static_path(scope)
            self.metrics.observe_request(scope["method"], template, status,
                                         time.perf_counter() - started)

    def _static_path(self, scope: Scope) -> str:
        """The path of a response sent before routing (a 304, a 413) when it is one of the
        app's fixed routes; otherwise "unmatched", so that labels stay few."""
        path = scope["path"]
        return path if path in self.known_paths else "unmatched"


def etag_for(seed: str, scope: Scope) -> str:
    """A weak validator: the app's version seed and everything in the request that can change
    a GET response (path, query string, Accept, the host the links are built from)."""
    headers = Headers(scope=scope)
    digest = hashlib.sha256()
    for part in (
        scope.get("root_path", ""), scope["path"], scope.get("query_string", b"").decode("latin-1"),
        headers.get("accept", ""), headers.get("host", ""), scope.get("scheme", ""),
        headers.get("x-forwarded-host", ""), headers.get("x-forwarded-proto", ""),
    ):
        digest.update(part.encode("utf-8", "surrogateescape"))
        digest.update(b"\0")
    return f'W/"{seed}-{digest.hexdigest()[:20]}"'


def _matches(header: str, tag: str) -> bool:
    bare = tag[2:] if tag.startswith("W/") else tag
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == bare:
            return True
    return False


class ETagMiddleware:
    """ETag and Cache-Control on successful GET/HEAD responses, and 304 Not Modified before
    any work is done when If-None-Match names the current tag: the dataset is read-only, so
    a response is a function of the dataset version and the request. A handler opts out by
    setting `Cache-Control: no-store` (queries calling RAND() or NOW() do)."""

    def __init__(self, app: ASGIApp, seed: Callable[[], str], max_age: int = CACHE_MAX_AGE):
        self.app = app
        # A callable, read per request: a reload changes the dataset version under us.
        self.seed = seed
        self.max_age = max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] not in ("GET", "HEAD")
                or scope["path"] in NOT_CACHED):
            await self.app(scope, receive, send)
            return
        tag = etag_for(self.seed(), scope)
        cache_control = f"public, max-age={self.max_age}"
        if_none_match = Headers(scope=scope).get("if-none-match")
        if if_none_match and _matches(if_none_match, tag):
            await send({"type": "http.response.start", "status": 304, "headers": [
                (b"etag", tag.encode()), (b"cache-control", cache_control.encode()),
                (b"vary", b"Accept, Accept-Encoding"),
            ]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableHeaders(scope=message)
                if "etag" not in headers and "no-store" not in headers.get("cache-control", ""):
                    headers["ETag"] = tag
                    if "cache-control" not in headers:
                        headers["Cache-Control"] = cache_control
                    vary = headers.get("vary", "")
                    if "accept" not in [v.strip().lower() for v in vary.split(",")]:
                        headers["Vary"] = f"{vary}, Accept" if vary else "Accept"
            await send(message)

        await self.app(scope, receive, send_wrapper)
