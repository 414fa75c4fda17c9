"""Dereferenceable IRIs: `/id/{kind}/{slug}` for the things the data describes and
`/ontology` for the ontology, each answered by content negotiation.

IRI mapping: the project mints its IRIs under `settings.base_iri` (a persistent-identifier
base, https://w3id.org/smpkg/ by default, which redirects here). A request for `/id/...` on this
service is about the IRI `{base_iri}id/...`, wherever the service runs, so the same page
answers for the persistent IRI and for the service's own address. `/ontology` (and the version
IRI `/ontology/{version}`) is the ontology, a hash namespace: `{base_iri}ontology#Programme` is
documented at `/ontology#Programme`.

Negotiation (Cool URIs for the Semantic Web, section 4.2 / 200 with Content-Location): the IRI
answers 200 with the representation the client prefers (HTML for browsers, which ask for
text/html by name; Turtle for `*/*`; JSON-LD, N-Triples, RDF/XML, TriG, N-Quads on request)
and `Content-Location` names the document it came from: the IRI with an extension (`.html`,
`.ttl`, `.jsonld`, `.nt`, `.rdf`, `.trig`, `.nq`), which serves that format whatever the
Accept header says. `format=` overrides Accept as on /sparql. Responses say `Vary: Accept`
and list the alternates in a `Link` header; an Accept nothing matches gets 406 with the list;
an IRI the data says nothing about gets 404 (a page for browsers), never an empty graph.

The description itself comes from SPARQL (`smpkg.describe`): asked of the build's on-disk
store in this process (`Snapshot.pages`, opened read-only beside the query workers: the same
data, no round trip to a worker), or through the query executor when the service answers from
an external store, so a page always shows what the endpoint answers. The explanations of
inferred statements come from the build's derivation index (`smpkg.explain`). The HTML page
also runs the page queries of `smpkg.summary` (evidence, kinds, a passage's statements) the
same way; the RDF documents hold the description only, written by pyoxigraph (compact JSON-LD
by rdflib). With the build's store in this process, an RDF document skips the description
queries (whose label OPTIONALs only the page needs): its statements are read by index look-ups
(`smpkg.resource_document`), the same statements, and it is answered before routing
(`rdf_document`, called by `api.resource_lane`); the route answers the rest.
"""

from __future__ import annotations

import asyncio
import re
from typing import NamedTuple, cast

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL
from rdflib.term import Node
from starlette.concurrency import run_in_threadpool

from smpkg.describe import (
    QUERIES,
    Description,
    Links,
    compact,
    describe,
    rows_from_json,
    rows_of,
)
from smpkg.documentation import Usage, document
from smpkg.errors import NotFound, UnsupportedFormat
from smpkg.formats import BY_KEY, Format
from smpkg.namespaces import is_iri
from smpkg.oxigraph_engine import from_ox, to_ox
from smpkg.products import read_statistics
from smpkg.rdf_writer import OX_FORMATS, OX_PREFIXES, jsonld_bytes, rdf_bytes
from smpkg.release import ontology_version as current
from smpkg.resource_document import ResourceQuads, document_bytes, resource_quads
from smpkg.summary import PAGE_QUERIES, Summary, passage_facts, summarise

from ..errors import response_for
from ..negotiation import HTML, choose
from ..snapshot import Snapshot
from ..snapshot import current as snapshot_of
from ..templating import render_page

router = APIRouter()


def get_and_head(path: str, **kwargs):
    """GET in the OpenAPI document, HEAD beside it (left out of the document)."""

    def register(endpoint):
        router.add_api_route(path, endpoint, methods=["GET"], **kwargs)
        router.add_api_route(path, endpoint, methods=["HEAD"], include_in_schema=False)
        return endpoint

    return register


# Turtle first: what `Accept: */*` (curl, wget) gets; HTML when asked for by name.
RDF_FORMATS = [BY_KEY[k] for k in ("turtle", "jsonld", "ntriples", "rdfxml", "trig", "nquads")]
OFFERED = RDF_FORMATS + [HTML]
ONTOLOGY_FORMATS = [BY_KEY[k] for k in ("turtle", "jsonld", "ntriples", "rdfxml")] + [HTML]
BY_EXTENSION = {f.extension: f for f in OFFERED}
# What may follow `id/` in an IRI (RFC 3987 forbids the rest; such a path names nothing here).
_SLUG = re.compile(r"^[^\x00-\x20\x7f<>\"{}|^`\\]+$")


