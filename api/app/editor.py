"""The query editor (`/editor`) and what it completes from (`/api/editor/vocabulary`,
`/api/editor/complete`).

The page is a form that works without JavaScript (it sends the query to /sparql, whose HTML
results page answers; "Load" puts a named query into the box). A named query is loaded with
its parameters bound, as a SPARQL user writes them: a commented VALUES line per parameter at
the top of its WHERE group (smpkg.query_text.with_parameters), holding the query's example
values, or the values the link gives (`/editor?example=initiatives-by-funder&funder=EU`,
the "Open in the editor" link of a query's form). Those values are resolved and checked as
the form's are (names and codes accepted, a bad one is a 400 with suggestions) and written
as RDF terms, never pasted as text. api/static/editor.js turns
the box into a SPARQL editor (yasqe, see the decision in docs/editor.md), runs queries
against /sparql itself and shows the results in place. Completion comes only from this
service: the graph's classes and properties (smpkg/app_queries/editor-terms.rq, computed
once per served snapshot) and its named resources (the search index's entries); yasqe's own
completers, which ask prefix.cc and LOV, are replaced in editor.js.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from rdflib import URIRef
from rdflib.term import Identifier
from starlette.concurrency import run_in_threadpool

from smpkg import completion
from smpkg.completion import Term, TermIndex
from smpkg.describe import compact
from smpkg.errors import NotFound, ParameterError
from smpkg.queries import NamedQuery
from smpkg.query_text import BoundParameter, with_parameters

from ..query_forms import resolvers, vocabularies
from ..results import labels_of
from ..snapshot import current
from ..templating import render_page
from . import cache, data
from .pages import local_href, page_context, search_index

router = APIRouter()
COMPLETE_LIMIT = 30
STARTER = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX smp: <https://w3id.org/smpkg/ontology#>

SELECT ?programme ?name
WHERE {
  ?programme a smp:Initiative ;
             rdfs:label ?name .
}
ORDER BY ?name
LIMIT 20
"""


# Query-string names the editor reads itself; any other name is a parameter of the example.
EDITOR_FIELDS = frozenset({"query", "example", "timeout", "run"})


@dataclass(frozen=True)
class Loaded:
    """A named query as the editor loads it: its text with the parameters bound, what each
    was bound to (for the page), and the query's form with the same values."""

    text: str
    bound: list[BoundParameter]
    form_href: str


def named_queries(request: Request) -> dict[str, NamedQuery]:
    return getattr(request.app.state, "named_queries", None) or {}


async def vocabulary(state) -> dict[str, TermIndex]:
    """The graph's classes and properties, once per served snapshot."""

    async def build() -> dict[str, TermIndex]:
        rows = await data.select(state, completion.terms_query())
        return await run_in_threadpool(completion.vocabulary_from_rows, rows)

    return await cache.of(state).get(state.version, "editor:terms", build)


async def entities(state) -> TermIndex:
    """The graph's named resources (the search index's entries), sorted by IRI."""

    async def build() -> TermIndex:
        index = await search_index(state)
        return TermIndex(Term(e.iri, e.label, "entity") for e in index.entries)

    return await cache.of(state).get(state.version, "editor:entities", build)


def link_rule(state) -> dict[str, str]:
    """pages.local_href as data, for the script that links result cells: an IRI starting
    with `from` has its page at `to` followed by the rest of the IRI."""
    base = state.settings.base_iri
    return {"from": base, "to": local_href(state, base) or "/"}


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return COMPLETE_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= completion.MAX_LIMIT:
        raise ParameterError(
            "limit", f"{raw!r} is not a whole number from 1 to {completion.MAX_LIMIT}"
        )
    return int(raw)


@router.api_route("/editor", methods=["GET", "HEAD"], include_in_schema=False)
async def editor_page(request: Request) -> Response:
    queries = named_queries(request)
    text = request.query_params.get("query")
    example = request.query_params.get("example")
    loaded = None
    if example:
        chosen = queries.get(example)
        if chosen is None:
            raise NotFound(f"no named query {example!r}; the editor's list shows them")
        loaded = await load(request, chosen)
        text = loaded.text
    body = render_page(
        "editor.html",
        **page_context(request, "editor"),
        sparql=STARTER if text is None else text,
        timeout=request.query_params.get("timeout", ""),
        max_seconds=current(request).settings.query_timeout,
        example=example or "",
        loaded=loaded,
        examples=sorted(queries.values(), key=lambda q: q.summary.lower()),
    )
    return HTMLResponse(body, media_type="text/html; charset=utf-8")


