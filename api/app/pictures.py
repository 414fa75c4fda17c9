"""The pictures (issue 12, item 5): a timeline, a network, corridors and a component matrix
of the programmes, each a server-rendered page with a table view of its data, a CSV of
exactly what is shown and its state in the URL.

The timeline is drawn on the server as SVG (the page works without JavaScript, and the same
SVG is the download); so is the component matrix's SVG download (its page is the table). The
network, map and flow diagram are drawn in the browser by api/static/pictures-*.js from the
page's own data, with libraries served from node_modules.
The data come from SPARQL through the query executor (data.py), cached per snapshot.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from smpkg import browse, network, pictures
from smpkg.errors import NotFound, ParameterError
from smpkg.queries import NamedQuery, load_query_file

from ..snapshot import current
from ..templating import render_page
from . import cache, data
from .pages import browse_records, html, local_href, page_context, search_index

router = APIRouter()
SVG = "image/svg+xml; charset=utf-8"
CSV = "text/csv; charset=utf-8"
# The timeline's drawing, in SVG user units (the SVG scales to its box).
WIDTH, LABEL_WIDTH, ROW, AXIS = 960, 300, 22, 28
# The component matrix's drawing: a column per component and one for the total.
COLUMN, HEADER = 110, 96


def app_query(name: str) -> NamedQuery:
    return load_query_file(browse.QUERY_DIR / f"{name}.rq")


def attachment(body: str, media_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media_type, headers=headers)


def params_of(request: Request) -> dict[str, list[str]]:
    return {k: request.query_params.getlist(k) for k in request.query_params}


def require_graph(request: Request) -> None:
    if current(request).mode != "smp":
        raise NotFound("pictures need the skills mobility partnerships graph (smpkg serve)")


async def programmes(request: Request) -> list[browse.Record]:
    require_graph(request)
    return await browse_records(current(request), browse.KINDS["programmes"])


@router.api_route("/pictures", methods=["GET", "HEAD"], include_in_schema=False)
async def pictures_index(request: Request) -> Response:
    await programmes(request)
    return html(render_page("pictures-index.html", **page_context(request, "pictures")))


# --------------------------------------------------------------------------- timeline


class Scale:
    """Fractional years to SVG x, over the timeline's axis."""

    def __init__(self, shown: pictures.Timeline):
        self.first = shown.first_year
        self.span = max(1, shown.last_year + 1 - shown.first_year)

    def __call__(self, year: float) -> float:
        return round(LABEL_WIDTH + (year - self.first) / self.span * (WIDTH - LABEL_WIDTH - 24), 1)

    @property
    def ticks(self) -> list[int]:
        step = 1 if self.span <= 12 else 2 if self.span <= 24 else 5
        return list(range(self.first, self.first + self.span + 1, step))


async def timeline_state(request: Request):
    records = await programmes(request)
    chosen = pictures.parse_filters(params_of(request), pictures.TIMELINE_FILTERS)
    shown = pictures.timeline(pictures.keep(records, chosen))
    return records, chosen, shown


def timeline_svg(shown: pictures.Timeline, standalone: bool) -> str:
    height = AXIS + ROW * len(shown.bars) + 8
    return render_page(
        "pictures-timeline-svg.html",
        shown=shown,
        x=Scale(shown),
        width=WIDTH,
        height=height,
        row=ROW,
        axis=AXIS,
        label_width=LABEL_WIDTH,
        standalone=standalone,
    )


@router.api_route("/pictures/timeline", methods=["GET", "HEAD"], include_in_schema=False)
async def timeline_page(request: Request) -> Response:
    records, chosen, shown = await timeline_state(request)
    query = urlencode(sorted((k, v) for k, vs in chosen.items() for v in vs))
    body = render_page(
        "pictures-timeline.html",
        **page_context(request, "pictures"),
        shown=shown,
        choices=pictures.choices(records, chosen),
        svg=timeline_svg(shown, standalone=False),
        rows=pictures.timeline_rows(shown),
        href=lambda iri: local_href(current(request), iri),
        query=query,
    )
    return html(body)


@router.api_route("/pictures/timeline.csv", methods=["GET", "HEAD"], include_in_schema=False)
async def timeline_csv(request: Request) -> Response:
    _, _, shown = await timeline_state(request)
    body = pictures.to_csv(pictures.TIMELINE_COLUMNS, pictures.timeline_rows(shown))
    return attachment(body, CSV, "smpkg-timeline.csv")


