"""The researchers' pages: home (`/`), search (`/search` and its JSON, `/api/search`) and
browse (`/browse/{kind}`, with `.csv` and `.json` of exactly the rows shown).

Every page is rendered on the server and works without JavaScript; api/static/search.js adds
suggestions as you type. The data come from smpkg/app_queries through the query executor
(data.py), built once per dataset version (cache.py); the search index comes from the build
(smpkg.search_product) when there is one.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from smpkg import browse
from smpkg.errors import NotFound, ParameterError
from smpkg.queries import load_query_file
from smpkg.release import built_at
from smpkg.search import MAX_LIMIT, SearchIndex, search_queries

from ..snapshot import current
from ..templating import render_page
from . import cache, data, vendor

router = APIRouter()
SEARCH_LIMIT = 50
SUGGEST_LIMIT = 8
HOME_KINDS = (
    ("https://w3id.org/smpkg/ontology#Initiative", "programmes", "Programmes"),
    ("https://w3id.org/smpkg/ontology#Organisation", "organisations", "Organisations"),
    ("https://w3id.org/smpkg/ontology#Country", "countries", "Countries"),
    (
        "https://w3id.org/smpkg/ontology#PolicyInstrument",
        "frameworks",
        "Frameworks and instruments",
    ),
    ("https://w3id.org/smpkg/ontology#Sector", "sectors", "Sectors"),
)


def html(body: str) -> HTMLResponse:
    return HTMLResponse(body, media_type="text/html; charset=utf-8")


def local_href(state, iri: str) -> str | None:
    """This service's page for an IRI of the dataset; None for any other IRI (no page
    links off-site)."""
    base = state.settings.base_iri
    return "/" + iri[len(base) :] if iri.startswith(base) else None


def page_context(request: Request, section: str) -> dict:
    state = current(request)
    return {
        "section": section,
        "linked_data": state.mode == "smp",
        "has_queries": getattr(state, "has_named_queries", False),
        # `{% set src = vendor("d3") %}{% if src %}<script src="{{ src }}">...`: a library's
        # URL, or None when node_modules lacks it (the page then works without it).
        "vendor": vendor.url,
    }


# --------------------------------------------------------------------------- search


async def search_index(state) -> SearchIndex:
    """The snapshot's search index: the one its build stored (`Snapshot.stored_search`),
    else, for --dataset files or a build without a readable index, built from the search
    queries' rows read through the query executor."""

    async def build() -> SearchIndex:
        stored = await run_in_threadpool(lambda: state.stored_search)
        if stored is not None:
            return stored
        queries = search_queries()
        results = await asyncio.gather(*(data.select(state, q) for q in queries.values()))
        rows = dict(zip(queries, results, strict=True))
        return await run_in_threadpool(SearchIndex.from_rows, rows)

    return await cache.of(state).get(state.version, "search", build)


