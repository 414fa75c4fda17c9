"""Queries answered by worker processes with a deadline: the facade the service calls.

No engine can be interrupted from outside, so each query runs in a worker process
(`smpkg.worker`) of a pool (`smpkg.pool`) that kills a worker past its deadline. This module
only prepares a request (checks its bindings, makes its cache key), keeps results in a cache
(`smpkg.cache`), and tells an observer how it went. The text goes to the worker unread: the
worker scans it, refuses updates and SERVICE and negotiates the format
(`worker.screen_request`), and each engine asks the query guard again (`smpkg.guard`).

Read-only and no network: each worker also moves itself into an empty network namespace where
the kernel allows it (`isolation`). Results are cached (bounded LRU) under (dataset version,
text, dataset, bindings, base IRI, row cap, format); those of texts calling RAND, NOW, UUID,
STRUUID or BNODE never. A text's format is negotiated here only once a worker has answered
it, on the form the worker found: a text never answered cannot be in the cache.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

from rdflib.term import Identifier

from .cache import QUERY_MIN_USES, ResultCache
from .engine import NO_DATASET, DatasetSpec
from .errors import ParameterError, QueryFailed, UnsupportedFormat, WorkersBusy
from .failures import CRASH_TYPES, CrashedQueries, crash_note, log_failure, query_error
from .forkserver import context
from .formats import Format, by_key, choose_format
from .lanes import SlowLane
from .observation import Observation, QueryObserver, failed_form
from .pool import DeadlinePassed, WorkerLost, WorkerPool
from .query_text import INLINE_LOOKUP_CHARS, form_of_safe, query_hash
from .worker import InfoRequest, QueryReply, QueryRequest, Source, WorkerLimits, worker_main

log = logging.getLogger("smpkg.executor")

TRUNCATED_FRAGMENT = "#truncated"


@dataclass(frozen=True)
class QueryResult:
    body: bytes
    format: Format
    form: str
    truncated: bool
    cached: bool = False
    cacheable: bool = True  # False for RAND(), NOW()... : do not cache, no ETag
    seconds: float = 0.0  # time in the worker (execution and serialisation)


class Prepared(NamedTuple):
    key: tuple  # the cache key but for the format (`_key`)
    request: QueryRequest
    limit: float  # seconds
    digest: str  # the text's hash (`query_text.query_hash`)


class QueryExecutor:
    """A pool of query workers with a result cache. Thread-safe; use the async `execute`
    from request handlers and `execute_blocking` elsewhere."""

    def __init__(
        self,
        source: Source,
        *,
        workers: int = 2,
        timeout: float = 10.0,
        max_rows: int | None = 10_000,
        version: str = "",
        base_iri: str | None = None,
        cache_entries: int = 1024,
        cache_bytes: int = 64 << 20,
        isolate: bool = True,
        startup_timeout: float = 300.0,
        observer: QueryObserver | None = None,
        info: dict | None = None,
        limits: WorkerLimits | None = None,
        slow_lane: SlowLane | None = None,
        remembered_crashes: int = 256,
        crash_dir: Path | None = None,
    ):
        self.source = source
        self.workers = workers
        self.timeout = timeout
        self.max_rows = max_rows
        self.version = version
        self.base_iri = base_iri
        self.observe = Observation(observer)
        self.cache = ResultCache(cache_entries, cache_bytes, min_uses=QUERY_MIN_USES)
        # The form of each text a worker answered: with it a repeated text's format is
        # negotiated here, for its key, without reading the text again.
        self.forms = ResultCache(cache_entries, cache_bytes, size=_nothing, min_uses=QUERY_MIN_USES)
        # Each worker's stderr, read when it dies (`failures.crash_note`).
        self.log_dir = tempfile.mkdtemp(prefix="smpkg-workers-")
        self.limits = replace(limits or WorkerLimits(), log_dir=self.log_dir)
        self.lane = slow_lane or SlowLane(float("inf"), workers=0)
        self.crashed = CrashedQueries(remembered_crashes, crash_dir)
        self.pool = WorkerPool(
            worker_main,
            (source, isolate, self.limits),
            size=workers,
            context=context(),
            startup_timeout=startup_timeout,
            name="smpkg-query-worker",
        )
        # Scans long texts and looks them up in the cache off the event loop (while started).
        self._lookups: concurrent.futures.ThreadPoolExecutor | None = None
        self._info = info  # counts known beforehand (the on-disk store's)
        self.busy = 0

    def launch(self) -> QueryExecutor:
        os.makedirs(self.log_dir, exist_ok=True)  # again after a close
        self.pool.launch()
        return self

    def start(self) -> QueryExecutor:
        os.makedirs(self.log_dir, exist_ok=True)  # again after a close
        if self.pool.closed:  # again after a close: a new lookup pool (lifespans can repeat)
            self._lookups = concurrent.futures.ThreadPoolExecutor(4, "smpkg-lookup")
        self.pool.start()
        self._lookups = self._lookups or concurrent.futures.ThreadPoolExecutor(4, "smpkg-lookup")
        return self

    def close(self) -> None:
        self.pool.close()
        shutil.rmtree(self.log_dir, ignore_errors=True)
        lookups, self._lookups = self._lookups, None
        if lookups is not None:
            lookups.shutdown(wait=False, cancel_futures=True)

    def __enter__(self) -> QueryExecutor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    started = property(lambda self: self.pool.started)
    isolation = property(lambda self: self.pool.note)
    restarts = property(lambda self: self.pool.restarts)
    timeouts = property(lambda self: self.pool.timeouts)
    ready_workers = property(lambda self: self.pool.ready_workers)
    idle_workers = property(lambda self: self.pool.idle_workers)

    # ------------------------------------------------------------------ queries

    async def execute(
        self,
        text: str,
        *,
        dataset: DatasetSpec = NO_DATASET,
        bindings: Mapping | None = None,
        accept: str | None = None,
        format_param: str | Sequence[str] | None = None,
        base_iri: str | None = None,
        timeout: float | None = None,
        digest: str | None = None,
    ) -> QueryResult:
        """Run a query in a worker within the deadline; the serialised, negotiated result.
        A long text is looked up in the cache on a thread, a short one on the loop; cache
        hits never queue behind queries waiting for a worker. `digest` is the text's
        `query_hash` when the caller has it already (the access log's)."""
        arrived = time.monotonic()
        options = (dataset, bindings, accept, format_param, base_iri, timeout, digest)
        lookups = self._lookups
        if len(text) <= INLINE_LOOKUP_CHARS or lookups is None:  # None: closed, the pool says so
            hit, prepared = self._lookup(text, options)
        else:
            hit, prepared = await asyncio.wrap_future(lookups.submit(self._lookup, text, options))
        if prepared is None:
            return hit  # type: ignore[return-value]
        try:
            self.crashed.check(prepared.digest)
            async with self.lane.admit(prepared.digest):
                reply = await self.pool.call(prepared.request, arrived + prepared.limit)
        except Exception as exc:
            raise self._failed(exc, prepared, arrived) from exc
        if isinstance(reply, QueryReply):
            self.lane.observe(prepared.digest, reply.seconds)
        return self._kept(prepared, reply, arrived)

    def execute_blocking(self, text: str, **options) -> QueryResult:
        """The same as `execute`, for code that is not async (tests, scripts)."""
        return self.pool.run(self.execute(text, **options))

    def _lookup(self, text: str, options: tuple) -> tuple[QueryResult | None, Prepared | None]:
        """(cached result, None) or (None, prepared request)."""
        try:
            prepared = self._prepare(text, *options)
        except Exception as exc:
            self.observe(form_of_safe(text), exc, 0.0)
            raise
        form = self.forms.get(text)
        if form is None:  # never answered here: nothing to find
            return None, prepared
        try:
            fmt = choose_format(form, prepared.request.accept, prepared.request.format_param)
        except UnsupportedFormat:  # the worker says so, after any syntax error
            return None, prepared
        hit = self.cache.get(_key(prepared, fmt.key))
        if hit is not None:
            self.observe(hit.form, None, 0.0, cached=True)
            return replace(hit, cached=True), None
        return None, prepared

    def _prepare(
        self, text, dataset, bindings, accept, format_param, base_iri, timeout, digest=None
    ) -> Prepared:
        base = base_iri or self.base_iri
        for name, value in (bindings or {}).items():
            if not isinstance(value, Identifier):
                raise ParameterError(str(name), f"{value!r} is not an RDF term")
        bindings_key = tuple(sorted((str(k), v.n3()) for k, v in (bindings or {}).items()))
        key = (self.version, text, dataset, bindings_key, base, self.max_rows)
        request = QueryRequest(
            text,
            dataset,
            dict(bindings or {}),
            accept,
            format_param,
            base,
            self.max_rows,
            None,
            (base or "/sparql") + TRUNCATED_FRAGMENT,
        )
        limit = self.timeout if timeout is None else max(0.001, min(timeout, self.timeout))
        return Prepared(key, request, limit, digest or query_hash(text))

    def _kept(self, prepared: Prepared, reply: object, arrived: float) -> QueryResult:
        """The result of a worker's reply, cached when it may be; an error reply raised."""
        if isinstance(reply, BaseException):
            self.observe(failed_form(prepared.request.text), reply, time.monotonic() - arrived)
            raise reply
        assert isinstance(reply, QueryReply)
        self.observe(reply.form, None, reply.seconds)
        fmt = by_key(reply.format_key)
        result = QueryResult(
            reply.body,
            fmt,
            reply.form,
            reply.truncated,
            cacheable=reply.cacheable,
            seconds=reply.seconds,
        )
        if reply.cacheable:
            self.forms.put(prepared.request.text, reply.form)
            self.cache.put(_key(prepared, reply.format_key), result)
        return result

    def _failed(self, exc: Exception, prepared: Prepared, arrived: float) -> Exception:
        """The smpkg error for what the pool raised, observed, logged when a worker died or
        the query ran out of time."""
        note = crash_note(self.log_dir, exc.pid) if isinstance(exc, WorkerLost) else ""
        error = query_error(exc, prepared.limit, self.limits.memory_mb, note)
        if isinstance(error, WorkersBusy):
            self.busy += 1
        if isinstance(error, CRASH_TYPES):
            self.crashed.remember(prepared.digest, error)
        elif isinstance(exc, DeadlinePassed):
            self.lane.observe(prepared.digest, float("inf"))
        log_failure(log, prepared.digest, exc, error, note)
        self.observe(failed_form(prepared.request.text), error, time.monotonic() - arrived)
        return error

    # ------------------------------------------------------------------ dataset facts

    def info(self, refresh: bool = False) -> dict:
        """Counts for the service description (computed once by a worker)."""
        if self._info is not None and not refresh:
            return self._info
        deadline = time.monotonic() + max(self.pool.startup_timeout, 60)
        try:
            reply = self.pool.call_blocking(InfoRequest(), deadline)
        except (WorkerLost, DeadlinePassed) as exc:
            raise QueryFailed("a query worker stopped while counting the dataset") from exc
        if isinstance(reply, BaseException):
            raise reply
        self._info = reply
        return reply


def _key(prepared: Prepared, format_key: str) -> tuple:
    """The cache key of a result in the format `format_key`."""
    return (*prepared.key, format_key)


def _nothing(_: object) -> int:
    return 0