def split_extension(path: str, offered: list[Format]) -> tuple[str, Format | None]:
    """`programme/thamm.ttl` -> (`programme/thamm`, Turtle); no known extension -> (path, None)."""
    stem, dot, ext = path.rpartition(".")
    if dot and "/" not in ext:
        fmt = BY_EXTENSION.get(ext.lower())
        if fmt is not None and fmt in offered:
            return stem, fmt
    return path, None


def links_for(request: Request) -> Links:
    return Links(request.app.state.settings.base_iri, request.scope.get("root_path", ""))


def alternates(document: str, offered: list[Format]) -> list[dict]:
    return [
        {"format": f, "href": f"{document}.{f.extension}", "media_type": f.media_type}
        for f in offered
    ]


def link_header(items: list[dict]) -> str:
    return ", ".join(f'<{a["href"]}>; rel="alternate"; type="{a["media_type"]}"' for a in items)


def script_json(data: bytes) -> str:
    """JSON for a <script> element: `</` written as `<\\/` so the text cannot end it."""
    return data.decode("utf-8").replace("</", "<\\/")


def negotiated_error(request: Request, exc: UnsupportedFormat | NotFound) -> Response:
    """The error response (406, 404) with `Vary: Accept`: its format follows the header."""
    response = response_for(exc, request.headers.get("accept"))
    response.headers["Vary"] = "Accept"
    return response


# --------------------------------------------------------------------------- /id/...


async def _rows(state: Snapshot, iri: URIRef, queries: dict[str, str]) -> tuple[dict, bool]:
    """The rows of the page's queries: from the build's store in this process when there is
    one (`Snapshot.pages`), else through the query executor."""
    engine = state.pages
    if engine is not None:
        return await run_in_threadpool(rows_of, engine, iri, queries, state.settings.max_rows)

    async def run(text: str):
        return await state.executor.execute(text, bindings={"this": iri}, format_param="json")

    results = await asyncio.gather(*(run(text) for text in queries.values()))
    truncated = any(r.truncated for r in results)
    rows = {name: rows_from_json(r.body) for name, r in zip(queries, results, strict=True)}
    return rows, truncated


def _describe(
    state: Snapshot, iri: URIRef, rows: dict, truncated: bool, page: bool
) -> Description | None:
    """The description; with the explanations and the store's labels for a page only (the
    RDF documents hold the statements alone)."""
    return describe(iri, rows, state.explainer if page else None, truncated)


def _replacement(description: Description, iri: URIRef, base: str) -> URIRef | None:
    """The resource of this dataset that replaces a deprecated one (`owl:deprecated true` and
    `dcterms:isReplacedBy`): its IRI redirects there, so old links keep working."""
    triples = {quad[:3] for quad in description.quads}
    if (iri, OWL.deprecated, Literal(True)) not in triples:
        return None
    replacements = sorted(o for s, p, o in triples if s == iri and p == DCTERMS.isReplacedBy)
    return next((o for o in replacements if isinstance(o, URIRef) and o.startswith(base)), None)


def description_bytes(description: Description, fmt: Format) -> bytes:
    """A resource's RDF document. TriG and N-Quads hold every statement in the default graph
    (what a client that reads the default graph sees: Comunica dereferencing an IRI) and again
    in the named graph it comes from (`Description.dataset`)."""
    if fmt.key not in OX_FORMATS:
        graph = description.dataset() if fmt.quads else description.graph()
        return rdf_bytes(graph, fmt)
    terms = [(to_ox(s), to_ox(p), to_ox(o), g) for s, p, o, g in description.quads]
    triples = dict.fromkeys((s, p, o) for s, p, o, _ in terms)
    items: list = [ox.Triple(s, p, o) for s, p, o in triples]
    if fmt.quads:
        items = [ox.Quad(s, p, o, ox.DefaultGraph()) for s, p, o in triples]
        items += [ox.Quad(s, p, o, to_ox(g)) for s, p, o, g in terms if g is not None]
    out = ox.serialize(items, format=OX_FORMATS[fmt.key], prefixes=OX_PREFIXES)
    return out or b""


def _summary(description: Description, rows: dict, root: str) -> Summary:
    return summarise(description, {name: rows[name] for name in PAGE_QUERIES}, root)


def _render(
    request: Request, description: Description, fmt: Format, document: str, rows: dict
) -> bytes:
    if fmt is not HTML:
        return description_bytes(description, fmt)
    summary = _summary(description, rows, request.scope.get("root_path", ""))
    return render_page(
        "passage.html" if summary.is_passage else "resource.html",
        d=description,
        s=summary,
        passage=passage_facts(description),
        links=links_for(request),
        alternates=alternates(document, RDF_FORMATS),
        jsonld=script_json(jsonld_bytes(description.graph())),
    ).encode("utf-8")


