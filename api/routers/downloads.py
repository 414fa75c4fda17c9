"""Dumps and the dataset description.

- `/download`: the dumps of the current dataset version (ontology, asserted, inferred, full;
  Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML; plain and gzip) with sizes, statement
  counts and SHA-256 checksums: a page for browsers, the manifest for `Accept:
  application/json`. `/download/{file}` serves one file (with `Repr-Digest`), as do
  `/download/manifest.json` and `/download/SHA256SUMS`; `/download/{version}/{file}` is the
  same file under its release's version (the current version only).
- `/.well-known/void` (RFC 8615 / VoID section 7.2), `/dataset` and `/dataset/{version}`: the
  VoID + DCAT description (`smpkg.void`), negotiated; browsers get the download page.
- `/graph/{name}`: a named graph's IRI, answered 303 See Other to its dump in the negotiated
  format.

The dumps are written by the build into its cache directory (`smpkg.products`; a build made by
older code gets them from `smpkg.release.ensure_dumps`, off the event loop, once), never per
request, and sent as files; VoID's counts come from the build's statistics file, and its
documents in the RDF formats are a build product too (`smpkg.void_product`), put into each
snapshot by `api.void_documents`.
"""

from __future__ import annotations

import asyncio
import base64
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import Send

from smpkg.errors import NotFound, UnsupportedFormat
from smpkg.formats import BY_KEY, Format
from smpkg.rdf_writer import rdf_bytes
from smpkg.release import CHECKSUMS, MANIFEST, PART_GRAPHS, PARTS, dump_name, ensure_dumps
from smpkg.void import statistics
from smpkg.void_product import VOID_KEYS, service_void_graph

from ..negotiation import HTML, JSON, choose
from ..snapshot import current as snapshot_of
from ..snapshot import localised, rendered_site, site_url
from ..templating import render_page
from .resources import negotiated_error

router = APIRouter()


def get_and_head(path: str, **kwargs):
    """GET in the OpenAPI document, HEAD beside it (left out of the document)."""

    def register(endpoint):
        router.add_api_route(path, endpoint, methods=["GET"], **kwargs)
        router.add_api_route(path, endpoint, methods=["HEAD"], include_in_schema=False)
        return endpoint

    return register


VOID_FORMATS = [BY_KEY[k] for k in VOID_KEYS] + [HTML]
GRAPH_DUMP_FORMATS = [
    BY_KEY[k] for k in ("turtle", "jsonld", "ntriples", "rdfxml", "trig", "nquads")
] + [HTML]


def _kg(request: Request):
    kg = snapshot_of(request).kg
    if kg is None:
        raise NotFound(
            "this service serves --dataset files: dumps and the dataset description "
            "are made for the smpkg graph only; the files served are its dumps"
        )
    return kg


async def _dumps(request: Request) -> tuple:
    return await run_in_threadpool(ensure_dumps, _kg(request))


