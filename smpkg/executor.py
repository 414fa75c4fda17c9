"""Queries run in a small pool of worker processes, so that a deadline really stops a query.

Neither engine can be interrupted from the outside: rdflib is pure Python (and Python's `re`
holds the GIL while it backtracks), pyoxigraph has no cancellation API. So each worker is a
process of its own (forked from a fork server that has imported the engines and nothing else,
see `smpkg.forkserver`; never from the running server) that opens its own engine and answers
requests over a pipe: it runs the query, negotiates the format from the answer's form,
serialises, and returns the bytes. The parent awaits a free worker and then its reply on the
event loop, with the deadline; past it, it kills the worker (SIGKILL), starts a replacement in
the background and raises QueryTimeout. Other requests keep being answered by the other
workers meanwhile.

What a worker opens is its `Source`: the on-disk store of a build (opened read-only, shared
by every worker of every server process), a small build's N-Triples files loaded into its
memory (oxigraph below `memory_up_to` triples, or rdflib), RDF files (`--dataset`), or an
external SPARQL store (`RemoteEngine`, with the HTTP timeout as a first deadline).

Guarantees kept on both engines:

- read-only and no network: the text is scanned (`lexer.scan`) for updates and SERVICE in the
  parent and again by the engine in the worker; FROM / default-graph-uri of a graph we do not
  hold is an empty graph, never fetched (`store.py`). As a second wall, each worker moves
  itself into an empty network namespace once its data is loaded, where the kernel allows it
  (`QueryExecutor.isolation` says whether it did): nothing it runs can reach a network then.
  Workers of an external store keep the network (they talk to the store), and are held to
  the first wall, which every text passes before it is sent.
- one query per worker at a time, each worker single-threaded: rdflib's parser, which is not
  thread-safe, is never entered by two threads.
- results are cached in the parent (LRU, bounded by entries and bytes), keyed by (dataset
  version, query text, dataset, bindings, negotiated format, base IRI, row cap); queries that
  call RAND, NOW, UUID, STRUUID or BNODE are never cached.

The public interface is `await executor.execute(text, dataset=..., bindings=...,
accept=..., format_param=...) -> QueryResult`, raising smpkg errors.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rdflib.term import Identifier

from .errors import (
    DataParseError,
    ParameterError,
    QueryFailed,
    QueryRefused,
    QuerySyntaxError,
    QueryTimeout,
    SmpkgError,
    UnsupportedFormat,
)
from .formats import BY_KEY, Format, negotiate, offered_for
from .lexer import scan
from .store import NO_DATASET, NO_SERVICE, READ_ONLY, DatasetSpec

log = logging.getLogger("smpkg.executor")

# Functions whose value changes from one evaluation to the next: such results are not cached.
NONDETERMINISTIC = frozenset({"RAND", "NOW", "UUID", "STRUUID", "BNODE"})
# Names clients put in format= for a graph result (SPARQLWrapper sends its returnFormat).
GRAPH_FORMAT_PARAMS = {
    "json": "jsonld",
    "application/json": "jsonld",
    "xml": "rdfxml",
    "application/xml": "rdfxml",
    "text/xml": "rdfxml",
    "n3": "turtle",
    "rdf+xml": "rdfxml",
}
TRUNCATED_FRAGMENT = "#truncated"
# Texts up to this length are scanned on the event loop (tens of microseconds).
INLINE_SCAN_CHARS = 4096
# Results as an HTML table, for browsers that ask for text/html by name (never for */*).
HTML = Format("html", "text/html", extension="html")


class WorkersBusy(QueryTimeout):
    """Every worker stayed busy until the deadline: the query never started."""


@dataclass(frozen=True)
class QueryResult:
    body: bytes
    format: Format
    form: str
    truncated: bool
    cached: bool = False
    cacheable: bool = True  # False for RAND(), NOW()... : do not cache, no ETag
    seconds: float = 0.0  # time in the worker (execution and serialisation)


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
    def of_graph(cls, kg, engine: str, memory_up_to: int = 0) -> Source:
        """A built graph; the oxigraph engine opens its on-disk store if it has been written
        (`store.ensure_disk_store`), and loads the N-Triples files otherwise. A build of at
        most `memory_up_to` triples is loaded into each worker's memory even when its store
        is written: a query runs about twice as fast in memory, and loading a small build
        takes less time than opening the store."""
        from .store import DISK_STORE_DIR, disk_store_info

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
        that `store.query_endpoint` knows) whose default graph is the union of `graphs`."""
        from .store import query_endpoint

        return cls(
            "remote", url=query_endpoint(url), graphs=tuple(str(g) for g in graphs), timeout=timeout
        )


# --------------------------------------------------------------------------- what a server opens