def _limit(raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ParameterError("limit", f"{raw!r} is not a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


@router.get(
    "/api/search",
    tags=["app"],
    summary="Search every name, alternative name and acronym",
    description="Case-, accent- and punctuation-insensitive, tolerant of one typo; ranked: "
    "exact name (acronyms and labels first), then prefix, then word, then one edit away. "
    "Each hit has its IRI, its page on this service, its label, kind and a one-line summary.",
    # Read from the request and declared here: a typed argument would make FastAPI build a
    # pydantic field for it at start-up.
    openapi_extra={
        "parameters": [
            {"name": "q", "in": "query", "schema": {"type": "string"}, "description": "The text."},
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                "description": f"How many hits at most (default {SUGGEST_LIMIT}).",
            },
        ]
    },
)
async def api_search(request: Request) -> Response:
    state = current(request)
    text = request.query_params.get("q", "")
    count = _limit(request.query_params.get("limit"), SUGGEST_LIMIT)
    index = await search_index(state)
    hits = [dict(h.as_json(), href=local_href(state, h.iri)) for h in index.search(text, count)]
    return JSONResponse({"query": text, "hits": hits})


@router.api_route("/search", methods=["GET", "HEAD"], include_in_schema=False)
async def search_page(request: Request) -> Response:
    state = current(request)
    text = request.query_params.get("q", "")
    index = await search_index(state)
    hits = index.search(text, SEARCH_LIMIT) if text.strip() else []
    body = render_page(
        "search.html",
        **page_context(request, "search"),
        query=text,
        hits=[(h, local_href(state, h.iri)) for h in hits],
        limit=SEARCH_LIMIT,
    )
    return html(body)


# --------------------------------------------------------------------------- home


async def home_facts(state) -> dict:
    async def build() -> dict:
        query = load_query_file(browse.QUERY_DIR / "home-counts.rq")
        rows = await data.select(state, query)
        counts = {r["kind"]: int(r["n"]) for r in rows if "n" in r}
        sources = [
            (r.get("sourceLabel") or r["source"], local_href(state, r["source"]))
            for r in rows
            if "source" in r
        ]
        kinds = [(counts.get(iri, 0), name, title) for iri, name, title in HOME_KINDS]
        return {"kinds": kinds, "sources": sources}

    return await cache.of(state).get(state.version, "home", build)


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
async def home(request: Request) -> Response:
    state = current(request)
    smp = state.mode == "smp"
    facts = await home_facts(state) if smp else {"kinds": [], "sources": []}
    body = render_page(
        "home.html",
        **page_context(request, "home"),
        facts=facts,
        version=state.version,
        built=built_at(state.kg) if smp and state.kg is not None else "",
        stats=state.dataset_info["default"],
    )
    return html(body)


# --------------------------------------------------------------------------- browse


async def browse_records(state, kind: browse.Kind) -> list[browse.Record]:
    async def build() -> list[browse.Record]:
        query = browse.query_for(kind)
        bindings = query.bindings({"class": kind.class_iri}) if query.params else {}
        rows = await data.select(state, query, bindings)
        return await run_in_threadpool(browse.records_from_rows, rows)

    return await cache.of(state).get(state.version, "browse:" + kind.name, build)


def _kind(request: Request, name: str) -> browse.Kind:
    if current(request).mode != "smp":
        raise NotFound("browsing needs the skills mobility partnerships graph (smpkg serve)")
    kind = browse.KINDS.get(name)
    if kind is None:
        raise NotFound(f"nothing to browse as {name!r}; try one of: {', '.join(browse.KINDS)}")
    return kind


@router.api_route("/browse", methods=["GET", "HEAD"], include_in_schema=False)
async def browse_index(request: Request) -> Response:
    _kind(request, "programmes")
    facts = await home_facts(current(request))
    return html(render_page("browse-index.html", **page_context(request, "browse"), facts=facts))


@router.api_route("/browse/{name}", methods=["GET", "HEAD"], include_in_schema=False)
async def browse_page(request: Request) -> Response:
    name = request.path_params["name"]
    stem, dot, ext = name.partition(".")
    if dot and ext not in ("csv", "json"):
        raise NotFound(f"no download as .{ext}; use .csv or .json")
    kind = _kind(request, stem)
    params = {k: request.query_params.getlist(k) for k in request.query_params}
    selection = browse.parse_selection(params, kind)
    records = await browse_records(current(request), kind)
    shown = browse.apply(records, selection)
    query = urlencode([(k, v) for k, vs in params.items() for v in vs])
    if ext:
        return download(kind, shown, ext, query)
    body = render_page(
        "browse.html",
        **page_context(request, "browse"),
        kind=kind,
        kinds=browse.KINDS,
        selection=selection,
        shown=shown,
        total=len(records),
        facets=browse.facet_values(records, selection, kind.facets),
        titles=browse.COLUMN_TITLES,
        cell=browse.cell_text,
        href=lambda iri: local_href(current(request), iri),
        link=lambda params: "?" + urlencode(params, doseq=True),
        download_query=query,
    )
    return html(body)


def download(kind: browse.Kind, shown: list[browse.Record], ext: str, query: str) -> Response:
    header, rows = browse.table(shown, kind)
    filename = f"smpkg-{kind.name}.{ext}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if ext == "csv":
        return Response(
            browse.to_csv(header, rows), media_type="text/csv; charset=utf-8", headers=headers
        )
    doc = {"kind": kind.name, "filters": query, "columns": header, "rows": rows}
    return Response(
        json.dumps(doc, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers=headers,
    )
