"""Named queries over HTTP: `GET /queries` lists them, `GET /queries/{name}` runs one.

The queries are the `.rq` files of `settings.queries_dir`, loaded once by `install(app)`.
The generic `GET /queries/{name}` serves every query; `install()` also adds one operation per
query at `/queries/<name>` to `/openapi.json`, generated from the query's `#+` header, so that
each named query is documented with its own parameters (typed, described, with an example).

Query-string values are checked by `NamedQuery.bindings()` and passed to the executor as RDF
terms; they are never pasted into the SPARQL text. A bad or missing value is a `ParameterError`
(400, naming the parameter); an unknown query is `NotFound` (404). The result format is the
executor's content negotiation (Accept header, or `format=json|xml|csv|tsv`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from smpkg.errors import ConfigurationError, NotFound, ParameterError
from smpkg.formats import GRAPH_FORMATS, RESULT_FORMATS
from smpkg.lexer import scan
from smpkg.queries import NamedQuery, load_named_queries

from ..access_log import note_answer, note_query
from ..app.pages import page_context
from ..middleware import QUERY_FORM_KEY
from ..negotiation import wants_html
from ..query_forms import fields, pickers, resolvers, vocabularies
from ..results import chart_data, data_format, results_view, wants_page
from ..snapshot import current as snapshot_of
from ..templating import render_page

router = APIRouter()

# Query-string names the service reads itself; a named query may not declare them.
RESERVED = frozenset({"format"})

# How each parameter type appears in the OpenAPI document (the values travel as strings and are
# checked by smpkg.queries, so the schema is documentation, not a second validator).
OPENAPI_SCHEMA = {
    "iri": {"type": "string", "format": "iri"},
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "year": {"type": "string", "pattern": r"^-?\d{4}$"},
}

BAD_PARAMETER = (
    "A parameter is missing, unknown or not of its declared type; the JSON body names it."
)
# Declaring a 4XX range also keeps FastAPI from documenting a 422 this service never sends.
OTHER_ERRORS = "406 when no result format matches the Accept header or format=."

FORMAT_DESCRIPTION = (
    "Result format, overriding the Accept header: json, xml, csv or tsv "
    "(turtle, ntriples, jsonld... for a CONSTRUCT query)."
)


def _queries(request: Request) -> dict[str, NamedQuery]:
    return request.app.state.named_queries


def _get(request: Request, name: str) -> NamedQuery:
    query = _queries(request).get(name)
    if query is None:
        raise NotFound(f"no named query {name!r}; GET /queries lists them")
    return query


def _url(query: NamedQuery, values: dict[str, str] | None = None) -> str:
    path = f"/queries/{quote(query.name)}"
    return f"{path}?{urlencode(values)}" if values else path


def describe(query: NamedQuery) -> dict[str, Any]:
    """The listing entry of a query: its header, plus where to run it."""
    meta = query.metadata()
    examples = {p.name: p.example for p in query.params if p.example is not None}
    meta["url"] = _url(query)
    meta["example_url"] = _url(query, examples)
    meta["sparql_url"] = f"{_url(query)}/sparql"
    return meta


def _values(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if k not in RESERVED}


async def run(request: Request, query: NamedQuery) -> Response:
    """Check the query-string values, bind them and hand the query to the app's executor.
    A value of a parameter with choices may be a name or a code ("Morocco", "MAR")."""
    bindings = query.bindings(_values(request), await resolvers(request, query))
    note_query(request, query.text)
    result = await snapshot_of(request).executor.execute(
        query.text,
        bindings=bindings,
        accept=request.headers.get("accept"),
        format_param=request.query_params.get("format"),
    )
    request.scope[QUERY_FORM_KEY] = result.form
    note_answer(request, result.cached)
    headers = {"Vary": "Accept"}
    if not result.cacheable:
        headers["Cache-Control"] = "no-store"
    if getattr(result, "truncated", False):
        headers["SMPKG-Truncated"] = "true"
    return Response(content=result.body, media_type=result.format.content_type, headers=headers)


# --------------------------------------------------------------------------- generic routes


@router.get(
    "/queries",
    summary="List the named queries",
    description="Every named query with its summary, description, tags and parameters (JSON); "
    "an HTML page with a form per query when the client prefers text/html.",
    tags=["named queries"],
    operation_id="list_named_queries",
    responses={200: {"content": {"application/json": {}, "text/html": {}}}},
)
async def list_queries(request: Request) -> Response:
    queries = [describe(q) for q in _queries(request).values()]
    if wants_html(request.headers.get("accept")):
        page = render_page(
            "queries.html",
            queries=list(_queries(request).values()),
            **page_context(request, "queries"),
        )
        return HTMLResponse(page, headers={"Vary": "Accept"})
    return JSONResponse({"queries": queries}, headers={"Vary": "Accept"})


@router.get(
    "/queries/{name}/sparql",
    summary="The SPARQL text of a named query",
    description="The `.rq` file as it is, `#+` header included (it is a SPARQL comment).",
    tags=["named queries"],
    operation_id="named_query_text",
    response_class=PlainTextResponse,
    responses={200: {"content": {"application/sparql-query": {}}}, 404: {}},
)
async def query_text(request: Request) -> Response:
    name = request.path_params["name"]
    query = _get(request, name)
    return Response(
        content=query.text.encode("utf-8"), media_type="application/sparql-query; charset=utf-8"
    )


@router.get(
    "/queries/{name}",
    summary="Run a named query",
    description="Runs the named query with its parameters taken from the query string "
    "(see each query's own operation for its parameters). The format follows the Accept "
    "header or `format=`. A browser gets the query's form, and with parameters the results "
    "as a table.",
    tags=["named queries"],
    operation_id="run_named_query",
    response_class=Response,
    responses={
        200: {
            "description": "The query's results.",
            "content": {f.media_type: {} for f in RESULT_FORMATS} | {"text/html": {}},
        },
        400: {"description": BAD_PARAMETER},
        404: {"description": "No such named query."},
        "4XX": {"description": OTHER_ERRORS},
    },
)
async def run_query(request: Request) -> Response:
    name = request.path_params["name"]
    query = _get(request, name)
    if wants_page(request.headers.get("accept"), request.query_params.get("format"), query.text):
        return await page(request, query)
    return await run(request, query)


# --------------------------------------------------------------------------- one operation each


def _json_value(kind: str, raw: str) -> Any:
    """An example or default as the JSON value its OpenAPI type calls for."""
    try:
        if kind == "integer":
            return int(raw)
        if kind == "decimal":
            return float(raw)
        if kind == "boolean":
            return raw.strip().lower() in ("true", "1")
    except ValueError:
        pass
    return raw


def _parameter(param) -> dict[str, Any]:
    schema: dict[str, Any] = {
        **OPENAPI_SCHEMA.get(param.type, {"type": "string"}),
        "title": param.name,
        "x-smpkg-type": param.type,
    }
    description = param.description or ""
    if param.type == "iri":
        description += " An absolute IRI or a CURIE with a project prefix (country:MAR)."
    if param.choices is not None:
        noun = param.choices.noun
        description += f" Also the name or a code of the {noun}: a label, an ISO code, an acronym."
    elif param.type == "iri":
        description += " Also the name of a resource the graph labels."
    if not param.required and param.default is not None:
        schema["default"] = _json_value(param.type, param.default)
    if param.example is not None:
        schema["examples"] = [_json_value(param.type, param.example)]
    return {
        "name": param.name,
        "in": "query",
        "required": bool(param.required),
        "description": description.strip(),
        "schema": schema,
    }


FORMAT_PARAMETER = {
    "name": "format",
    "in": "query",
    "required": False,
    "description": FORMAT_DESCRIPTION,
    "schema": {"type": "string", "title": "format", "examples": ["csv"]},
}


def operation(query: NamedQuery) -> dict[str, Any]:
    """The OpenAPI operation of one named query, from its `#+` header. The generic route
    serves it; the operation is documentation only, so the app needs no route (and no
    pydantic model) per query."""
    is_graph = bool(query.text) and _form(query.text) in ("CONSTRUCT", "DESCRIBE")
    media = GRAPH_FORMATS if is_graph else RESULT_FORMATS
    return {
        "tags": query.tags or ["named queries"],
        "summary": query.summary,
        "description": query.description,
        "operationId": f"query_{query.name.replace('-', '_')}",
        "parameters": [_parameter(p) for p in query.params] + [FORMAT_PARAMETER],
        "responses": {
            "200": {
                "description": "The query's results.",
                "content": {f.media_type: {} for f in media},
            },
            "400": {"description": BAD_PARAMETER},
            "4XX": {"description": OTHER_ERRORS},
        },
    }


def _form(text: str) -> str:
    return scan(text).form or "SELECT"


def install(app: FastAPI) -> None:
    """Load the named queries once, register the generic list / run / text routes, and add
    one OpenAPI operation per query to the app's document."""
    settings = app.state.settings
    queries = load_named_queries(settings.queries_dir)
    for query in queries.values():
        clashes = RESERVED & {p.name for p in query.params}
        if clashes:
            raise ConfigurationError(
                f"{query.path}: parameter {sorted(clashes)[0]!r} is "
                "reserved by the service; rename it"
            )
    app.state.named_queries = queries
    app.include_router(router)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for query in queries.values():
                schema["paths"][f"/queries/{query.name}"] = {"get": operation(query)}
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


