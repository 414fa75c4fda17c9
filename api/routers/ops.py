"""Operations: GET /health (JSON) and GET /metrics (Prometheus text format)."""

from __future__ import annotations

import os
import time

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ..metrics import CONTENT_TYPE
from ..snapshot import current as snapshot_of

router = APIRouter()


@router.get("/health", tags=["operations"], summary="Liveness and readiness")
async def health(request: Request) -> Response:
    state = request.app.state
    snap = snapshot_of(request)
    executor = snap.executor
    ready = executor.ready_workers
    last_reload = state.last_reload
    # Degraded: still answering, but a worker is down, every worker is busy (a query now
    # waits), or the last reload failed (the data on disk is not what is served).
    healthy = (
        ready == executor.workers
        and executor.idle_workers > 0
        and (last_reload is None or last_reload.ok)
    )
    status = "unavailable" if not ready else ("ok" if healthy else "degraded")
    doc = {
        "status": status,
        "version": snap.version,
        "engine": "remote" if state.settings.store_url else state.settings.engine,
        "store": executor.source.kind,  # memory, disk, graph, files or remote
        "pid": os.getpid(),
        "dataset": "smp" if snap.mode == "smp" else [p.name for p in snap.dataset_files],
        "triples": snap.dataset_info["default"]["triples"],
        "workers": {"configured": executor.workers, "ready": ready, "restarts": executor.restarts},
        "network_isolation": executor.isolation,
        "query_timeout_seconds": state.settings.query_timeout,
        "max_rows": state.settings.max_rows,
        "uptime_seconds": round(time.time() - state.started_at, 1),
        "last_reload": last_reload.public() if last_reload else None,
    }
    return JSONResponse(
        doc,
        status_code=200 if ready else 503,
        media_type="application/json; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


router.add_api_route("/health", health, methods=["HEAD"], include_in_schema=False)


@router.get("/metrics", tags=["operations"], summary="Prometheus metrics")
async def metrics(request: Request) -> Response:
    state = request.app.state
    snap = snapshot_of(request)
    text = state.metrics.render(
        executor=snap.executor,
        info=snap.dataset_info,
        version=snap.version,
        engine=state.settings.engine,
    )
    return Response(text, media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"})
