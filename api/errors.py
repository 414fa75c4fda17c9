"""The one place where errors become HTTP responses.

| error                                   | status | why |
|-----------------------------------------|--------|-----|
| QuerySyntaxError                        | 400    | the text does not parse; the body is the parser's message |
| ParameterError                          | 400    | names the parameter (named queries, timeout=, default-graph-uri...) |
| ProtocolError                           | 400/405/415 | the request breaks the SPARQL Protocol (two queries, wrong media type, non-UTF-8) |
| QueryRefused                            | 403    | a well-formed request we will not run, by policy: SPARQL Update (read-only endpoint), SERVICE (no outbound requests). 403, not 400: the request is valid, retrying it will not help, and the message says why |
| NotFound                                | 404    | |
| UnsupportedFormat                       | 406    | the body lists the media types we can produce |
| PayloadTooLarge                         | 413    | body over `max_request_bytes`, query string over `max_query_string_bytes` |
| EngineCrashed (a QueryFailed)           | 500    | the engine crashed on this query (now, or earlier on this snapshot: a repeat is not run again) |
| QueryFailed and anything else smpkg     | 500    | a short message, never a traceback |
| MemoryLimitHit                          | 503    | the query needed more memory than a worker may use; names SMPKG_WORKER_MEMORY_MB |
| SlowLaneFull (a WorkersBusy)            | 503    | a known-slow query found the slow lane's queue full; `Retry-After` as long as a query may run |
| WorkersBusy (a QueryTimeout)            | 503    | every worker stayed busy until the deadline, the query never ran; `Retry-After: 1` |
| QueryTimeout                            | 504    | the query ran past its deadline and was stopped |
| any other exception                     | 500    | "internal error"; the traceback goes to the server log only |

Headers over `max_headers` or `max_header_bytes` are answered 431 by
`middleware.SizeLimitMiddleware` (and a request head past its byte limit 413 or 431 by
`smpkg.connections`) before any route runs.

Errors are written in the format the client prefers: a JSON object (fields `status`,
`title`, `detail`, `error`, as in RFC 9457 problem details, served as `application/json`), an
HTML page for browsers, or `text/plain` otherwise.
"""

from __future__ import annotations

import json
import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from smpkg.errors import (
    MemoryLimitHit,
    NotFound,
    ParameterError,
    PayloadTooLarge,
    QueryFailed,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    SmpkgError,
    UnsupportedFormat,
    WorkersBusy,
)

from .negotiation import error_media
from .templating import render_page

log = logging.getLogger("smpkg.api")


class ProtocolError(Exception):
    """A request that breaks the SPARQL Protocol itself (not the query)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        self.status = status
        self.message = message
        self.headers = headers or {}
        super().__init__(message)


# Most specific first: WorkersBusy is a QueryTimeout.
STATUSES: list[tuple[type[BaseException], int]] = [
    (WorkersBusy, 503),
    (MemoryLimitHit, 503),
    (QueryTimeout, 504),
    (QuerySyntaxError, 400),
    (ParameterError, 400),
    (QueryRefused, 403),
    (NotFound, 404),
    (UnsupportedFormat, 406),
    (PayloadTooLarge, 413),
    (QueryFailed, 500),
    (SmpkgError, 500),
]


def status_for(exc: BaseException) -> int:
    for cls, status in STATUSES:
        if isinstance(exc, cls):
            return status
    return 500


def render_error(
    accept: str | None,
    status: int,
    message: str,
    *,
    error: str | None = None,
    extra: dict | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The error response: short, in the negotiated format, never a traceback."""
    title = _title(status)
    all_headers = {"Cache-Control": "no-store", **(headers or {})}
    kind = error_media(accept)
    if kind == "json":
        doc = {"status": status, "title": title, "detail": message}
        if error:
            doc["error"] = error
        doc.update(extra or {})
        return Response(
            json.dumps(doc, ensure_ascii=False),
            status_code=status,
            media_type="application/json; charset=utf-8",
            headers=all_headers,
        )
    if kind == "html":
        body = render_page(
            "error.html",
            status=status,
            title=title,
            message=message,
            error=error,
            extra=extra or {},
        )
        return Response(
            body, status_code=status, media_type="text/html; charset=utf-8", headers=all_headers
        )
    lines = [f"{status} {title}: {message}"]
    for key, value in (extra or {}).items():
        if isinstance(value, (list, tuple)):
            value = ", ".join(str(v) for v in value)
        lines.append(f"{key}: {value}")
    return Response(
        "\n".join(lines) + "\n",
        status_code=status,
        media_type="text/plain; charset=utf-8",
        headers=all_headers,
    )


MAX_MESSAGE = 400


def _short(message: str) -> str:
    """One line, at most MAX_MESSAGE characters (a parser's list of expected tokens can run
    to thousands)."""
    line = " ".join(message.split())
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 1].rstrip() + "…"


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def response_for(exc: BaseException, accept: str | None) -> Response:
    if isinstance(exc, ProtocolError):
        return render_error(
            accept, exc.status, exc.message, error="ProtocolError", headers=exc.headers
        )
    status = status_for(exc)
    extra: dict = {}
    headers: dict[str, str] = {}
    if isinstance(exc, UnsupportedFormat):
        extra["available"] = list(exc.available)
        message = (
            f"cannot produce {exc.requested!r} for this request; "
            f"available: {', '.join(exc.available)}"
        )
    elif isinstance(exc, ParameterError):
        extra["parameter"] = exc.name
        message = str(exc)
    elif isinstance(exc, SmpkgError):
        message = _short(str(exc) or type(exc).__name__)
    else:
        message = "internal error; the server log has the details"
    if isinstance(exc, WorkersBusy):
        headers["Retry-After"] = str(getattr(exc, "retry_after", 1))
    name = type(exc).__name__ if isinstance(exc, SmpkgError) else "InternalError"
    return render_error(accept, status, message, error=name, extra=extra, headers=headers)


def install(app: FastAPI) -> None:
    """Register the exception handlers."""

    async def smpkg_error(request: Request, exc: Exception) -> Response:
        return response_for(exc, request.headers.get("accept"))

    async def protocol_error(request: Request, exc: Exception) -> Response:
        return response_for(exc, request.headers.get("accept"))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = exc.detail if isinstance(exc.detail, str) else _title(exc.status_code)
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}; see / for what this service offers"
        if exc.status_code == 405:
            allow = (exc.headers or {}).get("Allow", "")
            message = f"{request.method} is not allowed here" + (f"; use {allow}" if allow else "")
        return render_error(
            request.headers.get("accept"), exc.status_code, message, headers=dict(exc.headers or {})
        )

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("query", "body", "path")]
        name = loc[-1] if loc else "request"
        message = f"parameter {name!r}: {first.get('msg', 'invalid value')}"
        return render_error(
            request.headers.get("accept"),
            400,
            message,
            error="ParameterError",
            extra={"parameter": name},
        )

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return response_for(exc, request.headers.get("accept"))

    app.add_exception_handler(SmpkgError, smpkg_error)
    app.add_exception_handler(ProtocolError, protocol_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)