# --------------------------------------------------------------------------- HTML

DOWNLOADS = (("csv", "CSV"), ("tsv", "TSV"), ("json", "JSON"))


async def page(request: Request, query: NamedQuery) -> Response:
    """The query's form; once parameters are given (or none is required), its results below
    as a table. A bad value shows the form again with the message (400)."""
    values = _values(request)
    vocabs = await vocabularies(request, query)
    context: dict[str, Any] = {"named": query, "view": None, "error": None, "bars": []}
    status = 200
    if values or not any(p.required for p in query.params):
        try:
            bindings = query.bindings(values, await resolvers(request, query))
        except ParameterError as exc:
            context["error"], status = str(exc), 400
        else:
            note_query(request, query.text)
            result = await snapshot_of(request).executor.execute(
                query.text, bindings=bindings, format_param=data_format(query.text)
            )
            request.scope[QUERY_FORM_KEY] = result.form
            note_answer(request, result.cached)
            labels = {c.iri: c.label for v in vocabs.values() for c in v.choices}
            view = await results_view(request, result.form, result.body, result.truncated, labels)
            context["view"] = view
            if query.chart and view.table is not None:
                context["bars"] = chart_data(view.table, query.chart.x, query.chart.y)
            context["downloads"] = [
                {"label": label, "href": _url(query, {**values, "format": key})}
                for key, label in DOWNLOADS
            ]
    chosen = {k: v for k, v in values.items() if v}
    body = render_page(
        "query.html",
        editor_href="/editor?" + urlencode({"example": query.name, **chosen}),
        fields=fields(query, values, await pickers(request, query)),
        **context,
        **page_context(request, "queries"),
    )
    return HTMLResponse(body, status_code=status, headers={"Vary": "Accept"})