async def rdf_document(request: Request, path: str) -> Response | None:
    """The answer for `/id/{path}` when it is an RDF document read from the build's store
    (`api.resource_lane` calls this before routing); None when the route must answer (a
    page, an error of negotiation, an external store, --dataset files)."""
    state = snapshot_of(request)
    pages = state.pages
    if pages is None:
        return None
    stem, fixed = split_extension(path, OFFERED)
    try:
        fmt = fixed or choose(request, OFFERED)
    except UnsupportedFormat:
        return None
    name = f"{state.settings.base_iri}id/{stem}"
    if fmt is HTML or not stem or not _SLUG.match(stem) or not is_iri(name):
        return None
    return await _quads_response(request, state, pages.store, stem, fmt, fixed)


@get_and_head(
    "/id/{path:path}",
    tags=["linked data"],
    summary="A resource of the dataset, by content negotiation",
    responses={
        200: {"description": "HTML, Turtle, JSON-LD, N-Triples, RDF/XML, TriG or N-Quads."},
        301: {"description": "A deprecated resource: its replacement (dcterms:isReplacedBy)."},
        404: {"description": "The data says nothing about this IRI."},
        406: {"description": "No acceptable format."},
    },
)
async def resource(request: Request) -> Response:
    path = request.path_params["path"]
    state = snapshot_of(request)
    stem, fixed = split_extension(path, OFFERED)
    try:
        fmt = fixed or choose(request, OFFERED)
    except UnsupportedFormat as exc:
        return negotiated_error(request, exc)
    unknown = NotFound(f"no resource {state.settings.base_iri}id/{stem} in this dataset")
    name = f"{state.settings.base_iri}id/{stem}"
    if not stem or not _SLUG.match(stem) or not is_iri(name):
        return negotiated_error(request, unknown)
    iri = URIRef(name)
    # The page's summary needs more than the RDF documents hold: its queries run for HTML only.
    queries = {**QUERIES, **PAGE_QUERIES} if fmt is HTML else QUERIES
    rows, truncated = await _rows(state, iri, queries)
    described = {name: rows[name] for name in QUERIES}
    description = await run_in_threadpool(_describe, state, iri, described, truncated, fmt is HTML)
    if description is None:
        return negotiated_error(request, unknown)
    replacement = _replacement(description, iri, state.settings.base_iri)
    if replacement is not None:
        return _moved(request, replacement, state.settings.base_iri, fixed)
    document = f"{request.scope.get('root_path', '')}/id/{stem}"
    body = await run_in_threadpool(_render, request, description, fmt, document, rows)
    return document_response(body, document, fmt, fixed)


def _moved(request: Request, replacement: str, base: str, fixed: Format | None) -> Response:
    """The 301 to a deprecated resource's replacement, in the format the request fixed."""
    target = f"{request.scope.get('root_path', '')}/{replacement[len(base) :]}"
    target += f".{fixed.extension}" if fixed is not None else ""
    return RedirectResponse(target, status_code=301, headers={"Vary": "Accept"})


def document_response(body: bytes, document: str, fmt: Format, fixed: Format | None) -> Response:
    """A resource's document, with its alternates and, when negotiated, its own URL."""
    headers = {"Vary": "Accept", "Link": link_header(alternates(document, OFFERED))}
    if fixed is None:
        headers["Content-Location"] = f"{document}.{fmt.extension}"
    return Response(body, media_type=_media(fmt), headers=headers)


class QuadsDocument(NamedTuple):
    """A resource's statements and, unless it is unknown or replaced, its document."""

    found: ResourceQuads
    replacement: str | None
    body: bytes


# A document with up to this many statements each way (nearly every one) is read and written
# on the event loop: a thread hop would cost more than the look-ups (about 10 µs a statement).
INLINE_STATEMENTS = 256


def quads_document(
    store, name: str, fmt: Format, base: str, limit: int | None, found: ResourceQuads | None = None
) -> QuadsDocument:
    """A resource's RDF document read from the build's store by index look-ups
    (`smpkg.resource_document`): what the description holds, without the description
    queries, which spend their time on the page's labels."""
    found = found or resource_quads(store, name, limit)
    replacement = found.replacement(base) if found else None
    if not found or replacement is not None:
        return QuadsDocument(found, replacement, b"")
    if fmt.key in OX_FORMATS:
        return QuadsDocument(
            found, None, document_bytes(found.quads, OX_FORMATS[fmt.key], OX_PREFIXES)
        )
    graph = Graph()
    for quad in found.quads:
        graph.add(cast(tuple[Node, Node, Node], tuple(from_ox(t) for t in quad.triple)))
    return QuadsDocument(found, None, rdf_bytes(graph, fmt))


