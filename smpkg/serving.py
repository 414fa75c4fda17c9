"""What a server process opens at start-up: the build, made once however many processes start
together, and its on-disk store (oxigraph engine), written once per build version."""

from __future__ import annotations

import fcntl
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .build import KnowledgeGraph, build
from .config import Settings
from .disk_store import ensure_disk_store
from .lanes import SlowLane
from .namespaces import GRAPH_FILES
from .statistics import dataset_statistics
from .worker import WorkerLimits

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    pass


def build_once(settings: Settings, progress: Progress | None = None) -> KnowledgeGraph:
    """`build.build`, one process at a time: server processes that start (or reload)
    together wait for the first one's build, then find it in the cache."""
    settings.cache_path.mkdir(parents=True, exist_ok=True)
    with open(settings.cache_path / ".build.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        kg = build(settings, progress=progress or _quiet)
    # A server keeps none of the graphs a fresh build parsed (for validation, for owlrl):
    # it answers from the build's products on disk.
    return replace(kg)


def prepare_store(
    kg: KnowledgeGraph, settings: Settings, progress: Progress | None = None
) -> dict[str, Any] | None:
    """Write the build's on-disk store if it is not there yet (oxigraph engine only), with
    the dataset statistics, which it returns (None for the rdflib engine)."""
    if settings.engine != "oxigraph":
        return None
    try:
        _, meta = ensure_disk_store(
            kg.directory,
            {k: str(v) for k, v in GRAPH_FILES.items()},
            statistics=dataset_statistics,
            progress=progress,
        )
    except OSError as exc:  # e.g. a read-only cache: the workers load the N-Triples instead
        if progress:
            progress(f"no on-disk store ({exc}); the query workers load the N-Triples files")
        return None
    return meta.get("statistics")


def executor_limits(settings: Settings) -> dict[str, Any]:
    """The `executor.QueryExecutor` arguments that carry these settings' limits."""
    return {
        "cache_entries": settings.result_cache_entries,
        "cache_bytes": settings.result_cache_bytes,
        "limits": WorkerLimits(
            memory_mb=settings.worker_memory_mb,
            recycle_mb=settings.worker_recycle_mb,
            max_response_bytes=settings.max_response_bytes,
        ),
        "slow_lane": SlowLane(
            settings.slow_query_seconds,
            workers=settings.slow_lane_workers,
            queue=settings.slow_lane_queue,
            retry_after=settings.query_timeout,
        ),
        "remembered_crashes": settings.remembered_crashes,
    }
