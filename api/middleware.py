"""ASGI middleware: request size limits (413), ETag / 304 from the dataset version, a cache of
whole responses for repeated requests, and the metrics' route label (`route_label`, which the
outermost layer, `api.response_edge`, records under).

All three are plain ASGI so that they see every response, errors included, and add no
per-request thread hops.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smpkg.cache import QUERY_MIN_USES, ResultCache
from smpkg.config import Settings
from smpkg.errors import PayloadTooLarge

from .errors import render_error

# Freshness of a cacheable response. The dataset only changes when the service restarts on a
# new build; clients revalidate cheaply with If-None-Match afterwards.
CACHE_MAX_AGE = 300


def cache_control(max_age: int = CACHE_MAX_AGE) -> str:
    """The Cache-Control of a cacheable response."""
    return f"public, max-age={max_age}"


# Responses smaller than this are sent as they are, whatever the client accepts.
GZIP_MINIMUM = 2048
NOT_CACHED = ("/health", "/metrics")


def size_limits(settings: Settings) -> dict[str, int]:
    """The `SizeLimitMiddleware` arguments of these settings: a query string is held to the
    body's limit too."""
    return {
        "limit": settings.max_request_bytes,
        "query_string_limit": min(settings.max_query_string_bytes, settings.max_request_bytes),
        "header_bytes": settings.max_header_bytes,
        "max_headers": settings.max_headers,
    }


def cache_bounds(settings: Settings) -> dict[str, int]:
    """The `ResponseCache` bounds of these settings."""
    return {
        "max_entries": settings.response_cache_entries,
        "max_bytes": settings.response_cache_bytes,
    }


class SizeLimitMiddleware:
    """413 for a query string over `query_string_limit` bytes or a body over `limit` bytes
    (checked before anything is read from the Content-Length, and while a body without one
    streams in); 431 for more than `max_headers` header fields or `header_bytes` bytes of
    them (0: no limit)."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int,
        query_string_limit: int | None = None,
        header_bytes: int = 0,
        max_headers: int = 0,
    ):
        self.app = app
        self.limit = limit
        self.query_string_limit = limit if query_string_limit is None else query_string_limit
        self.header_bytes = header_bytes
        self.max_headers = max_headers

    def _refusal(self, scope: Scope, accept: str | None) -> Response | None:
        """The 413 or 431 for a request head over a limit, or None."""
        raw = scope["headers"]
        if self.max_headers and len(raw) > self.max_headers:
            message = (
                f"the request has {len(raw)} header fields, over the limit of {self.max_headers}"
            )
            return render_error(accept, 431, message, error="HeadersTooLarge")
        size = sum(len(name) + len(value) for name, value in raw)
        if self.header_bytes and size > self.header_bytes:
            message = (
                f"the request headers take {size} bytes, over the limit of {self.header_bytes}"
            )
            return render_error(accept, 431, message, error="HeadersTooLarge")
        if len(scope.get("query_string", b"")) > self.query_string_limit:
            message = (
                f"the query string is over the limit of {self.query_string_limit} bytes; "
                "POST the query instead"
            )
            return render_error(accept, 413, message, error="PayloadTooLarge")
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        # A header over the limit is not parsed: the Accept header picks the error's format.
        accept = headers.get("accept") if len(headers.get("accept", "")) < 4096 else None
        refusal = self._refusal(scope, accept)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        length = headers.get("content-length")
        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await render_error(accept, 400, "invalid Content-Length", error="ProtocolError")(
                    scope, receive, send
                )
                return
            if declared > self.limit:
                await render_error(
                    accept,
                    413,
                    f"the request body ({declared} bytes) is over the limit of {self.limit} bytes",
                    error="PayloadTooLarge",
                )(scope, receive, send)
                return
        received = 0
        limit = self.limit

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise PayloadTooLarge(f"the request body is over the limit of {limit} bytes")
            return message

        await self.app(scope, limited_receive, send)


def route_label(scope: Scope, known_paths: frozenset[str]) -> str:
    """The metrics' route label of a request: its route's template; for a response sent
    before routing (a 304, a 413), its path when that is one of the app's fixed routes
    (`known_paths`), otherwise "unmatched", so that labels stay few."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if template:
        return template
    path = scope["path"]
    return path if path in known_paths else "unmatched"


