"""Search latency: the server's time per query of the web app's search (smpkg.search).

    python -m benchmarks.search                 # the curated graph of this repository
    python -m benchmarks.search --root DIR      # another project root (e.g. a synthetic one
                                                # made by `python -m benchmarks.webapp`)
    python -m benchmarks.search --from-store BUILD/oxigraph   # the index as the build makes it

The service is created in-process over the built graph (`api.create_app`, real query
workers); the index is obtained as the first request obtains it (from the build's stored
index, `smpkg.search_product`, or from the search queries through the query workers when
there is none: `index_source` says which), and the wall and CPU time that took is reported
(`index_load_seconds`, `index_load_cpu_seconds`). Then two figures over the same query mix, each query asked once:

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
import tempfile
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
from smpkg.search import SearchIndex, words
from smpkg.search_product import (
    SEARCH_FILE,
    StaleProduct,
    load_search_index,
    rows_from_store,
    save_search_index,
)

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


def index_source(kg) -> str:
    """Where the service takes its index from: the build's stored index, or (without a
    readable one) its search queries through the query workers."""
    if kg is None:
        return "queries (no build)"
    try:
        load_search_index(kg.directory)
    except StaleProduct as exc:
        return f"queries ({exc})"
    return "product"


@contextlib.contextmanager
def clocked(record: dict, name: str) -> Iterator[None]:
    """Records the block's wall time as `<name>_seconds` and this process's CPU time (every
    thread) as `<name>_cpu_seconds`."""
    wall, cpu = time.perf_counter(), time.process_time()
    yield
    record[f"{name}_seconds"] = time.perf_counter() - wall
    record[f"{name}_cpu_seconds"] = time.process_time() - cpu


def measure_product(location: Path, count: int, seed: int) -> dict:
    """The index as the build makes it from its on-disk store (`smpkg.search_product`): the
    rows read (the search queries, unordered), the index built and written, then loaded as
    the server loads it, and the mix timed on it."""
    record: dict = {"source": "product"}
    store = pyoxigraph.Store.read_only(str(location))
    with clocked(record, "rows_read"):
        rows = rows_from_store(store)
    with clocked(record, "index_build"):
        built = SearchIndex.from_rows(rows)
    with tempfile.TemporaryDirectory() as directory:
        with clocked(record, "index_write"):
            save_search_index(Path(directory), built)
        record["file_bytes"] = (Path(directory) / SEARCH_FILE).stat().st_size
        with clocked(record, "index_load"):
            index = load_search_index(Path(directory))
    queries = query_mix(index.name_texts(), seed, count)
    wall: list[float] = []
    cpu: list[float] = []
    for q in queries:
        with timed(wall, cpu):
            index.search(q.text, LIMIT)
    return record | {
        "rows": {name: len(found) for name, found in rows.items()},
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
        help="time the index as the build makes it from this on-disk store (a build's "
        "oxigraph/): rows read, built, written, loaded, searched",
    )
    args = parser.parse_args(argv)
    if args.from_store:
        found = measure_product(args.from_store, args.queries, args.seed)
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
            ready: dict = {"index_source": index_source(snapshot.kg)}
            with clocked(ready, "index_load"):
                index = await search_index(snapshot)
            queries = query_mix(index.name_texts(), args.seed, args.queries)
            result = await measure(app, index, queries)
            return {
                **ready,
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