async def load(request: Request, query: NamedQuery) -> Loaded:
    """`query` with its parameters bound: the values the link gives, resolved and checked as
    the query's form does (ParameterError, a 400, for a bad one), or else its examples."""
    given = {k: v for k, v in request.query_params.items() if k not in EDITOR_FIELDS}
    examples = {p.name: p.example for p in query.params if p.example is not None}
    values = given or examples
    bindings = query.bindings(values, await resolvers(request, query))
    labels = {
        c.iri: c.label for v in (await vocabularies(request, query)).values() for c in v.choices
    }
    if any(isinstance(t, URIRef) and str(t) not in labels for t in bindings.values()):
        labels = {**(await labels_of(request)), **labels}
    bound = []
    for param in query.params:
        term = bindings.get(param.name)
        if term is None:
            continue
        if param.name in given:
            source = "as the link gives it"
        elif param.name in values:
            source = "the query's example"
        else:
            source = "its default"
        bound.append(BoundParameter(param.name, term, f"{_shown(term, labels)}, {source}"))
    form = {k: v for k, v in values.items() if v}
    href = f"/queries/{query.name}" + (f"?{urlencode(form)}" if form else "")
    return Loaded(with_parameters(query.text, bound), bound, href)


def _shown(term: Identifier, labels: Mapping[str, str]) -> str:
    """`Morocco (country:MAR)` for an IRI, the value of a literal."""
    if isinstance(term, URIRef):
        curie = compact(str(term))
        label = labels.get(str(term))
        return f"{label} ({curie})" if label and label != curie else curie
    return str(term)


@router.get(
    "/api/editor/vocabulary",
    tags=["app"],
    summary="The prefixes, classes and properties the query editor completes",
    description="Computed from the served data, once per dataset version: the graph's "
    "prefixes, every class and property (declared or used) with its label, and the rule "
    "that maps the dataset's IRIs to this service's pages.",
)
async def api_vocabulary(request: Request) -> Response:
    state = current(request)
    terms = await vocabulary(state)
    return JSONResponse(
        {
            "version": state.version,
            "prefixes": completion.prefixes(),
            "classes": [t.as_json() for t in terms["class"].terms],
            "properties": [t.as_json() for t in terms["property"].terms],
            "links": link_rule(state),
        }
    )


@router.get(
    "/api/editor/complete",
    tags=["app"],
    summary="Complete a class, property or resource of the graph",
    description="`kind` is class, property or entity; `q` the start of an IRI (a prefixed "
    "name already expanded) or, for entities, a name (searched as /api/search does).",
    openapi_extra={
        "parameters": [
            {"name": "kind", "in": "query", "schema": {"enum": list(completion.KINDS)}},
            {"name": "q", "in": "query", "schema": {"type": "string"}},
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": completion.MAX_LIMIT},
            },
        ]
    },
)
async def api_complete(request: Request) -> Response:
    state = current(request)
    kind = request.query_params.get("kind", "entity")
    if kind not in completion.KINDS:
        raise ParameterError("kind", f"{kind!r} is not one of {', '.join(completion.KINDS)}")
    text = request.query_params.get("q", "")
    limit = _limit(request.query_params.get("limit"))
    if kind == "entity":
        found = await _entities(state, text, limit)
    else:
        found = (await vocabulary(state))[kind].starting_with(text, limit) if text else []
    items = [dict(t.as_json(), href=local_href(state, t.iri)) for t in found]
    return JSONResponse({"kind": kind, "query": text, "items": items})


async def _entities(state, text: str, limit: int) -> list[Term]:
    if not text.strip():
        return []
    if ":" in text:
        return (await entities(state)).starting_with(text, limit)
    hits = (await search_index(state)).search(text, limit)
    return [Term(h.iri, h.label, "entity") for h in hits]