@router.api_route("/pictures/timeline.svg", methods=["GET", "HEAD"], include_in_schema=False)
async def timeline_download(request: Request) -> Response:
    _, _, shown = await timeline_state(request)
    return attachment(timeline_svg(shown, standalone=True), SVG, "smpkg-timeline.svg")


# --------------------------------------------------------------------------- corridors


async def corridor_state(request: Request):
    records = await programmes(request)
    params = params_of(request)
    chosen = pictures.parse_filters(params, pictures.CORRIDOR_FILTERS, extra=("corridor",))
    shown = pictures.corridors(pictures.keep(records, chosen))
    picked = (params.get("corridor") or [""])[-1]
    if picked and picked not in {c.key for c in shown}:
        raise ParameterError("corridor", f"{picked!r} is not a corridor shown (origin>destination)")
    return records, chosen, shown, picked


def corridor_json(shown: list[pictures.Corridor], request: Request) -> list[dict]:
    state = current(request)
    return [
        {
            "key": c.key,
            "origin": {"key": c.origin.key, "label": c.origin.label},
            "destination": {"key": c.destination.key, "label": c.destination.label},
            "programmes": [
                {"label": r.label, "href": local_href(state, r.iri) or ""} for r in c.programmes
            ],
        }
        for c in shown
    ]


@router.api_route("/pictures/corridors", methods=["GET", "HEAD"], include_in_schema=False)
async def corridors_page(request: Request) -> Response:
    records, chosen, shown, picked = await corridor_state(request)
    query = urlencode(sorted((k, v) for k, vs in chosen.items() for v in vs))
    body = render_page(
        "pictures-corridors.html",
        **page_context(request, "pictures"),
        shown=shown,
        picked=next((c for c in shown if c.key == picked), None),
        choices=pictures.choices(records, chosen),
        data=corridor_json(shown, request),
        href=lambda iri: local_href(current(request), iri),
        query=query,
        link=lambda key: (
            "?"
            + urlencode(
                [*sorted((k, v) for k, vs in chosen.items() for v in vs), ("corridor", key)]
            )
        ),
    )
    return html(body)


@router.api_route("/pictures/corridors.csv", methods=["GET", "HEAD"], include_in_schema=False)
async def corridors_csv(request: Request) -> Response:
    _, _, shown, _ = await corridor_state(request)
    body = pictures.to_csv(pictures.CORRIDOR_COLUMNS, pictures.corridor_rows(shown))
    return attachment(body, CSV, "smpkg-corridors.csv")


# --------------------------------------------------------------------------- components


async def matrix(request: Request) -> pictures.Matrix:
    state = current(request)
    await programmes(request)

    async def build() -> pictures.Matrix:
        rows = await data.select(state, app_query("picture-components"))
        return await run_in_threadpool(pictures.component_matrix, rows)

    return await cache.of(state).get(state.version, "pictures:components", build)


async def components_state(request: Request):
    records = await programmes(request)
    chosen = pictures.parse_filters(params_of(request), pictures.COMPONENT_FILTERS)
    kept = pictures.keep(records, chosen)
    return records, chosen, pictures.matrix_of(await matrix(request), (r.iri for r in kept))


def components_svg(shown: pictures.Matrix, standalone: bool) -> str:
    return render_page(
        "pictures-components-svg.html",
        matrix=shown,
        width=LABEL_WIDTH + COLUMN * (len(shown.components) + 1),
        height=HEADER + ROW * len(shown.rows) + 8,
        row=ROW,
        column=COLUMN,
        header=HEADER,
        label_width=LABEL_WIDTH,
        standalone=standalone,
    )


@router.api_route("/pictures/components", methods=["GET", "HEAD"], include_in_schema=False)
async def components_page(request: Request) -> Response:
    records, chosen, shown = await components_state(request)
    body = render_page(
        "pictures-components.html",
        **page_context(request, "pictures"),
        matrix=shown,
        choices=pictures.choices(records, chosen),
        query=urlencode(sorted((k, v) for k, vs in chosen.items() for v in vs)),
        href=lambda iri: local_href(current(request), iri),
    )
    return html(body)


@router.api_route("/pictures/components.csv", methods=["GET", "HEAD"], include_in_schema=False)
async def components_csv(request: Request) -> Response:
    _, _, shown = await components_state(request)
    header = ["iri", "name", *(c.label for c in shown.components)]
    return attachment(
        pictures.to_csv(header, pictures.matrix_rows(shown)), CSV, "smpkg-components.csv"
    )


