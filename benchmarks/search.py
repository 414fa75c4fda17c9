"""Search latency: the server's time per query of the web app's search (smpkg.search).

    python -m benchmarks.search                 # the curated graph of this repository
    python -m benchmarks.search --root DIR      # another project root (e.g. a synthetic one
                                                # made by `python -m benchmarks.webapp`)

The service is created in-process over the built graph (`api.create_app`, real query
workers); the index is built once through the query executor, as the first request does, and
its build time is reported. Then two figures over the same query mix, each query asked once:

- `index`: `SearchIndex.search` alone, the work the server does per query;
- `request`: the whole `GET /api/search?q=` through the ASGI app (routing, middleware, JSON),
  in-process so that no network time is counted. The mix holds repeats (several names share
  a prefix or a word), so a few answers may come from the response cache, as they would.

The mix (`query_mix`) is made from the graph's own names, in the shares of `MIX`: acronyms
typed exactly, whole labels, the beginnings of names as typed in the search box (suggestions
are asked at each key), single words, names with one typo (a letter changed, dropped, added
or two swapped) and texts that match nothing. Percentiles are of the per-query times, for the
whole mix and per kind of query, and of the thread's CPU time per query (on a shared machine,
the wall time's tail holds the waits for a core).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import re
import statistics
import string
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pyoxigraph

from api import create_app
from api.app.pages import search_index
from smpkg.build import build
from smpkg.config import Settings
from smpkg.search import ACRONYM, RDFS_LABEL, SKOS, SearchIndex, words

# Shares of each kind of query in the mix (they sum to 1).
MIX = {
    "acronym": 0.20,
    "label": 0.10,
    "prefix": 0.25,
    "word": 0.20,
    "typo": 0.20,
    "nothing": 0.05,
}
NOTHING = ("zzqqxx", "nothing like this", "12345", "qwv", "xylophone quartet")
# An acronym as people write one: capitals and digits, maybe a hyphen, no spaces.
_ACRONYM = re.compile(r"[A-Z][A-Z0-9&-]{1,11}")
LIMIT = 20


class Query(NamedTuple):
    kind: str  # a key of MIX
    text: str


def typo(text: str, rng: random.Random) -> str:
    """`text` with one edit at a letter past the first (where people's typos fall): a letter
    changed, dropped or added, or two neighbours swapped."""
    positions = [i for i, c in enumerate(text) if c.isalpha() and i > 0]
    if not positions:
        return text + "x"
    i = rng.choice(positions)
    edit = rng.choice(("change", "drop", "add", "swap"))
    if edit == "swap" and (i == 1 or text[i - 1].lower() == text[i].lower()):
        edit = "change"  # the first letter stays; swapping equal letters changes nothing
    if edit == "change":
        letter = rng.choice([c for c in string.ascii_lowercase if c != text[i].lower()])
        return text[:i] + letter + text[i + 1 :]
    if edit == "drop":
        return text[:i] + text[i + 1 :]
    if edit == "add":
        return text[:i] + rng.choice(string.ascii_lowercase) + text[i:]
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]


def query_mix(names: list[str], seed: int, count: int) -> list[Query]:
    """`count` queries drawn from `names` (the index's name texts) in the shares of MIX."""
    rng = random.Random(seed)
    pool = sorted(set(names))
    acronyms = [n for n in pool if _ACRONYM.fullmatch(n)] or pool
    labels = [n for n in pool if " " in n] or pool
    vocabulary = sorted({w for n in pool for w in words(n) if len(w) >= 3}) or ["x"]

    def draw(kind: str) -> str:
        if kind == "acronym":
            return rng.choice(acronyms)
        if kind == "label":
            return rng.choice(labels)
        if kind == "prefix":
            name = rng.choice(pool)
            return name[: rng.randint(2, min(8, max(2, len(name))))]
        if kind == "word":
            return rng.choice(vocabulary)
        if kind == "typo":
            return typo(rng.choice(acronyms + labels), rng)
        return rng.choice(NOTHING)

    kinds = [k for k, share in MIX.items() for _ in range(round(share * count))]
    rng.shuffle(kinds)
    return [Query(k, draw(k)) for k in kinds[:count]]


def percentiles(samples: list[float]) -> dict[str, float]:
    """Nearest-rank percentiles of times in seconds, in milliseconds."""
    ordered = sorted(samples)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {
        "n": len(ordered),
        "mean_ms": statistics.fmean(ordered) * 1000,
        "p50_ms": at(0.50),
        "p95_ms": at(0.95),
        "p99_ms": at(0.99),
        "max_ms": ordered[-1] * 1000,
    }


def by_kind(queries: list[Query], samples: list[float]) -> dict[str, dict[str, float]]:
    grouped: dict[str, list[float]] = {}
    for query, seconds in zip(queries, samples, strict=True):
        grouped.setdefault(query.kind, []).append(seconds)
    return {kind: percentiles(times) for kind, times in sorted(grouped.items())}


@contextlib.contextmanager
def timed(samples: list[float], cpu: list[float]) -> Iterator[None]:
    """Appends the block's wall time to `samples` and its thread's CPU time to `cpu` (which
    leaves out the time the thread waited for a core on a shared machine)."""
    wall, thread = time.perf_counter(), time.thread_time()
    yield
    samples.append(time.perf_counter() - wall)
    cpu.append(time.thread_time() - thread)


async def measure(app, index: SearchIndex, queries: list[Query]) -> dict:
    in_index: list[float] = []
    index_cpu: list[float] = []
    for q in queries:
        with timed(in_index, index_cpu):
            index.search(q.text, LIMIT)

    transport = httpx.ASGITransport(app=app)
    in_request: list[float] = []
    request_cpu: list[float] = []
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        for q in queries:
            with timed(in_request, request_cpu):
                r = await client.get("/api/search", params={"q": q.text, "limit": str(LIMIT)})
            r.raise_for_status()
    return {
        "entries": len(index),
        "names": len(index.name_texts()),
        "index": percentiles(in_index),
        "index_cpu": percentiles(index_cpu),
        "index_by_kind": by_kind(queries, in_index),
        "request": percentiles(in_request),
        "request_cpu": percentiles(request_cpu),
        "request_by_kind": by_kind(queries, in_request),
        "queries": [q._asdict() for q in queries],
    }


RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
NAME_PROPS = (RDFS_LABEL, SKOS + "prefLabel", SKOS + "altLabel", ACRONYM)
SUMMARY_PROPS = ("http://purl.org/dc/terms/description", SKOS + "definition")
TERM_CLASSES = {
    "http://www.w3.org/2002/07/owl#" + c
    for c in ("Class", "ObjectProperty", "DatatypeProperty", "AnnotationProperty", "Ontology")
} | {"http://www.w3.org/2000/01/rdf-schema#Class", RDF_TYPE.replace("type", "Property")}


def rows_from_store(location: Path) -> dict[str, list[dict[str, str]]]:
    """The rows of the search queries (smpkg/app_queries/search-*.rq), read from a build's
    on-disk store pattern by pattern, without SPARQL: at a million triples the queries'
    ORDER BY (which the app's paging needs) runs past the service's query deadline, and
    this measures the index itself all the same. Mirrors the queries' rules; the in-process
    run through the service is the one to trust where both work."""
    store = pyoxigraph.Store.read_only(str(location))

    def pairs(predicate: str) -> set[tuple]:
        quads = store.quads_for_pattern(None, pyoxigraph.NamedNode(predicate), None)
        return {(q.subject, q.object) for q in quads}

    typed = pairs(RDF_TYPE)
    terms = {s.value for s, o in typed if o.value in TERM_CLASSES}
    named_pairs = {p: pairs(p) for p in NAME_PROPS}
    named = {s.value for found in named_pairs.values() for s, _ in found}
    names = [
        {"s": s.value, "p": p, "name": o.value}
        for p, found in named_pairs.items()
        for s, o in found
        if isinstance(s, pyoxigraph.NamedNode)
        and isinstance(o, pyoxigraph.Literal)
        and s.value not in terms
    ]
    type_labels = {
        s.value: o.value
        for s, o in pairs(RDFS_LABEL)
        if isinstance(o, pyoxigraph.Literal) and o.language in ("en", None)
    }
    types = [
        {"s": s.value, "type": o.value, "typeLabel": type_labels.get(o.value, "")}
        for s, o in typed
        if s.value in named and isinstance(o, pyoxigraph.NamedNode)
    ]
    subclasses = [
        {"sub": s.value, "super": o.value}
        for s, o in pairs("http://www.w3.org/2000/01/rdf-schema#subClassOf")
        if isinstance(s, pyoxigraph.NamedNode) and isinstance(o, pyoxigraph.NamedNode) and s != o
    ]
    summaries = [
        {"s": s.value, "p": p, "text": o.value}
        for p in (*SUMMARY_PROPS, "http://www.w3.org/2000/01/rdf-schema#comment")
        for s, o in pairs(p)
        if s.value in named and isinstance(o, pyoxigraph.Literal)
    ]
    return {"names": names, "types": types, "subclasses": subclasses, "summaries": summaries}


def measure_from_store(location: Path, count: int, seed: int) -> dict:
    """The index built from the store's rows (`rows_from_store`), timed alone."""
    started = time.perf_counter()
    rows = rows_from_store(location)
    read = time.perf_counter() - started
    started = time.perf_counter()
    index = SearchIndex.from_rows(rows)
    built = time.perf_counter() - started
    queries = query_mix(index.name_texts(), seed, count)
    wall: list[float] = []
    cpu: list[float] = []
    for q in queries:
        with timed(wall, cpu):
            index.search(q.text, LIMIT)
    return {
        "source": "store",
        "rows_read_seconds": read,
        "index_build_seconds": built,
        "entries": len(index),
        "names": len(index.name_texts()),
        "index": percentiles(wall),
        "index_cpu": percentiles(cpu),
        "index_by_kind": by_kind(queries, wall),
        "index_cpu_by_kind": by_kind(queries, cpu),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", type=Path, help="project root (default: this repository)")
    parser.add_argument("--queries", type=int, default=3000, help="number of queries")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the JSON here (default: stdout)")
    parser.add_argument(
        "--from-store",
        type=Path,
        help="time the index alone, built from this on-disk store (a build's oxigraph/)",
    )
    args = parser.parse_args(argv)
    if args.from_store:
        found = measure_from_store(args.from_store, args.queries, args.seed)
        text = json.dumps(found, indent=1)
        if args.out:
            args.out.write_text(text + "\n")
        else:
            print(text)
        return 0

    overrides = {"root": args.root} if args.root else {}
    settings = Settings.from_env(query_workers=2, **overrides)
    graph = build(settings)
    app = create_app(settings)

    async def run() -> dict:
        # The app's lifespan starts the query workers and closes them at the end.
        async with app.router.lifespan_context(app):
            snapshot = app.state.snapshot
            started = time.perf_counter()
            index = await search_index(snapshot)
            built = time.perf_counter() - started
            queries = query_mix(index.name_texts(), args.seed, args.queries)
            result = await measure(app, index, queries)
            return {
                "index_build_seconds": built,
                "triples": snapshot.dataset_info["default"]["triples"],
                "version": graph.version,
                **result,
            }

    result = asyncio.run(run())
    text = json.dumps(result, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
