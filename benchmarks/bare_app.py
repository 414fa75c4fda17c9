"""Minimal ASGI apps for the breakdown: the ceiling of uvicorn + Starlette / FastAPI on this
machine, with a body the size of a small SPARQL JSON answer. Run by benchmarks/breakdown.py:
`python -m uvicorn benchmarks.bare_app:starlette_app` (or `fastapi_app`)."""

from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

BODY = (
    b'{"head": {"vars": ["x"]}, "results": {"bindings": ['
    + b",".join(
        b'{"x": {"type": "uri", "value": "https://w3id.org/smpkg/id/programme/p%d"}}' % i
        for i in range(12)
    )
    + b"]}}"
)
MEDIA = "application/sparql-results+json"


async def _answer(request):
    await request.body()
    return Response(BODY, media_type=MEDIA)


starlette_app = Starlette(routes=[Route("/sparql", _answer, methods=["GET", "POST"])])

fastapi_app = FastAPI(docs_url=None, redoc_url=None)


@fastapi_app.api_route("/sparql", methods=["GET", "POST"])
async def fastapi_answer():
    return Response(BODY, media_type=MEDIA)