@router.api_route("/pictures/components.svg", methods=["GET", "HEAD"], include_in_schema=False)
async def components_download(request: Request) -> Response:
    _, _, shown = await components_state(request)
    return attachment(components_svg(shown, standalone=True), SVG, "smpkg-components.svg")


# --------------------------------------------------------------------------- network


async def resolve(request: Request, raw: str, name: str) -> str:
    """The IRI a parameter names: an IRI, a prefixed name (prog:palim), or else a name or
    acronym looked up in the search index (its best hit)."""
    text = raw.strip()
    query = app_query("picture-node")
    try:
        return str(query.bindings({"focus": text})["focus"])
    except ParameterError:
        hits = (await search_index(current(request))).search(text, 1) if text else []
        if not hits:
            raise ParameterError(
                name, f"{raw!r} is neither an IRI, a prefixed name (prog:palim) nor a known name"
            ) from None
        return hits[0].iri


async def neighbourhood(request: Request, iri: str) -> network.Neighbourhood:
    state = current(request)
    # Not the programmes' table: a neighbourhood is two bound queries, and building the whole
    # table first made the first network picture wait for it (minutes at a million triples).
    require_graph(request)

    async def build() -> network.Neighbourhood:
        node_query, query = app_query("picture-node"), app_query("picture-neighbours")
        bound = node_query.bindings({"focus": iri})
        focus = network.focus_node(iri, await data.select(state, node_query, bound))
        if focus is None:
            raise NotFound(f"the graph says nothing of {iri}")
        rows = await data.select(state, query, query.bindings({"focus": iri}))
        return network.neighbourhood(focus, rows)

    return await cache.of(state).get(state.version, "network:" + iri, build)


@router.get(
    "/api/pictures/network",
    tags=["app"],
    summary="A resource and its neighbours, as nodes and edges",
    description="The programmes, organisations, countries, frameworks, sectors and groupings "
    "linked to `focus` (an IRI or a prefixed name such as prog:palim) by a curated statement.",
    openapi_extra={
        "parameters": [
            {"name": "focus", "in": "query", "required": True, "schema": {"type": "string"}}
        ]
    },
)
async def network_json(request: Request) -> Response:
    raw = request.query_params.get("focus", "")
    if not raw.strip():
        raise ParameterError("focus", "is required (an IRI or a prefixed name, e.g. prog:palim)")
    hood = await neighbourhood(request, await resolve(request, raw, "focus"))
    doc = hood.as_json()
    state = current(request)
    for node in doc["nodes"]:
        node["href"] = local_href(state, node["id"]) or ""
    return JSONResponse(doc)


async def network_view(request: Request) -> network.View:
    """The centre (`focus`), the nodes expanded (`expand`, comma-separated) and the relations
    hidden (`hide`, CURIEs), as the URL says."""
    raw = request.query_params.get("focus", "")
    if not raw.strip():
        raise ParameterError("focus", "is required (an IRI or a prefixed name, e.g. prog:palim)")
    names = [raw, *filter(None, request.query_params.get("expand", "").split(","))]
    hoods = [
        await neighbourhood(request, await resolve(request, n, "expand" if i else "focus"))
        for i, n in enumerate(names)
    ]
    hidden = set(filter(None, request.query_params.get("hide", "").split(",")))
    return network.view(hoods, hidden)


@router.api_route("/pictures/network", methods=["GET", "HEAD"], include_in_schema=False)
async def network_page(request: Request) -> Response:
    raw = request.query_params.get("focus", "")
    shown = await network_view(request) if raw.strip() else None
    body = render_page(
        "pictures-network.html",
        **page_context(request, "pictures"),
        shown=shown,
        focus=raw,
        kinds=network.KIND_NAMES,
        href=lambda iri: local_href(current(request), iri),
        expand_link=lambda key: (
            "?"
            + urlencode(
                {
                    "focus": shown.focus.key if shown else raw,
                    "expand": ",".join([*(shown.expanded if shown else ()), key]),
                }
            )
        ),
        csv_query=request.url.query,
        hidden=set(request.query_params.get("hide", "").split(",")),
    )
    return html(body)


@router.api_route("/pictures/network.csv", methods=["GET", "HEAD"], include_in_schema=False)
async def network_csv(request: Request) -> Response:
    """The edges the picture shows: of the focus and of every expanded node, less the hidden
    relations."""
    rows = network.csv_rows(await network_view(request))
    return attachment(pictures.to_csv(network.CSV_COLUMNS, rows), CSV, "smpkg-network.csv")
