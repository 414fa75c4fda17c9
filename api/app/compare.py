"""Compare (issue 12, item 6): two to four programmes side by side, `/compare?items=a,b`,
their facts aligned by property and the rows that differ marked. Rendered on the server (it
works without JavaScript once the items are in the URL); api/static/compare.js adds a picker
over /api/search. `/compare.csv` downloads the same table."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from smpkg import compare
from smpkg.describe import compact
from smpkg.errors import ParameterError
from smpkg.pictures import to_csv

from ..snapshot import current
from ..templating import render_page
from . import cache, data
from .pages import html, local_href, page_context
from .pictures import CSV, app_query, attachment, programmes, resolve

router = APIRouter()


def item_names(request: Request) -> list[str]:
    raw = ",".join(request.query_params.getlist("items"))
    return [n.strip() for n in raw.split(",") if n.strip()]


async def facts_of(request: Request, iri: str) -> dict:
    state = current(request)

    async def build() -> dict:
        query = app_query("compare-facts")
        rows = await data.select(state, query, query.bindings({"item": iri}))
        return compare.facts_by_property(rows)

    return await cache.of(state).get(state.version, "compare:" + iri, build)


async def compared(request: Request) -> tuple[list[tuple[str, str]], list[compare.Row]]:
    """(iri, label) of each item, and the aligned rows; ParameterError for too many items
    or one that is not a programme."""
    records = {r.iri: r for r in await programmes(request)}
    names = item_names(request)
    if len(names) > compare.MAX_ITEMS:
        raise ParameterError("items", f"compare at most {compare.MAX_ITEMS} programmes at once")
    iris: list[str] = []
    for name in names:
        iri = await resolve(request, name, "items")
        if iri not in records:
            raise ParameterError("items", f"{name!r} is not a programme of the graph")
        if iri not in iris:
            iris.append(iri)
    facts = [await facts_of(request, iri) for iri in iris]
    return [(iri, records[iri].label) for iri in iris], compare.comparison(facts)


@router.api_route("/compare", methods=["GET", "HEAD"], include_in_schema=False)
async def compare_page(request: Request) -> Response:
    items, rows = await compared(request)
    state = current(request)
    body = render_page(
        "compare.html",
        **page_context(request, "compare"),
        items=items,
        rows=rows,
        enough=len(items) >= compare.MIN_ITEMS,
        items_text=", ".join(compact(iri) for iri, _ in items),
        href=lambda iri: local_href(state, iri),
        curie=compact,
    )
    return html(body)


@router.api_route("/compare.csv", methods=["GET", "HEAD"], include_in_schema=False)
async def compare_csv(request: Request) -> Response:
    items, rows = await compared(request)
    header, out = compare.csv_rows([label for _, label in items], rows)
    return attachment(to_csv(header, out), CSV, "smpkg-compare.csv")