def build_once(settings, progress: Callable[[str], None] | None = None):
    """`build.build`, one process at a time: server processes that start (or reload)
    together wait for the first one's build, then find it in the cache."""
    import fcntl

    from .build import build

    settings.cache_path.mkdir(parents=True, exist_ok=True)
    with open(settings.cache_path / ".build.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return build(settings, progress=progress or (lambda _: None))


def prepare_store(kg, settings, progress: Callable[[str], None] | None = None) -> dict | None:
    """Write the build's on-disk store if it is not there yet (oxigraph engine only), with
    the dataset statistics, which it returns (None for the rdflib engine)."""
    if settings.engine != "oxigraph":
        return None
    from .build import GRAPH_FILES
    from .store import ensure_disk_store

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


# --------------------------------------------------------------------------- negotiation


def form_of(text: str) -> str | None:
    """SELECT, ASK, CONSTRUCT or DESCRIBE, as the text says, or None if it says none."""
    return scan(text).form


def offered_formats(form: str) -> list[Format]:
    """What a query form can be served as: the SPARQL result or RDF formats, then HTML."""
    return offered_for(form) + [HTML]


def choose_format(
    form: str, accept: str | None, format_param: str | Sequence[str] | None = None
) -> Format:
    """The result format for a query form: format= wins over Accept; several format= values
    (SPARQLWrapper sends its short name and the media type) are tried in order."""
    offered = offered_formats(form)
    params = [format_param] if isinstance(format_param, str) else list(format_param or [])
    params = [p.strip() for p in params if p and p.strip()]
    if params:
        for param in params:
            key = param.lower()
            if form in ("CONSTRUCT", "DESCRIBE"):
                key = GRAPH_FORMAT_PARAMS.get(key, key)
            try:
                return negotiate(None, offered, key)
            except UnsupportedFormat:
                continue
        raise UnsupportedFormat(", ".join(params), [f.media_type for f in offered])
    return negotiate(accept, offered)


# --------------------------------------------------------------------------- worker side


def _open_engine(source: Source):
    if source.url:
        from .store import RemoteEngine

        return RemoteEngine(source.url, source.graphs, timeout=source.timeout)
    if source.store:
        from .store import open_disk_store

        return open_disk_store(source.store)
    from .build import KnowledgeGraph, open_dataset_engine, open_engine

    if source.graph_dir:
        kg = KnowledgeGraph(Path(source.graph_dir), "", None)  # type: ignore[arg-type]
        return open_engine(kg, source.engine)
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


def dataset_statistics(engine) -> dict:
    """VoID-style counts for the default graph (the union) and each named graph. The
    oxigraph engine and external stores count for themselves with SPARQL; rdflib's quads
    are counted here."""
    if hasattr(engine, "statistics"):
        return engine.statistics()
    from rdflib import URIRef
    from rdflib.graph import DATASET_DEFAULT_GRAPH_ID
    from rdflib.namespace import RDF

    rdf_type = str(RDF.type)
    # Per graph, distinct terms; the triples of a named graph are counted (a graph holds each
    # triple once), those of the union and of the unnamed graphs are collected, once each.
    per_graph: dict[str | None, dict] = {}
    union: set = set()
    unnamed: set = set()

    def add(graph: str | None, s: str, p: str, o: str, s_is_iri: bool):
        bucket = per_graph.get(graph)
        if bucket is None:
            bucket = per_graph[graph] = {
                "triples": 0,
                "subjects": set(),
                "properties": set(),
                "objects": set(),
                "classes": set(),
                "entities": set(),
            }
        bucket["triples"] += 1
        bucket["subjects"].add(s)
        bucket["properties"].add(p)
        bucket["objects"].add(o)
        if p == rdf_type:
            bucket["classes"].add(o)
        if s_is_iri:
            bucket["entities"].add(s)
        union.add((s, p, o))
        if graph is None:
            unnamed.add((s, p, o))

    for s, p, o, g in engine.dataset.quads((None, None, None, None)):
        ident = getattr(g, "identifier", g)
        name = (
            str(ident) if isinstance(ident, URIRef) and ident != DATASET_DEFAULT_GRAPH_ID else None
        )
        add(name, s.n3(), str(p), o.n3(), isinstance(s, URIRef))
    if None in per_graph:
        per_graph[None]["triples"] = len(unnamed)

    def counts(bucket: dict) -> dict[str, int]:
        return {
            "triples": bucket["triples"],
            "entities": len(bucket["entities"]),
            "classes": len(bucket["classes"]),
            "properties": len(bucket["properties"]),
            "distinct_subjects": len(bucket["subjects"]),
            "distinct_objects": len(bucket["objects"]),
        }

    everything: dict = {
        k: set() for k in ("subjects", "properties", "objects", "classes", "entities")
    }
    for bucket in per_graph.values():
        for k in everything:
            everything[k] |= bucket[k]
    everything["triples"] = len(union)
    return {
        "default": counts(everything),
        "graphs": {
            g: counts(b)
            for g, b in sorted(per_graph.items(), key=lambda i: i[0] or "")
            if g is not None
        },
        "unnamed_triples": len(unnamed),
        "engine": engine.name,
    }


def _error_reply(exc: BaseException) -> tuple:
    if isinstance(exc, UnsupportedFormat):
        return ("error", "UnsupportedFormat", str(exc), (exc.requested, exc.available))
    if isinstance(exc, ParameterError):
        return ("error", "ParameterError", str(exc), (exc.name, str(exc)))
    if isinstance(exc, DataParseError):
        return ("error", "DataParseError", str(exc), (exc.path, exc.line, exc.reason))
    if isinstance(exc, SmpkgError):
        return ("error", type(exc).__name__, str(exc), None)
    if isinstance(exc, MemoryError):
        return ("error", "QueryFailed", "the query ran out of memory", None)
    text = str(exc).strip().splitlines()
    return ("error", "QueryFailed", text[0] if text else type(exc).__name__, None)


_ERROR_CLASSES = {
    c.__name__: c
    for c in (
        QuerySyntaxError,
        QueryRefused,
        QueryFailed,
        QueryTimeout,
        SmpkgError,
    )
}


def _rebuild_error(name: str, message: str, extra) -> SmpkgError:
    if name == "UnsupportedFormat":
        return UnsupportedFormat(*extra)
    if name == "ParameterError":
        err = ParameterError(extra[0], "")
        err.args = (extra[1],)
        return err
    if name == "DataParseError":
        return DataParseError(*extra)
    return _ERROR_CLASSES.get(name, QueryFailed)(message)


def _answer_query(engine, request: tuple) -> tuple:
    (
        _,
        text,
        default_graphs,
        named_graphs,
        bindings,
        accept,
        format_param,
        base_iri,
        max_rows,
        fmt_key,
        link,
    ) = request
    started = time.perf_counter()
    from .formats import serialize_answer

    spec = DatasetSpec(tuple(default_graphs), tuple(named_graphs))
    if fmt_key == "json" and engine.name == "oxigraph":
        # pyoxigraph writes SPARQL JSON itself; None is a graph result after all, or a body
        # past its byte budget, which the capped path below writes instead.
        written = engine.results_json(text, spec, bindings or None, max_rows, base_iri, link)
        if written is not None:
            answer, body = written
            return (
                "ok",
                body,
                "json",
                answer.form,
                answer.truncated,
                time.perf_counter() - started,
            )
    answer = engine.execute(text, spec, bindings or None, max_rows, base_iri)
    fmt = (HTML if fmt_key == "html" else BY_KEY.get(fmt_key)) if fmt_key else None
    if fmt is None or fmt not in offered_formats(answer.form):
        fmt = choose_format(answer.form, accept, format_param)
    if answer.truncated and link:
        answer.links = [link]
    body = html_results(answer, text, link) if fmt is HTML else serialize_answer(answer, fmt)
    return ("ok", body, fmt.key, answer.form, answer.truncated, time.perf_counter() - started)


def html_results(answer, text: str, link: str | None = None) -> bytes:
    """A self-contained HTML page of the results (no scripts, no external resources)."""
    from html import escape

    from rdflib import BNode, Literal, URIRef

    def cell(term) -> str:
        if term is None:
            return ""
        if isinstance(term, URIRef):
            iri = escape(str(term))
            safe = str(term).startswith(("http://", "https://"))
            return f'<a href="{iri}">{iri}</a>' if safe else iri
        if isinstance(term, BNode):
            return f"_:{escape(str(term))}"
        if isinstance(term, Literal):
            note = (
                f"@{term.language}"
                if term.language
                else (f"^^{term.datatype}" if term.datatype else "")
            )
            extra = f" <small>{escape(note)}</small>" if note else ""
            return f"{escape(str(term))}{extra}"
        return escape(str(term))

    if answer.form == "ASK":
        summary = "true" if answer.boolean else "false"
        table = f'<p class="boolean">{summary}</p>'
    else:
        if answer.is_graph:
            header, rows = ["subject", "predicate", "object"], answer.triples
        else:
            header, rows = answer.variables, answer.rows
        head = "".join(f"<th>{escape(h)}</th>" for h in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{cell(t)}</td>" for t in row) + "</tr>\n" for row in rows
        )
        noun = "triple" if answer.is_graph else "row"
        summary = f"{len(rows)} {noun}{'' if len(rows) == 1 else 's'}"
        table = f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>"
    truncated = ""
    if answer.truncated:
        href = escape(link or "#truncated")
        truncated = (
            f'<p class="warning">Cut at the row cap: <a href="{href}">more '
            "results exist</a>; add LIMIT / OFFSET to page through them.</p>"
        )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(answer.form)} results · smpkg</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem}}table{{border-collapse:collapse}}
th,td{{border-bottom:1px solid #ddd;padding:.2rem .6rem;text-align:left;vertical-align:top}}
pre{{background:#f5f5f7;padding:.75rem;overflow-x:auto}}.warning{{color:#a00}}</style></head>
<body><p><a href="/sparql">SPARQL endpoint</a></p>
<h1>{escape(answer.form)} results: {escape(summary)}</h1>{truncated}
{table}
<h2>Query</h2><pre>{escape(text)}</pre></body></html>
"""
    return page.encode("utf-8")


def _warm_up(engine) -> None:
    """Load the parser and the serialiser plugins now: before network isolation (a user
    namespace may restrict files too) and so that the first request does not pay for it."""
    from rdflib import Literal, URIRef

    from .formats import GRAPH_FORMATS, RESULT_FORMATS, serialize_answer
    from .store import Answer

    triple = (URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal("o"))
    for fmt in GRAPH_FORMATS:
        serialize_answer(Answer("CONSTRUCT", triples=[triple]), fmt)
    for fmt in RESULT_FORMATS:
        serialize_answer(Answer("SELECT", ["x"], [(triple[0],)]), fmt)
    html_results(Answer("ASK", boolean=True), "ASK {}")
    if engine.name == "remote":
        return  # nothing to load: the store answers
    # On constants and LIMIT 1: a FILTER over the data would scan all of it when nothing
    # matches, which at a million triples is seconds of start-up.
    engine.execute("SELECT * WHERE { BIND ('x' AS ?o) FILTER (regex(str(?o), 'x')) }")
    engine.execute("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1")


def worker_main(conn, source: Source, isolate: bool = True) -> None:
    """The body of a worker process: open the engine, then answer requests until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        engine = _open_engine(source)
        _warm_up(engine)
        if source.url:
            isolation = "not applied: the workers query the external store"
        else:
            isolation = isolate_network() if isolate else "disabled"
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it
        try:
            conn.send(_error_reply(exc))
        finally:
            conn.close()
        return
    conn.send(("ready", os.getpid(), isolation))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        op = request[0]
        try:
            if op == "query":
                reply = _answer_query(engine, request)
            elif op == "info":
                reply = ("ok", dataset_statistics(engine))
            elif op == "stop":
                return
            else:
                reply = ("error", "QueryFailed", f"unknown request {op!r}", None)
        except BaseException as exc:  # noqa: BLE001 - every failure is an answer
            reply = _error_reply(exc)
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


# --------------------------------------------------------------------------- parent side


class _Worker:
    def __init__(self, process, conn, isolation: str):
        self.process = process
        self.conn = conn
        self.isolation = isolation

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def kill(self) -> None:
        try:
            self.process.kill()
        except Exception:  # noqa: BLE001 - already gone
            pass
        self.process.join(timeout=5)
        try:
            self.conn.close()
        except OSError:
            pass


class ResultCache:
    """An LRU of serialised results (or anything `size` measures), bounded by entry count
    and total bytes."""

    def __init__(
        self,
        max_entries: int = 1024,
        max_bytes: int = 64 << 20,
        max_item_bytes: int = 8 << 20,
        size: Callable[[object], int] = lambda result: len(result.body),
    ):
        self.size = size
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.max_item_bytes = max_item_bytes
        self._items: OrderedDict[tuple, QueryResult] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple):
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return hit

    def put(self, key: tuple, result) -> None:
        size = self.size(result)
        if self.max_entries <= 0 or size > self.max_item_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= self.size(old)
            self._items[key] = result
            self._bytes += size
            while self._items and (
                len(self._items) > self.max_entries or self._bytes > self.max_bytes
            ):
                _, dropped = self._items.popitem(last=False)
                self._bytes -= self.size(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size_bytes(self) -> int:
        return self._bytes


QueryObserver = Callable[[str, str, float, str | None], None]


class QueryExecutor:
    """A pool of worker processes answering queries with a deadline. Thread-safe; use the
    async `execute` from request handlers and `execute_blocking` elsewhere."""

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
        start_method: str = "forkserver",
        startup_timeout: float = 300.0,
        observer: QueryObserver | None = None,
        info: dict | None = None,
    ):
        if workers < 1:
            raise SmpkgError("the query executor needs at least one worker")
        self.source = source
        self.workers = workers
        self.timeout = timeout
        self.max_rows = max_rows
        self.version = version
        self.base_iri = base_iri
        self.isolate = isolate
        self.startup_timeout = startup_timeout
        self.observer = observer
        self.cache = ResultCache(cache_entries, cache_bytes)
        if start_method == "forkserver":
            from .forkserver import context

            self._ctx = context()
        else:
            self._ctx = multiprocessing.get_context(start_method)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        # Requests awaiting a worker on an event loop, served first when one is released.
        self._waiters: deque = deque()
        self._handover = threading.Lock()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._threads: concurrent.futures.ThreadPoolExecutor | None = None
        self._fast: concurrent.futures.ThreadPoolExecutor | None = None
        self._started = False
        self._pending: list = []  # (process, pipe) launched, not yet awaited
        self._launcher: threading.Thread | None = None
        self._closed = False
        self._info: dict | None = info  # counts known beforehand (the on-disk store's)
        self.isolation = "not started"
        self.restarts = 0
        self.timeouts = 0
        self.busy = 0

    # ------------------------------------------------------------------ lifecycle

    def launch(self) -> QueryExecutor:
        """Start every worker without waiting for them to load their data: the caller does
        its own start-up meanwhile, then calls `start()`. The processes are asked of the
        fork server on a thread, since the first request waits for its imports."""
        with self._lock:
            if self._started or self._launcher is not None:
                return self
            self._closed = False

            def launch_all() -> None:
                for _ in range(self.workers):
                    launched = self._launch()
                    with self._lock:
                        self._pending.append(launched)

            self._launcher = threading.Thread(target=launch_all, name="smpkg-launch", daemon=True)
            self._launcher.start()
        return self

    def _join_launcher(self) -> None:
        launcher, self._launcher = self._launcher, None
        if launcher is not None:
            launcher.join()

    def start(self) -> QueryExecutor:
        """Start every worker (unless `launch()` did) and wait until each has loaded its
        data, or raise why not."""
        self._join_launcher()
        with self._lock:
            if self._started:
                return self
            self._closed = False
            pending = self._pending or [self._launch() for _ in range(self.workers)]
            self._pending = []
            # Threads that collect the reply a worker still owes a cancelled request (at most
            # one per worker), and threads that scan long texts and look in the cache.
            self._threads = concurrent.futures.ThreadPoolExecutor(
                max_workers=self.workers, thread_name_prefix="smpkg-collect"
            )
            self._fast = concurrent.futures.ThreadPoolExecutor(
                max_workers=4, thread_name_prefix="smpkg-lookup"
            )
            try:
                for process, conn in pending:
                    worker = self._await_ready(process, conn)
                    self._all.add(worker)
                    self._idle.put(worker)
            except BaseException:
                for process, _ in pending:
                    if process.is_alive():
                        process.kill()
                for worker in list(self._all):
                    worker.kill()
                self._all.clear()
                for pool in (self._threads, self._fast):
                    pool.shutdown(wait=False)
                self._threads = self._fast = None
                raise
            self._started = True
            self.isolation = next(iter(self._all)).isolation
        return self

    def _launch(self):
        parent_conn, child_conn = self._ctx.Pipe(duplex=True)
        process = self._ctx.Process(
            target=worker_main,
            args=(child_conn, self.source, self.isolate),
            name="smpkg-query-worker",
            daemon=True,
        )
        process.start()
        child_conn.close()
        return process, parent_conn

    def _await_ready(self, process, conn) -> _Worker:
        if not conn.poll(self.startup_timeout):
            process.kill()
            raise SmpkgError(f"a query worker did not start within {self.startup_timeout:.0f} s")
        try:
            reply = conn.recv()
        except (EOFError, OSError):
            process.join(timeout=5)
            raise SmpkgError(
                f"a query worker died while loading the data (exit code {process.exitcode})"
            ) from None
        if reply[0] == "ready":
            return _Worker(process, conn, reply[2])
        process.join(timeout=5)
        raise _rebuild_error(*reply[1:])

    def close(self) -> None:
        self._join_launcher()
        with self._lock:
            self._closed = True
            self._started = False
            workers = list(self._all)
            self._all.clear()
            pending, self._pending = self._pending, []
        for process, conn in pending:
            process.kill()
            process.join(timeout=5)
            conn.close()
        while True:
            try:
                self._idle.get_nowait()
            except queue.Empty:
                break
        for worker in workers:
            try:
                worker.conn.send(("stop",))
            except (OSError, ValueError):
                pass
        for worker in workers:
            worker.process.join(timeout=2)
            if worker.process.is_alive():
                worker.kill()
            else:
                worker.conn.close()
        for pool in (self._threads, self._fast):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
        self._threads = self._fast = None

    def __enter__(self) -> QueryExecutor:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def ready_workers(self) -> int:
        return sum(1 for w in list(self._all) if w.process.is_alive())

    @property
    def started(self) -> bool:
        return self._started

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker and start its replacement in the background."""
        with self._lock:
            self._all.discard(worker)
        worker.kill()
        self.restarts += 1
        if self._closed:
            return
        threading.Thread(target=self._respawn, name="smpkg-worker-respawn", daemon=True).start()

    def _respawn(self) -> None:
        for attempt in range(3):
            if self._closed:
                return
            try:
                process, conn = self._launch()
                worker = self._await_ready(process, conn)
            except Exception as exc:  # noqa: BLE001 - logged, retried
                log.error("could not start a query worker (attempt %d): %s", attempt + 1, exc)
                time.sleep(1 + attempt)
                continue
            with self._lock:
                if self._closed:
                    worker.kill()
                    return
                self._all.add(worker)
            self._release(worker)
            return

    # ------------------------------------------------------------------ queries

    def _prepare(self, text, dataset, bindings, accept, format_param, base_iri, timeout):
        shape = scan(text)
        if shape.looks_like_update:
            raise QueryRefused(READ_ONLY)
        if shape.uses_service:
            raise QueryRefused(NO_SERVICE)
        form = shape.form
        cacheable = not (NONDETERMINISTIC & set(shape.keywords))
        fmt = None
        if form:
            try:
                fmt = choose_format(form, accept, format_param)
            except UnsupportedFormat:
                # Let the worker report a syntax error first, if there is one: it runs the
                # query with a row cap of 0 and then refuses the format.
                cacheable = False
        base = base_iri or self.base_iri
        for name, value in (bindings or {}).items():
            if not isinstance(value, Identifier):
                raise ParameterError(str(name), f"{value!r} is not an RDF term")
        bindings_key = tuple(sorted((str(k), v.n3()) for k, v in (bindings or {}).items()))
        fmt_key = fmt.key if fmt else ("?", accept, str(format_param))
        key = (self.version, text, dataset, bindings_key, fmt_key, base, self.max_rows)
        link = (base or "/sparql") + TRUNCATED_FRAGMENT
        max_rows = 0 if (form and fmt is None) else self.max_rows
        request = (
            "query",
            text,
            dataset.default_graphs,
            dataset.named_graphs,
            dict(bindings or {}),
            accept,
            format_param,
            base,
            max_rows,
            fmt.key if fmt else None,
            link,
        )
        limit = self.timeout if timeout is None else max(0.001, min(timeout, self.timeout))
        return form, key, cacheable, request, limit

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
    ) -> QueryResult:
        """Run a query in a worker within the deadline; the serialised, negotiated result.

        Nothing here blocks the event loop for long: a long text (up to
        `max_request_bytes`) is scanned and looked up in the cache on a small thread pool, a
        short one on the loop itself; a free worker and then its reply are awaited on the
        loop, so cache hits never queue behind queries waiting for a worker."""
        arrived = time.monotonic()
        if self._fast is None or self._threads is None:
            raise QueryFailed("the query executor is not running")
        if len(text) <= INLINE_SCAN_CHARS:
            # Scanning a text this short costs less than a hop to a thread and back.
            hit, prepared = self._lookup(
                text, dataset, bindings, accept, format_param, base_iri, timeout
            )
        else:
            future = self._fast.submit(
                self._lookup, text, dataset, bindings, accept, format_param, base_iri, timeout
            )
            hit, prepared = await asyncio.wrap_future(future)
        if hit is not None:
            return hit
        form, key, cacheable, request, limit = prepared
        result = await self._round_trip_async(request, arrived + limit, arrived, form, limit)
        return self._kept(key, result, cacheable)

    def execute_blocking(
        self,
        text: str,
        *,
        dataset: DatasetSpec = NO_DATASET,
        bindings: Mapping | None = None,
        accept: str | None = None,
        format_param: str | Sequence[str] | None = None,
        base_iri: str | None = None,
        timeout: float | None = None,
    ) -> QueryResult:
        """The same as `execute`, for code that is not async (tests, scripts)."""
        arrived = time.monotonic()
        hit, prepared = self._lookup(
            text, dataset, bindings, accept, format_param, base_iri, timeout
        )
        if hit is not None:
            return hit
        form, key, cacheable, request, limit = prepared
        result = self._round_trip(request, arrived + limit, arrived, form, limit)
        return self._kept(key, result, cacheable)

    def _kept(self, key: tuple, result: QueryResult, cacheable: bool) -> QueryResult:
        """A fresh result, cached when it may be (the result says which)."""
        if not cacheable:
            return replace(result, cacheable=False)
        self.cache.put(key, result)
        return result

    def _lookup(self, text, dataset, bindings, accept, format_param, base_iri, timeout):
        """(cached result, None) or (None, prepared request)."""
        try:
            prepared = self._prepare(
                text, dataset, bindings, accept, format_param, base_iri, timeout
            )
        except SmpkgError as exc:
            self._observe(form_of_safe(text), exc, 0.0)
            raise
        form, key, cacheable, request, limit = prepared
        if cacheable:
            hit = self.cache.get(key)
            if hit is not None:
                self._observe(hit.form, None, 0.0, cached=True)
                return replace(hit, cached=True), None
        return None, prepared

    def _acquire(self, deadline: float, limit: float | None = None) -> _Worker:
        while True:
            remaining = deadline - time.monotonic()
            try:
                worker = self._idle.get(timeout=max(remaining, 0.001))
            except queue.Empty:
                raise WorkersBusy(
                    f"the server is busy: no query worker became free within "
                    f"{limit or self.timeout:g} s; try again shortly"
                ) from None
            if worker.process.is_alive():
                return worker
            self._replace(worker)

    async def _acquire_async(self, deadline: float, limit: float) -> _Worker:
        """An idle worker, or the next one released, waiting on the event loop (never on a
        thread) until the deadline."""
        loop = asyncio.get_running_loop()
        while True:
            with self._handover:
                try:
                    worker = self._idle.get_nowait()
                except queue.Empty:
                    worker = None
                    waiter = loop.create_future()
                    self._waiters.append((loop, waiter))
            if worker is None:
                try:
                    worker = await _within(loop, waiter, deadline)
                except asyncio.CancelledError:
                    # Handed a worker just as the request was cancelled: give it back.
                    if waiter.done() and not waiter.cancelled():
                        self._release(waiter.result())
                    raise
                if worker is None:
                    raise WorkersBusy(
                        f"the server is busy: no query worker became free within "
                        f"{limit or self.timeout:g} s; try again shortly"
                    )
            if worker.process.is_alive():
                return worker
            self._replace(worker)

    def _release(self, worker: _Worker) -> None:
        """A worker is free again: to the longest-waiting request on an event loop, or idle
        for the next one."""
        try:
            here = asyncio.get_running_loop()
        except RuntimeError:
            here = None
        with self._handover:
            while self._waiters:
                loop, waiter = self._waiters.popleft()
                if waiter.done():  # timed out or cancelled meanwhile
                    continue
                if loop is here:
                    # On the waiter's own loop: no wake-up needed.
                    waiter.set_result(worker)
                    return
                try:
                    loop.call_soon_threadsafe(self._hand_over, waiter, worker)
                except RuntimeError:  # that loop is closed
                    continue
                return
            self._idle.put(worker)

    def _hand_over(self, waiter: asyncio.Future, worker: _Worker) -> None:
        if waiter.done():  # it gave up between the release and now
            self._release(worker)
        else:
            waiter.set_result(worker)

    def _round_trip(
        self, request: tuple, deadline: float, arrived: float, form: str | None, limit: float
    ) -> QueryResult:
        if self._closed:
            raise QueryFailed("the query executor is shut down")
        payload = self._payload(request, form)
        try:
            worker = self._acquire(deadline, limit)
        except WorkersBusy as exc:
            self._busy(form, exc, arrived)
            raise
        dispatched = time.monotonic()
        try:
            worker.conn.send_bytes(payload)
            ready = worker.conn.poll(max(deadline - time.monotonic(), 0))
            reply = worker.conn.recv() if ready else None
        except (EOFError, OSError, BrokenPipeError) as exc:
            raise self._lost(worker, form, arrived) from exc
        return self._finish(worker, reply, form, arrived, dispatched, limit)

    async def _round_trip_async(
        self, request: tuple, deadline: float, arrived: float, form: str | None, limit: float
    ) -> QueryResult:
        """`_round_trip` on the event loop: a free worker is awaited, then its reply, with
        the loop watching the pipe, so no thread hands the request over and back."""
        if self._closed:
            raise QueryFailed("the query executor is shut down")
        payload = self._payload(request, form)
        try:
            worker = await self._acquire_async(deadline, limit)
        except WorkersBusy as exc:
            self._busy(form, exc, arrived)
            raise
        dispatched = time.monotonic()
        loop = asyncio.get_running_loop()
        readable = loop.create_future()
        fd = worker.conn.fileno()

        def on_readable() -> None:
            if not readable.done():
                readable.set_result(True)

        try:
            worker.conn.send_bytes(payload)
        except (OSError, BrokenPipeError) as exc:
            raise self._lost(worker, form, arrived) from exc
        loop.add_reader(fd, on_readable)
        try:
            ready = await _within(loop, readable, deadline) is not None
        except asyncio.CancelledError:
            # The client went away mid-query: the worker still owes a reply, which a thread
            # collects before the worker is used again.
            self._unwatch(loop, fd)
            self._threads.submit(self._collect, worker, deadline)
            raise
        self._unwatch(loop, fd)
        try:
            # The whole reply is read here, though only its start has arrived: the worker
            # writes the rest at once.
            reply = worker.conn.recv() if ready else None
        except (EOFError, OSError) as exc:
            raise self._lost(worker, form, arrived) from exc
        return self._finish(worker, reply, form, arrived, dispatched, limit)

    @staticmethod
    def _unwatch(loop, fd: int) -> None:
        loop.remove_reader(fd)
        # uvloop makes a watched descriptor non-blocking; the pipe's reads and writes
        # expect it blocking (a reply longer than one read would fail half-way otherwise).
        os.set_blocking(fd, True)

    def _collect(self, worker: _Worker, deadline: float) -> None:
        try:
            if worker.conn.poll(max(deadline - time.monotonic(), 0)):
                worker.conn.recv()
                self._release(worker)
                return
        except (EOFError, OSError):
            pass
        self._replace(worker)

    def _busy(self, form: str | None, exc: WorkersBusy, arrived: float) -> None:
        self.busy += 1
        self._observe(form, exc, time.monotonic() - arrived)

    def _payload(self, request: tuple, form: str | None) -> bytes:
        """The request pickled for a worker, before one is taken: a request that cannot be
        pickled never holds a worker."""
        try:
            return _pickle(request)
        except Exception as exc:
            error = QueryFailed(f"cannot pass the query to a worker: {exc}")
            self._observe(form, error, 0.0)
            raise error from exc

    def _lost(self, worker: _Worker, form: str | None, arrived: float) -> QueryFailed:
        self._replace(worker)
        error = QueryFailed(
            "the query worker stopped unexpectedly (out of memory?); it has been replaced"
        )
        self._observe(form, error, time.monotonic() - arrived)
        return error

    def _finish(
        self,
        worker: _Worker,
        reply,
        form: str | None,
        arrived: float,
        dispatched: float,
        limit: float,
    ) -> QueryResult:
        """The result of a reply, or the error it stands for; None is the deadline passed."""
        if reply is None:
            self._replace(worker)
            self.timeouts += 1
            ran = time.monotonic() - dispatched
            waited = dispatched - arrived
            error = QueryTimeout(
                f"the query ran past the {limit:g} s deadline and was stopped "
                f"(ran {ran:.1f} s"
                + (f" after waiting {waited:.1f} s for a free worker" if waited >= 0.1 else "")
                + "); simplify it, add a LIMIT, or run it on your own copy of the data"
            )
            self._observe(form, error, time.monotonic() - arrived)
            raise error
        self._release(worker)
        if reply[0] == "error":
            error = _rebuild_error(*reply[1:])
            self._observe(form, error, time.monotonic() - arrived)
            raise error
        _, body, fmt_key, answer_form, truncated, seconds = reply
        self._observe(answer_form, None, seconds)
        fmt = HTML if fmt_key == "html" else BY_KEY[fmt_key]
        return QueryResult(body, fmt, answer_form, truncated, seconds=seconds)

    def _observe(
        self, form: str | None, error: BaseException | None, seconds: float, cached: bool = False
    ) -> None:
        if self.observer is None:
            return
        if error is None:
            outcome = "cached" if cached else "ok"
        elif isinstance(error, WorkersBusy):
            outcome = "busy"
        elif isinstance(error, QueryTimeout):
            outcome = "timeout"
        else:
            outcome = "error"
        try:
            self.observer(
                form or "unknown",
                outcome,
                seconds,
                type(error).__name__ if error is not None else None,
            )
        except Exception:
            log.exception("query observer failed")

    # ------------------------------------------------------------------ dataset facts

    def info(self, refresh: bool = False) -> dict:
        """Counts for the service description (computed once by a worker)."""
        if self._info is not None and not refresh:
            return self._info
        worker = self._acquire(time.monotonic() + max(self.startup_timeout, 60))
        try:
            worker.conn.send(("info",))
            reply = worker.conn.recv()
        except (EOFError, OSError) as exc:
            self._replace(worker)
            raise QueryFailed("a query worker stopped while counting the dataset") from exc
        self._release(worker)
        if reply[0] == "error":
            raise _rebuild_error(*reply[1:])
        self._info = reply[1]
        return self._info


async def _within(loop, future: asyncio.Future, deadline: float):
    """The result of `future`, or None once the monotonic `deadline` has passed (the future
    then holds None too). Every query waits like this once or twice: a timer on the loop is
    lighter than `asyncio.wait_for`, which wraps the wait in a second future and callback."""

    def expire() -> None:
        if not future.done():
            future.set_result(None)

    timer = loop.call_later(max(deadline - time.monotonic(), 0), expire)
    try:
        return await future
    finally:
        timer.cancel()


def _pickle(request: tuple) -> bytes:
    from multiprocessing.reduction import ForkingPickler

    return bytes(ForkingPickler.dumps(request))


def form_of_safe(text: str) -> str | None:
    try:
        return form_of(text)
    except Exception:  # noqa: BLE001
        return None