def _size(n: int) -> str:
    for unit, scale in (("MB", 1 << 20), ("kB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


def download_view(request: Request, manifest: dict, site: str | None = None) -> dict:
    """What the download page shows; `site` is the service's URL (this request's by default)."""
    site = site or site_url(request)
    parts = []
    for part, description in PARTS.items():
        rows: dict[str, dict] = {}
        for entry in manifest["files"]:
            if entry.get("part") != part:
                continue
            row = rows.setdefault(
                entry["format"],
                {
                    "format": entry["format"],
                    "media_type": entry["media_type"],
                    "triples": entry["triples"],
                    "graphs": entry["graphs"],
                },
            )
            row["gzip" if entry["compression"] else "plain"] = {
                **entry,
                "size": _size(entry["bytes"]),
                "href": f"/download/{entry['name']}",
            }
        parts.append(
            {
                "name": part,
                "description": description,
                "graph": str(PART_GRAPHS.get(part, "")),
                "triples": manifest["triples"][part],
                "rows": list(rows.values()),
            }
        )
    base = request.app.state.settings.base_iri
    return {
        "manifest": manifest,
        "parts": parts,
        "site": site,
        "endpoint": f"{site}/sparql",
        "dataset": f"{base}dataset",
        "version_iri": f"{base}dataset/{manifest['version']}",
        "stats": statistics(_kg(request)),
        "example": f"{site}/download/{dump_name('full', BY_KEY['nquads'], True)}",
    }


@get_and_head(
    "/download",
    tags=["linked data"],
    summary="The dumps: every part in every format, with sizes and checksums",
)
async def downloads(request: Request) -> Response:
    try:
        fmt = choose_page(request)
    except UnsupportedFormat as exc:
        return negotiated_error(request, exc)
    _, manifest = await _dumps(request)
    if fmt is JSON:
        return JSONResponse(manifest, headers={"Vary": "Accept"})
    body = await run_in_threadpool(_page, request, manifest)
    return Response(body, media_type="text/html; charset=utf-8", headers={"Vary": "Accept"})


def _page(request: Request, manifest: dict, site: str | None = None) -> str:
    return render_page("download.html", **download_view(request, manifest, site))


def choose_page(request: Request) -> Format:
    return choose(request, [HTML, JSON])


class DumpResponse(FileResponse):
    """A dump file, sent in 4 MiB chunks, the next read from the file (in a thread) while the
    last is being sent: Starlette's FileResponse reads 64 kB at a time and only once the last
    one is sent, and a read in a thread and a send that waits for the socket to drain, one
    after the other, left the server idle between chunks (727 MB/s at a million triples
    where a plain read from the page cache makes 2.7 GB/s)."""

    chunk_size = 4 << 20

    async def _handle_simple(self, send: Send, send_header_only: bool, send_pathsend: bool):
        if send_header_only or send_pathsend:
            return await super()._handle_simple(send, send_header_only, send_pathsend)
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        loop = asyncio.get_running_loop()
        with open(self.path, "rb") as handle:
            read = partial(handle.read, self.chunk_size)
            pending = loop.run_in_executor(None, read)
            try:
                while True:
                    chunk = await pending
                    more = len(chunk) == self.chunk_size
                    if more:
                        pending = loop.run_in_executor(None, read)
                    await send({"type": "http.response.body", "body": chunk, "more_body": more})
                    if not more:
                        return None
            finally:
                # A client gone mid-send: the read under way finishes before the file closes.
                await asyncio.wait([pending])


def _file(directory, manifest: dict, name: str) -> Response:
    entries = {f["name"]: f for f in manifest["files"]}
    if name in (MANIFEST, CHECKSUMS):
        media = "application/json" if name == MANIFEST else "text/plain; charset=utf-8"
        return FileResponse(directory / name, media_type=media)
    entry = entries.get(name)
    if entry is None:
        raise NotFound(f"no dump named {name!r}; /download lists them")
    digest = base64.b64encode(bytes.fromhex(entry["sha256"])).decode()
    media = "application/gzip" if entry["compression"] else f"{entry['media_type']}; charset=utf-8"
    return DumpResponse(
        directory / name, media_type=media, headers={"Repr-Digest": f"sha-256=:{digest}:"}
    )


@get_and_head(
    "/download/{name}", tags=["linked data"], summary="One dump file (or manifest.json, SHA256SUMS)"
)
async def download_file(request: Request) -> Response:
    name = request.path_params["name"]
    directory, manifest = await _dumps(request)
    return _file(directory, manifest, name)


@get_and_head(
    "/download/{version}/{name}",
    tags=["linked data"],
    summary="One dump file of a release (the current version only)",
)
async def download_release_file(request: Request) -> Response:
    version = request.path_params["version"]
    name = request.path_params["name"]
    directory, manifest = await _dumps(request)
    if version != manifest["version"]:
        raise NotFound(
            f"release {version!r} is not served here; the current version is "
            f"{manifest['version']!r}"
        )
    return _file(directory, manifest, name)


# --------------------------------------------------------------------------- VoID


def _void_body(request: Request, manifest: dict, fmt: Format) -> bytes:
    state = snapshot_of(request)
    site = rendered_site(request)

    def render() -> bytes:
        if fmt is HTML:
            return _page(request, manifest, site).encode("utf-8")
        graph = service_void_graph(state.kg, manifest, base_iri=state.settings.base_iri, site=site)
        return rdf_bytes(graph, fmt)

    key = ("void", fmt.key, request.scope.get("root_path", ""))
    return localised(request, state.document(key, render))


async def _void(request: Request) -> Response:
    try:
        fmt = choose(request, VOID_FORMATS)
    except UnsupportedFormat as exc:
        return negotiated_error(request, exc)
    _, manifest = await _dumps(request)
    body = await run_in_threadpool(_void_body, request, manifest, fmt)
    media = "text/html; charset=utf-8" if fmt is HTML else fmt.content_type
    headers = {"Vary": "Accept"}
    if request.url.path != "/.well-known/void":
        headers["Content-Location"] = "/.well-known/void"
    return Response(body, media_type=media, headers=headers)


@get_and_head(
    "/.well-known/void",
    tags=["linked data"],
    summary="The VoID and DCAT description of the dataset",
)
async def well_known_void(request: Request) -> Response:
    return await _void(request)


@get_and_head(
    "/dataset", tags=["linked data"], summary="The dataset's IRI: its VoID and DCAT description"
)
async def dataset(request: Request) -> Response:
    return await _void(request)


@get_and_head(
    "/dataset/{version}",
    tags=["linked data"],
    summary="A release's version IRI (the current version only)",
)
async def dataset_version(request: Request) -> Response:
    version = request.path_params["version"]
    _, manifest = await _dumps(request)
    if version != manifest["version"]:
        raise NotFound(
            f"release {version!r} is not served here; the current version is "
            f"{manifest['version']!r}"
        )
    return await _void(request)


@get_and_head(
    "/graph/{name}", tags=["linked data"], summary="A named graph's IRI: 303 See Other to its dump"
)
async def graph(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in PART_GRAPHS:
        raise NotFound(f"no graph {name!r}: the graphs are {', '.join(PART_GRAPHS)}")
    _kg(request)
    try:
        fmt = choose(request, GRAPH_DUMP_FORMATS)
    except UnsupportedFormat as exc:
        return negotiated_error(request, exc)
    root = request.scope.get("root_path", "")
    target = f"{root}/download#{name}" if fmt is HTML else f"{root}/download/{dump_name(name, fmt)}"
    return RedirectResponse(target, status_code=303, headers={"Vary": "Accept"})