def etag_for(seed: str, scope: Scope) -> str:
    """A weak validator: the app's version seed and everything in the request that can change
    a GET response (path, query string, Accept, the host the links are built from)."""
    headers = Headers(scope=scope)
    digest = hashlib.sha256()
    for part in (
        scope.get("root_path", ""),
        scope["path"],
        scope.get("query_string", b"").decode("latin-1"),
        headers.get("accept", ""),
        headers.get("host", ""),
        scope.get("scheme", ""),
        headers.get("x-forwarded-host", ""),
        headers.get("x-forwarded-proto", ""),
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

    def __init__(self, app: ASGIApp, seed: Callable[[Scope], str], max_age: int = CACHE_MAX_AGE):
        self.app = app
        # A callable, read per request (from the snapshot the request is answered from).
        self.seed = seed
        self.cache_control = cache_control(max_age)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or scope["path"] in NOT_CACHED
        ):
            await self.app(scope, receive, send)
            return
        tag = etag_for(self.seed(scope), scope)
        if_none_match = Headers(scope=scope).get("if-none-match")
        if if_none_match and _matches(if_none_match, tag):
            await send(
                {
                    "type": "http.response.start",
                    "status": 304,
                    "headers": [
                        (b"etag", tag.encode()),
                        (b"cache-control", self.cache_control.encode()),
                        (b"vary", b"Accept, Accept-Encoding"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = MutableHeaders(scope=message)
                if "etag" not in headers and "no-store" not in headers.get("cache-control", ""):
                    headers["ETag"] = tag
                    if "cache-control" not in headers:
                        headers["Cache-Control"] = self.cache_control
                    vary = headers.get("vary", "")
                    if "accept" not in [v.strip().lower() for v in vary.split(",")]:
                        headers["Vary"] = f"{vary}, Accept" if vary else "Accept"
            await send(message)

        await self.app(scope, receive, send_wrapper)


# Request headers a response of this app can depend on: the key of a stored response holds
# them, so a replay is what the app would answer. A request with any of BYPASS_HEADERS goes
# to the app (conditional and partial requests, credentials, a client refusing caches).
KEY_HEADERS = (
    b"accept",
    b"accept-encoding",
    b"accept-language",
    b"content-type",
    b"host",
    b"origin",
    b"x-forwarded-host",
    b"x-forwarded-proto",
    b"x-forwarded-prefix",
)
BYPASS_HEADERS = frozenset(
    {
        b"if-none-match",
        b"if-modified-since",
        b"if-match",
        b"range",
        b"authorization",
        b"cookie",
        b"cache-control",
        b"pragma",
    }
)
# POST is cached only where it is a query: the SPARQL Protocol's POST is safe.
CACHED_POSTS = frozenset({"/sparql"})
# Set by a query handler in the scope, so that a replayed answer counts as a cached query.
QUERY_FORM_KEY = "smpkg.query_form"
# Set on a request answered from the stored responses (for the access log).
REPLAYED_KEY = "smpkg.replayed"


class _Stored:
    __slots__ = ("body", "form", "route", "size", "start")

    def __init__(self, start: Message, body: bytes, route, form: str | None):
        self.start = start
        self.body = body
        self.route = route
        self.form = form
        self.size = len(body) + sum(len(k) + len(v) for k, v in start["headers"])


class ResponseCache:
    """Whole responses, replayed for identical requests without entering the app, from the
    third on: the second one's answer is the first kept (`QUERY_MIN_USES`).

    The dataset is read-only and versioned, so a 200 answer is a function of the version
    (the ETag seed, which the key holds: a reload starts afresh), the method, path, query
    string, body and the request headers the app reads (KEY_HEADERS). A repeated query then
    costs no routing, no query-string or body parsing, no lexer scan and no executor lookup.
    Only complete 200 responses that do not say `no-store` or `private` are kept (queries
    calling RAND() or NOW() say no-store), up to `max_item_bytes` each and `max_bytes` in
    all; POST bodies are read for the key only up to `max_body_bytes` (a Content-Length is
    required). /health, /metrics and /admin are never cached."""

    def __init__(
        self,
        app: ASGIApp,
        seed: Callable[[Scope], str],
        metrics=None,
        max_entries: int = 4096,
        max_bytes: int = 64 << 20,
        max_item_bytes: int = 1 << 20,
        max_body_bytes: int = 64 << 10,
    ):
        self.app = app
        self.seed = seed
        self.metrics = metrics
        self.max_body_bytes = max_body_bytes
        self.stored = ResultCache(
            max_entries,
            max_bytes,
            max_item_bytes,
            size=lambda entry: entry.size,
            min_uses=QUERY_MIN_USES,
        )
        self._seed: str | None = None

    @property
    def hits(self) -> int:
        return self.stored.hits

    def _key(self, scope: Scope, body: bytes) -> tuple | None:
        picked = []
        for name, value in scope["headers"]:
            if name in BYPASS_HEADERS:
                return None
            if name in KEY_HEADERS:
                picked.append((name, value))
        picked.sort()
        return (
            scope["method"],
            scope.get("root_path", ""),
            scope["path"],
            scope.get("query_string", b""),
            body,
            tuple(picked),
        )

    @staticmethod
    def _cacheable(scope: Scope) -> bool:
        method, path = scope["method"], scope["path"]
        cacheable = path in CACHED_POSTS if method == "POST" else method in ("GET", "HEAD")
        return cacheable and path not in NOT_CACHED and not path.startswith("/admin")

    async def _body(self, scope: Scope, receive: Receive) -> bytes | None:
        """A POST's whole body when it is short enough to key the cache, else None; raises
        _ClientGone when the client goes away mid-body."""
        length = Headers(scope=scope).get("content-length")
        if length is None or not length.isdigit() or int(length) > self.max_body_bytes:
            return None
        chunks = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                raise _ClientGone
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        return b"".join(chunks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._cacheable(scope):
            await self.app(scope, receive, send)
            return
        body = b""
        if scope["method"] == "POST":
            try:
                read = await self._body(scope, receive)
            except _ClientGone:
                return
            if read is None:
                await self.app(scope, receive, send)
                return
            body = read
            receive = _replay_body(body, receive)
        seed = self.seed(scope)
        if seed != self._seed:
            self.stored.clear()
            self._seed = seed
        key = self._key(scope, body)
        if key is None:
            await self.app(scope, receive, send)
            return
        stored = self.stored.get(key)
        if stored is None:
            if self.stored.admits(key):
                await self._answer_and_keep(scope, receive, send, key)
            else:  # a first use: not kept, so not copied either
                await self.app(scope, receive, send)
            return
        scope[REPLAYED_KEY] = True
        if stored.route is not None:
            scope["route"] = stored.route  # for the metrics' route label
        if stored.form and self.metrics is not None:
            self.metrics.observe_query(stored.form, "cached", 0.0, None)
        await send(stored.start)
        await send({"type": "http.response.body", "body": stored.body})

    async def _answer_and_keep(self, scope: Scope, receive: Receive, send: Send, key) -> None:
        """Run the app, passing its response on, and keep it when it may be replayed: a 200
        without no-store, private or a cookie, within the size bound."""
        start: Message | None = None
        parts: list[bytes] = []
        keep = True
        size = 0

        async def capture(message: Message) -> None:
            nonlocal start, keep, size
            if message["type"] == "http.response.start":
                start = message
                keep = message["status"] == 200 and not any(
                    (name.lower() == b"cache-control" and (b"no-store" in v or b"private" in v))
                    or name.lower() == b"set-cookie"
                    for name, v in message.get("headers", [])
                )
            elif message["type"] == "http.response.body" and keep:
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > self.stored.max_item_bytes:
                    keep = False
                    parts.clear()
                else:
                    parts.append(chunk)
            await send(message)

        await self.app(scope, receive, capture)
        if keep and start is not None:
            headers = list(start.get("headers", []))
            self.stored.put(
                key,
                _Stored(
                    {"type": "http.response.start", "status": 200, "headers": headers},
                    b"".join(parts),
                    scope.get("route"),
                    scope.get(QUERY_FORM_KEY),
                ),
                admitted=True,
            )

    def __len__(self) -> int:
        return len(self.stored)


class _ClientGone(Exception):
    """The client disconnected before its request body was read."""


def _replay_body(body: bytes, receive: Receive) -> Receive:
    """A receive that hands the app the body already read, then the client's own messages."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def app_path(scope: Scope) -> str:
    """The request's path within the app: without the root path a proxy mounts it under."""
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class GZipExceptDumps(GZipMiddleware):
    """Starlette's GZip for every response but the dump files (`/download/...`): each has a
    gzip-compressed twin (`.gz`), and compressing a dump on the fly held a client that
    accepts gzip (browsers, most HTTP libraries) to about 45 MB/s of the data instead of
    the speed of the disk. A client that does not accept gzip (every SPARQL client that
    does not ask) gets the response as it is, with `Vary: Accept-Encoding` where GZip would
    have compressed it (`_naming_encoding`), the rule of Starlette's responder for that case,
    which builds itself and normalises its list of excluded types again on every request."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or app_path(scope).startswith("/download/"):
            await self.app(scope, receive, send)
            return
        accepted = b""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                accepted = value
                break
        if b"gzip" in accepted:
            await super().__call__(scope, receive, send)
            return
        await self.app(scope, receive, self._naming_encoding(send))

    def _naming_encoding(self, send: Send) -> Send:
        """`send`, holding a response's start until its first body, which decides: a body of
        at least the minimum size (or one of several parts) of a type GZip compresses, not
        encoded already and not a part of a range, names Accept-Encoding in Vary."""
        held: Message | None = None

        async def naming_send(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                held = message
                return
            if held is not None:
                start, held = held, None
                if (
                    message["type"] == "http.response.body"
                    and (
                        len(message.get("body", b"")) >= self.minimum_size
                        or message.get("more_body", False)
                    )
                    and self._compressible(start)
                ):
                    headers = MutableHeaders(raw=start.setdefault("headers", []))
                    headers.add_vary_header("Accept-Encoding")
                await send(start)
            await send(message)

        return naming_send

    def _compressible(self, start: Message) -> bool:
        if start["status"] == 206:
            return False
        media = ""
        for name, value in start.get("headers", []):
            name = name.lower()
            if name == b"content-encoding":
                return False
            if name == b"content-type":
                media = value.decode("latin-1").partition(";")[0].strip().lower()
        kinds = {media, media.partition("/")[0] + "/*"}
        return kinds.isdisjoint(self.exclude_content_types)
