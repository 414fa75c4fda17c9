"""POST /admin/reload: rebuild from the files on disk and swap the data in, only from the
machine itself. A build that fails (a file that does not parse, a shape violation) answers
422 with the reason and leaves the service on its last good data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from .. import lifecycle

router = APIRouter()
LOOPBACK = {"127.0.0.1", "::1", "localhost", "testclient"}


@router.post("/admin/reload", tags=["operations"], summary="Reload the data from disk")
async def reload(request: Request) -> JSONResponse:
    client = request.client.host if request.client else None
    if client not in LOOPBACK and not (client or "").startswith("127."):
        return JSONResponse(
            {"error": "reload is accepted only from the machine itself"},
            status_code=403,
            headers={"Cache-Control": "no-store"},
        )
    outcome = await run_in_threadpool(lifecycle.reload, request.app)
    return JSONResponse(
        outcome,
        status_code=200 if outcome["ok"] else 422,
        media_type="application/json; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )
