"""The query worker: a process that opens its `Source` and answers typed requests.

A worker is forked from the fork server (`smpkg.forkserver`), opens its engine, warms it up,
moves itself into an empty network namespace where the kernel allows it, sends `pool.Ready`,
and then answers each `QueryRequest` with a `QueryReply` (the serialised, negotiated result)
and each `InfoRequest` with the dataset statistics, until the pool stops it. A failure is
answered with the exception itself: smpkg errors pickle themselves, anything else becomes a
`QueryFailed` that names it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, NamedTuple

from rdflib import Literal, URIRef
from rdflib.term import Identifier

from .disk_store import DISK_STORE_DIR, disk_store_info, open_disk_store
from .egress import restrict_egress
from .engine import NO_DATASET, NO_SERVICE, READ_ONLY, Answer, DatasetSpec
from .errors import QueryFailed, QueryRefused, SmpkgError, UnsupportedFormat
from .formats import (
    GRAPH_FORMATS,
    RESULT_FORMATS,
    by_key,
    choose_format,
    offered_formats,
    serialize_answer,
)
from .lexer import scan
from .oxigraph_engine import load_build
from .pool import STOP, Ready, Retiring
from .remote_store import RemoteEngine, query_endpoint
from .statistics import dataset_statistics


@dataclass(frozen=True)
class Source:
    """What a worker serves: a built graph's directory (its on-disk store when there is one),
    arbitrary RDF files, or an external SPARQL store."""

    engine: str
    graph_dir: str | None = None
    files: tuple[str, ...] = ()
    store: str | None = None  # an on-disk pyoxigraph store, opened read-only
    in_memory: bool = False  # a small build, loaded into each worker's memory
    url: str | None = None  # an external store's query endpoint (engine "remote")
    graphs: tuple[str, ...] = ()  # the external store's graphs: the default graph's union
    timeout: float = 10.0  # the HTTP timeout for an external store

    @property
    def kind(self) -> str:
        if self.url:
            return "remote"
        if self.in_memory:
            return "memory"
        if self.store:
            return "disk"
        return "graph" if self.graph_dir else "files"

    @classmethod
    def of_graph(cls, kg: Any, engine: str, memory_up_to: int = 0) -> Source:
        """A built graph; the oxigraph engine opens its on-disk store if it has been written
        (`disk_store.ensure_disk_store`), and loads the N-Triples files otherwise. A build of at
        most `memory_up_to` triples is loaded into each worker's memory even when its store
        is written: a query runs about twice as fast in memory, and loading a small build
        takes less time than opening the store."""
        # Absolute paths: a worker is forked from the fork server, in the fork server's
        # working directory, not ours.
        directory = Path(kg.directory).resolve()
        info = disk_store_info(directory) if engine == "oxigraph" else None
        if info is None:
            return cls(engine, graph_dir=str(directory))
        if sum(info.get("graphs", {}).values()) <= memory_up_to:
            return cls(engine, graph_dir=str(directory), in_memory=True)
        return cls(engine, graph_dir=str(directory), store=str(directory / DISK_STORE_DIR))

    @classmethod
    def of_files(cls, files: Sequence[Path | str], engine: str) -> Source:
        return cls(engine, files=tuple(str(Path(f).resolve()) for f in files))

    @classmethod
    def of_store(cls, url: str, graphs: Sequence[str], timeout: float = 10.0) -> Source:
        """An external SPARQL 1.1 store (its query endpoint, or a Graph Store Protocol URL
        that `remote_store.query_endpoint` knows) whose default graph is the union of `graphs`."""
        return cls(
            "remote", url=query_endpoint(url), graphs=tuple(str(g) for g in graphs), timeout=timeout
        )


# Functions whose value changes from one evaluation to the next: such results are not cached.
NONDETERMINISTIC = frozenset({"RAND", "NOW", "UUID", "STRUUID", "BNODE"})


@dataclass(frozen=True)
class QueryRequest:
    """One query for a worker, as the client sent it: the worker scans the text, refuses
    updates and SERVICE, and negotiates the format from `accept` and `format_param`
    (`screen_request`), unless `format_key` names the format already; `link` is where a
    truncated result points."""

    text: str
    dataset: DatasetSpec = NO_DATASET
    bindings: Mapping[str, Identifier] = field(default_factory=dict)
    accept: str | None = None
    format_param: str | Sequence[str] | None = None
    base_iri: str | None = None
    max_rows: int | None = None
    format_key: str | None = None
    link: str | None = None


@dataclass(frozen=True)
class WorkerLimits:
    """What one worker may spend: `memory_mb` of address space on top of what it holds once
    ready (RLIMIT_AS; 0: no cap), `recycle_mb` of resident memory after a reply before it
    stops and is replaced (0: never), `max_response_bytes` of one serialised answer (0: no
    cap; more is cut and flagged as truncated). `log_dir`: where the worker's stderr goes
    (`failures.crash_note` reads why a worker died there), None to keep it."""

    memory_mb: int = 0
    recycle_mb: int = 0
    max_response_bytes: int = 0
    log_dir: str | None = None


@dataclass(frozen=True)
class InfoRequest:
    """Ask a worker for the dataset statistics (`statistics.dataset_statistics`)."""


@dataclass(frozen=True)
class QueryReply:
    body: bytes
    format_key: str
    form: str
    truncated: bool
    seconds: float  # time in the worker: execution and serialisation
    cacheable: bool = True  # False for RAND(), NOW()...: never cached, no ETag


class Screened(NamedTuple):
    """What the text of a request decides before it runs: the format to write (None: chosen
    on the answer's form), the row cap, and whether the answer may be cached."""

    format_key: str | None
    max_rows: int | None
    cacheable: bool


def screen_request(request: QueryRequest) -> Screened:
    """Refuse an update or SERVICE (QueryRefused) and negotiate the format on the form the
    text names. Done in the worker, not in the server process, which hands every text over
    unread: there the scan, the negotiation and the cache lookup of a text never answered
    took about 40 of the app's 290 µs per distinct query (measured in-process). The engines
    refuse the same texts again (`guard`)."""
    shape = scan(request.text)
    if shape.looks_like_update:
        raise QueryRefused(READ_ONLY)
    if shape.uses_service:
        raise QueryRefused(NO_SERVICE)
    cacheable = NONDETERMINISTIC.isdisjoint(shape.keywords)
    form = shape.form
    if request.format_key is not None or form is None:
        return Screened(request.format_key, request.max_rows, cacheable)
    try:
        fmt = choose_format(form, request.accept, request.format_param)
    except UnsupportedFormat:
        # A syntax error is reported first, if there is one: the query runs with a row cap
        # of 0, and then the format is refused on the answer's form.
        return Screened(None, 0, False)
    return Screened(fmt.key, request.max_rows, cacheable)


def open_engine(source: Source) -> Any:
    if source.url:
        return RemoteEngine(source.url, source.graphs, timeout=source.timeout)
    if source.store:
        return open_disk_store(source.store)
    if source.graph_dir and source.engine == "oxigraph":
        return load_build(Path(source.graph_dir))
    # Deferred: smpkg.build imports the reasoner and the validator, which only a worker of
    # the rdflib engine or of --dataset files needs (a fork server preloads this module; in
    # a worker that loads a small build into memory, importing it cost 60 ms, measured).
    from .build import KnowledgeGraph, open_dataset_engine  # noqa: PLC0415 - (above)
    from .build import open_engine as open_build  # noqa: PLC0415 - (above)

    if source.graph_dir:
        kg = KnowledgeGraph(Path(source.graph_dir), "", None)  # type: ignore[arg-type]
        return open_build(kg, source.engine)
    return open_dataset_engine([Path(f) for f in source.files], source.engine)


_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


def isolate_network() -> str:
    """Move this process into a new, empty network namespace (no interface but a loopback
    that is down), so nothing it runs can open a connection. Best effort: returns what it
    did."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        unshare = libc.unshare
    except (OSError, AttributeError):
        return "unavailable (no unshare on this platform)"
    if unshare(_CLONE_NEWNET) == 0:
        return "network namespace"
    if unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        return "user and network namespace"
    return f"unavailable ({os.strerror(ctypes.get_errno())})"


def as_reply(exc: BaseException) -> SmpkgError:
    """The exception a worker sends for a failure: smpkg errors as they are (they pickle),
    anything else as a QueryFailed naming it (the engine's own may not pickle)."""
    if isinstance(exc, SmpkgError):
        return exc
    if isinstance(exc, MemoryError):
        return QueryFailed("the query ran out of memory")
    text = str(exc).strip().splitlines()
    return QueryFailed(text[0] if text else type(exc).__name__)


def answer_query(engine: Any, request: QueryRequest, max_bytes: int = 0) -> QueryReply:
    """Run the query, negotiate the format on the answer's form, serialise; an answer over
    `max_bytes` (when not 0) is cut to the rows that fit and flagged as truncated."""
    started = time.perf_counter()
    format_key, max_rows, cacheable = screen_request(request)
    bindings = dict(request.bindings) or None
    if format_key == "json" and engine.name == "oxigraph":
        # pyoxigraph writes SPARQL JSON itself; None is a graph result after all, or a body
        # past its byte budget, which the capped path below writes instead.
        written = engine.results_json(
            request.text,
            request.dataset,
            bindings,
            max_rows,
            request.base_iri,
            request.link,
        )
        if written is not None and not (max_bytes and len(written[1]) > max_bytes):
            answer, body = written
            seconds = time.perf_counter() - started
            return QueryReply(body, "json", answer.form, answer.truncated, seconds, cacheable)
    answer = engine.execute(request.text, request.dataset, bindings, max_rows, request.base_iri)
    fmt = by_key(format_key) if format_key else None
    if fmt is None or fmt not in offered_formats(answer.form):
        fmt = choose_format(answer.form, request.accept, request.format_param)
    chosen = fmt

    def render(answer: Answer) -> bytes:
        if answer.truncated and request.link:
            answer.links = [request.link]
        return serialize_answer(answer, chosen)

    answer, body = fit(answer, render, max_bytes)
    seconds = time.perf_counter() - started
    return QueryReply(body, fmt.key, answer.form, answer.truncated, seconds, cacheable)


def fit(answer: Answer, render: Callable[[Answer], bytes], max_bytes: int) -> tuple[Answer, bytes]:
    """`answer` and its body, or, when the body is over `max_bytes` (not 0), the answer cut
    to the rows (or triples) whose body fits, flagged as truncated."""
    body = render(answer)
    items = answer.triples if answer.is_graph else answer.rows
    kept = len(items)
    while max_bytes and len(body) > max_bytes and kept > 0:
        # Rows are about equally long: keep the share that fits, a little less each round.
        kept = min(kept - 1, int(kept * max_bytes / len(body) * 0.9))
        cut = items[: max(kept, 0)]
        if answer.is_graph:
            answer = replace(answer, truncated=True, triples=cut)
        else:
            answer = replace(answer, truncated=True, rows=cut)
        body = render(answer)
    if max_bytes and len(body) > max_bytes:  # ASK, or no row fits: nothing to send but the head
        answer = replace(answer, truncated=True, rows=[], triples=[])
        body = render(answer)
    return answer, body


def warm_up(engine: Any) -> None:
    """Load the parser and the serialiser plugins now: before network isolation (a user
    namespace may restrict files too) and so that the first request does not pay for it."""
    triple = (URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal("o"))
    for fmt in GRAPH_FORMATS:
        serialize_answer(Answer("CONSTRUCT", triples=[triple]), fmt)
    for fmt in RESULT_FORMATS:
        serialize_answer(Answer("SELECT", ["x"], [(triple[0],)]), fmt)
    if engine.name == "remote":
        return  # nothing to load: the store answers
    # On constants and LIMIT 1: a FILTER over the data would scan all of it when nothing
    # matches, which at a million triples is seconds of start-up.
    engine.execute("SELECT * WHERE { BIND ('x' AS ?o) FILTER (regex(str(?o), 'x')) }")
    engine.execute("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1")


def answer(engine: Any, request: object, max_bytes: int = 0) -> object:
    """The reply to one request (an exception is a reply too)."""
    try:
        if isinstance(request, QueryRequest):
            return answer_query(engine, request, max_bytes)
        if isinstance(request, InfoRequest):
            return dataset_statistics(engine)
        return QueryFailed(f"unknown request {type(request).__name__}")
    except BaseException as exc:  # noqa: BLE001 - every failure is an answer
        return as_reply(exc)


class Resident:
    """This process's resident memory now, in MiB (`mb`), from its /proc/self/statm held
    open: it is read after every query, and opening the file each time cost ten times the
    read (60 µs against 6)."""

    def __init__(self) -> None:
        self._fd = os.open("/proc/self/statm", os.O_RDONLY)
        self._page = os.sysconf("SC_PAGE_SIZE")

    def mb(self) -> float:
        return int(os.pread(self._fd, 128, 0).split()[1]) * self._page / (1 << 20)


def apply_limits(limits: WorkerLimits) -> bool:
    """Cap this process's address space at what it holds now plus `memory_mb`, and send its
    stderr (an engine's panic message, or its failed allocation) to its log file; whether
    it did that."""
    if limits.memory_mb:
        with open("/proc/self/statm") as statm:
            held = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        cap = held + (limits.memory_mb << 20)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if limits.log_dir:
        try:
            log = os.open(
                os.path.join(limits.log_dir, f"{os.getpid()}.log"),
                os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_TRUNC,
                0o600,
            )
        except OSError:  # no log: a crash is reported without the engine's last words
            return False
        os.dup2(log, 2)
        os.close(log)
        return True
    return False


def step_aside() -> None:
    """Run this process under Linux's SCHED_BATCH policy, where the system allows it.

    The server hands a query to a worker by a write that wakes the worker, and the scheduler
    used to give the worker the server's core at once: the server then waited, with its
    replies and the next requests, for a query it had only handed out (measured on 2 cores
    with 4 clients: a third of an involuntary switch per query). A batch process is not
    preferred at its wake-up; it runs on another core or when the server yields, with the
    same share of the CPU (its nice value is unchanged). About a tenth more distinct queries
    a second there, measured (benchmarks/README.md)."""
    batch = getattr(os, "SCHED_BATCH", None)
    if batch is None:  # not Linux
        return
    # A sandbox may forbid it: the default policy serves as well, only slower.
    with contextlib.suppress(OSError):
        os.sched_setscheduler(0, batch, os.sched_param(0))


def worker_main(
    conn: Connection, source: Source, isolate: bool = True, limits: WorkerLimits | None = None
) -> None:
    """The body of a worker process: open the engine, then answer requests until told to
    stop or the pipe closes."""
    limits = limits or WorkerLimits()
    # Ctrl-C, a hang-up, and a stop signal sent to the service's whole process group (systemd
    # does) are the server's to handle: it finishes its queries, then stops its workers.
    for stop in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop, signal.SIG_IGN)
    # An engine's panic is logged by its message and the query's hash; a backtrace of the
    # interpreter's C frames says nothing more.
    os.environ["RUST_BACKTRACE"] = "0"
    step_aside()
    try:
        engine = open_engine(source)
        warm_up(engine)
        if source.url:
            isolation = restrict_egress(source.url) if isolate else "disabled"
        else:
            isolation = isolate_network() if isolate else "disabled"
        logged = apply_limits(limits)
        resident = Resident() if limits.recycle_mb else None
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
        try:
            conn.send(as_reply(exc))
        finally:
            conn.close()
        return
    try:
        conn.send(Ready(os.getpid(), isolation))
    except OSError:  # the pool closed while this worker started
        return
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        if request is STOP:
            return
        if logged:
            os.ftruncate(2, 0)  # only the current query's messages matter
        reply = answer(engine, request, limits.max_response_bytes)
        retire = resident is not None and resident.mb() > limits.recycle_mb
        try:
            conn.send(Retiring(reply) if retire else reply)
        except (BrokenPipeError, OSError):
            return
        if retire:
            return