async def _made(store, name: str, fmt: Format, base: str, limit: int | None) -> QuadsDocument:
    """The document: on the event loop when it is small and pyoxigraph writes it, else (a
    resource with many statements, JSON-LD by rdflib) in a thread."""
    small = limit is not None and limit <= INLINE_STATEMENTS
    probe = resource_quads(store, name, limit if small else INLINE_STATEMENTS)
    complete = small or not probe.truncated
    if complete and fmt.key in OX_FORMATS:
        return quads_document(store, name, fmt, base, limit, probe)
    return await run_in_threadpool(
        quads_document, store, name, fmt, base, limit, probe if complete else None
    )


async def _quads_response(
    request: Request, state: Snapshot, store: ox.Store, stem: str, fmt: Format, fixed: Format | None
) -> Response:
    base = state.settings.base_iri
    made = await _made(store, f"{base}id/{stem}", fmt, base, state.settings.max_rows)
    if not made.found:
        return negotiated_error(request, NotFound(f"no resource {base}id/{stem} in this dataset"))
    if made.replacement is not None:
        return _moved(request, made.replacement, base, fixed)
    return document_response(
        made.body, f"{request.scope.get('root_path', '')}/id/{stem}", fmt, fixed
    )


def _media(fmt: Format) -> str:
    return "text/html; charset=utf-8" if fmt is HTML else fmt.content_type


# --------------------------------------------------------------------------- /ontology


def _ontology_body(request: Request, fmt: Format) -> bytes:
    state = snapshot_of(request)
    kg = state.kg
    key = ("ontology", fmt.key, request.scope.get("root_path", ""))

    def render() -> bytes:
        if fmt is HTML:
            doc = document(kg.ontology, Usage.from_json(read_statistics(kg.directory)["usage"]))
            return render_page(
                "ontology.html",
                doc=doc,
                links=links_for(request),
                compact=compact,
                alternates=alternates(
                    f"{request.scope.get('root_path', '')}/ontology", ONTOLOGY_FORMATS[:-1]
                ),
            ).encode("utf-8")
        return rdf_bytes(kg.ontology, fmt)

    return state.document(key, render)


async def _ontology(request: Request, suffix: str = "") -> Response:
    state = snapshot_of(request)
    if state.kg is None:
        raise NotFound("this service serves --dataset files: it has no ontology of its own")
    _, fixed = split_extension("ontology" + suffix, ONTOLOGY_FORMATS)
    if suffix and fixed is None:
        raise NotFound(f"nothing at {request.url.path}")
    try:
        fmt = fixed or choose(request, ONTOLOGY_FORMATS)
    except UnsupportedFormat as exc:
        return negotiated_error(request, exc)
    body = await run_in_threadpool(_ontology_body, request, fmt)
    document = f"{request.scope.get('root_path', '')}/ontology"
    headers = {"Vary": "Accept", "Link": link_header(alternates(document, ONTOLOGY_FORMATS))}
    if fixed is None:
        headers["Content-Location"] = f"{document}.{fmt.extension}"
    return Response(body, media_type=_media(fmt), headers=headers)


@get_and_head(
    "/ontology",
    tags=["linked data"],
    summary="The ontology: documentation for browsers, OWL for RDF clients",
)
async def ontology(request: Request) -> Response:
    return await _ontology(request)


@get_and_head("/ontology.{ext}", include_in_schema=False)
async def ontology_document(request: Request) -> Response:
    ext = request.path_params["ext"]
    return await _ontology(request, "." + ext)


@get_and_head(
    "/ontology/{version}",
    tags=["linked data"],
    summary="The ontology's version IRI (the current version only)",
)
async def ontology_version(request: Request) -> Response:
    version = request.path_params["version"]
    state = snapshot_of(request)
    if state.kg is None:
        raise NotFound("this service serves --dataset files: it has no ontology of its own")
    stem, fixed = split_extension(version, ONTOLOGY_FORMATS)
    now = await run_in_threadpool(current, state.kg)
    if stem != now:
        raise NotFound(
            f"ontology version {stem!r} is not served here; the current version is "
            f"{now!r} at /ontology"
        )
    return await _ontology(request, f".{fixed.extension}" if fixed else "")
