"""One structured line per request on the `smpkg.access` logger: a JSON object with the time,
method, path, status, duration, response bytes, the engine, and for a query its hash and
whether a cache answered it. The query's text is logged only when the operator asks for it
(SMPKG_LOG_QUERIES): texts can be long, and they are the clients' business.

Client errors and refusals (4xx) are logged at INFO like any request; a limit hit (413, 431, 503)
or a server failure (5xx) at WARNING, so that a quiet log shows them."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from json.encoder import encode_basestring as quoted

from starlette.requests import Request
from starlette.types import Scope

from smpkg.query_text import query_hash

from .middleware import REPLAYED_KEY

log = logging.getLogger("smpkg.access")
QUERY_KEY = "smpkg.query"
WARN_STATUSES = frozenset({413, 429, 431, 503})


@dataclass(frozen=True)
class QueryNote:
    """What a query handler tells the access log about the query it ran."""

    hash: str
    text: str
    cached: bool | None = None  # None: not answered (an error or a refusal)


def note_query(request: Request, text: str) -> str:
    """Name the query this request runs, before it runs (so a failure is logged with it);
    its hash, which the executor takes too rather than hashing the text again."""
    digest = query_hash(text)
    request.scope[QUERY_KEY] = QueryNote(digest, text)
    return digest


def note_answer(request: Request, cached: bool) -> None:
    """Say whether a cache answered the query `note_query` named (its hash is kept, not
    computed again over a text of up to a mebibyte)."""
    note = request.scope.get(QUERY_KEY)
    if isinstance(note, QueryNote):
        request.scope[QUERY_KEY] = replace(note, cached=cached)


def write_line(
    scope: Scope, status: int, sent: int, seconds: float, engine: str, log_queries: bool
) -> None:
    """Log the line of one answered request (the layer that sees every response,
    `api.response_edge.ResponseEdge`, calls this once the response is sent or failed)."""
    level = logging.WARNING if status >= 500 or status in WARN_STATUSES else logging.INFO
    if not log.isEnabledFor(level):
        return
    log.log(level, _line(scope, status, sent, seconds, engine, log_queries))


def _line(
    scope: Scope, status: int, sent: int, seconds: float, engine: str, log_queries: bool
) -> str:
    """The JSON object of one request, written field by field: every string through json's
    own escaping (`quoted`), every number an int or a rounded float. A dict given to
    `json.dumps` and an ISO time from `datetime` cost twice as much, about a twelfth of a
    response replayed from the cache."""
    parts = [
        f'{{"time": "{_stamp()}", "method": {quoted(scope["method"])}, '
        f'"path": {quoted(scope["path"])}, "status": {status}, '
        f'"ms": {round(seconds * 1000, 2)!r}, "bytes": {sent}, "engine": {quoted(engine)}'
    ]
    note = scope.get(QUERY_KEY)
    replayed = scope.get(REPLAYED_KEY)
    if isinstance(note, QueryNote):
        cache = "response" if replayed else _CACHE_LABELS[note.cached]
        parts.append(f', "query_hash": {quoted(note.hash)}, "cache": {_json_or_null(cache)}')
        if log_queries:
            parts.append(f', "query": {quoted(note.text)}')
    elif replayed:
        parts.append(', "cache": "response"')
    parts.append("}")
    return "".join(parts)


_CACHE_LABELS = {True: "result", False: "miss", None: None}
_second: tuple[int, str] = (0, "")


def _json_or_null(text: str | None) -> str:
    return "null" if text is None else quoted(text)


def _stamp() -> str:
    """The time now in UTC, ISO 8601 to the millisecond (`...T02:41:19.142+00:00`); the part
    up to the second is formatted once a second."""
    global _second
    now = time.time()
    second = int(now)
    if second != _second[0]:
        _second = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
    return f"{_second[1]}.{int((now - second) * 1000):03d}+00:00"
