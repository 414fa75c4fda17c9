"""The SPARQL 1.1 Protocol endpoint for queries: GET /sparql, POST form-encoded, POST direct.

- `query` (exactly one), `default-graph-uri` and `named-graph-uri` (repeatable, from the URL
  and, for a form POST, the body too) set the dataset, overriding the query's FROM / FROM
  NAMED; `format` (repeatable; the first usable wins) overrides Accept for clients that cannot
  set headers; `timeout` (seconds) may shorten, never lengthen, the server's deadline.
- GET without `query` is the service description (see service.py).
- Updates are refused with 403, whichever way they come (GET `update=`, form `update=`,
  `application/sparql-update`): the endpoint is read-only.
- A result cut at the row cap carries `SMPKG-Truncated: true` and `SMPKG-Max-Rows: N`, and in
  SPARQL JSON / XML a `link` in the head to `<endpoint>#truncated`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response

from smpkg.engine import READ_ONLY, DatasetSpec
from smpkg.errors import ParameterError, QueryRefused

from .. import results
from ..access_log import note_answer, note_query
from ..errors import ProtocolError
from ..middleware import QUERY_FORM_KEY
from ..snapshot import current as snapshot_of
from .service import endpoint_url, service_description

router = APIRouter()

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|^`\\]*$")
_UTF8 = ("utf-8", "utf8", "us-ascii", "ascii")


def _decode_pairs(raw: bytes | str, where: str) -> list[tuple[str, str]]:
    """Form / query-string pairs, percent-decoded as UTF-8 (strictly)."""
    try:
        text = raw.decode("ascii") if isinstance(raw, bytes) else raw
        return parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ProtocolError(
            400,
            f"the {where} is not valid UTF-8 (percent-encoded): the SPARQL Protocol requires UTF-8",
        ) from None


def _values(pairs: list[tuple[str, str]], name: str) -> list[str]:
    return [v for k, v in pairs if k == name]


def _refuse_updates(pairs: list[tuple[str, str]], how: str) -> None:
    if any(k in ("update", "using-graph-uri", "using-named-graph-uri") for k, _ in pairs):
        raise QueryRefused(f"{READ_ONLY}; {how}")


def _dataset(pairs: list[tuple[str, str]]) -> DatasetSpec:
    for name in ("default-graph-uri", "named-graph-uri"):
        for value in _values(pairs, name):
            if not _IRI.match(value):
                raise ParameterError(name, f"{value!r} is not an absolute IRI")
    return DatasetSpec(
        tuple(_values(pairs, "default-graph-uri")), tuple(_values(pairs, "named-graph-uri"))
    )


def _timeout(pairs: list[tuple[str, str]]) -> float | None:
    values = _values(pairs, "timeout")
    if not values or not values[-1].strip():
        return None
    try:
        seconds = float(values[-1])
    except ValueError:
        raise ParameterError("timeout", f"{values[-1]!r} is not a number of seconds") from None
    if not seconds > 0:
        raise ParameterError("timeout", "must be a positive number of seconds")
    return seconds


def _one_query(queries: list[str]) -> str:
    if len(queries) > 1:
        raise ProtocolError(
            400, f"{len(queries)} queries given: send exactly one `query` parameter"
        )
    return queries[0]


async def _run(request: Request, text: str, pairs: list[tuple[str, str]]) -> Response:
    state = snapshot_of(request)
    formats = [v for v in _values(pairs, "format") if v.strip()]
    html = results.wants_page(request.headers.get("accept"), formats, text)
    digest = note_query(request, text)
    result = await state.executor.execute(
        text,
        digest=digest,
        dataset=_dataset(pairs),
        accept=request.headers.get("accept"),
        format_param=results.data_format(text) if html else (formats or None),
        base_iri=endpoint_url(request),
        timeout=_timeout(pairs),
    )
    request.scope[QUERY_FORM_KEY] = result.form
    note_answer(request, result.cached)
    # Which data answered: a reload swaps the snapshot whole, so this always matches the body.
    headers = {"Vary": "Accept", "SMPKG-Dataset-Version": state.version}
    if result.truncated:
        headers["SMPKG-Truncated"] = "true"
        headers["SMPKG-Max-Rows"] = str(state.settings.max_rows)
    if not result.cacheable:
        headers["Cache-Control"] = "no-store"
    if html:
        page = await results.page(request, text, result)
        return Response(page, media_type="text/html; charset=utf-8", headers=headers)
    return Response(result.body, media_type=result.format.content_type, headers=headers)


def _param(name: str, description: str, repeat: bool = False) -> dict:
    schema = {"type": "array", "items": {"type": "string"}} if repeat else {"type": "string"}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        **({"style": "form", "explode": True} if repeat else {}),
    }


PARAMETERS = [
    _param(
        "query",
        "The SPARQL query (SELECT, ASK, CONSTRUCT or DESCRIBE). Without it, GET "
        "returns the service description.",
    ),
    _param("default-graph-uri", "A graph of the default graph (repeatable).", repeat=True),
    _param("named-graph-uri", "A named graph of the dataset (repeatable).", repeat=True),
    _param(
        "format",
        "Result format overriding Accept: json, xml, csv, tsv; turtle, ntriples, "
        "nquads, trig, jsonld, rdfxml (or a media type).",
    ),
    _param("timeout", "Seconds; may shorten the server's deadline, never lengthen it."),
]
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Results in the negotiated format.",
        "content": {
            m: {}
            for m in (
                "application/sparql-results+json",
                "application/sparql-results+xml",
                "text/csv",
                "text/tab-separated-values",
                "text/turtle",
                "application/n-triples",
                "application/n-quads",
                "application/trig",
                "application/ld+json",
                "application/rdf+xml",
            )
        },
    },
    400: {"description": "Syntax error or protocol misuse."},
    403: {"description": "Refused: SPARQL Update or SERVICE."},
    406: {"description": "No acceptable format; the body lists those available."},
    413: {"description": "Request over the size limit."},
    503: {"description": "Every worker stayed busy until the deadline."},
    504: {"description": "The query ran past its deadline and was stopped."},
}


@router.get(
    "/sparql",
    name="sparql",
    operation_id="sparql_query_get",
    tags=["SPARQL"],
    summary="SPARQL query (GET), or the service description without a query",
    openapi_extra={"parameters": PARAMETERS},
    responses=RESPONSES,
)
async def sparql_get(request: Request) -> Response:
    pairs = _decode_pairs(request.scope.get("query_string", b""), "query string")
    _refuse_updates(pairs, "and never over GET")
    queries = _values(pairs, "query")
    if not queries:
        formats = _values(pairs, "format")
        return await service_description(request, formats[0] if formats else None)
    return await _run(request, _one_query(queries), pairs)


router.add_api_route("/sparql", sparql_get, methods=["HEAD"], include_in_schema=False)


@router.post(
    "/sparql",
    operation_id="sparql_query_post",
    tags=["SPARQL"],
    summary="SPARQL query (POST form-encoded or application/sparql-query)",
    openapi_extra={
        "parameters": PARAMETERS[1:],
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "required": ["query"],
                        "properties": {
                            "query": {"type": "string"},
                            "default-graph-uri": {"type": "string"},
                            "named-graph-uri": {"type": "string"},
                            "format": {"type": "string"},
                        },
                    }
                },
                "application/sparql-query": {"schema": {"type": "string"}},
            },
        },
    },
    responses=RESPONSES,
)
async def sparql_post(request: Request) -> Response:
    content_type = request.headers.get("content-type", "")
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    url_pairs = _decode_pairs(request.scope.get("query_string", b""), "query string")

    if media == FORM:
        if charset and charset not in _UTF8:
            raise ProtocolError(
                415, f"charset {charset!r} is not supported: the SPARQL Protocol requires UTF-8"
            )
        body_pairs = _decode_pairs(await request.body(), "request body")
        _refuse_updates(body_pairs + url_pairs, "send queries only")
        pairs = url_pairs + body_pairs
        queries = _values(pairs, "query")
        if not queries:
            raise ProtocolError(400, "the form has no `query` parameter")
        return await _run(request, _one_query(queries), pairs)

    if media == DIRECT:
        if charset and charset not in _UTF8:
            raise ProtocolError(
                415,
                f"charset {charset!r} is not supported: application/sparql-query bodies are UTF-8",
            )
        body = await request.body()
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(
                400, "the query is not valid UTF-8: the SPARQL Protocol requires UTF-8"
            ) from None
        _refuse_updates(url_pairs, "send queries only")
        if _values(url_pairs, "query"):
            raise ProtocolError(
                400, "2 queries given: a query in the body and a `query` parameter in the URL"
            )
        return await _run(request, text, url_pairs)

    if media == UPDATE:
        raise QueryRefused(READ_ONLY)

    allowed = f"{FORM} or {DIRECT}"
    if not media:
        raise ProtocolError(415, f"a POST needs a Content-Type: {allowed}")
    raise ProtocolError(415, f"unsupported Content-Type {media!r}: use {allowed}")


@router.api_route("/sparql", methods=["PUT", "DELETE", "PATCH"], include_in_schema=False)
async def sparql_other(request: Request) -> Response:
    raise ProtocolError(
        405,
        f"{request.method} is not part of the SPARQL Protocol for queries: use GET or POST",
        headers={"Allow": "GET, HEAD, POST, OPTIONS"},
    )
