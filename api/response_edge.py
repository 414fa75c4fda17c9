"""The outermost layer: what every response carries out of the app, with one `send` wrapper.

Three concerns meet here because each must see every response (replays of the response
cache, refusals sent before routing and failures included) and each needs only its start
and its size: the security headers (`api.security.secured`), the request's metrics (route
label `api.middleware.route_label`) and the access-log line (`api.access_log.write_line`).
As three layers they cost three wrappers of `send` and three coroutine frames on every
response; their rules stay in their own modules, this layer only calls them."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .access_log import write_line
from .middleware import route_label
from .security import CONTENT_SECURITY_POLICY, secured


class ResponseEdge:
    """Pure ASGI (no body buffering): security headers added at `http.response.start`; once
    the response is sent, or the app failed (counted as a 500), the request is observed in
    `metrics` and logged."""

    def __init__(
        self,
        app: ASGIApp,
        metrics,
        engine: str,
        log_queries: bool = False,
        known_paths: frozenset[str] = frozenset(),
        policy: str = CONTENT_SECURITY_POLICY,
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.engine = engine
        self.log_queries = log_queries
        self.known_paths = known_paths
        self.policy = policy.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        sent = 0
        policy = self.policy

        async def edge_send(message: Message) -> None:
            nonlocal status, sent
            kind = message["type"]
            if kind == "http.response.body":
                sent += len(message.get("body", b""))
            elif kind == "http.response.start":
                status = message["status"]
                message = {**message, "headers": secured(message.get("headers", []), policy)}
            await send(message)

        try:
            await self.app(scope, receive, edge_send)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.observe_request(
                scope["method"], route_label(scope, self.known_paths), status, seconds
            )
            write_line(scope, status, sent, seconds, self.engine, self.log_queries)
