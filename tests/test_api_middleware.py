"""GZip except the dumps (api.middleware.GZipExceptDumps): for a client that does not accept
gzip it answers what Starlette's GZip answers, header by header and byte by byte, by its own
shorter path; a client that accepts gzip gets Starlette's GZip itself; the dumps pass as they
are."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from api.middleware import GZIP_MINIMUM, GZipExceptDumps

SMALL = b"x" * (GZIP_MINIMUM - 1)
LARGE = b"y" * (GZIP_MINIMUM * 3)


async def answer(request: Request) -> Response:
    kind = request.path_params["kind"]
    if kind == "small":
        return Response(SMALL, media_type="application/sparql-results+json")
    if kind == "large":
        return Response(LARGE, media_type="text/turtle", headers={"Vary": "Accept"})
    if kind == "image":
        return Response(LARGE, media_type="image/png")
    if kind == "encoded":
        return Response(LARGE, media_type="text/plain", headers={"Content-Encoding": "br"})
    if kind == "partial":
        return Response(LARGE, status_code=206, media_type="text/plain")
    if kind == "empty":
        return Response(b"", media_type="text/plain")

    async def parts():
        yield SMALL
        yield SMALL

    return StreamingResponse(parts(), media_type="application/n-triples")


KINDS = ["small", "large", "image", "encoded", "partial", "empty", "streamed"]


def client(middleware: type) -> TestClient:
    routes = [Route("/{kind}", answer), Route("/download/{kind}", answer)]
    app = Starlette(routes=routes, middleware=[Middleware(middleware, minimum_size=GZIP_MINIMUM)])
    return TestClient(app)


def seen(client: TestClient, path: str, headers: dict[str, str]):
    r = client.get(path, headers=headers)
    kept = sorted((k, v) for k, v in r.headers.multi_items() if k != "date")
    return r.status_code, kept, r.content


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("encoding", ["", "identity", "br", "gzip, deflate"])
def test_the_same_answer_as_starlettes_gzip(kind, encoding):
    headers = {"Accept-Encoding": encoding}
    assert seen(client(GZipExceptDumps), f"/{kind}", headers) == seen(
        client(GZipMiddleware), f"/{kind}", headers
    )


def test_a_response_gzip_would_compress_names_accept_encoding_without_gzip():
    r = client(GZipExceptDumps).get("/large", headers={"Accept-Encoding": "identity"})
    assert r.headers["vary"] == "Accept, Accept-Encoding" and r.content == LARGE
    small = client(GZipExceptDumps).get("/small", headers={"Accept-Encoding": "identity"})
    assert "vary" not in small.headers and small.content == SMALL


def test_the_dumps_pass_as_they_are():
    r = client(GZipExceptDumps).get("/download/large", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in r.headers
    assert r.headers["vary"] == "Accept" and r.content == LARGE
