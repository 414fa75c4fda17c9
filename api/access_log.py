"""One structured line per request on the `smpkg.access` logger: a JSON object with the time,
method, path, status, duration, response bytes, the engine, and for a query its hash and
whether a cache answered it. The query's text is logged only when the operator asks for it
(SMPKG_LOG_QUERIES): texts can be long, and they are the clients' business.

Client errors and refusals (4xx) are logged at INFO like any request; a limit hit (413, 431, 503)
or a server failure (5xx) at WARNING, so that a quiet log shows them."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

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
    line: dict[str, object] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "ms": round(seconds * 1000, 2),
        "bytes": sent,
        "engine": engine,
    }
    note = scope.get(QUERY_KEY)
    if isinstance(note, QueryNote):
        line["query_hash"] = note.hash
        line["cache"] = "result" if note.cached else "miss" if note.cached is False else None
        if log_queries:
            line["query"] = note.text
    if scope.get(REPLAYED_KEY):
        line["cache"] = "response"
    log.log(level, json.dumps(line, ensure_ascii=False))
